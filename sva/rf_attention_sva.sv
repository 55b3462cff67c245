// rf_attention_sva -- bound into rf_attention (docs/assertions.md): the back state machine holds a
// legal code (IDLE, WAIT, NORM; the front's four codes are all states), the front's row counter
// never runs past the position plus the four gap cycles, the KV group counter stays below
// N_KV_HEADS, the normalize counter below HEAD_SIZE + 4, and done is a one-cycle pulse.
`default_nettype none

module rf_attention_sva #(
    parameter integer  HEAD_SIZE = 8,
    parameter integer  N_KV_HEADS = 1,
    parameter integer  B_BITS = 4,
    parameter integer  G_BITS = 1,
    parameter [1:0]    B_IDLE = 2'd0, B_WAIT = 2'd1, B_NORM = 2'd2
) (
    input wire              clk,
    input wire              rst_n,
    input wire [1:0]        bstate,
    input wire [15:0]       t_cnt,
    input wire [15:0]       pos_r,
    input wire [G_BITS-1:0] g_cnt,
    input wire [B_BITS-1:0] b_cnt,
    input wire              busy,
    input wire              done
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_bstate_legal: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        bstate == B_IDLE || bstate == B_WAIT || bstate == B_NORM)
        else $error("rf_attention_sva.a_bstate_legal: back state %0d", bstate);
    a_t_cnt_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        busy |-> 32'(t_cnt) <= 32'(pos_r) + 32'd4)
        else $error("rf_attention_sva.a_t_cnt_range: row counter %0d at position %0d", t_cnt, pos_r);
    a_group_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        32'(g_cnt) < N_KV_HEADS)
        else $error("rf_attention_sva.a_group_range: KV group %0d of %0d", g_cnt, N_KV_HEADS);
    a_b_cnt_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        bstate == B_NORM |-> 32'(b_cnt) <= HEAD_SIZE + 3)
        else $error("rf_attention_sva.a_b_cnt_range: normalize counter %0d", b_cnt);
    a_done_pulse: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        done |=> !done)
        else $error("rf_attention_sva.a_done_pulse: done high for two cycles");
endmodule

bind rf_attention rf_attention_sva #(.HEAD_SIZE(HEAD_SIZE), .N_KV_HEADS(N_KV_HEADS), .B_BITS(B_BITS), .G_BITS(G_BITS),
                                     .B_IDLE(B_IDLE), .B_WAIT(B_WAIT), .B_NORM(B_NORM)) u_sva (.*);

`default_nettype wire
