// rf_divider -- reciprocal of the attention normalizer (docs/arithmetic.md section 6):
//   E = bitlen(P),  INV = floor(2^(E+15) / P)        (sim_models.intops.reciprocal)
//
// P is first normalized so its top set bit sits at bit P_BITS-1:
//   Pn = P << (P_BITS - E)   =>   INV = floor(2^(P_BITS+15) / Pn),  Pn in [2^(P_BITS-1), 2^P_BITS)
// so the quotient always has exactly 17 significant bit positions (INV in (2^15, 2^16],
// 2^16 exactly when P is a power of two) whatever E is. A restoring division then makes one
// quotient bit per cycle, MSB first: the partial remainder starts at 2^(P_BITS-1)
// (= 2^(P_BITS+15) >> 16) and is doubled after every step (the dividend's low bits are zero).
//
// Latency DIV_CYCLES = 17, independent of P: start sampled at edge 0 (normalize, latch),
// quotient bits 16..0 at edges 1..17, done high in cycle 17. inv/e are valid from done until
// the next start (e already from cycle 0). start while busy is ignored.
// P = 0 is outside the contract (it gives e = 0, inv = 2^17 - 1).
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
    localparam integer QBITS = 17;
    localparam [P_BITS:0] R_INIT = {2'b01, {(P_BITS - 1){1'b0}}};   // 2^(P_BITS-1)

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

    // ---- restoring iteration, one quotient bit per cycle
    reg              busy;
    reg [4:0]        step;          // quotient bit being produced: 0 -> bit 16 ... 16 -> bit 0
    reg [P_BITS:0]   rem;           // partial remainder (< 2 * divisor)
    reg [P_BITS-1:0] divisor;

    wire             ge       = rem >= {1'b0, divisor};
    wire [P_BITS:0]  rem_next = ge ? rem - {1'b0, divisor} : rem;

    always @(posedge clk) begin
        if (!rst_n) begin
            busy <= 1'b0;
            done <= 1'b0;
            step <= 5'd0;
        end else begin
            done <= 1'b0;
            if (!busy) begin
                if (start) begin
                    busy <= 1'b1;
                    step <= 5'd0;
                end
            end else begin
                step <= step + 5'd1;
                if (step == 5'(QBITS - 1)) begin
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
                rem     <= R_INIT;
                divisor <= p_norm;
                e       <= e_in;
            end
        end else begin
            inv <= {inv[QBITS-2:0], ge};
            rem <= rem_next << 1;
        end
    end
endmodule

`default_nettype wire
