// rf_embed -- the embedding datapath (docs/rtl.md "Embedding"): a token's row of the weight ROM
// requantized to the int16 residual, GROUP elements per cycle through GROUP rf_requant pipelines
// (one per lane, the token's M and S shared).
//
// While `run` is high (the sequencer's EMBED phase) the unit counts cycles k = 0, 1, ...: cycle
// k < GROUPS puts ROM word EMB_BASE + tok * WORDS + k / (LANES / GROUP) on w_addr (registered; it
// holds after the last group's word, never addressing past the row), whose decoded lanes arrive
// on w_data three cycles later (address register, block RAM, ROM output register); group g = k - 3
// is lanes GROUP * (g % (LANES / GROUP)) .. + GROUP - 1 of it, multiplied by the token's M
// (EMB_REQUANT ROM at tok), rounded and shifted (rf_requant PIPE 1, three register stages) and
// saturated: elements GROUP * g .. GROUP * g + GROUP - 1 are on wr_data (lane j at [16*j +: 16])
// with wr_en and wr_grp = g in cycle g + WRITE_LAT (sim_models/schedule.py EMBED_WRITE = 6). The
// unit writes the first GROUPS groups of the row (rf_core: the NORM_ELEMS elements RMSNorm reads;
// the lane padding past them stays zero from reset). `last` is high in the phase's final cycle
// k = GROUPS + 5, the cycle of the last write (RMSNorm, started on the edge that ends it, holds
// its start until the write's squares are in its running sum; schedule: `embed`, EMBED_OVERHEAD =
// EMBED_WRITE = 6). `first` marks cycle 0
// (rf_rope_gen starts there, and RMSNorm's running sum of squares is cleared). Operand isolation:
// outside `run` the multipliers see zero, so they do not toggle on every matvec word.
`default_nettype none

module rf_embed #(
    parameter integer LANES     = 8,
    parameter integer GROUP     = 1,       // elements per cycle: a divisor of LANES
    parameter integer GROUPS    = 8,       // groups written: GROUP * GROUPS <= LANES * WORDS
    parameter integer WBITS     = 8,       // decoded weight operand width (rf_wdecode)
    parameter integer WORDS     = 1,       // ROM words per row (WORDS_DIM)
    parameter integer ADDR_BITS = 8,       // weight ROM address
    parameter integer BASE      = 0,       // first word of the embedding table
    parameter integer RQ_DEPTH  = 1,       // EMB_REQUANT entries (one per token)
    parameter integer RQ_BITS   = 1,
    parameter         RQ_FILE   = "",
    parameter integer CW        = 8        // counter bits: holds GROUPS + 7
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
    output wire [CW-1:0]           wr_grp,
    output wire [16*GROUP-1:0]     wr_data
);
    localparam integer PER_WORD = LANES / GROUP;    // groups per ROM word
    localparam integer GW       = WBITS * GROUP;    // one group's operands
    localparam integer WRITE_LAT = 6;               // address register, ROM (2), product, round, shift + saturate

    reg [CW-1:0] cnt;
    always @(posedge clk) begin
        if (!rst_n || !run) cnt <= {CW{1'b0}};
        else                cnt <= cnt + CW'(1);
    end
    always @(posedge clk) begin
        if (!rst_n)   w_addr <= {ADDR_BITS{1'b0}};
        else if (run && cnt < CW'(GROUPS))   // the row's words only: the address holds after the last group's
            w_addr <= ADDR_BITS'(BASE) + ADDR_BITS'(tok) * ADDR_BITS'(WORDS) + ADDR_BITS'(32'(cnt) / PER_WORD);
    end

    wire [23:0] rq;     // [15:0] M, [21:16] S of the token (registered ROM: valid from cycle 1)
    rf_rom #(.WIDTH(24), .DEPTH(RQ_DEPTH), .ADDR_BITS(RQ_BITS), .FILE(RQ_FILE)) u_rq (
        .clk(clk), .en(1'b1), .addr(tok[RQ_BITS-1:0]), .rdata(rq));

    wire [CW-1:0] grp = cnt - CW'(3);
    reg  [GW-1:0] operands;
    always @(*) begin
        operands = {GW{1'b0}};
        if (run) operands = w_data[GW * (32'(grp) % PER_WORD) +: GW];
    end
    genvar j;
    generate
        for (j = 0; j < GROUP; j = j + 1) begin : g_lane
            wire signed [WBITS+16:0] rounded;
            rf_requant #(.ACC_BITS(WBITS), .OUT_BITS(16), .PIPE(1)) u_requant (
                .clk(clk), .acc(operands[WBITS*j +: WBITS]), .mult(rq[15:0]), .shift(rq[21:16]), .r(rounded),
                .y(wr_data[16*j +: 16]));
            wire unused_ok = &{1'b0, rounded};
        end
    endgenerate

    assign first  = run && (cnt == {CW{1'b0}});
    assign last   = run && (cnt == CW'(GROUPS + WRITE_LAT - 1));
    assign wr_en  = run && (cnt >= CW'(WRITE_LAT)) && (cnt < CW'(GROUPS + WRITE_LAT));
    assign wr_grp = cnt - CW'(WRITE_LAT);
    wire unused_ok = &{1'b0, grp, rq[23:22], tok[15:RQ_BITS > 15 ? 15 : RQ_BITS]};   // grp: one group per word
endmodule

`default_nettype wire
