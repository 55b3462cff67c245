// rf_rmsnorm -- RMSNorm of docs/arithmetic.md section 4, LANES elements per cycle.
//
//   v   = sum_i x_i^2 + eps                                   (48 bits)
//   sh  = (bitlen(v) - 1) & ~1;  idx = floor(v * 2^8 / 2^sh) - 256
//   y_i = sat(rsr(x_i * RSQRT[idx] * G_i, nshift + sh/2), OUT_BITS)   nshift = 15 + GS
//
// OUT_BITS is the activation format's wide width (params.vh ACT_WIDE_BITS, docs/arithmetic.md 3b):
// 8 for --act static (the int8 matmul input), 15 for --act mx (the wide value at s * 2^-F, whose
// gains the compiler made with GS F larger; nshift carries it). Only the saturation differs:
// |t * G| < 2^45, so the 50-bit rounded shift holds every OUT_BITS.
//
// The sum of squares is accumulated while the vector is written (the `sq_*` port mirrors the
// writes of the buffer that x_flat reads, LANES elements a cycle with lane enables), so a
// normalization runs only the normalize pass. The running sum `ssq` starts at eps: it is set to eps
// by reset, by `sq_clear` and by every start (which consumes it), and each write adds its squares
// 4 edges later (sim_models/schedule.py NORM_SUM_LAT): the sum a start sees is the one of the writes
// from the cycle of the last clear or start on, up to NORM_SUM_LAT cycles before it (writes before
// a clear or start, in flight or not, are dropped). The exact integer
// sum does not depend on the order of the writes; the caller writes each element of the vector
// once after the clear (rf_core: the embedding after its first cycle, WO and W2 after the norm
// before them).
//
// Latency (docs/rtl.md): start sampled at edge 0, done high in cycle
// WORDS + NORM_PIPE with NORM_PIPE = 6; y_flat is valid from that cycle
// until the next start. start while busy is ignored. A start less than NORM_SUM_LAT (4) cycles
// after the vector's last write is held until that write's squares are in the sum (`pend`): it
// takes effect in cycle c + NORM_SUM_LAT for a last write in cycle c (the core starts a norm in the
// cycle of the last write: schedule.py adds NORM_SUM_LAT to every norm phase).
//
// Sum of squares, from a write in cycle c (no write while busy):
//   xw = masked write lanes                edge ending c
//   t = LANES squares x*x                  edge ending c+1
//   psum = sum of t (adder tree)           edge ending c+2
//   ssq += psum                            edge ending c+3   (a start in cycle c+4 sees it)
// Normalize, by the value of the cycle counter `cyc` in the cycle before the edge that performs
// the action (W = WORDS, all windows inclusive):
//   index   sh, idx from ssq; ssq = eps    the start edge
//   lookup  rsq = RSQRT[idx], shift, half  cyc == 0
//   pass 2  fetch x word cyc-1             cyc in [1, W]
//           gain ROM address               cyc in [1, W]      (2-cycle read)
//           t = x * rsq, gain ROM output   cyc in [2, W+1]
//           prod = t * G                   cyc in [3, W+2]
//           rnd = prod + half              cyc in [4, W+3]
//           sr = rnd >>> shift             cyc in [5, W+4]
//           y word = sat(sr)               cyc in [6, W+5]    (done with the last)
// The lane multipliers and their product register t are shared: x*x for the writes, x*RSQRT in
// the normalize pass. Each stage holds one multiplier, one adder tree or one round/shift/saturate
// (timing).
//
// ROMs (rf_rom instances, synchronous reads with enable):
//   NORM_FILE  : NORMS*WORDS words of 16*LANES bits, int16 gains, lane 0 in the low
//                bits; word norm_idx*WORDS + w holds elements w*LANES .. w*LANES+LANES-1
//                (sim_models/compiler.py norm.hex).
//   RSQRT_FILE : 768 words of 16 bits (rsqrt.hex).
`default_nettype none

module rf_rmsnorm #(
    parameter integer LANES      = 8,
    parameter integer WORDS      = 1,
    parameter integer NORMS      = 1,
    parameter integer OUT_BITS   = 8,     // y width: the activation format's ACT_WIDE_BITS (8 .. 49)
    parameter         NORM_FILE  = "",
    parameter         RSQRT_FILE = ""
) (
    input  wire                        clk,
    input  wire                        rst_n,
    // the writes of the vector: squares accumulated into the running sum
    input  wire                        sq_clear,   // running sum = eps (before a vector is written)
    input  wire [LANES-1:0]            sq_we,      // lane enables of a write
    input  wire [16*LANES-1:0]         sq_x,       // the written int16 elements (lane j at [16*j +: 16])
    // the normalization
    input  wire                        start,
    input  wire [7:0]                  norm_idx,   // which gain vector (< NORMS)
    input  wire [5:0]                  nshift,     // 15 + GS
    input  wire [47:0]                 eps,        // the model's eps (from ROM), taken by sq_clear and start
    input  wire [16*LANES*WORDS-1:0]   x_flat,     // int16 elements, held stable while busy
    output reg  [OUT_BITS*LANES*WORDS-1:0] y_flat, // OUT_BITS-bit signed results
    output reg                         done,
    output reg                         busy
);
    localparam integer NORM_PIPE = 6;
    localparam integer XW        = 16 * LANES;              // one x / gain word
    localparam integer YW        = OUT_BITS * LANES;        // one y word
    localparam integer GDEPTH    = NORMS * WORDS;
    localparam integer GA_BITS   = (GDEPTH > 1) ? $clog2(GDEPTH) : 1;
    localparam integer LAST      = WORDS + NORM_PIPE - 1;   // cyc in the cycle before done
    localparam integer CB        = $clog2(LAST + 2);
    localparam integer RSQ_DEPTH = 768;
    localparam integer MAX_SH    = 48;   // rsr(p, s) == 0 for |p| < 2^47 and s >= 48

    // ---------------------------------------------------------------- state
    reg [CB-1:0]       cyc;
    reg [GA_BITS-1:0]  gaddr;
    reg [5:0]          nsh_r;
    reg [XW-1:0]       xw;        // the written lanes (sum of squares) or the fetched x word (normalize)
    reg [47:0]         psum;
    reg [47:0]         ssq;       // eps + the squares written since the last clear or start
    reg [4:0]          shh_r;     // sh / 2
    reg [9:0]          idx_r;
    wire [15:0]        rsq;       // RSQRT ROM output
    reg [5:0]          shf;       // min(nshift + sh/2, MAX_SH)
    reg [49:0]         half;      // rounding term of rsr (0 when shf == 0)
    wire [XW-1:0]      gq;        // gain ROM output
    reg [32*LANES-1:0] t_r;       // x * x (sum of squares, < 2^31) or x * RSQRT (normalize), 32 bits per lane
    reg [48*LANES-1:0] prod_r;    // t * G, 48 bits per lane
    reg [50*LANES-1:0] rnd_r;     // prod + half, 50 bits per lane
    reg [50*LANES-1:0] sr_r;      // rnd >>> shift, 50 bits per lane

    // ---------------------------------------------------------------- stage enables
    // Sum of squares: en_m1, en_sq, en_acc follow a write by 1, 2, 3 cycles. Normalize: en_X is
    // high in the cycles with busy && A <= cyc <= B (the windows of the schedule above). Each is a
    // register loaded with its condition for the next cycle (after a start cyc is 0, while busy
    // cyc + 1; every B <= LAST, so no window runs past done): no comparator of the counter sits
    // between it and the wide register enables and the ROM enables it drives (timing).
    // A start while a write's squares are still on their way into the sum (the sequencer starts
    // the norm on the edge that ends the phase writing the vector) waits until they are in: it is
    // held (`pend`, with its norm_idx and nshift) and taken at the first cycle with none in flight,
    // NORM_SUM_LAT - gap cycles after a start `gap` cycles behind the last write.
    reg en_m1, en_sq, en_acc, en_rsq, en_f2, en_t, en_p, en_r, en_s, en_w;
    reg        pend;
    reg [7:0]  pend_idx;
    reg [5:0]  pend_nsh;
    wire sq_in = |sq_we;
    wire in_flight = sq_in || en_m1 || en_sq || en_acc;
    wire go    = !busy && (start || pend) && !in_flight;
    wire wipe  = go || sq_clear;
    wire [7:0] go_idx = pend ? pend_idx : norm_idx;
    wire [5:0] go_nsh = pend ? pend_nsh : nshift;
    always @(posedge clk) begin
        if (!rst_n)                           pend <= 1'b0;
        else if (go)                          pend <= 1'b0;
        else if (!busy && start && !pend)     pend <= 1'b1;
        if (!busy && start && !pend) {pend_idx, pend_nsh} <= {norm_idx, nshift};
    end
    always @(posedge clk) begin
        if (!rst_n) begin
            {en_m1, en_sq, en_acc, en_rsq}        <= 4'd0;
            {en_f2, en_t, en_p, en_r, en_s, en_w} <= 6'd0;
        end else begin
            en_m1  <= sq_in;                // a clear or start drops the squares in flight
            en_sq  <= en_m1 && !wipe;
            en_acc <= en_sq && !wipe;
            en_rsq <= go;                                                                   // 0
            en_f2  <= busy && (cyc <= CB'(WORDS - 1));                                      // [1, W]
            en_t   <= busy && (cyc >= CB'(1))             && (cyc <= CB'(WORDS));           // [2, W+1]
            en_p   <= busy && (cyc >= CB'(2))             && (cyc <= CB'(WORDS + 1));       // [3, W+2]
            en_r   <= busy && (cyc >= CB'(3))             && (cyc <= CB'(WORDS + 2));       // [4, W+3]
            en_s   <= busy && (cyc >= CB'(4))             && (cyc <= CB'(WORDS + 3));       // [5, W+4]
            en_w   <= busy && (cyc >= CB'(5))             && (cyc <= CB'(LAST - 1));        // [6, LAST]
        end
    end

    rf_rom #(.WIDTH(16), .DEPTH(RSQ_DEPTH), .ADDR_BITS(10), .FILE(RSQRT_FILE)) u_rsqrt (
        .clk(clk), .en(en_rsq), .addr(idx_r), .rdata(rsq));
    // rsq is read at cyc 0 and used from 2: one register after the block RAM keeps its
    // clock-to-out out of the lane multipliers (timing), at no cycle
    reg [15:0] rsq_q;
    always @(posedge clk) rsq_q <= rsq;
    // The gain ROM reads in 2 cycles (OUT_REG: the block RAM's clock-to-out stays out of the
    // t * G multipliers): addresses are issued one cycle earlier than gq is needed, in en_f2's
    // window, and the enable spans en_f2 and en_t so the output register takes the last word.
    rf_rom #(.WIDTH(XW), .DEPTH(GDEPTH), .ADDR_BITS(GA_BITS), .FILE(NORM_FILE), .OUT_REG(1)) u_gain (
        .clk(clk), .en(en_f2 || en_t), .addr(gaddr), .rdata(gq));
    wire [CB-1:0] fidx = cyc - CB'(1);
    wire [CB-1:0] widx = cyc - CB'(6);

    // ---------------------------------------------------------------- combinational datapath
    reg [XW-1:0]       xsel;
    reg [XW-1:0]       sq_sel;
    reg [47:0]         sq_sum;
    reg [32*LANES-1:0] t_next;
    reg [48*LANES-1:0] prod_next;
    reg [50*LANES-1:0] rnd_next;
    reg [50*LANES-1:0] sr_next;
    wire [YW-1:0]      y_next;    // sat(sr_r, OUT_BITS) per lane (rf_sat)
    reg [4:0]          msbh;      // (bitlen(v) - 1) >> 1 = sh / 2
    reg [9:0]          scaled;
    reg [9:0]          idx_next;
    reg [6:0]          shtot;
    reg signed [15:0]  xa;
    reg signed [16:0]  xe;
    reg signed [16:0]  opb;
    reg signed [31:0]  m;         // x*x <= 2^30, |x * RSQRT| < 2^31
    reg signed [31:0]  tl;
    reg signed [15:0]  gl;
    reg signed [47:0]  pl;
    reg signed [49:0]  rl;
    integer iw, il, ig, iq;

    // word select (x_flat is stable while busy); the written lanes, disabled ones zero
    always @(*) begin
        xsel = {XW{1'b0}};
        for (iw = 0; iw < WORDS; iw = iw + 1)
            if (fidx == CB'(iw)) xsel = x_flat[iw*XW +: XW];
        for (iq = 0; iq < LANES; iq = iq + 1)
            sq_sel[16*iq +: 16] = sq_we[iq] ? sq_x[16*iq +: 16] : 16'd0;
    end

    // lane multipliers: x*x (sum of squares) or x*RSQRT (normalize), registered in t_r
    always @(*) begin
        t_next = {32*LANES{1'b0}};
        xa     = 16'sd0;
        xe     = 17'sd0;
        opb    = 17'sd0;
        m      = 32'sd0;
        for (il = 0; il < LANES; il = il + 1) begin
            xa  = $signed(xw[16*il +: 16]);
            xe  = 17'(xa);
            opb = en_t ? $signed({1'b0, rsq_q}) : xe;
            m   = 32'(xe) * 32'(opb);
            t_next[32*il +: 32] = m;
        end
    end

    // the sum of the LANES squares in t_r, a balanced adder tree (node i = node 2i +
    // node 2i+1, leaves LANES .. 2*LANES-1): ceil(log2 LANES) adds deep, not LANES.
    // Squares are < 2^31 and LANES <= 2^9, so 40 bits hold every partial sum.
    reg [40*2*LANES-1:0] sq_node;      // node i at [40*i +: 40]
    integer in;
    always @(*) begin
        sq_node = {(40 * 2 * LANES){1'b0}};
        for (in = 0; in < LANES; in = in + 1)
            sq_node[40*(LANES + in) +: 40] = {8'd0, t_r[32*in +: 32]};
        for (in = LANES - 1; in >= 1; in = in - 1)
            sq_node[40*in +: 40] = sq_node[40*2*in +: 40] + sq_node[40*(2*in + 1) +: 40];
        sq_sum = {8'd0, sq_node[40 +: 40]};
    end

    // gain scaling, rounding and shift; the saturation to OUT_BITS is rf_sat, one per lane
    always @(*) begin
        prod_next = {48*LANES{1'b0}};
        rnd_next  = {50*LANES{1'b0}};
        sr_next   = {50*LANES{1'b0}};
        tl = 32'sd0;
        gl = 16'sd0;
        pl = 48'sd0;
        rl = 50'sd0;
        for (ig = 0; ig < LANES; ig = ig + 1) begin
            tl = $signed(t_r[32*ig +: 32]);
            gl = $signed(gq[16*ig +: 16]);
            pl = tl * gl;                               // |t * G| < 2^45
            prod_next[48*ig +: 48] = pl;
            rl = $signed({{2{prod_r[48*ig+47]}}, prod_r[48*ig +: 48]}) + $signed(half);
            rnd_next[50*ig +: 50] = rl;
            sr_next[50*ig +: 50] = $signed(rnd_r[50*ig +: 50]) >>> shf;
        end
    end
    genvar gs;
    generate
        for (gs = 0; gs < LANES; gs = gs + 1) begin : g_sat
            rf_sat #(.IN_BITS(50), .OUT_BITS(OUT_BITS)) u_sat (
                .x(sr_r[50*gs +: 50]), .y(y_next[OUT_BITS*gs +: OUT_BITS]));
        end
    endgenerate

    // sh and idx of v: the leading one of the 48-bit sum (rf_lzc; 0 for a zero sum)
    wire [5:0] ssq_lz;
    wire       ssq_zero;
    rf_lzc #(.WIDTH(48)) u_lzc (.x(ssq), .cnt(ssq_lz), .zero(ssq_zero));
    always @(*) begin
        msbh = ssq_zero ? 5'd0 : 5'((6'd47 - ssq_lz) >> 1);
        scaled   = 10'({ssq, 8'd0} >> {msbh, 1'b0});    // v * 2^8 / 2^sh, in [256, 1024)
        idx_next = scaled - 10'd256;
        shtot    = {1'b0, nsh_r} + {2'd0, shh_r};
    end

    // ---------------------------------------------------------------- control
    always @(posedge clk) begin
        if (!rst_n) begin
            busy <= 1'b0;
            done <= 1'b0;
            cyc  <= {CB{1'b0}};
        end else begin
            done <= 1'b0;
            if (!busy) begin
                if (go) begin
                    busy <= 1'b1;
                    cyc  <= {CB{1'b0}};
                end
            end else begin
                cyc <= cyc + CB'(1);
                if (cyc == CB'(LAST)) begin
                    busy <= 1'b0;
                    done <= 1'b1;
                end
            end
        end
    end

    // ---------------------------------------------------------------- datapath registers
    // the running sum: eps after a clear or a start (which takes the sum), plus each write's squares
    always @(posedge clk) begin
        if (!rst_n) ssq <= eps;
        else        ssq <= wipe ? eps : ssq + (en_acc ? psum : 48'd0);
    end
    always @(posedge clk) begin
        if (go) begin
            nsh_r <= go_nsh;
            gaddr <= GA_BITS'(go_idx * WORDS);
            shh_r <= msbh;
            idx_r <= idx_next;
        end
        if (en_f2)      xw <= xsel;
        else if (sq_in) xw <= sq_sel;
        if (en_m1 || en_t) t_r <= t_next;
        if (en_sq) psum <= sq_sum;
        if (en_rsq) begin
            shf  <= (shtot > 7'(MAX_SH)) ? 6'(MAX_SH) : shtot[5:0];
            half <= (shtot == 7'd0) ? 50'd0
                  : (shtot > 7'(MAX_SH)) ? (50'd1 << (MAX_SH - 1))
                  : (50'd1 << (shtot[5:0] - 6'd1));
        end
        if (en_f2) gaddr <= gaddr + GA_BITS'(1);
        if (en_p) prod_r <= prod_next;
        if (en_r) rnd_r  <= rnd_next;
        if (en_s) sr_r   <= sr_next;
    end

    genvar gw;
    generate
        for (gw = 0; gw < WORDS; gw = gw + 1) begin : g_yword
            always @(posedge clk) begin
                if (en_w && widx == CB'(gw)) y_flat[gw*YW +: YW] <= y_next;
            end
        end
    endgenerate
endmodule

`default_nettype wire
