// rf_core -- the statically scheduled transformer core: a sequencer over a table of phases.
// One forward pass per token (docs/arithmetic.md section 10): EMBED, then per layer NORM_ATT, QKV
// (+RoPE, K/V row to the cache), ATTENTION, WO (+residual), NORM_FFN, W13 (+SwiGLU), W2 (+residual);
// then, when a token is emitted, NORM_FIN, CLS (+select). The phase table gives each phase the unit
// it waits for, the phase after it and a descriptor (matrix, rows, source buffer, destination / row
// glue, norm), registered while the phase before it runs: the next unit starts on the edge that sees
// the running unit's done (after its row glue's last write). Units report done after a fixed
// latency, so cycles per token depend only on the model shape, LANES and the position (schedule.py).
// Units (docs/rtl.md "Structure of the core"): rf_proto, rf_embed, rf_wmem, rf_matvec (+ rf_lora),
// rf_rmsnorm, rf_attention, rf_select, rf_rowglue, rf_actbuf, rf_actread, rf_perf. The output
// beat register, the position and the layer live here. The model comes from the compiler's
// params.vh and the ROM images in `ROM_DIR`: the same RTL serves every checkpoint.
`default_nettype none

module rf_core #(
    parameter integer LORA_RANK    = 0,      // LoRA adapter unit (rf_lora): maximum rank, 0 = none
    parameter [6:0]   LORA_TARGETS = 7'd0    // matrices that may carry an adapter (bit 0 wq .. bit 6 w2)
) (
    input  wire        clk, rst_n,
    input  wire        in_valid, in_last,       // prompt tokens
    input  wire [15:0] in_data,
    output wire        in_ready,
    output reg         out_valid, out_last,     // generated tokens
    output reg  [15:0] out_data,
    input  wire        out_ready,
    input  wire        ctrl_new_seq, ctrl_clear_counters, cfg_sample, cfg_seed_load, cfg_stop_en,   // rf_axil_regs
    input  wire [15:0] cfg_budget, cfg_inv_temp, cfg_stop_token,
    input  wire [7:0]  cfg_top_k,
    input  wire [31:0] cfg_seed,
    output wire        st_busy, st_generating, st_idle, st_new_seq_pending,                         // status
    output wire [15:0] st_pos,
    output wire [2:0]  err_set,
    output wire [63:0] cnt_cycles,
    output wire [31:0] cnt_tokens_in, cnt_tokens_out, cnt_last_cycles,
    input  wire        cfg_lora_en, lora_we,    // LoRA adapter SRAM port (rf_axil_regs ADAPTER_*), enable
    input  wire [15:0] lora_addr,
    input  wire [31:0] lora_wdata,
    output wire [31:0] lora_rdata
);
`include "params.vh"

    // ------------------------------------------------------------------ constants
    localparam integer DIM_PAD    = LANES * WORDS_DIM;
    localparam integer HID_PAD    = LANES * WORDS_HIDDEN;
    localparam integer QKV_ROWS   = DIM + 2 * KV_DIM;
    localparam integer QK_ROWS    = DIM + KV_DIM;                    // rows that get RoPE
    // word and requant row offsets of WO, W13 and W2 in a layer (the ROM layout of sim_models/compiler.py)
    localparam integer OFF_WO = QKV_ROWS * WORDS_DIM, OFF_W13 = OFF_WO + DIM * WORDS_DIM;
    localparam integer OFF_W2 = OFF_W13 + 2 * HIDDEN * WORDS_DIM;
    localparam integer ROW_WO = QKV_ROWS, ROW_W13 = ROW_WO + DIM, ROW_W2 = ROW_W13 + 2 * HIDDEN;
    localparam integer W_AB       = (WEIGHTS_DEPTH > 1) ? $clog2(WEIGHTS_DEPTH) : 1;
    localparam integer RQ_AB      = (REQUANT_DEPTH > 1) ? $clog2(REQUANT_DEPTH) : 1;
    localparam integer LAYER_AB   = (LAYER_DEPTH > 1) ? $clog2(LAYER_DEPTH) : 1;
    localparam integer ROPE_PB    = (HEAD_SIZE > 2) ? $clog2(HEAD_SIZE / 2) : 1;
    localparam integer WPR_BITS   = $clog2(((WORDS_HIDDEN > WORDS_DIM) ? WORDS_HIDDEN : WORDS_DIM) + 2);  // row words
    localparam integer NORM_ELEMS = NORM_LANES * WORDS_NORM;         // elements rf_rmsnorm reads
    localparam integer EMB_CW     = $clog2(WORDS_NORM + 8);          // the embedding counts to WORDS_NORM + 7
    // activation format (docs/arithmetic.md 3b): AWB-bit matmul inputs, QB-bit q/k/v; mx: XW exponent bits a word
    localparam integer AWB = ACT_WIDE_BITS, QB = ACT_QKV_BITS, MXB = (ACT_BLOCK > 0) ? ACT_BLOCK : 32;
    localparam integer XW  = (ACT_FMT == 0) ? 0 : ACT_EXP_BITS * ((LANES > MXB) ? LANES / MXB : 1);
    localparam [15:0]  ERROR_TOKEN = 16'hFFFF;
    localparam [4:0] S_IDLE = 5'd0,  S_ERRBEAT = 5'd1, S_EMBED = 5'd2,  S_NORM_ATT = 5'd3,
                     S_QKV = 5'd4,   S_ATT = 5'd6,     S_WO = 5'd7,
                     S_NORM_FFN = 5'd8, S_W13 = 5'd9,  S_W2 = 5'd10,    S_NORM_FIN = 5'd11,
                     S_CLS = 5'd12,  S_SELECT = 5'd13, S_EMIT = 5'd14,  S_DONE = 5'd15;
    localparam [2:0] U_EMBED = 3'd0, U_NORM = 3'd1, U_MV = 3'd2, U_ATT = 3'd4, U_SEL = 3'd5;  // units
    // activation source of a matrix phase (rf_actread) and destination of its rows (rf_rowglue)
    localparam [1:0] SRC_NORM = 2'd0, SRC_ATT = 2'd1, SRC_GATE = 2'd2;
    localparam [1:0] DST_LOGITS = 2'd0, DST_QKV = 2'd1, DST_GATE = 2'd2, DST_RES = 2'd3;

    // ------------------------------------------------------------------ state
    reg  [4:0]  state;
    reg         entry;          // first cycle of the current phase
    reg  [15:0] pos;  reg [7:0] layer;
    wire [15:0] sel_token;
    wire        busy_fwd = (state != S_IDLE) && (state != S_EMIT) && (state != S_ERRBEAT);
    wire        last_layer = (layer == N_LAYERS[7:0] - 8'd1);
    wire [7:0]  n_layer = (state == S_W2 && !last_layer) ? layer + 8'd1 : layer;   // the next phase's

    // Layer constants, read at the next phase's layer (a norm samples its shift with its start; W2
    // uses none); every word also carries the model-wide ones (eps, logits, final norm) (docs/rtl.md).
    wire [127:0] lconst;
    rf_rom #(.WIDTH(128), .DEPTH(LAYER_DEPTH), .ADDR_BITS(LAYER_AB), .ASYNC(1), .FILE({`ROM_DIR, "/", LAYER_FILE}))
        u_layer (.clk(clk), .en(1'b1), .addr(n_layer[LAYER_AB-1:0]), .rdata(lconst));

    // ------------------------------------------------------------------ phase table
    // succ(st): {the unit phase st waits for, the phase after it}. t_*: the row of phase t_next: a
    // matrix phase's first weight word and requant entry, rows, words per row, output width, source,
    // destination and rf_lora kind (0 QKV .. 3 W2); a norm's gain vector and shift. n_*: that row,
    // registered while the running phase goes; d_*: the running phase's (n_* at its start).
    reg  [2:0]          t_unit, t_nunit;  (* fsm_encoding = "none" *) reg [2:0] n_unit;   // U_*; n_unit no FSM: docs/rtl.md
    reg  [4:0]          t_next, t_nnext;            // S_*
    reg                 t_mv, n_mv, t_out16, n_out16, d_out16;
    reg  [W_AB-1:0]     t_base, n_base, d_base;
    reg  [15:0]         t_rows, n_rows, d_rows;
    reg  [WPR_BITS-1:0] t_wpr, n_wpr, d_wpr;
    reg  [RQ_AB-1:0]    t_rq, n_rq, d_rq;
    reg  [1:0]          t_src, n_src, d_src, t_dst, n_dst, d_dst, t_kind, n_kind, d_kind;
    reg  [7:0]          t_nidx, nrm_idx;   reg [5:0] t_nshift, nrm_shift;
    wire                cur_emit_w;
    wire [W_AB-1:0]     layer_word = W_AB'(layer) * W_AB'(LAYER_WORDS);
    wire [RQ_AB-1:0]    layer_row  = RQ_AB'(layer) * RQ_AB'(LAYER_ROWS);
    function automatic [7:0] succ(input [4:0] st, input last_l, input emit);   // {unit, next phase}
        case (st)
            S_EMBED:    succ = {U_EMBED, S_NORM_ATT};
            S_NORM_ATT: succ = {U_NORM, S_QKV};
            S_QKV:      succ = {U_MV, S_ATT};
            S_ATT:      succ = {U_ATT, S_WO};
            S_WO:       succ = {U_MV, S_NORM_FFN};
            S_NORM_FFN: succ = {U_NORM, S_W13};
            S_W13:      succ = {U_MV, S_W2};
            S_W2:       succ = {U_MV, !last_l ? S_NORM_ATT : (emit ? S_NORM_FIN : S_DONE)};
            S_NORM_FIN: succ = {U_NORM, S_CLS};
            S_CLS:      succ = {U_MV, S_SELECT};
            default:    succ = {U_SEL, S_DONE};
        endcase
    endfunction
    always @(*) begin
        {t_unit, t_next} = succ(state, last_layer, cur_emit_w);
        {t_nunit, t_nnext} = succ(t_next, last_layer, cur_emit_w);
        {t_mv, t_out16, t_src, t_dst, t_kind} = {1'b0, 1'b0, SRC_NORM, DST_LOGITS, 2'd0};
        {t_base, t_rq, t_rows, t_wpr} = {layer_word, layer_row, DIM[15:0], WPR_BITS'(WORDS_DIM)};
        {t_nidx, t_nshift} = {8'd2 * n_layer, lconst[53:48]};
        case (t_next)
            S_QKV:      {t_mv, t_rows, t_dst} = {1'b1, QKV_ROWS[15:0], DST_QKV};
            S_WO:       {t_mv, t_out16, t_src, t_dst, t_kind, t_base, t_rq} =
                            {1'b1, 1'b1, SRC_ATT, DST_RES, 2'd1, layer_word + W_AB'(OFF_WO), layer_row + RQ_AB'(ROW_WO)};
            S_NORM_FFN: {t_nidx, t_nshift} = {8'd2 * n_layer + 8'd1, lconst[61:56]};
            S_W13:      {t_mv, t_rows, t_dst, t_kind, t_base, t_rq} =
                            {1'b1, 16'd2 * HIDDEN[15:0], DST_GATE, 2'd2, layer_word + W_AB'(OFF_W13), layer_row + RQ_AB'(ROW_W13)};
            S_W2:       {t_mv, t_out16, t_src, t_dst, t_kind, t_base, t_rq, t_wpr} = {1'b1, 1'b1, SRC_GATE, DST_RES, 2'd3,
                            layer_word + W_AB'(OFF_W2), layer_row + RQ_AB'(ROW_W2), WPR_BITS'(WORDS_HIDDEN)};
            S_NORM_FIN: {t_nidx, t_nshift} = {8'd2 * N_LAYERS[7:0], lconst[125:120]};
            S_CLS:      {t_mv, t_out16, t_base, t_rq, t_rows} = {2'b11, W_AB'(CLS_BASE), RQ_AB'(CLS_ROW_BASE), VOCAB[15:0]};
            default: ;
        endcase
    end

    // n_* is valid from a phase's second cycle (every phase but DONE lasts longer); the next unit
    // starts on the edge where the running unit's done is seen (`advance`); W2's matvec W2_LEAD
    // cycles before W13's end (rf_rowglue `early`: W2's row 0 reads the last gate word last). An
    // adapter on the next phase (rf_lora_port nx_active) starts first, the matvec with its pre_done,
    // from d_*. Attention starts (att_pre, K row to the cache) the edge after the last k pair's write, beside
    // the v rows, and resumes with the V row as ATT starts (kv_v: the last v row bypassed; schedule.py
    // att_lead). mx: W2's lead ends at the last block's first word (its exponent comes with the last gate).
    localparam integer W2_LAST = (ACT_FMT == 0) ? WORDS_HIDDEN - 1 : (HIDDEN - 1) / MXB * MXB / LANES;
    localparam integer W2_LEAD = (W2_LAST < 5) ? W2_LAST : 5;   // schedule.py w2_lead (5: rf_rowglue's SwiGLU LAT)
    wire                emb_last, nrm_done, mv_fin, w2_go, att_done, sel_done, lora_active, lora_pre_done, lora_nx_active;
    reg                 sel_finish, att_pre;
    wire t_done = (t_unit == U_EMBED) ? emb_last : (t_unit == U_NORM) ? nrm_done : (t_unit == U_MV) ? mv_fin :
                  (t_unit == U_ATT) ? att_done : sel_done;
    wire advance    = busy_fwd && (state != S_DONE) && t_done;
    wire mv_now     = !lora_nx_active && (state == S_W13 ? w2_go : advance && n_mv);
    wire mv_start   = mv_now || lora_pre_done;
    wire lora_start = advance && n_mv && lora_nx_active;
    wire nrm_start  = advance && (n_unit == U_NORM), att_start = advance && (n_unit == U_ATT);
    wire sel_start  = entry && (state == S_CLS);
    always @(posedge clk) begin   // n_* is not reset: it is used only with `advance`
        {n_unit, n_mv, n_base, n_rows, n_wpr, n_rq, n_out16, n_src, n_dst, n_kind, nrm_idx, nrm_shift} <=
            {t_nunit, t_mv, t_base, t_rows, t_wpr, t_rq, t_out16, t_src, t_dst, t_kind, t_nidx, t_nshift};
        if (!rst_n)       {d_base, d_rows, d_wpr, d_rq, d_out16, d_src, d_dst, d_kind} <= '0;
        else if (advance) {d_base, d_rows, d_wpr, d_rq, d_out16, d_src, d_dst, d_kind} <=
                              {n_base, n_rows, n_wpr, n_rq, n_out16, n_src, n_dst, n_kind};
        else if (mv_now)  d_src <= n_src;     // W2 early: the read port's source goes with the matvec
        sel_finish <= rst_n && advance && (state == S_CLS);
    end

    // ------------------------------------------------------------------ sequencer
    // The protocol states around a forward pass (IDLE, ERRBEAT, DONE, EMIT) and the phase walk.
    wire        p_go, p_err_end, p_clear_pos, p_emit_last, p_tok_in;
    always @(posedge clk) begin
        if (!rst_n) begin
            {state, entry, layer, pos, out_valid, out_data, out_last} <= {S_IDLE, 43'd0};
        end else begin
            entry <= 1'b0;
            case (state)
                S_IDLE: begin
                    if (p_go) {state, entry} <= {S_EMBED, 1'b1};
                    else if (p_err_end) begin   // the prompt's error beat
                        state <= S_ERRBEAT;
                        {out_valid, out_data, out_last} <= {1'b1, ERROR_TOKEN, 1'b1};
                    end
                    if (p_clear_pos) pos <= 16'd0;
                end
                S_ERRBEAT, S_EMIT: if (out_ready) begin   // the beat is taken; a generated token is fed back
                    {out_valid, out_last} <= 2'b00;
                    if (state == S_EMIT && !out_last) {state, entry} <= {S_EMBED, 1'b1};
                    else                              state <= S_IDLE;
                end
                S_DONE: begin
                    pos <= pos + 16'd1;
                    state <= cur_emit_w ? S_EMIT : S_IDLE;
                    if (cur_emit_w) {out_valid, out_data, out_last} <= {1'b1, sel_token, p_emit_last};
                end
                default: if (advance) {state, entry} <= {t_next, 1'b1};
            endcase
            if (state == S_EMBED)                           layer <= 8'd0;
            else if (advance && state == S_W2 && !last_layer) layer <= layer + 8'd1;
        end
    end

    // ------------------------------------------------------------------ protocol and counters
    wire [15:0] cur_tok, gen_count, gen_inv_temp;
    wire [7:0]  gen_top_k;
    wire        prompt_err, mid_prompt, gen_sample, sel_seed_load;
    rf_proto #(.VOCAB(VOCAB), .SEQ_LEN(SEQ_LEN)) u_proto (
        .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data), .in_last(in_last),
        .ctrl_new_seq(ctrl_new_seq), .cfg_budget(cfg_budget), .cfg_sample(cfg_sample), .cfg_inv_temp(cfg_inv_temp),
        .cfg_top_k(cfg_top_k), .cfg_seed_load(cfg_seed_load), .cfg_stop_token(cfg_stop_token), .cfg_stop_en(cfg_stop_en),
        .idle(state == S_IDLE), .fwd_end(state == S_DONE), .emit_ack(state == S_EMIT && out_ready),
        .emit_final(out_last), .emit_token(out_data), .sel_token(sel_token), .pos(pos),
        .tok_in(p_tok_in), .go(p_go), .err_end(p_err_end), .clear_pos(p_clear_pos), .emit_last(p_emit_last),
        .cur_tok(cur_tok), .cur_emit(cur_emit_w), .gen_count(gen_count), .gen_sample(gen_sample),
        .gen_inv_temp(gen_inv_temp), .gen_top_k(gen_top_k), .sel_seed_load(sel_seed_load), .mid_prompt(mid_prompt),
        .prompt_err(prompt_err), .st_new_seq_pending(st_new_seq_pending), .err_set(err_set));
    assign st_pos        = pos;
    assign st_busy       = (state != S_IDLE);
    assign st_generating = (state == S_EMIT) || (cur_emit_w && state != S_IDLE && state != S_ERRBEAT);
    assign st_idle       = (state == S_IDLE) && !mid_prompt;

    rf_perf u_perf (.clk(clk), .rst_n(rst_n), .clear(ctrl_clear_counters), .busy(busy_fwd),
        .fwd_start(p_go || (state == S_EMIT && out_ready && !out_last)), .fwd_end(state == S_DONE),
        .tok_in(p_tok_in), .tok_out(state == S_EMIT && out_ready), .cnt_cycles(cnt_cycles),
        .cnt_tokens_in(cnt_tokens_in), .cnt_tokens_out(cnt_tokens_out), .cnt_last_cycles(cnt_last_cycles));

    // ------------------------------------------------------------------ weight memory (two-cycle reads)
    wire [W_AB-1:0]          mv_w_addr, emb_w_addr;
    wire                     mv_busy;
    wire [WBITS*LANES-1:0]   w_data;
    wire [RQ_AB-1:0]         rq_addr;
    wire [23:0]              rq_data;
    rf_wmem #(.LANES(LANES), .WBITS(WBITS), .FMT(WFMT), .GROUP(WGROUP), .WIDTH(WEIGHTS_WIDTH),
              .DEPTH(WEIGHTS_DEPTH), .ADDR_BITS(W_AB), .FILE({`ROM_DIR, "/", WEIGHTS_FILE}),
              .SC_WIDTH(WSCALE_WIDTH), .SC_BITS(WSCALE_BITS), .SC_DEPTH(WSCALE_DEPTH),
              .SC_FILE({`ROM_DIR, "/", WSCALE_FILE}), .RQ_DEPTH(REQUANT_DEPTH), .RQ_BITS(RQ_AB), .RQ_FILE({`ROM_DIR, "/", REQUANT_FILE})) u_wmem (
        .clk(clk), .addr(mv_busy ? mv_w_addr : emb_w_addr), .w_data(w_data), .rq_addr(rq_addr), .rq_data(rq_data));

    // ------------------------------------------------------------------ embedding
    wire                      emb_first, emb_wr;
    wire [EMB_CW-1:0]         emb_grp;
    wire [16*NORM_LANES-1:0]  emb_y;      // residual elements NORM_LANES * emb_grp .. (the NORM_ELEMS RMSNorm reads)
    rf_embed #(.LANES(LANES), .GROUP(NORM_LANES), .GROUPS(WORDS_NORM), .WBITS(WBITS), .WORDS(WORDS_DIM), .ADDR_BITS(W_AB), .BASE(EMB_BASE),
               .RQ_DEPTH(EMB_REQUANT_DEPTH), .RQ_BITS((EMB_REQUANT_DEPTH > 1) ? $clog2(EMB_REQUANT_DEPTH) : 1),
               .RQ_FILE({`ROM_DIR, "/", EMB_REQUANT_FILE}), .CW(EMB_CW)) u_embed (
        .clk(clk), .rst_n(rst_n), .run(state == S_EMBED), .tok(cur_tok), .w_addr(emb_w_addr), .w_data(w_data),
        .first(emb_first), .last(emb_last), .wr_en(emb_wr), .wr_grp(emb_grp), .wr_data(emb_y));

    // RoPE: this position's COS/SIN pairs, composed while the token's embedding runs (rf_rope_gen;
    // ready long before the first q/k pair)
    wire [ROPE_PB-1:0] rope_pair;   wire [31:0] rope_data;
    wire               rope_busy, nrm_busy, att_busy;
    rf_rope_gen #(.HALF(HEAD_SIZE / 2), .DEPTH(ROPE_DEPTH), .ADDR_BITS((ROPE_DEPTH > 1) ? $clog2(ROPE_DEPTH) : 1),
                  .FILE({`ROM_DIR, "/", ROPE_FILE})) u_rope (
        .clk(clk), .rst_n(rst_n), .start(emb_first), .pos(pos), .pair(rope_pair), .cos_sin(rope_data), .busy(rope_busy));

    // ------------------------------------------------------------------ activation buffers
    // the residual (int16: the embedding NORM_LANES elements a cycle, then WO/W2 rows), the rotated query and
    // key, the value row (QB bits) and the SwiGLU output (AWB), each written by rf_embed or rf_rowglue through one port
    wire                   y_valid, mv_done, qk_we, v_we, g_we, res_we;
    wire [15:0]            y_row, qk_row, v_idx, g_idx, res_idx;
    wire signed [15:0]     y_data, res_data;
    wire [2*QB-1:0]        qk_data;   wire [QB-1:0] v_data;      wire [AWB-1:0] g_data;
    wire [16*DIM_PAD-1:0]  x_res;
    wire [QB*DIM-1:0]      q_buf;     wire [AWB*HIDDEN-1:0] g_buf;
    wire [QB*KV_DIM-1:0]   k_row, v_row, kv_v;
    wire [NORM_LANES-1:0] x_we = emb_wr ? '1 : {NORM_LANES{res_we}} & (NORM_LANES'(1) << (res_idx % NORM_LANES[15:0]));
    wire [16*NORM_LANES-1:0] x_wdata = emb_wr ? emb_y : {NORM_LANES{res_data}};
    rf_actbuf #(.N(DIM_PAD), .EW(16), .G(NORM_LANES)) u_x (.clk(clk), .rst_n(rst_n), .we(x_we),
        .widx(emb_wr ? 16'(emb_grp) : res_idx / NORM_LANES[15:0]), .wdata(x_wdata), .flat(x_res));
    rf_actbuf #(.N(DIM / 2), .EW(2 * QB)) u_q (.clk(clk), .rst_n(rst_n), .we(qk_we && qk_row < DIM[15:0]),
        .widx(qk_row >> 1), .wdata(qk_data), .flat(q_buf));
    rf_actbuf #(.N(KV_DIM / 2), .EW(2 * QB)) u_k (.clk(clk), .rst_n(rst_n), .we(qk_we && qk_row >= DIM[15:0]),
        .widx((qk_row - DIM[15:0]) >> 1), .wdata(qk_data), .flat(k_row));
    rf_actbuf #(.N(KV_DIM), .EW(QB)) u_v (.clk(clk), .rst_n(rst_n), .we(v_we), .widx(v_idx), .wdata(v_data), .flat(v_row));
    rf_actbuf #(.N(HIDDEN), .EW(AWB)) u_g (.clk(clk), .rst_n(rst_n), .we(g_we), .widx(g_idx), .wdata(g_data), .flat(g_buf));

    // The matvec reads the RMSNorm and attention outputs straight from the units' output
    // registers (valid from done until their next start, which follows the matvecs that read
    // them); words past a vector's end read 0 (lane padding); mx: with each word its block exponents.
    wire [AWB*NORM_ELEMS-1:0] nrm_out;    wire [AWB*DIM-1:0] att_out;
    wire [WPR_BITS-1:0]       act_idx, lora_act_idx;
    wire [AWB*LANES+XW-1:0]   act_word;   wire [8*LANES-1:0] lora_act_word;
    rf_actread #(.LANES(LANES), .W0(WORDS_DIM), .W1(WORDS_DIM), .W2(WORDS_HIDDEN), .IDX_BITS(WPR_BITS), .EW(AWB),
                 .MX(ACT_FMT), .B(MXB), .EXP_BITS(ACT_EXP_BITS), .N2(HIDDEN)) u_actread (
        .clk(clk), .rst_n(rst_n), .src(d_src), .buf0((AWB * DIM_PAD)'(nrm_out)), .buf1((AWB * DIM_PAD)'(att_out)), .buf2((AWB * HID_PAD)'(g_buf)),
        .g_we(g_we), .g_idx(g_idx), .g_data(g_data), .idx_a(act_idx), .word_a(act_word), .idx_b(lora_act_idx), .word_b(lora_act_word));

    // ------------------------------------------------------------------ matvec (+ LoRA)
    wire                mvo_valid, mvo_done;   wire [15:0] mvo_row;   wire signed [15:0] mvo_data;
    rf_matvec #(.LANES(LANES), .ADDR_BITS(W_AB), .RQ_ADDR_BITS(RQ_AB), .WPR_BITS(WPR_BITS), .WBITS(WBITS),
                .ACT_REG(0), .ACT_FMT(ACT_FMT), .ACT_BLOCK(MXB), .ACT_WIDE_BITS(AWB), .ACT_EXP_BITS(ACT_EXP_BITS), .QKV_BITS(QB)) u_matvec (
        .clk(clk), .rst_n(rst_n), .start(mv_start), .cfg_base(mv_now ? n_base : d_base), .cfg_rows(mv_now ? n_rows : d_rows),
        .cfg_wpr(mv_now ? n_wpr : d_wpr), .cfg_rq_base(mv_now ? n_rq : d_rq), .cfg_out16(mv_now ? n_out16 : d_out16),
        .cfg_outq((mv_now ? n_dst : d_dst) == DST_QKV), .w_addr(mv_w_addr), .w_data(w_data), .rq_addr(rq_addr), .rq_data(rq_data),
        .act_idx(act_idx), .act_word(act_word),
        .y_valid(mvo_valid), .y_row(mvo_row), .y_data(mvo_data), .done(mvo_done), .busy(mv_busy));

    // The matvec's row stream passes through the adapter unit (rf_lora_port): a wire unless an
    // enabled adapter targets this phase's matrices, then its pre-pass runs before the matvec starts
    // and the rows come out LORA_STREAM cycles later with the LoRA term added (docs/rtl.md).
    rf_lora_port #(.LANES(LANES), .DIM(DIM), .KV_DIM(KV_DIM), .HIDDEN(HIDDEN), .N_LAYERS(N_LAYERS),
                   .WORDS_DIM(WORDS_DIM), .WORDS_HIDDEN(WORDS_HIDDEN), .WPR_BITS(WPR_BITS), .RANK(LORA_RANK),
                   .TARGETS(LORA_TARGETS)) u_lora (
        .clk(clk), .rst_n(rst_n), .bus_addr(lora_addr), .bus_we(lora_we), .bus_wdata(lora_wdata),
        .bus_rdata(lora_rdata), .enable(cfg_lora_en), .ph_valid(t_unit == U_MV && state != S_CLS), .ph_kind(d_kind),
        .nx_valid(n_mv && t_next != S_CLS), .nx_kind(n_kind), .nx_active(lora_nx_active),
        .layer(layer), .active(lora_active), .start(lora_start), .pre_done(lora_pre_done),
        .act_idx(lora_act_idx), .act_word(lora_act_word), .y_valid_i(mvo_valid), .y_row_i(mvo_row),
        .y_data_i(mvo_data), .done_i(mvo_done), .y_valid_o(y_valid), .y_row_o(y_row), .y_data_o(y_data), .done_o(mv_done));

    // ------------------------------------------------------------------ row glue
    rf_rowglue #(.QK_ROWS(QK_ROWS), .V_ROWS(KV_DIM), .EARLY(W2_LEAD), .HEAD_SIZE(HEAD_SIZE), .RES_ELEMS(DIM_PAD),
                 .PAIR_BITS(ROPE_PB), .SILU_DEPTH(SILU_DEPTH), .SILU_BITS((SILU_DEPTH > 1) ? $clog2(SILU_DEPTH) : 1),
                 .SILU_FILE({`ROM_DIR, "/", SILU_FILE}), .QKV_BITS(QB), .G_BITS(AWB)) u_glue (
        .clk(clk), .rst_n(rst_n), .dst(d_dst), .clear(entry), .layer(layer), .gate_mult(lconst[39:24]),
        .gate_shift(lconst[45:40]), .y_valid(y_valid), .y_row(y_row), .y_data(y_data), .y_done(mv_done),
        .fin(mv_fin), .early(w2_go), .rope_pair(rope_pair), .cos_sin(rope_data), .x_flat(x_res),
        .qk_we(qk_we), .qk_row(qk_row), .qk_data(qk_data), .v_we(v_we), .v_idx(v_idx), .v_data(v_data),
        .v_flat(v_row), .kv_v(kv_v), .g_we(g_we), .g_idx(g_idx), .g_data(g_data), .res_we(res_we), .res_idx(res_idx), .res_data(res_data));

    // ------------------------------------------------------------------ RMSNorm, attention, select
    // RMSNorm runs NORM_LANES (<= LANES, a divisor of it) elements per cycle over WORDS_NORM words:
    // the first NORM_ELEMS <= DIM_PAD elements of the residual, its sum of squares accumulated from the residual's
    // writes (cleared as the embedding begins and by each norm's start: WO and W2 then rewrite every element).
    rf_rmsnorm #(.LANES(NORM_LANES), .WORDS(WORDS_NORM), .NORMS(2 * N_LAYERS + 1), .OUT_BITS(AWB),
                 .NORM_FILE({`ROM_DIR, "/", NORM_FILE}), .RSQRT_FILE({`ROM_DIR, "/", RSQRT_FILE})) u_rmsnorm (
        .clk(clk), .rst_n(rst_n), .sq_clear(emb_first), .sq_we(x_we), .sq_x(x_wdata), .start(nrm_start), .norm_idx(nrm_idx), .nshift(nrm_shift),
        .eps(48'(lconst[95:64])), .x_flat(x_res[16*NORM_ELEMS-1:0]), .y_flat(nrm_out), .done(nrm_done), .busy(nrm_busy));
    always @(posedge clk) att_pre <= rst_n && qk_we && qk_row == QK_ROWS[15:0] - 16'd1;   // the K row is in
    rf_attention #(.DIM(DIM), .N_HEADS(N_HEADS), .N_KV_HEADS(N_KV_HEADS), .HEAD_SIZE(HEAD_SIZE),
                   .SEQ_LEN(SEQ_LEN), .N_LAYERS(N_LAYERS), .EXP2_FILE({`ROM_DIR, "/", EXP2_FILE}),
                   .QKV_BITS(QB), .FRAC(ACT_FRAC), .OUT_BITS(AWB)) u_attention (
        .clk(clk), .rst_n(rst_n), .k_we(att_pre), .v_we(att_start), .kv_layer(layer), .kv_pos(pos), .k_row(k_row), .v_row(kv_v),
        .start(att_pre), .resume(att_start), .layer(layer), .pos(pos), .q_flat(q_buf), .att_mult(lconst[15:0]), .att_shift(lconst[21:16]),
        .out_flat(att_out), .done(att_done), .busy(att_busy));

    rf_select #(.VOCAB(VOCAB), .K_MAX(K_MAX), .EXP2_FILE({`ROM_DIR, "/", EXP2_FILE})) u_select (
        .clk(clk), .rst_n(rst_n), .logit_mult(lconst[111:96]), .logit_shift(lconst[117:112]),
        .seed_load(sel_seed_load), .seed(cfg_seed), .start(sel_start), .mode_sample(gen_sample),
        .inv_temp(gen_inv_temp), .top_k(gen_top_k), .l_valid(y_valid && d_dst == DST_LOGITS), .l_index(y_row),
        .l_value(y_data), .finish(sel_finish), .token(sel_token), .done(sel_done));

    // Bits some model shapes leave unused (the widths depend on the model), and header
    // constants the units derive for themselves.
    wire unused_ok = &{1'b0, nrm_busy, att_busy, rope_busy, lora_active, t_nnext, gen_count, prompt_err, SHARED_CLS[0],
                       RSQRT_ENTRIES[0], EXP2_ENTRIES[0], NORM_DEPTH[0], RSQRT_DEPTH[0], EXP2_DEPTH[0], SRC_NORM,
                       lconst[63:62], lconst[55:54], lconst[47:46], lconst[23:22], lconst[119:118], lconst[127:126]};
endmodule

`default_nettype wire
