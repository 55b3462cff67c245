// romformer_top_sva -- assertions on the chip's pins, bound into romformer_top (docs/assertions.md).
//   - AXI4-Stream in and out: a beat offered and not taken stays offered with TDATA and TLAST
//     unchanged (s_axis: the driver's duty, checked at the pins; m_axis: the chip's).
//   - AXI4-Lite: a response offered and not taken stays offered and unchanged (B: BRESP; R: RDATA,
//     RRESP); BRESP and RRESP are OKAY or SLVERR, never EXOKAY or DECERR.
//   - No X on any VALID or READY the chip drives once out of reset (a 4-state simulator's check:
//     a 2-state simulation, as Verilator's, holds no X, so there it never fires).
`default_nettype none

module romformer_top_sva (
    input wire        clk,
    input wire        rst_n,
    input wire [15:0] s_axis_tdata,
    input wire        s_axis_tvalid,
    input wire        s_axis_tready,
    input wire        s_axis_tlast,
    input wire [15:0] m_axis_tdata,
    input wire        m_axis_tvalid,
    input wire        m_axis_tready,
    input wire        m_axis_tlast,
    input wire        s_axil_awready,
    input wire        s_axil_wready,
    input wire [1:0]  s_axil_bresp,
    input wire        s_axil_bvalid,
    input wire        s_axil_bready,
    input wire        s_axil_arready,
    input wire [31:0] s_axil_rdata,
    input wire [1:0]  s_axil_rresp,
    input wire        s_axil_rvalid,
    input wire        s_axil_rready
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    a_s_axis_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axis_tvalid && !s_axis_tready |=> s_axis_tvalid && $stable({s_axis_tlast, s_axis_tdata}))
        else $error("romformer_top_sva.a_s_axis_stable: s_axis TVALID dropped or TDATA/TLAST changed while TREADY was low");
    a_m_axis_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        m_axis_tvalid && !m_axis_tready |=> m_axis_tvalid && $stable({m_axis_tlast, m_axis_tdata}))
        else $error("romformer_top_sva.a_m_axis_stable: m_axis TVALID dropped or TDATA/TLAST changed while TREADY was low");

    a_b_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axil_bvalid && !s_axil_bready |=> s_axil_bvalid && $stable(s_axil_bresp))
        else $error("romformer_top_sva.a_b_stable: BVALID dropped or BRESP changed while BREADY was low");
    a_r_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axil_rvalid && !s_axil_rready |=> s_axil_rvalid && $stable({s_axil_rresp, s_axil_rdata}))
        else $error("romformer_top_sva.a_r_stable: RVALID dropped or RDATA/RRESP changed while RREADY was low");
    a_bresp_legal: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axil_bvalid |-> s_axil_bresp == 2'b00 || s_axil_bresp == 2'b10)
        else $error("romformer_top_sva.a_bresp_legal: BRESP %b is neither OKAY nor SLVERR", s_axil_bresp);
    a_rresp_legal: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axil_rvalid |-> s_axil_rresp == 2'b00 || s_axil_rresp == 2'b10)
        else $error("romformer_top_sva.a_rresp_legal: RRESP %b is neither OKAY nor SLVERR", s_axil_rresp);

    a_no_x: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !$isunknown({s_axis_tready, m_axis_tvalid, s_axil_awready, s_axil_wready, s_axil_bvalid, s_axil_arready,
                     s_axil_rvalid}))
        else $error("romformer_top_sva.a_no_x: X on a VALID or READY output");
endmodule

bind romformer_top romformer_top_sva u_sva (.*);

`default_nettype wire
