// rf_requant -- the one requantization unit (docs/arithmetic.md section 3):
//   y = sat(rsr(acc * mult, shift), OUT_BITS), rsr rounds half toward +inf.
// Purely combinational; callers register the result.
`default_nettype none

module rf_requant #(
    parameter integer ACC_BITS = 32,
    parameter integer OUT_BITS = 8
) (
    input  wire signed [ACC_BITS-1:0] acc,
    input  wire        [15:0]         mult,   // M in [2^14, 2^15]
    input  wire        [5:0]          shift,  // S in [1, 62]
    output reg  signed [OUT_BITS-1:0] y
);
    localparam integer PROD_BITS = 64;  // the spec is int64: shifts up to 62 need the headroom
    localparam signed [PROD_BITS-1:0] MAXV = (PROD_BITS'(1) <<< (OUT_BITS - 1)) - 1;
    localparam signed [PROD_BITS-1:0] MINV = -(PROD_BITS'(1) <<< (OUT_BITS - 1));

    reg signed [PROD_BITS-1:0] prod;
    reg signed [PROD_BITS-1:0] half;
    reg signed [PROD_BITS-1:0] shifted;

    always @(*) begin
        prod    = PROD_BITS'(acc) * $signed({1'b0, mult});
        half    = (shift == 6'd0) ? {PROD_BITS{1'b0}} : (PROD_BITS'(1) <<< (shift - 6'd1));
        shifted = (prod + half) >>> shift;
        if (shifted > MAXV)      y = MAXV[OUT_BITS-1:0];
        else if (shifted < MINV) y = MINV[OUT_BITS-1:0];
        else                     y = shifted[OUT_BITS-1:0];
    end
endmodule

`default_nettype wire
