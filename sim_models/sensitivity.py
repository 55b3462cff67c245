"""Which matrices a weight format hurts: the float model with one kind of matrix (in every layer)
replaced by its format's dequantized weights `u * w_eff`, the others kept in float, teacher-forced
against the unchanged float model: loss gap and top-1 agreement per kind, then the body (every
kind but the embedding/classifier) and everything.

The weights are chosen by the format's scale search only (no calibration Hessian, no GPTQ:
docs/arithmetic.md 3a, step 1), so the numbers isolate each matrix's share of the weight error;
the compiled chip (calibrated codes, integer activations) is what `eval` measures.

    python -m sim_models sensitivity CKPT --format nvfp4 [--text T] [--only wq,w2] [--json]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checkpoint import Checkpoint
from .evaluate import float_run
from .formats import WeightFormat, quantize_weights
from .hardware import MATRICES
from .quantize import dequantized

LAYER_MATRICES = MATRICES


@dataclass(frozen=True)
class Sensitivity:
    matrices: tuple[str, ...]
    loss: float          # float model with these matrices quantized, nats/token
    gap: float           # minus the unchanged float model's loss
    agreement: float     # top-1 agreement with the unchanged float model

    def as_dict(self) -> dict[str, object]:
        return {"matrices": list(self.matrices), "loss": round(self.loss, 4), "gap": round(self.gap, 4),
                "agreement": round(self.agreement, 4)}


def matrix_kinds(ckpt: Checkpoint) -> tuple[str, ...]:
    """The kinds of weight matrix a format applies to: the embedding (= classifier when shared),
    the seven per layer, and an unshared classifier."""
    return ("tok_emb",) + LAYER_MATRICES + (() if ckpt.config.shared_classifier else ("wcls",))


def default_groups(ckpt: Checkpoint) -> list[tuple[str, ...]]:
    kinds = matrix_kinds(ckpt)
    body = tuple(k for k in kinds if k in LAYER_MATRICES)
    return [(k,) for k in kinds] + [body, kinds]


def dequantized_matrix(w: np.ndarray, fmt: WeightFormat, what: str) -> np.ndarray:
    """The real matrix `fmt` stores for `w`, quantized as the compiler quantizes it without
    calibration: int8 per-row absmax (section 2), the other formats by their scale search."""
    return dequantized(quantize_weights(w, fmt, what))


def fake_quantized(ckpt: Checkpoint, fmt: WeightFormat, names: tuple[str, ...]) -> Checkpoint:
    """A copy of `ckpt` whose matrices `names` (every layer's) hold `u * w_eff` of `fmt`."""
    known = matrix_kinds(ckpt)
    weights = dict(ckpt.weights)
    for name in names:
        if name not in known:
            raise ValueError(f"matrix {name!r}: not one of this checkpoint's weight matrices ({', '.join(known)})")
        w = ckpt.weights[name]
        layers = w if w.ndim == 3 else w[None]
        deq = [dequantized_matrix(m, fmt, name if w.ndim == 2 else f"{name}[layer {i}]") for i, m in enumerate(layers)]
        weights[name] = np.stack(deq).reshape(w.shape).astype(np.float32)
    return Checkpoint(ckpt.config, weights)


def matrix_sensitivity(ckpt: Checkpoint, windows: list[np.ndarray], fmt: WeightFormat,
                       groups: list[tuple[str, ...]] | None = None) -> list[Sensitivity]:
    """One row per group of matrix kinds (default: each kind alone, the body, everything)."""
    base_loss, base_top = float_run(ckpt, windows)
    rows = []
    for names in groups if groups is not None else default_groups(ckpt):
        loss, top = float_run(fake_quantized(ckpt, fmt, tuple(names)), windows)
        rows.append(Sensitivity(tuple(names), float(loss.mean()), float(loss.mean() - base_loss.mean()),
                                float(np.mean(top == base_top))))
    return rows
