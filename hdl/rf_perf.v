// rf_perf -- the performance counters of the register map (docs/registers.md): CYCLES (cycles
// spent in forward passes), TOKENS_IN, TOKENS_OUT and LAST_CYCLES (the cycles of the last
// forward pass, its final cycle included). `clear` (CTRL.CLEAR_COUNTERS) zeroes the four
// register counters and wins over any count in the same cycle. fwd_cycles counts the forward
// pass in flight: zeroed by fwd_start, counted while `busy`, never cleared by `clear`.
`default_nettype none

module rf_perf (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        clear,
    input  wire        busy,        // a forward pass runs this cycle
    input  wire        fwd_start,   // a forward pass starts next cycle
    input  wire        fwd_end,     // the final cycle of a forward pass
    input  wire        tok_in,      // a prompt token is accepted
    input  wire        tok_out,     // a generated token is delivered
    output reg  [63:0] cnt_cycles,
    output reg  [31:0] cnt_tokens_in,
    output reg  [31:0] cnt_tokens_out,
    output reg  [31:0] cnt_last_cycles
);
    reg [31:0] fwd_cycles;
    always @(posedge clk) begin
        if (!rst_n) begin
            cnt_cycles <= 64'd0;
            cnt_tokens_in <= 32'd0;
            cnt_tokens_out <= 32'd0;
            cnt_last_cycles <= 32'd0;
            fwd_cycles <= 32'd0;
        end else begin
            if (fwd_start)  fwd_cycles <= 32'd0;
            else if (busy)  fwd_cycles <= fwd_cycles + 32'd1;
            if (clear) begin
                cnt_cycles <= 64'd0;
                cnt_tokens_in <= 32'd0;
                cnt_tokens_out <= 32'd0;
                cnt_last_cycles <= 32'd0;
            end else begin
                if (busy)    cnt_cycles <= cnt_cycles + 64'd1;
                if (tok_in)  cnt_tokens_in <= cnt_tokens_in + 32'd1;
                if (tok_out) cnt_tokens_out <= cnt_tokens_out + 32'd1;
                if (fwd_end) cnt_last_cycles <= fwd_cycles + 32'd1;
            end
        end
    end
endmodule

`default_nettype wire
