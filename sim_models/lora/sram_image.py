"""The adapter SRAM of a build (docs/rtl.md, "LoRA adapter unit"): its layout, the 32-bit word image
software writes through ADAPTER_ADDR / ADAPTER_DATA, the ADAPTER_SUM checksum and the bus writes.

Regions in bus order: A (each layer's targets' rank rows, padded to the longest input), B (rows x R
int8), BQ (MB | SB << 16 per B row), U (MA | SA << 16 per rank row).
"""
from __future__ import annotations

import numpy as np

from ..checkpoint import Config
from ..hardware import OUT_BITS, RANK_CHOICES, mat_shape
from ..regmap import BY_NAME, adapter_hash_step
from ..schedule import words
from .arithmetic import QLora
from .errors import AdapterError


def bytes_to_words(v: np.ndarray) -> np.ndarray:
    """int8 values -> 32-bit words, element 0 in the low byte."""
    b = (np.asarray(v, np.int64) & 0xFF).reshape(-1, 4)
    return b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16 | b[:, 3] << 24


def words_to_bytes(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, np.int64)
    b = np.stack([(w >> (8 * i)) & 0xFF for i in range(4)], axis=-1).reshape(-1)
    return np.where(b >= 128, b - 256, b)


def a_stride(cfg: Config, lanes: int, targets: tuple[str, ...]) -> int:
    """Lane words per A rank row in SRAM: the longest input among the targets (w2 reads hidden)."""
    return words(cfg.hidden_dim if "w2" in targets else cfg.dim, lanes)


def image_layout(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Base word address and size of each region (A, B, BQ, U) and of the whole image."""
    if rank_max not in RANK_CHOICES:
        raise AdapterError(f"rank_max: {rank_max} is not one of {RANK_CHOICES}")
    if lanes < 4:
        raise AdapterError(f"lanes: adapters need LANES >= 4 (a lane word is LANES/4 bus words), got {lanes}")
    L, nt, R = cfg.n_layers, len(targets), rank_max
    rows = sum(mat_shape(cfg, m)[0] for m in targets)
    sizes = {"A": L * nt * R * a_stride(cfg, lanes, targets) * lanes // 4, "B": L * rows * R // 4,
             "BQ": L * rows, "U": L * nt * R}
    out, base = {}, 0
    for k, n in sizes.items():
        out[k] = {"base": base, "words": n}
        base += n
    out["total"] = {"base": 0, "words": base}
    return out


def sram_bits(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...]) -> dict[str, int]:
    """Adapter SRAM of a build: every region in 32-bit words as rf_lora holds them (BQ and U use 22 of 32)."""
    lay = image_layout(cfg, lanes, rank_max, targets)
    bits = {k: 32 * lay[k]["words"] for k in ("A", "B", "BQ", "U")}
    bits["total"] = sum(bits.values())
    return bits


def image_hash(img: np.ndarray, start: int = 0) -> int:
    """ADAPTER_SUM after writing `img` word by word from ADAPTER_ADDR = start (after a CTRL.ADAPTER_SUM_CLEAR):
    h = rotl(h, 1) ^ data ^ (addr * 0x9E3779B1 mod 2^32)."""
    h = 0
    for i, w in enumerate(np.asarray(img, np.int64).tolist()):
        h = adapter_hash_step(h, start + i, int(w))
    return h


def bus_load_writes(img: np.ndarray | list[int], start: int = 0) -> list[tuple[str, int]]:
    """The register writes that load an image (docs/registers.md): clear ADAPTER_SUM, ADAPTER_ADDR = start,
    one ADAPTER_DATA write per word. Afterwards ADAPTER_SUM must equal image_hash(img, start) (for a whole
    image from 0: the manifest's checksum); then ADAPTER_CTRL.ENABLE = 1. Every write must get OKAY (the
    core must be idle)."""
    clear = BY_NAME["CTRL"].field("ADAPTER_SUM_CLEAR").mask
    return [("CTRL", clear), ("ADAPTER_ADDR", start)] + [("ADAPTER_DATA", int(w) & 0xFFFFFFFF)
                                                        for w in np.asarray(img).tolist()]


def encode_image(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...],
                 layers: list[dict[str, QLora]]) -> np.ndarray:
    """32-bit words in bus order: A, B, BQ (MB/SB per B row), U (MA/SA per rank row)."""
    R, lay = rank_max, image_layout(cfg, lanes, rank_max, targets)
    stride = a_stride(cfg, lanes, targets)
    a_blk, b_blk, bq, uq = [], [], [], []
    for d in layers:
        for m in targets:
            q = d[m]
            pad = np.zeros((R, stride * lanes), np.int64)
            pad[:, :q.a8.shape[1]] = q.a8
            a_blk.append(bytes_to_words(pad.reshape(-1)))
            b_blk.append(bytes_to_words(q.b8.reshape(-1)))
            bq.append(q.b_mult | q.b_shift << 16)
            uq.append(q.a_mult | q.a_shift << 16)
    img = np.concatenate([np.concatenate(x) if x else np.zeros(0, np.int64) for x in (a_blk, b_blk, bq, uq)])
    assert img.size == lay["total"]["words"], (img.size, lay)
    return img.astype(np.int64)


def decode_image(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...], img: np.ndarray,
                 what: str = "image") -> list[dict[str, QLora]]:
    """The per-layer integer adapters an SRAM image holds (`encode_image` order)."""
    R = rank_max
    lay = image_layout(cfg, lanes, R, targets)
    img = np.asarray(img, np.int64)
    if img.size != lay["total"]["words"]:
        raise AdapterError(f"{what}: {img.size} words, the layout needs {lay['total']['words']}")
    stride = a_stride(cfg, lanes, targets)
    a_all = words_to_bytes(img[:lay["A"]["words"]]).reshape(cfg.n_layers, len(targets), R, stride * lanes)
    b0 = lay["B"]["base"]
    bq = img[lay["BQ"]["base"]:lay["BQ"]["base"] + lay["BQ"]["words"]]
    uq = img[lay["U"]["base"]:].reshape(cfg.n_layers, len(targets), R)
    b_all = words_to_bytes(img[b0:b0 + lay["B"]["words"]])
    layers, row = [], 0
    for l in range(cfg.n_layers):
        d_l = {}
        for t, m in enumerate(targets):
            rows, cols = mat_shape(cfg, m)
            b8 = b_all[row * R:(row + rows) * R].reshape(rows, R)
            q = bq[row:row + rows]
            row += rows
            d_l[m] = QLora(a_all[l, t, :, :cols], uq[l, t] & 0xFFFF, (uq[l, t] >> 16) & 0x3F, b8,
                           q & 0xFFFF, (q >> 16) & 0x3F, OUT_BITS[m])
        layers.append(d_l)
    return layers
