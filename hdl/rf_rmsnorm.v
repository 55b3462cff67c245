// rf_rmsnorm -- RMSNorm of docs/arithmetic.md section 4, LANES elements per cycle.
//
//   v   = sum_i x_i^2 + eps                                   (48 bits)
//   sh  = (bitlen(v) - 1) & ~1;  idx = floor(v * 2^8 / 2^sh) - 256
//   y_i = sat(rsr(x_i * RSQRT[idx] * G_i, nshift + sh/2), 8)   nshift = 15 + GS
//
// Latency (docs/rtl.md): start sampled at edge 0, done high in cycle
// 2 * WORDS + NORM_PIPE with NORM_PIPE = 10; y_flat is valid from that cycle
// until the next start. start while busy is ignored.
//
// Schedule, by the value of the cycle counter `cyc` in the cycle before the edge
// that performs the action (W = WORDS, all windows inclusive):
//   pass 1  fetch x word cyc               cyc in [0, W-1]
//           t = LANES squares x*x          cyc in [1, W]
//           psum = sum of t (adder tree)   cyc in [2, W+1]
//           acc += psum (acc = eps at 0)   cyc in [3, W+2]
//   index   sh, idx from acc               cyc == W+3
//   lookup  rsq = RSQRT[idx], shift, half  cyc == W+4
//   pass 2  fetch x word cyc-(W+5)         cyc in [W+5, 2W+4]
//           gain ROM address               cyc in [W+5, 2W+4]   (2-cycle read)
//           t = x * rsq, gain ROM output   cyc in [W+6, 2W+5]
//           prod = t * G                   cyc in [W+7, 2W+6]
//           rnd = prod + half              cyc in [W+8, 2W+7]
//           sr = rnd >>> shift             cyc in [W+9, 2W+8]
//           y word = sat(sr)               cyc in [W+10, 2W+9]  (done with the last)
// The lane multipliers and their product register t are shared: x*x in pass 1, x*RSQRT in
// pass 2. Each stage holds one multiplier, one adder tree or one round/shift/saturate (timing).
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
    parameter         NORM_FILE  = "",
    parameter         RSQRT_FILE = ""
) (
    input  wire                        clk,
    input  wire                        rst_n,
    input  wire                        start,
    input  wire [7:0]                  norm_idx,   // which gain vector (< NORMS)
    input  wire [5:0]                  nshift,     // 15 + GS
    input  wire [47:0]                 eps,        // sampled with start (the model's eps, from ROM)
    input  wire [16*LANES*WORDS-1:0]   x_flat,     // int16 elements, held stable while busy
    output reg  [8*LANES*WORDS-1:0]    y_flat,     // int8 results
    output reg                         done,
    output reg                         busy
);
    localparam integer NORM_PIPE = 10;
    localparam integer XW        = 16 * LANES;              // one x / gain word
    localparam integer YW        = 8 * LANES;               // one y word
    localparam integer GDEPTH    = NORMS * WORDS;
    localparam integer GA_BITS   = (GDEPTH > 1) ? $clog2(GDEPTH) : 1;
    localparam integer LAST      = 2 * WORDS + NORM_PIPE - 1;  // cyc in the cycle before done
    localparam integer CB        = $clog2(LAST + 2);
    localparam integer RSQ_DEPTH = 768;
    localparam integer MAX_SH    = 48;   // rsr(p, s) == 0 for |p| < 2^47 and s >= 48

    // ---------------------------------------------------------------- ROMs
    // rsq <= RSQRT[idx_r] when en_rsq; gq: gains[gaddr] two cycles after the address (instances below)

    // ---------------------------------------------------------------- state
    reg [CB-1:0]       cyc;
    reg [GA_BITS-1:0]  gaddr;
    reg [5:0]          nsh_r;
    reg [XW-1:0]       xw;        // fetched x word (both passes)
    reg [47:0]         psum;
    reg [47:0]         acc;
    reg [4:0]          shh_r;     // sh / 2
    reg [9:0]          idx_r;
    wire [15:0]        rsq;       // RSQRT ROM output
    reg [5:0]          shf;       // min(nshift + sh/2, MAX_SH)
    reg [49:0]         half;      // rounding term of rsr (0 when shf == 0)
    wire [XW-1:0]      gq;        // gain ROM output
    reg [32*LANES-1:0] t_r;       // x * x (pass 1, < 2^31) or x * RSQRT (pass 2), 32 bits per lane
    reg [48*LANES-1:0] prod_r;    // t * G, 48 bits per lane
    reg [50*LANES-1:0] rnd_r;     // prod + half, 50 bits per lane
    reg [50*LANES-1:0] sr_r;      // rnd >>> shift, 50 bits per lane

    // ---------------------------------------------------------------- stage enables
    // en_X is high in the cycles with busy && A <= cyc <= B (the windows of the schedule above).
    // Each is a register loaded with its condition for the next cycle (after a start cyc is 0,
    // while busy cyc + 1; every B <= LAST, so no window runs past done): no comparator of the
    // counter sits between it and the wide register enables and the ROM enables it drives (timing).
    reg en_f1, en_m1, en_sq, en_acc, en_idx, en_rsq, en_f2, en_t, en_p, en_r, en_s, en_w;
    wire go = !busy && start;
    always @(posedge clk) begin
        if (!rst_n) begin
            {en_f1, en_m1, en_sq, en_acc, en_idx, en_rsq} <= 6'd0;
            {en_f2, en_t, en_p, en_r, en_s, en_w}         <= 6'd0;
        end else begin
            en_f1  <= go || (busy && (cyc < CB'(WORDS - 1)));                           // [0, W-1]
            en_m1  <= busy && (cyc < CB'(WORDS));                                       // [1, W]
            en_sq  <= busy && (cyc >= CB'(1))             && (cyc <= CB'(WORDS));       // [2, W+1]
            en_acc <= busy && (cyc >= CB'(2))             && (cyc <= CB'(WORDS + 1));   // [3, W+2]
            en_idx <= busy && (cyc == CB'(WORDS + 2));                                  // W+3
            en_rsq <= busy && (cyc == CB'(WORDS + 3));                                  // W+4
            en_f2  <= busy && (cyc >= CB'(WORDS + 4))     && (cyc <= CB'(2 * WORDS + 3));   // [W+5, 2W+4]
            en_t   <= busy && (cyc >= CB'(WORDS + 5))     && (cyc <= CB'(2 * WORDS + 4));   // [W+6, 2W+5]
            en_p   <= busy && (cyc >= CB'(WORDS + 6))     && (cyc <= CB'(2 * WORDS + 5));   // [W+7, 2W+6]
            en_r   <= busy && (cyc >= CB'(WORDS + 7))     && (cyc <= CB'(2 * WORDS + 6));   // [W+8, 2W+7]
            en_s   <= busy && (cyc >= CB'(WORDS + 8))     && (cyc <= CB'(2 * WORDS + 7));   // [W+9, 2W+8]
            en_w   <= busy && (cyc >= CB'(WORDS + 9))     && (cyc <= CB'(LAST - 1));        // [W+10, LAST]
        end
    end

    rf_rom #(.WIDTH(16), .DEPTH(RSQ_DEPTH), .ADDR_BITS(10), .FILE(RSQRT_FILE)) u_rsqrt (
        .clk(clk), .en(en_rsq), .addr(idx_r), .rdata(rsq));
    // rsq is read at cyc W+4 and used from W+6: one register after the block RAM keeps its
    // clock-to-out out of the lane multipliers (timing), at no cycle
    reg [15:0] rsq_q;
    always @(posedge clk) rsq_q <= rsq;
    // The gain ROM reads in 2 cycles (OUT_REG: the block RAM's clock-to-out stays out of the
    // t * G multipliers): addresses are issued one cycle earlier than gq is needed, in en_f2's
    // window, and the enable spans en_f2 and en_t so the output register takes the last word.
    rf_rom #(.WIDTH(XW), .DEPTH(GDEPTH), .ADDR_BITS(GA_BITS), .FILE(NORM_FILE), .OUT_REG(1)) u_gain (
        .clk(clk), .en(en_f2 || en_t), .addr(gaddr), .rdata(gq));
    wire [CB-1:0] fidx = en_f1 ? cyc : (cyc - CB'(WORDS + 5));
    wire [CB-1:0] widx = cyc - CB'(WORDS + 10);

    // ---------------------------------------------------------------- combinational datapath
    reg [XW-1:0]       xsel;
    reg [47:0]         sq_sum;
    reg [32*LANES-1:0] t_next;
    reg [48*LANES-1:0] prod_next;
    reg [50*LANES-1:0] rnd_next;
    reg [50*LANES-1:0] sr_next;
    reg [YW-1:0]       y_next;
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
    reg signed [49:0]  sl;
    integer iw, il, ig;

    // word select (x_flat is stable while busy)
    always @(*) begin
        xsel = {XW{1'b0}};
        for (iw = 0; iw < WORDS; iw = iw + 1)
            if (fidx == CB'(iw)) xsel = x_flat[iw*XW +: XW];
    end

    // lane multipliers: x*x (pass 1) or x*RSQRT (pass 2), registered in t_r
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

    // pass 1: the sum of the LANES squares in t_r, a balanced adder tree (node i = node 2i +
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

    // gain scaling, rounding, shift and saturation
    always @(*) begin
        prod_next = {48*LANES{1'b0}};
        rnd_next  = {50*LANES{1'b0}};
        sr_next   = {50*LANES{1'b0}};
        y_next    = {YW{1'b0}};
        tl = 32'sd0;
        gl = 16'sd0;
        pl = 48'sd0;
        rl = 50'sd0;
        sl = 50'sd0;
        for (ig = 0; ig < LANES; ig = ig + 1) begin
            tl = $signed(t_r[32*ig +: 32]);
            gl = $signed(gq[16*ig +: 16]);
            pl = tl * gl;                               // |t * G| < 2^45
            prod_next[48*ig +: 48] = pl;
            rl = $signed({{2{prod_r[48*ig+47]}}, prod_r[48*ig +: 48]}) + $signed(half);
            rnd_next[50*ig +: 50] = rl;
            sr_next[50*ig +: 50] = $signed(rnd_r[50*ig +: 50]) >>> shf;
            sl = $signed(sr_r[50*ig +: 50]);
            if (sl > 50'sd127)       y_next[8*ig +: 8] = 8'h7f;
            else if (sl < -50'sd128) y_next[8*ig +: 8] = 8'h80;
            else                     y_next[8*ig +: 8] = sl[7:0];
        end
    end

    // sh and idx of v: the leading one of the 48-bit sum (rf_lzc; 0 for a zero sum)
    wire [5:0] acc_lz;
    wire       acc_zero;
    rf_lzc #(.WIDTH(48)) u_lzc (.x(acc), .cnt(acc_lz), .zero(acc_zero));
    always @(*) begin
        msbh = acc_zero ? 5'd0 : 5'((6'd47 - acc_lz) >> 1);
        scaled   = 10'({acc, 8'd0} >> {msbh, 1'b0});    // v * 2^8 / 2^sh, in [256, 1024)
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
                if (start) begin
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
    always @(posedge clk) begin
        if (go) begin
            nsh_r <= nshift;
            gaddr <= GA_BITS'(norm_idx * WORDS);
            acc   <= eps;
        end
        if (en_f1 || en_f2) xw <= xsel;
        if (en_sq)  psum <= sq_sum;
        if (en_acc) acc  <= acc + psum;
        if (en_idx) begin
            shh_r <= msbh;
            idx_r <= idx_next;
        end
        if (en_rsq) begin
            shf  <= (shtot > 7'(MAX_SH)) ? 6'(MAX_SH) : shtot[5:0];
            half <= (shtot == 7'd0) ? 50'd0
                  : (shtot > 7'(MAX_SH)) ? (50'd1 << (MAX_SH - 1))
                  : (50'd1 << (shtot[5:0] - 6'd1));
        end
        if (en_m1 || en_t) t_r <= t_next;
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
