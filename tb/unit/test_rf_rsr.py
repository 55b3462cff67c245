"""rf_rsr against sim_models.intops.rsr: every shift 0..62 (also >= IN_BITS, which must give exactly
0) at the extremes of p, then random vectors. PIPE = 0 is checked combinationally; PIPE = 1 streams
one operand set per clock through its two register stages (the rounding add, then the shift)."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import Timer

from sim_models.intops import rsr
from tb.unit.common import check_pipelined

RSR_PIPE_LAT = 2   # hdl/rf_rsr.v, PIPE = 1: p + half registered, then the shifted value


@cocotb.test()
async def rsr_vectors(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    bits = int(dut.IN_BITS.value)
    pipe = int(dut.PIPE.value)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    vectors = [(p, s) for p in (lo, lo + 1, hi, -1, 0, 1, 3, -3) for s in range(63)]
    vectors += [(rng.randint(lo, hi), rng.randrange(63)) for _ in range(2000)]
    p, shift = (np.array(v, dtype=np.int64) for v in zip(*vectors))
    want = rsr(p, shift)
    describe = lambda i: f"IN_BITS={bits} PIPE={pipe} p={p[i]} shift={shift[i]}"   # noqa: E731
    if pipe == 0:
        dut.clk.value = 0
        for i in range(len(p)):
            dut.p.value, dut.shift.value = int(p[i]), int(shift[i])
            await Timer(1, unit="ns")
            got = dut.r.value.to_signed()
            assert got == want[i], f"{describe(i)}: rtl {got} != golden {want[i]}"
        return

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(i: int) -> None:
        dut.p.value, dut.shift.value = int(p[i]), int(shift[i])

    await check_pipelined(dut, drive, lambda: dut.r.value.to_signed(), lambda i: int(want[i]), len(p),
                          RSR_PIPE_LAT, describe)
