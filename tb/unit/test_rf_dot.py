"""rf_dot: N signed products and their sum three register stages later, one operand pair per clock:
the extremes of both operands (every product's sign and the largest magnitude in every lane), then
random vectors, each sum equal to the exact integer dot product. An N that is not a multiple of the
tree group (rf_dot_n5: three padding entries) checks that the padding adds nothing."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock

from tb.unit.common import check_pipelined

DOT_LAT = 3   # hdl/rf_dot.v: products, group sums, the sum


def pack(values: np.ndarray, bits: int) -> int:
    """N signed values as one N*bits-bit word, value i at [bits*i +: bits]."""
    word = 0
    for i, v in enumerate(values.tolist()):
        word |= (int(v) & ((1 << bits) - 1)) << (bits * i)
    return word


@cocotb.test()
async def dot_vectors(dut) -> None:
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    n, abits, bbits = int(dut.N.value), int(dut.ABITS.value), int(dut.BBITS.value)
    alo, ahi, blo, bhi = -(1 << (abits - 1)), (1 << (abits - 1)) - 1, -(1 << (bbits - 1)), (1 << (bbits - 1)) - 1
    extremes = [(np.full(n, a), np.full(n, b)) for a in (alo, ahi, 0, -1) for b in (blo, bhi, 1, -1)]
    randoms = [(rng.integers(alo, ahi + 1, n), rng.integers(blo, bhi + 1, n)) for _ in range(600)]
    vectors = extremes + randoms
    want = [int(np.dot(a.astype(np.int64), b.astype(np.int64))) for a, b in vectors]
    random.Random(cocotb.RANDOM_SEED).shuffle(order := list(range(len(vectors))))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(i: int) -> None:
        a, b = vectors[order[i]]
        dut.a.value, dut.b.value = pack(a, abits), pack(b, bbits)

    await check_pipelined(dut, drive, lambda: dut.sum.value.to_signed(), lambda j: want[order[j]], len(vectors),
                          DOT_LAT, lambda j: f"N={n} a={vectors[order[j]][0].tolist()} b={vectors[order[j]][1].tolist()}")
    dut._log.info(f"rf_dot N={n}: {len(vectors)} dot products exact")
