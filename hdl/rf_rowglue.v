// rf_rowglue -- what happens to a matrix row result between rf_matvec (through rf_lora) and the
// activation buffers, chosen by the phase's destination `dst`:
//   DST_QKV  (QKV): q/k rows (QKV_BITS wide: ACT_QKV_BITS, 8 for --act static, 12 for mx) are
//            rotated in pairs (rf_rope: an even row waits for its odd partner; the pair's COS/SIN
//            come from rf_rope_gen at `rope_pair`) and written as one pair 1 cycle after the odd row (qk_we, q rows below DIM, k rows above); v rows
//            are written as they arrive (v_we). kv_v is the value row with the arriving v row in
//            place (the buffer v_flat as it is after this cycle's write): the K/V cache takes it
//            in the cycle of the last row.
//   DST_GATE (W13): h1 rows (even) address the SILU ROM, h3 rows (odd) combine with it
//            (rf_swiglu), the gate (G_BITS: ACT_WIDE_BITS) written SWIGLU_LAT = 5 cycles after the
//            h3 row (g_we).
//   DST_RES  (WO, W2): the row is added to its residual element and saturated to int16, written
//            1 cycle after the row (res_we): the element and the row are registered first.
//   DST_LOGITS (CLS): nothing here (rf_select takes the rows).
// The row tags are delayed to match (rf_delay). `fin` is the matvec's done delayed to the phase's
// last write (sim_models/schedule.py GLUE_LAT): QKV and CLS 0 (v rows come last), RES 1, GATE
// LAT = 5: the sequencer's end of the phase. `early` is the done delayed EARLY cycles less than the
// GATE fin (sim_models/schedule.py w2_lead: W2's matvec starts then). `clear` (every phase entry)
// points rope_pair at pair 0.
`default_nettype none

module rf_rowglue #(
    parameter integer QK_ROWS   = 96,        // q and k rows: DIM + KV_DIM
    parameter integer V_ROWS    = 32,        // v rows: KV_DIM
    parameter integer EARLY     = 0,         // `early` leads the GATE fin by this many cycles (0 .. 5)
    parameter integer HEAD_SIZE = 16,
    parameter integer RES_ELEMS = 64,        // residual elements (lane-padded DIM)
    parameter integer PAIR_BITS = 3,         // rope_pair: log2(HEAD_SIZE / 2)
    parameter integer SILU_DEPTH = 256,
    parameter integer SILU_BITS  = 8,
    parameter         SILU_FILE  = "",
    parameter integer QKV_BITS   = 8,        // q, k, v width: ACT_QKV_BITS (the matvec saturated the rows to it)
    parameter integer G_BITS     = 8         // gate width: ACT_WIDE_BITS
) (
    input  wire                      clk,
    input  wire                      rst_n,
    input  wire [1:0]                dst,
    input  wire                      clear,
    input  wire [7:0]                layer,
    input  wire [15:0]               gate_mult,
    input  wire [5:0]                gate_shift,
    // matrix rows
    input  wire                      y_valid,
    input  wire [15:0]               y_row,
    input  wire signed [15:0]        y_data,
    input  wire                      y_done,
    output wire                      fin,
    output wire                      early,
    // RoPE table (rf_rope_gen)
    output reg  [PAIR_BITS-1:0]      rope_pair,
    input  wire [31:0]               cos_sin,
    // the residual, read at the row's element
    input  wire [16*RES_ELEMS-1:0]   x_flat,
    // writes
    output wire                      qk_we,      // rotated pair of q/k row qk_row - 1, qk_row
    output wire [15:0]               qk_row,
    output wire [2*QKV_BITS-1:0]     qk_data,    // {b2, a2}
    output wire                      v_we,
    output wire [15:0]               v_idx,
    output wire [QKV_BITS-1:0]       v_data,
    input  wire [QKV_BITS*V_ROWS-1:0] v_flat,    // the value buffer
    output wire [QKV_BITS*V_ROWS-1:0] kv_v,      // ... with this cycle's v row in place
    output wire                      g_we,
    output wire [15:0]               g_idx,
    output wire [G_BITS-1:0]         g_data,
    output wire                      res_we,
    output wire [15:0]               res_idx,
    output wire signed [15:0]        res_data
);
    localparam [1:0] DST_LOGITS = 2'd0, DST_QKV = 2'd1, DST_GATE = 2'd2, DST_RES = 2'd3;
    localparam integer HALF = HEAD_SIZE / 2;
    localparam integer LAT  = 5;                 // rf_swiglu's register stages (PIPELINE["glue"])

    // row tags, delayed: tap i is the row of i + 1 cycles ago
    wire [18*LAT-1:0] tags;
    wire [17:0]       tag_q;
    rf_delay #(.WIDTH(18), .DEPTH(LAT), .RESET(1)) u_tags (
        .clk(clk), .rst_n(rst_n), .d({y_done, y_valid, y_row}), .taps(tags), .q(tag_q));
    wire        g1_valid = tags[16];
    wire [15:0] g1_row   = tags[15:0];
    wire        gq_valid = tag_q[16];
    wire [15:0] gq_row   = tag_q[15:0];
    assign fin   = (dst == DST_GATE) ? tag_q[17] : (dst == DST_RES) ? tags[17] : y_done;
    assign early = (EARLY >= LAT) ? y_done : tags[18 * (LAT - 1 - EARLY) + 17];

    // ---------------------------------------------------------------- RoPE (QKV)
    wire        qk_row_in = y_valid && (dst == DST_QKV) && (y_row < QK_ROWS[15:0]);
    wire [15:0] rope_f    = (y_row % HEAD_SIZE[15:0]) >> 1;
    wire [15:0] rope_next = (rope_f == HALF[15:0] - 16'd1) ? 16'd0 : rope_f + 16'd1;
    localparam integer QB = QKV_BITS;
    wire signed [QB-1:0] y_q = y_data[QB-1:0];
    reg  signed [QB-1:0] even_val;
    always @(posedge clk) begin
        if (!rst_n) begin
            rope_pair <= {PAIR_BITS{1'b0}};
            even_val  <= {QB{1'b0}};
        end else begin
            // the table address points at the pair being assembled: pair 0 at entry, the next
            // pair after each odd row, so the ROM data is ready when the odd row arrives
            if (clear) rope_pair <= {PAIR_BITS{1'b0}};
            else if (qk_row_in && y_row[0]) rope_pair <= PAIR_BITS'(rope_next);
            if (qk_row_in && !y_row[0]) even_val <= y_q;
        end
    end
    wire signed [QB-1:0] rope_a;
    wire signed [QB-1:0] rope_b;
    rf_rope #(.BITS(QB)) u_rope (
        .clk(clk), .a(even_val), .b(y_q), .c(cos_sin[15:0]), .s(cos_sin[31:16]),
        .a2(rope_a), .b2(rope_b));
    assign qk_we   = g1_valid && (dst == DST_QKV) && (g1_row < QK_ROWS[15:0]) && g1_row[0];
    assign qk_row  = g1_row;
    assign qk_data = {rope_b, rope_a};
    assign v_we    = y_valid && (dst == DST_QKV) && (y_row >= QK_ROWS[15:0]);
    assign v_idx   = y_row - QK_ROWS[15:0];
    assign v_data  = y_q;
    genvar vi;
    generate
        for (vi = 0; vi < V_ROWS; vi = vi + 1) begin : g_kv_v
            assign kv_v[QB*vi +: QB] = (v_we && v_idx == 16'(vi)) ? v_data : v_flat[QB*vi +: QB];
        end
    endgenerate

    // ---------------------------------------------------------------- SwiGLU (W13)
    // The h1 row's address goes to the SILU ROM in its own cycle (the data is ready for the h3
    // row in the next cycle) and is held in silu_addr for any gap between rows.
    reg  [SILU_BITS-1:0] silu_addr;
    wire                 h1_row    = y_valid && (dst == DST_GATE) && !y_row[0];
    wire [SILU_BITS-1:0] silu_next = SILU_BITS'(layer) * SILU_BITS'(256) + SILU_BITS'(y_data[7:0] ^ 8'h80);
    wire [15:0]          silu_data;
    always @(posedge clk) begin
        if (!rst_n)      silu_addr <= {SILU_BITS{1'b0}};
        else if (h1_row) silu_addr <= silu_next;
    end
    rf_rom #(.WIDTH(16), .DEPTH(SILU_DEPTH), .ADDR_BITS(SILU_BITS), .FILE(SILU_FILE)) u_silu (
        .clk(clk), .en(1'b1), .addr(h1_row ? silu_next : silu_addr), .rdata(silu_data));
    rf_swiglu #(.OUT_BITS(G_BITS)) u_swiglu (
        .clk(clk), .silu(silu_data), .h3(y_data[7:0]), .mult(gate_mult), .shift(gate_shift), .g(g_data));
    assign g_we  = gq_valid && (dst == DST_GATE) && gq_row[0];
    assign g_idx = gq_row >> 1;

    // ---------------------------------------------------------------- residual (WO, W2)
    // the addressed element and the row's value are registered (the element mux ends there),
    // then added, saturated and written one cycle after the row (timing)
    reg  signed [15:0] res_old;
    reg  signed [15:0] res_y;
    always @(posedge clk) begin
        res_old <= $signed(x_flat[16*y_row +: 16]);
        res_y   <= y_data;
    end
    wire signed [16:0] res_sum = 17'(res_old) + 17'(res_y);
    rf_sat #(.IN_BITS(17), .OUT_BITS(16)) u_res_sat (.x(res_sum), .y(res_data));   // sign bits, no comparators
    assign res_we  = g1_valid && (dst == DST_RES);
    assign res_idx = g1_row;

    wire unused_ok = &{1'b0, tags, DST_LOGITS, rope_next};
endmodule

`default_nettype wire
