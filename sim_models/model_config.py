"""The in-memory model every checkpoint format loads into: shape, RoPE theta, RMSNorm eps, weights.

Weights are float32, in llama2.c's layout: matrices output-row-major, q and k rows in the
interleaved RoPE order (pair i of a head is rows 2i and 2i + 1). Every checkpoint problem
raises :class:`CheckpointError`, naming the file and the field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_ROPE_THETA = 10000.0
DEFAULT_RMS_NORM_EPS = 1e-5
SHAPE_FIELDS = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")
# Anything above this is treated as a corrupted header rather than a model.
MAX_DIM = 1 << 16
MAX_SEQ_LEN = 1 << 16


class CheckpointError(ValueError):
    """A checkpoint is malformed or unsupported; the message names the file and the field."""

    def __init__(self, path: str | Path, field_name: str, problem: str) -> None:
        self.path = str(path)
        self.field = field_name
        self.problem = problem
        super().__init__(f"{path}: {field_name}: {problem}")


@dataclass(frozen=True)
class Config:
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int
    shared_classifier: bool = True
    rope_theta: float = DEFAULT_ROPE_THETA
    rms_norm_eps: float = DEFAULT_RMS_NORM_EPS

    @property
    def head_size(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.n_kv_heads * self.head_size

    @property
    def kv_group(self) -> int:
        """Query heads per KV head (1 for multi-head attention)."""
        return self.n_heads // self.n_kv_heads

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every inference tensor (wcls only if the classifier is not shared)."""
        d, h, L, v, kv = self.dim, self.hidden_dim, self.n_layers, self.vocab_size, self.kv_dim
        shapes: dict[str, tuple[int, ...]] = {
            "tok_emb": (v, d), "rms_att": (L, d),
            "wq": (L, d, d), "wk": (L, kv, d), "wv": (L, kv, d), "wo": (L, d, d),
            "rms_ffn": (L, d), "w1": (L, h, d), "w2": (L, d, h), "w3": (L, h, d),
            "rms_final": (d,),
        }
        if not self.shared_classifier:
            shapes["wcls"] = (v, d)
        return shapes

    def n_params(self) -> int:
        """Parameters that matter for inference."""
        return sum(math.prod(s) for s in self.weight_shapes().values())


@dataclass
class Checkpoint:
    config: Config
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    source_format: str = "llama2c-v0"   # the format it was read from (checkpoint.FORMATS)

    @property
    def wcls(self) -> np.ndarray:
        return self.weights["tok_emb"] if self.config.shared_classifier else self.weights["wcls"]


def validate_config(cfg: Config, path: str | Path = "<config>") -> None:
    """Raise CheckpointError (naming the field) if the shape is not a valid Llama."""
    for name in SHAPE_FIELDS:
        value = getattr(cfg, name)
        if value <= 0:
            raise CheckpointError(path, name, f"must be positive, got {value}")
        limit = MAX_SEQ_LEN if name == "seq_len" else MAX_DIM
        if value > limit:
            raise CheckpointError(path, name, f"{value} is larger than the supported maximum {limit}")
    if cfg.dim % cfg.n_heads:
        raise CheckpointError(path, "n_heads", f"{cfg.n_heads} does not divide dim {cfg.dim}")
    if cfg.n_heads % cfg.n_kv_heads:
        raise CheckpointError(path, "n_kv_heads", f"{cfg.n_kv_heads} does not divide n_heads {cfg.n_heads}")
    if cfg.head_size % 2:
        raise CheckpointError(path, "n_heads", f"head size {cfg.head_size} is odd; RoPE needs pairs")
    for name in ("rope_theta", "rms_norm_eps"):
        value = getattr(cfg, name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise CheckpointError(path, name, f"must be a positive finite number, got {value!r}")
    if cfg.rope_theta <= 1.0:
        raise CheckpointError(path, "rope_theta", f"{cfg.rope_theta} must be > 1 (frequencies theta^(-2f/head_size))")


def check_weights(cfg: Config, weights: dict[str, np.ndarray], path: str | Path) -> None:
    """Every inference tensor present, of its shape, and finite."""
    for name, shape in cfg.weight_shapes().items():
        if name not in weights:
            raise CheckpointError(path, name, "missing tensor")
        tensor = weights[name]
        if tuple(tensor.shape) != shape:
            raise CheckpointError(path, name, f"shape {tuple(tensor.shape)}, expected {shape}")
        if not np.all(np.isfinite(tensor)):
            raise CheckpointError(path, name, "contains NaN or Inf")


def random_checkpoint(cfg: Config, seed: int, scale: float = 0.3) -> Checkpoint:
    """A random model of any shape (for tests): weights ~ N(0, scale/sqrt(fan_in))."""
    validate_config(cfg)
    rng = np.random.default_rng(seed)
    weights: dict[str, np.ndarray] = {}
    for name, shape in cfg.weight_shapes().items():
        if name.startswith("rms"):
            weights[name] = (1.0 + 0.2 * rng.standard_normal(shape)).astype(np.float32)
        elif name == "tok_emb":
            weights[name] = rng.standard_normal(shape).astype(np.float32)
        else:
            fan_in = shape[-1]
            weights[name] = (rng.standard_normal(shape) * scale * 3 / np.sqrt(fan_in)).astype(np.float32)
    return Checkpoint(cfg, weights)
