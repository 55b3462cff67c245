// rf_proto -- the token protocol of the core (docs/rtl.md "Token protocol"): the prompt stream's
// handshake, the prompt/generation rules, the settings latch and the error flags. The sequencer
// (rf_core) owns the phases and the output beat register; this unit decides, combinationally in
// the cycle they happen, which prompt beat starts a forward pass (`go`: cur_tok is the token)
// and which one ends an erroneous prompt (`err_end`: the core answers with one 0xFFFF beat), and
// what the generated token's TLAST is (`emit_last`, read in the forward pass's final cycle).
//
//   - A beat offered while in_ready is high is always taken (the skid buffer has counted it
//     delivered); ready is not raised while a NEW_SEQ waits to clear the position between
//     prompts (`clear_pos`), so no beat can race the clear.
//   - A prompt with an error (token id >= VOCAB: err_set[0]; no room left in the context:
//     err_set[1]) is drained to its last token. A generation ended only by the context being
//     full raises err_set[2] when its last token is delivered.
//   - Generation settings (BUDGET, SAMPLING, INV_TEMP, TOP_K, STOP) are latched when a prompt's
//     last token is accepted: register writes while tokens stream apply to the next prompt
//     (docs/registers.md); a SEED write waits for that moment too and reloads the PRNG in the
//     cycle after it (sel_seed_load).
//   - After the last prompt token the core emits up to BUDGET tokens, each fed back as the next
//     input, until the stop token or the end of the context.
`default_nettype none

module rf_proto #(
    parameter integer VOCAB   = 256,
    parameter integer SEQ_LEN = 64
) (
    input  wire        clk,
    input  wire        rst_n,
    // prompt tokens
    input  wire        in_valid,
    output reg         in_ready,
    input  wire [15:0] in_data,
    input  wire        in_last,
    // registers
    input  wire        ctrl_new_seq,
    input  wire [15:0] cfg_budget,
    input  wire        cfg_sample,
    input  wire [15:0] cfg_inv_temp,
    input  wire [7:0]  cfg_top_k,
    input  wire        cfg_seed_load,
    input  wire [15:0] cfg_stop_token,
    input  wire        cfg_stop_en,
    // the sequencer
    input  wire        idle,        // waiting for a prompt token
    input  wire        fwd_end,     // final cycle of a forward pass
    input  wire        emit_ack,    // the generated token's beat is taken
    input  wire        emit_final,  // ... and it was the last one (out_last)
    input  wire [15:0] emit_token,  // ... its token (fed back as the next input)
    input  wire [15:0] sel_token,
    input  wire [15:0] pos,
    output wire        tok_in,      // a prompt token is taken this cycle
    output wire        go,          // ... and starts a forward pass
    output wire        err_end,     // ... and ends a prompt with an error
    output wire        clear_pos,   // NEW_SEQ: the position returns to 0
    output wire        emit_last,   // TLAST of the token selected in this final cycle
    output reg  [15:0] cur_tok,
    output reg         cur_emit,    // this forward pass ends in a token selection
    output reg  [15:0] gen_count,
    output reg         gen_sample,
    output reg  [15:0] gen_inv_temp,
    output reg  [7:0]  gen_top_k,
    output reg         sel_seed_load,
    output reg         mid_prompt,  // a prompt token without in_last has been accepted
    output reg         prompt_err,  // the prompt in flight had an error: drain to its last token
    output reg         st_new_seq_pending,
    output reg  [2:0]  err_set
);
    reg  [15:0] gen_budget;
    reg  [15:0] gen_stop_token;
    reg         gen_stop_en;
    reg         seed_pending;   // a SEED write waits for the next prompt's last token
    reg         end_by_ctx;     // the token being emitted is last only because the context is full

    wire tok_bad     = (in_data >= VOCAB[15:0]);
    wire ctx_full_in = (pos >= SEQ_LEN[15:0]);
    wire bad         = prompt_err || tok_bad || ctx_full_in;
    wire stop_hit    = gen_stop_en && (sel_token == gen_stop_token);
    wire budget_last = ((gen_count + 16'd1) >= gen_budget);
    wire ctx_last    = (pos + 16'd1 >= SEQ_LEN[15:0]);   // no position left to feed the token back
    assign tok_in    = idle && in_ready && in_valid;
    assign go        = tok_in && !bad;
    assign err_end   = tok_in && bad && in_last;
    assign clear_pos = idle && !tok_in && st_new_seq_pending && !mid_prompt && !ctrl_new_seq;
    assign emit_last = budget_last || stop_hit || ctx_last;

    always @(posedge clk) begin
        if (!rst_n) begin
            in_ready <= 1'b0;
            cur_tok <= 16'd0;
            cur_emit <= 1'b0;
            gen_count <= 16'd0;
            gen_budget <= 16'd0;
            gen_sample <= 1'b0;
            gen_inv_temp <= 16'd0;
            gen_top_k <= 8'd0;
            gen_stop_token <= 16'd0;
            gen_stop_en <= 1'b0;
            seed_pending <= 1'b0;
            sel_seed_load <= 1'b0;
            mid_prompt <= 1'b0;
            prompt_err <= 1'b0;
            end_by_ctx <= 1'b0;
            st_new_seq_pending <= 1'b0;
            err_set <= 3'd0;
        end else begin
            sel_seed_load <= 1'b0;
            err_set <= 3'd0;
            if (cfg_seed_load) seed_pending <= 1'b1;
            if (ctrl_new_seq) st_new_seq_pending <= 1'b1;
            if (tok_in) begin
                in_ready <= 1'b0;
                mid_prompt <= !in_last;
                if (in_last) begin
                    gen_budget <= cfg_budget;
                    gen_sample <= cfg_sample;
                    gen_inv_temp <= cfg_inv_temp;
                    gen_top_k <= cfg_top_k;
                    gen_stop_token <= cfg_stop_token;
                    gen_stop_en <= cfg_stop_en;
                    if (seed_pending || cfg_seed_load) begin
                        seed_pending <= 1'b0;
                        sel_seed_load <= 1'b1;
                    end
                end
                if (bad) begin
                    if (!prompt_err) err_set <= tok_bad ? 3'b001 : 3'b010;
                    prompt_err <= !in_last;
                end else begin
                    cur_tok <= in_data;
                    cur_emit <= in_last && (cfg_budget != 16'd0);
                    gen_count <= 16'd0;
                end
            end else if (clear_pos) begin
                st_new_seq_pending <= 1'b0;
            end else if (idle) begin
                in_ready <= mid_prompt || !(st_new_seq_pending || ctrl_new_seq);
            end
            if (fwd_end && cur_emit) end_by_ctx <= ctx_last && !budget_last && !stop_hit;
            if (emit_ack) begin
                gen_count <= gen_count + 16'd1;
                if (emit_final) begin
                    if (end_by_ctx) err_set <= 3'b100;
                    cur_emit <= 1'b0;
                end else begin
                    cur_tok <= emit_token;
                end
            end
        end
    end
endmodule

`default_nettype wire
