"""Autoregressive generation with the float reference or the integer golden model."""
from __future__ import annotations

import numpy as np

from .checkpoint import Checkpoint
from .float_model import FloatModel
from .golden import GoldenModel
from .quantize import QuantModel
from .sampler import Sampler, effective_top_k


def budget(prompt: list[int], n: int, seq_len: int) -> int:
    """Generated tokens that fit the context (each one but the last is fed back)."""
    if not prompt:
        raise ValueError("prompt: at least one token is needed")
    if len(prompt) > seq_len:
        raise ValueError(f"prompt: {len(prompt)} tokens overflow seq_len {seq_len}")
    return max(0, min(n, seq_len - len(prompt) + 1))


def int_generate(qm: QuantModel, prompt: list[int], n: int, inv_temp: int = 0, top_k: int = 0,
                 seed: int = 0, model: GoldenModel | None = None, sampler: Sampler | None = None,
                 stop_token: int | None = None) -> list[int]:
    """Generate like the RTL: up to n tokens, ending early at stop_token (emitted) or at the
    end of the context. Pass `model`/`sampler` to continue a sequence (multi-turn)."""
    model = model or GoldenModel(qm)
    sampler = sampler or Sampler(qm.logit_mult, qm.logit_shift, qm.exp2, inv_temp, top_k, seed)
    if model.pos + len(prompt) > qm.cfg.seq_len:
        raise ValueError(f"prompt: {len(prompt)} tokens at position {model.pos} overflow seq_len {qm.cfg.seq_len}")
    out: list[int] = []
    logits = model.forward(prompt)[-1]
    for i in range(min(n, qm.cfg.seq_len - model.pos + 1)):
        out.append(sampler.pick(logits))
        if out[-1] == stop_token or i + 1 == n or model.pos >= qm.cfg.seq_len:
            break
        logits = model.forward([out[-1]])[-1]
    return out


def float_generate(ckpt: Checkpoint, prompt: list[int], n: int, temperature: float = 0.0,
                   top_k: int = 0, seed: int = 0) -> list[int]:
    model = FloatModel(ckpt)
    rng = np.random.default_rng(seed)
    out: list[int] = []
    logits = model.forward(prompt)[-1]
    for i in range(budget(prompt, n, ckpt.config.seq_len)):
        if temperature <= 0:
            out.append(int(np.argmax(logits)))
        else:
            k = effective_top_k(top_k, len(logits))
            top = np.argsort(-logits, kind="stable")[:k]
            z = logits[top].astype(np.float64) / temperature
            p = np.exp(z - z.max())
            out.append(int(top[rng.choice(k, p=p / p.sum())]))
        if i + 1 < n and model.pos < ckpt.config.seq_len:
            logits = model.forward([out[-1]])[-1]
    return out
