// rf_rom -- generic synchronous ROM (docs/rtl.md "rf_rom").
//   rdata is registered: the word at the address presented at rising edge t is
//   on rdata after edge t (1-cycle read latency). The image is a $readmemh file
//   (one word per line, most significant hex digit first), FILE an absolute path.
//   Addresses >= DEPTH are outside the image: what they read is unspecified
//   (address bits above $clog2(DEPTH), if any, read as zero data when set).
`default_nettype none

module rf_rom #(
    parameter integer WIDTH     = 8,
    parameter integer DEPTH     = 256,
    parameter integer ADDR_BITS = 8,
    parameter         FILE      = ""
) (
    input  wire                 clk,
    input  wire [ADDR_BITS-1:0] addr,
    output reg  [WIDTH-1:0]     rdata
);
    localparam integer IDX_BITS = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    reg [WIDTH-1:0] mem [0:DEPTH-1];

    initial $readmemh(FILE, mem);

    generate
        if (ADDR_BITS > IDX_BITS) begin : g_wide
            wire high_zero = (addr[ADDR_BITS-1:IDX_BITS] == {(ADDR_BITS - IDX_BITS){1'b0}});
            always @(posedge clk) begin
                rdata <= high_zero ? mem[addr[IDX_BITS-1:0]] : {WIDTH{1'b0}};
            end
        end else if (ADDR_BITS < IDX_BITS) begin : g_narrow
            wire [IDX_BITS-1:0] idx = {{(IDX_BITS - ADDR_BITS){1'b0}}, addr};
            always @(posedge clk) begin
                rdata <= mem[idx];
            end
        end else begin : g_exact
            always @(posedge clk) begin
                rdata <= mem[addr];
            end
        end
    endgenerate
endmodule

`default_nettype wire
