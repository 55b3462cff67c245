// rf_actread -- the matvec's activation read port over the buffers a matrix phase reads: src 0
// the RMSNorm output (W0 words), 1 the attention output (W1 words), 2 the SwiGLU output (W2
// words), one word of LANES EW-bit elements at a time (EW = ACT_WIDE_BITS: 8 for --act static, 15
// for --act mx); words past a buffer's end read 0.
//
// MX = 1 (--act mx, docs/arithmetic.md 3b): word_a carries above the elements the word's block
// exponents (XW bits: one EXP_BITS exponent when LANES <= B, LANES / B otherwise), registered with
// the word (rf_matvec's act_word). One block exponent unit (rf_mx_exp) per buffer: buffers 0 and 1
// are the RMSNorm and attention units' output registers, written before the unit's done and stable
// until its next start, so their units take the whole register as one write every cycle (their
// exponents follow the register one edge later: a matvec reads its first word two edges after the
// start that sees the done); buffer 2, the SwiGLU output, is watched element by element as
// rf_rowglue writes it (g_we, g_idx, g_data; its N2-th element ends the vector), each exponent
// written with its block's last element.
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
    parameter integer IDX_BITS = 2,      // holds max(W0, W1, W2) + 1
    parameter integer EW       = 8,      // element bits
    parameter integer MX       = 0,      // the activation format (params.vh ACT_FMT): 1 mx, block exponents
    parameter integer B        = 32,     // mx block (a power of two, as LANES)
    parameter integer EXP_BITS = 3,
    parameter integer N2       = W2 * LANES,   // the inputs of buffer 2's vector
    localparam integer XW      = (MX != 0) ? EXP_BITS * ((LANES > B) ? LANES / B : 1) : 0
) (
    input  wire                   clk,
    input  wire                   rst_n,
    input  wire [1:0]             src,
    input  wire [EW*LANES*W0-1:0] buf0,
    input  wire [EW*LANES*W1-1:0] buf1,
    input  wire [EW*LANES*W2-1:0] buf2,
    input  wire                   g_we,       // the writes of buffer 2 (mx)
    input  wire [15:0]            g_idx,
    input  wire [EW-1:0]          g_data,
    input  wire [IDX_BITS-1:0]    idx_a,
    output wire [EW*LANES+XW-1:0] word_a,     // {exponents, word idx_a}, one cycle later
    input  wire [IDX_BITS-1:0]    idx_b,
    output reg  [8*LANES-1:0]     word_b      // word idx_b (each element's low 8 bits), combinational
);
    localparam integer WL  = EW * LANES;
    localparam integer WMAX = (W0 > W1) ? ((W0 > W2) ? W0 : W2) : ((W1 > W2) ? W1 : W2);
    localparam integer AG  = 4;                              // words per read group
    localparam integer AGB = 2;                              // log2(AG)
    localparam integer NAG = (WMAX + AG - 1) / AG;           // read groups
    localparam integer AGW = (IDX_BITS > AGB) ? IDX_BITS - AGB : 1;

    // word w of the selected buffer (0 past its end); the buffers are arguments, so that an
    // always @(*) that calls it is sensitive to them
    function automatic [WL-1:0] pick(input [1:0] s, input integer w, input [EW*LANES*W0-1:0] b0,
                                     input [EW*LANES*W1-1:0] b1, input [EW*LANES*W2-1:0] b2);
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
    generate
        if (MX != 0) begin : g_mx
            localparam integer P0 = 1 << $clog2(LANES * W0), P1 = 1 << $clog2(LANES * W1);   // whole-register writes
            wire [XW-1:0] x0, x1, x2;                   // the exponents of word idx_a in each buffer
            reg  [XW-1:0] x_q;
            rf_mx_exp #(.W(EW), .B(B), .G(P0), .N(LANES * W0), .LANES(LANES), .EXP_BITS(EXP_BITS), .IDX_BITS(IDX_BITS)) u_x0 (
                .clk(clk), .rst_n(rst_n), .we(1'b1), .widx(16'd0), .wdata((EW * P0)'(buf0)), .last(1'b1), .rd_idx(idx_a), .rd_exp(x0));
            rf_mx_exp #(.W(EW), .B(B), .G(P1), .N(LANES * W1), .LANES(LANES), .EXP_BITS(EXP_BITS), .IDX_BITS(IDX_BITS)) u_x1 (
                .clk(clk), .rst_n(rst_n), .we(1'b1), .widx(16'd0), .wdata((EW * P1)'(buf1)), .last(1'b1), .rd_idx(idx_a), .rd_exp(x1));
            rf_mx_exp #(.W(EW), .B(B), .G(1), .N(N2), .LANES(LANES), .EXP_BITS(EXP_BITS), .IDX_BITS(IDX_BITS)) u_x2 (
                .clk(clk), .rst_n(rst_n), .we(g_we), .widx(g_idx), .wdata(g_data), .last(g_idx == 16'(N2 - 1)),
                .rd_idx(idx_a), .rd_exp(x2));
            always @(posedge clk) x_q <= (src == 2'd1) ? x1 : (src == 2'd2) ? x2 : x0;
            assign word_a = {x_q, grp[grp_q]};
        end else begin : g_static
            assign word_a = grp[grp_q];
            wire unused_mx = &{1'b0, rst_n, g_we, g_idx, g_data, N2[0]};
        end
    endgenerate

    reg [WL-1:0] wb;
    integer k;
    always @(*) begin
        wb = {WL{1'b0}};
        for (k = 0; k < WMAX; k = k + 1)
            if (idx_b == IDX_BITS'(k)) wb = pick(src, k, buf0, buf1, buf2);
        for (k = 0; k < LANES; k = k + 1) word_b[8*k +: 8] = wb[EW*k +: 8];
    end
endmodule

`default_nettype wire
