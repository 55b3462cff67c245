// rf_wdecode -- weight decode between the weight ROM and the MAC lanes (docs/arithmetic.md
// section 3a, sim_models/formats.py `decode`): one ROM word of element codes plus the scale
// codes read at the same address -> LANES signed lane operands w_eff of WBITS bits.
// Combinational; it sits in rf_matvec's R stage (ROM data -> products register), so the
// format changes no latency.
//
//   FMT 0 int8    w = code (8-bit two's complement)
//   FMT 1 int4    w = q * g            q: 4-bit two's complement, g: unsigned 4-bit group scale
//   FMT 2 mxfp4   w = fp4x2(c) << d    c: FP4 E2M1 (bit 3 sign), d: 3-bit E8M0 offset from the row
//   FMT 3 nvfp4   w = fp4x2(c) * ((8 + m) << e)   scale code {e[1:0], m[2:0]}: E4M3 relative to the row
//   FMT 4 ternary w = trit - 1         5 trits per byte, byte = sum trit_k * 3^k (lane i: byte i/5, trit i%5)
// fp4x2 = 2 * |E2M1| = 0, 1, 2, 3, 4, 6, 8, 12 for magnitude codes 0..7.
// Scale codes: word holds max(1, LANES / GROUP) codes of SC_BITS bits, code 0 lowest; lane i
// uses code i / GROUP when LANES >= GROUP, else code 0.
`default_nettype none

module rf_wdecode #(
    parameter integer FMT       = 0,
    parameter integer LANES     = 8,
    parameter integer GROUP     = 32,   // inputs per scale code (FMT 1..3)
    parameter integer WORD_BITS = 64,   // weight ROM word
    parameter integer SC_BITS   = 1,    // bits per scale code
    parameter integer SC_WIDTH  = 1,    // scale ROM word (>= 1)
    parameter integer WBITS     = 8     // lane operand
) (
    input  wire [WORD_BITS-1:0]   w_word,
    input  wire [SC_WIDTH-1:0]    s_word,
    output wire [WBITS*LANES-1:0] w_eff
);
    localparam integer NBYTES = (LANES + 4) / 5;   // ternary bytes per word

    function automatic [3:0] fp4x2(input [2:0] mag);
        case (mag)
            3'd0: fp4x2 = 4'd0;
            3'd1: fp4x2 = 4'd1;
            3'd2: fp4x2 = 4'd2;
            3'd3: fp4x2 = 4'd3;
            3'd4: fp4x2 = 4'd4;
            3'd5: fp4x2 = 4'd6;
            3'd6: fp4x2 = 4'd8;
            default: fp4x2 = 4'd12;
        endcase
    endfunction

    // floor(v / 3) for v < 768: (v * 171) >> 9
    function automatic [7:0] div3(input [7:0] v);
        div3 = 8'(({8'd0, v} * 16'd171) >> 9);
    endfunction

    genvar i, b;
    generate
        if (FMT == 4) begin : g_trits
            // digits of each byte: [2k+1:2k] = trit k (k < 4: (v / 3^k) % 3; k = 4: v / 81)
            wire [10*NBYTES-1:0] trits;
            for (b = 0; b < NBYTES; b = b + 1) begin : g_byte
                wire [7:0] v0 = w_word[8*b +: 8];
                wire [7:0] v1 = div3(v0);
                wire [7:0] v2 = div3(v1);
                wire [7:0] v3 = div3(v2);
                wire [7:0] v4 = div3(v3);
                wire [7:0] r0 = v0 - 8'd3 * v1;
                wire [7:0] r1 = v1 - 8'd3 * v2;
                wire [7:0] r2 = v2 - 8'd3 * v3;
                wire [7:0] r3 = v3 - 8'd3 * v4;
                assign trits[10*b +: 10] = {v4[1:0], r3[1:0], r2[1:0], r1[1:0], r0[1:0]};
                wire unused_b = &{1'b0, v4[7:2], r3[7:2], r2[7:2], r1[7:2], r0[7:2]};
            end
            for (i = 0; i < LANES; i = i + 1) begin : g_lane
                wire [1:0] t = trits[10*(i/5) + 2*(i%5) +: 2];
                wire [1:0] w = t - 2'd1;      // 0 -> -1, 1 -> 0, 2 -> +1 (3, never written, -> -2)
                assign w_eff[WBITS*i +: WBITS] = WBITS'($signed(w));
            end
            wire unused_t = &{1'b0, s_word, trits};   // trits of the padding lanes of the last byte
        end else begin : g_lanes
            for (i = 0; i < LANES; i = i + 1) begin : g_lane
                localparam integer SI = (GROUP > 0 && LANES >= GROUP) ? i / GROUP : 0;
                if (FMT == 0) begin : g_int8
                    assign w_eff[WBITS*i +: WBITS] = WBITS'($signed(w_word[8*i +: 8]));
                end else if (FMT == 1) begin : g_int4
                    wire signed [3:0] q = w_word[4*i +: 4];
                    wire        [3:0] g = s_word[SC_BITS*SI +: 4];
                    assign w_eff[WBITS*i +: WBITS] = WBITS'(q) * WBITS'($signed({1'b0, g}));
                end else if (FMT == 2) begin : g_mxfp4
                    wire [3:0]       c = w_word[4*i +: 4];
                    wire [2:0]       d = s_word[SC_BITS*SI +: 3];
                    wire [WBITS-1:0] m = WBITS'(fp4x2(c[2:0])) << d;
                    assign w_eff[WBITS*i +: WBITS] = c[3] ? -m : m;
                end else begin : g_nvfp4
                    wire [3:0]       c  = w_word[4*i +: 4];
                    wire [4:0]       sc = s_word[SC_BITS*SI +: 5];
                    wire [WBITS-1:0] s  = WBITS'({1'b1, sc[2:0]}) << sc[4:3];
                    wire [WBITS-1:0] m  = WBITS'(fp4x2(c[2:0])) * s;
                    assign w_eff[WBITS*i +: WBITS] = c[3] ? -m : m;
                end
            end
            wire unused_w = &{1'b0, w_word, s_word};
        end
    endgenerate
endmodule

`default_nettype wire
