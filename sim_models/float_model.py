"""Float reference: llama2.c semantics in numpy, with a KV cache.

`FloatModel.forward` takes a block of new tokens (one for decoding, many for
teacher-forced evaluation) and returns their logits; the cache carries the
sequence across calls. An optional `observe` callback sees every activation
the quantizer calibrates (name, layer, array).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .checkpoint import Checkpoint
from .tables import rope_angles, silu

Observer = Callable[[str, int, np.ndarray], None]


def rmsnorm(x: np.ndarray, g: np.ndarray, eps: float) -> np.ndarray:
    """eps is the model's rms_norm_eps (Config.rms_norm_eps)."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope(v: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate interleaved pairs; v is (T, heads, head_size), cos/sin (T, head_size/2)."""
    a, b = v[..., 0::2], v[..., 1::2]
    c, s = cos[:, None, :], sin[:, None, :]
    out = np.empty_like(v)
    out[..., 0::2] = a * c - b * s
    out[..., 1::2] = a * s + b * c
    return out


def causal_mask(start: int, n_new: int, n_total: int) -> np.ndarray:
    """mask[i, t] is True where query start+i may attend to key t."""
    return np.arange(n_total)[None, :] <= (start + np.arange(n_new))[:, None]


class FloatModel:
    def __init__(self, ckpt: Checkpoint, dtype: type = np.float32) -> None:
        self.ckpt = ckpt
        self.cfg = ckpt.config
        self.dtype = dtype
        self.w = {k: v.astype(dtype) for k, v in ckpt.weights.items() if not k.startswith("freq_cis")}
        self.wcls = ckpt.wcls.astype(dtype)
        ang = rope_angles(self.cfg.seq_len, self.cfg.head_size, self.cfg.rope_theta)
        self.cos, self.sin = np.cos(ang).astype(dtype), np.sin(ang).astype(dtype)
        self.reset()

    def reset(self) -> None:
        c = self.cfg
        self.pos = 0
        self.k_cache = np.zeros((c.n_layers, c.seq_len, c.n_kv_heads, c.head_size), self.dtype)
        self.v_cache = np.zeros_like(self.k_cache)

    def forward(self, tokens: np.ndarray | list[int], observe: Observer | None = None) -> np.ndarray:
        c, w = self.cfg, self.w
        tokens = np.asarray(tokens, dtype=np.int64)
        n, start = len(tokens), self.pos
        end = start + n
        if end > c.seq_len:
            raise ValueError(f"context overflow: position {end - 1} >= seq_len {c.seq_len}")
        note = observe or (lambda name, layer, value: None)
        hs, H, KVH, eps = c.head_size, c.n_heads, c.n_kv_heads, c.rms_norm_eps
        x = w["tok_emb"][tokens]
        note("x", -1, x)
        cos, sin = self.cos[start:end], self.sin[start:end]
        mask = causal_mask(start, n, end)
        for l in range(c.n_layers):
            a = rmsnorm(x, w["rms_att"][l], eps)
            note("att_in", l, a)
            q = (a @ w["wq"][l].T).reshape(n, H, hs)
            k = (a @ w["wk"][l].T).reshape(n, KVH, hs)
            v = (a @ w["wv"][l].T).reshape(n, KVH, hs)
            note("q_pair", l, np.hypot(q[..., 0::2], q[..., 1::2]))
            note("k_pair", l, np.hypot(k[..., 0::2], k[..., 1::2]))
            note("v", l, v)
            q, k = rope(q, cos, sin), rope(k, cos, sin)
            self.k_cache[l, start:end], self.v_cache[l, start:end] = k, v
            keys = np.repeat(self.k_cache[l, :end], c.kv_group, axis=1)   # (t, H, hs)
            vals = np.repeat(self.v_cache[l, :end], c.kv_group, axis=1)
            scores = np.einsum("ihd,thd->hit", q, keys) / np.sqrt(hs).astype(self.dtype)
            scores = np.where(mask[None], scores, -np.inf)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = scores / scores.sum(axis=-1, keepdims=True)
            att = np.einsum("hit,thd->ihd", probs, vals).reshape(n, c.dim)
            x = x + att @ w["wo"][l].T
            note("x", l, x)
            a = rmsnorm(x, w["rms_ffn"][l], eps)
            note("ffn_in", l, a)
            h1, h3 = a @ w["w1"][l].T, a @ w["w3"][l].T
            note("h1", l, h1)
            note("h3", l, h3)
            g = silu(h1) * h3
            note("g", l, g)
            x = x + g @ w["w2"][l].T
            note("x", l, x)
        a = rmsnorm(x, w["rms_final"], eps)
        note("fin_in", -1, a)
        logits = a @ self.wcls.T
        note("logits", -1, logits)
        self.pos = end
        return logits
