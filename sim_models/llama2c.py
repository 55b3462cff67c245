"""llama2.c checkpoint files: legacy (v0), v1 (fp32) and v2 (Q8_0), read and written.

All little-endian. Matrices are output-row-major, q/k rows in the interleaved RoPE order.

* v0: 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size -- negative when an
  unshared classifier follows -- seq_len), then fp32 tok_emb, rms_att, wq, wk, wv, wo, rms_ffn,
  w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag (the RoPE cos/sin tables), [wcls]. v0 has
  no field for RoPE theta or RMSNorm eps: eps is 1e-5, and theta is read off the RoPE tables
  (10000 for every llama2.c export; a file whose tables fit no theta is refused).
* v1 and v2: a 256-byte header -- uint32 magic 0x616b3432 ("ak42"), int32 version, the 7 int32
  above (vocab_size positive), uint8 shared_classifier, (v2 only) int32 group_size, zero padding.
  v1 body: fp32 rms_att (all layers), rms_ffn, rms_final, tok_emb, wq, wk, wv, wo, w1, w2, w3,
  [wcls]. v2 body: the three norms in fp32, then for tok_emb, each layer's wq, ..., each layer's
  wq, wk, wv, wo, w1, w2, w3 (per matrix kind, layer by layer), [wcls]: the int8 codes, then that
  tensor's fp32 scales, one per group_size consecutive elements of the flattened tensor (Q8_0:
  value = code * scale, codes in [-127, 127]). v2 weights are dequantized on load.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from .model_config import DEFAULT_ROPE_THETA, SHAPE_FIELDS, Checkpoint, CheckpointError, Config, check_weights, validate_config

V0_HEADER_BYTES = 4 * len(SHAPE_FIELDS)
MAGIC = 0x616B3432                     # "ak42" read as a little-endian uint32
HEADER_BYTES = 256                     # v1 / v2
SHARED_OFFSET = 8 + V0_HEADER_BYTES    # uint8 shared_classifier
GROUP_OFFSET = SHARED_OFFSET + 1       # v2: int32 group_size (unaligned)
DEFAULT_GROUP = 64
Q8_MAX = 127
V0_ORDER = ("tok_emb", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final",
            "freq_cis_real", "freq_cis_imag", "wcls")
V1_ORDER = ("rms_att", "rms_ffn", "rms_final", "tok_emb", "wq", "wk", "wv", "wo", "w1", "w2", "w3", "wcls")
NORMS = ("rms_att", "rms_ffn", "rms_final")
V2_QUANTIZED = ("tok_emb", "wq", "wk", "wv", "wo", "w1", "w2", "w3", "wcls")
ROPE_TABLE_TOLERANCE = 1e-3            # |cos/sin| difference allowed between a file's tables and ours


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CheckpointError(path, "file", exc.strerror or str(exc)) from exc


def is_v1_or_later(raw: bytes) -> bool:
    return len(raw) >= 4 and int(np.frombuffer(raw[:4], "<u4")[0]) == MAGIC


# ---------------------------------------------------------------- v0

def v0_shapes(cfg: Config) -> dict[str, tuple[int, ...]]:
    """Every v0 tensor in file order (RoPE tables included, wcls only if unshared)."""
    shapes = dict(cfg.weight_shapes())
    shapes["freq_cis_real"] = shapes["freq_cis_imag"] = (cfg.seq_len, cfg.head_size // 2)
    return {name: shapes[name] for name in V0_ORDER if name in shapes}


def v0_file_bytes(cfg: Config) -> int:
    return V0_HEADER_BYTES + 4 * sum(math.prod(s) for s in v0_shapes(cfg).values())


def parse_v0_header(raw: bytes, path: str | Path, file_size: int) -> Config:
    if len(raw) < V0_HEADER_BYTES:
        raise CheckpointError(path, "header", f"truncated: {len(raw)} bytes, need {V0_HEADER_BYTES}")
    fields = dict(zip(SHAPE_FIELDS, (int(v) for v in np.frombuffer(raw[:V0_HEADER_BYTES], dtype="<i4"))))
    shared = fields["vocab_size"] > 0
    fields["vocab_size"] = abs(fields["vocab_size"])
    cfg = Config(**fields, shared_classifier=shared)
    validate_config(cfg, path)
    expected = v0_file_bytes(cfg)
    if file_size != expected:
        problem = "truncated" if file_size < expected else "oversized"
        hint = ""
        if file_size == v0_file_bytes(Config(**fields, shared_classifier=not shared)):
            hint = (f" (the size fits a{'n un' if shared else ' '}shared classifier: "
                    f"vocab_size sign is {'positive' if shared else 'negative'})")
        raise CheckpointError(path, "vocab_size" if hint else "file size",
                              f"{problem}: {file_size} bytes, header implies {expected}{hint}")
    return cfg


def split_tensors(flat: np.ndarray, shapes: dict[str, tuple[int, ...]], path: Path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    offset = 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        tensor = flat[offset:offset + n].reshape(shape).astype(np.float32)
        if not np.all(np.isfinite(tensor)):
            raise CheckpointError(path, name, "contains NaN or Inf")
        out[name] = tensor
        offset += n
    return out


def rope_tables(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """The freq_cis tables llama2.c's export writes (cos, sin), shape (seq_len, head_size/2)."""
    hs = cfg.head_size
    freqs = 1.0 / (float(cfg.rope_theta) ** (np.arange(0, hs, 2, dtype=np.float64) / hs))
    angles = np.outer(np.arange(cfg.seq_len, dtype=np.float64), freqs)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def tables_fit(cfg: Config, cos: np.ndarray, sin: np.ndarray) -> bool:
    want_cos, want_sin = rope_tables(cfg)
    return max(float(np.abs(cos - want_cos).max()), float(np.abs(sin - want_sin).max())) <= ROPE_TABLE_TOLERANCE


