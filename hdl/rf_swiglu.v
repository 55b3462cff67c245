// rf_swiglu -- SwiGLU gate of docs/arithmetic.md section 7, five register stages:
//   g = sat(rsr(silu * h3 * mult, shift), OUT_BITS) = requant(silu * h3, M_g, S_g, OUT_BITS)
// silu is the SILU_l[h1 + 128] table entry (int16), h3 the W3 output (int8). OUT_BITS is the
// activation format's wide width (params.vh ACT_WIDE_BITS, docs/arithmetic.md 3b): 8 for --act
// static, 15 for --act mx (M_g, S_g then target s_g 2^-F: a compiler constant).
// Edge 1 registers silu * h3, edges 2 to 4 are rf_requant's pipeline (the product with mult, the
// rounding add, the shift), edge 5 registers the saturated g, so it is valid five cycles after the
// operands (SWIGLU_LAT = 5). One multiplier, add or shift per stage; g is a register because it
// is the write bus of the HIDDEN-element gate buffer, which spans the die (timing: the routed
// critical path of a LANES 16 route, 4c5400b seed 1, ran from the shift register through the
// saturation to a far buffer flip-flop, 23.83 ns). No reset: pure datapath.
`default_nettype none

module rf_swiglu #(
    parameter integer OUT_BITS = 8     // g width: ACT_WIDE_BITS
) (
    input  wire               clk,
    input  wire signed [15:0] silu,
    input  wire signed [7:0]  h3,
    input  wire        [15:0] mult,    // M_g
    input  wire        [5:0]  shift,   // S_g
    output reg  signed [OUT_BITS-1:0] g
);
    // |silu * h3| <= 2^15 * 2^7 = 2^22: 24 bits signed; times M < 2^16: 40 bits
    reg signed [23:0] sh3;
    reg        [15:0] mult_q;
    reg        [5:0]  shift_q;
    wire signed [40:0] rounded_q;
    wire signed [OUT_BITS-1:0] g_sat;
    always @(posedge clk) begin
        sh3     <= 24'(silu) * 24'(h3);
        mult_q  <= mult;
        shift_q <= shift;
    end
    rf_requant #(.ACC_BITS(24), .OUT_BITS(OUT_BITS), .PIPE(1)) u_requant (
        .clk(clk), .acc(sh3), .mult(mult_q), .shift(shift_q), .r(rounded_q), .y(g_sat));
    always @(posedge clk) g <= g_sat;
    wire unused_r = &{1'b0, rounded_q};
endmodule

`default_nettype wire
