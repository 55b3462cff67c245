// rf_matvec -- LANES int8 MACs + adder tree + accumulator + requant (docs/rtl.md
// "rf_matvec", docs/arithmetic.md section 3):
//   acc_r = sum_{words w of row r, lanes i} W[w][i] * A[w - row_base][i]   (int32)
//   y_r   = sat(rsr(acc_r * M_r, S_r), cfg_out16 ? 16 : 8)
// Row r occupies weight words cfg_base + r*cfg_wpr .. + cfg_wpr-1 (so the weight
// address simply counts up across rows); its requant entry is cfg_rq_base + r.
//
// Throughput: one weight word per cycle, continuous across row boundaries.
// Latency (start sampled at edge 0, done high one cycle at edge N):
//     N = cfg_rows * cfg_wpr + MV_PIPE,   MV_PIPE = 9 (mx: 10, the X stage below)
// (= sim_models/schedule.py matvec_pipe(act): PIPELINE["matvec"] + MATVEC_ACT_LAT[act]). done coincides with the y_valid
// pulse of the last row. cfg_rows == 0 or cfg_wpr == 0: no rows, done after MV_PIPE.
// busy is high from the accepted start until done (low in the done cycle, so a
// start in the done cycle is accepted at the next edge); start while busy is
// ignored. All cfg_* inputs are sampled with start; act_word must follow act_idx
// combinationally and stay valid until the words are consumed (N - MV_PIPE cycles).
//
// Pipeline, for the weight word w_k issued at edge k (k = 0 .. rows*wpr-1):
//   edge k    A    w_addr, act_idx registered (issue)
//   edge k+1  R    the ROM's read (block RAM); act_word registered alongside it (here, or in
//                  the caller with ACT_REG = 0)
//   edge k+2  R2   the ROM's output register (rf_rom OUT_REG: w_data is 2 cycles after
//                  w_addr); the activation word's second register
//   edge k+3  P    (rf_dot) LANES products w x int8 (w: WBITS-bit lane operand, from rf_wdecode
//                  between the ROM and this stage; int8 weights: WBITS = 8) -> WBITS+8 bits
//   edge k+4  T1   adder tree, first half: sums of groups of TG lanes
//   edge k+5  T2   adder tree, second half: word sum
//   edge k+6  ACC  32-bit accumulator (loads the word sum on a row's first word);
//                  rq_addr was presented for the row's last word at edge k+4 (the ROM reads
//                  at k+5 and registers its output at k+6: rf_rom OUT_REG, so the block RAM's
//                  clock-to-out and output mux stay out of the M multiplier), so rq_data
//                  (M, S) arrives in this cycle
//   edge k+7  RQ1  rf_requant (PIPE 1): acc * M -> 48-bit product registered (with S)
//   edge k+8  RH   rf_requant: product + rounding term, registered
//   edge k+9  RS   rf_requant: shifted by S, registered (49 bits)
//   edge k+10 Y    its saturation to 16 bits, or to 8 bits unless cfg_out16 -> y_data, y_valid, y_row
// The control tags (valid/first/last/fin per word, then per row) travel in rf_delay lines.
// For the last word (k = rows*wpr - 1), edge k+10 = N, hence MV_PIPE = 9.
// One multiplier, one add, one shift or one saturation per stage: with the round, shift and
// both saturations in one stage (a 65-bit add, shift and compare, then a 16-bit compare)
// the routed block ran at 27 MHz, with the add and the shift in one stage at 62.8 MHz
// (scripts/timing_probe.py, docs/results.md).
//
// ACT_FMT 1 (mx, docs/arithmetic.md section 3b): act_word holds LANES wide values of
// ACT_WIDE_BITS bits (lane i at [ACT_WIDE_BITS*i +: ACT_WIDE_BITS]) and above them the word's
// block exponents (ACT_EXP_BITS each: one when LANES <= ACT_BLOCK, LANES / ACT_BLOCK otherwise,
// the first at the lowest bits; rf_mx_exp's read port). Between R and R2 each lane's element
// sat(rsr(v_i, e_b), 8) replaces the register copy (rf_rsr, rf_sat); the products and the tree
// are the static ones on these int8 elements, the tree cut into ACT_BLOCK-lane rf_dot subtrees
// when LANES > ACT_BLOCK. One stage more, after T2:
//   edge k+6  X    each block's partial sum shifted left by its exponent (one shifter at the
//                  tree's root, or one per subtree and their sum), registered
// then ACC (39 bits: ACC_BITS = 32 + 2^ACT_EXP_BITS - 1), the requant with A = 39 and Y, each one
// edge later: MV_PIPE = 10 (schedule.py matvec_pipe("mx")). ACT_FMT 0 (static): none of it.
`default_nettype none

module rf_matvec #(
    parameter integer LANES        = 8,
    parameter integer ADDR_BITS    = 16,
    parameter integer RQ_ADDR_BITS = 12,
    parameter integer WPR_BITS     = 8,    // cfg_wpr / act_idx width: holds the longest row in words
    parameter integer WBITS        = 8,    // signed weight lane operand (decoded by rf_wdecode)
    // 1: act_word follows act_idx combinationally and is registered here (R). 0: the caller
    // registers it (act_word = the word at the act_idx of the previous cycle), so the caller's
    // word mux can hold that register in its middle (rf_core: one register per group of words)
    parameter integer ACT_REG      = 1,
    parameter integer ACT_FMT       = 0,   // 0 static (int8 lanes), 1 mx (wide lanes + block exponents)
    parameter integer ACT_BLOCK     = 32,  // mx block (a power of two)
    parameter integer ACT_WIDE_BITS = 15,  // mx wide value bits
    parameter integer ACT_EXP_BITS  = 3,   // mx block exponent bits
    localparam [0:0]   MX    = (ACT_FMT != 0),
    localparam integer AW    = MX ? ACT_WIDE_BITS : 8,                       // lane bits of act_word
    localparam integer EB    = (ACT_EXP_BITS > 0) ? ACT_EXP_BITS : 1,
    localparam integer NSUB  = (MX && LANES > ACT_BLOCK) ? LANES / ACT_BLOCK : 1,   // tree subtrees
    localparam integer XW    = MX ? EB * NSUB : 0,                           // exponent bits of a word
    localparam integer AWORD = AW * LANES + XW
) (
    input  wire                    clk,
    input  wire                    rst_n,
    // command (sampled with start)
    input  wire                    start,
    input  wire [ADDR_BITS-1:0]    cfg_base,
    input  wire [15:0]             cfg_rows,
    input  wire [WPR_BITS-1:0]     cfg_wpr,
    input  wire [RQ_ADDR_BITS-1:0] cfg_rq_base,
    input  wire                    cfg_out16,
    // weight ROM (data two cycles after the address: rf_rom with OUT_REG = 1)
    output reg  [ADDR_BITS-1:0]    w_addr,
    input  wire [WBITS*LANES-1:0]  w_data,
    // requant ROM (data two cycles after the address: rf_rom with OUT_REG = 1): [15:0] M, [21:16] S
    output reg  [RQ_ADDR_BITS-1:0] rq_addr,
    input  wire [23:0]             rq_data,
    // activation vector (word act_idx: combinational response, or one cycle later if ACT_REG = 0)
    output reg  [WPR_BITS-1:0]     act_idx,
    input  wire [AWORD-1:0]        act_word,
    // results
    output wire                    y_valid,
    output reg  [15:0]             y_row,
    output reg  signed [15:0]      y_data,
    output wire                    done,
    output reg                     busy
);
    localparam integer DL        = LANES / NSUB;         // lanes per subtree (rf_dot)
    localparam integer LOG_DL    = (DL > 1) ? $clog2(DL) : 0;
    localparam integer SBITS     = WBITS + 8 + LOG_DL;   // sum of a subtree's DL products (rf_dot)
    localparam integer EMAX      = MX ? (1 << EB) - 1 : 0;   // largest block exponent
    localparam integer XBITS     = SBITS + EMAX + ((NSUB > 1) ? $clog2(NSUB) : 0);   // X: the shifted word sum
    localparam integer XL        = MX ? 1 : 0;           // the X stage
    localparam integer ABITS     = 32 + EMAX;            // accumulator (docs/arithmetic.md 3, 3b)
    localparam integer MBITS     = ABITS + 16;           // acc * M

    generate
        if (MX && ((ACT_BLOCK & (ACT_BLOCK - 1)) != 0 || ACT_BLOCK < 1 || (LANES & (LANES - 1)) != 0
                   || ACT_WIDE_BITS - 8 > EMAX || ACT_WIDE_BITS < 8)) begin : g_bad_mx
            initial $fatal(1, "rf_matvec: mx needs power-of-two LANES (%0d) and ACT_BLOCK (%0d), and exponents 0..%0d for %0d-bit values",
                           LANES, ACT_BLOCK, ACT_WIDE_BITS - 8, ACT_WIDE_BITS);
        end
    endgenerate

    // ------------------------------------------------------------------ issue (A)
    reg [WPR_BITS-1:0] wpr_m1;  // cfg_wpr - 1
    reg [15:0] rows_left;   // rows after the one being issued
    reg        out16_q;
    reg        a_valid, a_first, a_last;
    wire       a_final = a_last && (rows_left == 16'd0);
    wire       accept  = start && !busy;
    wire       empty   = (cfg_rows == 16'd0) || (cfg_wpr == {WPR_BITS{1'b0}});

    always @(posedge clk) begin
        if (!rst_n) begin
            a_valid <= 1'b0;
            a_first <= 1'b0;
            a_last  <= 1'b0;
        end else if (accept) begin
            a_valid <= !empty;
            a_first <= 1'b1;
            a_last  <= (cfg_wpr == WPR_BITS'(1));
        end else if (a_valid) begin
            a_valid <= !a_final;
            a_first <= a_last;
            a_last  <= a_last ? (wpr_m1 == {WPR_BITS{1'b0}}) : (act_idx + WPR_BITS'(1) == wpr_m1);
        end
    end

    always @(posedge clk) begin
        if (accept) begin
            w_addr    <= cfg_base;
            act_idx   <= {WPR_BITS{1'b0}};
            wpr_m1    <= cfg_wpr - WPR_BITS'(1);
            rows_left <= cfg_rows - 16'd1;
            out16_q   <= cfg_out16;
        end else if (a_valid) begin
            w_addr  <= w_addr + {{(ADDR_BITS - 1){1'b0}}, 1'b1};
            act_idx <= a_last ? {WPR_BITS{1'b0}} : act_idx + WPR_BITS'(1);
            if (a_last) rows_left <= rows_left - 16'd1;
        end
    end

    // ------------------------------------------------------ control tag pipeline
    // valid/first/last travel with each word through R, R2, P, T1, T2, (mx: X) and ACC; fin marks the
    // end of the run (it also travels alone, from R, for an empty run). From ACC on one tag per row
    // (valid: the row's last word) goes through RQ1, RH, RS to the output (y_valid, done).
    localparam integer TD = 6 + XL;       // tag stages R .. ACC
    wire [4*TD-1:0] tag;                  // {fin, last, first, valid} of R (tap 0) .. ACC (tap TD-1)
    wire [3:0]     ac_tag;
    wire [2*4-1:0] row_tag;               // {fin, valid} of RQ1, RH, RS, Y
    wire [1:0]     y_tag;
    rf_delay #(.WIDTH(4), .DEPTH(TD)) u_tags (
        .clk(clk), .rst_n(rst_n), .d({(a_valid && a_final) || (accept && empty), a_last, a_first, a_valid}),
        .taps(tag), .q(ac_tag));
    rf_delay #(.WIDTH(2), .DEPTH(4)) u_row_tags (
        .clk(clk), .rst_n(rst_n), .d({ac_tag[3], ac_tag[0] && ac_tag[2]}), .taps(row_tag), .q(y_tag));
    // the word whose sum enters acc at the next edge (T2, mx: X), and the one whose row's requant
    // entry is read next (two stages before ACC: T1, mx: T2)
    wire in_valid = tag[4*(4 + XL)], in_first = tag[4*(4 + XL) + 1];
    wire rq_valid = tag[4*(3 + XL)], rq_last = tag[4*(3 + XL) + 2];
    wire s_valid  = row_tag[4], s_fin = row_tag[5];
    wire p_valid  = tag[8], ac_valid = ac_tag[0], q_valid = row_tag[0];   // named for the waves (docs/waves.md)
    assign {done, y_valid} = y_tag;

    always @(posedge clk) begin
        if (!rst_n)       busy <= 1'b0;
        else if (accept)  busy <= 1'b1;
        else if (s_fin)   busy <= 1'b0;
    end

    // ---------------------------------------------------------------- datapath R
    reg [AWORD-1:0]   act_q;
    reg [8*LANES-1:0] act_q2;             // int8 lane operands
    generate
        if (ACT_REG != 0) begin : g_act_reg
            always @(posedge clk) act_q <= act_word;
        end else begin : g_act_caller
            always @(*) act_q = act_word;     // registered by the caller
        end
    endgenerate

    // R2: static, the int8 lanes; mx, each lane's element sat(rsr(v, e), 8) (e: its subtree's exponent)
    wire [8*LANES-1:0] elem;
    wire [EB*NSUB-1:0] exp_q;                                 // the word's exponents (mx)
    genvar gl;
    generate
        if (MX) begin : g_elem
            assign exp_q = act_q[AW*LANES +: EB*NSUB];
            for (gl = 0; gl < LANES; gl = gl + 1) begin : g_lane
                wire signed [AW:0] r;
                rf_rsr #(.IN_BITS(AW), .PIPE(0)) u_rsr (.clk(clk), .p(act_q[AW*gl +: AW]),
                    .shift(6'(exp_q[EB*(gl / DL) +: EB])), .r(r));
                rf_sat #(.IN_BITS(AW + 1), .OUT_BITS(8)) u_sat (.x(r), .y(elem[8*gl +: 8]));
            end
        end else begin : g_int8
            assign elem  = act_q;
            assign exp_q = {EB{1'b0}};
        end
    endgenerate
    always @(posedge clk) act_q2 <= elem;

    // P, T1, T2: the products and their sums (rf_dot, three register stages): the word's LANES
    // (static, mx with LANES <= ACT_BLOCK), or each ACT_BLOCK-lane subtree's (mx, LANES > ACT_BLOCK)
    wire [SBITS*NSUB-1:0] bsum;
    genvar gb;
    generate
        for (gb = 0; gb < NSUB; gb = gb + 1) begin : g_sub
            wire signed [SBITS-1:0] s;
            rf_dot #(.N(DL), .ABITS(WBITS), .BBITS(8)) u_dot (.clk(clk), .a(w_data[WBITS*DL*gb +: WBITS*DL]),
                .b(act_q2[8*DL*gb +: 8*DL]), .sum(s));
            assign bsum[SBITS*gb +: SBITS] = s;
        end
    endgenerate

    // X (mx): each subtree's sum shifted left by its block exponent (the exponents travel beside
    // the word from R2 to T2), their sum registered. static: the word sum goes to ACC directly.
    wire signed [XBITS-1:0] wsum;
    generate
        if (MX) begin : g_shift
            wire [EB*NSUB-1:0] exp_t2;
            wire [EB*NSUB*4-1:0] exp_taps;
            rf_delay #(.WIDTH(EB * NSUB), .DEPTH(4), .RESET(0)) u_exp (   // R2, P, T1, T2
                .clk(clk), .rst_n(rst_n), .d(exp_q), .taps(exp_taps), .q(exp_t2));
            reg signed [XBITS-1:0] xsum_d, xsum;
            integer b;
            always @(*) begin
                xsum_d = {XBITS{1'b0}};
                for (b = 0; b < NSUB; b = b + 1)
                    xsum_d = xsum_d + (XBITS'($signed(bsum[SBITS*b +: SBITS])) <<< exp_t2[EB*b +: EB]);
            end
            always @(posedge clk) xsum <= xsum_d;
            assign wsum = xsum;
            wire unused_taps = &{1'b0, exp_taps};
        end else begin : g_root
            assign wsum = bsum;
            wire unused_exp = &{1'b0, exp_q};
        end
    endgenerate

    // ----------------------------------------------------------- accumulate ACC
    reg signed [ABITS-1:0] acc;
    always @(posedge clk) begin
        if (in_valid) acc <= (in_first ? {ABITS{1'b0}} : acc) + ABITS'(wsum);
    end

    // requant entry of the row whose last word is in T1 (rq_data then arrives, two cycles
    // later, while that row's sum sits in acc); advance once it has been read
    always @(posedge clk) begin
        if (accept)                   rq_addr <= cfg_rq_base;
        else if (rq_valid && rq_last) rq_addr <= rq_addr + {{(RQ_ADDR_BITS - 1){1'b0}}, 1'b1};
    end

    // ------------------------------------------------------------- requant RQ1, Y
    wire unused_rq_hi = &{1'b0, rq_data[23:22]};  // [23:22] of the entry are spare
    wire unused_tags  = &{1'b0, tag, ac_tag, row_tag, rounded_q, p_valid, ac_valid, q_valid};   // the taps read are named above

    // RQ1: acc * M registered; RH, RS: rounded, then shifted (rf_requant PIPE 1); Y: saturated to
    // 16 bits, and to 8 from those (sat8(sat16(x)) == sat8(x)), cfg_out16 picks one
    wire signed [MBITS:0] rounded_q;
    wire signed [15:0]    y16;
    wire signed [7:0]     y8;
    rf_requant #(.ACC_BITS(ABITS), .OUT_BITS(16), .PIPE(1)) u_requant (
        .clk(clk), .acc(acc), .mult(rq_data[15:0]), .shift(rq_data[21:16]), .r(rounded_q), .y(y16));
    rf_sat #(.IN_BITS(16), .OUT_BITS(8)) u_sat8 (.x(y16), .y(y8));
    wire signed [15:0] y_next = out16_q ? y16 : 16'(y8);

    reg [15:0] out_row;  // index of the next result row
    always @(posedge clk) begin
        if (!rst_n) begin
            out_row <= 16'd0;
            y_row   <= 16'd0;
            y_data  <= 16'sd0;
        end else begin
            if (accept)       out_row <= 16'd0;
            else if (s_valid) out_row <= out_row + 16'd1;
            if (s_valid) begin
                y_row  <= out_row;
                y_data <= y_next;
            end
        end
    end
endmodule

`default_nettype wire
