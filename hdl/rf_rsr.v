// rf_rsr -- rounding arithmetic shift right of docs/arithmetic.md section 3, combinational:
//   r = rsr(p, shift) = floor((p + 2^(shift-1)) / 2^shift)   (round half toward +inf; r = p at 0)
// Widths: r has IN_BITS + 1 bits (p + 2^(shift-1) with shift <= IN_BITS - 1 cannot overflow them);
// shift >= IN_BITS gives 0 exactly: |p| < 2^(IN_BITS-1) <= 2^(shift-1), so
// 0 <= p + 2^(shift-1) < 2^shift.
// The saturation that usually follows is rf_sat; rf_requant is the product, rf_rsr and rf_sat.
`default_nettype none

module rf_rsr #(
    parameter integer IN_BITS = 48
) (
    input  wire signed [IN_BITS-1:0] p,
    input  wire        [5:0]         shift,   // 0 .. 63
    output reg  signed [IN_BITS:0]   r
);
    localparam integer SUM_BITS = IN_BITS + 1;
    wire zero = (32'(shift) >= IN_BITS);

    reg signed [SUM_BITS-1:0] half;
    reg signed [SUM_BITS-1:0] shifted;
    always @(*) begin
        half    = (shift == 6'd0 || zero) ? {SUM_BITS{1'b0}} : (SUM_BITS'(1) <<< (shift - 6'd1));
        shifted = (SUM_BITS'(p) + half) >>> shift;      // all operands signed: arithmetic shift
        r       = zero ? {SUM_BITS{1'b0}} : shifted;
    end
endmodule

`default_nettype wire
