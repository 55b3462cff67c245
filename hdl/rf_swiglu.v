// rf_swiglu -- SwiGLU gate of docs/arithmetic.md section 7, four register stages:
//   g = sat(rsr(silu * h3 * mult, shift), 8) = requant(silu * h3, M_g, S_g, 8)
// silu is the SILU_l[h1 + 128] table entry (int16), h3 the W3 output (int8).
// Edge 1 registers silu * h3, edge 2 its product with mult, edges 3 and 4 that product plus the
// rounding term, then shifted (rf_rsr, PIPE 1); g follows it combinationally (rf_sat), so it is
// valid four cycles after the operands (SWIGLU_LAT = 4). One multiplier, add or shift per stage.
// No reset: pure datapath.
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
    wire signed [40:0] rounded_q;     // rsr(prod, shift), two cycles after prod
    always @(posedge clk) begin
        sh3       <= 24'(silu) * 24'(h3);
        mult_q    <= mult;
        shift_q   <= shift;
        prod      <= 40'(sh3) * $signed({1'b0, mult_q});
        shift_qq  <= shift_q;
    end

    rf_rsr #(.IN_BITS(40), .PIPE(1)) u_rsr (.clk(clk), .p(prod), .shift(shift_qq), .r(rounded_q));
    rf_sat #(.IN_BITS(41), .OUT_BITS(8)) u_sat (.x(rounded_q), .y(g));
endmodule

`default_nettype wire
