// rf_lora -- LoRA adapter unit: adapter SRAM, pre-pass u = requant8(A a), and the B u term added to
// the requantized output stream of a targeted matrix (docs/arithmetic.md "LoRA adapters",
// docs/rtl.md "rf_lora"). Arithmetic, per targeted matrix of the phase:
//   u_k  = sat(rsr((sum_i A8[k,i] a_i) * MA_k, SA_k), 8)           k < RANK
//   y'_j = sat(y_j + rsr((sum_k B8[j,k] u_k) * MB_j, SB_j), OUT_BITS)
//
// Phase protocol (rf_core): `active` says the current phase (ph_valid, ph_kind: 0 QKV, 1 WO, 2 W13,
// 3 W2) carries an adapter and the adapter is enabled. Then the core pulses `start`; the unit reads
// the activation words through act_idx/act_word (rank rows of every targeted matrix of the phase,
// one lane word per cycle) and pulses `pre_done`; the core starts the matvec, whose row stream
// (y_*_i, done_i) comes out LORA_STREAM = 9 cycles later on y_*_o / done_o with the adapter term
// added. Inactive, the outputs are the inputs (a wire: zero cycles).
//
// SRAM (written over the bus port while the core is idle; 32-bit words, word address bus_addr):
//   A  : N_LAYERS * NT * RANK * A_STRIDE lane words (LANES int8, LANES/4 bus words each)
//   B  : N_LAYERS * ROWS_T rows of RANK int8 (RANK/4 bus words each)
//   BQ : one word per B row, [15:0] MB, [21:16] SB;  U : one word per rank row, [15:0] MA, [21:16] SA
// bus_rdata is the word at bus_addr, registered (valid the cycle after bus_addr settles).
`default_nettype none

module rf_lora #(
    parameter integer LANES        = 32,
    parameter integer DIM          = 64,
    parameter integer KV_DIM       = 32,
    parameter integer HIDDEN       = 172,
    parameter integer N_LAYERS     = 4,
    parameter integer WORDS_DIM    = 2,
    parameter integer WORDS_HIDDEN = 6,
    parameter integer WPR_BITS     = 3,
    parameter integer RANK         = 8,          // 4, 8 or 16
    parameter [6:0]   TARGETS      = 7'b0000101  // bit per matrix: wq wk wv wo w1 w3 w2 (bit 0 = wq)
) (
    input  wire                    clk,
    input  wire                    rst_n,
    // bus port (rf_axil_regs ADAPTER_ADDR / ADAPTER_DATA)
    input  wire [15:0]             bus_addr,
    input  wire                    bus_we,
    input  wire [31:0]             bus_wdata,
    output reg  [31:0]             bus_rdata,
    // phase
    input  wire                    enable,
    input  wire                    ph_valid,
    input  wire [1:0]              ph_kind,
    input  wire [7:0]              layer,
    output wire                    active,
    input  wire                    start,
    output reg                     pre_done,
    output wire [WPR_BITS-1:0]     act_idx,
    input  wire [8*LANES-1:0]      act_word,
    // row stream in (rf_matvec) and out (the core's consumers)
    input  wire                    y_valid_i,
    input  wire [15:0]             y_row_i,
    input  wire signed [15:0]      y_data_i,
    input  wire                    done_i,
    output wire                    y_valid_o,
    output wire [15:0]             y_row_o,
    output wire signed [15:0]      y_data_o,
    output wire                    done_o
);
    // ------------------------------------------------------------------ build constants
    function automatic integer t_rows(input integer t);
        case (t)
            0, 3, 6: t_rows = DIM;
            1, 2:    t_rows = KV_DIM;
            default: t_rows = HIDDEN;
        endcase
    endfunction
    function automatic integer n_before(input integer t);   // built targets below index t
        integer i;
        n_before = 0;
        for (i = 0; i < t; i = i + 1) if (TARGETS[i]) n_before = n_before + 1;
    endfunction
    function automatic integer rows_before(input integer t);
        integer i;
        rows_before = 0;
        for (i = 0; i < t; i = i + 1) if (TARGETS[i]) rows_before = rows_before + t_rows(i);
    endfunction
    // the n-th built target among indices [first, last] (7 if none)
    function automatic integer nth(input integer first, input integer last, input integer n);
        integer i, c;
        nth = 7;
        c = 0;
        for (i = first; i <= last; i = i + 1)
            if (TARGETS[i]) begin
                if (c == n) nth = i;
                c = c + 1;
            end
    endfunction

    localparam integer NT       = n_before(7);
    localparam integer ROWS_T   = rows_before(7);
    localparam integer A_STRIDE = TARGETS[6] ? WORDS_HIDDEN : WORDS_DIM;
    localparam integer A_SUB    = LANES / 4;
    localparam integer B_SUB    = RANK / 4;
    localparam integer A_DEPTH  = N_LAYERS * NT * RANK * A_STRIDE;
    localparam integer B_DEPTH  = N_LAYERS * ROWS_T;
    localparam integer U_DEPTH  = N_LAYERS * NT * RANK;
    localparam integer B_BASE   = A_DEPTH * A_SUB;
    localparam integer BQ_BASE  = B_BASE + B_DEPTH * B_SUB;
    localparam integer U_BASE   = BQ_BASE + B_DEPTH;
    localparam integer WORDS    = U_BASE + U_DEPTH;
    localparam integer AS_BITS  = (A_SUB > 1) ? $clog2(A_SUB) : 1;
    localparam integer BS_BITS  = (B_SUB > 1) ? $clog2(B_SUB) : 1;
    localparam integer A_AB     = (A_DEPTH > 1) ? $clog2(A_DEPTH) : 1;
    localparam integer B_AB     = (B_DEPTH > 1) ? $clog2(B_DEPTH) : 1;
    localparam integer U_AB     = (U_DEPTH > 1) ? $clog2(U_DEPTH) : 1;
    // targets of each phase in order (7: none) and how many
    localparam integer P0_T0 = nth(0, 2, 0), P0_T1 = nth(0, 2, 1), P0_T2 = nth(0, 2, 2);
    localparam integer P2_T0 = nth(4, 5, 0), P2_T1 = nth(4, 5, 1);
    localparam [1:0]   P0_N = 2'(n_before(3) - n_before(0)), P1_N = 2'(n_before(4) - n_before(3)),
                       P2_N = 2'(n_before(6) - n_before(4)), P3_N = 2'(n_before(7) - n_before(6));

    // ------------------------------------------------------------------ SRAM
    reg [8*LANES-1:0] mem_a  [0:A_DEPTH-1];
    reg [8*RANK-1:0]  mem_b  [0:B_DEPTH-1];
    reg [31:0]        mem_bq [0:B_DEPTH-1];
    reg [31:0]        mem_u  [0:U_DEPTH-1];

    wire [31:0] ba    = {16'd0, bus_addr};
    wire        in_a  = ba < 32'(B_BASE);
    wire        in_b  = !in_a && ba < 32'(BQ_BASE);
    wire        in_bq = !in_a && !in_b && ba < 32'(U_BASE);
    wire        in_u  = !in_a && !in_b && !in_bq && ba < 32'(WORDS);
    wire [31:0] a_off  = ba >> $clog2(A_SUB);
    wire [31:0] b_off  = (ba - 32'(B_BASE)) >> $clog2(B_SUB);
    wire [31:0] bq_off = ba - 32'(BQ_BASE);
    wire [31:0] u_off  = ba - 32'(U_BASE);
    wire [AS_BITS-1:0] a_sub = (A_SUB > 1) ? ba[AS_BITS-1:0] : {AS_BITS{1'b0}};
    wire [31:0]        b_rel = ba - 32'(B_BASE);
    wire [BS_BITS-1:0] b_sub = (B_SUB > 1) ? b_rel[BS_BITS-1:0] : {BS_BITS{1'b0}};

    always @(posedge clk) begin
        if (bus_we) begin
            if (in_a)  mem_a[a_off[A_AB-1:0]][32*a_sub +: 32] <= bus_wdata;
            if (in_b)  mem_b[b_off[B_AB-1:0]][32*b_sub +: 32] <= bus_wdata;
            if (in_bq) mem_bq[bq_off[B_AB-1:0]] <= bus_wdata;
            if (in_u)  mem_u[u_off[U_AB-1:0]] <= bus_wdata;
        end
    end

    always @(posedge clk) begin
        if (!rst_n)      bus_rdata <= 32'd0;
        else if (in_a)   bus_rdata <= mem_a[a_off[A_AB-1:0]][32*a_sub +: 32];
        else if (in_b)   bus_rdata <= mem_b[b_off[B_AB-1:0]][32*b_sub +: 32];
        else if (in_bq)  bus_rdata <= mem_bq[bq_off[B_AB-1:0]];
        else if (in_u)   bus_rdata <= mem_u[u_off[U_AB-1:0]];
        else             bus_rdata <= 32'd0;
    end

    // ------------------------------------------------------------------ phase
    reg [1:0] ph_n;
    always @(*) begin
        case (ph_kind)
            2'd0:    ph_n = P0_N;
            2'd1:    ph_n = P1_N;
            2'd2:    ph_n = P2_N;
            default: ph_n = P3_N;
        endcase
    end
    assign active = enable && ph_valid && (ph_n != 2'd0);

    // the slot-th target (CORE index) of the current phase
    function automatic [2:0] slot_target(input [1:0] kind, input [1:0] slot);
        case (kind)
            2'd0:    slot_target = (slot == 2'd0) ? 3'(P0_T0) : (slot == 2'd1) ? 3'(P0_T1) : 3'(P0_T2);
            2'd1:    slot_target = 3'd3;
            2'd2:    slot_target = (slot == 2'd0) ? 3'(P2_T0) : 3'(P2_T1);
            default: slot_target = 3'd6;
        endcase
    endfunction
    // a target's position among the built targets (its block in A and U)
    function automatic [7:0] t_index(input [2:0] t);
        integer i;
        t_index = 8'd0;
        for (i = 0; i < 7; i = i + 1) if (TARGETS[i] && 32'(i) < {29'd0, t}) t_index = t_index + 8'd1;
    endfunction
    function automatic [31:0] t_rowoff(input [2:0] t);
        integer i;
        t_rowoff = 32'd0;
        for (i = 0; i < 7; i = i + 1) if (TARGETS[i] && 32'(i) < {29'd0, t}) t_rowoff = t_rowoff + 32'(t_rows(i));
    endfunction

    // ------------------------------------------------------------------ pre-pass: u = requant8(A a)
    localparam integer RK_BITS = (RANK > 1) ? $clog2(RANK) : 1;
    reg                pre_busy;
    reg [1:0]          p_slot;
    reg [RK_BITS-1:0]  p_k;
    reg [WPR_BITS-1:0] p_w;
    wire [WPR_BITS-1:0] p_wpr  = (ph_kind == 2'd3) ? WPR_BITS'(WORDS_HIDDEN) : WPR_BITS'(WORDS_DIM);
    wire [2:0]          p_t    = slot_target(ph_kind, p_slot);
    wire [31:0]         p_blk  = 32'(layer) * 32'(NT) + 32'(t_index(p_t));
    wire [31:0]         p_addr = (p_blk * 32'(RANK) + 32'(p_k)) * 32'(A_STRIDE) + 32'(p_w);
    wire                p_last_w = (p_w == p_wpr - WPR_BITS'(1));
    wire                p_last_k = (p_k == RK_BITS'(RANK - 1));
    wire                p_last   = p_last_w && p_last_k && (p_slot == ph_n - 2'd1);
    assign act_idx = p_w;

    // Pipeline of the word issued at edge k (one operation per register stage, as rf_matvec):
    //   k+1 S1   A SRAM word and activation word registered
    //   k+2..4   rf_dot: LANES products, group sums, word sum
    //   k+5 ACC  32-bit accumulator (loads on a rank row's first word); the U word (MA, SA) read
    //   k+6 M    acc * MA registered (48 bits)
    //   k+7..8   rf_rsr (PIPE 1): rounding add, shift
    //   k+9 U    rf_sat to 8 bits written into u_flat; pre_done with the last rank row's write
    // so pre_done comes n * RANK * wpr + LORA_PIPE (8) cycles after start.
    localparam integer LOG_LANES = (LANES > 1) ? $clog2(LANES) : 0;
    localparam integer DSBITS    = 16 + LOG_LANES;           // a word's sum of LANES int8 products
    reg [8*LANES-1:0] s1_a, s1_x;
    reg               s1_v, s1_first, s1_lastw, s1_end;
    reg [31:0]        s1_uaddr;
    reg [1:0]         s1_slot;
    reg [RK_BITS-1:0] s1_k;
    // tags through rf_dot's three stages (index 0..2), then ACC, M, R1, R2
    // tags through rf_dot's three stages (rf_delay lines; the last tap is read)
    wire              d_v, d_end, d_first, d_lastw;
    wire [31:0]       d_uaddr;
    wire [1:0]        d_slot;
    wire [RK_BITS-1:0] d_k;
    wire signed [DSBITS-1:0] dsum;
    reg signed [31:0] acc;
    reg               ac_v, ac_lastw, ac_end;
    reg [31:0]        ac_uword;
    reg [1:0]         ac_slot;
    reg [RK_BITS-1:0] ac_k;
    wire              m_v, m_end;      // tags of M, R1, R2 (u ready): the last tap
    wire [1:0]        m_slot;
    wire [RK_BITS-1:0] m_k;
    reg [3*8*RANK-1:0] u_flat;      // u of phase slot s, rank row k at [8*(s*RANK+k) +: 8]

    rf_dot #(.N(LANES), .ABITS(8), .BBITS(8)) u_pre_dot (.clk(clk), .a(s1_a), .b(s1_x), .sum(dsum));

    wire signed [48:0] u_rnd;
    wire signed [7:0]  u_new;
    rf_requant #(.ACC_BITS(32), .OUT_BITS(8), .PIPE(1)) u_pre_requant (   // M, R1, R2
        .clk(clk), .acc(acc), .mult(ac_uword[15:0]), .shift(ac_uword[21:16]), .r(u_rnd), .y(u_new));
    wire [2*3-1:0] d_ctl_taps, m_ctl_taps;
    wire [(36+RK_BITS)*3-1:0] d_dat_taps;
    wire [(2+RK_BITS)*3-1:0]  m_dat_taps;
    rf_delay #(.WIDTH(2), .DEPTH(3), .RESET(1)) u_d_ctl (
        .clk(clk), .rst_n(rst_n), .d({s1_end, s1_v}), .taps(d_ctl_taps), .q({d_end, d_v}));
    rf_delay #(.WIDTH(36 + RK_BITS), .DEPTH(3), .RESET(0)) u_d_dat (
        .clk(clk), .rst_n(rst_n), .d({s1_first, s1_lastw, s1_uaddr, s1_slot, s1_k}), .taps(d_dat_taps),
        .q({d_first, d_lastw, d_uaddr, d_slot, d_k}));
    rf_delay #(.WIDTH(2), .DEPTH(3), .RESET(1)) u_m_ctl (
        .clk(clk), .rst_n(rst_n), .d({ac_end, ac_v && ac_lastw}), .taps(m_ctl_taps), .q({m_end, m_v}));
    rf_delay #(.WIDTH(2 + RK_BITS), .DEPTH(3), .RESET(0)) u_m_dat (
        .clk(clk), .rst_n(rst_n), .d({ac_slot, ac_k}), .taps(m_dat_taps), .q({m_slot, m_k}));

    always @(posedge clk) begin
        if (!rst_n) begin
            pre_busy <= 1'b0;
            p_slot <= 2'd0;
            p_k <= {RK_BITS{1'b0}};
            p_w <= {WPR_BITS{1'b0}};
            s1_v <= 1'b0;
            s1_end <= 1'b0;
            ac_v <= 1'b0;
            ac_end <= 1'b0;
            pre_done <= 1'b0;
        end else begin
            s1_v <= pre_busy;
            s1_end <= pre_busy && p_last;
            ac_v <= d_v;
            ac_end <= d_end;
            pre_done <= m_end;
            if (start && !pre_busy) begin
                pre_busy <= 1'b1;
                p_slot <= 2'd0;
                p_k <= {RK_BITS{1'b0}};
                p_w <= {WPR_BITS{1'b0}};
            end else if (pre_busy) begin
                if (p_last) pre_busy <= 1'b0;
                if (!p_last_w) begin
                    p_w <= p_w + WPR_BITS'(1);
                end else begin
                    p_w <= {WPR_BITS{1'b0}};
                    p_k <= p_k + RK_BITS'(1);
                    if (p_last_k) p_slot <= p_slot + 2'd1;
                end
            end
        end
    end

    always @(posedge clk) begin   // datapath registers, qualified by the valid tags above
        s1_a     <= mem_a[p_addr[A_AB-1:0]];
        s1_x     <= act_word;
        s1_first <= (p_w == {WPR_BITS{1'b0}});
        s1_lastw <= p_last_w;
        s1_uaddr <= p_blk * 32'(RANK) + 32'(p_k);
        s1_slot  <= p_slot;
        s1_k     <= p_k;
        if (d_v) acc <= (d_first ? 32'sd0 : acc) + 32'(dsum);
        ac_lastw <= d_lastw;
        ac_uword <= mem_u[d_uaddr[U_AB-1:0]];
        ac_slot  <= d_slot;
        ac_k     <= d_k;
        if (m_v) u_flat[8*(32'(m_slot)*RANK + 32'(m_k)) +: 8] <= u_new;
    end

    // ------------------------------------------------------------------ output stream: y + B u
    reg  [2:0]  r_t;
    reg  [31:0] r_local;
    reg  [1:0]  r_slot;
    always @(*) begin
        r_local = {16'd0, y_row_i};
        r_slot = 2'd0;
        case (ph_kind)
            2'd0: begin
                if (y_row_i < 16'(DIM)) begin
                    r_t = 3'd0;
                end else if (y_row_i < 16'(DIM + KV_DIM)) begin
                    r_t = 3'd1;
                    r_local = 32'(y_row_i) - 32'(DIM);
                end else begin
                    r_t = 3'd2;
                    r_local = 32'(y_row_i) - 32'(DIM + KV_DIM);
                end
                r_slot = 2'(t_index(r_t) - t_index(3'd0));
            end
            2'd1: r_t = 3'd3;
            2'd2: begin
                r_t = y_row_i[0] ? 3'd5 : 3'd4;
                r_local = {17'd0, y_row_i[15:1]};
                r_slot = 2'(t_index(r_t) - t_index(3'd4));
            end
            default: r_t = 3'd6;
        endcase
    end
    wire [31:0] r_entry = 32'(layer) * 32'(ROWS_T) + t_rowoff(r_t) + r_local;
    wire [B_AB-1:0] r_addr = r_entry[B_AB-1:0];

    // Pipeline of a row that enters at edge j (y_*_i sampled there):
    //   j+1   T1  B row, BQ word (MB, SB), y, row, slot registered
    //   j+2..4    rf_dot: the RANK products B8[j,k] u_k, their sum
    //   j+5   M   dot * MB registered
    //   j+6..7    rf_rsr (PIPE 1): delta = rsr(dot * MB, SB)
    //   j+8   Y   y + delta registered
    //   j+9   O   rf_sat to 16 or 8 bits (y unchanged on a row without an adapter) -> y_*_o
    // LORA_STREAM = 9 (sim_models/lora.py). Rows may come every cycle.
    localparam integer LOG_RANK = (RANK > 1) ? $clog2(RANK) : 0;
    localparam integer DBITS    = 16 + LOG_RANK;             // sum of RANK int8 products
    localparam integer OPIPE    = 9;                          // stages T1 .. O
    reg [1:0]         t1_slot;
    reg [8*RANK-1:0]  t1_b;
    // tags of stages T1 .. Y (index 0 = T1, 7 = Y) and the output O
    wire              o_v, o_done;                           // valid/done of stage O (rf_delay)
    wire [34*(OPIPE-1)-1:0] q_taps;                          // {row, y, built, out16} of stages T1 .. Y
    wire [15:0]       q_row_y, q_y_y;                        // of stage Y
    wire              q_built_y, q_out16_y;
    wire signed [15:0] q_y_m;                                // y of the stage before Y
    wire [21:0]       q_sbmb;                                // {SB, MB} of rf_dot's third stage
    reg [15:0]        o_row;
    reg signed [15:0] o_y;

    wire [31:0]       bq_word = mem_bq[r_addr];
    wire [8*RANK-1:0] u_sel = u_flat[8*RANK*32'(t1_slot) +: 8*RANK];
    wire signed [DBITS-1:0] dot;
    rf_dot #(.N(RANK), .ABITS(8), .BBITS(8)) u_out_dot (.clk(clk), .a(t1_b), .b(u_sel), .sum(dot));

    // M, R1, R2: delta = rsr(dot * MB, SB) (rf_requant's product and round-shift; the saturation
    // comes after y + delta, below)
    wire signed [DBITS+16:0] delta;
    wire signed [15:0]       delta_sat;
    rf_requant #(.ACC_BITS(DBITS), .OUT_BITS(16), .PIPE(1)) u_out_requant (
        .clk(clk), .acc(dot), .mult(q_sbmb[15:0]), .shift(q_sbmb[21:16]), .r(delta), .y(delta_sat));
    wire [2*OPIPE-1:0] o_ctl_taps;
    wire [22*4-1:0]    q_sbmb_taps;
    rf_delay #(.WIDTH(2), .DEPTH(OPIPE), .RESET(1)) u_o_ctl (
        .clk(clk), .rst_n(rst_n), .d({done_i && active, y_valid_i && active}), .taps(o_ctl_taps), .q({o_done, o_v}));
    rf_delay #(.WIDTH(34), .DEPTH(OPIPE - 1), .RESET(0)) u_q_dat (
        .clk(clk), .rst_n(rst_n), .d({y_row_i, y_data_i, TARGETS[r_t], (ph_kind == 2'd1) || (ph_kind == 2'd3)}),
        .taps(q_taps), .q({q_row_y, q_y_y, q_built_y, q_out16_y}));
    assign q_y_m = q_taps[34*(YL-1) + 2 +: 16];
    rf_delay #(.WIDTH(22), .DEPTH(4), .RESET(0)) u_q_sbmb (
        .clk(clk), .rst_n(rst_n), .d(bq_word[21:0]), .taps(q_sbmb_taps), .q(q_sbmb));
    reg signed [DBITS+17:0]  ysum;
    wire signed [15:0] y16;
    wire signed [7:0]  y8;
    rf_sat #(.IN_BITS(DBITS + 18), .OUT_BITS(16)) u_out_sat16 (.x(ysum), .y(y16));
    rf_sat #(.IN_BITS(DBITS + 18), .OUT_BITS(8))  u_out_sat8  (.x(ysum), .y(y8));
    localparam integer YL = OPIPE - 2;                       // index of stage Y

    always @(posedge clk) begin   // qualified by the valid tags
        t1_b     <= mem_b[r_addr];
        t1_slot  <= r_slot;
        ysum   <= (DBITS + 18)'(q_y_m) + (DBITS + 18)'(delta);
        o_row  <= q_row_y;
        o_y    <= q_built_y ? (q_out16_y ? y16 : 16'(y8)) : q_y_y;
    end

    assign y_valid_o = active ? o_v    : y_valid_i;
    assign y_row_o   = active ? o_row  : y_row_i;
    assign y_data_o  = active ? o_y    : y_data_i;
    assign done_o    = active ? o_done : done_i;

    wire unused_ok = &{1'b0, ba[31:16], a_off[31:A_AB], b_off[31:B_AB], bq_off[31:B_AB], u_off[31:U_AB],
                       b_rel[31:1], p_addr[31:A_AB], d_uaddr[31:U_AB], ac_uword[31:22],
                       d_ctl_taps, m_ctl_taps, d_dat_taps, m_dat_taps, o_ctl_taps, q_taps, q_sbmb_taps, delta_sat,
                       u_rnd,
                       r_entry[31:B_AB], bq_word[31:22], P0_T0[0], P0_T1[0], P0_T2[0], P2_T0[0], P2_T1[0]};
endmodule

`default_nettype wire
