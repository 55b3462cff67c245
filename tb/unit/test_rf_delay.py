"""rf_delay: random words streamed one per clock; after every edge each tap i holds the word of
i + 1 edges ago (the last tap also on q). With RESET = 1, a synchronous reset in the middle of the
stream clears every stage, and the line refills from the words after it."""
from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from tb.unit.common import hold_reset


@cocotb.test()
async def delay_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    width, depth, reset = int(dut.WIDTH.value), int(dut.DEPTH.value), int(dut.RESET.value)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["d"])
    if not reset:   # no reset: fill the line before the model knows its contents
        for _ in range(depth):
            dut.d.value = 0
            await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    history = [0] * depth                      # history[i]: the word of i + 1 edges ago
    n = 400
    reset_at = n // 2 if reset else -1
    for cycle in range(n):
        word = rng.randrange(1 << width)
        dut.d.value = word
        dut.rst_n.value = 0 if cycle == reset_at else 1
        await RisingEdge(dut.clk)
        history = [0] * depth if cycle == reset_at else [word] + history[:-1]
        await ReadOnly()
        taps = int(dut.taps.value)
        got = [(taps >> (width * i)) & ((1 << width) - 1) for i in range(depth)]
        assert got == history, f"WIDTH={width} DEPTH={depth} cycle {cycle}: taps {got} != {history}"
        assert int(dut.q.value) == history[-1], f"cycle {cycle}: q {int(dut.q.value)} != {history[-1]}"
        await FallingEdge(dut.clk)
    dut._log.info("rf_delay WIDTH=%d DEPTH=%d RESET=%d: %d cycles match", width, depth, reset, n)
