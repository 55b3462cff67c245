// rf_xorshift32 -- one step of the xorshift32 generator (docs/arithmetic.md section 9):
//   x ^= x << 13; x ^= x >> 17; x ^= x << 5   (mod 2^32)
// Purely combinational: state_out is the next state (and the generator's output).
`default_nettype none

module rf_xorshift32 (
    input  wire [31:0] state_in,
    output wire [31:0] state_out
);
    wire [31:0] s1 = state_in ^ (state_in << 13);
    wire [31:0] s2 = s1 ^ (s1 >> 17);
    assign state_out = s2 ^ (s2 << 5);
endmodule

`default_nettype wire
