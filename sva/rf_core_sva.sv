// rf_core_sva -- bound into rf_core (docs/assertions.md): the sequencer's state is a legal phase,
// a phase's entry cycle is never in a protocol state, layer and position stay in the model's
// range (the position never wraps: a forward pass ends below SEQ_LEN), units are started only
// when idle (a start the unit would ignore would hang the phase) and attention is resumed only
// while it runs (its early start, att_pre, came before: a lost resume would hang ATT), the output beat register
// holds a beat until it is taken, and the stream valids carry no X once out of reset.
// The state codes come from rf_core's own localparams through the bind.
`default_nettype none

module rf_core_sva #(
    parameter integer  N_LAYERS = 1,
    parameter integer  SEQ_LEN  = 64,
    parameter [4:0]    S_IDLE = 5'd0, S_ERRBEAT = 5'd1, S_EMIT = 5'd14, S_DONE = 5'd15
) (
    input wire        clk,
    input wire        rst_n,
    input wire [4:0]  state,
    input wire        entry,
    input wire [7:0]  layer,
    input wire [15:0] pos,
    input wire        att_pre,
    input wire        att_start,
    input wire        att_busy,
    input wire        nrm_start,
    input wire        nrm_busy,
    input wire        out_valid,
    input wire        out_ready,
    input wire        out_last,
    input wire [15:0] out_data,
    input wire        in_ready
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_state_legal: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        state <= S_DONE)
        else $error("rf_core_sva.a_state_legal: sequencer state %0d is not a phase", state);
    a_entry_in_phase: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        entry |-> state != S_IDLE && state != S_ERRBEAT && state != S_EMIT)
        else $error("rf_core_sva.a_entry_in_phase: entry cycle in protocol state %0d", state);
    a_layer_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        32'(layer) < N_LAYERS)
        else $error("rf_core_sva.a_layer_range: layer %0d of %0d", layer, N_LAYERS);
    a_pos_range: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        32'(pos) <= SEQ_LEN && (state != S_DONE || 32'(pos) < SEQ_LEN))
        else $error("rf_core_sva.a_pos_range: position %0d in state %0d with SEQ_LEN %0d", pos, state, SEQ_LEN);
    a_att_start_idle: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        att_pre |-> !att_busy)
        else $error("rf_core_sva.a_att_start_idle: attention started while busy");
    a_att_resume_busy: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        att_start |-> att_busy)
        else $error("rf_core_sva.a_att_resume_busy: attention resumed while idle (it was not started)");
    a_nrm_start_idle: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        nrm_start |-> !nrm_busy)
        else $error("rf_core_sva.a_nrm_start_idle: RMSNorm started while busy");
    a_out_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        out_valid && !out_ready |=> out_valid && $stable({out_last, out_data}))
        else $error("rf_core_sva.a_out_stable: the output beat changed or dropped before it was taken");
    a_no_x: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !$isunknown({out_valid, in_ready, state}))
        else $error("rf_core_sva.a_no_x: X on out_valid, in_ready or the state");
endmodule

bind rf_core rf_core_sva #(.N_LAYERS(N_LAYERS), .SEQ_LEN(SEQ_LEN), .S_IDLE(S_IDLE), .S_ERRBEAT(S_ERRBEAT),
                           .S_EMIT(S_EMIT), .S_DONE(S_DONE)) u_sva (.*);

`default_nettype wire
