// rf_delay -- a delay line of DEPTH register stages, WIDTH bits wide: the tags (valid, first,
// last, row index, ...) that travel beside a datapath pipeline, written once for every unit.
//   taps[WIDTH*i +: WIDTH] is d delayed i + 1 cycles (i = 0 .. DEPTH-1); q is the last tap.
// RESET = 1: every stage is cleared by rst_n (synchronous, active low: control tags such as
// valid); RESET = 0: no reset (data tags that are only read beside a valid tag).
`default_nettype none

module rf_delay #(
    parameter integer WIDTH = 1,
    parameter integer DEPTH = 1,     // >= 1
    parameter integer RESET = 1
) (
    input  wire                   clk,
    input  wire                   rst_n,
    input  wire [WIDTH-1:0]       d,
    output wire [WIDTH*DEPTH-1:0] taps,
    output wire [WIDTH-1:0]       q
);
    reg [WIDTH*DEPTH-1:0] line;
    wire [WIDTH*DEPTH-1:0] shifted;
    generate
        if (DEPTH > 1) begin : g_shift
            assign shifted = {line[WIDTH*(DEPTH-1)-1:0], d};
        end else begin : g_one
            assign shifted = d;
        end
        if (RESET != 0) begin : g_reset
            always @(posedge clk) begin
                if (!rst_n) line <= {(WIDTH * DEPTH){1'b0}};
                else        line <= shifted;
            end
        end else begin : g_no_reset
            always @(posedge clk) line <= shifted;
            wire unused_rst = &{1'b0, rst_n};
        end
    endgenerate
    assign taps = line;
    assign q    = line[WIDTH*(DEPTH-1) +: WIDTH];
endmodule

`default_nettype wire
