"""rf_rope against sim_models.golden.rope: extremes, random q/k elements and int16 and on-circle
COS/SIN, one operand set per clock through its register stage (ROPE_LAT). The element width is the
unit's BITS (an activation format's qkv_bits: 8 for --act static, 12 for --act mx); at 8 bits every
(a, b) pair is driven, wider ones get as many random pairs."""
from __future__ import annotations

import itertools

import cocotb
import numpy as np
from cocotb.clock import Clock

from sim_models.golden import rope
from tb.unit.common import check_pipelined

ROPE_LAT = 1   # hdl/rf_rope.v: products registered, result combinational from them
EXHAUSTIVE_BITS = 8   # every (a, b) pair up to this width (65,536 pairs)

CS_EDGE = (-32768, -32767, -16384, -1, 0, 1, 16383, 16384, 32767)


def element_edges(bits: int) -> tuple[int, ...]:
    top = 1 << (bits - 1)
    return (-top, -top + 1, -1, 0, 1, top - 1)


def vectors(rng: np.random.Generator, bits: int) -> tuple[np.ndarray, ...]:
    a_edge = element_edges(bits)
    edge = np.array(list(itertools.product(a_edge, a_edge, CS_EDGE, CS_EDGE)), dtype=np.int64)
    # (a, b) pairs once with full-range (c, s), once with realistic table entries on the circle of
    # radius 2^14
    top = 1 << (bits - 1)
    if bits <= EXHAUSTIVE_BITS:
        ab = np.array(list(itertools.product(range(-top, top), repeat=2)), dtype=np.int64)
    else:
        ab = rng.integers(-top, top, (1 << (2 * EXHAUSTIVE_BITS), 2))
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
    bits = int(dut.BITS.value)
    a, b, c, s = vectors(rng, bits)
    want = rope(np.stack([a, b], axis=1)[:, None, :], c[:, None], s[:, None], bits)[:, 0, :]   # (n, 2)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(i: int) -> None:
        dut.a.value, dut.b.value = int(a[i]), int(b[i])
        dut.c.value, dut.s.value = int(c[i]), int(s[i])

    await check_pipelined(dut, drive, lambda: (dut.a2.value.to_signed(), dut.b2.value.to_signed()),
                          lambda i: (int(want[i, 0]), int(want[i, 1])), len(a), ROPE_LAT,
                          lambda i: f"a={a[i]} b={b[i]} c={c[i]} s={s[i]}")
    dut._log.info("rf_rope: %d vectors at %d bits match golden.rope", len(a), bits)
