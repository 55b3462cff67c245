// rf_divider -- reciprocal of the attention normalizer (docs/arithmetic.md section 6):
//   E = bitlen(P),  INV = floor(2^(E+15) / P)        (sim_models.intops.reciprocal)
//
// P is first normalized so its top set bit sits at bit P_BITS-1:
//   Pn = P << (P_BITS - E)   =>   INV = floor(2^(P_BITS+15) / Pn),  Pn in [2^(P_BITS-1), 2^P_BITS)
// so the quotient always has exactly 17 significant bit positions (INV in (2^15, 2^16],
// 2^16 exactly when P is a power of two) whatever E is. A restoring division makes the quotient
// MSB first: the partial remainder starts at 2^(P_BITS-1) (= 2^(P_BITS+15) >> 16) and is doubled
// after every step (the dividend's low bits are zero). Bit 16 is 1 exactly when P is a power of
// two (Pn = 2^(P_BITS-1)), taken from P at the start edge; bits 15..0 follow two per cycle (two
// compare-subtract steps in series: one adder pair per stage).
//
// Latency DIV_CYCLES = 8, independent of P: start sampled at edge 0 (normalize, bit 16, latch),
// quotient bits 15..0 at edges 1..8, done high in cycle 8. inv/e are valid from done until
// the next start (e already from cycle 0). start while busy is ignored.
// P = 0 is outside the contract (it gives e = 0 and an inv that means nothing).
`default_nettype none

module rf_divider #(
    parameter integer P_BITS = 24            // width of P (the attention sum, >= 2)
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              start,
    input  wire [P_BITS-1:0] p,              // P >= 1, unsigned
    output reg               done,
    output reg  [16:0]       inv,            // floor(2^(E+15) / P)
    output reg  [7:0]        e               // bitlen(P), 1..P_BITS
);
    localparam integer STEPS = 8;                                    // cycles of two quotient bits
    localparam [P_BITS:0] R_POW2 = {1'b1, {P_BITS{1'b0}}};           // remainder after bit 16 = 0

    // ---- normalization (combinational, from the p input at the start edge)
    reg [7:0]        e_in;
    reg [P_BITS-1:0] p_norm;
    integer i;
    always @(*) begin
        e_in = 8'd0;
        for (i = 0; i < P_BITS; i = i + 1)
            if (p[i]) e_in = 8'(i + 1);
        p_norm = p << (8'(P_BITS) - e_in);
    end
    wire             pow2 = ((p & (p - 1'b1)) == {P_BITS{1'b0}});     // quotient bit 16

    // ---- restoring iteration, two quotient bits per cycle
    reg              busy;
    reg [2:0]        step;          // 0 -> bits 15, 14 ... 7 -> bits 1, 0
    reg [P_BITS:0]   rem;           // partial remainder, doubled (< 2 * divisor)
    reg [P_BITS-1:0] divisor;

    // one step: quotient bit = rem >= divisor (no borrow), the remainder (minus the divisor if so) doubled
    wire [P_BITS+1:0] d1  = {1'b0, rem} - {2'b0, divisor};
    wire              ge1 = !d1[P_BITS+1];
    wire [P_BITS:0]   r1  = {(ge1 ? d1[P_BITS-1:0] : rem[P_BITS-1:0]), 1'b0};   // < 2 * divisor
    wire [P_BITS+1:0] d2  = {1'b0, r1} - {2'b0, divisor};
    wire              ge2 = !d2[P_BITS+1];
    wire [P_BITS:0]   r2  = {(ge2 ? d2[P_BITS-1:0] : r1[P_BITS-1:0]), 1'b0};

    always @(posedge clk) begin
        if (!rst_n) begin
            busy <= 1'b0;
            done <= 1'b0;
            step <= 3'd0;
        end else begin
            done <= 1'b0;
            if (!busy) begin
                if (start) begin
                    busy <= 1'b1;
                    step <= 3'd0;
                end
            end else begin
                step <= step + 3'd1;
                if (step == 3'(STEPS - 1)) begin
                    busy <= 1'b0;
                    done <= 1'b1;
                end
            end
        end
    end

    // datapath: no reset needed (always loaded at start before use)
    always @(posedge clk) begin
        if (!busy) begin
            if (start) begin
                rem     <= pow2 ? {(P_BITS + 1){1'b0}} : R_POW2;
                divisor <= p_norm;
                e       <= e_in;
                inv     <= {16'd0, pow2};
            end
        end else begin
            inv <= {inv[14:0], ge1, ge2};
            rem <= r2;
        end
    end
endmodule

`default_nettype wire
