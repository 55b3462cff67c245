// rf_attention -- attention of one query vector over the KV cache, KV groups overlapped
// (docs/arithmetic.md section 6, sim_models.golden.attention):
//
//   score_t = q . K[t]                   t = 0 .. pos    (2 QKV_BITS + log2 HEAD_SIZE bits, one per head)
//   u_t     = rsr((max_t score - score_t) * att_mult, att_shift)
//   p_t     = (u_t >> 8) >= 16 ? 0 : EXP2[u_t & 255] >> (u_t >> 8)
//   P = sum p_t;  (INV, E) = reciprocal(P)             (rf_divider, one per slot and back end)
//   out[d]  = sat(rsr((sum_t p_t * V[t, d]) * INV, E + 15 - FRAC + QKV_BITS - 8), OUT_BITS)
//
// Widths follow the activation format (params.vh, docs/arithmetic.md 3b): q, k, v and the KV cache
// are QKV_BITS (ACT_QKV_BITS: 8 for --act static, 12 for --act mx, at their static scales with
// QKV_BITS - 8 more fraction bits), the output keeps FRAC (ACT_FRAC: 0 static, 4 mx) fraction bits
// below V's static scale and saturates to OUT_BITS (ACT_WIDE_BITS: 8 static, 15 mx); att_mult
// folds the 2^-2(QKV_BITS - 8) of q and k (a compiler constant). The pipeline is the same at every
// width: only the datapath registers and multipliers are wider.
//
// Query head h uses KV head h / GROUP (GROUP = N_HEADS / N_KV_HEADS). Group g computes heads
// g*GROUP .. g*GROUP+GROUP-1 on GROUP head slots (slot j: head g*GROUP + j) with K/V head g. The
// q.K products and the exp pipeline exist once per slot, not once per head; the back end (the
// p.V accumulators, P, the divider and the normalize unit of every slot) exists NB = min(N_BACK,
// N_KV_HEADS) times, and group g uses back end g % NB, so a group's divide and normalize run
// while the next groups make their passes.
//
// Storage: K and V caches (N_LAYERS*SEQ_LEN rows of KV_DIM QKV_BITS-bit entries each, one write port and one
// synchronous read port each, never reset: a row is always written before it is read), the
// score buffer (SEQ_LEN rows of GROUP scores, written in pass 1 and read in pass 2) and the
// EXP2 ROM (256 x 16, EXP2_FILE): one rf_rom (registered read) per slot.
//
// Schedule (edge 0 samples start; "cycle k" follows edge k; p2 = the cycle a group's pass 2 starts):
//   pass 1 : first group: cycles 0..pos; each later group beside the previous group's pass 2 (same
//            row counter). Present K row t; the next edge reads it, the one after registers it
//            again (the block RAM's clock-to-out stays out of the multipliers), then the HEAD_SIZE
//            products of every slot, their sums in groups of four, the groups' sum: the GROUP
//            scores (score[t] written 5 edges after row t was presented, 4 after pass 2 of the
//            previous group read it), then max (6 edges after); with the last row the max also
//            moves to max_p2, which the group's pass 2 reads.
//   gap    : 4 cycles after each pass 1 (its max is final in the cycle after them); the group's
//            pass 2 then starts once its back end is free, and the first group's once `resume`
//            has been sampled (at the edge L >= 0: the V row of the position is in): p2 =
//            max(pos + 5, L + 1) for the first group.
//   pass 2 : cycles p2..p2+pos present score[t];  read at edge p2+t+1, then
//                                 max - score (edge +1), its product with att_mult (edge +2),
//                                 + rounding term (edge +3), shift (edge +4), saturate: u
//                                 (edge +5), EXP2 lookup (edge +6; V row t read from the
//                                 cache), p (edge +7; the group's V slice registered), P
//                                 accumulate and p * V (edge +8), acc accumulate (edge +9): P
//                                 final at edge p2+pos+9.
//   divide : (back end) start in cycle p2+pos+9, rf_divider done in cycle p2+pos+18
//            (DIV_CYCLES = 8; acc is final long before).
//   norm   : (back end) cycles p2+pos+19 .. p2+pos+18+HEAD_SIZE: each slot's accumulators shift
//            through its normalize unit, one element per cycle: the three partial products of
//            acc * INV registered, their sum registered, then rounded and shifted (rf_rsr, two
//            register stages), then saturated into out_h (four cycles behind).
//   refill : the back end takes a later group's pass 2 from cycle p2+pos+10+HEAD_SIZE on (REFILL
//            cycles after the last row): that pass's first accumulate follows the last shift.
//   output : done is high in the cycle after the last group's last element reached out_h
//            (p2+pos+23+HEAD_SIZE).
// Each stage holds at most one multiplier, one adder level pair, one add, one shift or one
// saturation (timing). Latency: sim_models.schedule.attention_latency, 2*(pos+1) + 26 + HEAD_SIZE
// for one group (PIPELINE["attention"] = 26: 14 pipeline + 8 divider + 4 normalize cycles), each
// further group pos + 5 more, or, when its back end is still held, until the refill of group g - NB.
//
// Early start (sim_models.schedule.att_lead): the sequencer starts a run as soon as q and this
// position's K row are written, while the QKV matvec still streams the v rows, and writes the V row
// and pulses `resume` when the QKV phase ends, so the first group's pass 1 (pos + 1 rows) and gap
// run beside the v rows: a run resumed L cycles after its start ends min(L, pos + 4) cycles
// earlier after `resume` than one started there.
//
// Each back end's slot outputs shift into its own out_h register (the back end's groups' elements),
// and the query is rotated by one group when a pass 2 starts that has a group after it (the next
// group's pass 1), so nothing is indexed by a group counter but the K and V slices. out_flat is
// valid from done until the next start. start while busy is ignored, its arguments too; resume
// counts from the start edge on until done. The K and V write ports (k_we, v_we: one row of one
// cache at kv_layer, kv_pos) may be used at any time, also while busy, except for a row the run
// reads (layer, t <= pos): K row pos at or before the start, V row pos at or before the resume.
// layer/kv_layer are 8 bits and pos/kv_pos 16 bits (the core's counters); values must be below
// N_LAYERS / SEQ_LEN. DIM must equal N_HEADS * HEAD_SIZE and N_HEADS a multiple of N_KV_HEADS.
`default_nettype none

module rf_attention #(
    parameter integer DIM        = 32,
    parameter integer N_HEADS    = 4,
    parameter integer N_KV_HEADS = 2,
    parameter integer HEAD_SIZE  = 8,
    parameter integer SEQ_LEN    = 16,
    parameter integer N_LAYERS   = 2,
    parameter integer N_BACK     = 2,           // back ends (sim_models.schedule.ATT_BACK_ENDS)
    parameter         EXP2_FILE  = "exp2.hex",
    parameter integer QKV_BITS   = 8,           // q, k, v and KV cache entries: ACT_QKV_BITS
    parameter integer FRAC       = 0,           // output fraction bits below V's static scale: ACT_FRAC
    parameter integer OUT_BITS   = 8,           // output width: ACT_WIDE_BITS
    localparam integer KV_DIM     = N_KV_HEADS * HEAD_SIZE
) (
    input  wire                  clk,
    input  wire                  rst_n,
    // K and V cache write ports (single cycle, one address)
    input  wire                  k_we,
    input  wire                  v_we,
    input  wire [7:0]            kv_layer,       // < N_LAYERS
    input  wire [15:0]           kv_pos,         // < SEQ_LEN
    input  wire [QKV_BITS*KV_DIM-1:0] k_row,
    input  wire [QKV_BITS*KV_DIM-1:0] v_row,
    // run
    input  wire                  start,
    input  wire                  resume,         // the V row of the position is in: pass 2 may start
    input  wire [7:0]            layer,          // < N_LAYERS
    input  wire [15:0]           pos,            // < SEQ_LEN
    input  wire [QKV_BITS*DIM-1:0] q_flat,
    input  wire [15:0]           att_mult,
    input  wire [5:0]            att_shift,
    output wire [OUT_BITS*DIM-1:0] out_flat,
    output reg                   done,
    output wire                  busy
);
    localparam integer GROUP     = N_HEADS / N_KV_HEADS;
    localparam integer NB        = (N_BACK < N_KV_HEADS) ? N_BACK : N_KV_HEADS;   // back ends used
    localparam integer DEPTH     = N_LAYERS * SEQ_LEN;
    localparam integer ADDR_BITS = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer QK_BITS   = 2 * QKV_BITS;                // q * k: |q * k| <= 2^(2 QKV_BITS - 2)
    localparam integer SC_BITS   = QK_BITS + $clog2(HEAD_SIZE); // score: |q . k| <= HEAD_SIZE * 2^(QK_BITS-2)
    localparam integer P_BITS    = 16 + $clog2(SEQ_LEN);        // P <= SEQ_LEN * 2^15
    // sum p*v: |p * v| <= 2^15 * 2^(QKV_BITS-1) (PV_BITS signed), so |acc| <= SEQ_LEN * 2^(QKV_BITS+14)
    // (>= -2^(ACC_BITS-1) at the bound): 23 + log2 SEQ_LEN bits static, 27 + log2 SEQ_LEN mx
    localparam integer PV_BITS   = QKV_BITS + 16;
    localparam integer ACC_BITS  = (P_BITS + QKV_BITS - 1 > PV_BITS) ? P_BITS + QKV_BITS - 1 : PV_BITS;
    // the output shift E + 15 - OUT_FRAC: the output keeps OUT_FRAC more fraction bits than V
    localparam integer OUT_FRAC  = FRAC - (QKV_BITS - 8);
    localparam integer HV_BITS   = QKV_BITS * HEAD_SIZE;        // one head's q, k or v vector
    localparam integer POS_BITS  = (SEQ_LEN > 1) ? $clog2(SEQ_LEN) : 1;
    localparam integer G_BITS    = (N_KV_HEADS > 1) ? $clog2(N_KV_HEADS) : 1;
    localparam integer NB_BITS   = (NB > 1) ? $clog2(NB) : 1;
    localparam integer QG_BITS   = QKV_BITS * GROUP * HEAD_SIZE; // one group's query slice
    localparam integer N_BITS    = (HEAD_SIZE > 1) ? $clog2(HEAD_SIZE) : 1;
    // a back end's accumulators may take a new group from REFILL cycles after its group's last
    // pass-2 row (their first accumulate then follows the last normalize shift)
    localparam integer DIV_CYCLES = 8;                          // rf_divider: start -> done
    localparam integer REFILL    = DIV_CYCLES + 1 + HEAD_SIZE;
    localparam integer R_BITS    = $clog2(REFILL);

    // front: pass 1 of the first group, the gap, then pass 2 of each group with the next group's
    // pass 1 beside it (same row counter), a gap after each
    localparam [1:0] S_IDLE = 2'd0, S_P1 = 2'd1, S_GAP = 2'd2, S_P2 = 2'd3;

    // ------------------------------------------------------------------ control
    reg  [1:0]            state;                                // front
    reg  [15:0]           t_cnt;
    reg                   run;                                  // from start until done
    reg                   v_ok;                                 // resume seen during the run
    reg  [7:0]            layer_r;
    reg  [15:0]           pos_r;
    reg  [QKV_BITS*DIM-1:0] q_r;
    reg  [15:0]           mult_r;
    reg  [5:0]            shift_r;
    reg  [G_BITS-1:0]     g_cnt;                                // KV group of the (next) pass 2
    reg  [G_BITS-1:0]     g_k;                                  // KV group of pass 1 (its K slice)
    reg  [NB_BITS-1:0]    b_sel;                                // back end of the (next) pass 2
    wire [NB-1:0]         b_ok;                                 // back end may take a pass 2
    wire [NB-1:0]         fin_q4;                               // run's last element, out of normalize

    // Pipeline tags (rf_delay lines, tap i = stage i + 1): pass 1 valid, first row, last row and
    // row index (s1 .. s5); pass 2 valid, first row, last row, last group, back end, group and row
    // index (a1 .. a9)
    localparam integer ST_W = POS_BITS + 3;
    localparam integer AT_W = POS_BITS + G_BITS + NB_BITS + 4;
    wire                  s4_vld, s5_vld, s5_first, s5_last;
    wire [POS_BITS-1:0]   s4_t;
    wire                  a6_vld, a8_vld, a8_first, a8_last, a8_fin, a9_vld, a9_first;
    wire [POS_BITS-1:0]   a6_t;
    wire [G_BITS-1:0]     a7_g;
    wire [NB_BITS-1:0]    a8_b, a9_b;

    wire                  t_last = (t_cnt == pos_r);
    wire                  g_last = (32'(g_cnt) == N_KV_HEADS - 1);
    wire                  gap_end = (state == S_GAP) && (t_cnt == pos_r + 16'd4);
    wire                  p2_go   = gap_end && b_ok[b_sel] && v_ok;   // pass 2 starts in the next cycle
    wire                  p2_end  = (state == S_P2) && t_last;
    wire                  p1_on   = (state == S_P1) || ((state == S_P2) && !g_last);
    assign busy = run;
    wire                  go      = start && !run;              // a run starts

    always @(posedge clk) begin
        if (!rst_n) begin
            state <= S_IDLE;
            t_cnt <= 16'd0;
            g_cnt <= {G_BITS{1'b0}};
            b_sel <= {NB_BITS{1'b0}};
            run   <= 1'b0;
            v_ok  <= 1'b0;
            done  <= 1'b0;
        end else begin
            done <= |fin_q4;
            if (go) run <= 1'b1;
            else if (|fin_q4) run <= 1'b0;
            if (go) v_ok <= resume;
            else if (run) v_ok <= !(|fin_q4) && (v_ok || resume);
            case (state)
                S_IDLE: if (go) begin
                    state <= S_P1;
                    t_cnt <= 16'd0;
                    g_cnt <= {G_BITS{1'b0}};
                    b_sel <= {NB_BITS{1'b0}};
                end
                S_P1: begin
                    t_cnt <= t_cnt + 16'd1;
                    if (t_last) state <= S_GAP;
                end
                S_GAP: begin                                    // four cycles: t_cnt pos+1 .. pos+4,
                    if (!gap_end) begin                         // then until the back end is free
                        t_cnt <= t_cnt + 16'd1;
                    end else if (p2_go) begin
                        state <= S_P2;
                        t_cnt <= 16'd0;
                    end
                end
                S_P2: begin                                     // beside it the next group's pass 1
                    t_cnt <= t_cnt + 16'd1;                     // (gap: t_cnt runs on to pos+4)
                    if (t_last) begin
                        state <= g_last ? S_IDLE : S_GAP;
                        if (!g_last) begin
                            g_cnt <= g_cnt + 1'b1;
                            b_sel <= (32'(b_sel) == NB - 1) ? {NB_BITS{1'b0}} : b_sel + 1'b1;
                        end
                    end
                end
                default: state <= S_IDLE;
            endcase
        end
    end

    // run arguments (datapath: no reset), taken while idle so the edge that starts a run latches
    // them: their enable is the registered `run`, not `start` (timing: the start comes from the
    // sequencer's unit-done mux and fanned out to every q bit across the die); when a pass 2 starts
    // that has a group after it, the query moves down by one group for that group's pass 1, so
    // slot j always reads q_r's head j
    always @(posedge clk) begin
        if (!run) begin
            layer_r <= layer;
            pos_r   <= pos;
            q_r     <= q_flat;
            mult_r  <= att_mult;
            shift_r <= att_shift;
            g_k     <= {G_BITS{1'b0}};
        end else if (p2_go && !g_last) begin
            q_r     <= q_r >> QG_BITS;
            g_k     <= g_cnt + 1'b1;
        end
    end

    // pipeline tags: the valid bits reset, the rest qualified by them
    wire [5*ST_W-1:0]     s_taps;               // {valid, first, last, t} of s1 .. s5
    wire [9*AT_W-1:0]     a_taps;               // {valid, first, last, fin, bank, group, t} of a1 .. a9
    wire [ST_W-1:0]       s5_tag;
    wire [AT_W-1:0]       a9_tag;
    rf_delay #(.WIDTH(ST_W), .DEPTH(5), .RESET(1)) u_s_tags (
        .clk(clk), .rst_n(rst_n), .d({p1_on, t_cnt == 16'd0, t_last, t_cnt[POS_BITS-1:0]}), .taps(s_taps),
        .q(s5_tag));
    rf_delay #(.WIDTH(AT_W), .DEPTH(9), .RESET(1)) u_a_tags (
        .clk(clk), .rst_n(rst_n), .d({state == S_P2, t_cnt == 16'd0, t_last, g_last, b_sel, g_cnt,
                                      t_cnt[POS_BITS-1:0]}), .taps(a_taps), .q(a9_tag));
    wire [AT_W-1:0] a6_tag = a_taps[AT_W*5 +: AT_W];
    wire [AT_W-1:0] a7_tag = a_taps[AT_W*6 +: AT_W];
    wire [AT_W-1:0] a8_tag = a_taps[AT_W*7 +: AT_W];
    assign {s4_vld, s4_t}                = {s_taps[ST_W*4 - 1], s_taps[ST_W*3 +: POS_BITS]};
    assign {s5_vld, s5_first, s5_last}   = s5_tag[ST_W-1 -: 3];
    assign {a6_vld, a6_t}                = {a6_tag[AT_W-1], a6_tag[POS_BITS-1:0]};
    assign a7_g                          = a7_tag[POS_BITS +: G_BITS];
    assign {a8_vld, a8_first, a8_last, a8_fin, a8_b} = a8_tag[AT_W-1 -: NB_BITS + 4];
    assign {a9_vld, a9_first}            = a9_tag[AT_W-1 -: 2];
    assign a9_b                          = a9_tag[POS_BITS + G_BITS +: NB_BITS];
    // the first stages' tags, named for the waves (docs/waves.md)
    wire                s1_vld = s_taps[ST_W-1], s1_first = s_taps[ST_W-2];
    wire [POS_BITS-1:0] s1_t   = s_taps[POS_BITS-1:0];
    wire a1_vld = a_taps[AT_W*1 - 1], a2_vld = a_taps[AT_W*2 - 1];
    wire a3_vld = a_taps[AT_W*3 - 1], a4_vld = a_taps[AT_W*4 - 1];
    wire a4_last = a_taps[AT_W*4 - 3];
    wire unused_tags = &{1'b0, s_taps, a_taps, s5_tag, a9_tag, a6_tag, a7_tag, a8_tag, s1_vld, s1_first, s1_t,
                         a1_vld, a2_vld, a3_vld, a4_vld, a4_last};

    // ------------------------------------------------------------------ back-end control
    // Back end k takes groups k, k + NB, ... Its accumulators are held from its pass 2's start
    // until REFILL cycles after that pass's last row; its dividers start when P is final, its
    // normalize shifts HEAD_SIZE elements from the cycle after the dividers' done, and the run's
    // last element ends the run four cycles later (done).
    wire [NB-1:0]         div_go;
    wire [GROUP*NB-1:0]   div_done;                             // divider of slot h, back k: k*GROUP + h
    wire [NB-1:0]         norm_en;                              // back k shifts its accumulators
    wire [NB-1:0]         norm_q4;                              // its out_h shift, four cycles behind
    genvar kb;
    generate
        for (kb = 0; kb < NB; kb = kb + 1) begin : g_back
            wire          sel = (32'(b_sel) == kb);
            reg           hold;                                 // in its pass 2
            reg  [R_BITS-1:0] rc;                               // cycles until it may be refilled
            reg           go_r;                                 // dividers' start
            reg           fin;                                  // its group is the run's last
            reg           nrun;                                 // normalizing
            reg  [N_BITS-1:0] n_cnt;                            // element at the bottom, 0 .. HEAD_SIZE-1
            wire          n_fin = nrun && fin && (32'(n_cnt) == HEAD_SIZE - 1);
            wire [1:0]    nq;
            wire [7:0]    n_taps;                               // {norm_en, run's last element}, 1 .. 4 cycles behind
            assign b_ok[kb]    = !hold && (rc == {R_BITS{1'b0}});
            assign div_go[kb]  = go_r;
            assign norm_en[kb] = nrun;
            always @(posedge clk) begin
                if (!rst_n) begin
                    hold <= 1'b0;
                    rc   <= {R_BITS{1'b0}};
                    go_r <= 1'b0;
                    fin  <= 1'b0;
                    nrun <= 1'b0;
                    n_cnt <= {N_BITS{1'b0}};
                end else begin
                    go_r <= a8_vld && a8_last && (32'(a8_b) == kb);
                    if (a8_vld && a8_last && (32'(a8_b) == kb)) fin <= a8_fin;
                    if (p2_go && sel) begin
                        hold <= 1'b1;
                    end else if (p2_end && sel) begin
                        hold <= 1'b0;
                        rc   <= R_BITS'(REFILL - 1);
                    end else if (rc != {R_BITS{1'b0}}) begin
                        rc   <= rc - 1'b1;
                    end
                    if (div_done[GROUP*kb]) begin
                        nrun  <= 1'b1;
                        n_cnt <= {N_BITS{1'b0}};
                    end else if (nrun) begin
                        n_cnt <= n_cnt + 1'b1;
                        if (32'(n_cnt) == HEAD_SIZE - 1) nrun <= 1'b0;
                    end
                end
            end
            rf_delay #(.WIDTH(2), .DEPTH(4), .RESET(1)) u_norm_tags (
                .clk(clk), .rst_n(rst_n), .d({nrun, n_fin}), .taps(n_taps), .q(nq));
            assign {norm_q4[kb], fin_q4[kb]} = nq;
            wire unused_back = &{1'b0, div_done[GROUP*kb +: GROUP], n_taps};
        end
    endgenerate

    // ------------------------------------------------------------------ memories
    reg  [QKV_BITS*KV_DIM-1:0] k_mem [0:DEPTH-1];
    reg  [QKV_BITS*KV_DIM-1:0] v_mem [0:DEPTH-1];
    reg  [SC_BITS*GROUP-1:0]  s_mem [0:SEQ_LEN-1];

    wire [ADDR_BITS-1:0] w_addr = ADDR_BITS'(32'(kv_layer) * SEQ_LEN + 32'(kv_pos));
    wire [ADDR_BITS-1:0] r_addr = ADDR_BITS'(32'(layer_r) * SEQ_LEN + 32'(t_cnt));     // K, score
    wire [ADDR_BITS-1:0] v_addr = ADDR_BITS'(32'(layer_r) * SEQ_LEN + 32'(a6_t));      // V, 6 cycles later
    localparam integer   OFF_BITS = $clog2(QKV_BITS * KV_DIM);
    wire [OFF_BITS-1:0]  g_off  = OFF_BITS'(32'(g_k) * HV_BITS);                      // pass 1's K slice
    wire [OFF_BITS-1:0]  v_off  = OFF_BITS'(32'(a7_g) * HV_BITS);                     // pass 2's V slice

    always @(posedge clk) begin
        if (k_we) k_mem[w_addr] <= k_row;
        if (v_we) v_mem[w_addr] <= v_row;
    end

    reg  [QKV_BITS*KV_DIM-1:0] k_q;                             // K row (pass 1)
    reg  [HV_BITS-1:0]         k_qq;                            // the group's K head, registered again
    reg  [QKV_BITS*KV_DIM-1:0] v_q;                             // V row (pass 2, read at stage 6)
    reg  [HV_BITS-1:0]         v_g;                             // the group's V head (stage 8)
    reg  [SC_BITS*GROUP-1:0]   sc_q;                            // score row (pass 2)
    wire [SC_BITS*GROUP-1:0]   score_flat;

    always @(posedge clk) begin
        if (p1_on) k_q <= k_mem[r_addr];
        if (state == S_P2) sc_q <= s_mem[t_cnt[POS_BITS-1:0]];
        if (a6_vld) v_q <= v_mem[v_addr];
        k_qq <= k_q[g_off +: HV_BITS];
        v_g  <= v_q[v_off +: HV_BITS];
        if (s4_vld) s_mem[s4_t] <= score_flat;
    end

    // ------------------------------------------------------------------ per head
    // q . K[t] of one head in three stages: the HEAD_SIZE q x k products are registered, then
    // summed in groups of four ((a + b) + (c + d): two adds deep), registered, then the NGRP group
    // sums by a balanced adder tree (node i = node 2i + node 2i+1, leaves NGRP .. 2*NGRP-1:
    // ceil(log2 NGRP) adds deep). |sum| <= HEAD_SIZE * 2^(QK_BITS-2) < 2^(SC_BITS-1).
    function automatic [QK_BITS*HEAD_SIZE-1:0] products(input [HV_BITS-1:0] a, input [HV_BITS-1:0] b);
        integer j;
        begin
            for (j = 0; j < HEAD_SIZE; j = j + 1)
                products[QK_BITS*j +: QK_BITS] = QK_BITS'($signed(a[QKV_BITS*j +: QKV_BITS]))
                                               * QK_BITS'($signed(b[QKV_BITS*j +: QKV_BITS]));
        end
    endfunction

    localparam integer NGRP = (HEAD_SIZE + 3) / 4;                 // groups of four products
    wire [16*GROUP-1:0]     p_flat;                             // p_t per slot, 16 bits
    wire [17*GROUP*NB-1:0]  inv_flat;                           // slot h, back end k: k*GROUP + h
    wire [8*GROUP*NB-1:0]   e_flat;

    genvar h;
    generate
        for (h = 0; h < GROUP; h = h + 1) begin : g_head

            // pass 1: products, group sums, score (adder tree) and running max
            reg  [QK_BITS*HEAD_SIZE-1:0] qk_r;
            reg  [SC_BITS*4*NGRP-1:0]  lf;                    // products, zero-padded to 4 * NGRP
            reg  [SC_BITS*NGRP-1:0]    grp;                   // group sums (combinational)
            reg  [SC_BITS*NGRP-1:0]    grp_r;
            reg  [SC_BITS*2*NGRP-1:0]  node;                  // node i at [SC_BITS*i +: SC_BITS]
            integer n;
            always @(*) begin
                lf = {(SC_BITS * 4 * NGRP){1'b0}};
                for (n = 0; n < HEAD_SIZE; n = n + 1)
                    lf[SC_BITS*n +: SC_BITS] = SC_BITS'($signed(qk_r[QK_BITS*n +: QK_BITS]));
                for (n = 0; n < NGRP; n = n + 1)
                    grp[SC_BITS*n +: SC_BITS] = (lf[SC_BITS*(4*n) +: SC_BITS] + lf[SC_BITS*(4*n + 1) +: SC_BITS])
                                              + (lf[SC_BITS*(4*n + 2) +: SC_BITS] + lf[SC_BITS*(4*n + 3) +: SC_BITS]);
            end
            always @(*) begin
                node = {(SC_BITS * 2 * NGRP){1'b0}};
                for (n = 0; n < NGRP; n = n + 1)
                    node[SC_BITS*(NGRP + n) +: SC_BITS] = grp_r[SC_BITS*n +: SC_BITS];
                for (n = NGRP - 1; n >= 1; n = n - 1)
                    node[SC_BITS*n +: SC_BITS] = node[SC_BITS*2*n +: SC_BITS] + node[SC_BITS*(2*n + 1) +: SC_BITS];
            end
            always @(posedge clk) begin
                qk_r  <= products(q_r[HV_BITS*h +: HV_BITS], k_qq);
                grp_r <= grp;
            end
            wire signed [SC_BITS-1:0] score = node[SC_BITS +: SC_BITS];
            reg  signed [SC_BITS-1:0] score_r;
            reg  signed [SC_BITS-1:0] max_r;                  // running max of pass 1
            reg  signed [SC_BITS-1:0] max_p2;                 // the group's max, read by its pass 2
            wire signed [SC_BITS-1:0] max_next = (s5_first || score_r > max_r) ? score_r : max_r;
            assign score_flat[SC_BITS*h +: SC_BITS] = score;

            // the final max moves to max_p2 with the last row, so the next group's pass 1 (beside
            // this group's pass 2) may run its own max at once
            always @(posedge clk) begin
                score_r <= score;
                if (s5_vld) max_r <= max_next;
                if (s5_vld && s5_last) max_p2 <= max_next;
            end

            // pass 2: diff = max - score, its product with M, rsr(product, S) (add, then shift),
            // u = that saturated to 14 bits (any u >= 4096 gives p = 0), EXP2 lookup, p: one
            // operation per stage.
            // |diff| < 2^SC_BITS and M < 2^16: the product fits D_BITS + 16 bits (rf_requant's sizing).
            localparam integer D_BITS = SC_BITS + 1;
            reg  signed [D_BITS-1:0]      diff_r;
            always @(posedge clk) begin
                diff_r <= {max_p2[SC_BITS-1], max_p2} - {sc_q[SC_BITS*h + SC_BITS-1], sc_q[SC_BITS*h +: SC_BITS]};
            end
            wire signed [D_BITS+16:0] u_rnd_r;     // rsr(diff * M, S), three cycles after diff_r
            wire signed [13:0]      u_c;
            reg         [13:0]      u_r;
            wire        [15:0]      e2_r;      // EXP2[u_r[7:0]], one cycle after u_r
            reg         [5:0]       sh_r;
            reg         [15:0]      p_r;
            wire        [15:0]      p_c = (sh_r >= 6'd16) ? 16'd0 : (e2_r >> sh_r[3:0]);

            // (shift_r is registered once more inside: it is constant during a run)
            rf_requant #(.ACC_BITS(D_BITS), .OUT_BITS(14), .PIPE(1)) u_u_requant (
                .clk(clk), .acc(diff_r), .mult(mult_r), .shift(shift_r), .r(u_rnd_r), .y(u_c));
            wire unused_u = &{1'b0, u_rnd_r};

            always @(posedge clk) begin
                u_r     <= u_c;
                sh_r    <= u_r[13:8];
                p_r     <= p_c;
            end
            assign p_flat[16*h +: 16] = p_r;

            rf_rom #(.WIDTH(16), .DEPTH(256), .ADDR_BITS(8), .FILE(EXP2_FILE)) u_exp2 (
                .clk(clk), .en(1'b1), .addr(u_r[7:0]), .rdata(e2_r));

            // P and its reciprocal, one per back end
            for (kb = 0; kb < NB; kb = kb + 1) begin : g_div
                reg  [P_BITS-1:0] psum;
                always @(posedge clk) begin
                    if (a8_vld && 32'(a8_b) == kb) psum <= (a8_first ? {P_BITS{1'b0}} : psum) + P_BITS'(p_r);
                end
                rf_divider #(.P_BITS(P_BITS)) u_div (
                    .clk  (clk),
                    .rst_n(rst_n),
                    .start(div_go[kb]),
                    .p    (psum),
                    .done (div_done[GROUP*kb + h]),
                    .inv  (inv_flat[17*(GROUP*kb + h) +: 17]),
                    .e    (e_flat[8*(GROUP*kb + h) +: 8])
                );
            end
        end
    endgenerate

    // ------------------------------------------------------------------ per output element
    // acc[x] = sum_t p_t * V[t, x] for the GROUP slots' HEAD_SIZE elements, one accumulator per
    // back end (the p * V product is shared); while its back end normalizes, each slot's
    // HEAD_SIZE accumulators shift down one element per cycle through that slot's normalize unit
    // of that back end (below).
    localparam integer SLOT_ELEMS = GROUP * HEAD_SIZE;
    wire [ACC_BITS*SLOT_ELEMS*NB-1:0] acc_flat;                 // back end k: [ACC_BITS*SLOT_ELEMS*k ...]

    genvar x;
    generate
        for (x = 0; x < SLOT_ELEMS; x = x + 1) begin : g_elem
            localparam integer H  = x / HEAD_SIZE;
            localparam integer KV = x % HEAD_SIZE;

            reg  signed [PV_BITS-1:0]  pv;           // p * V (|p * V| <= 2^(PV_BITS-2)), registered before the accumulate
            always @(posedge clk) begin
                pv <= PV_BITS'($signed({1'b0, p_flat[16*H +: 16]})) * PV_BITS'($signed(v_g[QKV_BITS*KV +: QKV_BITS]));
            end

            for (kb = 0; kb < NB; kb = kb + 1) begin : g_acc
                wire signed [ACC_BITS-1:0] acc_next;     // the element above in the head (0 for the top)
                reg  signed [ACC_BITS-1:0] acc;
                if (x % HEAD_SIZE == HEAD_SIZE - 1) begin : g_top
                    assign acc_next = {ACC_BITS{1'b0}};
                end else begin : g_below
                    assign acc_next = acc_flat[ACC_BITS*(SLOT_ELEMS*kb + x + 1) +: ACC_BITS];
                end
                always @(posedge clk) begin
                    if (a9_vld && 32'(a9_b) == kb) acc <= (a9_first ? {ACC_BITS{1'b0}} : acc) + ACC_BITS'(pv);
                    else if (norm_en[kb])          acc <= acc_next;
                end
                assign acc_flat[ACC_BITS*(SLOT_ELEMS*kb + x) +: ACC_BITS] = acc;
            end
        end
    endgenerate

    // ------------------------------------------------------------------ normalize, per head
    // out = sat(rsr(acc * INV, E + 15 - OUT_FRAC), OUT_BITS): acc split into two slices (acc[16:0]
    // unsigned and acc[ACC_BITS-1:17] signed: each fits one 18x18 multiplier up to SEQ_LEN 4096 at
    // QKV_BITS 8, 256 at 12), their products
    // with INV registered, the products' sum registered (exact: acc * m = (hi * m << 17) + lo * m),
    // then rf_rsr (two register stages), then rf_sat into out_h. INV is in
    // (2^15, 2^16]; 2^16 (P a power of two) does not fit the unit's 16-bit multiplier and is
    // applied as 2^15 with one shift less: rsr(a * 2^16, E + 15) == rsr(a * 2^15, E + 14) exactly.
    // One unit per slot and back end; back end k's out_h holds its groups k, k + NB, ... (the
    // i-th at element HEAD_SIZE * i).
    localparam integer NPROD_BITS = ACC_BITS + 16;                   // |acc| <= 2^(ACC_BITS-1), mult < 2^16
    localparam integer HI_BITS    = ACC_BITS - 17;
    genvar gi;
    generate
        for (kb = 0; kb < NB; kb = kb + 1) begin : g_nback
            localparam integer NG = (N_KV_HEADS - kb + NB - 1) / NB;    // groups of this back end
            for (h = 0; h < GROUP; h = h + 1) begin : g_norm
                localparam integer U = GROUP * kb + h;
                wire [16:0] inv  = inv_flat[17*U +: 17];
                wire        pow2 = inv[16];
                wire [15:0] mult = pow2 ? 16'h8000 : inv[15:0];
                wire [7:0]  sh8  = e_flat[8*U +: 8] + (pow2 ? 8'(14 - OUT_FRAC) : 8'(15 - OUT_FRAC));   // <= P_BITS + 15 < 64
                wire signed [ACC_BITS-1:0] a = acc_flat[ACC_BITS*(SLOT_ELEMS*kb + HEAD_SIZE*h) +: ACC_BITS];
                wire signed [OUT_BITS-1:0] y;
                wire signed [NPROD_BITS:0] nrnd_r;      // rsr(nprod_r, nsh_r), two cycles after nprod_r
                reg  [OUT_BITS*HEAD_SIZE*NG-1:0] out_h;  // element i*HEAD_SIZE + e: head (kb + i*NB)*GROUP + h, element e
                reg  [15:0]            mult_q;      // mult registered: INV holds from the divider's done,
                                                    // a cycle before the normalize (timing: divider -> product)
                reg  [32:0]            plo_r;                    // acc[16:0] * m
                reg  signed [HI_BITS+16:0] phi_r;                // acc[ACC_BITS-1:17] * m
                reg  [5:0]             nsh_q;
                reg  signed [NPROD_BITS-1:0] nprod_r;            // acc * m
                reg  [5:0]             nsh_r;

                always @(posedge clk) begin
                    mult_q  <= mult;
                    plo_r   <= {16'd0, a[16:0]} * {17'd0, mult_q};
                    phi_r   <= (HI_BITS + 17)'($signed(a[ACC_BITS-1:17]) * $signed({1'b0, mult_q}));
                    nsh_q   <= sh8[5:0];
                    nprod_r <= $signed({phi_r[NPROD_BITS-18:0], 17'd0}
                                       + {{(NPROD_BITS - 33){1'b0}}, plo_r});   // exact mod 2^NPROD_BITS
                    nsh_r   <= nsh_q;
                end

                rf_rsr #(.IN_BITS(NPROD_BITS), .PIPE(1)) u_norm_rsr (.clk(clk), .p(nprod_r), .shift(nsh_r), .r(nrnd_r));
                rf_sat #(.IN_BITS(NPROD_BITS + 1), .OUT_BITS(OUT_BITS)) u_norm_sat (.x(nrnd_r), .y(y));

                always @(posedge clk) begin
                    if (norm_q4[kb]) out_h <= {y, out_h[OUT_BITS*HEAD_SIZE*NG-1:OUT_BITS]};
                end
                for (gi = 0; gi < NG; gi = gi + 1) begin : g_out
                    assign out_flat[OUT_BITS*HEAD_SIZE*((kb + gi*NB)*GROUP + h) +: OUT_BITS*HEAD_SIZE]
                        = out_h[OUT_BITS*HEAD_SIZE*gi +: OUT_BITS*HEAD_SIZE];
                end
                wire unused_sh = &{1'b0, sh8[7:6], phi_r[HI_BITS+16:NPROD_BITS-17]};
            end
        end
    endgenerate
endmodule

`default_nettype wire
