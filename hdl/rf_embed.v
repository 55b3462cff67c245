// rf_embed -- the embedding datapath (docs/rtl.md "Embedding"): a token's row of the weight ROM
// requantized to the int16 residual, one element per cycle through one rf_requant pipeline.
//
// While `run` is high (the sequencer's EMBED phase) the unit counts cycles k = 0, 1, ...: cycle k
// puts ROM word EMB_BASE + tok * WORDS + k / LANES on w_addr (registered), whose decoded lanes
// arrive on w_data three cycles later (address register, block RAM, ROM output register);
// element e = k - 3 is lane e % LANES of it, multiplied by the token's M (EMB_REQUANT ROM at
// tok), rounded and shifted (rf_requant PIPE 1, three register stages) and saturated: element e
// is on wr_data with wr_en and wr_idx = e in cycle e + EMBED_OVERHEAD (6). `last` is high in the
// phase's final cycle k = ELEMS + 5, which writes the last element (schedule: `embed`). `first`
// marks cycle 0 (rf_rope_gen starts there). Operand isolation: outside `run` the multiplier
// sees zero, so it does not toggle on every matvec word.
`default_nettype none

module rf_embed #(
    parameter integer LANES     = 8,
    parameter integer WBITS     = 8,       // decoded weight operand width (rf_wdecode)
    parameter integer WORDS     = 1,       // ROM words per row (WORDS_DIM)
    parameter integer ADDR_BITS = 8,       // weight ROM address
    parameter integer BASE      = 0,       // first word of the embedding table
    parameter integer RQ_DEPTH  = 1,       // EMB_REQUANT entries (one per token)
    parameter integer RQ_BITS   = 1,
    parameter         RQ_FILE   = "",
    parameter integer CW        = 8        // counter bits: holds LANES * WORDS + 5
) (
    input  wire                    clk,
    input  wire                    rst_n,
    input  wire                    run,
    input  wire [15:0]             tok,
    output reg  [ADDR_BITS-1:0]    w_addr,
    input  wire [WBITS*LANES-1:0]  w_data,
    output wire                    first,
    output wire                    last,
    output wire                    wr_en,
    output wire [CW-1:0]           wr_idx,
    output wire signed [15:0]      wr_data
);
    localparam integer ELEMS = LANES * WORDS;

    reg [CW-1:0] cnt;
    always @(posedge clk) begin
        if (!rst_n || !run) cnt <= {CW{1'b0}};
        else                cnt <= cnt + CW'(1);
    end
    always @(posedge clk) begin
        if (!rst_n)   w_addr <= {ADDR_BITS{1'b0}};
        else if (run) w_addr <= ADDR_BITS'(BASE) + ADDR_BITS'(tok) * ADDR_BITS'(WORDS) + ADDR_BITS'(32'(cnt) / LANES);
    end

    wire [23:0] rq;     // [15:0] M, [21:16] S of the token (registered ROM: valid from cycle 1)
    rf_rom #(.WIDTH(24), .DEPTH(RQ_DEPTH), .ADDR_BITS(RQ_BITS), .FILE(RQ_FILE)) u_rq (
        .clk(clk), .en(1'b1), .addr(tok[RQ_BITS-1:0]), .rdata(rq));

    wire [CW-1:0] elem = cnt - CW'(3);
    reg  [WBITS-1:0] operand;
    always @(*) begin
        operand = {WBITS{1'b0}};
        if (run) operand = w_data[WBITS * (32'(elem) % LANES) +: WBITS];
    end
    wire signed [WBITS+16:0] rounded;
    rf_requant #(.ACC_BITS(WBITS), .OUT_BITS(16), .PIPE(1)) u_requant (
        .clk(clk), .acc(operand), .mult(rq[15:0]), .shift(rq[21:16]), .r(rounded), .y(wr_data));

    assign first  = run && (cnt == {CW{1'b0}});
    assign last   = run && (cnt == CW'(ELEMS + 5));
    assign wr_en  = run && (cnt >= CW'(6));
    assign wr_idx = cnt - CW'(6);
    wire unused_ok = &{1'b0, rounded, rq[23:22], tok[15:RQ_BITS > 15 ? 15 : RQ_BITS]};
endmodule

`default_nettype wire
