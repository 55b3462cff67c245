// rf_lora_port -- where the matvec's row stream meets the adapter hardware: rf_lora when the chip
// is built with adapter hardware (RANK > 0), else a wire (no SRAM, the stream unchanged, `active`
// and `pre_done` low, the adapter bus reads 0). Ports as rf_lora's (docs/rtl.md "LoRA"), and
// nx_active: `active` as it will be for the next phase (nx_valid, nx_kind), so that the sequencer
// knows on a phase's last edge whether the next one starts with the adapter's pre-pass.
`default_nettype none

module rf_lora_port #(
    parameter integer LANES        = 32,
    parameter integer DIM          = 64,
    parameter integer KV_DIM       = 32,
    parameter integer HIDDEN       = 172,
    parameter integer N_LAYERS     = 4,
    parameter integer WORDS_DIM    = 2,
    parameter integer WORDS_HIDDEN = 6,
    parameter integer WPR_BITS     = 3,
    parameter integer RANK         = 0,          // 0: no adapter hardware
    parameter [6:0]   TARGETS      = 7'b0000000
) (
    input  wire                    clk,
    input  wire                    rst_n,
    input  wire [15:0]             bus_addr,
    input  wire                    bus_we,
    input  wire [31:0]             bus_wdata,
    output wire [31:0]             bus_rdata,
    input  wire                    enable,
    input  wire                    ph_valid,
    input  wire [1:0]              ph_kind,
    input  wire                    nx_valid,
    input  wire [1:0]              nx_kind,
    output wire                    nx_active,
    input  wire [7:0]              layer,
    output wire                    active,
    input  wire                    start,
    output wire                    pre_done,
    output wire [WPR_BITS-1:0]     act_idx,
    input  wire [8*LANES-1:0]      act_word,
    input  wire                    y_valid_i,
    input  wire [15:0]             y_row_i,
    input  wire signed [15:0]      y_data_i,
    input  wire                    done_i,
    output wire                    y_valid_o,
    output wire [15:0]             y_row_o,
    output wire signed [15:0]      y_data_o,
    output wire                    done_o
);
    wire [3:0] built = {TARGETS[6], |TARGETS[5:4], TARGETS[3], |TARGETS[2:0]};   // kinds with a target
    assign nx_active = (RANK > 0) && enable && nx_valid && built[nx_kind];
    generate
        if (RANK > 0) begin : g_lora
            rf_lora #(.LANES(LANES), .DIM(DIM), .KV_DIM(KV_DIM), .HIDDEN(HIDDEN), .N_LAYERS(N_LAYERS),
                      .WORDS_DIM(WORDS_DIM), .WORDS_HIDDEN(WORDS_HIDDEN), .WPR_BITS(WPR_BITS), .RANK(RANK),
                      .TARGETS(TARGETS)) u_lora (
                .clk(clk), .rst_n(rst_n), .bus_addr(bus_addr), .bus_we(bus_we), .bus_wdata(bus_wdata),
                .bus_rdata(bus_rdata), .enable(enable), .ph_valid(ph_valid), .ph_kind(ph_kind), .layer(layer),
                .active(active), .start(start), .pre_done(pre_done), .act_idx(act_idx), .act_word(act_word),
                .y_valid_i(y_valid_i), .y_row_i(y_row_i), .y_data_i(y_data_i), .done_i(done_i),
                .y_valid_o(y_valid_o), .y_row_o(y_row_o), .y_data_o(y_data_o), .done_o(done_o));
        end else begin : g_wire
            assign {y_valid_o, y_row_o, y_data_o, done_o} = {y_valid_i, y_row_i, y_data_i, done_i};
            assign {active, pre_done, bus_rdata, act_idx} = {2'b00, 32'd0, {WPR_BITS{1'b0}}};
            wire unused_ok = &{1'b0, clk, rst_n, bus_addr, bus_we, bus_wdata, enable, ph_valid, ph_kind, layer,
                               start, act_word};
        end
    endgenerate
endmodule

`default_nettype wire
