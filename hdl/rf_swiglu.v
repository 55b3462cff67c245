// rf_swiglu -- SwiGLU gate of docs/arithmetic.md section 7, combinational:
//   g = sat(rsr(silu * h3 * mult, shift), 8) = requant(silu * h3, M_g, S_g, 8)
// silu is the SILU_l[h1 + 128] table entry (int16), h3 the W3 output (int8).
`default_nettype none

module rf_swiglu (
    input  wire signed [15:0] silu,
    input  wire signed [7:0]  h3,
    input  wire        [15:0] mult,    // M_g
    input  wire        [5:0]  shift,   // S_g
    output wire signed [7:0]  g
);
    // |silu * h3| <= 2^15 * 2^7 = 2^22: 24 bits signed
    wire signed [23:0] prod = 24'(silu) * 24'(h3);

    rf_requant #(
        .ACC_BITS(24),
        .OUT_BITS(8)
    ) u_requant (
        .acc   (prod),
        .mult  (mult),
        .shift (shift),
        .y     (g)
    );
endmodule

`default_nettype wire