def theta_from_tables(cfg: Config, cos: np.ndarray, sin: np.ndarray, path: Path) -> float:
    """The RoPE theta the file's freq_cis tables were made with: 10000 (llama2.c's) when they fit it,
    else the theta of frequency 1 at position 1 (angle = theta^(-2/head_size)) if that fits them all."""
    if tables_fit(cfg, cos, sin):
        return DEFAULT_ROPE_THETA
    found = None
    if cfg.head_size >= 4 and cfg.seq_len >= 2:
        angle = math.atan2(float(sin[1, 1]), float(cos[1, 1]))
        if 0 < angle < 1:
            found = float(f"{angle ** (-cfg.head_size / 2):.6g}")
            if found > 1 and tables_fit(replace(cfg, rope_theta=found), cos, sin):
                return found
    raise CheckpointError(path, "freq_cis_real",
                          "the RoPE tables fit no theta (not 10000"
                          + (f", nor {found:g} read off position 1" if found else "") + ")")


def read_v0(path: Path, raw: bytes) -> Checkpoint:
    cfg = parse_v0_header(raw, path, len(raw))
    weights = split_tensors(np.frombuffer(raw, dtype="<f4", offset=V0_HEADER_BYTES), v0_shapes(cfg), path)
    theta = theta_from_tables(cfg, weights["freq_cis_real"], weights["freq_cis_imag"], path)
    if theta != cfg.rope_theta:
        cfg = replace(cfg, rope_theta=theta)
    return Checkpoint(cfg, weights, "llama2c-v0")


def write_v0(ckpt: Checkpoint, path: str | Path) -> None:
    cfg = ckpt.config
    validate_config(cfg, path)
    check_defaults(cfg, path, "llama2.c v0")
    weights = dict(ckpt.weights)
    if "freq_cis_real" not in weights:
        weights["freq_cis_real"], weights["freq_cis_imag"] = rope_tables(cfg)
    header = [getattr(cfg, f) for f in SHAPE_FIELDS]
    if not cfg.shared_classifier:
        header[SHAPE_FIELDS.index("vocab_size")] = -cfg.vocab_size
    write_file(path, [np.asarray(header, dtype="<i4").tobytes()] + fp32_parts(weights, v0_shapes(cfg), path))


# ---------------------------------------------------------------- v1 / v2

def v1_shapes(cfg: Config) -> dict[str, tuple[int, ...]]:
    shapes = cfg.weight_shapes()
    return {name: shapes[name] for name in V1_ORDER if name in shapes}


def parse_v1_header(raw: bytes, path: Path) -> tuple[int, Config, int]:
    """(version, config, group_size: 0 for v1) of a file that starts with the magic."""
    if len(raw) < HEADER_BYTES:
        raise CheckpointError(path, "header", f"truncated: {len(raw)} bytes, need {HEADER_BYTES}")
    version = int(np.frombuffer(raw[4:8], "<i4")[0])
    if version not in (1, 2):
        raise CheckpointError(path, "version", f"llama2.c version {version} is not supported (1: fp32, 2: Q8_0)")
    fields = dict(zip(SHAPE_FIELDS, (int(v) for v in np.frombuffer(raw[8:SHARED_OFFSET], "<i4"))))
    shared = raw[SHARED_OFFSET]
    if shared not in (0, 1):
        raise CheckpointError(path, "shared_classifier", f"must be 0 or 1, got {shared}")
    cfg = Config(**fields, shared_classifier=bool(shared))
    validate_config(cfg, path)
    group = int(np.frombuffer(raw[GROUP_OFFSET:GROUP_OFFSET + 4], "<i4")[0]) if version == 2 else 0
    return version, cfg, group


