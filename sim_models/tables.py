"""Lookup tables of docs/arithmetic.md: generated once here, read by golden model and RTL."""
from __future__ import annotations

import numpy as np

RSQRT_ENTRIES = 768
EXP2_ENTRIES = 256
ROPE_FRAC = 14


def rsqrt_table() -> np.ndarray:
    i = np.arange(RSQRT_ENTRIES, dtype=np.float64)
    return np.round(2.0 ** 15 / np.sqrt(1.0 + (i + 0.5) / 256.0)).astype(np.int64)


def exp2_table() -> np.ndarray:
    f = np.arange(EXP2_ENTRIES, dtype=np.float64)
    return np.round(2.0 ** 15 * 2.0 ** (-f / 256.0)).astype(np.int64)


def rope_angles(seq_len: int, head_size: int) -> np.ndarray:
    freqs = 1.0 / (10000.0 ** (np.arange(0, head_size, 2, dtype=np.float64) / head_size))
    return np.outer(np.arange(seq_len, dtype=np.float64), freqs)


def rope_tables(seq_len: int, head_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(COS, SIN), shape (seq_len, head_size/2), int16 values with 14 fraction bits."""
    ang = rope_angles(seq_len, head_size)
    scale = float(1 << ROPE_FRAC)
    return np.round(np.cos(ang) * scale).astype(np.int64), np.round(np.sin(ang) * scale).astype(np.int64)


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def silu_table(s_h1: float) -> np.ndarray:
    """SILU[n + 128] = round(silu(n * s_h1) / s_h1 * 2^8), n in [-128, 127]."""
    n = np.arange(-128, 128, dtype=np.float64)
    table = np.round(silu(n * s_h1) / s_h1 * 256.0).astype(np.int64)
    if table.min() < -32768 or table.max() > 32767:
        raise ValueError(f"SiLU table overflows int16 for s_h1={s_h1:.3e}")
    return table
