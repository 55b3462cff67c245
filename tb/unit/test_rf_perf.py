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


@cocotb.test()
async def perf_carry_chains(dut) -> None:
    """Every bit of every counter carries in and falls: each counter preset to 2**k - 1 (for every
    bit k) counts once and must read 2**k (the carry into bit k, every lower bit falling); then
    CLEAR_COUNTERS from all ones must read 0, and fwd_start zeroes the forward-pass count. A run of
    minutes counts a few thousand cycles, so without presets bits above ~12 would never move; no
    counter wraps here (the 64-bit cycle counter needs ~2**64 cycles to)."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    inputs = ["clear", "busy", "fwd_start", "fwd_end", "tok_in", "tok_out"]
    await hold_reset(dut, inputs)
    perf = dut.u_perf          # rf_perf_tb: presets go into the instance's registers
    counters = {"cnt_cycles": (64, "busy"), "cnt_tokens_in": (32, "tok_in"), "cnt_tokens_out": (32, "tok_out"),
                "fwd_cycles": (32, "busy")}

    async def edge(presets: dict[str, int], drive: dict[str, int]) -> None:
        """Between two rising edges: deposit `presets` into the counters and drive the inputs (the
        rest 0); then the rising edge, read after ReadOnly."""
        await FallingEdge(dut.clk)
        for name, value in presets.items():
            getattr(perf, name).value = value
        for name in inputs:
            getattr(dut, name).value = drive.get(name, 0)
        await RisingEdge(dut.clk)
        await ReadOnly()

    for name, (width, strobe) in counters.items():
        for k in range(width):
            # fwd_cycles also feeds LAST_CYCLES (fwd_cycles + 1 at fwd_end): the same carry there
            await edge({name: (1 << k) - 1}, {strobe: 1, "fwd_end": int(name == "fwd_cycles")})
            got = int(getattr(perf, name).value)
            assert got == 1 << k, f"{name} preset {(1 << k) - 1:#x}, one count: rtl {got:#x} != {1 << k:#x}"
            if name == "fwd_cycles":
                last = int(perf.cnt_last_cycles.value)
                assert last == 1 << k, f"LAST_CYCLES after fwd_cycles {(1 << k) - 1:#x}: rtl {last:#x} != {1 << k:#x}"
    await edge({name: (1 << width) - 1 for name, (width, _) in counters.items()}, {"clear": 1})
    for name in ("cnt_cycles", "cnt_tokens_in", "cnt_tokens_out", "cnt_last_cycles"):
        assert int(getattr(perf, name).value) == 0, f"{name} not zeroed by CLEAR_COUNTERS"
    assert int(perf.fwd_cycles.value) == (1 << 32) - 1, "CLEAR_COUNTERS must not clear the pass in flight"
    await edge({}, {"fwd_start": 1})
    assert int(perf.fwd_cycles.value) == 0, "fwd_start must zero the forward-pass count"
    dut._log.info("rf_perf: every counter bit carried in and cleared")
