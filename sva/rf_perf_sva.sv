// rf_perf_sva -- bound into rf_perf (docs/assertions.md): no performance counter wraps. A count
// never lands on a counter that holds all ones (a clear in the same cycle wins, as in the RTL).
`default_nettype none

module rf_perf_sva (
    input wire        clk,
    input wire        rst_n,
    input wire        clear,
    input wire        busy,
    input wire        fwd_start,
    input wire        tok_in,
    input wire        tok_out,
    input wire [63:0] cnt_cycles,
    input wire [31:0] cnt_tokens_in,
    input wire [31:0] cnt_tokens_out,
    input wire [31:0] fwd_cycles
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_cycles_no_wrap: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy && !clear |-> cnt_cycles != '1)
        else $error("rf_perf_sva.a_cycles_no_wrap: CYCLES wraps");
    a_tokens_in_no_wrap: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        tok_in && !clear |-> cnt_tokens_in != '1)
        else $error("rf_perf_sva.a_tokens_in_no_wrap: TOKENS_IN wraps");
    a_tokens_out_no_wrap: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        tok_out && !clear |-> cnt_tokens_out != '1)
        else $error("rf_perf_sva.a_tokens_out_no_wrap: TOKENS_OUT wraps");
    a_fwd_cycles_no_wrap: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy && !fwd_start |-> fwd_cycles != '1)
        else $error("rf_perf_sva.a_fwd_cycles_no_wrap: the forward pass cycle count (LAST_CYCLES) wraps");
endmodule

bind rf_perf rf_perf_sva u_sva (.*);

`default_nettype wire
