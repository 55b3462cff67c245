// rf_requant -- the one requantization unit (docs/arithmetic.md section 3):
//   y = sat(rsr(acc * mult, shift), OUT_BITS), rsr rounds half toward +inf.
// PIPE = 0: combinational (the product, rf_rsr, rf_sat; clk unused), the reference of the unit
// benches. PIPE = 1: the pipeline every clocked caller uses (rf_matvec, rf_swiglu, rf_lora's
// pre-pass, rf_attention's exponent, the embedding): acc * mult registered with shift, then
// rf_rsr's two register stages (the rounding add, the shift), then rf_sat combinationally, so y
// is valid REQUANT_LAT = 3 cycles after acc, mult and shift (one multiplier, add or shift per
// stage: docs/rtl.md "Timing"). r is the rounded value before the saturation (IN_BITS + 17 bits),
// for callers that saturate to two widths.
//
// Widths (docs/arithmetic.md 3, "requant widths"): the spec computes in int64; the unit needs only
//   PROD_BITS = ACC_BITS + 16: |acc * mult| <= 2^(ACC_BITS-1) * (2^16 - 1);
//   rf_rsr adds one bit for the rounding term and gives 0 exactly for shift >= PROD_BITS.
`default_nettype none

module rf_requant #(
    parameter integer ACC_BITS  = 32,
    parameter integer OUT_BITS  = 8,
    parameter integer PIPE      = 0
) (
    input  wire                         clk,
    input  wire signed [ACC_BITS-1:0]   acc,
    input  wire        [15:0]           mult,   // M
    input  wire        [5:0]            shift,  // S in [0, 63]
    output wire signed [ACC_BITS+16:0]  r,      // rsr(acc * mult, shift)
    output wire signed [OUT_BITS-1:0]   y
);
    localparam integer PROD_BITS = ACC_BITS + 16;

    wire signed [PROD_BITS-1:0] prod = PROD_BITS'(acc) * $signed({1'b0, mult});
    wire signed [PROD_BITS-1:0] prod_s;
    wire        [5:0]           shift_s;

    generate
        if (PIPE == 0) begin : g_comb
            assign prod_s  = prod;
            assign shift_s = shift;
            wire unused_clk = &{1'b0, clk};
        end else begin : g_pipe
            reg signed [PROD_BITS-1:0] prod_q;
            reg        [5:0]           shift_q;
            always @(posedge clk) begin
                prod_q  <= prod;
                shift_q <= shift;
            end
            assign prod_s  = prod_q;
            assign shift_s = shift_q;
        end
    endgenerate

    rf_rsr #(.IN_BITS(PROD_BITS), .PIPE(PIPE)) u_rsr (.clk(clk), .p(prod_s), .shift(shift_s), .r(r));
    rf_sat #(.IN_BITS(PROD_BITS + 1), .OUT_BITS(OUT_BITS)) u_sat (.x(r), .y(y));
endmodule

`default_nettype wire
