// rf_requant -- the one requantization unit (docs/arithmetic.md section 3):
//   y = sat(rsr(acc * mult, shift), OUT_BITS), rsr rounds half toward +inf.
// Purely combinational; callers register the result.
//
// Widths (docs/arithmetic.md 3, "requant widths"): the spec computes in int64; the unit needs only
//   PROD_BITS = ACC_BITS + 16: |acc * mult| <= 2^(ACC_BITS-1) * (2^16 - 1) < 2^(ACC_BITS+15);
//   SUM_BITS  = PROD_BITS + 1: prod + 2^(shift-1) with shift <= PROD_BITS - 1 cannot overflow;
//   shift >= PROD_BITS gives 0 exactly: then 0 <= prod + 2^(shift-1) < 2^shift.
`default_nettype none

module rf_requant #(
    parameter integer ACC_BITS = 32,
    parameter integer OUT_BITS = 8
) (
    input  wire signed [ACC_BITS-1:0] acc,
    input  wire        [15:0]         mult,   // M in [0, 2^16)
    input  wire        [5:0]          shift,  // S in [0, 63]
    output reg  signed [OUT_BITS-1:0] y
);
    localparam integer PROD_BITS = ACC_BITS + 16;
    localparam integer SUM_BITS  = PROD_BITS + 1;
    localparam signed [SUM_BITS-1:0] MAXV = (SUM_BITS'(1) <<< (OUT_BITS - 1)) - 1;
    localparam signed [SUM_BITS-1:0] MINV = -(SUM_BITS'(1) <<< (OUT_BITS - 1));

    wire signed [PROD_BITS-1:0] prod = PROD_BITS'(acc) * $signed({1'b0, mult});
    wire                        zero = (32'(shift) >= PROD_BITS);     // rsr gives 0 (see above)

    reg signed [SUM_BITS-1:0] half;
    reg signed [SUM_BITS-1:0] shifted;

    always @(*) begin
        half    = (shift == 6'd0 || zero) ? {SUM_BITS{1'b0}} : (SUM_BITS'(1) <<< (shift - 6'd1));
        shifted = (SUM_BITS'(prod) + half) >>> shift;
        if (zero)                y = {OUT_BITS{1'b0}};
        else if (shifted > MAXV) y = MAXV[OUT_BITS-1:0];
        else if (shifted < MINV) y = MINV[OUT_BITS-1:0];
        else                     y = shifted[OUT_BITS-1:0];
    end
endmodule

`default_nettype wire
