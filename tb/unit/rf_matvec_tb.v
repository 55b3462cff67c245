// rf_matvec_tb -- unit-test wrapper: rf_matvec with its weight and requant
// ROMs (rf_rom images W_FILE, RQ_FILE) and an activation vector given flat on
// act_flat (MAXW words of LANES lanes of AW bits: int8, or mx's wide values; word i at
// [AW*LANES*i +: AW*LANES]) with, for mx (ACT_FMT 1), each word's block exponents on exp_flat
// (XW bits a word, at [XW*i +: XW]: rf_mx_exp's read port), muxed by act_idx as the core would
// (words >= MAXW read as zero): combinationally (ACT_REG 1), or registered here, the word of the
// previous cycle's act_idx (ACT_REG 0, as rf_core's rf_actread).
`default_nettype none

module rf_matvec_tb #(
    parameter integer LANES        = 8,
    parameter integer ADDR_BITS    = 10,
    parameter integer RQ_ADDR_BITS = 8,
    parameter integer W_DEPTH      = 1024,
    parameter integer RQ_DEPTH     = 256,
    parameter integer MAXW         = 32,
    parameter integer WPR_BITS     = 8,      // holds MAXW (rows of more than 255 words need > 8)
    parameter integer ACT_REG      = 1,
    parameter integer ACT_FMT      = 0,
    parameter integer ACT_BLOCK    = 32,
    parameter integer ACT_WIDE_BITS = 15,
    parameter integer ACT_EXP_BITS = 3,
    localparam integer AW          = (ACT_FMT != 0) ? ACT_WIDE_BITS : 8,
    localparam integer NSUB        = (ACT_FMT != 0 && LANES > ACT_BLOCK) ? LANES / ACT_BLOCK : 1,
    localparam integer XW          = (ACT_FMT != 0) ? ACT_EXP_BITS * NSUB : 0,
    localparam integer XWP         = (XW > 0) ? XW : 1,
    parameter         W_FILE       = "",
    parameter         RQ_FILE      = ""
) (
    input  wire                      clk,
    input  wire                      rst_n,
    input  wire                      start,
    input  wire [ADDR_BITS-1:0]      cfg_base,
    input  wire [15:0]               cfg_rows,
    input  wire [WPR_BITS-1:0]       cfg_wpr,
    input  wire [RQ_ADDR_BITS-1:0]   cfg_rq_base,
    input  wire                      cfg_out16,
    input  wire [AW*LANES*MAXW-1:0]  act_flat,
    input  wire [XWP*MAXW-1:0]       exp_flat,
    output wire                      y_valid,
    output wire [15:0]               y_row,
    output wire signed [15:0]        y_data,
    output wire                      done,
    output wire                      busy
);
    wire [ADDR_BITS-1:0]    w_addr;
    wire [8*LANES-1:0]      w_data;
    wire [RQ_ADDR_BITS-1:0] rq_addr;
    wire [23:0]             rq_data;
    wire [WPR_BITS-1:0]     act_idx;
    reg  [AW*LANES+XW-1:0]  act_sel;        // {exponents (mx), lanes} of word act_idx
    wire [AW*LANES+XW-1:0]  act_word;

    integer i;
    always @(*) begin
        act_sel = {(AW * LANES + XW){1'b0}};
        for (i = 0; i < MAXW; i = i + 1)
            if (32'(act_idx) == i) act_sel = (AW * LANES + XW)'({exp_flat[XWP*i +: XWP], act_flat[AW*LANES*i +: AW*LANES]});
    end
    generate
        if (ACT_REG != 0) begin : g_comb
            assign act_word = act_sel;
        end else begin : g_reg
            reg [AW*LANES+XW-1:0] act_q;
            always @(posedge clk) act_q <= act_sel;
            assign act_word = act_q;
        end
    endgenerate

    rf_rom #(
        .WIDTH     (8 * LANES),
        .DEPTH     (W_DEPTH),
        .ADDR_BITS (ADDR_BITS),
        .FILE      (W_FILE),
        .OUT_REG   (1)                 // rf_matvec's contract: w_data 2 cycles after w_addr
    ) u_wrom (
        .clk   (clk),
        .en    (1'b1),
        .addr  (w_addr),
        .rdata (w_data)
    );

    rf_rom #(
        .WIDTH     (24),
        .DEPTH     (RQ_DEPTH),
        .ADDR_BITS (RQ_ADDR_BITS),
        .FILE      (RQ_FILE),
        .OUT_REG   (1)                 // rq_data 2 cycles after rq_addr
    ) u_rqrom (
        .clk   (clk),
        .en    (1'b1),
        .addr  (rq_addr),
        .rdata (rq_data)
    );

    rf_matvec #(
        .LANES        (LANES),
        .ADDR_BITS    (ADDR_BITS),
        .RQ_ADDR_BITS (RQ_ADDR_BITS),
        .WPR_BITS     (WPR_BITS),
        .ACT_REG      (ACT_REG),
        .ACT_FMT      (ACT_FMT),
        .ACT_BLOCK    (ACT_BLOCK),
        .ACT_WIDE_BITS(ACT_WIDE_BITS),
        .ACT_EXP_BITS (ACT_EXP_BITS)
    ) u_dut (
        .clk         (clk),
        .rst_n       (rst_n),
        .start       (start),
        .cfg_base    (cfg_base),
        .cfg_rows    (cfg_rows),
        .cfg_wpr     (cfg_wpr),
        .cfg_rq_base (cfg_rq_base),
        .cfg_out16   (cfg_out16),
        .w_addr      (w_addr),
        .w_data      (w_data),
        .rq_addr     (rq_addr),
        .rq_data     (rq_data),
        .act_idx     (act_idx),
        .act_word    (act_word),
        .y_valid     (y_valid),
        .y_row       (y_row),
        .y_data      (y_data),
        .done        (done),
        .busy        (busy)
    );
endmodule

`default_nettype wire
