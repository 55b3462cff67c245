// rf_lzc -- leading-zero count of a WIDTH-bit word, combinational: cnt is the number of zero bits
// above the most significant one (WIDTH when x is 0, with `zero` high), so the most significant
// one is bit WIDTH-1-cnt. A balanced tree (log2 WIDTH levels of 2:1 choices), not a WIDTH-deep
// priority chain. rf_rmsnorm normalizes its sum of squares with it.
`default_nettype none

module rf_lzc #(
    parameter integer WIDTH = 48,
    parameter integer CNT_BITS = $clog2(WIDTH + 1)
) (
    input  wire [WIDTH-1:0]    x,
    output wire [CNT_BITS-1:0] cnt,
    output wire                zero
);
    localparam integer LEVELS = (WIDTH > 1) ? $clog2(WIDTH) : 1;
    localparam integer PW     = 1 << LEVELS;                 // padded to a power of two
    // a binary tree in heap order (node 1 the root, leaves PW .. 2PW-1, the MSB first): a node's
    // count is its upper child's, or the upper child's width plus the lower child's count when
    // the upper child is all zero.
    localparam integer CW = LEVELS + 1;                      // a node's count: up to PW
    wire [PW-1:0]     xp = {x, {(PW - WIDTH){1'b0}}};        // padding below: never counted
    reg  [CW*2*PW-1:0] c;                                    // count of node n at [CW*n +: CW]
    reg  [2*PW-1:0]    z;                                    // node n all zero
    integer l, k, n;
    always @(*) begin
        c = {(CW * 2 * PW){1'b0}};
        z = {(2 * PW){1'b1}};
        for (n = 0; n < PW; n = n + 1) begin                 // leaf PW + n is bit PW-1-n (MSB first)
            z[PW + n] = !xp[PW - 1 - n];
            c[CW*(PW + n) +: CW] = CW'(z[PW + n]);
        end
        for (l = LEVELS - 1; l >= 0; l = l - 1) begin        // node n = 2^l + k covers PW >> l bits
            for (k = 0; k < (1 << l); k = k + 1) begin
                n = (1 << l) + k;
                z[n] = z[2 * n] && z[2 * n + 1];
                c[CW*n +: CW] = z[2 * n] ? CW'(PW >> (l + 1)) + c[CW*(2*n + 1) +: CW] : c[CW*(2*n) +: CW];
            end
        end
    end
    wire [CW-1:0] root = c[CW +: CW];
    assign zero = !(|x);
    assign cnt  = zero ? CNT_BITS'(WIDTH) : CNT_BITS'(root);
    wire unused_ok = &{1'b0, root, c[CW-1:0], z[0]};
endmodule

`default_nettype wire
