"""Wide activation vectors for the mx benches (rf_mx_exp, rf_matvec with ACT_FMT 1): block by block at
a random scale, with the edge values of the block exponent rule (docs/arithmetic.md 3b) mixed in."""
from __future__ import annotations

import random

import numpy as np


def wide_vector(rng: random.Random, np_rng: np.random.Generator, n: int, block: int, wide_bits: int,
                scale: int | None = None) -> np.ndarray:
    """n signed `wide_bits`-bit values. Each block of `block` inputs is drawn within +-2^(t+7), t random
    in 0 .. wide_bits - 8 (or `scale`): 10% all zero, 30% shifted down a few bits (its largest magnitude
    below the scale); half of the blocks get one edge value at a random place: -2^(e+7) and -2^(e+7) - 1,
    2^(e+7) - 1 and 2^(e+7) (where the exponent steps), a negative power of two -2^e, the range ends
    -2^(W-1) and 2^(W-1) - 1, -1, 0, 1."""
    lo, hi = -(1 << (wide_bits - 1)), (1 << (wide_bits - 1)) - 1
    v = np.zeros(n, np.int64)
    for start in range(0, n, block):
        size = min(block, n - start)
        t = rng.randrange(0, wide_bits - 7) if scale is None else scale
        kind = rng.random()
        if kind < 0.1:
            blk = np.zeros(size, np.int64)
        else:
            blk = np_rng.integers(-(1 << (t + 7)), 1 << (t + 7), size)
            if kind < 0.4:
                blk >>= rng.randrange(0, 8)
        if rng.random() < 0.5:
            e = rng.randrange(0, wide_bits - 7)
            edge = rng.choice([-(1 << (e + 7)), -(1 << (e + 7)) - 1, (1 << (e + 7)) - 1, 1 << (e + 7),
                               -(1 << e), lo, hi, -1, 0, 1])
            blk[rng.randrange(size)] = max(lo, min(hi, edge))
        v[start:start + size] = blk
    return v


def pack_lanes(vals: np.ndarray, bits: int) -> int:
    """Signed values as one little-endian integer of `bits`-bit fields (value i at [bits*i +: bits])."""
    fields = (np.asarray(vals, np.int64).reshape(-1, 1) >> np.arange(bits)) & 1    # two's complement bits, LSB first
    return int.from_bytes(np.packbits(fields.astype(np.uint8).ravel(), bitorder="little").tobytes(), "little")
