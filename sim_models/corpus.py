"""Token sources: byte-level text for vocab-256 models, self-sampled sequences otherwise."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .checkpoint import Checkpoint
from .float_model import FloatModel

BOS = 1


def encode_bytes(text: str | bytes) -> np.ndarray:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return np.frombuffer(data, dtype=np.uint8).astype(np.int64)


def decode_bytes(tokens: list[int] | np.ndarray) -> str:
    return bytes(int(t) & 0xFF for t in tokens).decode("utf-8", errors="replace")


def is_byte_model(ckpt: Checkpoint) -> bool:
    return ckpt.config.vocab_size == 256


def text_windows(path: str | Path, seq_len: int, max_tokens: int | None = None) -> list[np.ndarray]:
    """Cut a text file into windows of at most seq_len byte tokens."""
    tokens = encode_bytes(Path(path).read_bytes())
    if max_tokens is not None:
        tokens = tokens[:max_tokens]
    if tokens.size < 2:
        raise ValueError(f"{path}: text: need at least 2 bytes, got {tokens.size}")
    return [tokens[i:i + seq_len] for i in range(0, len(tokens) - 1, seq_len) if len(tokens[i:i + seq_len]) > 1]


def sampled_windows(ckpt: Checkpoint, count: int = 4, length: int = 256, seed: int = 0,
                    temperature: float = 1.0) -> list[np.ndarray]:
    """Sequences the float model samples itself from BOS (for checkpoints without a tokenizer)."""
    model = FloatModel(ckpt, dtype=np.float64)
    rng = np.random.default_rng(seed)
    length = min(length, ckpt.config.seq_len)
    windows = []
    for _ in range(count):
        model.reset()
        seq = [BOS]
        for _ in range(length - 1):
            logits = model.forward([seq[-1]])[-1] / temperature
            p = np.exp(logits - logits.max())
            seq.append(int(rng.choice(len(p), p=p / p.sum())))
        windows.append(np.array(seq, dtype=np.int64))
    return windows


def calibration_windows(ckpt_path: str | Path, ckpt: Checkpoint) -> tuple[list[np.ndarray], str]:
    """Calibration data for a checkpoint: its sidecar '<name>.calib.txt' when there is one
    (byte models), else sequences the float model samples itself. Returns (windows, source)."""
    sidecar = Path(ckpt_path).with_suffix(".calib.txt")
    if sidecar.exists() and is_byte_model(ckpt):
        return text_windows(sidecar, ckpt.config.seq_len), sidecar.name
    return sampled_windows(ckpt), "float-model samples (4 x 256 tokens from BOS, seed 0, T=1)"
