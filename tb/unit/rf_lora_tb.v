// rf_lora_tb -- unit-test wrapper: rf_lora with the activation vector given flat on act_flat
// (MAXW words of LANES int8 lanes, word i at [8*LANES*i +: 8*LANES]), muxed by act_idx as the
// core does (words >= MAXW read as zero).
`default_nettype none

module rf_lora_tb #(
    parameter integer LANES        = 8,
    parameter integer DIM          = 32,
    parameter integer KV_DIM       = 16,
    parameter integer HIDDEN       = 52,
    parameter integer N_LAYERS     = 2,
    parameter integer WORDS_DIM    = 4,
    parameter integer WORDS_HIDDEN = 7,
    parameter integer WPR_BITS     = 4,
    parameter integer RANK         = 4,
    parameter [6:0]   TARGETS      = 7'b1111111,
    parameter integer MAXW         = 8
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
    input  wire [7:0]              layer,
    output wire                    active,
    input  wire                    start,
    output wire                    pre_done,
    input  wire [8*LANES*MAXW-1:0] act_flat,
    input  wire                    y_valid_i,
    input  wire [15:0]             y_row_i,
    input  wire signed [15:0]      y_data_i,
    input  wire                    done_i,
    output wire                    y_valid_o,
    output wire [15:0]             y_row_o,
    output wire signed [15:0]      y_data_o,
    output wire                    done_o
);
    wire [WPR_BITS-1:0] act_idx;
    wire [8*LANES-1:0]  act_word = (32'(act_idx) < MAXW) ? act_flat[8*LANES*32'(act_idx) +: 8*LANES]
                                                         : {8*LANES{1'b0}};
    rf_lora #(.LANES(LANES), .DIM(DIM), .KV_DIM(KV_DIM), .HIDDEN(HIDDEN), .N_LAYERS(N_LAYERS),
              .WORDS_DIM(WORDS_DIM), .WORDS_HIDDEN(WORDS_HIDDEN), .WPR_BITS(WPR_BITS), .RANK(RANK),
              .TARGETS(TARGETS)) u_lora (
        .clk(clk), .rst_n(rst_n), .bus_addr(bus_addr), .bus_we(bus_we), .bus_wdata(bus_wdata),
        .bus_rdata(bus_rdata), .enable(enable), .ph_valid(ph_valid), .ph_kind(ph_kind), .layer(layer),
        .active(active), .start(start), .pre_done(pre_done), .act_idx(act_idx), .act_word(act_word),
        .y_valid_i(y_valid_i), .y_row_i(y_row_i), .y_data_i(y_data_i), .done_i(done_i),
        .y_valid_o(y_valid_o), .y_row_o(y_row_o), .y_data_o(y_data_o), .done_o(done_o));
endmodule

`default_nettype wire
