// rf_actbuf -- an activation buffer of N elements of EW bits with one write port: the element
// at widx takes wdata at the edge where we is high. The write decodes its index (one enable
// per element), never a variable part-select, which synthesizes to a full-width shifter.
// Every element is read in parallel on `flat` (element i at [EW*i +: EW]); reset clears it.
// rf_core holds the residual, the rotated query and key, the value row and the SwiGLU output
// in instances of it; rf_actread is the matvec's read port over the int8 buffers.
`default_nettype none

module rf_actbuf #(
    parameter integer N  = 8,
    parameter integer EW = 8
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire            we,
    input  wire [15:0]     widx,
    input  wire [EW-1:0]   wdata,
    output reg  [EW*N-1:0] flat
);
    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
            flat <= {(EW * N){1'b0}};
        end else if (we) begin
            for (i = 0; i < N; i = i + 1)
                if (widx == 16'(i)) flat[EW*i +: EW] <= wdata;
        end
    end
endmodule

`default_nettype wire
