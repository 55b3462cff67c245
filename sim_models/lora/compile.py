"""The adapter build directory: BASE + PEFT directory -> DIR/adapter.hex (one 32-bit SRAM word per line)
and DIR/manifest.json (layout, checksum, cycles, provenance); `load_adapter` reads it back."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..checkpoint import Config, checkpoint_digest
from ..compiler import quantize_checkpoint
from ..hardware import MATRICES, RANK_CHOICES
from ..schedule import Schedule, adapter_cycles
from .calibration import adapter_calibration, calibrate_adapter, parse_targets
from .errors import AdapterError
from .int_adapter import IntAdapter, from_image
from .peft import CORE_TO_PEFT, read_peft
from .sram_image import image_hash, sram_bits

IMAGE_VERSION = 1
DEFAULT_RANK_MAX = 8


def image_hex(img: np.ndarray) -> str:
    return "".join(f"{int(w) & 0xFFFFFFFF:08x}\n" for w in img)


def compile_adapter(base: str | Path, adapter_dir: str | Path, out: str | Path, lanes: int = 32,
                    rank_max: int = DEFAULT_RANK_MAX, targets: str | None = None,
                    calib: str | Path | None = None, fmt: str = "int8", group: int | None = None) -> dict:
    """BASE.bin + PEFT directory -> DIR/adapter.hex and DIR/manifest.json.
    fmt / group: the base build's weight format (the adapter is calibrated on that base; its own A and B
    are int8 in every case)."""
    base, adapter_dir, out = Path(base), Path(adapter_dir), Path(out)
    ckpt, qm, _ = quantize_checkpoint(base, fmt, group)
    if rank_max not in RANK_CHOICES:
        raise AdapterError(f"--rank-max: {rank_max} is not one of {RANK_CHOICES}")
    ad = read_peft(adapter_dir, ckpt.config, rank_max)
    windows, calib_src = adapter_calibration(adapter_dir, base, ckpt, None if calib is None else Path(calib))
    ia = calibrate_adapter(qm, ad, windows, lanes, rank_max, parse_targets(targets))
    img = ia.image()
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter.hex").write_text(image_hex(img))
    man = adapter_manifest(ia, img, {
        "base": base.name, "base_sha256": checkpoint_digest(base),
        "adapter": adapter_dir.name,
        "adapter_sha256": hashlib.sha256((adapter_dir / "adapter_model.safetensors").read_bytes()).hexdigest(),
        "adapter_rope_layout": ad.rope_layout, "calibration": calib_src, "base_format": qm.fmt.describe()},
        ad.r, ad.alpha)
    (out / "manifest.json").write_text(json.dumps(man, indent=1, sort_keys=True) + "\n")
    return man


def adapter_manifest(ia: IntAdapter, img: np.ndarray, source: dict, rank: int, alpha: float) -> dict:
    c = ia.cfg
    base_cycles = Schedule(c, ia.lanes).cycles(0)
    extra = adapter_cycles(c, ia.lanes, ia.rank_max, ia.targets) * c.n_layers
    return {
        "version": IMAGE_VERSION, "source": source, "lanes": ia.lanes,
        "config": {k: getattr(c, k) for k in ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                                               "vocab_size", "seq_len", "shared_classifier")},
        "rank": rank, "rank_max": ia.rank_max, "alpha": alpha,
        "targets": [CORE_TO_PEFT[m] for m in ia.targets], "core_targets": list(ia.targets),
        "targets_mask": sum(1 << MATRICES.index(m) for m in ia.targets),
        "words": int(img.size), "layout": ia.layout(), "sram_bits": sram_bits(c, ia.lanes, ia.rank_max, ia.targets),
        "checksum": f"0x{image_hash(img):08x}",
        "sha256": hashlib.sha256(image_hex(img).encode()).hexdigest(),
        "scales": {"u": ia.scales},
        "cycles": {"base_pos0": base_cycles, "adapter_per_token": extra, "with_adapter_pos0": base_cycles + extra,
                   "ratio": round((base_cycles + extra) / base_cycles, 4)},
    }


def load_adapter(adapter_build: str | Path) -> IntAdapter:
    """Rebuild the IntAdapter from DIR/adapter.hex + manifest.json (exactly the bits the SRAM holds)."""
    d = Path(adapter_build)
    man = json.loads((d / "manifest.json").read_text())
    cfg = Config(**man["config"])
    img = np.array([int(x, 16) for x in (d / "adapter.hex").read_text().split()], np.int64)
    ia = from_image(cfg, man["lanes"], man["rank_max"], tuple(man["core_targets"]), img, str(d / "adapter.hex"))
    ia.rank = man["rank"]
    return ia
