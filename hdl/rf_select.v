// rf_select -- token selection (docs/arithmetic.md section 9): greedy argmax or
// seeded top-k sampling with temperature.
//
// Stream: `start` clears the candidate array and samples mode_sample, inv_temp
// and top_k. Logits (l_valid, l_index, l_value) arrive in ascending index order,
// back-to-back or with gaps; each one is inserted into a sorted array of
// KLIM = min(K_MAX, VOCAB) candidates (value descending, then index ascending: a
// new logit only displaces strictly smaller values, so the earlier index wins a
// tie). `finish` (at least one cycle after the last l_valid) starts the selection.
// A `start` may coincide with the first l_valid.
//
// Greedy (mode_sample == 0 or inv_temp == 0): the token is candidate 0 (the
// argmax, lowest index on ties). Latency SEL_PIPE = 2 (the input register stage and the pick).
//
// Sampled: k = top_k clamped to [1, KLIM] (0 means KLIM), and to the number of
// logits received. The PRNG steps once at `finish` (r = new state). Then:
//   pass 1 (k cycles): p_c = exp2_neg(rsr((l_0 - l_c) * LOGIT_MULT * inv_temp,
//                      LOGIT_SHIFT)), P = sum p_c
//   one gap cycle:     thr = (r * P) >> 32 is registered
//   pass 2 (k cycles): the same p_c again; the token is the first candidate whose
//                      running sum exceeds thr.
// Both passes share one pipeline, one register stage per operation so that no stage holds
// more than one multiplier, shifter or wide mux (timing: at 50 MHz on an ECP5 the old
// one-stage issue -- address arithmetic, 64:1 mux, two multipliers, 64-bit shift -- took 48 ns):
//   issue  candidate address a (a register, counting with ic): each group of 8 entries muxes its
//          entry a mod 8 into its group register, l_0 into a register -> G
//   G      the group registers' mux (entry a), l_0 - l_c -> D
//   D      D * m, m = LOGIT_MULT * inv_temp (a register, stable from the cycle after start) -> P
//   P      rsr(P, LOGIT_SHIFT) in rf_rsr's two stages: the rounding add -> R, the shift -> S1
//   S1     the shifted value u: EXP2 ROM read at u's fraction (synchronous), overflow of u -> S2
//   S2     p_c = EXP2 >> whole (0 when big) -> S3
//   S3     accumulate/compare.
// Latency 2 * k + SAMPLE_PIPE with SAMPLE_PIPE = 10 (the input register stage, 1 gap + 8 pipeline
// stages; the gap is still one cycle: pass 2's first candidate reaches S3 one cycle after P is
// final).
//
// Latency N: `finish` is sampled high at a rising edge (cycle 0); `done` is high
// for exactly one cycle, sampled high at the edge N cycles later; `token` holds
// from then until the next selection. start / l_valid are ignored while a sampled selection
// is issuing (busy, 2 * k + 1 cycles after finish; the candidates are read at issue, so a new
// selection may fill them while the last ones drain); finish is ignored until the edge that
// raises done (the drain shares the running sums a new selection would clear).
//
// PRNG: reset loads 0x6D2B79F5 (the seed-0 state). `seed_load` loads `seed`
// (0 loads 0x6D2B79F5); a seed_load in the same cycle as a sampled `finish` is
// applied first, so that token uses the step after the new seed. A seed_load
// during a running selection affects the next token only.
`default_nettype none

module rf_select #(
    parameter integer VOCAB       = 64,
    parameter integer K_MAX       = 64,           // 1 .. 255 (top_k is 8 bits)
    parameter         EXP2_FILE   = "exp2.hex"    // 256 x 16-bit EXP2 table
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire        [15:0] logit_mult,         // M_logit (the model's, from ROM; stable)
    input  wire        [5:0]  logit_shift,        // S_logit, 0 .. 62
    input  wire               seed_load,
    input  wire        [31:0] seed,
    input  wire               start,
    input  wire               mode_sample,
    input  wire        [15:0] inv_temp,
    input  wire        [7:0]  top_k,
    input  wire               l_valid,
    input  wire        [15:0] l_index,
    input  wire signed [15:0] l_value,
    input  wire               finish,
    output reg         [15:0] token,
    output reg                done
);
    localparam integer KLIM = (K_MAX < VOCAB) ? K_MAX : VOCAB;   // candidate array entries
    localparam integer AW   = (KLIM > 1) ? $clog2(KLIM) : 1;      // candidate address bits
    localparam integer CW   = 9;                                  // counters: up to 2 * 255
    localparam integer PW   = 24;                                 // P <= 255 * 2^15 < 2^23
    localparam [CW-1:0] KLIM_C = CW'(KLIM);
    localparam [31:0]   SEED_ZERO = 32'h6D2B79F5;

    // ------------------------------------------------------------------ input register stage
    // Every input is registered once, so the whole unit runs one cycle behind its ports and their
    // relative timing is unchanged. The logit comes from the matvec's output register, which also
    // feeds rope, swiglu and the residual across the die; here it fans out to the KLIM comparators
    // from a register placed beside them (timing).
    reg               start_q, l_valid_q, finish_q, seed_load_q;
    reg               mode_q;
    reg        [15:0] inv_temp_q;
    reg        [7:0]  top_k_q;
    reg        [15:0] l_index_q;
    reg signed [15:0] l_value_q;
    reg        [31:0] seed_q;
    always @(posedge clk) begin
        if (!rst_n) begin
            start_q     <= 1'b0;
            l_valid_q   <= 1'b0;
            finish_q    <= 1'b0;
            seed_load_q <= 1'b0;
        end else begin
            start_q     <= start;
            l_valid_q   <= l_valid;
            finish_q    <= finish;
            seed_load_q <= seed_load;
        end
    end
    always @(posedge clk) begin
        mode_q     <= mode_sample;
        inv_temp_q <= inv_temp;
        top_k_q    <= top_k;
        l_index_q  <= l_index;
        l_value_q  <= l_value;
        seed_q     <= seed;
    end

    // ------------------------------------------------------------------ control
    reg           busy;          // sampled selection running
    reg           mode_r;        // sampled mode latched at start
    reg  [15:0]   inv_temp_r;
    reg  [CW-1:0] k_r;           // clamped top_k latched at start
    reg  [CW-1:0] n_seen;        // logits received, saturating at KLIM
    reg  [CW-1:0] k_run;         // k of the running selection
    reg  [CW-1:0] ic;            // issue counter: 0..k-1 pass 1, k gap, k+1..2k pass 2
    reg  [31:0]   prng;
    reg  [31:0]   r_r;           // this token's random number

    wire start_acc  = start_q && !busy;
    wire logit_acc  = l_valid_q && !busy;
    wire draining;               // the last candidates still in the sampling pipeline
    wire finish_acc = finish_q && !busy && !draining;

    // ------------------------------------------------------------------ PRNG
    reg  [31:0] prng_base;
    wire [31:0] prng_next;
    always @(*) begin
        prng_base = prng;
        if (seed_load_q) prng_base = (seed_q == 32'd0) ? SEED_ZERO : seed_q;
    end
    rf_xorshift32 u_xorshift (.state_in(prng_base), .state_out(prng_next));

    // ------------------------------------------------------------------ candidates
    // A systolic insertion array: entry e holds a candidate and compares it with the one value
    // arriving from entry e - 1 (entry 0: the new logit). The larger stays; the smaller moves on
    // to entry e + 1 in the next cycle (equal values: the lower index stays ahead); an empty
    // entry keeps what arrives. Every compare and enable is local to its entry: no logit
    // fans out to all KLIM comparators. A logit accepted in cycle c has settled entry e after the
    // edge c + 1 + e; `finish` comes at least one cycle after the last logit and the sampling
    // pass reads entry a no earlier than cycle finish + 1 + a, so it reads behind the wavefront
    // (greedy reads entry 0 at finish): the same order and schedule as a broadcast insertion.
    // The order is value descending, then index ascending. Entries hold one unsigned key
    // {value with its sign flipped, ~index}, so that order is one compare, and the index must
    // take part: a value equal to an entry's may have been passed on ahead of an earlier index
    // (when that one was displaced later).
    localparam integer IW = (VOCAB > 1) ? $clog2(VOCAB) : 1;    // index bits
    localparam integer KW = 16 + IW;                            // key bits
    reg      [KW-1:0] c_key [0:KLIM-1];    // entry e's candidate
    reg    [KLIM-1:0] c_vld;
    reg      [KW-1:0] t_key [0:KLIM-1];    // what entry e passes on to entry e + 1
    reg    [KLIM-1:0] t_vld;
    wire   [KLIM-1:0] a_vld = KLIM'({t_vld, logit_acc});     // an arrival at entry e this cycle
    wire     [KW-1:0] l_key = {~l_value_q[15], l_value_q[14:0], ~l_index_q[IW-1:0]};
    wire              unused_idx_hi = ^{1'b0, l_index_q};   // indices are below VOCAB: IW bits
    wire              unused_out = ^{1'b0, t_key[KLIM-1], t_vld[KLIM-1]};   // dropped
    integer e;

    // One process for the whole array, and only the wavefront moves (simulation events; clock
    // enables in the netlist). Entry 0 also takes the logit when start clears the array in the
    // same cycle (start is kept out of the other entries' compares: it only clears valid bits).
    always @(posedge clk) begin
        if (a_vld[0]) begin
            if (!c_vld[0] || l_key > c_key[0] || start_acc) begin
                c_key[0] <= l_key;
                t_key[0] <= c_key[0];
            end else begin
                t_key[0] <= l_key;
            end
        end
        for (e = 1; e < KLIM; e = e + 1) begin
            if (a_vld[e]) begin
                if (!c_vld[e] || t_key[e-1] > c_key[e]) begin
                    c_key[e] <= t_key[e-1];
                    t_key[e] <= c_key[e];
                end else begin
                    t_key[e] <= t_key[e-1];
                end
            end
        end
    end

    // an entry's value and index
    function automatic signed [15:0] key_val(input [KW-1:0] k);
        key_val = {~k[KW-1], k[KW-2:IW]};
    endfunction
    function automatic [15:0] key_idx(input [IW-1:0] k_low);
        reg [IW-1:0] idx;
        idx     = ~k_low;            // inverted at IW bits, then widened
        key_idx = 16'(idx);
    endfunction

    always @(posedge clk) begin
        if (!rst_n) begin
            c_vld  <= {KLIM{1'b0}};
            t_vld  <= {KLIM{1'b0}};
            n_seen <= {CW{1'b0}};
        end else if (start_acc) begin
            c_vld  <= KLIM'(logit_acc);
            t_vld  <= {KLIM{1'b0}};
            n_seen <= logit_acc ? CW'(1) : {CW{1'b0}};
        end else begin
            c_vld  <= c_vld | a_vld;
            // an arrival moves on unless its entry was empty (the entries fill in order)
            t_vld  <= a_vld & c_vld;
            if (logit_acc && n_seen < KLIM_C) n_seen <= n_seen + CW'(1);
        end
    end

    // ------------------------------------------------------------------ sampling pipeline
    // issue (from ic and the address register a_r: ic counts 0..k-1 pass 1, k gap, k+1..2k
    // pass 2; a_r is ic in pass 1 and ic - k - 1 in pass 2)
    reg  [AW-1:0] a_r;
    reg  [AW-1:0] a_next;        // a_r's next value
    wire          s0_v    = busy && (ic != k_run);
    wire          s0_p2   = busy && (ic > k_run);
    wire          s0_last = busy && (ic == {k_run[CW-2:0], 1'b0});

    // The candidate read c_key[a_r] in two levels (routing: one 64:1 mux pulled every entry's key
    // to one place, and router2 found most of the chip's remaining congestion on those nets):
    // each group of RG consecutive entries has a register loaded with its entry a_r mod RG at the
    // edge that ends a_r's issue cycle, so the group mux sits beside its entries and only KLIM / RG
    // keys travel to the final mux, in stage G. The group mux is selected by the address register
    // alone (timing: the routed critical path of three LANES 16 routes ran from the issue counter
    // through the wrap compare and the next address into every group's select). Entry a last
    // changes at edge c + 1 + a (c: the last logit's cycle, header) and is sampled at edge
    // finish + 2 + a >= c + 3 + a, so the sample is final.
    localparam integer RG  = 8;                           // entries per read group
    localparam integer RGB = 3;                           // log2(RG)
    localparam integer NRG = (KLIM + RG - 1) / RG;        // read groups
    localparam integer GW  = (AW > RGB) ? AW - RGB : 1;   // group address bits
    reg  [KW-1:0] g_key [0:NRG-1];
    reg  [GW-1:0] g_grp;                                  // stage G: a_r's group
    reg  [15:0]   g_l0;                                   // stage G: l_0
    wire [RGB-1:0] a_r_lo  = RGB'({{RGB{1'b0}}, a_r} & {{AW{1'b0}}, {RGB{1'b1}}});
    wire [GW-1:0]  a_r_grp = (AW > RGB) ? GW'(a_r >> RGB) : {GW{1'b0}};
    integer g, j;
    always @(posedge clk) begin
        for (g = 0; g < NRG; g = g + 1) begin
            g_key[g] <= {KW{1'b0}};
            for (j = 0; j < RG; j = j + 1)
                if (g * RG + j < KLIM && a_r_lo == RGB'(j)) g_key[g] <= c_key[g * RG + j];
        end
        g_grp <= a_r_grp;
        g_l0  <= key_val(c_key[0]);
    end
    wire [KW-1:0] c_at = g_key[g_grp];                    // = c_key[a_r] of the cycle before

    // l_0 - l_c is in [0, 65535]: the 16-bit difference is exact as an unsigned number
    wire [15:0] g_diff = g_l0 - key_val(c_at);
    reg  [31:0] m_r;                                     // LOGIT_MULT * inv_temp
    // Stages G, D, P, R (rf_rsr's rounding-add register), 1 (its shift register), 2, 3: the valid,
    // pass-2 and last flags (from G on) and the candidate's index (from D on) travel beside them in
    // rf_delay lines.
    wire [3*7-1:0]  flags;                               // {last, p2, v} of G (tap 0), D (tap 1) .. 3 (tap 6)
    wire            v3, p2_3, last3;
    wire [16*6-1:0] idx_taps;
    wire [15:0]     idx3;
    rf_delay #(.WIDTH(3), .DEPTH(7), .RESET(1)) u_flags (
        .clk(clk), .rst_n(rst_n), .d({s0_last, s0_p2, s0_v}), .taps(flags), .q({last3, p2_3, v3}));
    rf_delay #(.WIDTH(16), .DEPTH(6), .RESET(0)) u_idx (
        .clk(clk), .rst_n(rst_n), .d(key_idx(c_at[IW-1:0])), .taps(idx_taps), .q(idx3));
    // stage D
    reg  [15:0] diff_d;
    // stage P
    reg  [47:0] prod_p;
    // stage R and stage 1 (u, >= 0)
    wire signed [49:0] u1;                               // rsr(prod_p, LOGIT_SHIFT), two cycles after P
    wire        big1   = (u1[49:12] != 38'd0);           // u >= 4096: p_c = 0
    wire [7:0]  frac1  = u1[7:0];
    wire [3:0]  whole1 = u1[11:8];
    // stage 2
    reg         big2;
    reg  [3:0]  whole2;
    wire [15:0] ex2;                                     // EXP2[frac1], one cycle after stage 1
    // stage 3: p_c registered (timing: the block-RAM clock-to-out and the shifter end here)
    reg  [15:0] pc3;
    // stage 4: accumulate / compare
    reg  [PW-1:0] p_sum;      // P
    reg  [PW-1:0] run_sum;    // running sum of pass 2
    reg  [PW-1:0] thr;
    reg           found;
    reg  [15:0]   pick;
    assign draining = flags[0] || flags[3] || flags[6] || flags[9] || flags[12] || flags[15] || flags[18];
    wire unused_taps = &{1'b0, flags, idx_taps};

    rf_rsr #(.IN_BITS(49), .PIPE(1)) u_rsr (.clk(clk), .p({1'b0, prod_p}), .shift(logit_shift), .r(u1));

    rf_rom #(.WIDTH(16), .DEPTH(256), .ADDR_BITS(8), .FILE(EXP2_FILE)) u_exp2 (
        .clk(clk), .en(1'b1), .addr(frac1), .rdata(ex2));

    wire [15:0]   p2v     = big2 ? 16'd0 : (ex2 >> whole2);
    wire [PW-1:0] run_new = run_sum + PW'(pc3);
    wire          hit     = v3 && p2_3 && !found && (run_new > thr);
    wire [15:0]   pick_n  = hit ? idx3 : pick;
    wire [PW-1:0] thr_n   = PW'(({32'd0, r_r} * {40'd0, p_sum}) >> 32);   // (r * P) >> 32 < P

    // datapath registers (no reset needed: qualified by the valid bits)
    always @(posedge clk) begin
        m_r    <= {16'd0, logit_mult} * {16'd0, inv_temp_r};
        diff_d <= g_diff;
        prod_p <= {32'd0, diff_d} * {16'd0, m_r};
        big2   <= big1;
        whole2 <= whole1;
        pc3    <= p2v;
        thr    <= thr_n;
    end

    // the candidate address: 0 at a sampled finish; while busy it counts, and pass 2 starts at
    // address 0 after the gap (ic = k_run)
    always @(*) begin
        a_next = a_r;
        if (finish_acc && mode_r) a_next = {AW{1'b0}};
        if (busy) a_next = (ic + CW'(1) >= k_run && ic <= k_run) ? {AW{1'b0}} : a_r + AW'(1);
    end

    // clamped top_k
    reg [CW-1:0] k_sel;
    always @(*) begin
        k_sel = KLIM_C;
        if (top_k_q != 8'd0 && CW'(top_k_q) < KLIM_C) k_sel = CW'(top_k_q);
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            busy       <= 1'b0;
            mode_r     <= 1'b0;
            inv_temp_r <= 16'd0;
            k_r        <= CW'(1);
            k_run      <= CW'(1);
            ic         <= {CW{1'b0}};
            a_r        <= {AW{1'b0}};
            prng       <= SEED_ZERO;
            r_r        <= 32'd0;
            p_sum      <= {PW{1'b0}};
            run_sum    <= {PW{1'b0}};
            found      <= 1'b0;
            pick       <= 16'd0;
            token      <= 16'd0;
            done       <= 1'b0;
        end else begin
            done <= 1'b0;
            prng <= prng_base;
            a_r  <= a_next;
            if (start_acc) begin
                mode_r     <= mode_q && (inv_temp_q != 16'd0);
                inv_temp_r <= inv_temp_q;
                k_r        <= k_sel;
            end
            if (finish_acc) begin
                if (!mode_r) begin
                    token <= key_idx(c_key[0][IW-1:0]);
                    done  <= 1'b1;
                end else begin
                    busy    <= 1'b1;
                    ic      <= {CW{1'b0}};
                    k_run   <= (n_seen == {CW{1'b0}}) ? CW'(1) : ((n_seen < k_r) ? n_seen : k_r);
                    prng    <= prng_next;
                    r_r     <= prng_next;
                    p_sum   <= {PW{1'b0}};
                    run_sum <= {PW{1'b0}};
                    found   <= 1'b0;
                end
            end
            if (busy) begin
                ic <= ic + CW'(1);
                if (s0_last) busy <= 1'b0;
            end
            if (v3 && !p2_3) p_sum <= p_sum + PW'(pc3);
            if (v3 && p2_3) begin
                run_sum <= run_new;
                if (hit) begin
                    found <= 1'b1;
                    pick  <= idx3;
                end
                if (last3) begin
                    token <= pick_n;
                    done  <= 1'b1;
                end
            end
        end
    end
endmodule

`default_nettype wire
