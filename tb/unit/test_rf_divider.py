"""rf_divider against sim_models.intops.reciprocal: random and edge P, exact latency."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim_models.intops import reciprocal
from sim_models.schedule import PIPELINE
from tb.unit.common import hold_reset

DIV_CYCLES = PIPELINE["divider"]   # start sampled at edge 0 -> done high in cycle DIV_CYCLES


async def reset(dut) -> None:
    await hold_reset(dut, ("start", "p"))
    await RisingEdge(dut.clk)


async def divide(dut, p: int, poke_busy: int | None = None) -> tuple[int, int]:
    """Start one division at the next edge; check done comes exactly DIV_CYCLES later.

    poke_busy: also pulse start (with another P) that many cycles into the run; it must be ignored.
    """
    dut.start.value = 1
    dut.p.value = p
    await RisingEdge(dut.clk)                      # edge 0: start sampled
    dut.start.value = 0
    dut.p.value = 0
    for cycle in range(1, DIV_CYCLES + 1):
        await RisingEdge(dut.clk)                  # edge `cycle`
        dut.start.value = 1 if cycle == poke_busy else 0   # sampled at the next edge, while busy
        dut.p.value = 1 if cycle == poke_busy else 0
        await ReadOnly()
        done = int(dut.done.value)
        assert done == (1 if cycle == DIV_CYCLES else 0), f"P={p}: done={done} in cycle {cycle}"
    inv, e = dut.inv.value.to_unsigned(), dut.e.value.to_unsigned()
    # results stay valid after done (until the next start)
    await RisingEdge(dut.clk)
    await ReadOnly()
    assert int(dut.done.value) == 0, "done must be a single-cycle pulse"
    assert dut.inv.value.to_unsigned() == inv and dut.e.value.to_unsigned() == e, "result changed after done"
    await RisingEdge(dut.clk)
    return inv, e


@cocotb.test()
async def reciprocal_vectors(dut) -> None:
    Clock(dut.clk, 10, unit="ns").start()
    rng = random.Random(cocotb.RANDOM_SEED)
    bits = int(dut.P_BITS.value)
    top = (1 << bits) - 1
    edges = [1, 2, 3, top, top - 1, 1 << (bits - 1), (1 << (bits - 1)) + 1, 1 << 15, (1 << 15) + 1]
    edges += [1 << k for k in range(bits)] + [(1 << k) - 1 for k in range(2, bits + 1)]
    edges += [(1 << k) + 1 for k in range(1, bits - 1)]
    randoms = [rng.randrange(1, top + 1) for _ in range(150)]
    randoms += [rng.randrange(1 << 15, min(top, 1 << 20) + 1) for _ in range(100)]   # attention's range
    randoms += [rng.randrange(1, 1 << rng.randrange(1, bits + 1)) for _ in range(100)]  # every bit length
    values = edges + randoms
    want_inv, want_e = reciprocal(np.array(values, dtype=np.int64))

    await reset(dut)
    for i, (p, wi, we) in enumerate(zip(values, want_inv, want_e)):
        poke = rng.randrange(1, DIV_CYCLES) if i % 7 == 3 else None
        inv, e = await divide(dut, p, poke_busy=poke)
        assert (inv, e) == (int(wi), int(we)), f"P={p}: rtl (inv={inv}, e={e}) != golden (inv={wi}, e={we})"
    dut._log.info("checked %d divisions (P_BITS=%d)", len(values), bits)
