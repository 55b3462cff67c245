// rf_axil_regs -- AXI4-Lite slave and the register file of the control interface.
// The map (addresses, reset values, field positions) comes from rf_regmap.vh,
// generated from sim_models/regmap.py (see docs/registers.md for the table).
//
// Write channel: AW and W are accepted independently (in either order or
// together) into one holding register each (awready = !aw_held, wready = !w_held);
// the write executes in the cycle both are held and no response is pending,
// then B is offered until bready. Read channel: arready = !rvalid; the read data
// is registered at the AR handshake and held until rready. Every handshake only
// waits on the master's own valid/ready, so no valid/ready pattern can hang it.
//
// Responses: OKAY; SLVERR for an unmapped address (sets ERROR.BAD_ADDRESS, reads
// return 0) and for a write to an RO register (sets ERROR.READ_ONLY_WRITE).
// Address bits [1:0] are ignored. RW registers honour wstrb; WO (CTRL) reads as 0.
// ERROR is sticky, write-1-to-clear; a set (err_set or the bus) in the same cycle
// as a clear wins. A CYCLES_LO read snapshots cnt_cycles[63:32]; CYCLES_HI returns that
// snapshot, so a LO-then-HI pair is never torn by a carry between the two reads.
// Pulses (ctrl_new_seq, ctrl_clear_counters, cfg_seed_load) are one cycle long,
// the cycle after the write executes; cfg_seed carries the new value in that cycle.
`default_nettype none

module rf_axil_regs #(
    parameter integer ADDR_BITS = 12,    // 7 .. 32
    parameter integer LANES     = 32,
    parameter integer N_LAYERS  = 1,
    parameter integer VOCAB     = 256,
    parameter integer SEQ_LEN   = 256,
    parameter integer LORA_RANK    = 0,      // adapter hardware (rf_lora): maximum rank, 0 = none
    parameter [6:0]   LORA_TARGETS = 7'd0,   // matrices that may carry an adapter (ADAPTER_CONFIG)
    parameter integer LORA_WORDS   = 0       // adapter SRAM words (ADAPTER_WORDS)
) (
    input  wire                 clk,
    input  wire                 rst_n,
    // AXI4-Lite slave
    input  wire [ADDR_BITS-1:0] s_axil_awaddr,
    input  wire [2:0]           s_axil_awprot,
    input  wire                 s_axil_awvalid,
    output wire                 s_axil_awready,
    input  wire [31:0]          s_axil_wdata,
    input  wire [3:0]           s_axil_wstrb,
    input  wire                 s_axil_wvalid,
    output wire                 s_axil_wready,
    output reg  [1:0]           s_axil_bresp,
    output reg                  s_axil_bvalid,
    input  wire                 s_axil_bready,
    input  wire [ADDR_BITS-1:0] s_axil_araddr,
    input  wire [2:0]           s_axil_arprot,
    input  wire                 s_axil_arvalid,
    output wire                 s_axil_arready,
    output reg  [31:0]          s_axil_rdata,
    output reg  [1:0]           s_axil_rresp,
    output reg                  s_axil_rvalid,
    input  wire                 s_axil_rready,
    // core side: control and configuration
    output reg                  ctrl_new_seq,
    output reg                  ctrl_clear_counters,
    output reg  [15:0]          cfg_budget,
    output reg                  cfg_sample,
    output reg  [15:0]          cfg_inv_temp,
    output reg  [7:0]           cfg_top_k,
    output reg  [31:0]          cfg_seed,
    output reg                  cfg_seed_load,
    output reg  [15:0]          cfg_stop_token,
    output reg                  cfg_stop_en,
    // core side: status, errors, counters
    input  wire                 st_busy,
    input  wire                 st_generating,
    input  wire                 st_idle,
    input  wire                 st_new_seq_pending,
    input  wire [15:0]          st_pos,
    input  wire [2:0]           err_set,         // TOKEN_RANGE, CONTEXT_OVERFLOW, CONTEXT_FULL
    input  wire [63:0]          cnt_cycles,
    input  wire [31:0]          cnt_tokens_in,
    input  wire [31:0]          cnt_tokens_out,
    input  wire [31:0]          cnt_last_cycles,
    // LoRA adapter SRAM port (rf_lora through rf_core): a write is lora_we in the cycle it executes,
    // at lora_addr; lora_rdata is the word at lora_addr (registered by rf_lora)
    output reg                  cfg_lora_en,
    output reg  [15:0]          lora_addr,
    output wire                 lora_we,
    output wire [31:0]          lora_wdata,
    input  wire [31:0]          lora_rdata
);
`include "rf_regmap.vh"

    localparam [1:0] RESP_OKAY = 2'b00, RESP_SLVERR = 2'b10;

    // ------------------------------------------------------------------ error flags
    reg e_token_range, e_ctx_overflow, e_ctx_full, e_bad_addr, e_ro_write, e_adapter_busy;
    wire err_any = e_token_range | e_ctx_overflow | e_ctx_full | e_bad_addr | e_ro_write | e_adapter_busy;
    reg [31:0] adapter_sum;
    localparam [16:0] LORA_WORDS17 = 17'(LORA_WORDS);
    wire       lora_in_range = ({1'b0, lora_addr} + 17'd1) <= LORA_WORDS17;   // lora_addr < LORA_WORDS

    // ------------------------------------------------------------------ CYCLES snapshot
    reg [31:0] cycles_hi_snap;   // cnt_cycles[63:32] as of the last CYCLES_LO read

    // ------------------------------------------------------------------ register values
    reg [31:0] v_id, v_config, v_ctrl, v_status, v_budget, v_sampling, v_inv_temp, v_top_k, v_seed, v_stop,
               v_position, v_error, v_cycles_lo, v_cycles_hi, v_tokens_in, v_tokens_out, v_last_cycles,
               v_seq_len, v_adapter_ctrl, v_adapter_addr, v_adapter_data, v_adapter_sum, v_adapter_config,
               v_adapter_words;
    always @(*) begin
        v_adapter_ctrl = 32'd0;   v_adapter_addr = 32'd0;   v_adapter_data = 32'd0;
        v_adapter_sum = 32'd0;    v_adapter_config = 32'd0; v_adapter_words = 32'd0;
        v_adapter_ctrl[RF_ADAPTER_CTRL_ENABLE_MSB:RF_ADAPTER_CTRL_ENABLE_LSB]       = cfg_lora_en;
        v_adapter_addr[RF_ADAPTER_ADDR_VALUE_MSB:RF_ADAPTER_ADDR_VALUE_LSB]         = lora_addr;
        v_adapter_data[RF_ADAPTER_DATA_VALUE_MSB:RF_ADAPTER_DATA_VALUE_LSB]         = lora_in_range ? lora_rdata : 32'd0;
        v_adapter_sum[RF_ADAPTER_SUM_VALUE_MSB:RF_ADAPTER_SUM_VALUE_LSB]            = adapter_sum;
        v_adapter_config[RF_ADAPTER_CONFIG_RANK_MSB:RF_ADAPTER_CONFIG_RANK_LSB]     = 8'(LORA_RANK);
        v_adapter_config[RF_ADAPTER_CONFIG_TARGETS_MSB:RF_ADAPTER_CONFIG_TARGETS_LSB] = LORA_TARGETS;
        v_adapter_words[RF_ADAPTER_WORDS_VALUE_MSB:RF_ADAPTER_WORDS_VALUE_LSB]     = 16'(LORA_WORDS);
    end
    always @(*) begin
        v_id = 32'd0;            v_config = 32'd0;     v_ctrl = RF_CTRL_RESET;   v_status = 32'd0;
        v_budget = 32'd0;        v_sampling = 32'd0;   v_inv_temp = 32'd0;       v_top_k = 32'd0;
        v_seed = 32'd0;          v_stop = 32'd0;       v_position = 32'd0;       v_error = 32'd0;
        v_cycles_lo = 32'd0;     v_cycles_hi = 32'd0;  v_tokens_in = 32'd0;      v_tokens_out = 32'd0;
        v_last_cycles = 32'd0;   v_seq_len = 32'd0;
        v_id[RF_ID_VALUE_MSB:RF_ID_VALUE_LSB]                  = RF_ID_RESET[RF_ID_VALUE_MSB:RF_ID_VALUE_LSB];
        v_config[RF_CONFIG_LANES_MSB:RF_CONFIG_LANES_LSB]       = 8'(LANES);
        v_config[RF_CONFIG_N_LAYERS_MSB:RF_CONFIG_N_LAYERS_LSB] = 8'(N_LAYERS);
        v_config[RF_CONFIG_VOCAB_MSB:RF_CONFIG_VOCAB_LSB]       = 16'(VOCAB);
        v_status[RF_STATUS_BUSY_MSB:RF_STATUS_BUSY_LSB]                       = st_busy;
        v_status[RF_STATUS_GENERATING_MSB:RF_STATUS_GENERATING_LSB]           = st_generating;
        v_status[RF_STATUS_IDLE_MSB:RF_STATUS_IDLE_LSB]                       = st_idle;
        v_status[RF_STATUS_ERROR_MSB:RF_STATUS_ERROR_LSB]                     = err_any;
        v_status[RF_STATUS_NEW_SEQ_PENDING_MSB:RF_STATUS_NEW_SEQ_PENDING_LSB] = st_new_seq_pending;
        v_budget[RF_BUDGET_TOKENS_MSB:RF_BUDGET_TOKENS_LSB]     = cfg_budget;
        v_sampling[RF_SAMPLING_SAMPLE_MSB:RF_SAMPLING_SAMPLE_LSB] = cfg_sample;
        v_inv_temp[RF_INV_TEMP_VALUE_MSB:RF_INV_TEMP_VALUE_LSB] = cfg_inv_temp;
        v_top_k[RF_TOP_K_K_MSB:RF_TOP_K_K_LSB]                  = cfg_top_k;
        v_seed[RF_SEED_VALUE_MSB:RF_SEED_VALUE_LSB]             = cfg_seed;
        v_stop[RF_STOP_TOKEN_MSB:RF_STOP_TOKEN_LSB]             = cfg_stop_token;
        v_stop[RF_STOP_ENABLE_MSB:RF_STOP_ENABLE_LSB]           = cfg_stop_en;
        v_position[RF_POSITION_VALUE_MSB:RF_POSITION_VALUE_LSB] = st_pos;
        v_error[RF_ERROR_TOKEN_RANGE_MSB:RF_ERROR_TOKEN_RANGE_LSB]           = e_token_range;
        v_error[RF_ERROR_CONTEXT_OVERFLOW_MSB:RF_ERROR_CONTEXT_OVERFLOW_LSB] = e_ctx_overflow;
        v_error[RF_ERROR_CONTEXT_FULL_MSB:RF_ERROR_CONTEXT_FULL_LSB]         = e_ctx_full;
        v_error[RF_ERROR_BAD_ADDRESS_MSB:RF_ERROR_BAD_ADDRESS_LSB]           = e_bad_addr;
        v_error[RF_ERROR_READ_ONLY_WRITE_MSB:RF_ERROR_READ_ONLY_WRITE_LSB]   = e_ro_write;
        v_error[RF_ERROR_ADAPTER_BUSY_MSB:RF_ERROR_ADAPTER_BUSY_LSB]         = e_adapter_busy;
        v_cycles_lo[RF_CYCLES_LO_VALUE_MSB:RF_CYCLES_LO_VALUE_LSB]       = cnt_cycles[31:0];
        v_cycles_hi[RF_CYCLES_HI_VALUE_MSB:RF_CYCLES_HI_VALUE_LSB]       = cycles_hi_snap;
        v_tokens_in[RF_TOKENS_IN_VALUE_MSB:RF_TOKENS_IN_VALUE_LSB]       = cnt_tokens_in;
        v_tokens_out[RF_TOKENS_OUT_VALUE_MSB:RF_TOKENS_OUT_VALUE_LSB]    = cnt_tokens_out;
        v_last_cycles[RF_LAST_CYCLES_VALUE_MSB:RF_LAST_CYCLES_VALUE_LSB] = cnt_last_cycles;
        v_seq_len[RF_SEQ_LEN_VALUE_MSB:RF_SEQ_LEN_VALUE_LSB]             = 16'(SEQ_LEN);
    end

    // ------------------------------------------------------------------ read channel
    wire [31:0] ar_word = 32'(s_axil_araddr) & ~32'd3;
    wire        rd_fire = s_axil_arvalid && s_axil_arready;
    reg  [31:0] rd_val;
    reg         rd_hit;
    assign s_axil_arready = !s_axil_rvalid;

    always @(*) begin
        rd_hit = 1'b1;
        rd_val = 32'd0;
        case (ar_word)
            RF_ID_ADDR:          rd_val = v_id;
            RF_CONFIG_ADDR:      rd_val = v_config;
            RF_CTRL_ADDR:        rd_val = v_ctrl;
            RF_STATUS_ADDR:      rd_val = v_status;
            RF_BUDGET_ADDR:      rd_val = v_budget;
            RF_SAMPLING_ADDR:    rd_val = v_sampling;
            RF_INV_TEMP_ADDR:    rd_val = v_inv_temp;
            RF_TOP_K_ADDR:       rd_val = v_top_k;
            RF_SEED_ADDR:        rd_val = v_seed;
            RF_STOP_ADDR:        rd_val = v_stop;
            RF_POSITION_ADDR:    rd_val = v_position;
            RF_ERROR_ADDR:       rd_val = v_error;
            RF_CYCLES_LO_ADDR:   rd_val = v_cycles_lo;
            RF_CYCLES_HI_ADDR:   rd_val = v_cycles_hi;
            RF_TOKENS_IN_ADDR:   rd_val = v_tokens_in;
            RF_TOKENS_OUT_ADDR:  rd_val = v_tokens_out;
            RF_LAST_CYCLES_ADDR: rd_val = v_last_cycles;
            RF_SEQ_LEN_ADDR:     rd_val = v_seq_len;
            RF_ADAPTER_CTRL_ADDR:   rd_val = v_adapter_ctrl;
            RF_ADAPTER_ADDR_ADDR:   rd_val = v_adapter_addr;
            RF_ADAPTER_DATA_ADDR:   rd_val = v_adapter_data;
            RF_ADAPTER_SUM_ADDR:    rd_val = v_adapter_sum;
            RF_ADAPTER_CONFIG_ADDR: rd_val = v_adapter_config;
            RF_ADAPTER_WORDS_ADDR:  rd_val = v_adapter_words;
            default:             rd_hit = 1'b0;
        endcase
    end

    always @(posedge clk) begin
        if (!rst_n)
            cycles_hi_snap <= 32'd0;
        else if (rd_fire && ar_word == RF_CYCLES_LO_ADDR)
            cycles_hi_snap <= cnt_cycles[63:32];
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            s_axil_rvalid <= 1'b0;
            s_axil_rdata  <= 32'd0;
            s_axil_rresp  <= RESP_OKAY;
        end else if (rd_fire) begin
            s_axil_rvalid <= 1'b1;
            s_axil_rdata  <= rd_val;
            s_axil_rresp  <= rd_hit ? RESP_OKAY : RESP_SLVERR;
        end else if (s_axil_rready) begin
            s_axil_rvalid <= 1'b0;
        end
    end

    // ------------------------------------------------------------------ write channel
    reg                 aw_held, w_held;
    reg [ADDR_BITS-1:0] aw_addr_q;
    reg [31:0]          w_data_q;
    reg [3:0]           w_strb_q;
    assign s_axil_awready = !aw_held;
    assign s_axil_wready  = !w_held;

    wire [31:0] aw_word  = 32'(aw_addr_q) & ~32'd3;
    wire        wr_fire  = aw_held && w_held && !s_axil_bvalid;
    wire [31:0] wr_bm    = {{8{w_strb_q[3]}}, {8{w_strb_q[2]}}, {8{w_strb_q[1]}}, {8{w_strb_q[0]}}};
    reg  [31:0] wr_old;      // current value of the addressed register (RW / RW1C)
    reg         wr_hit, wr_ro;
    wire [31:0] wr_merged = (wr_old & ~wr_bm) | (w_data_q & wr_bm);   // RW: byte-lane merge
    wire [31:0] wr_ones   = w_data_q & wr_bm;                          // WO pulses, RW1C clears

    always @(*) begin
        wr_hit = 1'b1;
        wr_ro  = 1'b0;
        wr_old = 32'd0;
        case (aw_word)
            RF_ID_ADDR, RF_CONFIG_ADDR, RF_STATUS_ADDR, RF_POSITION_ADDR, RF_CYCLES_LO_ADDR, RF_CYCLES_HI_ADDR,
            RF_TOKENS_IN_ADDR, RF_TOKENS_OUT_ADDR, RF_LAST_CYCLES_ADDR, RF_SEQ_LEN_ADDR,
            RF_ADAPTER_SUM_ADDR, RF_ADAPTER_CONFIG_ADDR, RF_ADAPTER_WORDS_ADDR:
                                 wr_ro  = 1'b1;
            RF_ADAPTER_CTRL_ADDR: wr_old = v_adapter_ctrl;
            RF_ADAPTER_ADDR_ADDR: wr_old = v_adapter_addr;
            RF_ADAPTER_DATA_ADDR: wr_hit = 1'b1;
            RF_CTRL_ADDR:        wr_old = v_ctrl;
            RF_BUDGET_ADDR:      wr_old = v_budget;
            RF_SAMPLING_ADDR:    wr_old = v_sampling;
            RF_INV_TEMP_ADDR:    wr_old = v_inv_temp;
            RF_TOP_K_ADDR:       wr_old = v_top_k;
            RF_SEED_ADDR:        wr_old = v_seed;
            RF_STOP_ADDR:        wr_old = v_stop;
            RF_ERROR_ADDR:       wr_old = v_error;
            default:             wr_hit = 1'b0;
        endcase
    end

    wire wr_to_ctrl  = wr_fire && (aw_word == RF_CTRL_ADDR);
    wire wr_to_error = wr_fire && (aw_word == RF_ERROR_ADDR);
    // Adapter writes: ADAPTER_CTRL and ADAPTER_DATA are refused while the core is not idle;
    // ADAPTER_DATA beyond the SRAM is a bad address.
    wire wr_adapter_refused = wr_fire && !st_idle && (aw_word == RF_ADAPTER_CTRL_ADDR || aw_word == RF_ADAPTER_DATA_ADDR);
    wire wr_data_range      = wr_fire && !wr_adapter_refused && (aw_word == RF_ADAPTER_DATA_ADDR) && !lora_in_range;
    wire wr_ok              = !wr_adapter_refused && !wr_data_range;
    assign lora_we    = wr_fire && (aw_word == RF_ADAPTER_DATA_ADDR) && st_idle && lora_in_range;
    assign lora_wdata = w_data_q;
    wire rd_data_inc  = rd_fire && (ar_word == RF_ADAPTER_DATA_ADDR) && lora_in_range;
    wire bad_addr    = (wr_fire && !wr_hit) || (rd_fire && !rd_hit) || wr_data_range;
    wire ro_write    = wr_fire && wr_hit && wr_ro;

    always @(posedge clk) begin
        if (!rst_n) begin
            aw_held       <= 1'b0;
            w_held        <= 1'b0;
            s_axil_bvalid <= 1'b0;
            s_axil_bresp  <= RESP_OKAY;
        end else begin
            if (s_axil_awvalid && s_axil_awready) aw_held <= 1'b1;
            if (s_axil_wvalid && s_axil_wready)   w_held  <= 1'b1;
            if (wr_fire) begin
                aw_held       <= 1'b0;
                w_held        <= 1'b0;
                s_axil_bvalid <= 1'b1;
                s_axil_bresp  <= (wr_hit && !wr_ro && wr_ok) ? RESP_OKAY : RESP_SLVERR;
            end else if (s_axil_bready) begin
                s_axil_bvalid <= 1'b0;
            end
        end
    end

    always @(posedge clk) begin   // holding registers: qualified by aw_held / w_held
        if (s_axil_awvalid && s_axil_awready) aw_addr_q <= s_axil_awaddr;
        if (s_axil_wvalid && s_axil_wready) begin
            w_data_q <= s_axil_wdata;
            w_strb_q <= s_axil_wstrb;
        end
    end

    // ------------------------------------------------------------------ register file
    always @(posedge clk) begin
        if (!rst_n) begin
            cfg_budget          <= RF_BUDGET_RESET[RF_BUDGET_TOKENS_MSB:RF_BUDGET_TOKENS_LSB];
            cfg_sample          <= RF_SAMPLING_RESET[RF_SAMPLING_SAMPLE_MSB:RF_SAMPLING_SAMPLE_LSB];
            cfg_inv_temp        <= RF_INV_TEMP_RESET[RF_INV_TEMP_VALUE_MSB:RF_INV_TEMP_VALUE_LSB];
            cfg_top_k           <= RF_TOP_K_RESET[RF_TOP_K_K_MSB:RF_TOP_K_K_LSB];
            cfg_seed            <= RF_SEED_RESET[RF_SEED_VALUE_MSB:RF_SEED_VALUE_LSB];
            cfg_stop_token      <= RF_STOP_RESET[RF_STOP_TOKEN_MSB:RF_STOP_TOKEN_LSB];
            cfg_stop_en         <= RF_STOP_RESET[RF_STOP_ENABLE_MSB:RF_STOP_ENABLE_LSB];
            e_token_range       <= RF_ERROR_RESET[RF_ERROR_TOKEN_RANGE_MSB:RF_ERROR_TOKEN_RANGE_LSB];
            e_ctx_overflow      <= RF_ERROR_RESET[RF_ERROR_CONTEXT_OVERFLOW_MSB:RF_ERROR_CONTEXT_OVERFLOW_LSB];
            e_ctx_full          <= RF_ERROR_RESET[RF_ERROR_CONTEXT_FULL_MSB:RF_ERROR_CONTEXT_FULL_LSB];
            e_bad_addr          <= RF_ERROR_RESET[RF_ERROR_BAD_ADDRESS_MSB:RF_ERROR_BAD_ADDRESS_LSB];
            e_ro_write          <= RF_ERROR_RESET[RF_ERROR_READ_ONLY_WRITE_MSB:RF_ERROR_READ_ONLY_WRITE_LSB];
            e_adapter_busy      <= RF_ERROR_RESET[RF_ERROR_ADAPTER_BUSY_MSB:RF_ERROR_ADAPTER_BUSY_LSB];
            cfg_lora_en         <= RF_ADAPTER_CTRL_RESET[RF_ADAPTER_CTRL_ENABLE_MSB:RF_ADAPTER_CTRL_ENABLE_LSB];
            lora_addr           <= RF_ADAPTER_ADDR_RESET[RF_ADAPTER_ADDR_VALUE_MSB:RF_ADAPTER_ADDR_VALUE_LSB];
            adapter_sum         <= 32'd0;
            ctrl_new_seq        <= 1'b0;
            ctrl_clear_counters <= 1'b0;
            cfg_seed_load       <= 1'b0;
        end else begin
            ctrl_new_seq        <= wr_to_ctrl && wr_ones[RF_CTRL_NEW_SEQ_MSB:RF_CTRL_NEW_SEQ_LSB];
            ctrl_clear_counters <= wr_to_ctrl && wr_ones[RF_CTRL_CLEAR_COUNTERS_MSB:RF_CTRL_CLEAR_COUNTERS_LSB];
            cfg_seed_load       <= wr_fire && (aw_word == RF_SEED_ADDR);
            // adapter: the SRAM word is written by lora_we in this cycle; ADDR steps after each
            // accepted DATA access; ADAPTER_SUM folds every accepted write (cleared by CTRL)
            if (wr_to_ctrl && wr_ones[RF_CTRL_ADAPTER_SUM_CLEAR_MSB:RF_CTRL_ADAPTER_SUM_CLEAR_LSB])
                adapter_sum <= 32'd0;
            else if (lora_we)
                adapter_sum <= {adapter_sum[30:0], adapter_sum[31]} ^ w_data_q ^ (32'(lora_addr) * 32'h9E3779B1);
            if (lora_we || rd_data_inc)
                lora_addr <= lora_addr + 16'd1;
            else if (wr_fire && aw_word == RF_ADAPTER_ADDR_ADDR)
                lora_addr <= wr_merged[RF_ADAPTER_ADDR_VALUE_MSB:RF_ADAPTER_ADDR_VALUE_LSB];
            if (wr_fire && wr_ok && aw_word == RF_ADAPTER_CTRL_ADDR)
                cfg_lora_en <= wr_merged[RF_ADAPTER_CTRL_ENABLE_MSB:RF_ADAPTER_CTRL_ENABLE_LSB];
            if (wr_fire) begin
                case (aw_word)
                    RF_BUDGET_ADDR:   cfg_budget   <= wr_merged[RF_BUDGET_TOKENS_MSB:RF_BUDGET_TOKENS_LSB];
                    RF_SAMPLING_ADDR: cfg_sample   <= wr_merged[RF_SAMPLING_SAMPLE_MSB:RF_SAMPLING_SAMPLE_LSB];
                    RF_INV_TEMP_ADDR: cfg_inv_temp <= wr_merged[RF_INV_TEMP_VALUE_MSB:RF_INV_TEMP_VALUE_LSB];
                    RF_TOP_K_ADDR:    cfg_top_k    <= wr_merged[RF_TOP_K_K_MSB:RF_TOP_K_K_LSB];
                    RF_SEED_ADDR:     cfg_seed     <= wr_merged[RF_SEED_VALUE_MSB:RF_SEED_VALUE_LSB];
                    RF_STOP_ADDR: begin
                        cfg_stop_token <= wr_merged[RF_STOP_TOKEN_MSB:RF_STOP_TOKEN_LSB];
                        cfg_stop_en    <= wr_merged[RF_STOP_ENABLE_MSB:RF_STOP_ENABLE_LSB];
                    end
                    default: ;
                endcase
            end
            // sticky flags: clear by writing 1, a set in the same cycle wins
            e_token_range  <= err_set[0] | (e_token_range
                              & ~(wr_to_error & wr_ones[RF_ERROR_TOKEN_RANGE_LSB]));
            e_ctx_overflow <= err_set[1] | (e_ctx_overflow
                              & ~(wr_to_error & wr_ones[RF_ERROR_CONTEXT_OVERFLOW_LSB]));
            e_ctx_full     <= err_set[2] | (e_ctx_full
                              & ~(wr_to_error & wr_ones[RF_ERROR_CONTEXT_FULL_LSB]));
            e_bad_addr     <= bad_addr | (e_bad_addr
                              & ~(wr_to_error & wr_ones[RF_ERROR_BAD_ADDRESS_LSB]));
            e_ro_write     <= ro_write | (e_ro_write
                              & ~(wr_to_error & wr_ones[RF_ERROR_READ_ONLY_WRITE_LSB]));
            e_adapter_busy <= wr_adapter_refused | (e_adapter_busy
                              & ~(wr_to_error & wr_ones[RF_ERROR_ADAPTER_BUSY_LSB]));
        end
    end

    // AXI protection bits and address bits [1:0] carry no meaning here
    wire unused_axil = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0]};
endmodule

`default_nettype wire
