// rf_rope -- one RoPE pair rotation (docs/arithmetic.md section 5), combinational:
//   a2 = sat(rsr(a*c - b*s, 14), 8)
//   b2 = sat(rsr(a*s + b*c, 14), 8)
// c, s are the COS/SIN table entries (int16, 14 fraction bits).
`default_nettype none

module rf_rope (
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    input  wire signed [15:0] c,
    input  wire signed [15:0] s,
    output reg  signed [7:0]  a2,
    output reg  signed [7:0]  b2
);
    localparam integer FRAC = 14;
    // |a*c| <= 2^7 * 2^15 = 2^22, so a sum of two products plus the rounding term fits 25 bits
    reg signed [24:0] ra;
    reg signed [24:0] rb;
    reg signed [24:0] qa;
    reg signed [24:0] qb;

    always @(*) begin
        ra = 25'(a) * 25'(c) - 25'(b) * 25'(s) + 25'sd8192;   // + 2^(FRAC-1)
        rb = 25'(a) * 25'(s) + 25'(b) * 25'(c) + 25'sd8192;
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
