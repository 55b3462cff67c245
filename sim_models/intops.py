"""Integer primitives of docs/arithmetic.md section 1, vectorized over int64 arrays.

Every function here is used both by the golden model and by the block-level
RTL unit tests, so the two can never disagree on what an operation means.
"""
from __future__ import annotations

import math

import numpy as np

ArrayLike = np.ndarray | int

MULT_BITS = 15  # M is normalized into [2^14, 2^15]
MIN_SHIFT, MAX_SHIFT = 1, 62


def rsr(a: ArrayLike, s: ArrayLike) -> np.ndarray:
    """Round-shift-right: (a + 2^(s-1)) >> s for s > 0, a for s == 0 (half toward +inf)."""
    a = np.asarray(a, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    return (a + ((np.int64(1) << s) >> 1)) >> s   # (1 << 0) >> 1 == 0: no rounding term


def sat(a: ArrayLike, bits: int) -> np.ndarray:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.minimum(np.maximum(np.asarray(a, dtype=np.int64), lo), hi)


def requant(acc: ArrayLike, mult: ArrayLike, shift: ArrayLike, bits: int) -> np.ndarray:
    """sat(rsr(acc * M, S), bits) -- the one requantization unit."""
    return sat(rsr(np.asarray(acc, dtype=np.int64) * np.asarray(mult, dtype=np.int64), shift), bits)


SMALL = 32  # below this many elements, Python integers beat numpy's per-call overhead


def bitlen(v: ArrayLike) -> np.ndarray:
    """Bit length of positive integers (bitlen(1) == 1), exact for v < 2^62."""
    v = np.asarray(v, dtype=np.int64)
    if v.size <= SMALL:
        return np.array([int(x).bit_length() for x in v.ravel()], dtype=np.int64).reshape(v.shape)
    # frexp is exact for the exponent as long as v fits a float64 mantissa's rounding;
    # correct the rare case where rounding up crosses a power of two.
    _, e = np.frexp(v.astype(np.float64))
    e = e.astype(np.int64)
    too_big = np.left_shift(np.int64(1), np.maximum(e - 1, 0)) > v
    return e - too_big.astype(np.int64)


def quantize_multiplier(ratio: float, what: str = "multiplier") -> tuple[int, int]:
    """Real ratio r > 0 -> (M, S) with M in [2^14, 2^15] and r ~= M * 2^-S."""
    if not (ratio > 0 and math.isfinite(ratio)):
        raise ValueError(f"{what}: ratio must be positive and finite, got {ratio!r}")
    e = math.floor(math.log2(ratio))
    shift = (MULT_BITS - 1) - e
    mult = int(round(ratio * 2.0 ** shift))
    if mult < (1 << (MULT_BITS - 1)):  # log2 rounding at the boundary
        shift += 1
        mult = int(round(ratio * 2.0 ** shift))
    if not MIN_SHIFT <= shift <= MAX_SHIFT:
        raise ValueError(f"{what}: ratio {ratio:.3e} needs shift {shift}, outside [{MIN_SHIFT}, {MAX_SHIFT}]")
    return mult, shift


def quantize_multipliers(ratios: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = [quantize_multiplier(float(r), f"{what}[{i}]") for i, r in enumerate(np.ravel(ratios))]
    mult = np.array([p[0] for p in pairs], dtype=np.int64).reshape(np.shape(ratios))
    shift = np.array([p[1] for p in pairs], dtype=np.int64).reshape(np.shape(ratios))
    return mult, shift


def exp2_neg(u: ArrayLike, exp2_table: np.ndarray) -> np.ndarray:
    """p = EXP2[u & 255] >> (u >> 8), zero once the shift reaches 16 (section 6)."""
    u = np.asarray(u, dtype=np.int64)
    whole = np.right_shift(u, 8)
    p = np.right_shift(exp2_table[u & 255], np.minimum(whole, 16))
    return np.where(whole >= 16, 0, p)


def rsqrt_index(v: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(idx, sh) of section 4: sh even with v / 2^sh in [1, 4), idx = floor(v*2^8/2^sh) - 256."""
    v = np.asarray(v, dtype=np.int64)
    e = bitlen(v) - 1
    sh = e - (e & 1)
    scaled = np.where(sh >= 8, np.right_shift(v, np.maximum(sh - 8, 0)), np.left_shift(v, np.maximum(8 - sh, 0)))
    return scaled - 256, sh


def reciprocal(total: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(INV, E) of section 6: E = bitlen(P), INV = floor(2^(E+15) / P)."""
    total = np.asarray(total, dtype=np.int64)
    e = bitlen(total)
    return np.floor_divide(np.left_shift(np.int64(1), e + 15), total), e
