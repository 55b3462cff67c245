"""Reading a Hugging Face PEFT LoRA directory (adapter_config.json + adapter_model.safetensors) in float.

For a target matrix W (rows x cols) an adapter adds ``(alpha/r) B A x`` with A (r x cols) and
B (rows x r). `read_peft` checks every tensor against the base model's shape; `merged_checkpoint`
is the float model of base + adapter (the reference the integer adapter is judged against).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from ..checkpoint import Checkpoint, Config
from ..hardware import MATRICES, RANK_CHOICES, mat_shape
from .errors import AdapterError

# PEFT module name -> core matrix, and the Llama submodule (self_attn / mlp) it lives in.
PEFT_TO_CORE = {"q_proj": "wq", "k_proj": "wk", "v_proj": "wv", "o_proj": "wo",
                "gate_proj": "w1", "up_proj": "w3", "down_proj": "w2"}
CORE_TO_PEFT = {v: k for k, v in PEFT_TO_CORE.items()}
PEFT_GROUP = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
              "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}
TENSOR_RE = re.compile(r"^(?:.*\.)?layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)\.lora_([AB])(?:\.default)?\.weight$")


@dataclass
class PeftAdapter:
    """A LoRA adapter in float: A[l][m] (r, cols), B[l][m] (rows, r), scaling alpha / r."""
    path: str
    r: int
    alpha: float
    targets: tuple[str, ...]                 # core names, hardware.MATRICES order
    a: list[dict[str, np.ndarray]]
    b: list[dict[str, np.ndarray]]

    @property
    def scaling(self) -> float:
        return self.alpha / self.r

    def delta(self, layer: int, m: str) -> np.ndarray:
        """The dense weight update (alpha/r) B A of one matrix."""
        return self.scaling * (self.b[layer][m].astype(np.float64) @ self.a[layer][m].astype(np.float64))


def read_config(path: Path, rank_max: int) -> tuple[int, float, tuple[str, ...]]:
    cfile = path / "adapter_config.json"
    if not cfile.is_file():
        raise AdapterError(f"{cfile}: missing (a PEFT adapter directory needs adapter_config.json)")
    try:
        conf = json.loads(cfile.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdapterError(f"{cfile}: malformed JSON: {exc}") from exc
    if not isinstance(conf, dict):
        raise AdapterError(f"{cfile}: malformed: expected a JSON object")
    if conf.get("peft_type", "LORA") != "LORA":
        raise AdapterError(f"{cfile}: peft_type: {conf.get('peft_type')!r} is not LORA")
    for key in ("r", "lora_alpha", "target_modules"):
        if key not in conf:
            raise AdapterError(f"{cfile}: {key}: missing")
    r, alpha, tm = conf["r"], conf["lora_alpha"], conf["target_modules"]
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise AdapterError(f"{cfile}: r: expected a positive integer, got {r!r}")
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not alpha > 0:
        raise AdapterError(f"{cfile}: lora_alpha: expected a positive number, got {alpha!r}")
    if r > rank_max:
        raise AdapterError(f"{cfile}: r: rank {r} is above the build's maximum rank {rank_max}")
    if isinstance(tm, str):
        tm = [tm]
    if not isinstance(tm, list) or not tm or not all(isinstance(t, str) for t in tm):
        raise AdapterError(f"{cfile}: target_modules: expected a non-empty list of module names, got {tm!r}")
    for t in tm:
        if t not in PEFT_TO_CORE:
            raise AdapterError(f"{cfile}: target_modules: unknown target {t!r} "
                               f"(known: {', '.join(PEFT_TO_CORE)})")
    if conf.get("use_rslora") or conf.get("use_dora") or conf.get("fan_in_fan_out"):
        raise AdapterError(f"{cfile}: use_rslora / use_dora / fan_in_fan_out are not supported")
    targets = tuple(m for m in MATRICES if CORE_TO_PEFT[m] in tm)
    return r, float(alpha), targets


def read_peft(path: str | Path, cfg: Config, rank_max: int = max(RANK_CHOICES)) -> PeftAdapter:
    """Read a PEFT LoRA directory for a base model of shape `cfg`; every problem raises AdapterError."""
    path = Path(path)
    if not path.is_dir():
        raise AdapterError(f"{path}: not an adapter directory")
    r, alpha, targets = read_config(path, rank_max)
    tfile = path / "adapter_model.safetensors"
    if not tfile.is_file():
        raise AdapterError(f"{tfile}: missing")
    try:
        tensors = load_file(str(tfile))
    except (SafetensorError, OSError, ValueError) as exc:
        raise AdapterError(f"{tfile}: malformed safetensors file: {exc}") from exc
    a: list[dict[str, np.ndarray]] = [{} for _ in range(cfg.n_layers)]
    b: list[dict[str, np.ndarray]] = [{} for _ in range(cfg.n_layers)]
    for name, t in tensors.items():
        m = TENSOR_RE.match(name)
        if m is None:
            raise AdapterError(f"{tfile}: {name}: not a LoRA tensor name (...layers.N.self_attn|mlp.<module>.lora_A|B.weight)")
        layer, group, module, which = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        if module not in PEFT_TO_CORE or PEFT_GROUP[module] != group:
            raise AdapterError(f"{tfile}: {name}: unknown target {group}.{module}")
        core = PEFT_TO_CORE[module]
        if core not in targets:
            raise AdapterError(f"{tfile}: {name}: target {module} is not in adapter_config.json target_modules")
        if layer >= cfg.n_layers:
            raise AdapterError(f"{tfile}: {name}: layer {layer} does not exist (the base has {cfg.n_layers})")
        rows, cols = mat_shape(cfg, core)
        want = (r, cols) if which == "A" else (rows, r)
        if t.ndim != 2 or tuple(t.shape) != want:
            raise AdapterError(f"{tfile}: {name}: shape {tuple(t.shape)} does not fit the base checkpoint "
                               f"(expected {want}: {module} is {rows} x {cols}, r = {r})")
        if not np.issubdtype(t.dtype, np.floating) or not np.all(np.isfinite(t)):
            raise AdapterError(f"{tfile}: {name}: expected finite floating-point values (dtype {t.dtype})")
        (a if which == "A" else b)[layer][core] = t.astype(np.float64)
    for l in range(cfg.n_layers):
        for core in targets:
            for which, store in (("A", a), ("B", b)):
                if core not in store[l]:
                    raise AdapterError(f"{tfile}: base_model.model.model.layers.{l}.{PEFT_GROUP[CORE_TO_PEFT[core]]}."
                                       f"{CORE_TO_PEFT[core]}.lora_{which}.weight: missing")
    return PeftAdapter(str(path), r, alpha, targets, a, b)


def merged_checkpoint(ckpt: Checkpoint, ad: PeftAdapter) -> Checkpoint:
    """The float model of base + adapter: W + (alpha/r) B A merged into the weights."""
    w = {k: v.copy() for k, v in ckpt.weights.items()}
    for l in range(ckpt.config.n_layers):
        for m in ad.targets:
            w[m][l] = (w[m][l].astype(np.float64) + ad.delta(l, m)).astype(w[m].dtype)
    return Checkpoint(ckpt.config, w)
