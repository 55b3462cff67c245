// rf_sat -- signed saturation to OUT_BITS, combinational (docs/arithmetic.md section 3):
//   y = min(max(x, -2^(OUT_BITS-1)), 2^(OUT_BITS-1) - 1)
// x fits OUT_BITS exactly when its bits IN_BITS-1 .. OUT_BITS-1 all equal its sign: a reduction,
// not two IN_BITS-wide comparisons (timing: no carry chain after rf_rsr's shifter).
`default_nettype none

module rf_sat #(
    parameter integer IN_BITS  = 49,
    parameter integer OUT_BITS = 8     // <= IN_BITS
) (
    input  wire signed [IN_BITS-1:0]  x,
    output wire signed [OUT_BITS-1:0] y
);
    wire [IN_BITS-OUT_BITS:0] top = x[IN_BITS-1:OUT_BITS-1];
    wire fits = (&top) || !(|top);
    wire neg  = x[IN_BITS-1];
    assign y = fits ? x[OUT_BITS-1:0] : (neg ? {1'b1, {(OUT_BITS - 1){1'b0}}} : {1'b0, {(OUT_BITS - 1){1'b1}}});
endmodule

`default_nettype wire
