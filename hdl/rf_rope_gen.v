// rf_rope_gen -- the RoPE COS/SIN entries of one position (docs/arithmetic.md section 5).
//
// The RoPE ROM holds angle-addition base tables (sim_models.tables.rope_base): rows 0..LO-1
// the angles lo * theta_f, row LO + hi the angle LO * hi * theta_f, one 32-bit word
// {SIN, COS} (int16, 14 fraction bits) per row and frequency f, HALF words per row. For a
// position pos = LO * hi + lo, pair f is
//   cos = rsr(cl*ch - sl*sh, 14)      sin = rsr(sl*ch + cl*sh, 14)
// (tables.rope_at). A start pulse with pos reads the LO and the HI word of each pair in turn
// (one ROM read per cycle), multiplies in the next cycle and rounds in the one after: the
// HALF pairs are in the table 2 * HALF + 3 cycles after start (GEN_CYCLES), when busy falls.
// rf_core starts it as a token's embedding begins (pair f is in the table 2f + 5 cycles later,
// before the embedding, the attention RMSNorm and 2f + 2 QKV rows have run; sim_models.schedule
// checks it). The pair table is read
// combinationally at `pair`. A start while busy restarts for the new position.
// |c|, |s| <= 2^14 + 2 in the ROM, so each product fits 32 bits signed, each sum 33, and the
// rounded result |x| <= 16386 fits the 16-bit output.
`default_nettype none

module rf_rope_gen #(
    parameter integer HALF      = 8,     // frequency pairs per head (HEAD_SIZE / 2)
    parameter integer LO_BITS   = 4,     // pos = 2^LO_BITS * hi + lo (tables.ROPE_LO_BITS)
    parameter integer DEPTH     = 256,   // ROM words: (2^LO_BITS + hi rows) * HALF
    parameter integer ADDR_BITS = 8,
    parameter         FILE      = "",
    parameter integer PAIR_BITS = (HALF > 1) ? $clog2(HALF) : 1
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  start,
    input  wire [15:0]           pos,
    input  wire [PAIR_BITS-1:0]  pair,
    output wire [31:0]           cos_sin,   // {SIN, COS} of pair `pair`
    output wire                  busy
);
    localparam integer FRAC   = 14;
    localparam integer LO     = 1 << LO_BITS;
    localparam integer READS  = 2 * HALF;               // LO and HI word per pair
    localparam integer RB     = $clog2(READS + 1);

    // ---------------------------------------------------------------- read sequencer
    reg  [RB-1:0]        rd;        // next read: pair rd >> 1, LO word when rd[0] == 0
    reg                  rd_on;
    reg  [15:0]          pos_r;
    reg  [RB-1:0]        got;       // the read whose word is on rom_data
    reg                  got_on;
    reg                  prod_on;   // products of pair prod_f are registered
    reg  [PAIR_BITS-1:0] prod_f;

    always @(posedge clk) begin
        if (!rst_n) begin
            rd_on   <= 1'b0;
            got_on  <= 1'b0;
            prod_on <= 1'b0;
            rd      <= {RB{1'b0}};
            got     <= {RB{1'b0}};
            pos_r   <= 16'd0;
        end else begin
            got_on  <= rd_on && !start;
            got     <= rd;
            prod_on <= got_on && got[0] && !start;
            if (start) begin
                rd    <= {RB{1'b0}};
                rd_on <= 1'b1;
                pos_r <= pos;
            end else if (rd_on) begin
                rd <= rd + RB'(1);
                if (rd == RB'(READS - 1)) rd_on <= 1'b0;
            end
        end
    end

    wire [PAIR_BITS-1:0] rd_f   = PAIR_BITS'(rd >> 1);
    wire [ADDR_BITS-1:0] row    = rd[0] ? ADDR_BITS'(LO) + ADDR_BITS'(pos_r >> LO_BITS)
                                        : ADDR_BITS'(pos_r[LO_BITS-1:0]);
    wire [ADDR_BITS-1:0] addr   = row * ADDR_BITS'(HALF) + ADDR_BITS'(rd_f);
    wire [31:0]          rom_data;

    rf_rom #(.WIDTH(32), .DEPTH(DEPTH), .ADDR_BITS(ADDR_BITS), .FILE(FILE)) u_rom (
        .clk(clk), .en(1'b1), .addr(addr), .rdata(rom_data));

    // ---------------------------------------------------------------- multiply, round
    reg  signed [15:0] lo_c;
    reg  signed [15:0] lo_s;
    reg  signed [31:0] p_cc;        // cl * ch
    reg  signed [31:0] p_ss;        // sl * sh
    reg  signed [31:0] p_sc;        // sl * ch
    reg  signed [31:0] p_cs;        // cl * sh
    reg         [31:0] tab [0:HALF-1];

    wire signed [15:0] hi_c = rom_data[15:0];
    wire signed [15:0] hi_s = rom_data[31:16];
    wire signed [32:0] sum_c = 33'(p_cc) - 33'(p_ss) + 33'sd8192;   // + 2^(FRAC-1)
    wire signed [32:0] sum_s = 33'(p_sc) + 33'(p_cs) + 33'sd8192;
    wire signed [32:0] new_c = sum_c >>> FRAC;
    wire signed [32:0] new_s = sum_s >>> FRAC;

    always @(posedge clk) begin
        if (got_on && !got[0]) begin
            lo_c <= rom_data[15:0];
            lo_s <= rom_data[31:16];
        end
        if (got_on && got[0]) begin
            p_cc   <= 32'(lo_c) * 32'(hi_c);
            p_ss   <= 32'(lo_s) * 32'(hi_s);
            p_sc   <= 32'(lo_s) * 32'(hi_c);
            p_cs   <= 32'(lo_c) * 32'(hi_s);
            prod_f <= PAIR_BITS'(got >> 1);
        end
        if (prod_on) tab[prod_f] <= {new_s[15:0], new_c[15:0]};
    end

    assign cos_sin = tab[pair];
    assign busy    = rd_on || got_on || prod_on;

    wire unused_ok = &{1'b0, new_c[32:16], new_s[32:16]};
endmodule

`default_nettype wire
