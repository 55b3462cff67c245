"""rf_actbuf: random writes (index anywhere in 0 .. N + 3: writes past the end change nothing),
the flat read checked after every edge against a numpy copy; reset clears every element."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from tb.unit.common import hold_reset


@cocotb.test()
async def actbuf_random(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    n, ew = int(dut.N.value), int(dut.EW.value)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["we", "widx", "wdata"])
    model = np.zeros(n, dtype=object)
    for cycle in range(600):
        await FallingEdge(dut.clk)
        we, idx, data = rng.random() < 0.7, rng.randrange(n + 4), rng.getrandbits(ew)
        reset = cycle == 300
        dut.we.value, dut.widx.value, dut.wdata.value, dut.rst_n.value = int(we), idx, data, int(not reset)
        await RisingEdge(dut.clk)
        if reset:
            model[:] = 0
        elif we and idx < n:
            model[idx] = data
        await ReadOnly()
        flat = int(dut.flat.value)
        got = [(flat >> (ew * i)) & ((1 << ew) - 1) for i in range(n)]
        assert got == list(model), f"N={n} EW={ew} cycle {cycle}: buffer {got} != {list(model)}"
    dut._log.info("rf_actbuf N=%d EW=%d: 600 cycles match", n, ew)
