// rf_core -- the statically scheduled transformer core.
//
// One forward pass per token (docs/arithmetic.md section 10), phase by phase:
//   EMBED, then per layer NORM_ATT, QKV (+RoPE), KV write, ATTENTION, WO (+residual),
//   NORM_FFN, W13 (+SwiGLU), W2 (+residual); then, when a token must be emitted,
//   NORM_FIN, CLS (+select). Each unit is started with a one-cycle start pulse and
//   reports done after a fixed latency, so cycles per token depend only on the model
//   shape, LANES and the position (sim_models/schedule.py predicts them).
//
// Token protocol (docs/rtl.md): prompt tokens arrive on in_*; after the forward pass of
// the last one (in_last) the core emits generated tokens on out_* and feeds each back
// until the budget, the stop token or the end of the context. A prompt with an error
// (token id >= VOCAB, or no room left in the context) is drained to its last token and
// answered by one 0xFFFF beat with out_last set.
//
// The model comes from the compiler's params.vh (included below) and the ROM images
// in `ROM_DIR`; the same RTL serves every checkpoint.
`default_nettype none

module rf_core #(
    parameter integer LORA_RANK    = 0,      // LoRA adapter unit (rf_lora): maximum rank, 0 = none
    parameter [6:0]   LORA_TARGETS = 7'd0    // matrices that may carry an adapter (bit 0 wq .. bit 6 w2)
) (
    input  wire        clk,
    input  wire        rst_n,
    // prompt tokens
    input  wire        in_valid,
    output reg         in_ready,
    input  wire [15:0] in_data,
    input  wire        in_last,
    // generated tokens
    output reg         out_valid,
    input  wire        out_ready,
    output reg  [15:0] out_data,
    output reg         out_last,
    // control and configuration (rf_axil_regs)
    input  wire        ctrl_new_seq,
    input  wire        ctrl_clear_counters,
    input  wire [15:0] cfg_budget,
    input  wire        cfg_sample,
    input  wire [15:0] cfg_inv_temp,
    input  wire [7:0]  cfg_top_k,
    input  wire [31:0] cfg_seed,
    input  wire        cfg_seed_load,
    input  wire [15:0] cfg_stop_token,
    input  wire        cfg_stop_en,
    // status
    output wire        st_busy,
    output wire        st_generating,
    output wire        st_idle,
    output reg         st_new_seq_pending,
    output wire [15:0] st_pos,
    output reg  [2:0]  err_set,
    output reg  [63:0] cnt_cycles,
    output reg  [31:0] cnt_tokens_in,
    output reg  [31:0] cnt_tokens_out,
    output reg  [31:0] cnt_last_cycles,
    // LoRA adapter SRAM port (rf_axil_regs ADAPTER_*) and enable
    input  wire        cfg_lora_en,
    input  wire [15:0] lora_addr,
    input  wire        lora_we,
    input  wire [31:0] lora_wdata,
    output wire [31:0] lora_rdata
);
`include "params.vh"

    // ------------------------------------------------------------------ constants
    localparam integer DIM_PAD    = LANES * WORDS_DIM;
    localparam integer HID_PAD    = LANES * WORDS_HIDDEN;
    localparam integer QKV_ROWS   = DIM + 2 * KV_DIM;
    localparam integer QK_ROWS    = DIM + KV_DIM;                    // rows that get RoPE
    localparam integer OFF_WO     = QKV_ROWS * WORDS_DIM;            // word offsets in a layer
    localparam integer OFF_W13    = OFF_WO + DIM * WORDS_DIM;
    localparam integer OFF_W2     = OFF_W13 + 2 * HIDDEN * WORDS_DIM;
    localparam integer ROW_WO     = QKV_ROWS;                        // requant row offsets in a layer
    localparam integer ROW_W13    = ROW_WO + DIM;
    localparam integer ROW_W2     = ROW_W13 + 2 * HIDDEN;
    localparam integer W_AB       = (WEIGHTS_DEPTH > 1) ? $clog2(WEIGHTS_DEPTH) : 1;
    localparam integer RQ_AB      = (REQUANT_DEPTH > 1) ? $clog2(REQUANT_DEPTH) : 1;
    localparam integer EMB_AB     = (EMB_REQUANT_DEPTH > 1) ? $clog2(EMB_REQUANT_DEPTH) : 1;
    localparam integer SILU_AB    = (SILU_DEPTH > 1) ? $clog2(SILU_DEPTH) : 1;
    localparam integer ROPE_AB    = (ROPE_DEPTH > 1) ? $clog2(ROPE_DEPTH) : 1;
    localparam integer HALF_HEAD  = HEAD_SIZE / 2;
    localparam integer ROPE_PB    = (HALF_HEAD > 1) ? $clog2(HALF_HEAD) : 1;
    // Row length in lane words: counters hold the longest row.
    localparam integer WPR_MAX    = (WORDS_HIDDEN > WORDS_DIM) ? WORDS_HIDDEN : WORDS_DIM;
    localparam integer WPR_BITS   = $clog2(WPR_MAX + 2);
    localparam integer EMB_CW     = $clog2(DIM_PAD + 6);             // emb_cnt runs to DIM_PAD + 5
    localparam [15:0]  ERROR_TOKEN = 16'hFFFF;

    localparam [4:0] S_IDLE = 5'd0,  S_ERRBEAT = 5'd1, S_EMBED = 5'd2,  S_NORM_ATT = 5'd3,
                     S_QKV = 5'd4,   S_KVW = 5'd5,     S_ATT = 5'd6,    S_WO = 5'd7,
                     S_NORM_FFN = 5'd8, S_W13 = 5'd9,  S_W2 = 5'd10,    S_NORM_FIN = 5'd11,
                     S_CLS = 5'd12,  S_SELECT = 5'd13, S_EMIT = 5'd14,  S_DONE = 5'd15;

    // ------------------------------------------------------------------ state
    reg  [4:0]  state;
    reg         entry;          // first cycle in the current state: units are started here
    reg  [7:0]  layer;
    reg  [15:0] pos;
    reg  [15:0] cur_tok;
    reg         cur_emit;       // this forward pass ends in a token selection
    reg         prompt_err;     // the prompt in flight had an error: drain to its last token
    reg         mid_prompt;     // a prompt token without in_last has been accepted
    reg  [15:0] gen_count;
    // Generation settings, latched when a prompt's last token is accepted: register writes
    // while tokens stream apply to the next prompt (docs/registers.md).
    reg  [15:0] gen_budget;
    reg         gen_sample;
    reg  [15:0] gen_inv_temp;
    reg  [7:0]  gen_top_k;
    reg  [15:0] gen_stop_token;
    reg         gen_stop_en;
    reg         seed_pending;   // a SEED write waits for the next prompt's last token
    reg         sel_seed_load;  // ... and reloads the PRNG in the cycle after it
    reg         end_by_ctx;     // the token being emitted is last only because the context is full
    reg  [EMB_CW-1:0] emb_cnt;     // embedding: element being read (ROM word emb_cnt / LANES)
    reg  [31:0] fwd_cycles;

    // Element writes into these buffers decode their index (for loops with constant bounds: one
    // enable per element), never a variable part-select, which synthesizes to a full-width shifter.
    integer                      wi;
    reg  signed [16*DIM_PAD-1:0] x_res;      // residual stream (int16)
    // The matvec reads the RMSNorm and attention outputs straight from the units' output
    // registers (valid from done until their next start, which follows the matvecs that read them).
    wire [8*DIM_PAD-1:0]         nrm_buf;    // RMSNorm output (int8): rf_rmsnorm's y_flat
    wire [8*DIM_PAD-1:0]         att_buf;    // attention output (int8): rf_attention's out_flat, padded
    reg  [8*DIM-1:0]             q_buf;      // rotated query (int8)
    reg  [8*KV_DIM-1:0]          k_row;      // rotated key of this position
    reg  [8*KV_DIM-1:0]          v_row;
    reg  [8*HID_PAD-1:0]         g_buf;      // SwiGLU output (int8)

    // matvec row results (used by the ROM address logic below)
    wire                y_valid;
    wire [15:0]         y_row;
    wire signed [15:0]  y_data;

    assign st_pos        = pos;
    assign st_busy       = (state != S_IDLE);
    assign st_generating = (state == S_EMIT) || (cur_emit && state != S_IDLE && state != S_ERRBEAT);
    assign st_idle       = (state == S_IDLE) && !mid_prompt;

    // ------------------------------------------------------------------ ROMs
    // Layer constants: a handful of words, read combinationally. Every word also carries
    // the model-wide constants (eps, logit multiplier/shift, final norm shift), so no
    // number that depends on the weights is a parameter: a new model of the same shape
    // changes ROM contents only (docs/rtl.md).
    localparam integer LAYER_AB = (LAYER_DEPTH > 1) ? $clog2(LAYER_DEPTH) : 1;
    wire [127:0] lconst;
    rf_rom #(.WIDTH(128), .DEPTH(LAYER_DEPTH), .ADDR_BITS(LAYER_AB), .ASYNC(1),
             .FILE({`ROM_DIR, "/", LAYER_FILE})) u_layer (
        .clk(clk), .en(1'b1), .addr(layer[LAYER_AB-1:0]), .rdata(lconst));
    wire [15:0] att_mult  = lconst[15:0];
    wire [5:0]  att_shift = lconst[21:16];
    wire [15:0] gate_mult = lconst[39:24];
    wire [5:0]  gate_shift = lconst[45:40];
    wire [5:0]  att_nshift = lconst[53:48];
    wire [5:0]  ffn_nshift = lconst[61:56];
    wire [31:0] rms_eps    = lconst[95:64];
    wire [15:0] logit_mult = lconst[111:96];
    wire [5:0]  logit_shift = lconst[117:112];
    wire [5:0]  fin_nshift = lconst[125:120];

    wire [W_AB-1:0]      mv_w_addr;
    reg  [W_AB-1:0]      emb_w_addr;
    wire [W_AB-1:0]      w_rom_addr;
    wire [WEIGHTS_WIDTH-1:0] w_raw;     // one ROM word of element codes (weight format WFMT)
    wire [WBITS*LANES-1:0]   w_data;    // decoded lane operands (rf_wdecode)
    wire                 mv_busy;
    assign w_rom_addr = mv_busy ? mv_w_addr : emb_w_addr;
    rf_rom #(.WIDTH(WEIGHTS_WIDTH), .DEPTH(WEIGHTS_DEPTH), .ADDR_BITS(W_AB),
             .FILE({`ROM_DIR, "/", WEIGHTS_FILE}), .OUT_REG(1)) u_weights (   // 2-cycle read (rf_matvec)
        .clk(clk), .en(1'b1), .addr(w_rom_addr), .rdata(w_raw));

    // Group scale codes of each weight word, read at the word's own address (formats with
    // group/block scales; docs/arithmetic.md 3a), and the combinational decode to lane operands.
    localparam integer WSC_W = (WSCALE_WIDTH > 0) ? WSCALE_WIDTH : 1;
    wire [WSC_W-1:0] w_scale;
    generate
        if (WSCALE_WIDTH > 0) begin : g_wscale
            rf_rom #(.WIDTH(WSC_W), .DEPTH(WSCALE_DEPTH), .ADDR_BITS(W_AB),
                     .FILE({`ROM_DIR, "/", WSCALE_FILE}), .OUT_REG(1)) u_wscale (
                .clk(clk), .en(1'b1), .addr(w_rom_addr), .rdata(w_scale));
        end else begin : g_no_wscale
            assign w_scale = {WSC_W{1'b0}};
        end
    endgenerate
    rf_wdecode #(.FMT(WFMT), .LANES(LANES), .GROUP(WGROUP), .WORD_BITS(WEIGHTS_WIDTH),
                 .SC_BITS((WSCALE_BITS > 0) ? WSCALE_BITS : 1), .SC_WIDTH(WSC_W), .WBITS(WBITS)) u_wdecode (
        .w_word(w_raw), .s_word(w_scale), .w_eff(w_data));

    wire [RQ_AB-1:0] rq_addr;
    wire [23:0]      rq_data;
    rf_rom #(.WIDTH(24), .DEPTH(REQUANT_DEPTH), .ADDR_BITS(RQ_AB),
             .FILE({`ROM_DIR, "/", REQUANT_FILE}), .OUT_REG(1)) u_requant (   // 2-cycle read (rf_matvec)
        .clk(clk), .en(1'b1), .addr(rq_addr), .rdata(rq_data));

    wire [23:0] emb_rq;
    rf_rom #(.WIDTH(24), .DEPTH(EMB_REQUANT_DEPTH), .ADDR_BITS(EMB_AB),
             .FILE({`ROM_DIR, "/", EMB_REQUANT_FILE})) u_emb_requant (
        .clk(clk), .en(1'b1), .addr(cur_tok[EMB_AB-1:0]), .rdata(emb_rq));

    // SILU lookup: the h1 row's address goes to the ROM in its own cycle (the data is ready
    // for the h3 row in the next cycle) and is held in silu_addr for any gap between rows.
    reg  [SILU_AB-1:0] silu_addr;
    wire               h1_row    = (state == S_W13) && y_valid && !y_row[0];
    wire [SILU_AB-1:0] silu_next = SILU_AB'(layer) * SILU_AB'(256) + SILU_AB'(y_data[7:0] ^ 8'h80);
    wire [15:0]        silu_data;
    rf_rom #(.WIDTH(16), .DEPTH(SILU_DEPTH), .ADDR_BITS(SILU_AB),
             .FILE({`ROM_DIR, "/", SILU_FILE})) u_silu (
        .clk(clk), .en(1'b1), .addr(h1_row ? silu_next : silu_addr), .rdata(silu_data));

    // RoPE: this position's COS/SIN pairs, composed from the angle-addition ROM while the
    // token's embedding runs (rf_rope_gen; ready long before the first q/k pair).
    reg  [ROPE_PB-1:0] rope_pair;
    wire [31:0]        rope_data;
    wire               rope_busy;
    rf_rope_gen #(.HALF(HALF_HEAD), .DEPTH(ROPE_DEPTH), .ADDR_BITS(ROPE_AB),
                  .FILE({`ROM_DIR, "/", ROPE_FILE})) u_rope (
        .clk(clk), .rst_n(rst_n), .start(state == S_EMBED && emb_cnt == {EMB_CW{1'b0}}), .pos(pos),
        .pair(rope_pair), .cos_sin(rope_data), .busy(rope_busy));

    // ------------------------------------------------------------------ embedding
    // One requant unit, one element per cycle (the embedding is 2 phases' worth of work per token:
    // LANES parallel units, a multiplier block each, sat idle for the rest of it). Element
    // e = emb_cnt - 3 is lane e % LANES of the word read for it three cycles earlier (address
    // register, ROM, ROM output register); its product with M is registered, then rounded, then
    // shifted (rf_rsr, two register stages), then saturated and written when emb_cnt = e + 6 (one
    // multiplier, add or shift per stage). Operand
    // isolation: the unit sees the weight stream only in S_EMBED, so it does not toggle on
    // every matvec word (power; and Icarus time).
    wire [EMB_CW-1:0]     emb_elem = emb_cnt - EMB_CW'(3);
    reg  [WBITS-1:0]      emb_in;
    always @(*) begin
        emb_in = {WBITS{1'b0}};
        if (state == S_EMBED) emb_in = w_data[WBITS * (32'(emb_elem) % LANES) +: WBITS];
    end
    reg  signed [WBITS+15:0] emb_prod;   // |w * M| < 2^(WBITS-1) * 2^16
    reg         [5:0]        emb_sh;
    always @(posedge clk) begin
        emb_prod <= (WBITS + 16)'($signed(emb_in)) * $signed({1'b0, emb_rq[15:0]});
        emb_sh   <= emb_rq[21:16];
    end
    wire signed [WBITS+16:0] emb_rnd_q;   // rsr(emb_prod, emb_sh), two cycles after emb_prod
    wire signed [15:0]       emb_y;
    rf_rsr #(.IN_BITS(WBITS + 16), .PIPE(1)) u_emb_rsr (.clk(clk), .p(emb_prod), .shift(emb_sh), .r(emb_rnd_q));
    rf_sat #(.IN_BITS(WBITS + 17), .OUT_BITS(16)) u_emb_sat (.x(emb_rnd_q), .y(emb_y));

    // ------------------------------------------------------------------ matvec
    reg                 mv_start;
    reg  [W_AB-1:0]     mv_base;
    reg  [15:0]         mv_rows;
    reg  [WPR_BITS-1:0] mv_wpr;
    reg  [RQ_AB-1:0]    mv_rq_base;
    reg                 mv_out16;
    wire [WPR_BITS-1:0] act_idx;
    wire [8*LANES-1:0]  act_word;
    wire                mv_done;

    // Where each phase's matrix lives (the ROM layout of sim_models/compiler.py): first weight
    // word, rows, words per row, first requant entry, output width.
    reg                 mv_is_phase;
    reg  [W_AB-1:0]     mv_cfg_base;
    reg  [15:0]         mv_cfg_rows;
    reg  [WPR_BITS-1:0] mv_cfg_wpr;
    reg  [RQ_AB-1:0]    mv_cfg_rq;
    reg                 mv_cfg_out16;
    wire [W_AB-1:0]     layer_word = W_AB'(layer) * W_AB'(LAYER_WORDS);
    wire [RQ_AB-1:0]    layer_row  = RQ_AB'(layer) * RQ_AB'(LAYER_ROWS);
    always @(*) begin
        mv_is_phase = 1'b1;
        mv_cfg_base = layer_word;
        mv_cfg_rows = DIM[15:0];
        mv_cfg_wpr = WPR_BITS'(WORDS_DIM);
        mv_cfg_rq = layer_row;
        mv_cfg_out16 = 1'b0;
        case (state)
            S_QKV: mv_cfg_rows = QKV_ROWS[15:0];
            S_WO: begin
                mv_cfg_base = layer_word + W_AB'(OFF_WO);
                mv_cfg_rq = layer_row + RQ_AB'(ROW_WO);
                mv_cfg_out16 = 1'b1;
            end
            S_W13: begin
                mv_cfg_base = layer_word + W_AB'(OFF_W13);
                mv_cfg_rows = 16'd2 * HIDDEN[15:0];
                mv_cfg_rq = layer_row + RQ_AB'(ROW_W13);
            end
            S_W2: begin
                mv_cfg_base = layer_word + W_AB'(OFF_W2);
                mv_cfg_wpr = WPR_BITS'(WORDS_HIDDEN);
                mv_cfg_rq = layer_row + RQ_AB'(ROW_W2);
                mv_cfg_out16 = 1'b1;
            end
            S_CLS: begin
                mv_cfg_base = W_AB'(CLS_BASE);
                mv_cfg_rows = VOCAB[15:0];
                mv_cfg_rq = RQ_AB'(CLS_ROW_BASE);
                mv_cfg_out16 = 1'b1;
            end
            default: mv_is_phase = 1'b0;
        endcase
    end

    // The matvec's activation word, read in two levels (routing: one word mux over every buffer
    // word pulled g_buf, nrm_buf and att_buf to one place, and router2 found the most congestion
    // per cell on those nets once rf_select's read was split): a register per group of AG words
    // holds the word of its group that act_idx selects, loaded at the edge after act_idx changes
    // (the matvec's first activation register, moved here: ACT_REG 0, no cycle added), then a
    // mux of the group registers by act_idx one cycle late. Words past a buffer's end read 0.
    localparam integer AG  = 4;                              // words per read group
    localparam integer AGB = 2;                              // log2(AG)
    localparam integer NAG = (WPR_MAX + AG - 1) / AG;        // read groups
    localparam integer AGW = (WPR_BITS > AGB) ? WPR_BITS - AGB : 1;
    reg  [8*LANES-1:0]  act_grp [0:NAG-1];
    reg  [WPR_BITS-1:0] act_idx_q;
    wire [AGB-1:0]      act_lo  = AGB'(act_idx);
    wire [AGW-1:0]      act_grp_q = (WPR_BITS > AGB) ? AGW'(act_idx_q >> AGB) : {AGW{1'b0}};
    integer ag, aj;
    always @(posedge clk) begin
        act_idx_q <= act_idx;
        for (ag = 0; ag < NAG; ag = ag + 1) begin
            act_grp[ag] <= {8*LANES{1'b0}};
            for (aj = 0; aj < AG; aj = aj + 1) begin
                if (act_lo == AGB'(aj)) begin
                    case (state)
                        S_WO: if (ag * AG + aj < WORDS_DIM)
                            act_grp[ag] <= att_buf[(ag * AG + aj) * (8 * LANES) +: 8 * LANES];
                        S_W2: if (ag * AG + aj < WORDS_HIDDEN)
                            act_grp[ag] <= g_buf[(ag * AG + aj) * (8 * LANES) +: 8 * LANES];
                        default: if (ag * AG + aj < WORDS_DIM)
                            act_grp[ag] <= nrm_buf[(ag * AG + aj) * (8 * LANES) +: 8 * LANES];
                    endcase
                end
            end
        end
    end
    assign act_word = act_grp[act_grp_q];

    rf_matvec #(.LANES(LANES), .ADDR_BITS(W_AB), .RQ_ADDR_BITS(RQ_AB), .WPR_BITS(WPR_BITS), .WBITS(WBITS),
                .ACT_REG(0)) u_matvec (
        .clk(clk), .rst_n(rst_n), .start(mv_start), .cfg_base(mv_base), .cfg_rows(mv_rows),
        .cfg_wpr(mv_wpr), .cfg_rq_base(mv_rq_base), .cfg_out16(mv_out16),
        .w_addr(mv_w_addr), .w_data(w_data), .rq_addr(rq_addr), .rq_data(rq_data),
        .act_idx(act_idx), .act_word(act_word),
        .y_valid(mvo_valid), .y_row(mvo_row), .y_data(mvo_data), .done(mvo_done), .busy(mv_busy));

    // ------------------------------------------------------------------ LoRA adapter (rf_lora)
    // The matvec's row stream passes through the adapter unit: a wire unless an enabled adapter
    // targets this phase's matrices, then the unit's pre-pass runs before the matvec starts and
    // the rows come out LORA_STREAM cycles later with the LoRA term added (docs/rtl.md).
    wire                mvo_valid;
    wire [15:0]         mvo_row;
    wire signed [15:0]  mvo_data;
    wire                mvo_done;
    wire                lora_active;
    wire                lora_pre_done;
    reg                 lora_start;
    always @(posedge clk) lora_start <= rst_n && entry && mv_is_phase && lora_active;
    generate
        if (LORA_RANK > 0) begin : g_lora
            wire [WPR_BITS-1:0] lora_act_idx;
            reg  [8*LANES-1:0]  lora_act_word;
            always @(*) begin
                lora_act_word = {8*LANES{1'b0}};
                case (state)
                    S_WO:    if (lora_act_idx < WPR_BITS'(WORDS_DIM))    lora_act_word = att_buf[lora_act_idx*(8*LANES) +: 8*LANES];
                    S_W2:    if (lora_act_idx < WPR_BITS'(WORDS_HIDDEN)) lora_act_word = g_buf[lora_act_idx*(8*LANES) +: 8*LANES];
                    default: if (lora_act_idx < WPR_BITS'(WORDS_DIM))    lora_act_word = nrm_buf[lora_act_idx*(8*LANES) +: 8*LANES];
                endcase
            end
            wire       lora_ph_valid = (state == S_QKV) || (state == S_WO) || (state == S_W13) || (state == S_W2);
            wire [1:0] lora_ph_kind  = (state == S_WO) ? 2'd1 : (state == S_W13) ? 2'd2 : (state == S_W2) ? 2'd3 : 2'd0;
            rf_lora #(.LANES(LANES), .DIM(DIM), .KV_DIM(KV_DIM), .HIDDEN(HIDDEN), .N_LAYERS(N_LAYERS),
                      .WORDS_DIM(WORDS_DIM), .WORDS_HIDDEN(WORDS_HIDDEN), .WPR_BITS(WPR_BITS), .RANK(LORA_RANK),
                      .TARGETS(LORA_TARGETS)) u_lora (
                .clk(clk), .rst_n(rst_n), .bus_addr(lora_addr), .bus_we(lora_we), .bus_wdata(lora_wdata),
                .bus_rdata(lora_rdata), .enable(cfg_lora_en), .ph_valid(lora_ph_valid), .ph_kind(lora_ph_kind),
                .layer(layer), .active(lora_active), .start(lora_start), .pre_done(lora_pre_done),
                .act_idx(lora_act_idx), .act_word(lora_act_word),
                .y_valid_i(mvo_valid), .y_row_i(mvo_row), .y_data_i(mvo_data), .done_i(mvo_done),
                .y_valid_o(y_valid), .y_row_o(y_row), .y_data_o(y_data), .done_o(mv_done));
        end else begin : g_no_lora
            assign y_valid = mvo_valid;
            assign y_row = mvo_row;
            assign y_data = mvo_data;
            assign mv_done = mvo_done;
            assign lora_active = 1'b0;
            assign lora_pre_done = 1'b0;
            assign lora_rdata = 32'd0;
            wire unused_lora = &{1'b0, cfg_lora_en, lora_addr, lora_we, lora_wdata, lora_start};
        end
    endgenerate

    // ------------------------------------------------------------------ RMSNorm
    reg                  nrm_start;
    reg  [7:0]           nrm_idx;
    reg  [5:0]           nrm_shift;
    // RMSNorm runs NORM_LANES (<= LANES, a divisor of it) elements per cycle over WORDS_NORM words:
    // the first NORM_LANES * WORDS_NORM <= DIM_PAD elements of the residual; the rest of nrm_y is
    // padding (zero), as the lane-padded matvec input expects.
    localparam integer NORM_ELEMS = NORM_LANES * WORDS_NORM;
    wire [8*NORM_ELEMS-1:0] nrm_out;
    wire [8*DIM_PAD-1:0]    nrm_y;
    generate
        if (NORM_ELEMS < DIM_PAD) begin : g_nrm_pad
            assign nrm_y = {{(8 * (DIM_PAD - NORM_ELEMS)){1'b0}}, nrm_out};
        end else begin : g_nrm_full
            assign nrm_y = nrm_out;
        end
    endgenerate
    wire                    nrm_done;
    wire                    nrm_busy;
    assign nrm_buf = nrm_y;
    rf_rmsnorm #(.LANES(NORM_LANES), .WORDS(WORDS_NORM), .NORMS(2 * N_LAYERS + 1),
                 .NORM_FILE({`ROM_DIR, "/", NORM_FILE}), .RSQRT_FILE({`ROM_DIR, "/", RSQRT_FILE})) u_rmsnorm (
        .clk(clk), .rst_n(rst_n), .start(nrm_start), .norm_idx(nrm_idx), .nshift(nrm_shift), .eps(48'(rms_eps)),
        .x_flat(x_res[16*NORM_ELEMS-1:0]), .y_flat(nrm_out), .done(nrm_done), .busy(nrm_busy));

    // ------------------------------------------------------------------ attention
    reg                  att_start;
    reg                  kv_we;
    wire [8*DIM-1:0]     att_out;
    wire                 att_done;
    wire                 att_busy;
    generate
        if (DIM_PAD > DIM) begin : g_att_pad
            assign att_buf = {{(8 * (DIM_PAD - DIM)){1'b0}}, att_out};
        end else begin : g_att_full
            assign att_buf = att_out;
        end
    endgenerate
    rf_attention #(.DIM(DIM), .N_HEADS(N_HEADS), .N_KV_HEADS(N_KV_HEADS), .HEAD_SIZE(HEAD_SIZE),
                   .SEQ_LEN(SEQ_LEN), .N_LAYERS(N_LAYERS), .EXP2_FILE({`ROM_DIR, "/", EXP2_FILE})) u_attention (
        .clk(clk), .rst_n(rst_n),
        .kv_we(kv_we), .kv_layer(layer), .kv_pos(pos), .k_row(k_row), .v_row(v_row),
        .start(att_start), .layer(layer), .pos(pos), .q_flat(q_buf),
        .att_mult(att_mult), .att_shift(att_shift),
        .out_flat(att_out), .done(att_done), .busy(att_busy));

    // ------------------------------------------------------------------ select
    reg          sel_start;
    reg          sel_finish;
    wire [15:0]  sel_token;
    wire         sel_done;
    rf_select #(.VOCAB(VOCAB), .K_MAX(K_MAX), .EXP2_FILE({`ROM_DIR, "/", EXP2_FILE})) u_select (
        .clk(clk), .rst_n(rst_n), .logit_mult(logit_mult), .logit_shift(logit_shift), .seed_load(sel_seed_load), .seed(cfg_seed),
        .start(sel_start), .mode_sample(gen_sample), .inv_temp(gen_inv_temp), .top_k(gen_top_k),
        .l_valid(y_valid && state == S_CLS), .l_index(y_row), .l_value(y_data),
        .finish(sel_finish), .token(sel_token), .done(sel_done));

    // ------------------------------------------------------------------ row glue
    // RoPE: even rows of q/k wait for their odd partner; SwiGLU: h1 rows (even) look up
    // SILU, h3 rows (odd) combine; WO/W2 rows add into the residual.
    reg  signed [7:0]  even_val;
    wire signed [7:0]  rope_a;
    wire signed [7:0]  rope_b;
    rf_rope u_rope_pair (
        .clk(clk), .a(even_val), .b(y_data[7:0]), .c(rope_data[15:0]), .s(rope_data[31:16]),
        .a2(rope_a), .b2(rope_b));

    wire signed [7:0] gate;
    rf_swiglu u_swiglu (
        .clk(clk), .silu(silu_data), .h3(y_data[7:0]), .mult(gate_mult), .shift(gate_shift), .g(gate));

    // residual: the addressed element and the row's value are registered (the DIM:1 mux ends
    // there), then added, saturated and written one cycle after the row (g1, timing)
    reg  signed [15:0] res_old;
    reg  signed [15:0] res_y;
    always @(posedge clk) begin
        res_old <= $signed(x_res[16*y_row +: 16]);
        res_y   <= y_data;
    end
    wire signed [16:0] res_sum  = 17'(res_old) + 17'(res_y);
    wire signed [15:0] res_sat;
    rf_sat #(.IN_BITS(17), .OUT_BITS(16)) u_res_sat (.x(res_sum), .y(res_sat));   // sign bits, no comparators
    // The rotated pair and the residual are written 1 cycle after their row, the gate SWIGLU_LAT = 4
    // cycles after its h3 row (the units' register stages): the rows' tags are delayed to match,
    // and the sequencer acts on the matvec's done GLUE_LAT = 4 cycles late
    // (sim_models/schedule.py PIPELINE["glue"]).
    reg  [3:0]  gl_valid;                  // gl_valid[i], gl_row[i]: the row of i + 1 cycles ago
    reg  [15:0] gl_row [0:3];
    reg  [3:0]  mv_done_q;
    wire        mv_fin   = mv_done_q[3];
    wire        g1_valid = gl_valid[0];
    wire [15:0] g1_row   = gl_row[0];
    wire        g4_valid = gl_valid[3];
    wire [15:0] g4_row   = gl_row[3];
    integer gi;
    always @(posedge clk) begin
        if (!rst_n) begin
            gl_valid  <= 4'b0000;
            mv_done_q <= 4'b0000;
            for (gi = 0; gi < 4; gi = gi + 1) gl_row[gi] <= 16'd0;
        end else begin
            gl_valid  <= {gl_valid[2:0], y_valid};
            mv_done_q <= {mv_done_q[2:0], mv_done};
            gl_row[0] <= y_row;
            for (gi = 1; gi < 4; gi = gi + 1) gl_row[gi] <= gl_row[gi - 1];
        end
    end
    wire [15:0] half_row = g4_row >> 1;
    wire [15:0] rope_f    = (y_row % HEAD_SIZE[15:0]) >> 1;
    wire [15:0] rope_next = (rope_f == HALF_HEAD[15:0] - 16'd1) ? 16'd0 : rope_f + 16'd1;


    // ------------------------------------------------------------------ out-of-forward conditions
    wire tok_bad        = (in_data >= VOCAB[15:0]);
    wire ctx_full_in    = (pos >= SEQ_LEN[15:0]);
    wire stop_hit       = gen_stop_en && (sel_token == gen_stop_token);
    wire budget_last    = ((gen_count + 16'd1) >= gen_budget);
    wire ctx_last       = (pos + 16'd1 >= SEQ_LEN[15:0]);   // in S_DONE: no position left to feed the token back
    wire last_layer     = (layer == N_LAYERS[7:0] - 8'd1);

    // ------------------------------------------------------------------ sequencer
    always @(posedge clk) begin
        if (!rst_n) begin
            state <= S_IDLE;
            entry <= 1'b0;
            layer <= 8'd0;
            pos <= 16'd0;
            cur_tok <= 16'd0;
            cur_emit <= 1'b0;
            prompt_err <= 1'b0;
            mid_prompt <= 1'b0;
            gen_count <= 16'd0;
            gen_budget <= 16'd0;
            gen_sample <= 1'b0;
            gen_inv_temp <= 16'd0;
            gen_top_k <= 8'd0;
            gen_stop_token <= 16'd0;
            gen_stop_en <= 1'b0;
            seed_pending <= 1'b0;
            sel_seed_load <= 1'b0;
            end_by_ctx <= 1'b0;
            emb_cnt <= {EMB_CW{1'b0}};
            emb_w_addr <= {W_AB{1'b0}};
            fwd_cycles <= 32'd0;
            in_ready <= 1'b0;
            out_valid <= 1'b0;
            out_data <= 16'd0;
            out_last <= 1'b0;
            st_new_seq_pending <= 1'b0;
            err_set <= 3'd0;
            cnt_cycles <= 64'd0;
            cnt_tokens_in <= 32'd0;
            cnt_tokens_out <= 32'd0;
            cnt_last_cycles <= 32'd0;
            x_res <= {16*DIM_PAD{1'b0}};
            q_buf <= {8*DIM{1'b0}};
            k_row <= {8*KV_DIM{1'b0}};
            v_row <= {8*KV_DIM{1'b0}};
            g_buf <= {8*HID_PAD{1'b0}};
            even_val <= 8'sd0;
            silu_addr <= {SILU_AB{1'b0}};
            rope_pair <= {ROPE_PB{1'b0}};
            mv_start <= 1'b0;
            mv_base <= {W_AB{1'b0}};
            mv_rows <= 16'd0;
            mv_wpr <= {WPR_BITS{1'b0}};
            mv_rq_base <= {RQ_AB{1'b0}};
            mv_out16 <= 1'b0;
            nrm_start <= 1'b0;
            nrm_idx <= 8'd0;
            nrm_shift <= 6'd0;
            att_start <= 1'b0;
            kv_we <= 1'b0;
            sel_start <= 1'b0;
            sel_finish <= 1'b0;
        end else begin
            // one-cycle pulses
            entry <= 1'b0;
            mv_start <= 1'b0;
            nrm_start <= 1'b0;
            att_start <= 1'b0;
            kv_we <= 1'b0;
            sel_start <= 1'b0;
            sel_finish <= 1'b0;
            sel_seed_load <= 1'b0;
            err_set <= 3'd0;
            if (cfg_seed_load) seed_pending <= 1'b1;

            if (lora_active ? lora_pre_done : (entry && mv_is_phase)) begin   // with an adapter: after its pre-pass
                mv_start <= 1'b1;
                mv_base <= mv_cfg_base;
                mv_rows <= mv_cfg_rows;
                mv_wpr <= mv_cfg_wpr;
                mv_rq_base <= mv_cfg_rq;
                mv_out16 <= mv_cfg_out16;
            end
            if (ctrl_new_seq) st_new_seq_pending <= 1'b1;
            if (ctrl_clear_counters) begin
                cnt_cycles <= 64'd0;
                cnt_tokens_in <= 32'd0;
                cnt_tokens_out <= 32'd0;
                cnt_last_cycles <= 32'd0;
            end else if (state != S_IDLE && state != S_EMIT && state != S_ERRBEAT) begin
                cnt_cycles <= cnt_cycles + 64'd1;
            end
            if (state != S_IDLE && state != S_EMIT && state != S_ERRBEAT) fwd_cycles <= fwd_cycles + 32'd1;

            case (state)
                // ---------------------------------------------------------- idle: take a prompt token
                // A beat offered while in_ready is high is always taken (the skid buffer has
                // already counted it delivered); ready is not raised while a NEW_SEQ waits to
                // clear the position between prompts, so no beat can race the clear.
                S_IDLE: begin
                    if (in_ready && in_valid) begin
                        in_ready <= 1'b0;
                        if (!ctrl_clear_counters) cnt_tokens_in <= cnt_tokens_in + 32'd1;
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
                        if (prompt_err || tok_bad || ctx_full_in) begin
                            if (!prompt_err) err_set <= tok_bad ? 3'b001 : 3'b010;
                            prompt_err <= !in_last;
                            if (in_last) begin
                                state <= S_ERRBEAT;
                                out_valid <= 1'b1;
                                out_data <= ERROR_TOKEN;
                                out_last <= 1'b1;
                            end
                        end else begin
                            cur_tok <= in_data;
                            cur_emit <= in_last && (cfg_budget != 16'd0);
                            gen_count <= 16'd0;
                            state <= S_EMBED;
                            entry <= 1'b1;
                            emb_cnt <= {EMB_CW{1'b0}};
                            fwd_cycles <= 32'd0;
                        end
                    end else if (st_new_seq_pending && !mid_prompt && !ctrl_new_seq) begin
                        pos <= 16'd0;
                        st_new_seq_pending <= 1'b0;
                    end else begin
                        in_ready <= mid_prompt || !(st_new_seq_pending || ctrl_new_seq);
                    end
                end

                S_ERRBEAT: if (out_ready) begin
                    out_valid <= 1'b0;
                    out_last <= 1'b0;
                    state <= S_IDLE;
                end

                // ---------------------------------------------------------- embedding
                S_EMBED: begin
                    layer <= 8'd0;
                    emb_w_addr <= W_AB'(EMB_BASE) + W_AB'(cur_tok) * W_AB'(WORDS_DIM) + W_AB'(32'(emb_cnt) / LANES);
                    for (wi = 0; wi < DIM_PAD; wi = wi + 1)         // element emb_cnt - 6
                        if (emb_cnt == EMB_CW'(wi + 6)) x_res[16*wi +: 16] <= emb_y;
                    emb_cnt <= emb_cnt + EMB_CW'(1);
                    if (emb_cnt == EMB_CW'(DIM_PAD + 5)) begin
                        state <= S_NORM_ATT;
                        entry <= 1'b1;
                    end
                end

                // ---------------------------------------------------------- attention block
                S_NORM_ATT: begin
                    if (entry) begin
                        nrm_start <= 1'b1;
                        nrm_idx <= 8'd2 * layer;
                        nrm_shift <= att_nshift;
                    end
                    if (nrm_done) begin
                        state <= S_QKV;
                        entry <= 1'b1;
                    end
                end

                S_QKV: begin
                    // The RoPE table address always points at the pair being assembled: pair 0 at
                    // entry, the next pair after each odd row, so the registered ROM data is
                    // ready when the odd row arrives.
                    if (entry) rope_pair <= {ROPE_PB{1'b0}};
                    if (y_valid) begin
                        if (y_row < QK_ROWS[15:0]) begin
                            if (y_row[0])
                                rope_pair <= ROPE_PB'(rope_next);
                            if (!y_row[0]) even_val <= y_data[7:0];
                        end else begin
                            for (wi = 0; wi < KV_DIM; wi = wi + 1)
                                if (y_row == 16'(QK_ROWS + wi)) v_row[8*wi +: 8] <= y_data[7:0];
                        end
                    end
                    if (g1_valid && g1_row < QK_ROWS[15:0] && g1_row[0]) begin   // rotated pair
                        for (wi = 0; wi < DIM / 2; wi = wi + 1)
                            if (g1_row == 16'(2 * wi + 1)) q_buf[16*wi +: 16] <= {rope_b, rope_a};
                        for (wi = 0; wi < KV_DIM / 2; wi = wi + 1)
                            if (g1_row == 16'(DIM + 2 * wi + 1)) k_row[16*wi +: 16] <= {rope_b, rope_a};
                    end
                    if (mv_fin) begin
                        state <= S_KVW;
                        kv_we <= 1'b1;
                    end
                end

                S_KVW: begin
                    state <= S_ATT;
                    entry <= 1'b1;
                end

                S_ATT: begin
                    if (entry) att_start <= 1'b1;
                    if (att_done) begin
                        state <= S_WO;
                        entry <= 1'b1;
                    end
                end

                S_WO: begin
                    if (g1_valid)
                        for (wi = 0; wi < DIM; wi = wi + 1)
                            if (g1_row == 16'(wi)) x_res[16*wi +: 16] <= res_sat;
                    if (mv_fin) begin
                        state <= S_NORM_FFN;
                        entry <= 1'b1;
                    end
                end

                // ---------------------------------------------------------- feed-forward block
                S_NORM_FFN: begin
                    if (entry) begin
                        nrm_start <= 1'b1;
                        nrm_idx <= 8'd2 * layer + 8'd1;
                        nrm_shift <= ffn_nshift;
                    end
                    if (nrm_done) begin
                        state <= S_W13;
                        entry <= 1'b1;
                    end
                end

                S_W13: begin
                    if (y_valid && !y_row[0]) silu_addr <= silu_next;
                    if (g4_valid && g4_row[0])
                        for (wi = 0; wi < HIDDEN; wi = wi + 1)
                            if (half_row == 16'(wi)) g_buf[8*wi +: 8] <= gate;
                    if (mv_fin) begin
                        state <= S_W2;
                        entry <= 1'b1;
                    end
                end

                S_W2: begin
                    if (g1_valid)
                        for (wi = 0; wi < DIM; wi = wi + 1)
                            if (g1_row == 16'(wi)) x_res[16*wi +: 16] <= res_sat;
                    if (mv_fin) begin
                        entry <= 1'b1;
                        if (!last_layer) begin
                            layer <= layer + 8'd1;
                            state <= S_NORM_ATT;
                        end else if (cur_emit) begin
                            state <= S_NORM_FIN;
                        end else begin
                            state <= S_DONE;
                        end
                    end
                end

                // ---------------------------------------------------------- output
                S_NORM_FIN: begin
                    if (entry) begin
                        nrm_start <= 1'b1;
                        nrm_idx <= 8'd2 * N_LAYERS[7:0];
                        nrm_shift <= fin_nshift;
                    end
                    if (nrm_done) begin
                        state <= S_CLS;
                        entry <= 1'b1;
                    end
                end

                S_CLS: begin
                    if (entry) sel_start <= 1'b1;
                    if (mv_fin) begin
                        sel_finish <= 1'b1;
                        state <= S_SELECT;
                    end
                end

                S_SELECT: if (sel_done) begin
                    state <= S_DONE;
                    entry <= 1'b1;
                end

                // ---------------------------------------------------------- end of a forward pass
                S_DONE: begin
                    pos <= pos + 16'd1;
                    // this DONE cycle included; a CLEAR_COUNTERS in this cycle wins, as for CYCLES
                    if (!ctrl_clear_counters) cnt_last_cycles <= fwd_cycles + 32'd1;
                    if (cur_emit) begin
                        state <= S_EMIT;
                        out_valid <= 1'b1;
                        out_data <= sel_token;
                        // pos is incremented this cycle: pos + 1 is where the token would be fed.
                        out_last <= budget_last || stop_hit || ctx_last;
                        end_by_ctx <= ctx_last && !budget_last && !stop_hit;
                    end else begin
                        state <= S_IDLE;
                    end
                end

                S_EMIT: if (out_ready) begin
                    out_valid <= 1'b0;
                    out_last <= 1'b0;
                    gen_count <= gen_count + 16'd1;
                    if (!ctrl_clear_counters) cnt_tokens_out <= cnt_tokens_out + 32'd1;
                    if (out_last) begin
                        if (end_by_ctx) err_set <= 3'b100;
                        cur_emit <= 1'b0;
                        state <= S_IDLE;
                    end else begin
                        cur_tok <= out_data;
                        state <= S_EMBED;
                        entry <= 1'b1;
                        emb_cnt <= {EMB_CW{1'b0}};
                        fwd_cycles <= 32'd0;
                    end
                end

                default: state <= S_IDLE;
            endcase
        end
    end

    // Bits some model shapes leave unused (the widths depend on the model), and header
    // constants the units derive for themselves.
    wire unused_ok = &{1'b0, nrm_busy, att_busy, rope_busy, cur_tok, emb_rq, rope_next, SHARED_CLS[0], RSQRT_ENTRIES[0],
                       EXP2_ENTRIES[0], NORM_DEPTH[0], RSQRT_DEPTH[0], EXP2_DEPTH[0],
                       lconst[63:62], lconst[55:54], lconst[47:46], lconst[23:22], lconst[119:118],
                       lconst[127:126]};
endmodule

`default_nettype wire
