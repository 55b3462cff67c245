// rf_perf_tb -- unit-test wrapper: rf_perf as an instance (u_perf) with the same ports, so the
// bench can preset its counters (a VPI deposit into u_perf's registers; Verilator keeps a
// top-level output port apart from the register behind it, so a deposit there does not stick).
`default_nettype none

module rf_perf_tb (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        clear,
    input  wire        busy,
    input  wire        fwd_start,
    input  wire        fwd_end,
    input  wire        tok_in,
    input  wire        tok_out,
    output wire [63:0] cnt_cycles,
    output wire [31:0] cnt_tokens_in,
    output wire [31:0] cnt_tokens_out,
    output wire [31:0] cnt_last_cycles
);
    rf_perf u_perf (
        .clk(clk), .rst_n(rst_n), .clear(clear), .busy(busy), .fwd_start(fwd_start), .fwd_end(fwd_end),
        .tok_in(tok_in), .tok_out(tok_out), .cnt_cycles(cnt_cycles), .cnt_tokens_in(cnt_tokens_in),
        .cnt_tokens_out(cnt_tokens_out), .cnt_last_cycles(cnt_last_cycles));
endmodule

`default_nettype wire
