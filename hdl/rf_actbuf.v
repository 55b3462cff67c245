// rf_actbuf -- an activation buffer of N elements of EW bits with one grouped write port: the
// buffer is N / G groups of G elements, and at an edge where lane enable we[j] is high, element
// G * widx + j takes lane j of wdata (wdata[EW*j +: EW]). A write of all G lanes fills a group; a
// write of one element e is widx = e / G with only lane e % G enabled. The write decodes its
// group index (one enable per group and lane), never a variable part-select, which synthesizes
// to a full-width shifter. Every element is read in parallel on `flat` (element i at
// [EW*i +: EW]); reset clears it. rf_core holds the residual (G = NORM_LANES: the embedding writes
// NORM_LANES elements a cycle, the WO/W2 rows one), the rotated query and key, the value row and
// the SwiGLU output (G = 1) in instances of it; rf_actread is the matvec's read port over the
// int8 buffers.
`default_nettype none

module rf_actbuf #(
    parameter integer N  = 8,
    parameter integer EW = 8,
    parameter integer G  = 1        // elements per group: a divisor of N
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire [G-1:0]    we,      // lane enables
    input  wire [15:0]     widx,    // group index
    input  wire [EW*G-1:0] wdata,
    output reg  [EW*N-1:0] flat
);
    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
            flat <= {(EW * N){1'b0}};
        end else begin
            for (i = 0; i < N; i = i + 1)
                if (we[i % G] && widx == 16'(i / G)) flat[EW*i +: EW] <= wdata[EW*(i % G) +: EW];
        end
    end
endmodule

`default_nettype wire
