// rf_requant -- the one requantization unit (docs/arithmetic.md section 3):
//   y = sat(rsr(acc * mult, shift), OUT_BITS), rsr rounds half toward +inf.
// Purely combinational (the product, rf_rsr, rf_sat); callers register the result. Where timing
// needs it, a caller registers the product itself and instantiates this with mult = 1 and
// MULT_BITS = 1, or registers between rf_rsr and rf_sat (rf_matvec).
//
// Widths (docs/arithmetic.md 3, "requant widths"): the spec computes in int64; the unit needs only
//   PROD_BITS = ACC_BITS + MULT_BITS: |acc * mult| <= 2^(ACC_BITS-1) * (2^MULT_BITS - 1)
//   (mult < 2^MULT_BITS is the caller's contract: 16 for a 16-bit M, 1 for the constant 1);
//   rf_rsr adds one bit for the rounding term and gives 0 exactly for shift >= PROD_BITS.
`default_nettype none

module rf_requant #(
    parameter integer ACC_BITS  = 32,
    parameter integer OUT_BITS  = 8,
    parameter integer MULT_BITS = 16
) (
    input  wire signed [ACC_BITS-1:0] acc,
    input  wire        [15:0]         mult,   // M in [0, 2^MULT_BITS)
    input  wire        [5:0]          shift,  // S in [0, 63]
    output wire signed [OUT_BITS-1:0] y
);
    localparam integer PROD_BITS = ACC_BITS + MULT_BITS;

    wire signed [PROD_BITS-1:0] prod = PROD_BITS'(acc) * $signed({1'b0, mult});
    wire signed [PROD_BITS:0]   rounded;

    rf_rsr #(.IN_BITS(PROD_BITS)) u_rsr (.p(prod), .shift(shift), .r(rounded));
    rf_sat #(.IN_BITS(PROD_BITS + 1), .OUT_BITS(OUT_BITS)) u_sat (.x(rounded), .y(y));
endmodule

`default_nettype wire
