"""A second float implementation in plain loops (llama2.c's run.c, transcribed), for tests."""
from __future__ import annotations

import math

from sim_models.checkpoint import Checkpoint


def _matvec(w, x):
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def _rmsnorm(x, g, eps):
    ss = sum(v * v for v in x) / len(x) + eps
    return [v / math.sqrt(ss) * gi for v, gi in zip(x, g)]


class LoopModel:
    def __init__(self, ckpt: Checkpoint) -> None:
        self.c = ckpt.config
        self.w = {k: v.astype(float).tolist() for k, v in ckpt.weights.items()}
        self.wcls = ckpt.wcls.astype(float).tolist()
        self.keys: list[list[list[float]]] = [[] for _ in range(self.c.n_layers)]
        self.vals: list[list[list[float]]] = [[] for _ in range(self.c.n_layers)]

    def step(self, token: int) -> list[float]:
        c, w = self.c, self.w
        pos = len(self.keys[0])
        hs = c.head_size
        x = list(w["tok_emb"][token])
        for l in range(c.n_layers):
            xb = _rmsnorm(x, w["rms_att"][l], c.rms_norm_eps)
            q, k, v = _matvec(w["wq"][l], xb), _matvec(w["wk"][l], xb), _matvec(w["wv"][l], xb)
            for i in range(0, c.dim, 2):
                freq = 1.0 / c.rope_theta ** ((i % hs) / hs)
                cr, ci = math.cos(pos * freq), math.sin(pos * freq)
                for vec in ((q, k) if i < c.kv_dim else (q,)):
                    a, b = vec[i], vec[i + 1]
                    vec[i], vec[i + 1] = a * cr - b * ci, a * ci + b * cr
            self.keys[l].append(k)
            self.vals[l].append(v)
            att_out = [0.0] * c.dim
            for h in range(c.n_heads):
                kh = h // c.kv_group
                qh = q[h * hs:(h + 1) * hs]
                scores = [sum(qh[d] * self.keys[l][t][kh * hs + d] for d in range(hs)) / math.sqrt(hs)
                          for t in range(pos + 1)]
                m = max(scores)
                e = [math.exp(s - m) for s in scores]
                tot = sum(e)
                for d in range(hs):
                    att_out[h * hs + d] = sum(e[t] / tot * self.vals[l][t][kh * hs + d] for t in range(pos + 1))
            x = [a + b for a, b in zip(x, _matvec(w["wo"][l], att_out))]
            xb = _rmsnorm(x, w["rms_ffn"][l], c.rms_norm_eps)
            h1, h3 = _matvec(w["w1"][l], xb), _matvec(w["w3"][l], xb)
            g = [a / (1 + math.exp(-a)) * b for a, b in zip(h1, h3)]
            x = [a + b for a, b in zip(x, _matvec(w["w2"][l], g))]
        return _matvec(self.wcls, _rmsnorm(x, w["rms_final"], c.rms_norm_eps))
