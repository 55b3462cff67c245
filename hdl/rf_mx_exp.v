// rf_mx_exp -- the block exponent unit of the mx activation format (docs/arithmetic.md section 3b
// "The block exponent unit", sim_models/mx.py block_exponents): it watches the W-bit wide values a
// producing unit writes to an activation buffer and keeps one exponent per block of B inputs,
//   e_b = max(0, bitlen(OR_{i in b} m_i) - 7),   m_i = v_i (v_i >= 0), ~v_i (v_i < 0),
// in a buffer the matrix-vector unit reads with each activation word.
//
// Write port (the buffer's, rf_actbuf style): at an edge with `we` high, elements G * widx ..
// G * widx + G - 1 take the G lanes of wdata (lane j at [W*j +: W]); `last` marks the write that
// holds the vector's last input. Blocks start at input 0, so with G and B powers of two a write
// lies in one block (G <= B) or holds G / B whole blocks (G > B). The writes of a vector come in
// index order, each block's last write after (or with) the block's other writes.
//   G <= B: the write's m_i are ORed into the OR register; at the block's last input (widx at
//           the last group of its block, or `last`: a short last block) e_b is written to entry
//           G * widx / B and the OR is cleared (the next vector starts clean).
//   G > B:  each of the write's G / B blocks is complete: its e_b is written at once (no OR
//           register).
// One leading-zero count (rf_lzc, W - 1 bits) per block of the write; entries are decoded per
// entry (no variable part-select); a write to blocks past the buffer changes no entry. The exponent
// is written at the edge of the block's last write, so it is readable from the next cycle on.
//
// Read port (combinational): the exponents of activation word rd_idx (LANES inputs): LANES <= B
// one, entry LANES * rd_idx / B; LANES > B the word's LANES / B blocks, entry LANES / B * rd_idx
// + k at rd_exp[EXP_BITS*k +: EXP_BITS]. Entries past the buffer read 0.
// Reset (synchronous, active low) clears the OR register and the buffer.
`default_nettype none

module rf_mx_exp #(
    parameter integer W        = 15,    // wide value bits (signed); W - 8 <= 2^EXP_BITS - 1
    parameter integer B        = 32,    // block (a power of two)
    parameter integer G        = 1,     // elements per write (a power of two)
    parameter integer N        = 64,    // inputs of the longest vector
    parameter integer LANES    = 8,     // inputs per activation word read (a power of two)
    parameter integer EXP_BITS = 3,
    parameter integer IDX_BITS = 8,     // rd_idx: holds the words of N
    localparam integer RE      = (LANES > B) ? LANES / B : 1    // exponents per word read
) (
    input  wire                     clk,
    input  wire                     rst_n,
    input  wire                     we,
    input  wire [15:0]              widx,     // write group index
    input  wire [W*G-1:0]           wdata,
    input  wire                     last,     // this write holds the vector's last input
    input  wire [IDX_BITS-1:0]      rd_idx,
    output reg  [EXP_BITS*RE-1:0]   rd_exp
);
    localparam integer MB   = W - 1;                                  // m_i bits
    localparam integer CB   = $clog2(MB + 1);                         // rf_lzc count bits
    localparam integer SUB  = (G > B) ? G / B : 1;                    // blocks per write
    localparam integer SL   = (G > B) ? B : G;                        // lanes per block of a write
    localparam integer GPB  = (G < B) ? B / G : 1;                    // writes per block
    localparam integer GPBB = (GPB > 1) ? $clog2(GPB) : 1;
    localparam integer WPRD = (N + LANES - 1) / LANES;                // words of a vector
    localparam integer NBLK = (N + B - 1) / B;
    localparam integer NE   = (WPRD * RE > NBLK) ? WPRD * RE : NBLK;  // entries (whole words when LANES > B)

    generate
        if ((B & (B - 1)) != 0 || (G & (G - 1)) != 0 || (LANES & (LANES - 1)) != 0) begin : g_bad_pow2
            initial $fatal(1, "rf_mx_exp: B %0d, G %0d and LANES %0d must be powers of two", B, G, LANES);
        end
        if (W - 8 > (1 << EXP_BITS) - 1 || W < 8) begin : g_bad_w
            initial $fatal(1, "rf_mx_exp: W %0d needs exponents 0..%0d, beyond %0d bits", W, W - 8, EXP_BITS);
        end
    endgenerate

    // ------------------------------------------------------------------ the write's blocks
    // m_i: the bits below the sign that differ from it; OR over each block's lanes of the write
    reg  [MB*SUB-1:0] m_or;
    reg  [MB-1:0]     or_q;                                           // G < B: the running block's OR
    integer s, j;
    always @(*) begin
        m_or = {(MB * SUB){1'b0}};
        for (s = 0; s < SUB; s = s + 1)
            for (j = 0; j < SL; j = j + 1)
                m_or[MB*s +: MB] = m_or[MB*s +: MB]
                                   | (wdata[W*(SL*s + j) +: MB] ^ {MB{wdata[W*(SL*s + j) + W - 1]}});
    end
    wire [MB*SUB-1:0] blk_or = m_or | {SUB{(G < B) ? or_q : {MB{1'b0}}}};
    wire              blk_end = (G >= B) || last || (&widx[GPBB-1:0]);   // G < B: widx % GPB == GPB - 1

    // e = max(0, bitlen - 7) = max(0, W - 8 - lzc)
    wire [EXP_BITS*SUB-1:0] e_new;
    genvar gs;
    generate
        for (gs = 0; gs < SUB; gs = gs + 1) begin : g_blk
            wire [CB-1:0] cnt;
            wire          zero;
            rf_lzc #(.WIDTH(MB)) u_lzc (.x(blk_or[MB*gs +: MB]), .cnt(cnt), .zero(zero));
            assign e_new[EXP_BITS*gs +: EXP_BITS] =
                (32'(cnt) >= W - 8) ? {EXP_BITS{1'b0}} : EXP_BITS'(W - 8 - 32'(cnt));
            wire unused_zero = &{1'b0, zero};
        end
    endgenerate

    // first entry the write completes: widx * SUB (G >= B), widx / GPB (G < B)
    wire [31:0] first_blk = (G >= B) ? 32'(widx) * SUB : 32'(widx >> GPBB);   // no wrap past the buffer

    always @(posedge clk) begin
        if (!rst_n || (we && blk_end)) or_q <= {MB{1'b0}};
        else if (we)                   or_q <= blk_or[MB-1:0];
    end

    reg [EXP_BITS*NE-1:0] ebuf;
    integer k;
    always @(posedge clk) begin
        if (!rst_n) begin
            ebuf <= {(EXP_BITS * NE){1'b0}};
        end else if (we && blk_end) begin
            for (k = 0; k < NE; k = k + 1)
                for (s = 0; s < SUB; s = s + 1)
                    if (first_blk + s == k) ebuf[EXP_BITS*k +: EXP_BITS] <= e_new[EXP_BITS*s +: EXP_BITS];
        end
    end

    // ------------------------------------------------------------------ read port
    localparam integer WPE  = (LANES < B) ? B / LANES : 1;            // words per entry (LANES <= B)
    localparam integer WPEB = (WPE > 1) ? $clog2(WPE) : 0;
    integer r;
    always @(*) begin
        rd_exp = {(EXP_BITS * RE){1'b0}};
        for (k = 0; k < NE; k = k + 1)
            for (r = 0; r < RE; r = r + 1)
                if ((RE > 1) ? (32'(rd_idx) * RE + r == k) : ((32'(rd_idx) >> WPEB) == k))
                    rd_exp[EXP_BITS*r +: EXP_BITS] = ebuf[EXP_BITS*k +: EXP_BITS];
    end
endmodule

`default_nettype wire
