"""Reading a Hugging Face PEFT LoRA directory (adapter_config.json + adapter_model.safetensors) in float.

For a target matrix W (rows x cols) an adapter adds ``scaling B A x`` with A (r x cols), B (rows x r)
and scaling = alpha / r (alpha / sqrt(r) with ``use_rslora``); ``rank_pattern`` / ``alpha_pattern``
give single modules their own r and alpha. ``target_modules`` (names, a regular expression or
"all-linear"), ``exclude_modules``, ``layers_to_transform`` and ``layers_pattern`` choose which
(layer, module) pairs carry an adapter; the others get none (zero on the chip). Everything else PEFT
can express that changes the computation (DoRA, LoRA biases, modules_to_save, ...) is refused by name,
as is any tensor whose shape does not fit the base model.

RoPE layout. Hugging Face Llama checkpoints store each head's q_proj / k_proj rows in rotate-half
order; the core (like llama2.c) uses interleaved pairs, and the checkpoint loader permutes the base's
rows on the way in (sim_models.rope_layout). An adapter's lora_B rows of q_proj / k_proj are output
rows too and are permuted the same way, unless the adapter says its rows are already interleaved:
``"romformer_rope_layout": "interleaved"`` in adapter_config.json, which this project's trainer
(models/train/train_lora.py, training on a llama2.c checkpoint) writes. Without that field an adapter
is taken to be in Hugging Face's layout ("rotate_half"), as every adapter PEFT trains on a
transformers model is.

`merged_checkpoint` is the float model of base + adapter: the reference the integer adapter is judged
against.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from ..checkpoint import Checkpoint, Config
from ..hardware import MATRICES, RANK_CHOICES, mat_shape
from ..rope_layout import matrix_to_interleaved
from .errors import AdapterError

# PEFT module name -> core matrix, and the Llama submodule (self_attn / mlp) it lives in.
PEFT_TO_CORE = {"q_proj": "wq", "k_proj": "wk", "v_proj": "wv", "o_proj": "wo",
                "gate_proj": "w1", "up_proj": "w3", "down_proj": "w2"}
CORE_TO_PEFT = {v: k for k, v in PEFT_TO_CORE.items()}
PEFT_GROUP = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
              "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}
# Modules of a Llama model that exist but cannot carry an adapter on the chip.
OTHER_MODULES = ("lm_head", "embed_tokens", "input_layernorm", "post_attention_layernorm", "norm", "rotary_emb")
TENSOR_RE = re.compile(r"^(?:.*\.)?layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)\.lora_([AB])(?:\.default)?\.weight$")

ROPE_LAYOUT_FIELD = "romformer_rope_layout"
ROPE_LAYOUTS = ("rotate_half", "interleaved")     # the first is the default (Hugging Face's)

# adapter_config.json fields that need no action here: metadata, or training-time only.
NO_EFFECT = {"peft_type", "task_type", "base_model_name_or_path", "revision", "inference_mode", "auto_mapping",
             "peft_version", "lora_dropout", "init_lora_weights", "loftq_config", "eva_config", "corda_config",
             "runtime_config", "megatron_core", "qalora_group_size", "r", "lora_alpha", "target_modules", "exclude_modules", "rank_pattern",
             "alpha_pattern", "use_rslora", "layers_to_transform", "layers_pattern", ROPE_LAYOUT_FIELD}
# Fields that change the computation in ways the chip does not do: refused unless at their default.
REFUSED = {
    "use_dora": "DoRA (a per-column magnitude on the merged weight) is not supported",
    "bias": "LoRA biases are not supported (the core's projections have none)",
    "lora_bias": "a bias on lora_B is not supported (the core's projections have none)",
    "fan_in_fan_out": "is for Conv1D (GPT-2) weights; Llama's projections are Linear (rows = outputs)",
    "modules_to_save": "fully replaced modules are not supported (the base's weights are in ROM)",
    "layer_replication": "is not supported (the chip has the base's layers only)",
    "megatron_config": "is not supported",
    "alora_invocation_tokens": "activated LoRA is not supported",
    "use_qalora": "QA-LoRA is not supported",
    "target_parameters": "adapters on parameters are not supported",
    "trainable_token_indices": "trained token embeddings are not supported (the embedding is in ROM)",
}


@dataclass
class PeftAdapter:
    """A LoRA adapter in float, in the core's layout: A[l][m] (r_m, cols), B[l][m] (rows, r_m) and
    scaling[l][m] for each adapted (layer l, matrix m); `targets` are the matrices adapted in any layer."""
    path: str
    r: int                                   # the largest rank of any module (<= the build's R)
    alpha: float                             # lora_alpha (modules may have their own: alpha_pattern)
    targets: tuple[str, ...]                 # core names, hardware.MATRICES order
    a: list[dict[str, np.ndarray]]
    b: list[dict[str, np.ndarray]]
    scaling: list[dict[str, float]]
    rope_layout: str = ROPE_LAYOUTS[0]       # the q/k lora_B row order the file had (now interleaved)

    def delta(self, layer: int, m: str) -> np.ndarray:
        """The dense weight update scaling B A of one matrix."""
        return self.scaling[layer][m] * (self.b[layer][m].astype(np.float64) @ self.a[layer][m].astype(np.float64))


@dataclass(frozen=True)
class ModuleRank:
    r: int
    alpha: float
    scaling: float


def module_key(layer: int, module: str) -> str:
    """The module's name in a transformers Llama model (what PEFT matches its patterns against)."""
    return f"model.layers.{layer}.{PEFT_GROUP[module]}.{module}"


