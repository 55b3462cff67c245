"""The adapter's integer arithmetic (docs/arithmetic.md, "LoRA adapters"): the spec the golden model and
the RTL unit benches both call.

    u_k  = sat(rsr((sum_i A8[k, i] a_i) * MA_k, SA_k), 8)          k < R  (rank rows, zero-padded)
    d_j  = sum_k B8[j, k] u_k
    y'_j = sat(y_j + rsr(d_j * MB_j, SB_j), OUT_BITS)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..intops import requant, rsr, sat


def lora_u(a: np.ndarray, a8: np.ndarray, a_mult: np.ndarray, a_shift: np.ndarray) -> np.ndarray:
    """u (n, R) = sat(rsr((a @ A8.T) * MA, SA), 8) for int8 inputs a (n, cols)."""
    acc = (a.astype(np.float64) @ a8.T.astype(np.float64)).astype(np.int64)
    return requant(acc, a_mult, a_shift, 8)


def lora_add(y: np.ndarray, u: np.ndarray, b8: np.ndarray, b_mult: np.ndarray, b_shift: np.ndarray,
             out_bits: int) -> np.ndarray:
    """y' (n, rows) = sat(y + rsr((u @ B8.T) * MB, SB), out_bits)."""
    d = (u.astype(np.float64) @ b8.T.astype(np.float64)).astype(np.int64)
    return sat(np.asarray(y, np.int64) + rsr(d * b_mult, b_shift), out_bits)


@dataclass
class QLora:
    """One target matrix's integer adapter, padded to the build's rank R."""
    a8: np.ndarray        # (R, cols) int8
    a_mult: np.ndarray    # (R,)
    a_shift: np.ndarray
    b8: np.ndarray        # (rows, R) int8
    b_mult: np.ndarray    # (rows,)
    b_shift: np.ndarray
    out_bits: int

    def apply(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y' of this matrix's rows for its int8 inputs a."""
        return lora_add(y, lora_u(a, self.a8, self.a_mult, self.a_shift), self.b8, self.b_mult, self.b_shift,
                        self.out_bits)
