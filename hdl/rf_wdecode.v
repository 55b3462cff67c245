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

    // scale code of lane l: l / GROUP when LANES >= GROUP, else code 0
    function automatic integer scode(input integer l);
        scode = (GROUP > 0 && LANES >= GROUP) ? l / GROUP : 0;
    endfunction

    function automatic [WBITS-1:0] sign(input neg, input [WBITS-1:0] m);
        sign = neg ? -m : m;
    endfunction

    // k-th base-3 digit of a ternary byte: floor(v / 3^k) % 3 for k < 4, floor(v / 81) for
    // k = 4 (bytes above 242 are never written; the golden decode takes their top digit as is)
    function automatic [1:0] trit(input [7:0] v, input integer k);
        reg [7:0] q;
        integer   n;
        begin
            q = v;
            for (n = 0; n < k; n = n + 1) q = div3(q);
            trit = (k == 4) ? 2'(q) : 2'(q - 8'd3 * div3(q));
        end
    endfunction

    // One combinational process per format, covering all lanes: the word changes once per ROM
    // read and every consumer (MAC products, the embedding requant) sees one update of w_eff.
    // (Per-lane continuous assigns into w_eff made Icarus re-evaluate each consumer once per
    // lane: 4-5x slower simulation of the whole core at LANES 32; docs/results.md.)
    generate
        if (FMT == 0) begin : g_int8
            assign w_eff = w_word;                  // WBITS = 8: the codes are the operands
            wire unused_s = &{1'b0, s_word};
        end else if (FMT == 4) begin : g_ternary
            reg [WBITS*LANES-1:0] dec;
            assign w_eff = dec;
            integer i;
            always @(*) begin
                dec = {WBITS*LANES{1'b0}};
                for (i = 0; i < LANES; i = i + 1)   // lane i: byte i/5, trit i%5; 0/1/2 -> -1/0/+1
                    dec[WBITS*i +: WBITS] = WBITS'($signed(trit(w_word[8*(i/5) +: 8], i%5) - 2'd1));
            end
            wire unused_s = &{1'b0, s_word};
        end else begin : g_scaled
            reg [WBITS*LANES-1:0] dec;
            assign w_eff = dec;
            integer i;
            always @(*) begin
                dec = {WBITS*LANES{1'b0}};
                for (i = 0; i < LANES; i = i + 1) begin
                    if (FMT == 1)          // int4: q * g
                        dec[WBITS*i +: WBITS] = WBITS'($signed(w_word[4*i +: 4]))
                            * WBITS'($signed({1'b0, s_word[SC_BITS*scode(i) +: 4]}));
                    else if (FMT == 2)     // mxfp4: fp4x2(c) << d
                        dec[WBITS*i +: WBITS] = sign(w_word[4*i + 3],
                            WBITS'(fp4x2(w_word[4*i +: 3])) << s_word[SC_BITS*scode(i) +: 3]);
                    else                   // nvfp4: fp4x2(c) * ((8 + m) << e)
                        dec[WBITS*i +: WBITS] = sign(w_word[4*i + 3],
                            WBITS'(fp4x2(w_word[4*i +: 3]))
                            * (WBITS'({1'b1, s_word[SC_BITS*scode(i) +: 3]}) << s_word[SC_BITS*scode(i) + 3 +: 2]));
                end
            end
        end
    endgenerate
endmodule

`default_nettype wire
