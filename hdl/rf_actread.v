// rf_actread -- the matvec's activation read port over the int8 buffers a matrix phase reads:
// src 0 the RMSNorm output (W0 words), 1 the attention output (W1 words), 2 the SwiGLU output
// (W2 words), one LANES-byte word at a time; words past a buffer's end read 0.
//
// Port A (rf_matvec, ACT_REG 0) reads in two levels: a register per group of AG = 4 words holds
// the word of its group that idx selects, loaded at the edge after idx changes (the matvec's
// first activation register, moved here: no cycle added), then a mux of the group registers by
// idx one cycle late. Routing: one word mux over every buffer word pulled the buffers to one
// place of the die; the group registers sit beside their words.
// Port B (rf_lora's pre-pass) is the same selection, combinational.
`default_nettype none

module rf_actread #(
    parameter integer LANES    = 8,
    parameter integer W0       = 1,
    parameter integer W1       = 1,
    parameter integer W2       = 1,
    parameter integer IDX_BITS = 2       // holds max(W0, W1, W2) + 1
) (
    input  wire                   clk,
    input  wire [1:0]             src,
    input  wire [8*LANES*W0-1:0]  buf0,
    input  wire [8*LANES*W1-1:0]  buf1,
    input  wire [8*LANES*W2-1:0]  buf2,
    input  wire [IDX_BITS-1:0]    idx_a,
    output wire [8*LANES-1:0]     word_a,     // word idx_a, one cycle later
    input  wire [IDX_BITS-1:0]    idx_b,
    output reg  [8*LANES-1:0]     word_b      // word idx_b, combinational
);
    localparam integer WL  = 8 * LANES;
    localparam integer WMAX = (W0 > W1) ? ((W0 > W2) ? W0 : W2) : ((W1 > W2) ? W1 : W2);
    localparam integer AG  = 4;                              // words per read group
    localparam integer AGB = 2;                              // log2(AG)
    localparam integer NAG = (WMAX + AG - 1) / AG;           // read groups
    localparam integer AGW = (IDX_BITS > AGB) ? IDX_BITS - AGB : 1;

    // word w of the selected buffer (0 past its end); the buffers are arguments, so that an
    // always @(*) that calls it is sensitive to them
    function automatic [WL-1:0] pick(input [1:0] s, input integer w, input [8*LANES*W0-1:0] b0,
                                     input [8*LANES*W1-1:0] b1, input [8*LANES*W2-1:0] b2);
        pick = {WL{1'b0}};
        case (s)
            2'd1:    if (w < W1) pick = b1[w * WL +: WL];
            2'd2:    if (w < W2) pick = b2[w * WL +: WL];
            default: if (w < W0) pick = b0[w * WL +: WL];
        endcase
    endfunction

    reg  [WL-1:0]       grp [0:NAG-1];
    reg  [IDX_BITS-1:0] idx_q;
    wire [AGB-1:0]      lo    = AGB'(idx_a);
    wire [AGW-1:0]      grp_q = (IDX_BITS > AGB) ? AGW'(idx_q >> AGB) : {AGW{1'b0}};
    integer g, j;
    always @(posedge clk) begin
        idx_q <= idx_a;
        for (g = 0; g < NAG; g = g + 1) begin
            grp[g] <= {WL{1'b0}};
            for (j = 0; j < AG; j = j + 1)
                if (lo == AGB'(j)) grp[g] <= pick(src, g * AG + j, buf0, buf1, buf2);
        end
    end
    assign word_a = grp[grp_q];

    integer k;
    always @(*) begin
        word_b = {WL{1'b0}};
        for (k = 0; k < WMAX; k = k + 1)
            if (idx_b == IDX_BITS'(k)) word_b = pick(src, k, buf0, buf1, buf2);
    end
endmodule

`default_nettype wire
