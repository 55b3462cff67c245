"""rf_rope against sim_models.golden.rope: extremes, random int8/int16 and on-circle COS/SIN, one
operand set per clock through its register stage (ROPE_LAT)."""
from __future__ import annotations

import itertools

import cocotb
import numpy as np
from cocotb.clock import Clock

from sim_models.golden import rope
from tb.unit.common import check_pipelined

ROPE_LAT = 1   # hdl/rf_rope.v: products registered, result combinational from them

A_EDGE = (-128, -127, -1, 0, 1, 127)
CS_EDGE = (-32768, -32767, -16384, -1, 0, 1, 16383, 16384, 32767)


def vectors(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    edge = np.array(list(itertools.product(A_EDGE, A_EDGE, CS_EDGE, CS_EDGE)), dtype=np.int64)
    # every (a, b) pair once with full-range (c, s), once with realistic table entries on the
    # circle of radius 2^14
    ab = np.array(list(itertools.product(range(-128, 128), repeat=2)), dtype=np.int64)
    n = len(ab)
    rand = np.concatenate([ab, rng.integers(-32768, 32768, (n, 2))], axis=1)
    ang = rng.uniform(-np.pi, np.pi, n)
    circ = np.concatenate([ab, np.round(np.stack([np.cos(ang), np.sin(ang)], axis=1) * (1 << 14)).astype(np.int64)],
                          axis=1)
    a, b, c, s = np.concatenate([edge, rand, circ]).T
    return a, b, c, s


@cocotb.test()
async def rope_vectors(dut) -> None:
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    a, b, c, s = vectors(rng)
    want = rope(np.stack([a, b], axis=1)[:, None, :], c[:, None], s[:, None])[:, 0, :]   # (n, 2)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(i: int) -> None:
        dut.a.value, dut.b.value = int(a[i]), int(b[i])
        dut.c.value, dut.s.value = int(c[i]), int(s[i])

    await check_pipelined(dut, drive, lambda: (dut.a2.value.to_signed(), dut.b2.value.to_signed()),
                          lambda i: (int(want[i, 0]), int(want[i, 1])), len(a), ROPE_LAT,
                          lambda i: f"a={a[i]} b={b[i]} c={c[i]} s={s[i]}")
    dut._log.info("rf_rope: %d vectors match golden.rope", len(a))
