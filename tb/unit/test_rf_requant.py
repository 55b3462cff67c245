"""rf_requant against sim_models.intops.requant, random and seeded (plus edge cases)."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import Timer

from sim_models.intops import requant


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
    for a, m, s, w in zip(acc, mult, shift, want):
        dut.acc.value, dut.mult.value, dut.shift.value = int(a), int(m), int(s)
        await Timer(1, unit="ns")
        got = dut.y.value.to_signed()
        assert got == w, f"ACC_BITS={acc_bits} acc={a} mult={m} shift={s}: rtl {got} != golden {w}"
