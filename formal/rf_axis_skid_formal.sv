// rf_axis_skid_formal -- formal harness of hdl/rf_axis_skid.v (SymbiYosys: formal/rf_axis_skid.sby).
//
// The DUT is instantiated unchanged; the sby script exposes its two internal registers
// (skid_valid, skid_data) as extra output ports (yosys `expose`) so that the induction
// invariants can name them. Every other input is free: the solver picks any stimulus that
// keeps the AXI4-Stream rule on the input side (faxis_props, assumed), any m_ready pattern
// and resets at any time after the first cycle.
//
// Proven (mode prove, k-induction, unbounded):
//   reset      the cycle after a reset cycle: m_valid, s_ready and the skid entry are low;
//   handshake  m_valid held and m_data stable while m_valid && !m_ready (faxis_props, asserted);
//   occupancy  beats accepted minus beats delivered == m_valid + skid_valid <= 2: nothing is
//              accepted without room, nothing is delivered that was not accepted;
//   scoreboard one beat picked at an arbitrary moment (f_pick, a free input) leaves the
//              buffer exactly once, at its place in the input order, with its payload: since
//              any beat can be the picked one, no beat is lost, duplicated or reordered;
//   liveness   the picked beat is delivered by the (position + 1)-th cycle with m_ready high
//              (at most 2), and s_ready is high the cycle after any cycle in which the output
//              register could move (m_ready || !m_valid): no deadlock, full throughput.
// Covered (mode cover): a beat through, the skid entry full, three back-to-back transfers,
// in and out in the same cycle three times running, the picked beat delivered from the skid
// entry, a reset with the buffer full followed by a delivered beat.
`default_nettype none

module rf_axis_skid_formal #(
    parameter integer WIDTH = 17      // as instantiated in romformer_top
) (
    input wire             clk,
    input wire             rst_n,
    input wire             s_valid,
    input wire [WIDTH-1:0] s_data,
    input wire             m_ready,
    input wire             f_pick     // free: picks the beat the scoreboard follows
);
    wire             s_ready, m_valid, skid_valid;
    wire [WIDTH-1:0] m_data, skid_data;

    rf_axis_skid dut (     // WIDTH: the sby script sets the DUT's and this one together
        .clk(clk), .rst_n(rst_n),
        .s_valid(s_valid), .s_ready(s_ready), .s_data(s_data),
        .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data),
        .skid_valid(skid_valid), .skid_data(skid_data));     // exposed by the sby script

    faxis_props #(.WIDTH(WIDTH), .DUT_DRIVES(1'b0)) f_in  (.clk(clk), .rst_n(rst_n),
        .valid(s_valid), .ready(s_ready), .data(s_data));
    faxis_props #(.WIDTH(WIDTH), .DUT_DRIVES(1'b1)) f_out (.clk(clk), .rst_n(rst_n),
        .valid(m_valid), .ready(m_ready), .data(m_data));

    reg f_past_valid = 1'b0;
    always @(posedge clk) f_past_valid <= 1'b1;
    always @(*) if (!f_past_valid) assume (!rst_n);      // the first cycle is a reset cycle

    wire s_fire = rst_n && s_valid && s_ready;
    wire m_fire = rst_n && m_valid && m_ready;

    // ------------------------------------------------------------------ reset
    always @(posedge clk)
        if (f_past_valid && !$past(rst_n)) begin
            a_reset_m_valid: assert (!m_valid);
            a_reset_s_ready: assert (!s_ready);
            a_reset_skid:    assert (!skid_valid);
        end

    // ------------------------------------------------------------------ occupancy
    reg [1:0] f_count;     // beats accepted and not yet delivered
    always @(posedge clk)
        if (!rst_n) f_count <= 2'd0;
        else        f_count <= f_count + {1'b0, s_fire} - {1'b0, m_fire};

    always @(*)
        if (f_past_valid) begin
            a_count_max:     assert (f_count <= 2'd2);
            a_count_entries: assert (f_count == {1'b0, m_valid} + {1'b0, skid_valid});
            a_skid_behind:   assert (!skid_valid || m_valid);    // the skid entry is behind the output register
            a_full_closed:   assert (!skid_valid || !s_ready);   // a full buffer takes nothing
        end

    // ------------------------------------------------------------------ scoreboard
    reg             f_tracking;   // a picked beat is in the buffer
    reg             f_pos;        // beats ahead of it (0: it is in the output register)
    reg [WIDTH-1:0] f_data;       // its payload
    reg             f_wait;       // cycles with m_ready high since it was accepted
    always @(posedge clk)
        if (!rst_n) begin
            f_tracking <= 1'b0;
            f_wait     <= 1'b0;
        end else if (!f_tracking) begin
            f_wait <= 1'b0;
            if (s_fire && f_pick) begin
                f_tracking <= 1'b1;
                f_data     <= s_data;
                f_pos      <= (f_count - {1'b0, m_fire}) != 2'd0;
            end
        end else begin
            if (m_ready) f_wait <= 1'b1;
            if (m_fire) begin
                if (!f_pos) f_tracking <= 1'b0;   // delivered
                f_pos <= 1'b0;
            end
        end

    always @(*)
        if (f_past_valid && f_tracking) begin
            // delivered once, in order, intact
            if (m_fire && !f_pos) a_delivered_intact: assert (m_data == f_data);
            // where it sits (induction invariants)
            a_pos_held: assert ({1'b0, f_pos} < f_count);
            if (!f_pos) a_at_output: assert (m_valid && m_data == f_data);
            else        a_in_skid:   assert (skid_valid && skid_data == f_data);
            // bounded delivery: a second m_ready cycle finds it in the output register
            if (f_wait) a_bounded_delivery: assert (!f_pos);
        end

    // ------------------------------------------------------------------ liveness of the input
    always @(posedge clk)
        if (f_past_valid && $past(rst_n) && $past(m_ready || !m_valid)) a_input_open: assert (s_ready);

    // ------------------------------------------------------------------ cover
    reg [1:0] f_b2b_out, f_b2b_both;
    always @(posedge clk)
        if (!rst_n) begin
            f_b2b_out  <= 2'd0;
            f_b2b_both <= 2'd0;
        end else begin
            f_b2b_out  <= m_fire ? f_b2b_out + {1'b0, f_b2b_out != 2'd3} : 2'd0;
            f_b2b_both <= (m_fire && s_fire) ? f_b2b_both + {1'b0, f_b2b_both != 2'd3} : 2'd0;
        end
    reg f_full_reset = 1'b0;     // a reset came while the buffer was full
    always @(posedge clk)
        if (!rst_n && f_past_valid && f_count == 2'd2) f_full_reset <= 1'b1;

    always @(*)
        if (f_past_valid && rst_n) begin
            c_beat:           cover (m_fire);
            c_full:           cover (f_count == 2'd2);
            c_three_out:      cover (m_fire && f_b2b_out == 2'd2);             // three transfers in a row
            c_three_in_out:   cover (m_fire && s_fire && f_b2b_both == 2'd2);  // in and out, three cycles running
            c_via_skid:       cover (f_tracking && m_fire && !f_pos && f_wait);// the picked beat came through the skid entry
            c_flush_then_beat: cover (f_full_reset && m_fire);                 // reset while full, then traffic again
        end
endmodule

`default_nettype wire
