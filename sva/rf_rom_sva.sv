// rf_rom_sva -- bound into every rf_rom (docs/assertions.md): every read stays within the image
// or one word past its end. Two units read the word past the end and do not use it: the weight
// ROM's en is tied high and its address reaches DEPTH after the image's last words, and
// RMSNorm keeps its gain ROM enabled one cycle after the final norm's last word to move that word
// into the output register; rf_rom reads it as unspecified data. Anything further is an address
// computed wrong. A clocked ROM is checked at every edge with en high; a LUT ROM (ASYNC) has no
// enable: at every edge. rf_rom has no reset: the check starts at the first read within the image
// (before reset clears the units' address registers they may hold anything, e.g. the random
// initial values of ROMFORMER_XRAND=1).
`default_nettype none

module rf_rom_sva #(
    parameter integer DEPTH     = 256,
    parameter integer ADDR_BITS = 8,
    parameter integer ASYNC     = 0
) (
    input wire                 clk,
    input wire                 en,
    input wire [ADDR_BITS-1:0] addr
);
    wire read    = en || ASYNC != 0;
    wire outside = 64'(addr) > 64'(DEPTH);
    reg  armed;                               // a read within the image has been seen
    initial armed = 1'b0;
    always @(posedge clk) if (read && !outside) armed <= 1'b1;

    a_addr_in_range: assert property (@(posedge clk) disable iff (!armed)
        read |-> !outside)
        else $error("rf_rom_sva.a_addr_in_range: %m read address %0d with DEPTH %0d", addr, DEPTH);
endmodule

bind rf_rom rf_rom_sva #(.DEPTH(DEPTH), .ADDR_BITS(ADDR_BITS), .ASYNC(ASYNC)) u_sva (.*);

`default_nettype wire
