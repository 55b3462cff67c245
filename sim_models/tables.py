"""Lookup tables of docs/arithmetic.md: generated once here, read by golden model and RTL."""
from __future__ import annotations

import numpy as np

from .intops import rsr
from .model_config import DEFAULT_ROPE_THETA

RSQRT_ENTRIES = 768
EXP2_ENTRIES = 256
ROPE_FRAC = 14


def rsqrt_table() -> np.ndarray:
    i = np.arange(RSQRT_ENTRIES, dtype=np.float64)
    return np.round(2.0 ** 15 / np.sqrt(1.0 + (i + 0.5) / 256.0)).astype(np.int64)


def exp2_table() -> np.ndarray:
    f = np.arange(EXP2_ENTRIES, dtype=np.float64)
    return np.round(2.0 ** 15 * 2.0 ** (-f / 256.0)).astype(np.int64)


def rope_freqs(head_size: int, theta: float = DEFAULT_ROPE_THETA) -> np.ndarray:
    """w_f = theta^(-2f / head_size), f < head_size / 2 (radians per position); theta is the
    model's rope_theta (Config.rope_theta)."""
    return 1.0 / (float(theta) ** (np.arange(0, head_size, 2, dtype=np.float64) / head_size))


def rope_angles(seq_len: int, head_size: int, theta: float = DEFAULT_ROPE_THETA) -> np.ndarray:
    return np.outer(np.arange(seq_len, dtype=np.float64), rope_freqs(head_size, theta))


ROPE_LO_BITS = 4                      # pos = 16 * hi + lo: a LO table and a HI table per frequency
ROPE_LO = 1 << ROPE_LO_BITS


def rope_base(seq_len: int, head_size: int, theta: float = DEFAULT_ROPE_THETA) -> tuple[np.ndarray, np.ndarray]:
    """The RoPE ROM (docs/arithmetic.md section 5): (COS, SIN), shape (ROPE_LO + n_hi, head_size/2),
    int16 with 14 fraction bits; rows 0..ROPE_LO-1 are the angles lo * theta_f, row ROPE_LO + hi
    the angle ROPE_LO * hi * theta_f."""
    n_hi = -(-seq_len // ROPE_LO)
    steps = np.concatenate([np.arange(ROPE_LO), ROPE_LO * np.arange(n_hi)]).astype(np.float64)
    ang = np.outer(steps, rope_freqs(head_size, theta))
    scale = float(1 << ROPE_FRAC)
    return np.round(np.cos(ang) * scale).astype(np.int64), np.round(np.sin(ang) * scale).astype(np.int64)


def rope_at(cos_b: np.ndarray, sin_b: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COS/SIN of positions `pos` by angle addition of a LO and a HI entry of rope_base, as
    hdl/rf_rope_gen.v computes them: cos = rsr(cl*ch - sl*sh, 14), sin = rsr(sl*ch + cl*sh, 14)."""
    pos = np.asarray(pos, np.int64)
    lo, hi = pos % ROPE_LO, ROPE_LO + pos // ROPE_LO
    cl, sl, ch, sh = cos_b[lo], sin_b[lo], cos_b[hi], sin_b[hi]
    return rsr(cl * ch - sl * sh, ROPE_FRAC), rsr(sl * ch + cl * sh, ROPE_FRAC)


def rope_tables(seq_len: int, head_size: int, theta: float = DEFAULT_ROPE_THETA) -> tuple[np.ndarray, np.ndarray]:
    """(COS, SIN), shape (seq_len, head_size/2), int16 values with 14 fraction bits: every
    position's entries, composed from rope_base by rope_at."""
    return rope_at(*rope_base(seq_len, head_size, theta), np.arange(seq_len))


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def silu_table(s_h1: float) -> np.ndarray:
    """SILU[n + 128] = round(silu(n * s_h1) / s_h1 * 2^8), n in [-128, 127]."""
    n = np.arange(-128, 128, dtype=np.float64)
    table = np.round(silu(n * s_h1) / s_h1 * 256.0).astype(np.int64)
    if table.min() < -32768 or table.max() > 32767:
        raise ValueError(f"SiLU table overflows int16 for s_h1={s_h1:.3e}")
    return table
