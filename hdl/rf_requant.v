// rf_requant -- the one requantization unit (docs/arithmetic.md section 3):
//   y = sat(rsr(acc * mult, shift), OUT_BITS), rsr rounds half toward +inf.
// Purely combinational (the product, rf_rsr, rf_sat); callers register the result. On the clock's
// critical paths the callers instead register the product, then rf_rsr's output, then rf_sat's
// (rf_matvec, rf_attention, rf_swiglu, rf_lora, the embedding in rf_core: docs/rtl.md "Timing");
// this one-stage unit is the combinational reference of the unit benches (tests/test_rtl_units.py).
//
// Widths (docs/arithmetic.md 3, "requant widths"): the spec computes in int64; the unit needs only
//   PROD_BITS = ACC_BITS + 16: |acc * mult| <= 2^(ACC_BITS-1) * (2^16 - 1);
//   rf_rsr adds one bit for the rounding term and gives 0 exactly for shift >= PROD_BITS.
`default_nettype none

module rf_requant #(
    parameter integer ACC_BITS  = 32,
    parameter integer OUT_BITS  = 8
) (
    input  wire signed [ACC_BITS-1:0] acc,
    input  wire        [15:0]         mult,   // M
    input  wire        [5:0]          shift,  // S in [0, 63]
    output wire signed [OUT_BITS-1:0] y
);
    localparam integer PROD_BITS = ACC_BITS + 16;

    wire signed [PROD_BITS-1:0] prod = PROD_BITS'(acc) * $signed({1'b0, mult});
    wire signed [PROD_BITS:0]   rounded;

    rf_rsr #(.IN_BITS(PROD_BITS)) u_rsr (.clk(1'b0), .p(prod), .shift(shift), .r(rounded));
    rf_sat #(.IN_BITS(PROD_BITS + 1), .OUT_BITS(OUT_BITS)) u_sat (.x(rounded), .y(y));
endmodule

`default_nettype wire
