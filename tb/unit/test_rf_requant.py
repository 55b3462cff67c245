"""rf_requant against sim_models.intops.requant, random and seeded (plus edge cases)."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import Timer

from sim_models.intops import requant


@cocotb.test()
async def random_vectors(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    bits = int(dut.OUT_BITS.value)
    vectors = [(-(1 << 31), 1 << 15, 1), ((1 << 31) - 1, 1 << 15, 1), (0, 1 << 14, 62), (-1, 1 << 14, 1),
               (3, 1 << 14, 15)]
    vectors += [(rng.randrange(-(1 << 31), 1 << 31), rng.randrange(1 << 14, (1 << 15) + 1), rng.randrange(1, 63))
                for _ in range(2000)]
    vectors += [(rng.randrange(-(1 << 20), 1 << 20), rng.randrange(1 << 14, (1 << 15) + 1), rng.randrange(14, 30))
                for _ in range(2000)]
    acc, mult, shift = (np.array(v, dtype=np.int64) for v in zip(*vectors))
    want = requant(acc, mult, shift, bits)
    for a, m, s, w in zip(acc, mult, shift, want):
        dut.acc.value, dut.mult.value, dut.shift.value = int(a), int(m), int(s)
        await Timer(1, unit="ns")
        got = dut.y.value.to_signed()
        assert got == w, f"acc={a} mult={m} shift={s}: rtl {got} != golden {w}"
