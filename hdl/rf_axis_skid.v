// rf_axis_skid -- AXI4-Stream skid buffer (two entries: output register + skid register).
// Full throughput (one beat per cycle while m_ready is high); s_ready is a register
// (no combinational path from m_ready to s_ready); m_valid / m_data are registers.
// Beats leave in order, none lost or duplicated. Latency: one cycle (s -> m).
`default_nettype none

module rf_axis_skid #(
    parameter integer WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire             s_valid,
    output reg              s_ready,
    input  wire [WIDTH-1:0] s_data,
    output reg              m_valid,
    input  wire             m_ready,
    output reg  [WIDTH-1:0] m_data
);
    reg             skid_valid;
    reg [WIDTH-1:0] skid_data;

    wire s_fire   = s_valid && s_ready;      // s_ready == !skid_valid
    wire out_free = m_ready || !m_valid;     // the output register can take a beat this cycle

    always @(posedge clk) begin
        if (!rst_n) begin
            m_valid    <= 1'b0;
            skid_valid <= 1'b0;
            s_ready    <= 1'b0;
        end else begin
            if (out_free) begin
                if (skid_valid) begin            // drain the skid first (it is older)
                    m_valid    <= 1'b1;
                    skid_valid <= 1'b0;
                    s_ready    <= 1'b1;
                end else begin
                    m_valid    <= s_fire;
                    s_ready    <= 1'b1;
                end
            end else if (s_fire) begin           // output stalled: park the beat
                skid_valid <= 1'b1;
                s_ready    <= 1'b0;
            end else begin
                s_ready    <= !skid_valid;
            end
        end
    end

    // data registers: no reset needed (qualified by the valid bits)
    always @(posedge clk) begin
        if (out_free) begin
            if (skid_valid) m_data <= skid_data;
            else if (s_fire) m_data <= s_data;
        end
        if (s_fire && !out_free) skid_data <= s_data;
    end
endmodule

`default_nettype wire