def check_size(path: Path, actual: int, expected: int) -> None:
    if actual != expected:
        problem = "truncated" if actual < expected else "oversized"
        raise CheckpointError(path, "file size", f"{problem}: {actual} bytes, header implies {expected}")


def read_v1(path: Path, raw: bytes) -> Checkpoint:
    version, cfg, group = parse_v1_header(raw, path)
    if version == 2:
        return read_v2(path, raw, cfg, group)
    shapes = v1_shapes(cfg)
    check_size(path, len(raw), HEADER_BYTES + 4 * sum(math.prod(s) for s in shapes.values()))
    return Checkpoint(cfg, split_tensors(np.frombuffer(raw, "<f4", offset=HEADER_BYTES), shapes, path),
                      "llama2c-v1")


def v1_header(cfg: Config, version: int, group: int = 0) -> bytes:
    head = (np.array([MAGIC], "<u4").tobytes() + np.array([version], "<i4").tobytes()
            + np.array([getattr(cfg, f) for f in SHAPE_FIELDS], "<i4").tobytes() + bytes([int(cfg.shared_classifier)]))
    if version == 2:
        head += np.array([group], "<i4").tobytes()
    return head + b"\0" * (HEADER_BYTES - len(head))


def fp32_parts(weights: dict[str, np.ndarray], shapes: dict[str, tuple[int, ...]], path: str | Path) -> list[bytes]:
    parts = []
    for name, shape in shapes.items():
        if name not in weights:
            raise CheckpointError(path, name, "missing tensor")
        tensor = np.asarray(weights[name])
        if tensor.shape != shape:
            raise CheckpointError(path, name, f"shape {tensor.shape}, expected {shape}")
        parts.append(tensor.astype("<f4").tobytes())
    return parts


def write_file(path: str | Path, parts: list[bytes]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(b"".join(parts))


def check_defaults(cfg: Config, path: str | Path, what: str) -> None:
    """v0/v1/v2 files cannot hold RMSNorm eps (always 1e-5); v1/v2 cannot hold RoPE theta (10000)."""
    if cfg.rms_norm_eps != Config.rms_norm_eps:
        raise CheckpointError(path, "rms_norm_eps", f"{cfg.rms_norm_eps} cannot be stored in {what} "
                                                    f"(it implies {Config.rms_norm_eps}): write a Hugging Face directory")
    if what != "llama2.c v0" and cfg.rope_theta != Config.rope_theta:
        raise CheckpointError(path, "rope_theta", f"{cfg.rope_theta} cannot be stored in {what} "
                                                  f"(it implies {Config.rope_theta}): write v0 or a Hugging Face directory")


def write_v1(ckpt: Checkpoint, path: str | Path) -> None:
    cfg = ckpt.config
    validate_config(cfg, path)
    check_defaults(cfg, path, "llama2.c v1")
    write_file(path, [v1_header(cfg, 1)] + fp32_parts(ckpt.weights, v1_shapes(cfg), path))


# ---------------------------------------------------------------- v2: Q8_0

def v2_tensors(cfg: Config) -> list[tuple[str, int | None, tuple[int, ...]]]:
    """(name, layer or None, shape) of every Q8_0 tensor in file order."""
    shapes = cfg.weight_shapes()
    out: list[tuple[str, int | None, tuple[int, ...]]] = []
    for name in V2_QUANTIZED:
        if name not in shapes:
            continue
        if name in ("tok_emb", "wcls"):
            out.append((name, None, shapes[name]))
        else:
            out += [(name, l, shapes[name][1:]) for l in range(cfg.n_layers)]
    return out


def quantize_q80(w: np.ndarray, group: int) -> tuple[np.ndarray, np.ndarray]:
    """llama2.c's Q8_0: per group of `group` consecutive elements, scale = max|w| / 127 and
    code = round(w / scale) (float32 arithmetic, round half to even). A zero group has scale 0, codes 0."""
    g = np.asarray(w, np.float32).reshape(-1, group)
    scale = (np.abs(g).max(axis=1) / np.float32(Q8_MAX)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1))
    codes = np.where(scale[:, None] > 0, np.round(g / safe[:, None]), 0).astype(np.int8)
    return codes.reshape(-1), scale


