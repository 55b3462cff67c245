"""rf_lzc against sim_models.intops.bitlen (the golden RMSNorm's normalization): every single-bit
word and every word with the bits below its leading one random, plus zero and random words;
cnt = WIDTH - bitlen(x), zero high only for 0."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import Timer

from sim_models.intops import bitlen


@cocotb.test()
async def lzc_vectors(dut) -> None:
    rng = random.Random(cocotb.RANDOM_SEED)
    width = int(dut.WIDTH.value)
    words = [0, (1 << width) - 1] + [1 << b for b in range(width)]
    words += [(1 << b) | rng.getrandbits(b) if b else 1 for b in range(width) for _ in range(8)]
    words += [rng.getrandbits(width) for _ in range(500)]
    # intops.bitlen is defined for positive integers; a zero word counts WIDTH leading zeros
    nonzero = np.array([w for w in words if w], dtype=np.int64)
    bits = iter(bitlen(nonzero))
    want = [width - int(next(bits)) if w else width for w in words]
    for x, w in zip(words, want):
        dut.x.value = x
        await Timer(1, unit="ns")
        assert int(dut.cnt.value) == w, f"WIDTH={width} x={x:#x}: cnt {int(dut.cnt.value)} != {w}"
        assert int(dut.zero.value) == (x == 0), f"WIDTH={width} x={x:#x}: zero"
    dut._log.info("rf_lzc WIDTH=%d: %d words match intops.bitlen", width, len(words))
