// rf_swiglu -- SwiGLU gate of docs/arithmetic.md section 7, two register stages:
//   g = sat(rsr(silu * h3 * mult, shift), 8) = requant(silu * h3, M_g, S_g, 8)
// silu is the SILU_l[h1 + 128] table entry (int16), h3 the W3 output (int8).
// Edge 1 registers silu * h3, edge 2 its product with mult (SWIGLU_LAT = 2); g follows the
// second product combinationally (rf_requant with mult 1: round, shift, saturate), so it is
// valid two cycles after the operands. One multiplier per stage. No reset: pure datapath.
`default_nettype none

module rf_swiglu (
    input  wire               clk,
    input  wire signed [15:0] silu,
    input  wire signed [7:0]  h3,
    input  wire        [15:0] mult,    // M_g
    input  wire        [5:0]  shift,   // S_g
    output wire signed [7:0]  g
);
    // |silu * h3| <= 2^15 * 2^7 = 2^22: 24 bits signed; times M < 2^16: 40 bits
    reg signed [23:0] sh3;
    reg signed [39:0] prod;
    reg        [15:0] mult_q;
    reg        [5:0]  shift_q, shift_qq;
    always @(posedge clk) begin
        sh3      <= 24'(silu) * 24'(h3);
        mult_q   <= mult;
        shift_q  <= shift;
        prod     <= 40'(sh3) * $signed({1'b0, mult_q});
        shift_qq <= shift_q;
    end

    rf_requant #(
        .ACC_BITS(40),
        .OUT_BITS(8),
        .MULT_BITS(1)
    ) u_requant (
        .acc   (prod),
        .mult  (16'd1),
        .shift (shift_qq),
        .y     (g)
    );
endmodule

`default_nettype wire
