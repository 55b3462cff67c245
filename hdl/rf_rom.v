// rf_rom -- the one ROM wrapper: every ROM image of the chip is read here (docs/rtl.md "rf_rom").
//   ASYNC = 0 (block ROM): rdata is registered: the word at the address presented at
//   a rising edge with en high is on rdata after that edge (1-cycle read latency);
//   with en low rdata holds (a block RAM's read clock enable).
//   OUT_REG = 1 (block ROM only): one more register after the read (2-cycle read latency,
//   en gates both): a large ROM is many block RAMs whose outputs are muxed by the address,
//   spread over the die; the register ends that mux's path before any logic (timing).
//   ASYNC = 1 (a few words, LUT ROM): rdata follows addr combinationally.
//   The image is a $readmemh file (one word per line, most significant hex digit
//   first), FILE a path the simulator or synthesis tool can open.
//   Addresses >= DEPTH are outside the image: what they read is unspecified
//   (address bits above $clog2(DEPTH), if any, read as zero data when set).
`default_nettype none

module rf_rom #(
    parameter integer WIDTH     = 8,
    parameter integer DEPTH     = 256,
    parameter integer ADDR_BITS = 8,
    parameter         FILE      = "",
    parameter integer ASYNC     = 0,
    parameter integer OUT_REG   = 0
) (
    input  wire                 clk,
    input  wire                 en,
    input  wire [ADDR_BITS-1:0] addr,
    output wire [WIDTH-1:0]     rdata
);
    wire [WIDTH-1:0] rd;        // the read (registered unless ASYNC)
    localparam integer IDX_BITS = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    reg [WIDTH-1:0] mem [0:DEPTH-1];

    initial $readmemh(FILE, mem);

    generate
        if (ASYNC != 0) begin : g_async
            wire [IDX_BITS-1:0] idx = IDX_BITS'(addr);
            wire unused_async = ^{1'b0, addr, clk, en};   // no clock; high address bits beyond the image
            assign rd = mem[idx];
        end else if (ADDR_BITS > IDX_BITS) begin : g_wide
            wire high_zero = (addr[ADDR_BITS-1:IDX_BITS] == {(ADDR_BITS - IDX_BITS){1'b0}});
            reg [WIDTH-1:0] rdata_q;
            always @(posedge clk) begin
                if (en) rdata_q <= high_zero ? mem[addr[IDX_BITS-1:0]] : {WIDTH{1'b0}};
            end
            assign rd = rdata_q;
        end else if (ADDR_BITS < IDX_BITS) begin : g_narrow
            wire [IDX_BITS-1:0] idx = {{(IDX_BITS - ADDR_BITS){1'b0}}, addr};
            reg [WIDTH-1:0] rdata_q;
            always @(posedge clk) begin
                if (en) rdata_q <= mem[idx];
            end
            assign rd = rdata_q;
        end else begin : g_exact
            reg [WIDTH-1:0] rdata_q;
            always @(posedge clk) begin
                if (en) rdata_q <= mem[addr];
            end
            assign rd = rdata_q;
        end

        if (OUT_REG != 0 && ASYNC == 0) begin : g_out_reg
            reg [WIDTH-1:0] rd_q;
            always @(posedge clk) begin
                if (en) rd_q <= rd;
            end
            assign rdata = rd_q;
        end else begin : g_no_out_reg
            assign rdata = rd;
        end
    endgenerate
endmodule

`default_nettype wire
