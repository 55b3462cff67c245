// rf_dot -- N signed products and their sum in three register stages (docs/rtl.md "rf_dot"):
//   edge 1  P   the N products a_i * b_i registered (ABITS + BBITS bits each)
//   edge 2  T1  sums of groups of TG products registered
//   edge 3  T2  the sum of the NG group sums: `sum`, exact in SBITS = ABITS + BBITS + ceil(log2 N)
// `sum` is the dot product of the a and b presented three edges earlier (a new pair every cycle).
// Used by rf_matvec (LANES weight x activation products) and rf_lora (its pre-pass over LANES and
// its B u product over RANK). One multiplier or one balanced half adder tree per stage (timing).
`default_nettype none

module rf_dot #(
    parameter integer N     = 8,
    parameter integer ABITS = 8,
    parameter integer BBITS = 8,
    localparam integer LOG_N = (N > 1) ? $clog2(N) : 0,
    localparam integer SBITS = ABITS + BBITS + LOG_N
) (
    input  wire                    clk,
    input  wire [ABITS*N-1:0]      a,        // N signed operands
    input  wire [BBITS*N-1:0]      b,        // N signed operands
    output reg  signed [SBITS-1:0] sum
);
    localparam integer PBITS = ABITS + BBITS;             // |a * b| <= 2^(ABITS-1) * 2^(BBITS-1)
    // tree split: T1 adds groups of TG products, T2 adds the NG group sums
    localparam integer TG    = 1 << ((LOG_N + 1) / 2);
    localparam integer NG    = (N + TG - 1) / TG;

    reg [PBITS*NG*TG-1:0] prod;  // entries >= N (tree padding) stay zero
    integer i;
    always @(posedge clk) begin
        for (i = 0; i < NG * TG; i = i + 1) begin
            if (i < N)
                prod[PBITS*i +: PBITS] <= PBITS'($signed(a[ABITS*i +: ABITS])) * PBITS'($signed(b[BBITS*i +: BBITS]));
            else
                prod[PBITS*i +: PBITS] <= {PBITS{1'b0}};
        end
    end

    reg        [SBITS*NG-1:0] gsum_d;
    reg        [SBITS*NG-1:0] gsum;
    reg signed [SBITS-1:0]    part;
    integer g, j;
    always @(*) begin
        gsum_d = {(SBITS * NG){1'b0}};
        for (g = 0; g < NG; g = g + 1) begin
            part = {SBITS{1'b0}};
            for (j = 0; j < TG; j = j + 1)
                part = part + SBITS'($signed(prod[PBITS*(g*TG + j) +: PBITS]));
            gsum_d[SBITS*g +: SBITS] = part;
        end
    end

    reg signed [SBITS-1:0] sum_d;
    integer k;
    always @(*) begin
        sum_d = {SBITS{1'b0}};
        for (k = 0; k < NG; k = k + 1)
            sum_d = sum_d + $signed(gsum[SBITS*k +: SBITS]);
    end

    always @(posedge clk) begin
        gsum <= gsum_d;
        sum  <= sum_d;
    end
endmodule

`default_nettype wire
