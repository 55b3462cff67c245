"""Folding a float PEFT adapter into integers for one base build (docs/arithmetic.md, "LoRA adapters").

A and B are per-row int8 (as the base weights); the rank activations u get one static scale per layer
and target, calibrated as max |A x| over calibration text: a first golden-model pass of the base alone,
then a second with the first integer adapter applied (the activations the adapted chip sees).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..checkpoint import Checkpoint
from ..corpus import calibration_windows, text_windows
from ..formats import quantize_rows
from ..golden import GoldenModel
from ..hardware import MATRICES, OUT_BITS, PHASES, mat_shape
from ..intops import quantize_multipliers
from ..quantize import QuantModel, canonical
from .arithmetic import QLora
from .errors import AdapterError
from .int_adapter import IntAdapter
from .peft import CORE_TO_PEFT, PEFT_TO_CORE, PeftAdapter

# Static scales of each matrix's input and output (QuantModel.scales keys; None: the residual scale).
SCALE_IN = {"wq": "att_in", "wk": "att_in", "wv": "att_in", "wo": "v", "w1": "ffn_in", "w3": "ffn_in", "w2": "g"}
SCALE_OUT = {"wq": "q_pair", "wk": "k_pair", "wv": "v", "wo": None, "w1": "h1", "w3": "h3", "w2": None}


def quantize_adapter(qm: QuantModel, ad: PeftAdapter, u_peak: dict[tuple[int, str], float], lanes: int,
                     rank_max: int, targets: tuple[str, ...] | None = None) -> IntAdapter:
    """Fold the adapter into integers. `u_peak[(l, m)]` is the calibrated max |A x| (real units)."""
    c = qm.cfg
    targets = ad.targets if targets is None else targets
    if ad.r > rank_max:
        raise AdapterError(f"{ad.path}: r: rank {ad.r} is above the build's maximum rank {rank_max}")
    missing = [CORE_TO_PEFT[m] for m in ad.targets if m not in targets]
    if missing:
        raise AdapterError(f"{ad.path}: target_modules: {', '.join(missing)} cannot carry an adapter in this build "
                           f"(build targets: {', '.join(CORE_TO_PEFT[m] for m in targets)})")
    s_res = float(qm.scales["residual"])
    layers: list[dict[str, QLora]] = []
    s_u_all: dict[str, list[float]] = {}
    for l in range(c.n_layers):
        d: dict[str, QLora] = {}
        for m in targets:
            rows, cols = mat_shape(c, m)
            s_in = float(qm.scales[SCALE_IN[m]][l])
            s_out = s_res if SCALE_OUT[m] is None else float(qm.scales[SCALE_OUT[m]][l])
            A = np.zeros((rank_max, cols))
            B = np.zeros((rows, rank_max))
            if m in ad.a[l]:
                r = ad.a[l][m].shape[0]
                A[:r], B[:, :r] = ad.a[l][m], ad.b[l][m]
            # a matrix without an adapter in this layer has B = 0: its multipliers only need to be valid
            scaling = ad.scaling[l].get(m, ad.alpha / ad.r)
            a8, sa = quantize_rows(A)
            b8, sb = quantize_rows(B)
            s_u = max(canonical(u_peak.get((l, m), 0.0)), 1e-6) / 127.0   # machine-independent (quantize.canonical)
            s_u_all.setdefault(m, []).append(s_u)
            what = f"adapter layer {l} {CORE_TO_PEFT[m]}"
            am, ash = quantize_multipliers(sa * s_in / s_u, f"{what} lora_A")
            bm, bsh = quantize_multipliers(scaling * sb * s_u / s_out, f"{what} lora_B")
            d[m] = QLora(a8, am, ash, b8, bm, bsh, OUT_BITS[m])
        layers.append(d)
    return IntAdapter(c, lanes, rank_max, targets, layers, ad.r, s_u_all)


class Recorder:
    """A golden-model adapter hook that records max |A x| per target (optionally applying an adapter)."""

    def __init__(self, qm: QuantModel, ad: PeftAdapter, inner: IntAdapter | None) -> None:
        self.qm, self.ad, self.inner = qm, ad, inner
        self.peak: dict[tuple[int, str], float] = {}

    def apply(self, layer: int, group: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        for m in PHASES[group]:
            if m in self.ad.a[layer]:
                s_in = float(self.qm.scales[SCALE_IN[m]][layer])
                u = (a.astype(np.float64) * s_in) @ self.ad.a[layer][m].T
                key = (layer, m)
                self.peak[key] = max(self.peak.get(key, 0.0), float(np.max(np.abs(u))) if u.size else 0.0)
        return y if self.inner is None else self.inner.apply(layer, group, a, y)


def calibrate_adapter(qm: QuantModel, ad: PeftAdapter, windows: list[np.ndarray], lanes: int, rank_max: int,
                      targets: tuple[str, ...] | None = None) -> IntAdapter:
    """Two passes of the golden model over the calibration windows: the base alone, then with the
    first integer adapter applied (the activations the adapted chip sees)."""
    inner = None
    for _ in range(2):
        rec = Recorder(qm, ad, inner)
        gm = GoldenModel(qm, adapter=rec)
        for w in windows:
            gm.reset()
            gm.forward(np.asarray(w)[:qm.cfg.seq_len])
        inner = quantize_adapter(qm, ad, rec.peak, lanes, rank_max, targets)
    assert inner is not None
    return inner


def adapter_calibration(adapter_dir: Path, base_path: Path, ckpt: Checkpoint,
                        calib: Path | None) -> tuple[list[np.ndarray], str]:
    """Calibration windows: `calib`, else ADAPTER_DIR/calib*.txt, else the base's own (corpus.calibration_windows)."""
    if calib is None:
        found = sorted(adapter_dir.glob("calib*.txt"))
        calib = found[0] if found else None
    if calib is not None:
        return text_windows(calib, ckpt.config.seq_len), calib.name
    return calibration_windows(base_path, ckpt)


def parse_targets(text: str | None) -> tuple[str, ...] | None:
    """--targets: PEFT or core names, comma or space separated; None / "auto": the adapter's own."""
    if text is None or text == "auto":
        return None
    out = []
    for t in text.replace(",", " ").split():
        m = PEFT_TO_CORE.get(t, t)
        if m not in MATRICES:
            raise AdapterError(f"--targets: unknown target {t!r}")
        out.append(m)
    return tuple(m for m in MATRICES if m in out)
