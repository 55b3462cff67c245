"""Read and write llama2.c legacy (v0) checkpoints.

Layout (all little-endian): a header of 7 int32 -- dim, hidden_dim, n_layers,
n_heads, n_kv_heads, vocab_size (negative: an unshared classifier follows),
seq_len -- then fp32 tensors in this order: tok_emb, rms_att, wq, wk, wv, wo,
rms_ffn, w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag (RoPE tables, not
used by this project), [wcls]. Matrices are output-row-major.

Every problem raises :class:`CheckpointError` naming the file and the field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HEADER_FIELDS = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")
HEADER_BYTES = 4 * len(HEADER_FIELDS)
# Anything above this is treated as a corrupted header rather than a model.
MAX_DIM = 1 << 16
MAX_SEQ_LEN = 1 << 16


class CheckpointError(ValueError):
    """A checkpoint file is malformed; the message names the file and the field."""

    def __init__(self, path: str | Path, field_name: str, problem: str) -> None:
        self.path = str(path)
        self.field = field_name
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

    def tensor_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor in file order (RoPE tables included, wcls only if unshared)."""
        d, h, L, v, kv = self.dim, self.hidden_dim, self.n_layers, self.vocab_size, self.kv_dim
        shapes: dict[str, tuple[int, ...]] = {
            "tok_emb": (v, d),
            "rms_att": (L, d),
            "wq": (L, d, d),
            "wk": (L, kv, d),
            "wv": (L, kv, d),
            "wo": (L, d, d),
            "rms_ffn": (L, d),
            "w1": (L, h, d),
            "w2": (L, d, h),
            "w3": (L, h, d),
            "rms_final": (d,),
            "freq_cis_real": (self.seq_len, self.head_size // 2),
            "freq_cis_imag": (self.seq_len, self.head_size // 2),
        }
        if not self.shared_classifier:
            shapes["wcls"] = (v, d)
        return shapes

    def n_floats(self) -> int:
        return sum(int(np.prod(s)) for s in self.tensor_shapes().values())

    def file_bytes(self) -> int:
        return HEADER_BYTES + 4 * self.n_floats()

    def n_params(self) -> int:
        """Parameters that matter for inference (RoPE tables excluded)."""
        return sum(int(np.prod(s)) for k, s in self.tensor_shapes().items() if not k.startswith("freq_cis"))


@dataclass
class Checkpoint:
    config: Config
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def wcls(self) -> np.ndarray:
        return self.weights["tok_emb"] if self.config.shared_classifier else self.weights["wcls"]


def validate_config(cfg: Config, path: str | Path = "<config>") -> None:
    """Raise CheckpointError (naming the field) if the shape is not a valid Llama."""
    for name in HEADER_FIELDS:
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


def parse_header(raw: bytes, path: str | Path, file_size: int) -> Config:
    if len(raw) < HEADER_BYTES:
        raise CheckpointError(path, "header", f"truncated: {len(raw)} bytes, need {HEADER_BYTES}")
    values = [int(v) for v in np.frombuffer(raw[:HEADER_BYTES], dtype="<i4")]
    fields = dict(zip(HEADER_FIELDS, values))
    shared = fields["vocab_size"] > 0
    fields["vocab_size"] = abs(fields["vocab_size"])
    cfg = Config(**fields, shared_classifier=shared)
    validate_config(cfg, path)
    expected = cfg.file_bytes()
    if file_size != expected:
        problem = "truncated" if file_size < expected else "oversized"
        other = Config(**fields, shared_classifier=not shared).file_bytes()
        hint = ""
        if file_size == other:
            hint = (f" (the size fits a{'n un' if shared else ' '}shared classifier: "
                    f"vocab_size sign is {'positive' if shared else 'negative'})")
        raise CheckpointError(
            path, "vocab_size" if hint else "file size",
            f"{problem}: {file_size} bytes, header implies {expected}{hint}")
    return cfg


def read_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(path, "file", exc.strerror or str(exc)) from exc
    cfg = parse_header(raw, path, len(raw))
    flat = np.frombuffer(raw, dtype="<f4", offset=HEADER_BYTES)
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for name, shape in cfg.tensor_shapes().items():
        n = int(np.prod(shape))
        tensor = flat[offset:offset + n].reshape(shape).astype(np.float32)
        if not np.all(np.isfinite(tensor)):
            raise CheckpointError(path, name, "contains NaN or Inf")
        weights[name] = tensor
        offset += n
    return Checkpoint(cfg, weights)


def rope_tables(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """The freq_cis tables llama2.c's export writes (cos, sin), shape (seq_len, head_size/2)."""
    hs = cfg.head_size
    freqs = 1.0 / (10000.0 ** (np.arange(0, hs, 2, dtype=np.float64) / hs))
    angles = np.outer(np.arange(cfg.seq_len, dtype=np.float64), freqs)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def write_checkpoint(ckpt: Checkpoint, path: str | Path) -> None:
    cfg = ckpt.config
    validate_config(cfg, path)
    weights = dict(ckpt.weights)
    if "freq_cis_real" not in weights:
        weights["freq_cis_real"], weights["freq_cis_imag"] = rope_tables(cfg)
    header = [getattr(cfg, f) for f in HEADER_FIELDS]
    if not cfg.shared_classifier:
        header[HEADER_FIELDS.index("vocab_size")] = -cfg.vocab_size
    parts = [np.asarray(header, dtype="<i4").tobytes()]
    for name, shape in cfg.tensor_shapes().items():
        if name not in weights:
            raise CheckpointError(path, name, "missing tensor")
        tensor = np.asarray(weights[name])
        if tensor.shape != shape:
            raise CheckpointError(path, name, f"shape {tensor.shape}, expected {shape}")
        parts.append(tensor.astype("<f4").tobytes())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(b"".join(parts))


def random_checkpoint(cfg: Config, seed: int, scale: float = 0.3) -> Checkpoint:
    """A random model of any shape (for tests): weights ~ N(0, scale/sqrt(fan_in))."""
    validate_config(cfg)
    rng = np.random.default_rng(seed)
    weights: dict[str, np.ndarray] = {}
    for name, shape in cfg.tensor_shapes().items():
        if name.startswith("freq_cis"):
            continue
        if name.startswith("rms"):
            weights[name] = (1.0 + 0.2 * rng.standard_normal(shape)).astype(np.float32)
        elif name == "tok_emb":
            weights[name] = rng.standard_normal(shape).astype(np.float32)
        else:
            fan_in = shape[-1]
            weights[name] = (rng.standard_normal(shape) * scale * 3 / np.sqrt(fan_in)).astype(np.float32)
    return Checkpoint(cfg, weights)
