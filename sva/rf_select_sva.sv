// rf_select_sva -- bound into rf_select (docs/assertions.md): the counters of a sampled selection
// stay in range (k of the running selection in 1..KLIM, the issue counter at most 2k while busy,
// logits seen at most KLIM: none wraps), and done is a one-cycle pulse.
`default_nettype none

module rf_select_sva #(
    parameter integer KLIM = 64,
    parameter integer CW   = 9
) (
    input wire          clk,
    input wire          rst_n,
    input wire          busy,
    input wire [CW-1:0] ic,
    input wire [CW-1:0] k_run,
    input wire [CW-1:0] k_r,
    input wire [CW-1:0] n_seen,
    input wire          done
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_k_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        k_run >= CW'(1) && 32'(k_run) <= KLIM && k_r >= CW'(1) && 32'(k_r) <= KLIM)
        else $error("rf_select_sva.a_k_range: k_run %0d, k_r %0d with KLIM %0d", k_run, k_r, KLIM);
    a_ic_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy |-> 32'(ic) <= 2 * 32'(k_run))
        else $error("rf_select_sva.a_ic_range: issue counter %0d with k %0d", ic, k_run);
    a_n_seen_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        32'(n_seen) <= KLIM)
        else $error("rf_select_sva.a_n_seen_range: %0d logits counted with KLIM %0d", n_seen, KLIM);
    a_done_pulse: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        done |=> !done)
        else $error("rf_select_sva.a_done_pulse: done high for two cycles");
    a_no_x: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !$isunknown({busy, done}))
        else $error("rf_select_sva.a_no_x: X on busy or done");
endmodule

bind rf_select rf_select_sva #(.KLIM(KLIM), .CW(CW)) u_sva (.*);

`default_nettype wire
