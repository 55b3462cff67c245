`default_nettype none
// Code coverage builds only (tb/runner.py binds one into the top level of a Verilator coverage build).
//
// Writes the coverage counts as they stand when the design leaves reset, to the file named by the
// +romformer_codecov_reset=<path> plusarg; scripts/codecov.py subtracts that snapshot's toggle counts
// from the run's, so toggle coverage counts what the design does after reset, not a register's move
// from its random initial value (ROMFORMER_XRAND=1) to its reset value. Line, branch and expression
// counts are not touched: the reset branches are code like any other.
//
// After the first time step (the first input values) every mark writes a first snapshot; then
// MODE 2: at the first clock edge with rst_n high after an edge that saw it low (reset released);
// MODE 1: a top level without a reset: at its first clock edge;
// MODE 0: a top level without a clock: the first snapshot stays.
// A bench that never resets (or never clocks) its top level keeps the first snapshot.
module rf_codecov_mark #(
    parameter int MODE = 2
) (
    input wire clk,
    input wire rst_n
);
    import "DPI-C" function void rf_codecov_snapshot(input string path);

    bit    held  = 1'b0;   // testbench state: initialised, so random initial values do not reach it
    bit    final_taken = 1'b0;
    string path;

    task automatic snapshot();
        if ($value$plusargs("romformer_codecov_reset=%s", path)) rf_codecov_snapshot(path);
    endtask

    initial begin
        #1;
        if (!final_taken) snapshot();
    end
    generate
        if (MODE != 0) begin : g_clock
            always @(posedge clk) begin
                if (!final_taken && (MODE == 1 || (held && rst_n))) begin
                    final_taken = 1'b1;
                    snapshot();
                end
                if (!rst_n) held = 1'b1;
            end
        end
    endgenerate
endmodule
`default_nettype wire
