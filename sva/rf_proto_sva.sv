// rf_proto_sva -- bound into rf_proto (docs/assertions.md): at most one error flag per cycle
// (the flags of ERROR are one-hot or zero), a prompt beat either starts a forward pass or ends an
// erroneous prompt, never both, a forward pass starts only with a position left in the context,
// the generated-token count never wraps, and in_ready carries no X once out of reset.
`default_nettype none

module rf_proto_sva #(
    parameter integer SEQ_LEN = 64
) (
    input wire        clk,
    input wire        rst_n,
    input wire [2:0]  err_set,
    input wire        go,
    input wire        err_end,
    input wire [15:0] pos,
    input wire        emit_ack,
    input wire [15:0] gen_count,
    input wire        in_ready
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_err_onehot0: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        $onehot0(err_set))
        else $error("rf_proto_sva.a_err_onehot0: err_set %b has more than one flag", err_set);
    a_go_xor_err: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !(go && err_end))
        else $error("rf_proto_sva.a_go_xor_err: a prompt beat both starts a pass and ends an erroneous prompt");
    a_go_in_context: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        go |-> 32'(pos) < SEQ_LEN)
        else $error("rf_proto_sva.a_go_in_context: a forward pass starts at position %0d of %0d", pos, SEQ_LEN);
    a_gen_count_no_wrap: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        emit_ack |-> gen_count != 16'hFFFF)
        else $error("rf_proto_sva.a_gen_count_no_wrap: the generated-token count wraps");
    a_no_x: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !$isunknown({in_ready, go, err_end}))
        else $error("rf_proto_sva.a_no_x: X on in_ready, go or err_end");
endmodule

bind rf_proto rf_proto_sva #(.SEQ_LEN(SEQ_LEN)) u_sva (.*);

`default_nettype wire
