// rf_rope -- one RoPE pair rotation (docs/arithmetic.md section 5), one register stage:
//   a2 = sat(rsr(a*c - b*s, 14), 8)
//   b2 = sat(rsr(a*s + b*c, 14), 8)
// c, s are the COS/SIN table entries (int16, 14 fraction bits).
// The four products are registered at the edge that samples a, b, c, s (ROPE_LAT = 1); a2, b2
// follow them combinationally (sums, rounding, a constant shift and saturation), so they are
// valid in the cycle after the operands. No reset: pure datapath.
`default_nettype none

module rf_rope (
    input  wire               clk,
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    input  wire signed [15:0] c,
    input  wire signed [15:0] s,
    output reg  signed [7:0]  a2,
    output reg  signed [7:0]  b2
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

    reg signed [24:0] ra;
    reg signed [24:0] rb;
    reg signed [24:0] qa;
    reg signed [24:0] qb;

    always @(*) begin
        ra = 25'(ac) - 25'(bs) + 25'sd8192;   // + 2^(FRAC-1)
        rb = 25'(as_) + 25'(bc) + 25'sd8192;
        qa = ra >>> FRAC;
        qb = rb >>> FRAC;
        if (qa > 25'sd127)       a2 = 8'sd127;
        else if (qa < -25'sd128) a2 = -8'sd128;
        else                     a2 = qa[7:0];
        if (qb > 25'sd127)       b2 = 8'sd127;
        else if (qb < -25'sd128) b2 = -8'sd128;
        else                     b2 = qb[7:0];
    end
endmodule

`default_nettype wire
