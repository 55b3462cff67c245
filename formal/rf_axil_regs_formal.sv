// rf_axil_regs_formal -- formal harness of hdl/rf_axil_regs.v (SymbiYosys: formal/rf_axil_regs.sby).
//
// The DUT is instantiated unchanged; the sby script exposes its write holding registers
// (aw_held, w_held, aw_addr_q) as extra output ports (yosys `expose`) for the induction
// invariants. Every input is free: the master's signals within the AXI4-Lite handshake rule
// (faxil_slave_props), and every core-side input (status, counters, error pulses, adapter
// read data) in every cycle. Resets may come at any time after the first cycle.
//
// Proven (mode prove, k-induction, unbounded), on top of faxil_slave_props:
//   responses in order  every B response answers the oldest unanswered write, every R
//                       response the oldest unanswered read (a 2-entry address queue);
//   the register map    a write to an unmapped or RO address gets SLVERR; a write to a
//                       writable register gets OKAY, except where the map refuses it (an
//                       adapter register while the core is not idle, ADAPTER_DATA past the
//                       adapter SRAM): SLVERR when the refusing condition held in every cycle
//                       from the handshakes to the response, OKAY when it never did. A read of
//                       an unmapped address gets SLVERR with data 0, of a mapped one OKAY,
//                       and a read whose data depends on nothing (ID, WO registers) returns
//                       it. All of this from rf_regmap_formal.vh, generated from
//                       sim_models/regmap.py's RegisterModel (formal/regmap_props.py), with the
//                       addresses of rf_regmap.vh.
//   latency             faxil_slave_props with MAX_DELAY 2 and MAX_WAIT 2: a complete write
//                       or an accepted read is answered within 2 cycles, a VALID waits at most
//                       1 cycle for its READY, unless the master holds a response back.
// Builds (the sby tasks): adapter hardware with LORA_WORDS 3 (prove, cover), none (prove_nolora).
// Covered (mode cover): a write and a read answered OKAY, SLVERR for an unmapped write and
// read, for an RO write, for an adapter write while busy and for ADAPTER_DATA past the SRAM,
// an ADAPTER_DATA write taken, back-to-back writes and reads at the block's full rate, a write
// and a read answered in the same cycle, AW before W and W before AW.
`default_nettype none

module rf_axil_regs_formal #(
    parameter integer ADDR_BITS = 12,     // as instantiated in romformer_top
    parameter integer LORA_WORDS = 3      // set by the sby script (with the DUT's)
) (
    input wire                 clk,
    input wire                 rst_n,
    input wire [ADDR_BITS-1:0] s_axil_awaddr,
    input wire [2:0]           s_axil_awprot,
    input wire                 s_axil_awvalid,
    input wire [31:0]          s_axil_wdata,
    input wire [3:0]           s_axil_wstrb,
    input wire                 s_axil_wvalid,
    input wire                 s_axil_bready,
    input wire [ADDR_BITS-1:0] s_axil_araddr,
    input wire [2:0]           s_axil_arprot,
    input wire                 s_axil_arvalid,
    input wire                 s_axil_rready,
    input wire                 st_busy,
    input wire                 st_generating,
    input wire                 st_idle,
    input wire                 st_new_seq_pending,
    input wire [15:0]          st_pos,
    input wire [2:0]           err_set,
    input wire [63:0]          cnt_cycles,
    input wire [31:0]          cnt_tokens_in,
    input wire [31:0]          cnt_tokens_out,
    input wire [31:0]          cnt_last_cycles,
    input wire [31:0]          lora_rdata
);
`include "rf_regmap.vh"
`include "rf_regmap_formal.vh"

    localparam [1:0] OKAY = 2'b00, SLVERR = 2'b10;

    wire                 s_axil_awready, s_axil_wready, s_axil_bvalid, s_axil_arready, s_axil_rvalid;
    wire [1:0]           s_axil_bresp, s_axil_rresp;
    wire [31:0]          s_axil_rdata;
    wire [15:0]          lora_addr;
    wire                 aw_held, w_held;
    wire [ADDR_BITS-1:0] aw_addr_q;
    // outputs towards the core: driven, not checked here (tb/ and tests/ compare them with the model)
    wire        ctrl_new_seq, ctrl_clear_counters, cfg_sample, cfg_seed_load, cfg_stop_en, cfg_lora_en, lora_we;
    wire [15:0] cfg_budget, cfg_inv_temp, cfg_stop_token;
    wire [7:0]  cfg_top_k;
    wire [31:0] cfg_seed, lora_wdata;

    // ADDR_BITS, LORA_WORDS (and the build parameters the map reads back) are set by the sby
    // script on the DUT and this module together
    rf_axil_regs dut (
        .clk(clk), .rst_n(rst_n),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .ctrl_new_seq(ctrl_new_seq), .ctrl_clear_counters(ctrl_clear_counters), .cfg_budget(cfg_budget),
        .cfg_sample(cfg_sample), .cfg_inv_temp(cfg_inv_temp), .cfg_top_k(cfg_top_k), .cfg_seed(cfg_seed),
        .cfg_seed_load(cfg_seed_load), .cfg_stop_token(cfg_stop_token), .cfg_stop_en(cfg_stop_en),
        .st_busy(st_busy), .st_generating(st_generating), .st_idle(st_idle),
        .st_new_seq_pending(st_new_seq_pending), .st_pos(st_pos), .err_set(err_set),
        .cnt_cycles(cnt_cycles), .cnt_tokens_in(cnt_tokens_in), .cnt_tokens_out(cnt_tokens_out),
        .cnt_last_cycles(cnt_last_cycles),
        .cfg_lora_en(cfg_lora_en), .lora_addr(lora_addr), .lora_we(lora_we), .lora_wdata(lora_wdata),
        .lora_rdata(lora_rdata),
        .aw_held(aw_held), .w_held(w_held), .aw_addr_q(aw_addr_q));     // exposed by the sby script

    wire [2:0] f_aw_out, f_w_out, f_ar_out;
    faxil_slave_props #(.ADDR_BITS(ADDR_BITS), .LG_DEPTH(3), .MAX_WAIT(2), .MAX_DELAY(2)) f_axil (
        .clk(clk), .rst_n(rst_n),
        .awaddr(s_axil_awaddr), .awprot(s_axil_awprot), .awvalid(s_axil_awvalid), .awready(s_axil_awready),
        .wdata(s_axil_wdata), .wstrb(s_axil_wstrb), .wvalid(s_axil_wvalid), .wready(s_axil_wready),
        .bresp(s_axil_bresp), .bvalid(s_axil_bvalid), .bready(s_axil_bready),
        .araddr(s_axil_araddr), .arprot(s_axil_arprot), .arvalid(s_axil_arvalid), .arready(s_axil_arready),
        .rdata(s_axil_rdata), .rresp(s_axil_rresp), .rvalid(s_axil_rvalid), .rready(s_axil_rready),
        .f_aw_out(f_aw_out), .f_w_out(f_w_out), .f_ar_out(f_ar_out));

    reg f_past_valid = 1'b0;
    always @(posedge clk) f_past_valid <= 1'b1;
    always @(*) if (!f_past_valid) assume (!rst_n);      // the first cycle is a reset cycle

    wire aw_fire = rst_n && s_axil_awvalid && s_axil_awready;
    wire w_fire  = rst_n && s_axil_wvalid && s_axil_wready;
    wire b_fire  = rst_n && s_axil_bvalid && s_axil_bready;
    wire ar_fire = rst_n && s_axil_arvalid && s_axil_arready;

    function automatic [31:0] word_of(input [ADDR_BITS-1:0] a);   // the decoded word address
        word_of = 32'(a) & ~32'd3;
    endfunction

    // ------------------------------------------------------------------ write queue
    // Entry 0 is the oldest write not answered (its B not taken), entry 1 the next. Per entry:
    // its address and what the core did in the cycles after both its handshakes, up to the
    // cycle before its response (seen: idle, busy, adapter address in / past the SRAM).
    localparam integer IDLE = 3, BUSY = 2, IN = 1, OUT = 0;     // bits of an entry's flags
    reg  [ADDR_BITS-1:0] f_wq_addr0, f_wq_addr1;
    reg  [3:0]           f_wq_seen0, f_wq_seen1;
    wire                 f_in_range = {1'b0, lora_addr} < 17'(LORA_WORDS);
    wire [3:0]           f_now = {st_idle, !st_idle, f_in_range, !f_in_range};
    // an entry samples the core while it is complete (both handshakes in earlier cycles) and
    // not answered yet
    wire f_sample0 = f_aw_out >= 3'd1 && f_w_out >= 3'd1 && !s_axil_bvalid;
    wire f_sample1 = f_aw_out >= 3'd2 && f_w_out >= 3'd2;
    wire [3:0] f_seen0_n = f_wq_seen0 | (f_sample0 ? f_now : 4'b0);
    wire [3:0] f_seen1_n = f_wq_seen1 | (f_sample1 ? f_now : 4'b0);
    wire f_push_at1 = (f_aw_out - 3'(b_fire)) != 3'd0;     // the new address goes to entry 1
    always @(posedge clk) begin
        if (b_fire) begin             // entry 0 answered: entry 1 moves up
            f_wq_addr0 <= f_wq_addr1;
            f_wq_seen0 <= f_seen1_n;
            f_wq_seen1 <= 4'b0;
        end else begin
            f_wq_seen0 <= f_seen0_n;
            f_wq_seen1 <= f_seen1_n;
        end
        if (aw_fire && f_push_at1) begin
            f_wq_addr1 <= s_axil_awaddr;
            f_wq_seen1 <= 4'b0;
        end else if (aw_fire) begin
            f_wq_addr0 <= s_axil_awaddr;
            f_wq_seen0 <= 4'b0;
        end
    end

    // the response the map gives the oldest write
    wire [31:0] f_b_word   = word_of(f_wq_addr0);
    wire        f_b_must_err = f_rf_wr_err(f_b_word)
                            || (f_rf_wr_err_busy(f_b_word)  && f_wq_seen0[BUSY] && !f_wq_seen0[IDLE])
                            || (f_rf_wr_err_range(f_b_word) && f_wq_seen0[OUT]  && !f_wq_seen0[IN]);
    wire        f_b_must_ok  = !f_rf_wr_err(f_b_word)
                            && (!f_rf_wr_err_busy(f_b_word)  || (f_wq_seen0[IDLE] && !f_wq_seen0[BUSY]))
                            && (!f_rf_wr_err_range(f_b_word) || (f_wq_seen0[IN]   && !f_wq_seen0[OUT]));

    always @(*)
        if (f_past_valid && rst_n) begin
            // at most one write held and one answered: the queue never overflows
            a_wq_depth: assert (f_aw_out <= 3'd2 && f_w_out <= 3'd2);
            if (s_axil_bvalid) begin
                a_bresp_legal:          assert (s_axil_bresp == OKAY || s_axil_bresp == SLVERR);
                if (f_b_must_err) a_bresp_slverr: assert (s_axil_bresp == SLVERR);
                if (f_b_must_ok)  a_bresp_okay:   assert (s_axil_bresp == OKAY);
            end
        end

    // induction invariants: the DUT's holding registers are the queue's unanswered entries
    always @(*)
        if (f_past_valid) begin
            a_aw_count: assert (f_aw_out == 3'(aw_held) + 3'(s_axil_bvalid));
            a_w_count:  assert (f_w_out  == 3'(w_held)  + 3'(s_axil_bvalid));
            if (aw_held) a_aw_addr: assert (aw_addr_q == (s_axil_bvalid ? f_wq_addr1 : f_wq_addr0));
            a_ready_is_free: assert (s_axil_awready == !aw_held && s_axil_wready == !w_held);
        end

    // ------------------------------------------------------------------ read queue
    reg [ADDR_BITS-1:0] f_rq_addr;       // the one outstanding read (ARREADY is low until R is taken)
    always @(posedge clk) if (ar_fire) f_rq_addr <= s_axil_araddr;
    wire [31:0] f_r_word  = word_of(f_rq_addr);
    wire [32:0] f_r_fixed = f_rf_rd_fixed(f_r_word);

    always @(*)
        if (f_past_valid && rst_n) begin
            a_rq_depth: assert (f_ar_out <= 3'd1);
            a_ar_count: assert (f_ar_out == 3'(s_axil_rvalid));
            if (s_axil_rvalid) begin
                a_rresp: assert (s_axil_rresp == (f_rf_rd_err(f_r_word) ? SLVERR : OKAY));
                if (f_r_fixed[32]) a_rdata_fixed: assert (s_axil_rdata == f_r_fixed[31:0]);
            end
        end

    // ------------------------------------------------------------------ cover
    reg f_b_stall_q, f_r_stall_q;           // a response was held back in the previous cycle
    always @(posedge clk) begin
        f_b_stall_q <= rst_n && s_axil_bvalid && !s_axil_bready;
        f_r_stall_q <= rst_n && s_axil_rvalid && !s_axil_rready;
    end
    wire b_new = rst_n && s_axil_bvalid && !f_b_stall_q;    // a response shows for the first cycle
    wire r_new = rst_n && s_axil_rvalid && !f_r_stall_q;
    wire r_fire = rst_n && s_axil_rvalid && s_axil_rready;
    reg [1:0] f_b_fire_q, f_r_fire_q;       // b_fire / r_fire 1 and 2 cycles ago
    always @(posedge clk) begin
        f_b_fire_q <= {f_b_fire_q[0], b_fire};
        f_r_fire_q <= {f_r_fire_q[0], r_fire};
    end
    reg f_aw_first, f_w_first;     // the latest write's AW came before its W / its W before its AW
    always @(posedge clk)
        if (aw_fire) begin
            f_aw_first <= !w_fire && !w_held;
            f_w_first  <= !w_fire && w_held;
        end
    always @(*)
        if (f_past_valid && rst_n) begin
            c_write_okay: cover (b_new && s_axil_bresp == OKAY);
            c_read_id:    cover (r_new && s_axil_rresp == OKAY && f_r_word == RF_ID_ADDR);
            c_write_unmapped: cover (b_new && s_axil_bresp == SLVERR && f_rf_wr_err(f_b_word) && f_rf_rd_err(f_b_word));  // unmapped
            c_write_ro:       cover (b_new && s_axil_bresp == SLVERR && f_rf_wr_err(f_b_word) && !f_rf_rd_err(f_b_word)); // RO
            c_write_busy:     cover (b_new && s_axil_bresp == SLVERR && f_rf_wr_err_busy(f_b_word) && !f_wq_seen0[IDLE]);
            c_write_range:    cover (b_new && s_axil_bresp == SLVERR && f_rf_wr_err_range(f_b_word) && !f_wq_seen0[BUSY]
                   && !f_wq_seen0[IN]);                                                         // ADAPTER_DATA past the SRAM
            c_write_adapter:  cover (b_new && s_axil_bresp == OKAY && f_rf_wr_err_range(f_b_word));            // ADAPTER_DATA taken
            c_read_unmapped:  cover (r_new && s_axil_rresp == SLVERR);
            // back to back at the DUT's full rate, one write and one read every 2 cycles: a
            // response 2 cycles after the previous one was taken (never 1: the next write
            // executes once B is free, the next AR is taken once R is)
            c_writes_b2b:     cover (b_new && f_b_fire_q[1]);
            c_reads_b2b:      cover (r_new && f_r_fire_q[1]);
            c_write_and_read: cover (b_new && r_new);
            c_aw_first:       cover (b_new && f_aw_first);
            c_w_first:        cover (b_new && f_w_first);
        end
endmodule

`default_nettype wire
