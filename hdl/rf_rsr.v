// rf_rsr -- rounding arithmetic shift right of docs/arithmetic.md section 3:
//   r = rsr(p, shift) = floor((p + 2^(shift-1)) / 2^shift)   (round half toward +inf; r = p at 0)
// Widths: r has IN_BITS + 1 bits (p + 2^(shift-1) with shift <= IN_BITS - 1 cannot overflow them);
// shift >= IN_BITS gives 0 exactly: |p| < 2^(IN_BITS-1) <= 2^(shift-1), so
// 0 <= p + 2^(shift-1) < 2^shift.
// PIPE = 0: combinational (clk unused). PIPE = 1: two register stages, the rounding add and then
// the shift (timing: the add's carry chain and the barrel shifter in one stage, from a shift
// amount that fans out to every bit, routed at 21.6 ns in rf_attention: docs/results.md), r valid
// two cycles after p and shift.
// The saturation that usually follows is rf_sat; rf_requant is the product, rf_rsr and rf_sat.
`default_nettype none

module rf_rsr #(
    parameter integer IN_BITS = 48,
    parameter integer PIPE    = 0
) (
    input  wire                      clk,
    input  wire signed [IN_BITS-1:0] p,
    input  wire        [5:0]         shift,   // 0 .. 63
    output wire signed [IN_BITS:0]   r
);
    localparam integer SUM_BITS = IN_BITS + 1;
    wire zero = (32'(shift) >= IN_BITS);

    reg signed [SUM_BITS-1:0] half;
    always @(*) half = (shift == 6'd0 || zero) ? {SUM_BITS{1'b0}} : (SUM_BITS'(1) <<< (shift - 6'd1));
    wire signed [SUM_BITS-1:0] sum = SUM_BITS'(p) + half;

    generate
        if (PIPE == 0) begin : g_comb
            wire signed [SUM_BITS-1:0] shifted = sum >>> shift;   // all operands signed: arithmetic shift
            assign r = zero ? {SUM_BITS{1'b0}} : shifted;
            wire unused_clk = &{1'b0, clk};
        end else begin : g_pipe
            reg signed [SUM_BITS-1:0] sum_q;
            reg        [5:0]          shift_q;
            reg                       zero_q;
            reg signed [SUM_BITS-1:0] r_q;
            // a separate signed wire: inside the ternary (one unsigned operand) >>> would be logical
            wire signed [SUM_BITS-1:0] shifted_q = sum_q >>> shift_q;
            always @(posedge clk) begin
                sum_q   <= sum;
                shift_q <= shift;
                zero_q  <= zero;
                r_q     <= zero_q ? {SUM_BITS{1'b0}} : shifted_q;
            end
            assign r = r_q;
        end
    endgenerate
endmodule

`default_nettype wire
