"""rf_requant against sim_models.intops.requant, random and seeded (plus edge cases). PIPE = 0 is
checked combinationally; PIPE = 1 streams one operand set per clock through its three register
stages (the product, the rounding add, the shift)."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import Timer

from sim_models.intops import requant
from tb.unit.common import check_pipelined

REQUANT_PIPE_LAT = 3   # hdl/rf_requant.v, PIPE = 1: acc * M, then rf_rsr's rounding add and shift


@cocotb.test()
async def random_vectors(dut) -> None:
    """Extremes of acc, mult and every shift 0..62 (also >= the unit's product width, which must
    give exactly 0), then random vectors over the whole range and a typical one."""
    rng = random.Random(cocotb.RANDOM_SEED)
    bits = int(dut.OUT_BITS.value)
    acc_bits = int(dut.ACC_BITS.value)
    lo, hi = -(1 << (acc_bits - 1)), (1 << (acc_bits - 1)) - 1
    vectors = [(a, m, s) for a in (lo, hi, -1, 0, 1, 3) for m in (0, 1, 1 << 14, 1 << 15, (1 << 16) - 1)
               for s in range(63)]
    vectors += [(rng.randint(lo, hi), rng.randrange(1 << 16), rng.randrange(63)) for _ in range(1500)]
    vectors += [(rng.randint(max(lo, -(1 << 20)), min(hi, 1 << 20)), rng.randrange(1 << 14, (1 << 15) + 1),
                 rng.randrange(14, 30)) for _ in range(1500)]
    # the spec (and the golden model) compute acc * M + 2^(S-1) in int64: stay inside that domain
    vectors = [(a, m, s) for a, m, s in vectors if abs(a * m) < (1 << 62)]
    acc, mult, shift = (np.array(v, dtype=np.int64) for v in zip(*vectors))
    want = requant(acc, mult, shift, bits)
    describe = lambda i: f"ACC_BITS={acc_bits} acc={acc[i]} mult={mult[i]} shift={shift[i]}"   # noqa: E731
    if int(dut.PIPE.value) == 0:
        dut.clk.value = 0
        for i, w in enumerate(want):
            dut.acc.value, dut.mult.value, dut.shift.value = int(acc[i]), int(mult[i]), int(shift[i])
            await Timer(1, unit="ns")
            got = dut.y.value.to_signed()
            assert got == w, f"{describe(i)}: rtl {got} != golden {w}"
        return

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(i: int) -> None:
        dut.acc.value, dut.mult.value, dut.shift.value = int(acc[i]), int(mult[i]), int(shift[i])

    await check_pipelined(dut, drive, lambda: dut.y.value.to_signed(), lambda i: int(want[i]), len(want),
                          REQUANT_PIPE_LAT, describe)
