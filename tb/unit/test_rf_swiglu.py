"""rf_swiglu against sim_models.golden.swiglu_gate(silu, h3, M_g, S_g, OUT_BITS): extremes and random,
one operand set per clock through its register stages (SWIGLU_LAT). OUT_BITS is the unit's parameter
(an activation format's wide_bits: 8 for --act static, 15 for --act mx)."""
from __future__ import annotations

import itertools

import cocotb
import numpy as np
from cocotb.clock import Clock

from sim_models.golden import swiglu_gate
from sim_models.schedule import PIPELINE
from sim_models.tables import silu_table
from tb.unit.common import check_pipelined

SWIGLU_LAT = PIPELINE["glue"]   # hdl/rf_swiglu.v: silu * h3, * M, round/shift registered; g = sat of it
                                # (the core's row glue waits exactly this long)

SILU_EDGE = (-32768, -32767, -1, 0, 1, 255, 256, 32767)
H3_EDGE = (-128, -127, -1, 0, 1, 127)
MULT_EDGE = (0, 1 << 14, (1 << 15) - 1, 1 << 15, 65535)
SHIFT_EDGE = (0, 1, 2, 14, 22, 23, 24, 37, 38, 39, 62)


def vectors(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    edge = np.array(list(itertools.product(SILU_EDGE, H3_EDGE, MULT_EDGE, SHIFT_EDGE)), dtype=np.int64)
    n = 8000   # full ranges
    rand = np.stack([rng.integers(-32768, 32768, n), rng.integers(-128, 128, n),
                     rng.integers(0, 1 << 16, n), rng.integers(0, 63, n)], axis=1)
    m = 6000   # realistic: entries of a SILU table, M in [2^14, 2^15], S around the product scale
    table = silu_table(float(rng.uniform(0.01, 0.1)))
    real = np.stack([table[rng.integers(0, 256, m)], rng.integers(-128, 128, m),
                     rng.integers(1 << 14, (1 << 15) + 1, m), rng.integers(14, 34, m)], axis=1)
    silu, h3, mult, shift = np.concatenate([edge, rand, real]).T
    return silu, h3, mult, shift


@cocotb.test()
async def swiglu_vectors(dut) -> None:
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    silu, h3, mult, shift = vectors(rng)
    out_bits = int(dut.OUT_BITS.value)
    want = swiglu_gate(silu, h3, mult, shift, out_bits)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    def drive(i: int) -> None:
        dut.silu.value, dut.h3.value = int(silu[i]), int(h3[i])
        dut.mult.value, dut.shift.value = int(mult[i]), int(shift[i])

    await check_pipelined(dut, drive, lambda: dut.g.value.to_signed(), lambda i: int(want[i]), len(silu),
                          SWIGLU_LAT, lambda i: f"silu={silu[i]} h3={h3[i]} mult={mult[i]} shift={shift[i]}")
    dut._log.info("rf_swiglu: %d vectors match golden.swiglu_gate (OUT_BITS %d)", len(silu), out_bits)
