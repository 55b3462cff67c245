"""The adapter's loss table: held-out loss (nats/char) of the base, base + adapter in float (merged),
base + adapter in integers (the RTL's arithmetic), the integer base, and optionally a fully fine-tuned
checkpoint (the ceiling)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..checkpoint import Checkpoint, read_checkpoint
from ..compiler import quantize_checkpoint
from ..corpus import text_windows
from ..evaluate import cross_entropy
from ..float_model import FloatModel
from ..golden import Adapter, GoldenModel
from .calibration import adapter_calibration, calibrate_adapter
from .compile import DEFAULT_RANK_MAX
from .peft import merged_checkpoint, read_peft


def eval_losses(base: Path, adapter_dir: Path, text: Path, full: Path | None = None, lanes: int = 32,
                rank_max: int = DEFAULT_RANK_MAX, max_tokens: int | None = None) -> dict:
    """Held-out loss (nats/char) of base, base + adapter (float, merged), base + adapter (integer, the
    RTL's arithmetic), the integer base, and optionally a fully fine-tuned checkpoint."""
    ckpt, qm, _ = quantize_checkpoint(base)
    ad = read_peft(adapter_dir, ckpt.config, rank_max)
    windows, _ = adapter_calibration(adapter_dir, base, ckpt, None)
    ia = calibrate_adapter(qm, ad, windows, lanes, rank_max)
    T = ckpt.config.seq_len
    evals = text_windows(text, T + 1, max_tokens)
    s_logit = float(qm.scales["logits"])

    def run_float(ck: Checkpoint) -> float:
        fm = FloatModel(ck)
        out = []
        for w in evals:
            fm.reset()
            out.append(cross_entropy(fm.forward(w[:-1]), w[1:]))
        return float(np.concatenate(out).mean())

    def run_int(adapter: Adapter | None) -> float:
        gm = GoldenModel(qm, adapter=adapter)
        out = []
        for w in evals:
            gm.reset()
            out.append(cross_entropy(gm.forward(w[:-1]) * s_logit, w[1:]))
        return float(np.concatenate(out).mean())

    res = {"text": str(text), "chars": int(sum(len(w) - 1 for w in evals)),
           "base_float": run_float(ckpt), "adapter_float": run_float(merged_checkpoint(ckpt, ad)),
           "base_int": run_int(None), "adapter_int": run_int(ia)}
    if full is not None:
        res["full_float"] = run_float(read_checkpoint(full))
        gap = res["base_float"] - res["full_float"]
        res["gap_closed_float"] = (res["base_float"] - res["adapter_float"]) / gap if gap > 0 else float("nan")
        res["gap_closed_int"] = (res["base_float"] - res["adapter_int"]) / gap if gap > 0 else float("nan")
    res["int_minus_float_adapter"] = res["adapter_int"] - res["adapter_float"]
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}
