// rf_rope -- one RoPE pair rotation (docs/arithmetic.md section 5), one register stage:
//   a2 = sat(rsr(a*c - b*s, 14), BITS)
//   b2 = sat(rsr(a*s + b*c, 14), BITS)
// c, s are the COS/SIN table entries (int16, 14 fraction bits); a, b, a2, b2 are q or k elements
// of BITS bits: the activation format's ACT_QKV_BITS (docs/arithmetic.md 3b: 8 for --act static,
// 12 for --act mx, whose q and k keep 4 more fraction bits).
// The four products are registered at the edge that samples a, b, c, s (ROPE_LAT = 1); a2, b2
// follow them combinationally (sums, rf_rsr's rounding add and constant shift, rf_sat), so they
// are valid in the cycle after the operands. No reset: pure datapath.
`default_nettype none

module rf_rope #(
    parameter integer BITS = 8      // q/k width: ACT_QKV_BITS
) (
    input  wire                   clk,
    input  wire signed [BITS-1:0] a,
    input  wire signed [BITS-1:0] b,
    input  wire signed [15:0]     c,
    input  wire signed [15:0]     s,
    output wire signed [BITS-1:0] a2,
    output wire signed [BITS-1:0] b2
);
    localparam integer FRAC   = 14;
    // |a*c| <= 2^(BITS-1) * 2^15: PBITS = BITS + 16 bits signed; the sum of two products fits
    // SBITS = BITS + 17 (rf_rsr adds the rounding term in one bit more)
    localparam integer PBITS  = BITS + 16;
    localparam integer SBITS  = BITS + 17;
    reg signed [PBITS-1:0] ac, bs, as_, bc;
    always @(posedge clk) begin
        ac  <= PBITS'(a) * PBITS'(c);
        bs  <= PBITS'(b) * PBITS'(s);
        as_ <= PBITS'(a) * PBITS'(s);
        bc  <= PBITS'(b) * PBITS'(c);
    end

    wire signed [SBITS-1:0] sa = SBITS'(ac) - SBITS'(bs);
    wire signed [SBITS-1:0] sb = SBITS'(as_) + SBITS'(bc);
    wire signed [SBITS:0]   ra, rb;                           // rsr(sum, 14): the constant shift is wiring
    rf_rsr #(.IN_BITS(SBITS)) u_rsr_a (.clk(clk), .p(sa), .shift(6'(FRAC)), .r(ra));
    rf_rsr #(.IN_BITS(SBITS)) u_rsr_b (.clk(clk), .p(sb), .shift(6'(FRAC)), .r(rb));
    rf_sat #(.IN_BITS(SBITS + 1), .OUT_BITS(BITS)) u_sat_a (.x(ra), .y(a2));   // sign bits, no comparators
    rf_sat #(.IN_BITS(SBITS + 1), .OUT_BITS(BITS)) u_sat_b (.x(rb), .y(b2));
endmodule

`default_nettype wire
