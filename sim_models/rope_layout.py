"""Row order of the q and k projections: Hugging Face's rotate-half layout vs the core's interleaved one.

The core rotates interleaved pairs (llama2.c, Meta's original Llama): within a head of size hs, rows
(2i, 2i + 1) form pair i. Hugging Face Llama checkpoints (and every PEFT adapter trained on them)
store q_proj / k_proj rows in rotate-half order: row i pairs with row i + hs/2. Hugging Face's own
converter (convert_llama_weights_to_hf.py, `permute`) maps Meta's order to its own; llama2.c's
export.py undoes it. These two functions are that pair of permutations, for anything whose first
axis is the projection's output rows (a weight (rows, cols), a LoRA B (rows, r), a bias (rows,)).
The Hugging Face checkpoint loader and the PEFT adapter reader both use them (through
`matrix_to_interleaved` / `matrix_to_hf` for a named layer matrix), so base and adapter are permuted
the same way.
"""
from __future__ import annotations

import numpy as np

from .model_config import Config


def _check(w: np.ndarray, n_heads: int) -> tuple[int, int]:
    rows = w.shape[0]
    if n_heads < 1 or rows % n_heads or (rows // n_heads) % 2:
        raise ValueError(f"rope layout: {rows} rows do not split into {n_heads} heads of an even size")
    return rows, rows // n_heads


def hf_to_interleaved_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Rows in Hugging Face rotate-half order -> the core's interleaved order (llama2.c export.py's
    permute_reverse): per head, rows (j, j + hs/2) become rows (2j, 2j + 1)."""
    w = np.asarray(w)
    rows, hs = _check(w, n_heads)
    return w.reshape(n_heads, 2, hs // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def interleaved_to_hf_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """The inverse: interleaved rows -> Hugging Face rotate-half order (convert_llama_weights_to_hf.py's
    permute)."""
    w = np.asarray(w)
    rows, hs = _check(w, n_heads)
    return w.reshape(n_heads, hs // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def rope_heads(cfg: Config, m: str) -> int | None:
    """The heads whose RoPE pairs a layer matrix's output rows hold: wq n_heads, wk n_kv_heads, else None."""
    return {"wq": cfg.n_heads, "wk": cfg.n_kv_heads}.get(m)


def matrix_to_interleaved(cfg: Config, m: str, w: np.ndarray) -> np.ndarray:
    """Output rows of layer matrix `m` (its weight, a LoRA B, ...) from Hugging Face's order to the core's;
    unchanged for a matrix RoPE does not rotate."""
    heads = rope_heads(cfg, m)
    return w if heads is None else hf_to_interleaved_rows(w, heads)


def matrix_to_hf(cfg: Config, m: str, w: np.ndarray) -> np.ndarray:
    """The inverse of `matrix_to_interleaved`."""
    heads = rope_heads(cfg, m)
    return w if heads is None else interleaved_to_hf_rows(w, heads)
