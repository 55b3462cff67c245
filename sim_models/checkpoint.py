"""Checkpoints in and out: one reader for every supported format, recognised by content.

* a directory: a Hugging Face Llama model (config.json + safetensors; sim_models.hf_llama);
* a file starting with the magic "ak42" (0x616b3432): llama2.c v1 (fp32) or v2 (Q8_0), by its
  version field (sim_models.llama2c);
* any other file: llama2.c legacy v0.

All load into one :class:`Checkpoint` (float32 weights in llama2.c's interleaved layout, with
the model's RoPE theta and RMSNorm eps in its Config). Every problem raises
:class:`CheckpointError` naming the file and the field. docs/checkpoints.md describes the formats.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from . import hf_llama, llama2c
from .llama2c import V0_HEADER_BYTES, rope_tables, v0_file_bytes
from .model_config import (
    DEFAULT_RMS_NORM_EPS,
    DEFAULT_ROPE_THETA,
    SHAPE_FIELDS,
    Checkpoint,
    CheckpointError,
    Config,
    random_checkpoint,
    validate_config,
)

__all__ = ["FORMATS", "Checkpoint", "CheckpointError", "Config", "DEFAULT_RMS_NORM_EPS", "DEFAULT_ROPE_THETA",
           "SHAPE_FIELDS", "V0_HEADER_BYTES", "checkpoint_digest", "checkpoint_files", "checkpoint_mtime", "detect_format",
           "random_checkpoint", "read_checkpoint", "rope_tables", "v0_file_bytes", "validate_config",
           "write_checkpoint"]

FORMATS = ("llama2c-v0", "llama2c-v1", "llama2c-v2", "hf-llama")


def detect_format(path: str | Path) -> str:
    """Which of FORMATS `path` holds, by content (the v1/v2 version is checked when read)."""
    path = Path(path)
    if path.is_dir():
        return "hf-llama"
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError as exc:
        raise CheckpointError(path, "file", exc.strerror or str(exc)) from exc
    if llama2c.is_v1_or_later(head):
        return "llama2c-v2" if head[4:8] == b"\2\0\0\0" else "llama2c-v1"
    if path.name == hf_llama.CONFIG or (len(head) == 9 and head[8:9] == b"{" and path.suffix == ".safetensors"):
        raise CheckpointError(path, "file", "part of a Hugging Face model: pass its directory")
    return "llama2c-v0"


def read_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "hf-llama":
        return hf_llama.read_hf(path)
    raw = llama2c.read_bytes(path)
    return llama2c.read_v0(path, raw) if fmt == "llama2c-v0" else llama2c.read_v1(path, raw)


def write_checkpoint(ckpt: Checkpoint, path: str | Path, fmt: str = "llama2c-v0", *, group: int | None = None,
                     dtype: str = "float32", shards: int = 1) -> None:
    """Write `ckpt` as `fmt`: llama2c-v0/-v1 files, llama2c-v2 (Q8_0, `group` elements per scale;
    default llama2.c's: 64 halved until it divides dim), or an hf-llama directory of `dtype` tensors
    in `shards` safetensors files. v2, float16 and bfloat16 round the weights."""
    if fmt == "llama2c-v0":
        llama2c.write_v0(ckpt, path)
    elif fmt == "llama2c-v1":
        llama2c.write_v1(ckpt, path)
    elif fmt == "llama2c-v2":
        llama2c.write_v2(ckpt, path, group)
    elif fmt == "hf-llama":
        hf_llama.write_hf(ckpt, path, dtype, shards)
    else:
        raise CheckpointError(path, "format", f"{fmt!r} is not one of {FORMATS}")


def checkpoint_files(path: str | Path) -> list[Path]:
    """The files a checkpoint is read from (one file, or a directory's config and weights)."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    weights, _ = hf_llama.weight_files(path)
    index = [path / hf_llama.INDEX] if (path / hf_llama.INDEX).exists() else []
    return [path / hf_llama.CONFIG] + index + weights


def checkpoint_mtime(path: str | Path) -> float:
    """When the checkpoint last changed: the newest of its files' modification times."""
    return max(f.stat().st_mtime for f in checkpoint_files(path))


def checkpoint_digest(path: str | Path) -> str:
    """sha256 of a checkpoint file; of a directory, over each file's name and bytes in order."""
    path = Path(path)
    if not path.is_dir():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    for f in checkpoint_files(path):
        data = f.read_bytes()
        h.update(f"{f.name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()
