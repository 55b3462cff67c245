"""Integer golden model: docs/arithmetic.md, vectorized; the RTL must equal it bit for bit.

`GoldenModel.forward` takes a block of new tokens at the current position (one
token when decoding, a whole prompt or text when teacher-forcing) and returns
their int16 logits. Every operation is one of `intops`, on int64 arrays; the
matrix products run as float64 BLAS, which is exact because every partial sum
stays far below 2^53.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from .hardware import PHASES
from .intops import ArrayLike, exp2_neg, reciprocal, requant, rsqrt_index, rsr, sat
from .mx import STATIC
from .quantize import QMatrix, QNorm, QuantModel

NEG_INF = np.int64(-(1 << 62))


class Adapter(Protocol):
    """A LoRA adapter (sim_models.lora IntAdapter): y of a phase (hardware.PHASES) -> y + its integer LoRA term."""

    def apply(self, layer: int, group: str, a: np.ndarray, y: np.ndarray) -> np.ndarray: ...


def matvec(a: np.ndarray, w_t: np.ndarray) -> np.ndarray:
    """Exact integer a @ W.T for int8 operands (mx: element << block exponent, below 2^15); w_t is W.T as float64."""
    return (a.astype(np.float64) @ w_t).astype(np.int64)


def rmsnorm(x: np.ndarray, norm: QNorm, eps: int, rsqrt: np.ndarray, bits: int = 8) -> np.ndarray:
    """Section 4 over rows of x (n, dim) int16 -> int8 (`bits`: the activation format's wide_bits)."""
    v = np.sum(x * x, axis=-1) + eps
    idx, sh = rsqrt_index(v)
    t = x * rsqrt[idx][:, None]
    return sat(rsr(t * norm.gain, (15 + norm.shift + sh // 2)[:, None]), bits)


def rope(v: np.ndarray, cos: np.ndarray, sin: np.ndarray, bits: int = 8) -> np.ndarray:
    """Section 5: v (n, heads, head_size) int8 (`bits`: the activation format's qkv_bits), cos/sin (n, head_size/2)."""
    a, b = v[..., 0::2], v[..., 1::2]
    c, s = cos[:, None, :], sin[:, None, :]
    out = np.empty_like(v)
    out[..., 0::2] = sat(rsr(a * c - b * s, 14), bits)
    out[..., 1::2] = sat(rsr(a * s + b * c, 14), bits)
    return out


def swiglu_gate(silu: np.ndarray, h3: np.ndarray, mult: ArrayLike, shift: ArrayLike, bits: int = 8) -> np.ndarray:
    """Section 7: g = sat(rsr(SILU[h1 + 128] * h3 * M_g, S_g), bits) from the SILU entries `silu`
    (`bits`: the activation format's wide_bits)."""
    return requant(np.asarray(silu, np.int64) * h3, mult, shift, bits)


def attention(q: np.ndarray, keys: np.ndarray, values: np.ndarray, start: int,
              mult: int, shift: int, exp2: np.ndarray, frac: int = 0, bits: int = 8) -> np.ndarray:
    """Section 6 for n queries at positions start.. over keys/values (t, heads, hs); the output
    keeps `frac` more fraction bits than V (negative: fewer) and saturates to `bits` (3b)."""
    n, t_total = q.shape[0], keys.shape[0]
    mask = np.arange(t_total)[None, :] <= (start + np.arange(n))[:, None]          # (n, t)
    scores = np.einsum("ihd,thd->hit", q.astype(np.float64), keys.astype(np.float64)).astype(np.int64)
    best = np.max(np.where(mask[None], scores, NEG_INF), axis=-1, keepdims=True)
    u = rsr(np.where(mask[None], best - scores, 0) * mult, shift)
    p = np.where(mask[None], exp2_neg(u, exp2), 0)                                  # (h, n, t)
    inv, e = reciprocal(np.sum(p, axis=-1))                                         # (h, n)
    acc = np.einsum("hit,thd->ihd", p.astype(np.float64), values.astype(np.float64)).astype(np.int64)
    return sat(rsr(acc * inv.T[..., None], (e.T + 15 - frac)[..., None]), bits)


class GoldenModel:
    def __init__(self, qm: QuantModel, adapter: Adapter | None = None) -> None:
        self.qm = qm
        self.cfg = qm.cfg
        self.adapter = adapter   # LoRA (sim_models.lora): applied to a projection's requantized output
        self.act = qm.act        # activation format of the matmul inputs (sim_models.mx)
        if adapter is not None and self.act != STATIC:
            raise ValueError(f"LoRA adapters need --act static; this model's activations are {self.act.label}")
        # The matrices of a phase read the same input and are fused (rows concatenated) so each
        # layer makes four products instead of seven; per-row requantization is unchanged.
        self._fused = [{group: self._fuse([layer[n] for n in names]) for group, names in PHASES.items()}
                       for layer in qm.layers]
        self._cls_t = qm.cls.w.T.astype(np.float64)
        self.reset()

    @staticmethod
    def _fuse(mats: list[QMatrix]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        assert len({m.out_bits for m in mats}) == 1
        return (np.concatenate([m.w for m in mats]).T.astype(np.float64),
                np.concatenate([m.mult for m in mats]), np.concatenate([m.shift for m in mats]), mats[0].out_bits)

    def reset(self) -> None:
        c = self.cfg
        self.pos = 0
        self.k_cache = np.zeros((c.n_layers, c.seq_len, c.n_kv_heads, c.head_size), np.int64)
        self.v_cache = np.zeros_like(self.k_cache)

    def _project(self, a: np.ndarray, layer: int, group: str) -> np.ndarray:
        w_t, mult, shift, bits = self._fused[layer][group]
        y = requant(matvec(a, w_t), mult, shift, bits)
        return y if self.adapter is None else self.adapter.apply(layer, group, a, y)

    def embed(self, tokens: np.ndarray) -> np.ndarray:
        qm = self.qm
        return requant(qm.emb_w[tokens], qm.emb_mult[tokens][:, None], qm.emb_shift[tokens][:, None], 16)

    def forward(self, tokens: np.ndarray | list[int]) -> np.ndarray:
        c, qm = self.cfg, self.qm
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= c.vocab_size):
            raise ValueError(f"token id out of range [0, {c.vocab_size})")
        n, start = len(tokens), self.pos
        end = start + n
        if end > c.seq_len:
            raise ValueError(f"context overflow: position {end - 1} >= seq_len {c.seq_len}")
        hs, H, KVH = c.head_size, c.n_heads, c.n_kv_heads
        cos, sin = qm.rope_cos[start:end], qm.rope_sin[start:end]
        act, wide = self.act, self.act.wide_bits
        x = self.embed(tokens)
        for l in range(c.n_layers):
            a = act.operand(rmsnorm(x, qm.att_norm[l], qm.eps, qm.rsqrt, wide))
            qkv = self._project(a, l, "qkv").reshape(n, H + 2 * KVH, hs)
            qk = rope(qkv[:, :H + KVH], cos, sin, act.qkv_bits)
            q = qk[:, :H]
            self.k_cache[l, start:end] = qk[:, H:]
            self.v_cache[l, start:end] = qkv[:, H + KVH:]
            keys = np.repeat(self.k_cache[l, :end], c.kv_group, axis=1)
            vals = np.repeat(self.v_cache[l, :end], c.kv_group, axis=1)
            o = attention(q, keys, vals, start, int(qm.att_mult[l]), int(qm.att_shift[l]), qm.exp2,
                          act.frac - act.qkv_frac, wide)
            x = sat(x + self._project(act.operand(o.reshape(n, c.dim)), l, "wo"), 16)
            a = act.operand(rmsnorm(x, qm.ffn_norm[l], qm.eps, qm.rsqrt, wide))
            h13 = self._project(a, l, "w13")
            h1, h3 = h13[:, :c.hidden_dim], h13[:, c.hidden_dim:]
            g = swiglu_gate(qm.silu[l][h1 + 128], h3, qm.gate_mult[l], qm.gate_shift[l], wide)
            x = sat(x + self._project(act.operand(g), l, "w2"), 16)
        a = act.operand(rmsnorm(x, qm.final_norm, qm.eps, qm.rsqrt, wide))
        self.pos = end
        return requant(matvec(a, self._cls_t), qm.cls.mult, qm.cls.shift, 16)


