"""Token selection (docs/arithmetic.md section 9): greedy argmax or seeded top-k sampling."""
from __future__ import annotations

import numpy as np

from .intops import exp2_neg, rsr

K_MAX = 64
SEED_ZERO = 0x6D2B79F5
MASK32 = 0xFFFFFFFF


def xorshift32(state: int) -> int:
    state ^= (state << 13) & MASK32
    state ^= state >> 17
    state ^= (state << 5) & MASK32
    return state & MASK32


def effective_top_k(top_k: int, vocab: int, k_max: int = K_MAX) -> int:
    limit = min(k_max, vocab)
    return limit if top_k <= 0 else min(top_k, limit)


class Sampler:
    """inv_temp = 256 / T in unsigned Q8.8; 0 means greedy."""

    def __init__(self, logit_mult: int, logit_shift: int, exp2: np.ndarray,
                 inv_temp: int = 0, top_k: int = 0, seed: int = 0, k_max: int = K_MAX) -> None:
        if not 0 <= inv_temp < (1 << 16):
            raise ValueError(f"inv_temp must fit 16 bits unsigned, got {inv_temp}")
        self.logit_mult, self.logit_shift, self.exp2 = logit_mult, logit_shift, exp2
        self.inv_temp, self.top_k, self.k_max = inv_temp, top_k, k_max
        self.seed(seed)

    def seed(self, seed: int) -> None:
        self.state = (seed & MASK32) or SEED_ZERO

    def next_u32(self) -> int:
        self.state = xorshift32(self.state)
        return self.state

    def pick(self, logits: np.ndarray) -> int:
        logits = np.asarray(logits, dtype=np.int64)
        if self.inv_temp == 0:
            return int(np.argmax(logits))
        k = effective_top_k(self.top_k, len(logits), self.k_max)
        order = np.lexsort((np.arange(len(logits)), -logits))[:k]
        cand = logits[order]
        u = rsr((cand[0] - cand) * self.logit_mult * self.inv_temp, self.logit_shift)
        running = np.cumsum(exp2_neg(u, self.exp2))
        threshold = (self.next_u32() * int(running[-1])) >> 32
        return int(order[int(np.searchsorted(running, threshold, side="right"))])


def inv_temp_from_temperature(temperature: float) -> int:
    """T -> round(256 / T) in Q8.8 (T <= 0 means greedy)."""
    if temperature <= 0:
        return 0
    value = int(round(256.0 / temperature))
    if not 1 <= value < (1 << 16):
        raise ValueError(f"temperature {temperature} outside the supported range (256/T must be in [1, 65535])")
    return value
