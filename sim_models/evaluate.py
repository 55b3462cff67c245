"""Teacher-forced evaluation: float vs integer loss and top-1 agreement."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checkpoint import Checkpoint
from .float_model import FloatModel
from .golden import GoldenModel
from .progress import track
from .quantize import QuantModel


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -logp[np.arange(len(targets)), targets]


@dataclass
class EvalResult:
    tokens: int
    float_loss: float
    int_loss: float
    agreement: float

    @property
    def gap(self) -> float:
        return self.int_loss - self.float_loss

    def as_dict(self) -> dict[str, float]:
        return {"tokens": self.tokens, "float_loss": round(self.float_loss, 4), "int_loss": round(self.int_loss, 4),
                "gap": round(self.gap, 4), "agreement": round(self.agreement, 4)}


def evaluate_many(qm: QuantModel, windows: list[np.ndarray], floats: list[Checkpoint]) -> list[EvalResult]:
    """The integer model against each float model of `floats`, the golden model run once: each
    window from position 0, position t predicting token t+1. Judging a quantization-aware trained
    model against its own float network and against the float baseline costs one golden run."""
    fms, gm = [FloatModel(c) for c in floats], GoldenModel(qm)
    s_logit = float(qm.scales["logits"])
    seq_len = qm.cfg.seq_len
    f_losses, i_losses, agree = [[] for _ in fms], [], [[] for _ in fms]
    for w in track(windows, "evaluating", unit="window"):
        w = np.asarray(w)[: seq_len + 1]
        inputs, targets = w[:-1], w[1:]
        gm.reset()
        li = gm.forward(inputs)
        i_losses.append(cross_entropy(li * s_logit, targets))
        for k, fm in enumerate(fms):
            fm.reset()
            lf = fm.forward(inputs)
            f_losses[k].append(cross_entropy(lf, targets))
            agree[k].append(np.argmax(lf, axis=-1) == np.argmax(li, axis=-1))
    il = np.concatenate(i_losses)
    return [EvalResult(len(il), float(np.concatenate(fl).mean()), float(il.mean()), float(np.concatenate(ag).mean()))
            for fl, ag in zip(f_losses, agree)]


def evaluate(ckpt: Checkpoint, qm: QuantModel, windows: list[np.ndarray], reference: Checkpoint | None = None) -> EvalResult:
    """Each window is run from position 0; position t predicts token t+1. The float side is
    `ckpt`'s float model, or `reference`'s (e.g. the float baseline a quantization-aware
    trained model is judged against: float loss and top-1 agreement are then the reference's)."""
    return evaluate_many(qm, windows, [reference if reference is not None else ckpt])[0]


def float_run(ckpt: Checkpoint, windows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The float model teacher-forced on each window from position 0: per position, the loss of the
    next token and the top-1 prediction (positions of all windows concatenated)."""
    fm = FloatModel(ckpt)
    losses, top = [], []
    for w in windows:
        w = np.asarray(w)[: ckpt.config.seq_len + 1]
        fm.reset()
        logits = fm.forward(w[:-1])
        losses.append(cross_entropy(logits, w[1:]))
        top.append(np.argmax(logits, axis=-1))
    return np.concatenate(losses), np.concatenate(top)


def float_agreement(a: Checkpoint, b: Checkpoint, windows: list[np.ndarray]) -> float:
    """Top-1 agreement of two float models, teacher-forced on the same windows: the ceiling of any
    quantized form of `a` judged against `b`'s float (e.g. a quantization-aware trained model
    against the float baseline it was fine-tuned from). Same vocabulary and seq_len assumed."""
    return float(np.mean(float_run(a, windows)[1] == float_run(b, windows)[1]))
