"""Hugging Face Llama directories: config.json + safetensors weights, read and written.

The weights are `model.safetensors`, or the shards a `model.safetensors.index.json` lists, or
else every `*.safetensors` in the directory; float32, float16 and bfloat16 tensors are read (as
float32). Hugging Face orders each head's q_proj/k_proj rows rotate-half style (all first
halves of the RoPE pairs, then all second halves); this project's layout is llama2.c's
interleaved one, so q and k are permuted on the way in and back on the way out
(sim_models.rope_layout, shared with the PEFT adapter reader).

Only what the core computes is accepted: a config with anything else (biases, RoPE scaling,
another activation, a head_dim other than hidden_size / num_attention_heads, quantized weights,
another model_type) is refused by name, as is a tensor the model does not have.
"""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from .model_config import Checkpoint, CheckpointError, Config, validate_config
from .rope_layout import matrix_to_hf, matrix_to_interleaved

CONFIG = "config.json"
SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"
# LlamaConfig's defaults for the keys a config.json may leave out.
HF_DEFAULT_THETA = 10000.0
HF_DEFAULT_EPS = 1e-6
HF_DEFAULT_SEQ_LEN = 2048
# config.json key -> Config field (shape errors name the config.json key).
SHAPE_KEYS = {"hidden_size": "dim", "intermediate_size": "hidden_dim", "num_hidden_layers": "n_layers",
              "num_attention_heads": "n_heads", "num_key_value_heads": "n_kv_heads", "vocab_size": "vocab_size",
              "max_position_embeddings": "seq_len", "rope_theta": "rope_theta", "rms_norm_eps": "rms_norm_eps"}
REQUIRED = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size")
# per-layer tensor -> (our name, rows, cols) as functions of the config
LAYER_TENSORS = {
    "input_layernorm": "rms_att", "self_attn.q_proj": "wq", "self_attn.k_proj": "wk", "self_attn.v_proj": "wv",
    "self_attn.o_proj": "wo", "post_attention_layernorm": "rms_ffn", "mlp.gate_proj": "w1",
    "mlp.down_proj": "w2", "mlp.up_proj": "w3",
}
GLOBAL_TENSORS = {"model.embed_tokens.weight": "tok_emb", "model.norm.weight": "rms_final", "lm_head.weight": "wcls"}
IGNORED_SUFFIX = ".rotary_emb.inv_freq"   # a buffer older checkpoints saved; recomputed from rope_theta
DTYPES = ("float32", "float16", "bfloat16")


def hf_names(cfg: Config) -> dict[str, tuple[str, int | None]]:
    """Hugging Face tensor name -> (our name, layer or None), lm_head only when unshared."""
    names: dict[str, tuple[str, int | None]] = {}
    for hf, ours in GLOBAL_TENSORS.items():
        if ours != "wcls" or not cfg.shared_classifier:
            names[hf] = (ours, None)
    for l in range(cfg.n_layers):
        for part, ours in LAYER_TENSORS.items():
            names[f"model.layers.{l}.{part}.weight"] = (ours, l)
    return names


# ---------------------------------------------------------------- config.json

