"""rf_perf: random forward passes (start, busy cycles, final cycle), token events and
CLEAR_COUNTERS pulses at any time, the four counters checked after every edge against the rules
of docs/registers.md (CLEAR wins over a count in the same cycle; LAST_CYCLES includes the final
cycle; a forward pass's own count is not cleared)."""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from tb.unit.common import hold_reset


@cocotb.test()
async def perf_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["clear", "busy", "fwd_start", "fwd_end", "tok_in", "tok_out"])
    want = {"cnt_cycles": 0, "cnt_tokens_in": 0, "cnt_tokens_out": 0, "cnt_last_cycles": 0}
    fwd, left = 0, 0                       # cycles of the pass in flight; its cycles still to run
    for cycle in range(3000):
        await FallingEdge(dut.clk)
        start = left == 0 and rng.random() < 0.2
        busy = left > 0
        end = left == 1
        clear = rng.random() < 0.03
        tok_in = not busy and rng.random() < 0.3
        tok_out = not busy and not tok_in and rng.random() < 0.3
        for name, v in (("clear", clear), ("busy", busy), ("fwd_start", start), ("fwd_end", end),
                        ("tok_in", tok_in), ("tok_out", tok_out)):
            getattr(dut, name).value = int(v)
        await RisingEdge(dut.clk)
        if clear:
            want = dict.fromkeys(want, 0)
        else:
            want["cnt_cycles"] += busy
            want["cnt_tokens_in"] += tok_in
            want["cnt_tokens_out"] += tok_out
            if end:
                want["cnt_last_cycles"] = fwd + 1
        fwd = 0 if start else fwd + busy
        left = rng.randrange(1, 40) if start else max(left - 1, 0)
        await ReadOnly()
        got = {k: int(getattr(dut, k).value) for k in want}
        assert got == want, f"cycle {cycle}: rtl {got} != model {want}"
    dut._log.info("rf_perf: 3000 cycles match")
