// faxis_props -- AXI4-Stream handshake properties of one interface (formal only).
//
// DUT_DRIVES = 1: the design under proof drives VALID and the payload, so the rules are
// asserted; DUT_DRIVES = 0: the environment drives them, so the handshake rule is assumed
// (it constrains the stimulus to legal AXI4-Stream traffic). The rules (AMBA AXI4-Stream
// 2.2.1, reset 2.7.2):
//   * once VALID is high without READY, VALID stays high and the payload stays stable
//     until the transfer (no retraction, no change of a pending beat): asserted or assumed;
//   * VALID is low in every cycle that follows a cycle in reset: asserted only (the
//     environment's VALID during and right after reset is left free, a stronger proof).
// Synchronous, active-low reset (rst_n) as in hdl/.
`default_nettype none

module faxis_props #(
    parameter integer WIDTH      = 8,
    parameter [0:0]   DUT_DRIVES = 1'b1
) (
    input wire             clk,
    input wire             rst_n,
    input wire             valid,
    input wire             ready,
    input wire [WIDTH-1:0] data
);
    reg f_past_valid = 1'b0;
    always @(posedge clk) f_past_valid <= 1'b1;

    // Checks in `always @(posedge clk)` see the current cycle's values; $past is the cycle before.
    generate if (DUT_DRIVES) begin : g_assert
        always @(posedge clk) if (f_past_valid && !$past(rst_n)) a_reset_valid: assert (!valid);
        always @(posedge clk)
            if (f_past_valid && $past(rst_n) && rst_n && $past(valid && !ready)) begin
                a_valid_held:  assert (valid);
                a_data_stable: assert (data == $past(data));
            end
    end else begin : g_assume
        always @(posedge clk)
            if (f_past_valid && $past(rst_n) && rst_n && $past(valid && !ready)) begin
                m_valid_held:  assume (valid);
                m_data_stable: assume (data == $past(data));
            end
    end endgenerate
endmodule

`default_nettype wire