def load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise CheckpointError(path, "file", exc.strerror or str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise CheckpointError(path, "json", str(exc)) from exc
    if not isinstance(data, dict):
        raise CheckpointError(path, "json", f"expected an object, got {type(data).__name__}")
    return data


def refuse_unsupported(c: dict[str, Any], path: Path) -> None:
    """Every config.json setting that would make the model compute something else, by name."""
    if c.get("model_type", "llama") != "llama":
        raise CheckpointError(path, "model_type", f"{c['model_type']!r} is not supported (only 'llama')")
    arch = c.get("architectures") or ["LlamaForCausalLM"]
    if arch != ["LlamaForCausalLM"]:
        raise CheckpointError(path, "architectures", f"{arch} is not supported (only ['LlamaForCausalLM'])")
    if c.get("hidden_act", "silu") != "silu":
        raise CheckpointError(path, "hidden_act", f"{c['hidden_act']!r} is not supported (the FFN is SwiGLU: 'silu')")
    for key in ("attention_bias", "mlp_bias"):
        if c.get(key):
            raise CheckpointError(path, key, "biases are not supported (the core's matrices have none)")
    if c.get("rope_scaling") not in (None, {}):
        raise CheckpointError(path, "rope_scaling", f"{c['rope_scaling']} is not supported (plain RoPE only)")
    params = c.get("rope_parameters")
    if params is not None:
        extra = {k: v for k, v in params.items() if k not in ("rope_type", "rope_theta")}
        if params.get("rope_type", "default") != "default" or extra:
            raise CheckpointError(path, "rope_parameters", f"{params} is not supported (rope_type 'default' only)")
    if c.get("partial_rotary_factor", 1.0) != 1.0:
        raise CheckpointError(path, "partial_rotary_factor", f"{c['partial_rotary_factor']} is not supported (1.0)")
    if c.get("quantization_config") is not None:
        raise CheckpointError(path, "quantization_config", "quantized weights are not read: give float weights "
                                                           "(the compiler quantizes)")


def number(c: dict[str, Any], key: str, default: Any, path: Path, kind: type) -> Any:
    value = c.get(key, default)
    if value is None:
        value = default
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise CheckpointError(path, key, f"must be an integer, got {value!r}")
    if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise CheckpointError(path, key, f"must be a number, got {value!r}")
    return kind(value)


def parse_config(c: dict[str, Any], path: Path) -> tuple[Config, bool]:
    """(Config, tie_word_embeddings) of a config.json's contents."""
    refuse_unsupported(c, path)
    for key in REQUIRED:
        if key not in c:
            raise CheckpointError(path, key, "missing")
    heads = number(c, "num_attention_heads", None, path, int)
    theta = c.get("rope_theta", (c.get("rope_parameters") or {}).get("rope_theta", HF_DEFAULT_THETA))
    fields = {
        "dim": number(c, "hidden_size", None, path, int),
        "hidden_dim": number(c, "intermediate_size", None, path, int),
        "n_layers": number(c, "num_hidden_layers", None, path, int),
        "n_heads": heads,
        "n_kv_heads": number(c, "num_key_value_heads", heads, path, int),
        "vocab_size": number(c, "vocab_size", None, path, int),
        "seq_len": number(c, "max_position_embeddings", HF_DEFAULT_SEQ_LEN, path, int),
        "rope_theta": number({"rope_theta": theta}, "rope_theta", None, path, float),
        "rms_norm_eps": number(c, "rms_norm_eps", HF_DEFAULT_EPS, path, float),
    }
    tie = c.get("tie_word_embeddings", False)
    if not isinstance(tie, bool):
        raise CheckpointError(path, "tie_word_embeddings", f"must be true or false, got {tie!r}")
    cfg = Config(**fields, shared_classifier=tie)
    try:
        validate_config(cfg, path)
    except CheckpointError as exc:
        key = {ours: hf for hf, ours in SHAPE_KEYS.items()}[exc.field]
        raise CheckpointError(path, key, exc.problem) from exc
    if c.get("head_dim") is not None and c["head_dim"] != cfg.head_size:
        raise CheckpointError(path, "head_dim", f"{c['head_dim']} is not supported: the head size must be "
                                                f"hidden_size / num_attention_heads = {cfg.head_size}")
    return cfg, tie


# ---------------------------------------------------------------- safetensors

def weight_files(d: Path) -> tuple[list[Path], dict[str, str] | None]:
    """The safetensors files to read, and the index's weight map when there is one."""
    index = d / INDEX
    if index.exists():
        data = load_json(index)
        wmap = data.get("weight_map")
        if not isinstance(wmap, dict) or not wmap:
            raise CheckpointError(index, "weight_map", "missing or empty")
        files = [d / f for f in sorted(set(wmap.values()))]
        for f in files:
            if not f.is_file():
                raise CheckpointError(index, "weight_map", f"shard {f.name} is missing")
        return files, wmap
    if (d / SINGLE).is_file():
        return [d / SINGLE], None
    files = sorted(d.glob("*.safetensors"))
    if not files:
        hint = " (pytorch_model.bin is a pickle and is not read: save with safe_serialization=True)" \
            if (d / "pytorch_model.bin").exists() else ""
        raise CheckpointError(d, SINGLE, f"no *.safetensors weights in the directory{hint}")
    return files, None


def safetensors_header(raw: bytes, path: Path) -> tuple[dict[str, Any], int]:
    """(header, offset of the data) of a safetensors file's bytes."""
    if len(raw) < 8:
        raise CheckpointError(path, "header", "truncated")
    n = int(np.frombuffer(raw[:8], "<u8")[0])
    if n > len(raw) - 8:
        raise CheckpointError(path, "header", f"length {n} exceeds the file")
    try:
        return json.loads(raw[8:8 + n]), 8 + n
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(path, "header", str(exc)) from exc


def bf16_to_f32(raw: bytes) -> np.ndarray:
    return (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(w: np.ndarray) -> np.ndarray:
    """Round to nearest even; the uint16 bit patterns."""
    u = np.ascontiguousarray(w, "<f4").view("<u4").astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def read_tensors(f: Path) -> dict[str, np.ndarray]:
    """Every tensor of one safetensors file as float32 (bfloat16 from the raw bits)."""
    try:
        with safe_open(str(f), framework="numpy") as st:
            names = list(st.keys())
            dtypes = {n: st.get_slice(n).get_dtype() for n in names}
            out = {n: st.get_tensor(n).astype(np.float32) for n in names if dtypes[n] in ("F32", "F16", "F64")}
    except SafetensorError as exc:
        raise CheckpointError(f, "header", str(exc)) from exc
    others = [n for n in names if n not in out]
    if others:
        raw = f.read_bytes()
        header, start = safetensors_header(raw, f)
        for n in others:
            if dtypes[n] != "BF16":
                raise CheckpointError(f, n, f"dtype {dtypes[n]} is not read (float32, float16 or bfloat16)")
            begin, end = header[n]["data_offsets"]
            out[n] = bf16_to_f32(raw[start + begin:start + end]).reshape(header[n]["shape"])
    return out


def read_hf(d: Path) -> Checkpoint:
    cfg_path = d / CONFIG
    if not cfg_path.is_file():
        raise CheckpointError(d, CONFIG, "missing: a Hugging Face model directory needs config.json")
    cfg, tie = parse_config(load_json(cfg_path), cfg_path)
    files, wmap = weight_files(d)
    tensors: dict[str, np.ndarray] = {}
    where: dict[str, Path] = {}
    for f in files:
        for name, t in read_tensors(f).items():
            if name in tensors:
                raise CheckpointError(f, name, f"also in {where[name].name}")
            if wmap is not None and wmap.get(name) != f.name:
                raise CheckpointError(d / INDEX, name, f"in {f.name}, but the weight map says {wmap.get(name)}")
            tensors[name], where[name] = t, f
    has_head = "lm_head.weight" in tensors
    if not tie and not has_head:
        raise CheckpointError(cfg_path, "tie_word_embeddings", "false, but there is no lm_head.weight")
    if tie and has_head and not np.array_equal(tensors["lm_head.weight"], tensors.get("model.embed_tokens.weight")):
        raise CheckpointError(cfg_path, "tie_word_embeddings",
                              "true, but lm_head.weight differs from model.embed_tokens.weight")
    expected = hf_names(cfg)
    for name in tensors:
        if name in expected or name.endswith(IGNORED_SUFFIX) or (tie and name == "lm_head.weight"):
            continue
        why = "biases are not supported" if name.endswith(".bias") else "not a tensor of a Llama model"
        raise CheckpointError(where[name], name, why)
    shapes = cfg.weight_shapes()
    layers: dict[str, list[np.ndarray | None]] = {}
    weights: dict[str, np.ndarray] = {}
    for name, (ours, layer) in expected.items():
        if name not in tensors:
            raise CheckpointError(d, name, "missing tensor")
        t, want = tensors[name], shapes[ours] if layer is None else shapes[ours][1:]
        if tuple(t.shape) != want:
            raise CheckpointError(where[name], name, f"shape {tuple(t.shape)}, expected {want}")
        if not np.all(np.isfinite(t)):
            raise CheckpointError(where[name], name, "contains NaN or Inf")
        if layer is not None:
            t = matrix_to_interleaved(cfg, ours, t)
        if layer is None:
            weights[ours] = t
        else:
            layers.setdefault(ours, [None] * cfg.n_layers)[layer] = t
    for ours, per_layer in layers.items():
        weights[ours] = np.stack(per_layer)
    return Checkpoint(cfg, {k: np.ascontiguousarray(weights[k], np.float32) for k in shapes}, "hf-llama")


# ---------------------------------------------------------------- writing

def hf_config(cfg: Config, dtype: str) -> dict[str, Any]:
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": cfg.dim, "intermediate_size": cfg.hidden_dim, "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads, "num_key_value_heads": cfg.n_kv_heads, "head_dim": cfg.head_size,
        "vocab_size": cfg.vocab_size, "max_position_embeddings": cfg.seq_len,
        "rope_theta": cfg.rope_theta, "rope_scaling": None, "rms_norm_eps": cfg.rms_norm_eps,
        "tie_word_embeddings": cfg.shared_classifier, "hidden_act": "silu",
        "attention_bias": False, "mlp_bias": False, "torch_dtype": dtype,
        "bos_token_id": 1, "eos_token_id": 2,
    }


def hf_tensors(ckpt: Checkpoint) -> dict[str, np.ndarray]:
    cfg = ckpt.config
    out: dict[str, np.ndarray] = {}
    for name, (ours, layer) in hf_names(cfg).items():
        t = np.asarray(ckpt.weights[ours] if layer is None else ckpt.weights[ours][layer], np.float32)
        if layer is not None:
            t = matrix_to_hf(cfg, ours, t)
        out[name] = np.ascontiguousarray(t)
    return out


def save_bf16(tensors: dict[str, np.ndarray], path: Path) -> None:
    """A safetensors file of BF16 tensors (numpy has no bfloat16, so the bytes are laid out here)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        blob = f32_to_bf16(t).tobytes()
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(np.array([len(text)], "<u8").tobytes() + text + b"".join(blobs))


def write_hf(ckpt: Checkpoint, d: str | Path, dtype: str = "float32", shards: int = 1) -> None:
    """config.json and the weights: model.safetensors, or `shards` files and their index."""
    d = Path(d)
    cfg = ckpt.config
    validate_config(cfg, d)
    if dtype not in DTYPES:
        raise CheckpointError(d, "dtype", f"{dtype!r} is not one of {DTYPES}")
    tensors = hf_tensors(ckpt)
    names = list(tensors)
    if not 1 <= shards <= len(names):
        raise CheckpointError(d, "shards", f"{shards} is not in 1 .. {len(names)}")
    d.mkdir(parents=True, exist_ok=True)
    (d / CONFIG).write_text(json.dumps(hf_config(cfg, dtype), indent=2) + "\n")
    per = math.ceil(len(names) / shards)
    groups = [names[i:i + per] for i in range(0, len(names), per)]
    files = [SINGLE] if shards == 1 else [f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
                                          for i in range(len(groups))]
    for fname, group in zip(files, groups):
        part = {n: tensors[n] for n in group}
        if dtype == "bfloat16":
            save_bf16(part, d / fname)
        else:
            save_file({n: t.astype(np.dtype(dtype)) for n, t in part.items()}, str(d / fname), metadata={"format": "pt"})
    if shards > 1:
        size = {"float32": 4}.get(dtype, 2) * sum(t.size for t in tensors.values())
        index = {"metadata": {"total_size": size},
                 "weight_map": {n: f for f, group in zip(files, groups) for n in group}}
        (d / INDEX).write_text(json.dumps(index, indent=2) + "\n")


def as_stored(ckpt: Checkpoint, dtype: str) -> Checkpoint:
    """The weights a Hugging Face directory of `dtype` holds (float16/bfloat16 round them)."""
    if dtype == "float32":
        return ckpt
    if dtype == "float16":
        conv = lambda w: np.asarray(w, np.float32).astype(np.float16).astype(np.float32)  # noqa: E731
    else:
        conv = lambda w: bf16_to_f32(f32_to_bf16(np.asarray(w, np.float32)).tobytes()).reshape(np.shape(w))  # noqa: E731
    return replace(ckpt, weights={k: conv(v) for k, v in ckpt.weights.items()})
