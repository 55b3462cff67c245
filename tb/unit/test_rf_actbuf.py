"""rf_actbuf: random grouped writes (random lane enables, single lanes included; a group index
anywhere in 0 .. N / G + 1: writes past the end change nothing), the flat read checked after every
edge against a numpy copy; reset clears every element."""
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
    n, ew, g = int(dut.N.value), int(dut.EW.value), int(dut.G.value)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await hold_reset(dut, ["we", "widx", "wdata"])
    model = np.zeros(n, dtype=object)
    for cycle in range(600):
        await FallingEdge(dut.clk)
        r = rng.random()
        we = 0 if r < 0.3 else (1 << rng.randrange(g)) if r < 0.6 else rng.getrandbits(g)
        grp, lanes = rng.randrange(n // g + 2), [rng.getrandbits(ew) for _ in range(g)]
        reset = cycle == 300
        dut.we.value, dut.widx.value, dut.rst_n.value = we, grp, int(not reset)
        dut.wdata.value = sum(v << (ew * j) for j, v in enumerate(lanes))
        await RisingEdge(dut.clk)
        if reset:
            model[:] = 0
        else:
            for j in range(g):
                if (we >> j) & 1 and grp * g + j < n:
                    model[grp * g + j] = lanes[j]
        await ReadOnly()
        flat = int(dut.flat.value)
        got = [(flat >> (ew * i)) & ((1 << ew) - 1) for i in range(n)]
        assert got == list(model), f"N={n} EW={ew} G={g} cycle {cycle}: buffer {got} != {list(model)}"
    dut._log.info("rf_actbuf N=%d EW=%d G=%d: 600 cycles match", n, ew, g)
