// rf_wmem -- the matrix stream's memories: the weight ROM (one word of LANES element codes per
// address), the group/block scale ROM read at the same address (formats with scales,
// docs/arithmetic.md 3a; none when SC_WIDTH is 0) with the combinational decode to lane operands
// (rf_wdecode), and the requant ROM of the matrix rows ([15:0] M, [21:16] S). Every ROM has an
// output register (rf_rom OUT_REG = 1): w_data and rq_data are the words at the addresses
// presented two edges earlier (rf_matvec's and rf_embed's ROM latency).
`default_nettype none

module rf_wmem #(
    parameter integer LANES     = 8,
    parameter integer WBITS     = 8,       // lane operand (rf_wdecode)
    parameter integer FMT       = 0,
    parameter integer GROUP     = 32,
    parameter integer WIDTH     = 64,      // weight ROM word
    parameter integer DEPTH     = 256,
    parameter integer ADDR_BITS = 8,
    parameter         FILE      = "",
    parameter integer SC_WIDTH  = 0,       // scale ROM word, 0 = no scales
    parameter integer SC_BITS   = 0,       // bits per scale code
    parameter integer SC_DEPTH  = 1,
    parameter         SC_FILE   = "",
    parameter integer RQ_DEPTH  = 1,
    parameter integer RQ_BITS   = 1,
    parameter         RQ_FILE   = ""
) (
    input  wire                   clk,
    input  wire [ADDR_BITS-1:0]   addr,
    output wire [WBITS*LANES-1:0] w_data,
    input  wire [RQ_BITS-1:0]     rq_addr,
    output wire [23:0]            rq_data
);
    localparam integer SCW = (SC_WIDTH > 0) ? SC_WIDTH : 1;
    wire [WIDTH-1:0] w_raw;
    wire [SCW-1:0]   w_scale;
    rf_rom #(.WIDTH(WIDTH), .DEPTH(DEPTH), .ADDR_BITS(ADDR_BITS), .FILE(FILE), .OUT_REG(1)) u_weights (
        .clk(clk), .en(1'b1), .addr(addr), .rdata(w_raw));
    generate
        if (SC_WIDTH > 0) begin : g_wscale
            rf_rom #(.WIDTH(SCW), .DEPTH(SC_DEPTH), .ADDR_BITS(ADDR_BITS), .FILE(SC_FILE), .OUT_REG(1)) u_wscale (
                .clk(clk), .en(1'b1), .addr(addr), .rdata(w_scale));
        end else begin : g_no_wscale
            assign w_scale = {SCW{1'b0}};
        end
    endgenerate
    rf_wdecode #(.FMT(FMT), .LANES(LANES), .GROUP(GROUP), .WORD_BITS(WIDTH),
                 .SC_BITS((SC_BITS > 0) ? SC_BITS : 1), .SC_WIDTH(SCW), .WBITS(WBITS)) u_wdecode (
        .w_word(w_raw), .s_word(w_scale), .w_eff(w_data));
    rf_rom #(.WIDTH(24), .DEPTH(RQ_DEPTH), .ADDR_BITS(RQ_BITS), .FILE(RQ_FILE), .OUT_REG(1)) u_requant (
        .clk(clk), .en(1'b1), .addr(rq_addr), .rdata(rq_data));
endmodule

`default_nettype wire
