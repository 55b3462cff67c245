"""Scalar, loop-by-loop reference of docs/arithmetic.md in plain Python integers.

Written from the document, independent of the vectorized golden model, so the
two can check each other. Slow on purpose: use it on small inputs.
"""
from __future__ import annotations

import math


def rsr(a: int, s: int) -> int:
    return a if s == 0 else (a + (1 << (s - 1))) >> s


def sat(a: int, bits: int) -> int:
    return max(-(1 << (bits - 1)), min((1 << (bits - 1)) - 1, a))


def requant(acc: int, m: int, s: int, bits: int) -> int:
    return sat(rsr(acc * m, s), bits)


def rsqrt_entry(i: int) -> int:
    return round(2 ** 15 / math.sqrt(1 + (i + 0.5) / 256))


def exp2_entry(f: int) -> int:
    return round(2 ** 15 * 2 ** (-f / 256))


def exp2_neg(u: int, table: list[int]) -> int:
    return 0 if (u >> 8) >= 16 else table[u & 255] >> (u >> 8)


def rmsnorm(x: list[int], gain: list[int], gs: int, eps: int, rsqrt: list[int]) -> list[int]:
    v = sum(xi * xi for xi in x) + eps
    e = v.bit_length() - 1
    sh = e - (e & 1)
    idx = (v * 256 >> sh) - 256
    return [sat(rsr(xi * rsqrt[idx] * g, 15 + gs + sh // 2), 8) for xi, g in zip(x, gain)]


def rope_pair(a: int, b: int, c: int, s: int) -> tuple[int, int]:
    return sat(rsr(a * c - b * s, 14), 8), sat(rsr(a * s + b * c, 14), 8)


def attention_head(q: list[int], keys: list[list[int]], values: list[list[int]], mult: int, shift: int,
                   exp2: list[int]) -> list[int]:
    scores = [sum(qd * kd for qd, kd in zip(q, k)) for k in keys]
    best = max(scores)
    p = [exp2_neg(rsr((best - s) * mult, shift), exp2) for s in scores]
    total = sum(p)
    e = total.bit_length()
    inv = (1 << (e + 15)) // total
    out = []
    for d in range(len(q)):
        acc = sum(pt * v[d] for pt, v in zip(p, values))
        out.append(sat(rsr(acc * inv, e + 15), 8))
    return out


def xorshift32(x: int) -> int:
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    return x


def sample(logits: list[int], k: int, logit_mult: int, logit_shift: int, inv_temp: int, r: int,
           exp2: list[int]) -> int:
    order = sorted(range(len(logits)), key=lambda i: (-logits[i], i))[:k]
    p = [exp2_neg(rsr((logits[order[0]] - logits[i]) * logit_mult * inv_temp, logit_shift), exp2) for i in order]
    thr = (r * sum(p)) >> 32
    running = 0
    for i, pi in zip(order, p):
        running += pi
        if running > thr:
            return i
    raise AssertionError("threshold beyond the total")
