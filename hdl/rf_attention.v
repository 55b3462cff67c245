// rf_attention -- attention of one query vector over the KV cache, one KV group at a time
// (docs/arithmetic.md section 6, sim_models.golden.attention):
//
//   score_t = q . K[t]                   t = 0 .. pos    (int32, one per head)
//   u_t     = rsr((max_t score - score_t) * att_mult, att_shift)
//   p_t     = (u_t >> 8) >= 16 ? 0 : EXP2[u_t & 255] >> (u_t >> 8)
//   P = sum p_t;  (INV, E) = reciprocal(P)             (rf_divider, one per head)
//   out[d]  = sat(rsr((sum_t p_t * V[t, d]) * INV, E + 15), 8)
//
// Query head h uses KV head h / GROUP (GROUP = N_HEADS / N_KV_HEADS). A run processes the KV
// groups one after another: group g computes heads g*GROUP .. g*GROUP+GROUP-1 on GROUP head
// slots (slot j: head g*GROUP + j) with K/V head g. The q.K products, the p.V products and
// accumulators, the exp/divider/normalize units exist once per slot, not once per head.
//
// Storage: K and V caches (N_LAYERS*SEQ_LEN rows of KV_DIM int8 each, one write port and one
// synchronous read port each, never reset: a row is always written before it is read), the
// score buffer (SEQ_LEN rows of GROUP int32, written in pass 1 and read in pass 2) and the
// EXP2 ROM (256 x 16, EXP2_FILE): one rf_rom (registered read) per slot.
//
// Schedule of the first group (edge 0 samples start; "cycle k" follows edge k). Two state
// machines: the front runs the passes, the back the divide and normalize of the group whose
// pass 2 has ended.
//   pass 1 : cycles 0..pos        present K row t;  edge t+1 reads it, edge t+2 registers it
//                                 again (the block RAM's clock-to-out stays out of the
//                                 multipliers), edge t+3 registers the HEAD_SIZE products of
//                                 every slot, edge t+4 their sums in groups of four, edge t+5
//                                 the groups' sum: the GROUP scores (score[t] is written at
//                                 edge t+5), edge t+6 updates max.
//   gap    : cycles pos+1 .. pos+4 (the max of pass 1 is final in cycle pos+6)
//   pass 2 : cycles pos+5..2pos+5 present score[t];  read at edge pos+6+t, then
//                                 max - score (edge +1), its product with att_mult (edge +2),
//                                 + rounding term (edge +3), shift (edge +4), saturate: u
//                                 (edge +5), EXP2 lookup (edge +6; V row t read from the
//                                 cache), p (edge +7; the group's V slice registered), P
//                                 accumulate and p * V (edge +8), acc accumulate (edge +9): P
//                                 final at edge 2pos+14.
//   divide : (back) start in cycle 2pos+14, rf_divider done in cycle 2pos+32 (DIV_CYCLES = 17;
//            acc is final long before).
//   norm   : (back) cycles 2pos+33 .. 2pos+36+HEAD_SIZE: each slot's accumulators shift through
//            its one normalize unit, one element per cycle: the three partial products of
//            acc * INV registered, their sum registered, then rounded and shifted (rf_rsr, two
//            register stages), then saturated into out_flat (four cycles behind).
//   output : after the last group, done is high in the cycle after its norm (2pos+37+HEAD_SIZE
//            for one group).
// The next group's pass 1 starts in the cycle after this group's pass 2 (cycle 2pos+6): pass 1
// and the max use only the q.K array, the score buffer and max registers, which this group's
// pass 2 pipeline has finished reading. Its pass 2 starts after its own gap and once the back
// is free (from the cycle after the previous group's norm): the accumulators, P sum, divider
// and normalize units are shared. Each stage holds at most one multiplier, one adder level pair,
// one add, one shift or one saturation (timing). Latency: sim_models.schedule.attention_latency,
// 2*(pos+1) + 35 + HEAD_SIZE for one group (PIPELINE["attention"] = 35: 14 pipeline + 17 divider
// + 4 normalize cycles), each further group max(2*(pos+1) + 4, pos + 32 + HEAD_SIZE) more.
//
// Each slot's normalized outputs shift into its own N_KV_HEADS * HEAD_SIZE byte register, and
// the query is rotated by one group after each group, so nothing is indexed by the group
// counter but the K and V slices. out_flat is valid from done until the next start. start while
// busy (front or back) is ignored, its arguments too. The KV write
// port may be used at any time, also while busy, except for a row the run reads (layer, t <= pos).
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
    parameter         EXP2_FILE  = "exp2.hex",
    localparam integer KV_DIM     = N_KV_HEADS * HEAD_SIZE
) (
    input  wire                  clk,
    input  wire                  rst_n,
    // KV cache write port (single cycle)
    input  wire                  kv_we,
    input  wire [7:0]            kv_layer,       // < N_LAYERS
    input  wire [15:0]           kv_pos,         // < SEQ_LEN
    input  wire [8*KV_DIM-1:0]   k_row,
    input  wire [8*KV_DIM-1:0]   v_row,
    // run
    input  wire                  start,
    input  wire [7:0]            layer,          // < N_LAYERS
    input  wire [15:0]           pos,            // < SEQ_LEN
    input  wire [8*DIM-1:0]      q_flat,
    input  wire [15:0]           att_mult,
    input  wire [5:0]            att_shift,
    output wire [8*DIM-1:0]      out_flat,
    output reg                   done,
    output wire                  busy
);
    localparam integer GROUP     = N_HEADS / N_KV_HEADS;
    localparam integer DEPTH     = N_LAYERS * SEQ_LEN;
    localparam integer ADDR_BITS = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer SC_BITS   = 32;                          // score (int32)
    localparam integer ACC_BITS  = 40;                          // sum p*v (section 1 table)
    localparam integer P_BITS    = 16 + $clog2(SEQ_LEN);        // P <= SEQ_LEN * 2^15
    localparam integer HV_BITS   = 8 * HEAD_SIZE;               // one head's int8 vector
    localparam integer POS_BITS  = (SEQ_LEN > 1) ? $clog2(SEQ_LEN) : 1;
    localparam integer G_BITS    = (N_KV_HEADS > 1) ? $clog2(N_KV_HEADS) : 1;
    localparam integer QG_BITS   = 8 * GROUP * HEAD_SIZE;       // one group's query slice

    // front: the two passes of one group after another; back: divide and normalize of the group
    // whose pass 2 has ended, while the front runs the next group's pass 1
    localparam [1:0] S_IDLE = 2'd0, S_P1 = 2'd1, S_GAP = 2'd2, S_P2 = 2'd3;
    localparam [1:0] B_IDLE = 2'd0, B_WAIT = 2'd1, B_NORM = 2'd2;

    // ------------------------------------------------------------------ control
    reg  [1:0]            state;                                // front
    reg  [15:0]           t_cnt;
    reg  [1:0]            bstate;                               // back
    localparam integer B_BITS = $clog2(HEAD_SIZE + 4);
    reg  [B_BITS-1:0]     b_cnt;                                // normalize cycle, 0 .. HEAD_SIZE + 3
    reg  [7:0]            layer_r;
    reg  [15:0]           pos_r;
    reg  [8*DIM-1:0]      q_r;
    reg  [15:0]           mult_r;
    reg  [5:0]            shift_r;

    // Pipeline tags (rf_delay lines, tap i = stage i + 1): pass 1 valid, first row and row index
    // (s1 .. s5), pass 2 valid, first row, last row and row index (a1 .. a9), the normalize shift
    wire                  s4_vld, s5_vld, s5_first, a6_vld, a8_vld, a8_first, a8_last, a9_vld, a9_first;
    wire [POS_BITS-1:0]   s4_t, a6_t;
    wire                  norm_q4;              // out_h shift, four cycles behind norm_en
    reg  [G_BITS-1:0]     g_cnt;                                // KV group of the front
    reg  [G_BITS-1:0]     g_v;                                  // KV group of pass 2 (its V reads trail it)
    reg                   div_go;
    wire [GROUP-1:0]      div_done;

    wire                  t_last = (t_cnt == pos_r);
    wire                  norm_en = (bstate == B_NORM) && (b_cnt < B_BITS'(HEAD_SIZE));     // shift acc
    wire                  b_end   = (bstate == B_NORM) && (b_cnt == B_BITS'(HEAD_SIZE + 3));  // group normalized
    wire                  b_free  = (bstate == B_IDLE) || b_end;      // back idle from the next cycle
    wire                  g_last  = (32'(g_cnt) == N_KV_HEADS - 1);
    wire                  g_next  = (state == S_P2) && t_last && !g_last;                 // front: next group
    assign busy = (state != S_IDLE) || (bstate != B_IDLE);
    wire                  go      = start && !busy;             // a run starts

    always @(posedge clk) begin
        if (!rst_n) begin
            state  <= S_IDLE;
            t_cnt  <= 16'd0;
            bstate <= B_IDLE;
            b_cnt  <= {B_BITS{1'b0}};
            g_cnt  <= {G_BITS{1'b0}};
            div_go <= 1'b0;
            done   <= 1'b0;
        end else begin
            done   <= 1'b0;
            div_go <= a8_vld && a8_last;
            case (state)
                S_IDLE: if (go) begin
                    state <= S_P1;
                    t_cnt <= 16'd0;
                    g_cnt <= {G_BITS{1'b0}};
                end
                S_P1: begin
                    t_cnt <= t_cnt + 16'd1;
                    if (t_last) state <= S_GAP;
                end
                S_GAP: begin                                    // four cycles: t_cnt pos+1 .. pos+4,
                    if (t_cnt != pos_r + 16'd4) begin           // then until the back is free
                        t_cnt <= t_cnt + 16'd1;                 // (its accumulators, divider and
                    end else if (b_free) begin                  // normalize units are shared)
                        state <= S_P2;
                        t_cnt <= 16'd0;
                    end
                end
                S_P2: begin
                    t_cnt <= t_cnt + 16'd1;
                    if (t_last) begin
                        state <= g_last ? S_IDLE : S_P1;        // the next group's pass 1 at once
                        t_cnt <= 16'd0;
                        if (!g_last) g_cnt <= g_cnt + 1'b1;
                    end
                end
                default: state <= S_IDLE;
            endcase
            case (bstate)
                B_IDLE: if (state == S_P2 && t_last) bstate <= B_WAIT;
                B_WAIT: if (&div_done) begin
                    bstate <= B_NORM;
                    b_cnt  <= {B_BITS{1'b0}};
                end
                B_NORM: begin
                    b_cnt <= b_cnt + 1'b1;
                    if (b_end) begin
                        bstate <= B_IDLE;
                        done   <= (state == S_IDLE);            // the front has no group left
                    end
                end
                default: bstate <= B_IDLE;
            endcase
        end
    end

    // run arguments, latched at start (datapath: no reset); after each group the query moves down
    // by one group, so slot j always reads q_r's head j
    always @(posedge clk) begin
        if (go) begin
            layer_r <= layer;
            pos_r   <= pos;
            q_r     <= q_flat;
            mult_r  <= att_mult;
            shift_r <= att_shift;
        end else if (g_next) begin
            q_r     <= q_r >> QG_BITS;
        end
    end

    // pipeline tags: the valid bits reset, the rest qualified by them
    wire [5*(POS_BITS+2)-1:0] s_taps;           // {valid, first, t} of s1 .. s5
    wire [9*(POS_BITS+3)-1:0] a_taps;           // {valid, first, last, t} of a1 .. a9
    wire [3:0]                norm_taps;
    wire [POS_BITS+1:0]       s5_tag;
    wire [POS_BITS+2:0]       a9_tag;
    rf_delay #(.WIDTH(POS_BITS + 2), .DEPTH(5), .RESET(1)) u_s_tags (
        .clk(clk), .rst_n(rst_n), .d({state == S_P1, t_cnt == 16'd0, t_cnt[POS_BITS-1:0]}), .taps(s_taps),
        .q(s5_tag));
    rf_delay #(.WIDTH(POS_BITS + 3), .DEPTH(9), .RESET(1)) u_a_tags (
        .clk(clk), .rst_n(rst_n), .d({state == S_P2, t_cnt == 16'd0, t_last, t_cnt[POS_BITS-1:0]}), .taps(a_taps),
        .q(a9_tag));
    rf_delay #(.WIDTH(1), .DEPTH(4), .RESET(1)) u_norm_tags (
        .clk(clk), .rst_n(rst_n), .d(norm_en), .taps(norm_taps), .q(norm_q4));
    assign {s4_vld, s4_t}           = {s_taps[(POS_BITS+2)*4 - 1], s_taps[(POS_BITS+2)*3 +: POS_BITS]};
    assign {s5_vld, s5_first}       = s5_tag[POS_BITS+1 -: 2];
    assign a6_vld                   = a_taps[(POS_BITS+3)*6 - 1];
    assign a6_t                     = a_taps[(POS_BITS+3)*5 +: POS_BITS];
    assign {a8_vld, a8_first, a8_last} = a_taps[(POS_BITS+3)*8 - 1 -: 3];
    assign {a9_vld, a9_first}       = a9_tag[POS_BITS+2 -: 2];
    // the first stages' tags, named for the waves (docs/waves.md)
    wire                s1_vld = s_taps[POS_BITS+1], s1_first = s_taps[POS_BITS];
    wire [POS_BITS-1:0] s1_t   = s_taps[POS_BITS-1:0];
    wire a1_vld = a_taps[(POS_BITS+3)*1 - 1], a2_vld = a_taps[(POS_BITS+3)*2 - 1];
    wire a3_vld = a_taps[(POS_BITS+3)*3 - 1], a4_vld = a_taps[(POS_BITS+3)*4 - 1];
    wire a4_last = a_taps[(POS_BITS+3)*3 + POS_BITS];
    wire unused_tags = &{1'b0, s_taps, a_taps, norm_taps, s5_tag, a9_tag, s1_vld, s1_first, s1_t, a1_vld, a2_vld,
                         a3_vld, a4_vld, a4_last};

    // ------------------------------------------------------------------ memories
    reg  [8*KV_DIM-1:0]       k_mem [0:DEPTH-1];
    reg  [8*KV_DIM-1:0]       v_mem [0:DEPTH-1];
    reg  [SC_BITS*GROUP-1:0]  s_mem [0:SEQ_LEN-1];

    wire [ADDR_BITS-1:0] w_addr = ADDR_BITS'(32'(kv_layer) * SEQ_LEN + 32'(kv_pos));
    wire [ADDR_BITS-1:0] r_addr = ADDR_BITS'(32'(layer_r) * SEQ_LEN + 32'(t_cnt));     // K, score
    wire [ADDR_BITS-1:0] v_addr = ADDR_BITS'(32'(layer_r) * SEQ_LEN + 32'(a6_t));      // V, 6 cycles later
    localparam integer   OFF_BITS = $clog2(8 * KV_DIM);
    wire [OFF_BITS-1:0]  g_off  = OFF_BITS'(32'(g_cnt) * HV_BITS);                    // the group's K slice
    wire [OFF_BITS-1:0]  v_off  = OFF_BITS'(32'(g_v) * HV_BITS);                      // ... and V slice

    always @(posedge clk) begin
        if (kv_we) begin
            k_mem[w_addr] <= k_row;
            v_mem[w_addr] <= v_row;
        end
    end

    reg  [8*KV_DIM-1:0]        k_q;                             // K row (pass 1)
    reg  [HV_BITS-1:0]         k_qq;                            // the group's K head, registered again
    reg  [8*KV_DIM-1:0]        v_q;                             // V row (pass 2, read at stage 6)
    reg  [HV_BITS-1:0]         v_g;                             // the group's V head
    reg  [SC_BITS*GROUP-1:0]   sc_q;                            // score row (pass 2)
    wire [SC_BITS*GROUP-1:0]   score_flat;

    always @(posedge clk) begin
        if (state == S_P1) k_q <= k_mem[r_addr];
        if (state == S_P2) begin
            sc_q <= s_mem[t_cnt[POS_BITS-1:0]];
            g_v  <= g_cnt;
        end
        if (a6_vld) v_q <= v_mem[v_addr];
        k_qq <= k_q[g_off +: HV_BITS];
        v_g  <= v_q[v_off +: HV_BITS];
        if (s4_vld) s_mem[s4_t] <= score_flat;
    end

    // ------------------------------------------------------------------ per head
    // q . K[t] of one head in three stages: the HEAD_SIZE int8 x int8 products are registered, then
    // summed in groups of four ((a + b) + (c + d): two adds deep), registered, then the NGRP group
    // sums by a balanced adder tree (node i = node 2i + node 2i+1, leaves NGRP .. 2*NGRP-1:
    // ceil(log2 NGRP) adds deep). |sum| <= HEAD_SIZE * 2^14 < 2^31.
    function automatic [16*HEAD_SIZE-1:0] products(input [HV_BITS-1:0] a, input [HV_BITS-1:0] b);
        integer j;
        begin
            for (j = 0; j < HEAD_SIZE; j = j + 1)
                products[16*j +: 16] = $signed(a[8*j +: 8]) * $signed(b[8*j +: 8]);
        end
    endfunction

    localparam integer NGRP = (HEAD_SIZE + 3) / 4;                 // groups of four products
    wire [16*GROUP-1:0]   p_flat;                               // p_t per slot, 16 bits
    wire [17*GROUP-1:0]   inv_flat;
    wire [8*GROUP-1:0]    e_flat;

    genvar h;
    generate
        for (h = 0; h < GROUP; h = h + 1) begin : g_head

            // pass 1: products, group sums, score (adder tree) and running max
            reg  [16*HEAD_SIZE-1:0]    qk_r;
            reg  [SC_BITS*4*NGRP-1:0]  lf;                    // products, zero-padded to 4 * NGRP
            reg  [SC_BITS*NGRP-1:0]    grp;                   // group sums (combinational)
            reg  [SC_BITS*NGRP-1:0]    grp_r;
            reg  [SC_BITS*2*NGRP-1:0]  node;                  // node i at [SC_BITS*i +: SC_BITS]
            integer n;
            always @(*) begin
                lf = {(SC_BITS * 4 * NGRP){1'b0}};
                for (n = 0; n < HEAD_SIZE; n = n + 1)
                    lf[SC_BITS*n +: SC_BITS] = SC_BITS'($signed(qk_r[16*n +: 16]));
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
            reg  signed [SC_BITS-1:0] max_r;
            assign score_flat[SC_BITS*h +: SC_BITS] = score;

            always @(posedge clk) begin
                score_r <= score;
                if (s5_vld && (s5_first || score_r > max_r)) max_r <= score_r;
            end

            // pass 2: diff = max - score, its product with M, rsr(product, S) (add, then shift),
            // u = that saturated to 14 bits (any u >= 4096 gives p = 0), EXP2 lookup, p: one
            // operation per stage.
            // |diff| < 2^32 and M < 2^16: the product fits D_BITS + 16 bits (rf_requant's sizing).
            localparam integer D_BITS = SC_BITS + 1;
            reg  signed [D_BITS-1:0]      diff_r;
            always @(posedge clk) begin
                diff_r <= {max_r[SC_BITS-1], max_r} - {sc_q[SC_BITS*h + SC_BITS-1], sc_q[SC_BITS*h +: SC_BITS]};
            end
            wire signed [D_BITS+16:0] u_rnd_r;     // rsr(diff * M, S), three cycles after diff_r
            wire signed [13:0]      u_c;
            reg         [13:0]      u_r;
            wire        [15:0]      e2_r;      // EXP2[u_r[7:0]], one cycle after u_r
            reg         [5:0]       sh_r;
            reg         [15:0]      p_r;
            wire        [15:0]      p_c = (sh_r >= 6'd16) ? 16'd0 : (e2_r >> sh_r[3:0]);
            reg         [P_BITS-1:0] psum;

            // (shift_r is registered once more inside: it is constant during a run)
            rf_requant #(.ACC_BITS(D_BITS), .OUT_BITS(14), .PIPE(1)) u_u_requant (
                .clk(clk), .acc(diff_r), .mult(mult_r), .shift(shift_r), .r(u_rnd_r), .y(u_c));
            wire unused_u = &{1'b0, u_rnd_r};

            always @(posedge clk) begin
                u_r     <= u_c;
                sh_r    <= u_r[13:8];
                p_r     <= p_c;
                if (a8_vld) psum <= (a8_first ? {P_BITS{1'b0}} : psum) + P_BITS'(p_r);
            end
            assign p_flat[16*h +: 16] = p_r;

            rf_rom #(.WIDTH(16), .DEPTH(256), .ADDR_BITS(8), .FILE(EXP2_FILE)) u_exp2 (
                .clk(clk), .en(1'b1), .addr(u_r[7:0]), .rdata(e2_r));

            rf_divider #(.P_BITS(P_BITS)) u_div (
                .clk  (clk),
                .rst_n(rst_n),
                .start(div_go),
                .p    (psum),
                .done (div_done[h]),
                .inv  (inv_flat[17*h +: 17]),
                .e    (e_flat[8*h +: 8])
            );
        end
    endgenerate

    // ------------------------------------------------------------------ per output element
    // acc[x] = sum_t p_t * V[t, x] for the GROUP slots' HEAD_SIZE elements; in S_NORM each slot's
    // HEAD_SIZE accumulators shift down one element per cycle through that slot's one normalize
    // unit (below).
    localparam integer SLOT_ELEMS = GROUP * HEAD_SIZE;
    wire [ACC_BITS*SLOT_ELEMS-1:0] acc_flat;

    genvar x;
    generate
        for (x = 0; x < SLOT_ELEMS; x = x + 1) begin : g_elem
            localparam integer H  = x / HEAD_SIZE;
            localparam integer KV = x % HEAD_SIZE;

            reg  signed [24:0]         pv;           // p * V, registered before the accumulate
            wire signed [ACC_BITS-1:0] acc_next;     // the element above in the head (0 for the top)
            reg  signed [ACC_BITS-1:0] acc;

            if (x % HEAD_SIZE == HEAD_SIZE - 1) begin : g_top
                assign acc_next = {ACC_BITS{1'b0}};
            end else begin : g_below
                assign acc_next = acc_flat[ACC_BITS*(x + 1) +: ACC_BITS];
            end

            always @(posedge clk) begin
                pv <= $signed({1'b0, p_flat[16*H +: 16]}) * $signed(v_g[8*KV +: 8]);
                if (a9_vld)       acc <= (a9_first ? {ACC_BITS{1'b0}} : acc) + {{(ACC_BITS - 25){pv[24]}}, pv};
                else if (norm_en) acc <= acc_next;
            end
            assign acc_flat[ACC_BITS*x +: ACC_BITS] = acc;
        end
    endgenerate

    // ------------------------------------------------------------------ normalize, per head
    // out = sat(rsr(acc * INV, E + 15), 8): acc split into three slices that each fit one 18x18
    // multiplier (acc[16:0] and acc[33:17] unsigned, acc[39:34] signed), their products with INV
    // registered, the products' sum registered (exact: acc * m = (hi * m << 34) + (mid * m << 17)
    // + lo * m), then rf_rsr (two register stages), then rf_sat into out_h. INV is in
    // (2^15, 2^16]; 2^16 (P a power of two) does not fit the unit's 16-bit multiplier and is
    // applied as 2^15 with one shift less: rsr(a * 2^16, E + 15) == rsr(a * 2^15, E + 14) exactly.
    localparam integer NPROD_BITS = ACC_BITS + 16;                   // |acc| < 2^39, mult < 2^16
    localparam integer HI_BITS    = ACC_BITS - 34;
    genvar gi;
    generate
        for (h = 0; h < GROUP; h = h + 1) begin : g_norm
            wire [16:0] inv  = inv_flat[17*h +: 17];
            wire        pow2 = inv[16];
            wire [15:0] mult = pow2 ? 16'h8000 : inv[15:0];
            wire [7:0]  sh8  = e_flat[8*h +: 8] + (pow2 ? 8'd14 : 8'd15);   // <= P_BITS + 15 < 64
            wire signed [ACC_BITS-1:0] a = acc_flat[ACC_BITS*HEAD_SIZE*h +: ACC_BITS];
            wire signed [7:0] y;
            wire signed [NPROD_BITS:0] nrnd_r;      // rsr(nprod_r, nsh_r), two cycles after nprod_r
            reg  [8*HEAD_SIZE*N_KV_HEADS-1:0] out_h;      // byte g*HEAD_SIZE + e: head g*GROUP + h, element e
            reg  [15:0]            mult_q;      // mult registered: INV holds from the divider's done,
                                                // a cycle before S_NORM (timing: divider -> product)
            reg  [32:0]            plo_r, pmid_r;            // acc[16:0] * m, acc[33:17] * m
            reg  signed [HI_BITS+16:0] phi_r;                // acc[39:34] * m
            reg  [5:0]             nsh_q;
            reg  signed [NPROD_BITS-1:0] nprod_r;            // acc * m
            reg  [5:0]             nsh_r;

            always @(posedge clk) begin
                mult_q  <= mult;
                plo_r   <= {16'd0, a[16:0]} * {17'd0, mult_q};
                pmid_r  <= {16'd0, a[33:17]} * {17'd0, mult_q};
                phi_r   <= (HI_BITS + 17)'($signed(a[ACC_BITS-1:34]) * $signed({1'b0, mult_q}));
                nsh_q   <= sh8[5:0];
                nprod_r <= $signed({phi_r[NPROD_BITS-35:0], 34'd0}
                                   + {{(NPROD_BITS - 50){1'b0}}, pmid_r, 17'd0}
                                   + {{(NPROD_BITS - 33){1'b0}}, plo_r});   // exact mod 2^56
                nsh_r   <= nsh_q;
            end

            rf_rsr #(.IN_BITS(NPROD_BITS), .PIPE(1)) u_norm_rsr (.clk(clk), .p(nprod_r), .shift(nsh_r), .r(nrnd_r));
            rf_sat #(.IN_BITS(NPROD_BITS + 1), .OUT_BITS(8)) u_norm_sat (.x(nrnd_r), .y(y));

            always @(posedge clk) begin
                if (norm_q4) out_h <= {y, out_h[8*HEAD_SIZE*N_KV_HEADS-1:8]};
            end
            for (gi = 0; gi < N_KV_HEADS; gi = gi + 1) begin : g_out
                assign out_flat[8*HEAD_SIZE*(gi*GROUP + h) +: 8*HEAD_SIZE] = out_h[8*HEAD_SIZE*gi +: 8*HEAD_SIZE];
            end
            wire unused_sh = &{1'b0, sh8[7:6], phi_r[HI_BITS+16:NPROD_BITS-34]};
        end
    endgenerate
endmodule

`default_nettype wire
