// rf_attention_sva -- bound into rf_attention (docs/assertions.md): the front's row counter never
// runs past the position plus the four gap cycles, the KV group counters stay below N_KV_HEADS and
// the back-end selector below the back ends used, a pass 2 starts only on a free back end, a back
// end's accumulators are never accumulated and shifted in the same cycle (its refill waits for the
// last normalize shift), and done is a one-cycle pulse.
`default_nettype none

module rf_attention_sva #(
    parameter integer  N_KV_HEADS = 1,
    parameter integer  NB = 1,
    parameter integer  G_BITS = 1,
    parameter integer  NB_BITS = 1
) (
    input wire               clk,
    input wire               rst_n,
    input wire [15:0]        t_cnt,
    input wire [15:0]        pos_r,
    input wire [G_BITS-1:0]  g_cnt,
    input wire [G_BITS-1:0]  g_k,
    input wire [NB_BITS-1:0] b_sel,
    input wire [NB-1:0]      b_ok,
    input wire               p2_go,
    input wire               a9_vld,
    input wire [NB_BITS-1:0] a9_b,
    input wire [NB-1:0]      norm_en,
    input wire               busy,
    input wire               done
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_t_cnt_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy |-> 32'(t_cnt) <= 32'(pos_r) + 32'd4)
        else $error("rf_attention_sva.a_t_cnt_range: row counter %0d at position %0d", t_cnt, pos_r);
    a_group_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy |-> 32'(g_cnt) < N_KV_HEADS && 32'(g_k) < N_KV_HEADS)
        else $error("rf_attention_sva.a_group_range: KV groups %0d (pass 2), %0d (pass 1) of %0d", g_cnt, g_k,
                    N_KV_HEADS);
    a_back_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        32'(b_sel) < NB)
        else $error("rf_attention_sva.a_back_range: back end %0d of %0d", b_sel, NB);
    a_back_free: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        p2_go |-> b_ok[b_sel])
        else $error("rf_attention_sva.a_back_free: pass 2 started on busy back end %0d", b_sel);
    a_refill_after_shift: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !(a9_vld && norm_en[a9_b]))
        else $error("rf_attention_sva.a_refill_after_shift: back end %0d accumulates while it normalizes", a9_b);
    a_done_pulse: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        done |=> !done)
        else $error("rf_attention_sva.a_done_pulse: done high for two cycles");
endmodule

bind rf_attention rf_attention_sva #(.N_KV_HEADS(N_KV_HEADS), .NB(NB), .G_BITS(G_BITS), .NB_BITS(NB_BITS)) u_sva (.*);

`default_nettype wire
