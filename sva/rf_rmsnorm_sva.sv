// rf_rmsnorm_sva -- bound into rf_rmsnorm (docs/assertions.md): the running sum of squares a
// normalization takes is complete. A normalization begins only when no write's squares are still
// on their way into the sum (a start earlier than that is held: `pend`), a held start begins within
// NORM_SUM_LAT - 1 cycles, and nothing is written while a start is held or a normalization runs
// (the lane multipliers, the x register and the sum belong to it then).
`default_nettype none

module rf_rmsnorm_sva #(
    parameter integer LANES = 8
) (
    input wire             clk,
    input wire             rst_n,
    input wire             go,
    input wire             pend,
    input wire             busy,
    input wire [LANES-1:0] sq_we,
    input wire             en_m1,
    input wire             en_sq,
    input wire             en_acc
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_start_after_sum: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        go |-> !(en_m1 || en_sq || en_acc))
        else $error("rf_rmsnorm_sva.a_start_after_sum: began while a write's squares were still in flight");
    a_pend_bounded: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        pend |-> ##[0:3] go)
        else $error("rf_rmsnorm_sva.a_pend_bounded: a held start did not begin within NORM_SUM_LAT - 1 = 3 cycles");
    a_no_write_while_busy: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy || pend |-> sq_we == '0)
        else $error("rf_rmsnorm_sva.a_no_write_while_busy: a write while a start is held or normalizing");
endmodule

bind rf_rmsnorm rf_rmsnorm_sva #(.LANES(LANES)) u_sva (.*);

`default_nettype wire