def dequantize_q80(codes: np.ndarray, scales: np.ndarray, group: int) -> np.ndarray:
    """value = code * scale in float32 (what llama2.c's runq.c computes)."""
    return (codes.reshape(-1, group).astype(np.float32) * scales.astype(np.float32)[:, None]).reshape(-1)


def check_group(cfg: Config, group: int, path: str | Path) -> None:
    if group <= 0:
        raise CheckpointError(path, "group_size", f"must be positive, got {group}")
    for name, layer, shape in v2_tensors(cfg):
        if math.prod(shape) % group:
            what = name if layer is None else f"{name}[{layer}]"
            raise CheckpointError(path, "group_size", f"{group} does not divide the {math.prod(shape)} "
                                                      f"elements of {what} {shape}")


def v2_file_bytes(cfg: Config, group: int) -> int:
    norms = sum(math.prod(cfg.weight_shapes()[n]) for n in NORMS)
    quant = sum(math.prod(s) for _, _, s in v2_tensors(cfg))
    return HEADER_BYTES + 4 * norms + quant + 4 * (quant // group)


def read_v2(path: Path, raw: bytes, cfg: Config, group: int) -> Checkpoint:
    check_group(cfg, group, path)
    check_size(path, len(raw), v2_file_bytes(cfg, group))
    shapes = cfg.weight_shapes()
    norm_shapes = {n: shapes[n] for n in NORMS}
    offset = HEADER_BYTES + 4 * sum(math.prod(s) for s in norm_shapes.values())
    weights = split_tensors(np.frombuffer(raw, "<f4", offset=HEADER_BYTES, count=(offset - HEADER_BYTES) // 4),
                            norm_shapes, path)
    parts: dict[str, list[np.ndarray]] = {}
    for name, layer, shape in v2_tensors(cfg):
        n = math.prod(shape)
        codes = np.frombuffer(raw, "<i1", count=n, offset=offset)
        scales = np.frombuffer(raw, "<f4", count=n // group, offset=offset + n)
        offset += n + 4 * (n // group)
        what = name if layer is None else f"{name}[{layer}]"
        if not np.all(np.isfinite(scales)) or np.any(scales < 0):
            raise CheckpointError(path, f"{what} scales", "contains NaN, Inf or a negative scale")
        parts.setdefault(name, []).append(dequantize_q80(codes, scales, group).reshape(shape))
    for name, arrays in parts.items():
        weights[name] = arrays[0] if name in ("tok_emb", "wcls") else np.stack(arrays)
    return Checkpoint(cfg, {k: weights[k] for k in shapes}, "llama2c-v2")


def v2_group(cfg: Config, group: int | None) -> int:
    """llama2.c's choice: 64 halved until it divides dim."""
    if group is not None:
        return group
    group = DEFAULT_GROUP
    while cfg.dim % group:
        group //= 2
    return group


def write_v2(ckpt: Checkpoint, path: str | Path, group: int | None = None) -> None:
    """Q8_0: the weights change (quantized); read the file back for what it holds."""
    cfg = ckpt.config
    validate_config(cfg, path)
    check_defaults(cfg, path, "llama2.c v2")
    group = v2_group(cfg, group)
    check_group(cfg, group, path)
    check_weights(cfg, ckpt.weights, path)
    parts = [v1_header(cfg, 2, group)] + fp32_parts(ckpt.weights, {n: cfg.weight_shapes()[n] for n in NORMS}, path)
    for name, layer, _ in v2_tensors(cfg):
        tensor = ckpt.weights[name] if layer is None else ckpt.weights[name][layer]
        codes, scales = quantize_q80(tensor, group)
        parts += [codes.astype("<i1").tobytes(), scales.astype("<f4").tobytes()]
    write_file(path, parts)


def q80_round_trip(ckpt: Checkpoint, group: int | None = None) -> Checkpoint:
    """The weights a v2 file written from `ckpt` holds (norms exact, matrices quantized)."""
    cfg = ckpt.config
    group = v2_group(cfg, group)
    weights = dict(ckpt.weights)
    for name in V2_QUANTIZED:
        if name in weights and name in cfg.weight_shapes():
            w = np.asarray(weights[name], np.float32)
            flat = w.reshape(-1, *w.shape[-2:]) if name not in ("tok_emb", "wcls") else w[None]
            weights[name] = np.stack([dequantize_q80(*quantize_q80(m, group), group).reshape(m.shape)
                                      for m in flat]).reshape(w.shape)
    return Checkpoint(cfg, weights, ckpt.source_format)
