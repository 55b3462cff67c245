// rf_axis_skid_sva -- assertions bound into every rf_axis_skid (docs/assertions.md).
//   - AXI4-Stream on both sides: a beat offered and not taken stays offered, unchanged
//     (the slave side checks whoever drives the skid buffer; the master side, the buffer).
//   - No loss, duplication or reordering: a reference FIFO of the beats taken in and not yet
//     delivered holds 0..2 beats; m_valid is high exactly when it is not empty, m_data is its
//     oldest beat, and s_ready is low only when it holds two.
//   - No X on the valids and readies once out of reset (meaningful on a 4-state simulator:
//     a 2-state simulator such as Verilator cannot hold an X, so there it never fires).
// INVERT_STABLE (tests only: tests/test_assertions.py) inverts the slave-side stability check,
// so a correct stream must fail it.
`default_nettype none

module rf_axis_skid_sva #(
    parameter integer WIDTH = 8,
    parameter integer INVERT_STABLE = 0
) (
    input wire             clk,
    input wire             rst_n,
    input wire             s_valid,
    input wire             s_ready,
    input wire [WIDTH-1:0] s_data,
    input wire             m_valid,
    input wire             m_ready,
    input wire [WIDTH-1:0] m_data
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    wire s_fire = s_valid && s_ready;
    wire m_fire = m_valid && m_ready;

    // the beats in flight, oldest first
    reg [WIDTH-1:0] fifo [0:2];
    reg [1:0]       occ;
    always @(posedge clk) begin
        if (!rst_n) begin
            occ <= 2'd0;
        end else begin
            occ <= occ + 2'(s_fire) - 2'(m_fire);
            if (m_fire) begin
                fifo[0] <= fifo[1];
                fifo[1] <= fifo[2];
            end
            if (s_fire) fifo[2'(occ) - 2'(m_fire)] <= s_data;
        end
    end

    // a stalled beat on the slave side (the driver's duty)
    generate
        if (INVERT_STABLE == 0) begin : g_s_stable
            a_s_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
                s_valid && !s_ready |=> s_valid && $stable(s_data))
                else $error("rf_axis_skid_sva.a_s_stable: s_valid dropped or s_data changed while s_ready was low");
        end else begin : g_s_stable_inverted
            a_s_stable_inverted: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
                s_valid && !s_ready |=> !(s_valid && $stable(s_data)))
                else $error("rf_axis_skid_sva.a_s_stable_inverted: a stalled beat was held (test-only inverted check)");
        end
    endgenerate

    // a stalled beat on the master side (the buffer's duty)
    a_m_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        m_valid && !m_ready |=> m_valid && $stable(m_data))
        else $error("rf_axis_skid_sva.a_m_stable: m_valid dropped or m_data changed while m_ready was low");

    // never more than two beats held, never a beat delivered that was not taken
    a_occupancy: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        occ <= 2'd2 && !(m_fire && occ == 2'd0))
        else $error("rf_axis_skid_sva.a_occupancy: %0d beats in flight (a beat duplicated or dropped)", occ);
    a_valid_iff_held: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        m_valid == (occ != 2'd0))
        else $error("rf_axis_skid_sva.a_valid_iff_held: m_valid=%0d with %0d beats in flight", m_valid, occ);
    a_in_order: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        m_valid |-> m_data == fifo[0])
        else $error("rf_axis_skid_sva.a_in_order: m_data %0h is not the oldest beat taken %0h", m_data, fifo[0]);
    a_ready_iff_room: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        $past(rst_n) |-> s_ready == (occ != 2'd2))
        else $error("rf_axis_skid_sva.a_ready_iff_room: s_ready=%0d with %0d beats in flight", s_ready, occ);

    a_no_x: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !$isunknown({s_valid, s_ready, m_valid, m_ready}))
        else $error("rf_axis_skid_sva.a_no_x: X on a valid or ready");
endmodule

// tests/test_assertions.py builds one skid buffer with RF_SVA_INVERT_STABLE=1 (see INVERT_STABLE)
`ifndef RF_SVA_INVERT_STABLE
`define RF_SVA_INVERT_STABLE 0
`endif
bind rf_axis_skid rf_axis_skid_sva #(.WIDTH(WIDTH), .INVERT_STABLE(`RF_SVA_INVERT_STABLE)) u_sva (.*);

`default_nettype wire