def name_matches(key: str, name: str) -> bool:
    """PEFT's target_modules list rule: the module's own name or a dotted suffix of its full name."""
    return key == name or key.endswith("." + name)


def pattern_matches(key: str, pattern: str) -> bool:
    """PEFT's rank_pattern / alpha_pattern rule: the pattern matches a dotted suffix of the full name."""
    return key == pattern or re.match(rf"(.*\.)?(?:{pattern})$", key) is not None


def selects(key: str, names: list[str] | None, regex: str | None) -> bool:
    """Whether a module list (PEFT's suffix rule) or a regular expression (over the full name) picks `key`."""
    if names is not None:
        return any(name_matches(key, t) for t in names)
    return regex is not None and re.fullmatch(regex, key) is not None


def is_default(value: Any) -> bool:
    return value is None or value is False or value == "none" or value == {} or value == []


class ConfigReader:
    """adapter_config.json checked field by field; every problem names the file and the field."""

    def __init__(self, cfile: Path, conf: dict[str, Any], n_layers: int, rank_max: int) -> None:
        self.cfile, self.conf, self.n_layers, self.rank_max = cfile, conf, n_layers, rank_max

    def fail(self, key: str, problem: str) -> AdapterError:
        return AdapterError(f"{self.cfile}: {key}: {problem}")

    def check_fields(self) -> None:
        conf = self.conf
        if conf.get("peft_type", "LORA") != "LORA":
            raise self.fail("peft_type", f"{conf.get('peft_type')!r} is not LORA")
        for key in ("r", "lora_alpha", "target_modules"):
            if key not in conf:
                raise self.fail(key, "missing")
        for key, why in REFUSED.items():
            if key in conf and not is_default(conf[key]):
                raise self.fail(key, f"{conf[key]!r}: {why}")
        for key, value in conf.items():
            if key not in NO_EFFECT and key not in REFUSED and not is_default(value):
                raise self.fail(key, f"{value!r}: not understood (a PEFT option this reader does not know; "
                                     f"refused rather than ignored)")
        if conf.get("use_rslora", False) not in (True, False):
            raise self.fail("use_rslora", f"expected true or false, got {conf['use_rslora']!r}")

    def rank(self, key: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(key, f"expected a positive integer, got {value!r}")
        if value > self.rank_max:
            raise self.fail(key, f"rank {value} is above the build's maximum rank {self.rank_max}")
        return value

    def alpha(self, key: str, value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
            raise self.fail(key, f"expected a positive number, got {value!r}")
        return float(value)

    def patterns(self, key: str, check: Callable[[str, Any], object]) -> dict[str, Any]:
        """rank_pattern / alpha_pattern: module pattern -> value, each checked by `check`."""
        value = self.conf.get(key) or {}
        if not isinstance(value, dict):
            raise self.fail(key, f"expected an object of module patterns, got {value!r}")
        for pattern, v in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(key, f"{pattern!r}: not a regular expression ({exc})") from exc
            check(f"{key}: {pattern!r}", v)
        return value

    def module_filter(self, key: str) -> tuple[list[str] | None, str | None]:
        """A module list or a regular expression (target_modules / exclude_modules)."""
        value = self.conf.get(key)
        if value is None or value == []:
            return None, None
        if isinstance(value, str):
            if value == "all-linear" and key == "target_modules":
                return list(PEFT_TO_CORE), None
            try:
                re.compile(value)
            except re.error as exc:
                raise self.fail(key, f"{value!r}: not a regular expression ({exc})") from exc
            return None, value
        if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
            raise self.fail(key, f"expected a non-empty list of module names or a regular expression, got {value!r}")
        return value, None

    def layers(self) -> set[int]:
        lp = self.conf.get("layers_pattern")
        if not is_default(lp) and lp not in ("layers", ["layers"]):
            raise self.fail("layers_pattern", f"{lp!r}: a Llama model's layers are 'layers'")
        lt = self.conf.get("layers_to_transform")
        if lt is None:
            return set(range(self.n_layers))
        lt = [lt] if isinstance(lt, int) and not isinstance(lt, bool) else lt
        if not isinstance(lt, list) or not lt or not all(isinstance(x, int) and not isinstance(x, bool) for x in lt):
            raise self.fail("layers_to_transform", f"expected a layer index or a list of them, got {lt!r}")
        bad = [x for x in lt if not 0 <= x < self.n_layers]
        if bad:
            raise self.fail("layers_to_transform", f"layer {bad[0]} does not exist (the base has {self.n_layers})")
        return set(lt)

    def targets(self) -> dict[tuple[int, str], ModuleRank]:
        """Every adapted (layer, PEFT module) with its rank, alpha and scaling."""
        self.check_fields()
        conf = self.conf
        r0 = self.rank("r", conf["r"])
        alpha0 = self.alpha("lora_alpha", conf["lora_alpha"])
        ranks = self.patterns("rank_pattern", self.rank)
        alphas = self.patterns("alpha_pattern", self.alpha)
        names, regex = self.module_filter("target_modules")
        ex_names, ex_regex = self.module_filter("exclude_modules")
        for t in names or []:
            if any(t == o or t.endswith("." + o) for o in OTHER_MODULES):
                raise self.fail("target_modules", f"{t!r} cannot carry an adapter on the chip (only "
                                                  f"{', '.join(PEFT_TO_CORE)} can)")
            if not any(name_matches(module_key(l, m), t) for l in range(self.n_layers) for m in PEFT_TO_CORE):
                raise self.fail("target_modules", f"unknown target {t!r} (known: {', '.join(PEFT_TO_CORE)})")
        if regex is not None and any(re.fullmatch(regex, o) or re.fullmatch(regex, f"model.{o}") for o in OTHER_MODULES):
            raise self.fail("target_modules", f"{regex!r} matches a module that cannot carry an adapter on the chip "
                                              f"(only {', '.join(PEFT_TO_CORE)} can)")
        layers = self.layers()
        rslora = conf.get("use_rslora", False)
        out: dict[tuple[int, str], ModuleRank] = {}
        for layer in sorted(layers):
            for module in PEFT_TO_CORE:
                key = module_key(layer, module)
                if not selects(key, names, regex) or selects(key, ex_names, ex_regex):
                    continue
                r = next((v for p, v in ranks.items() if pattern_matches(key, p)), r0)
                alpha = next((v for p, v in alphas.items() if pattern_matches(key, p)), alpha0)
                out[(layer, module)] = ModuleRank(r, float(alpha), alpha / (math.sqrt(r) if rslora else r))
        if not out:
            raise self.fail("target_modules", f"{conf['target_modules']!r} selects no module of the base")
        return out

    def rope_layout(self) -> str:
        value = self.conf.get(ROPE_LAYOUT_FIELD, ROPE_LAYOUTS[0])
        if value not in ROPE_LAYOUTS:
            raise self.fail(ROPE_LAYOUT_FIELD, f"{value!r} is not one of {', '.join(ROPE_LAYOUTS)}")
        return value


def read_config(path: Path, n_layers: int, rank_max: int) -> tuple[ConfigReader, dict[tuple[int, str], ModuleRank]]:
    cfile = path / "adapter_config.json"
    if not cfile.is_file():
        raise AdapterError(f"{cfile}: missing (a PEFT adapter directory needs adapter_config.json)")
    try:
        conf = json.loads(cfile.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdapterError(f"{cfile}: malformed JSON: {exc}") from exc
    if not isinstance(conf, dict):
        raise AdapterError(f"{cfile}: malformed: expected a JSON object")
    reader = ConfigReader(cfile, conf, n_layers, rank_max)
    return reader, reader.targets()


def read_peft(path: str | Path, cfg: Config, rank_max: int = max(RANK_CHOICES)) -> PeftAdapter:
    """Read a PEFT LoRA directory for a base model of shape `cfg`, in the core's layout; every problem
    raises AdapterError naming the file and the field or tensor."""
    path = Path(path)
    if not path.is_dir():
        raise AdapterError(f"{path}: not an adapter directory")
    reader, chosen = read_config(path, cfg.n_layers, rank_max)
    layout = reader.rope_layout()
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
        if layer >= cfg.n_layers:
            raise AdapterError(f"{tfile}: {name}: layer {layer} does not exist (the base has {cfg.n_layers})")
        if (layer, module) not in chosen:
            raise AdapterError(f"{tfile}: {name}: layer {layer} {module} is not a target of adapter_config.json "
                               f"(target_modules, exclude_modules, layers_to_transform)")
        core, r = PEFT_TO_CORE[module], chosen[(layer, module)].r
        rows, cols = mat_shape(cfg, core)
        want = (r, cols) if which == "A" else (rows, r)
        if t.ndim != 2 or tuple(t.shape) != want:
            raise AdapterError(f"{tfile}: {name}: shape {tuple(t.shape)} does not fit the base checkpoint "
                               f"(expected {want}: {module} is {rows} x {cols}, r = {r})")
        if not np.issubdtype(t.dtype, np.floating) or not np.all(np.isfinite(t)):
            raise AdapterError(f"{tfile}: {name}: expected finite floating-point values (dtype {t.dtype})")
        t = t.astype(np.float64)
        if which == "B" and layout == "rotate_half":
            t = matrix_to_interleaved(cfg, core, t)
        (a if which == "A" else b)[layer][core] = t
    scaling: list[dict[str, float]] = [{} for _ in range(cfg.n_layers)]
    for (layer, module), mr in chosen.items():
        core = PEFT_TO_CORE[module]
        for which, store in (("A", a), ("B", b)):
            if core not in store[layer]:
                raise AdapterError(f"{tfile}: base_model.model.{module_key(layer, module)}.lora_{which}.weight: missing")
        scaling[layer][core] = mr.scaling
    targets = tuple(m for m in MATRICES if any(m in s for s in scaling))
    alpha = reader.alpha("lora_alpha", reader.conf["lora_alpha"])
    return PeftAdapter(str(path), max(mr.r for mr in chosen.values()), alpha, targets, a, b, scaling, layout)


def merged_checkpoint(ckpt: Checkpoint, ad: PeftAdapter) -> Checkpoint:
    """The float model of base + adapter: W + scaling B A merged into the weights."""
    w = {k: v.copy() for k, v in ckpt.weights.items()}
    for l in range(ckpt.config.n_layers):
        for m in ad.a[l]:
            w[m][l] = (w[m][l].astype(np.float64) + ad.delta(l, m)).astype(w[m].dtype)
    return replace(ckpt, weights=w)
