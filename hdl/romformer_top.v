// romformer_top -- the chip: a Llama transformer with its weights in ROM.
//
//   s_axis_*  prompt tokens in (AXI4-Stream, TLAST on the last prompt token)
//   m_axis_*  generated tokens out (AXI4-Stream, TLAST on the last generated token)
//   s_axil_*  control and status registers (AXI4-Lite; map in docs/registers.md)
//
// Both streams pass through skid buffers, so every ready is registered and full
// backpressure is supported. The model (shape, ROM images) comes from the compiler's
// params.vh and `ROM_DIR` at elaboration.
`default_nettype none

module romformer_top #(
    parameter integer LORA_RANK    = 0,      // LoRA adapter hardware: maximum rank (4, 8, 16), 0 = none
    parameter [6:0]   LORA_TARGETS = 7'd0    // matrices that may carry an adapter: bit 0 wq, 1 wk, 2 wv, 3 wo, 4 w1, 5 w3, 6 w2
) (
    input  wire        clk,
    input  wire        rst_n,
    // AXI4-Stream in: prompt token ids
    input  wire [15:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    // AXI4-Stream out: generated token ids
    output wire [15:0] m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    // AXI4-Lite slave
    input  wire [11:0] s_axil_awaddr,
    input  wire [2:0]  s_axil_awprot,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [11:0] s_axil_araddr,
    input  wire [2:0]  s_axil_arprot,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready
);
`include "params.vh"

    // The LoRA adapter path computes --act static activations only (docs/arithmetic.md section 3b): adapter
    // hardware with a `--act mx` ROM build stops at elaboration instead of mismatching the golden model.
    generate if (ACT_FMT != 0 && LORA_RANK != 0) begin : g_act_fmt_lora
        initial $fatal(1, "romformer_top: LORA_RANK %0d with a ROM build of ACT_FMT %0d (mx activations); adapters need --act static",
                       LORA_RANK, ACT_FMT);
    end endgenerate

    // Adapter SRAM words (the image layout of sim_models/lora.py and hdl/rf_lora.v): A, B, BQ, U.
    function automatic integer lora_words_f(input integer rank);
        integer i, nt, rows;
        nt = 0;
        rows = 0;
        for (i = 0; i < 7; i = i + 1)
            if (LORA_TARGETS[i]) begin
                nt = nt + 1;
                rows = rows + ((i == 0 || i == 3 || i == 6) ? DIM : (i < 3) ? KV_DIM : HIDDEN);
            end
        lora_words_f = (rank == 0) ? 0 :
            N_LAYERS * nt * rank * (LORA_TARGETS[6] ? WORDS_HIDDEN : WORDS_DIM) * (LANES / 4)
            + N_LAYERS * rows * (rank / 4) + N_LAYERS * rows + N_LAYERS * nt * rank;
    endfunction
    localparam integer LORA_WORDS = lora_words_f(LORA_RANK);

    // ---------------------------------------------------------------- streams
    wire        in_valid;
    wire        in_ready;
    wire [16:0] in_beat;
    rf_axis_skid #(.WIDTH(17)) u_in_skid (
        .clk(clk), .rst_n(rst_n),
        .s_valid(s_axis_tvalid), .s_ready(s_axis_tready), .s_data({s_axis_tlast, s_axis_tdata}),
        .m_valid(in_valid), .m_ready(in_ready), .m_data(in_beat));

    wire        out_valid;
    wire        out_ready;
    wire [15:0] out_data;
    wire        out_last;
    wire [16:0] out_beat;
    rf_axis_skid #(.WIDTH(17)) u_out_skid (
        .clk(clk), .rst_n(rst_n),
        .s_valid(out_valid), .s_ready(out_ready), .s_data({out_last, out_data}),
        .m_valid(m_axis_tvalid), .m_ready(m_axis_tready), .m_data(out_beat));
    assign m_axis_tdata = out_beat[15:0];
    assign m_axis_tlast = out_beat[16];

    // ---------------------------------------------------------------- registers
    wire        ctrl_new_seq;
    wire        ctrl_clear_counters;
    wire [15:0] cfg_budget;
    wire        cfg_sample;
    wire [15:0] cfg_inv_temp;
    wire [7:0]  cfg_top_k;
    wire [31:0] cfg_seed;
    wire        cfg_seed_load;
    wire [15:0] cfg_stop_token;
    wire        cfg_stop_en;
    wire        st_busy;
    wire        st_generating;
    wire        st_idle;
    wire        st_new_seq_pending;
    wire [15:0] st_pos;
    wire [2:0]  err_set;
    wire [63:0] cnt_cycles;
    wire [31:0] cnt_tokens_in;
    wire [31:0] cnt_tokens_out;
    wire [31:0] cnt_last_cycles;
    wire        cfg_lora_en;
    wire [15:0] lora_addr;
    wire        lora_we;
    wire [31:0] lora_wdata;
    wire [31:0] lora_rdata;

    rf_axil_regs #(.ADDR_BITS(12), .LANES(LANES), .N_LAYERS(N_LAYERS), .VOCAB(VOCAB), .SEQ_LEN(SEQ_LEN),
                   .LORA_RANK(LORA_RANK), .LORA_TARGETS(LORA_TARGETS), .LORA_WORDS(LORA_WORDS)) u_regs (
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
        .lora_rdata(lora_rdata));

    // ---------------------------------------------------------------- core
    rf_core #(.LORA_RANK(LORA_RANK), .LORA_TARGETS(LORA_TARGETS)) u_core (
        .clk(clk), .rst_n(rst_n),
        .in_valid(in_valid), .in_ready(in_ready), .in_data(in_beat[15:0]), .in_last(in_beat[16]),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data), .out_last(out_last),
        .ctrl_new_seq(ctrl_new_seq), .ctrl_clear_counters(ctrl_clear_counters), .cfg_budget(cfg_budget),
        .cfg_sample(cfg_sample), .cfg_inv_temp(cfg_inv_temp), .cfg_top_k(cfg_top_k), .cfg_seed(cfg_seed),
        .cfg_seed_load(cfg_seed_load), .cfg_stop_token(cfg_stop_token), .cfg_stop_en(cfg_stop_en),
        .st_busy(st_busy), .st_generating(st_generating), .st_idle(st_idle),
        .st_new_seq_pending(st_new_seq_pending), .st_pos(st_pos), .err_set(err_set),
        .cnt_cycles(cnt_cycles), .cnt_tokens_in(cnt_tokens_in), .cnt_tokens_out(cnt_tokens_out),
        .cnt_last_cycles(cnt_last_cycles),
        .cfg_lora_en(cfg_lora_en), .lora_addr(lora_addr), .lora_we(lora_we), .lora_wdata(lora_wdata),
        .lora_rdata(lora_rdata));
endmodule

`default_nettype wire
