// rf_rope -- one RoPE pair rotation (docs/arithmetic.md section 5), one register stage:
//   a2 = sat(rsr(a*c - b*s, 14), 8)
//   b2 = sat(rsr(a*s + b*c, 14), 8)
// c, s are the COS/SIN table entries (int16, 14 fraction bits).
// The four products are registered at the edge that samples a, b, c, s (ROPE_LAT = 1); a2, b2
// follow them combinationally (sums, rounding, a constant shift and rf_sat), so they are
// valid in the cycle after the operands. No reset: pure datapath.
`default_nettype none

module rf_rope (
    input  wire               clk,
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    input  wire signed [15:0] c,
    input  wire signed [15:0] s,
    output wire signed [7:0]  a2,
    output wire signed [7:0]  b2
);
    localparam integer FRAC = 14;
    // |a*c| <= 2^7 * 2^15 = 2^22: 24 bits signed; a sum of two products plus the rounding term
    // fits 25 bits
    reg signed [23:0] ac, bs, as_, bc;
    always @(posedge clk) begin
        ac  <= 24'(a) * 24'(c);
        bs  <= 24'(b) * 24'(s);
        as_ <= 24'(a) * 24'(s);
        bc  <= 24'(b) * 24'(c);
    end

    wire signed [24:0] ra = 25'(ac) - 25'(bs) + 25'sd8192;   // + 2^(FRAC-1)
    wire signed [24:0] rb = 25'(as_) + 25'(bc) + 25'sd8192;
    wire signed [10:0] qa = ra[24:FRAC];                      // >>> FRAC: 25 - 14 bits
    wire signed [10:0] qb = rb[24:FRAC];

    rf_sat #(.IN_BITS(11), .OUT_BITS(8)) u_sat_a (.x(qa), .y(a2));   // sign bits, no comparators
    rf_sat #(.IN_BITS(11), .OUT_BITS(8)) u_sat_b (.x(qb), .y(b2));
    wire unused_frac = &{1'b0, ra[FRAC-1:0], rb[FRAC-1:0]};   // the bits the shift drops
endmodule

`default_nettype wire
