// rf_axil_regs_sva -- bound into rf_axil_regs (docs/assertions.md): the AXI4-Lite slave answers
// every request exactly once. Reference counts of the requests taken and not yet answered: AW
// and W each equal their holding register plus a pending B (0..2), AR equals a pending R (0..1).
// A response offered and not taken stays unchanged; BRESP and RRESP are OKAY or SLVERR; the
// slave's valids and readies carry no X once out of reset.
`default_nettype none

module rf_axil_regs_sva (
    input wire        clk,
    input wire        rst_n,
    input wire        s_axil_awvalid,
    input wire        s_axil_awready,
    input wire        s_axil_wvalid,
    input wire        s_axil_wready,
    input wire [1:0]  s_axil_bresp,
    input wire        s_axil_bvalid,
    input wire        s_axil_bready,
    input wire        s_axil_arvalid,
    input wire        s_axil_arready,
    input wire [31:0] s_axil_rdata,
    input wire [1:0]  s_axil_rresp,
    input wire        s_axil_rvalid,
    input wire        s_axil_rready,
    input wire        aw_held,
    input wire        w_held
);
    // The checks start at the first reset: before it the registers hold their initial values
    // (random with ROMFORMER_XRAND=1), and rst_n itself may read high at time 0.
    reg reset_seen;
    initial reset_seen = 1'b0;
    always @(posedge clk) if (!rst_n) reset_seen <= 1'b1;

    wire aw_fire = s_axil_awvalid && s_axil_awready;
    wire w_fire  = s_axil_wvalid && s_axil_wready;
    wire b_fire  = s_axil_bvalid && s_axil_bready;
    wire ar_fire = s_axil_arvalid && s_axil_arready;
    wire r_fire  = s_axil_rvalid && s_axil_rready;
    reg [1:0] aw_open, w_open, ar_open;     // requests taken, not yet answered
    always @(posedge clk) begin
        if (!rst_n) begin
            {aw_open, w_open, ar_open} <= 6'd0;
        end else begin
            aw_open <= aw_open + 2'(aw_fire) - 2'(b_fire);
            w_open  <= w_open + 2'(w_fire) - 2'(b_fire);
            ar_open <= ar_open + 2'(ar_fire) - 2'(r_fire);
        end
    end

    a_aw_answered: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        aw_open == 2'(aw_held) + 2'(s_axil_bvalid))
        else $error("rf_axil_regs_sva.a_aw_answered: %0d write addresses open, held %0d, bvalid %0d",
                    aw_open, aw_held, s_axil_bvalid);
    a_w_answered: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        w_open == 2'(w_held) + 2'(s_axil_bvalid))
        else $error("rf_axil_regs_sva.a_w_answered: %0d write data open, held %0d, bvalid %0d",
                    w_open, w_held, s_axil_bvalid);
    a_ar_answered: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        ar_open == 2'(s_axil_rvalid))
        else $error("rf_axil_regs_sva.a_ar_answered: %0d reads open, rvalid %0d", ar_open, s_axil_rvalid);

    a_b_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axil_bvalid && !s_axil_bready |=> s_axil_bvalid && $stable(s_axil_bresp))
        else $error("rf_axil_regs_sva.a_b_stable: BVALID dropped or BRESP changed while BREADY was low");
    a_r_stable: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        s_axil_rvalid && !s_axil_rready |=> s_axil_rvalid && $stable({s_axil_rresp, s_axil_rdata}))
        else $error("rf_axil_regs_sva.a_r_stable: RVALID dropped or RDATA/RRESP changed while RREADY was low");
    a_resp_legal: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        (!s_axil_bvalid || s_axil_bresp == 2'b00 || s_axil_bresp == 2'b10)
        && (!s_axil_rvalid || s_axil_rresp == 2'b00 || s_axil_rresp == 2'b10))
        else $error("rf_axil_regs_sva.a_resp_legal: BRESP %b / RRESP %b is neither OKAY nor SLVERR",
                    s_axil_bresp, s_axil_rresp);
    a_no_x: assert property (@(posedge clk) disable iff (!rst_n || !reset_seen)
        !$isunknown({s_axil_awready, s_axil_wready, s_axil_bvalid, s_axil_arready, s_axil_rvalid}))
        else $error("rf_axil_regs_sva.a_no_x: X on a VALID or READY output");
endmodule

bind rf_axil_regs rf_axil_regs_sva u_sva (.*);

`default_nettype wire
