// faxil_slave_props -- AXI4-Lite rules at the port of a slave under proof (formal only).
//
// The environment (the master) is constrained by assumptions, the slave is checked by
// assertions (AMBA AXI4 A3.2.1 handshakes, A3.3.1 write-response dependencies, B1 AXI4-Lite):
//   master (assumed)  AWVALID / WVALID / ARVALID held, and their payloads stable, until READY.
//                     Nothing else: no reset rule, no bound on BREADY / RREADY stalls, no order
//                     between AW and W.
//   slave (asserted)  BVALID / RVALID low the cycle after a reset cycle;
//                     BVALID / RVALID held, BRESP / RDATA / RRESP stable, until READY;
//                     RESP is never EXOKAY (AXI4-Lite has no exclusive access), nor DECERR
//                     unless ALLOW_DECERR;
//                     a B response only for a write whose AW and W were both accepted in
//                     earlier cycles, an R response only for an accepted AR: with the counts
//                     below, never more responses than requests;
//                     no deadlock: a request waits for READY at most MAX_WAIT cycles and an
//                     accepted request gets its response within MAX_DELAY cycles, not counting
//                     the cycles the master itself causes (a response of its own not yet taken,
//                     an address whose data it has not sent yet, or the other way round);
//                     with "never more responses than requests" this is one response per
//                     request; no counter ever overflows.
// The counts of accepted-but-unanswered requests are outputs, for the harness's own invariants.
`default_nettype none

module faxil_slave_props #(
    parameter integer ADDR_BITS     = 12,
    parameter integer LG_DEPTH      = 3,      // width of the outstanding counters
    parameter integer MAX_WAIT      = 4,      // cycles a VALID may wait for its READY (see above)
    parameter integer MAX_DELAY     = 4,      // cycles from a complete request to its response
    parameter [0:0]   ALLOW_DECERR  = 1'b0
) (
    input  wire                 clk,
    input  wire                 rst_n,
    input  wire [ADDR_BITS-1:0] awaddr,
    input  wire [2:0]           awprot,
    input  wire                 awvalid,
    input  wire                 awready,
    input  wire [31:0]          wdata,
    input  wire [3:0]           wstrb,
    input  wire                 wvalid,
    input  wire                 wready,
    input  wire [1:0]           bresp,
    input  wire                 bvalid,
    input  wire                 bready,
    input  wire [ADDR_BITS-1:0] araddr,
    input  wire [2:0]           arprot,
    input  wire                 arvalid,
    input  wire                 arready,
    input  wire [31:0]          rdata,
    input  wire [1:0]           rresp,
    input  wire                 rvalid,
    input  wire                 rready,
    output reg  [LG_DEPTH-1:0]  f_aw_out,     // AW accepted, B not yet taken
    output reg  [LG_DEPTH-1:0]  f_w_out,      // W accepted, B not yet taken
    output reg  [LG_DEPTH-1:0]  f_ar_out      // AR accepted, R not yet taken
);
    localparam [1:0] EXOKAY = 2'b01, DECERR = 2'b11;
    localparam [LG_DEPTH-1:0] FULL = {LG_DEPTH{1'b1}};

    reg f_past_valid = 1'b0;
    always @(posedge clk) f_past_valid <= 1'b1;

    wire aw_fire = rst_n && awvalid && awready;
    wire w_fire  = rst_n && wvalid && wready;
    wire b_fire  = rst_n && bvalid && bready;
    wire ar_fire = rst_n && arvalid && arready;
    wire r_fire  = rst_n && rvalid && rready;
    // this cycle and the previous one out of reset (the stability rules apply across them)
    reg f_rst_n_q;
    always @(posedge clk) f_rst_n_q <= rst_n;
    wire f_held = f_past_valid && f_rst_n_q && rst_n;

    // ------------------------------------------------------------------ master: assumed
    always @(posedge clk)
        if (f_held) begin
            if ($past(awvalid && !awready)) begin
                m_awvalid_held: assume (awvalid);
                m_aw_stable:    assume (awaddr == $past(awaddr) && awprot == $past(awprot));
            end
            if ($past(wvalid && !wready)) begin
                m_wvalid_held:  assume (wvalid);
                m_w_stable:     assume (wdata == $past(wdata) && wstrb == $past(wstrb));
            end
            if ($past(arvalid && !arready)) begin
                m_arvalid_held: assume (arvalid);
                m_ar_stable:    assume (araddr == $past(araddr) && arprot == $past(arprot));
            end
        end

    // ------------------------------------------------------------------ slave: asserted
    always @(posedge clk)
        if (f_past_valid && !$past(rst_n)) begin
            a_reset_bvalid: assert (!bvalid);
            a_reset_rvalid: assert (!rvalid);
        end

    always @(posedge clk)
        if (f_held) begin
            if ($past(bvalid && !bready)) begin
                a_bvalid_held: assert (bvalid);
                a_b_stable:    assert (bresp == $past(bresp));
            end
            if ($past(rvalid && !rready)) begin
                a_rvalid_held: assert (rvalid);
                a_r_stable:    assert (rdata == $past(rdata) && rresp == $past(rresp));
            end
        end

    always @(*)
        if (f_past_valid && rst_n) begin
            if (bvalid) a_bresp_kind: assert (bresp != EXOKAY && (ALLOW_DECERR || bresp != DECERR));
            if (rvalid) a_rresp_kind: assert (rresp != EXOKAY && (ALLOW_DECERR || rresp != DECERR));
        end

    // ------------------------------------------------------------------ requests vs responses
    always @(posedge clk)
        if (!rst_n) begin
            f_aw_out <= {LG_DEPTH{1'b0}};
            f_w_out  <= {LG_DEPTH{1'b0}};
            f_ar_out <= {LG_DEPTH{1'b0}};
        end else begin
            f_aw_out <= f_aw_out + LG_DEPTH'(aw_fire) - LG_DEPTH'(b_fire);
            f_w_out  <= f_w_out  + LG_DEPTH'(w_fire)  - LG_DEPTH'(b_fire);
            f_ar_out <= f_ar_out + LG_DEPTH'(ar_fire) - LG_DEPTH'(r_fire);
        end

    always @(*)
        if (f_past_valid && rst_n) begin
            if (bvalid) a_b_after_aw_w: assert (f_aw_out != 0 && f_w_out != 0);   // both handshakes came first
            if (rvalid) a_r_after_ar: assert (f_ar_out != 0);
            a_no_overflow: assert (f_aw_out != FULL && f_w_out != FULL && f_ar_out != FULL);
        end

    // ------------------------------------------------------------------ no deadlock
    reg [LG_DEPTH:0] f_aw_stall, f_w_stall, f_ar_stall, f_b_delay, f_r_delay;
    always @(posedge clk) begin
        // AW waits on the master while the slave holds an address without its data, or a
        // response of the master's own is not taken yet
        if (!rst_n || !awvalid || awready || bvalid || f_aw_out > f_w_out) f_aw_stall <= 0;
        else f_aw_stall <= f_aw_stall + 1'b1;
        if (!rst_n || !wvalid || wready || bvalid || f_w_out > f_aw_out) f_w_stall <= 0;
        else f_w_stall <= f_w_stall + 1'b1;
        if (!rst_n || !arvalid || arready || rvalid) f_ar_stall <= 0;
        else f_ar_stall <= f_ar_stall + 1'b1;
        // a complete write (AW and W accepted) or an accepted read without a response
        if (!rst_n || bvalid || f_aw_out == 0 || f_w_out == 0) f_b_delay <= 0;
        else f_b_delay <= f_b_delay + 1'b1;
        if (!rst_n || rvalid || f_ar_out == 0) f_r_delay <= 0;
        else f_r_delay <= f_r_delay + 1'b1;
    end

    always @(*)
        if (f_past_valid) begin
            a_aw_wait:  assert (f_aw_stall < MAX_WAIT);
            a_w_wait:   assert (f_w_stall  < MAX_WAIT);
            a_ar_wait:  assert (f_ar_stall < MAX_WAIT);
            a_b_delay:  assert (f_b_delay  < MAX_DELAY);
            a_r_delay:  assert (f_r_delay  < MAX_DELAY);
        end
endmodule

`default_nettype wire
