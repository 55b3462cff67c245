"""LoRA adapters over the ROM model: PEFT reading, integer compile, adapter SRAM image, integer arithmetic.

An adapter is a Hugging Face PEFT LoRA directory (``adapter_config.json`` + ``adapter_model.safetensors``)
for the base llama2.c checkpoint. For a target matrix W (rows x cols) it adds ``(alpha/r) B A x``
with A (r x cols) and B (rows x r). The chip holds the adapter in SRAM, loaded over the bus, and
applies it to the requantized output stream of the target's matrix-vector product
(docs/arithmetic.md, "LoRA adapters"):

    u_k  = sat(rsr((sum_i A8[k, i] a_i) * MA_k, SA_k), 8)          k < R  (rank rows, zero-padded)
    d_j  = sum_k B8[j, k] u_k
    y'_j = sat(y_j + rsr(d_j * MB_j, SB_j), OUT_BITS)

`lora_u` and `lora_add` are that arithmetic; the golden model (`GoldenModel(qm, adapter=...)`) and
the RTL unit benches both call them. `IntAdapter.image` is the SRAM image software writes through
ADAPTER_ADDR / ADAPTER_DATA, `load_adapter` reads it back, so the golden model runs on exactly the
bits the chip holds.

    python -m sim_models adapter BASE.bin ADAPTER_DIR --out DIR     image + manifest
    python -m sim_models.lora eval BASE.bin ADAPTER_DIR --text T     the loss table
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .checkpoint import Checkpoint, Config
from .intops import quantize_multipliers, requant, rsr, sat
from .quantize import canonical
from .schedule import words

# PEFT module name -> core matrix; CORE_ORDER gives each matrix its bit in the build's TARGETS mask.
PEFT_TO_CORE = {"q_proj": "wq", "k_proj": "wk", "v_proj": "wv", "o_proj": "wo",
                "gate_proj": "w1", "up_proj": "w3", "down_proj": "w2"}
CORE_TO_PEFT = {v: k for k, v in PEFT_TO_CORE.items()}
PEFT_GROUP = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
              "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}
CORE_ORDER = ("wq", "wk", "wv", "wo", "w1", "w3", "w2")
# The core phase whose matrix-vector product produces each matrix (rf_core.v), in phase order.
PHASES = {"qkv": ("wq", "wk", "wv"), "wo": ("wo",), "w13": ("w1", "w3"), "w2": ("w2",)}
RANK_CHOICES = (4, 8, 16)       # the build's maximum rank R (a power of two: R/4 words per B row)
DEFAULT_RANK_MAX = 8
# Static scales of each matrix's input and output (QuantModel.scales keys; None: the residual scale).
SCALE_IN = {"wq": "att_in", "wk": "att_in", "wv": "att_in", "wo": "v", "w1": "ffn_in", "w3": "ffn_in", "w2": "g"}
SCALE_OUT = {"wq": "q_pair", "wk": "k_pair", "wv": "v", "wo": None, "w1": "h1", "w3": "h3", "w2": None}
OUT_BITS = {"wq": 8, "wk": 8, "wv": 8, "wo": 16, "w1": 8, "w3": 8, "w2": 16}
IMAGE_VERSION = 1
# rf_lora latencies (cycles); sim_models/schedule.py adds adapter_cycles() per layer.
LORA_PIPE = 8          # pre-pass: start to done is n * R * wpr issue cycles + 8 (SRAM/act register, rf_dot's 3
                       # stages, accumulate, acc * MA, rf_rsr's 2 stages; u written with done)
LORA_START = 2         # the core registers lora start from entry, and the matvec start from pre_done
LORA_STREAM = 9        # y stream delay through the unit (B SRAM read, rf_dot's 3 stages, dot * MB,
                       # rf_rsr's 2 stages, y + delta, saturation)


class AdapterError(ValueError):
    """A PEFT adapter does not fit the base model or the build; the message names the file and tensor."""


def mat_shape(cfg: Config, m: str) -> tuple[int, int]:
    """(rows, cols) of a core matrix."""
    d, kv, h = cfg.dim, cfg.kv_dim, cfg.hidden_dim
    return {"wq": (d, d), "wk": (kv, d), "wv": (kv, d), "wo": (d, d), "w1": (h, d), "w3": (h, d), "w2": (d, h)}[m]


# ---------------------------------------------------------------- PEFT reading

@dataclass
class PeftAdapter:
    """A LoRA adapter in float: A[l][m] (r, cols), B[l][m] (rows, r), scaling alpha / r."""
    path: str
    r: int
    alpha: float
    targets: tuple[str, ...]                 # core names, CORE_ORDER
    a: list[dict[str, np.ndarray]]
    b: list[dict[str, np.ndarray]]

    @property
    def scaling(self) -> float:
        return self.alpha / self.r

    def delta(self, layer: int, m: str) -> np.ndarray:
        """The dense weight update (alpha/r) B A of one matrix."""
        return self.scaling * (self.b[layer][m].astype(np.float64) @ self.a[layer][m].astype(np.float64))


TENSOR_RE = re.compile(r"^(?:.*\.)?layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)\.lora_([AB])(?:\.default)?\.weight$")


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
    targets = tuple(m for m in CORE_ORDER if CORE_TO_PEFT[m] in tm)
    return r, float(alpha), targets


def read_peft(path: str | Path, cfg: Config, rank_max: int = max(RANK_CHOICES)) -> PeftAdapter:
    """Read a PEFT LoRA directory for a base model of shape `cfg`; every problem raises AdapterError."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file
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


# ---------------------------------------------------------------- integer arithmetic (the spec)

def lora_u(a: np.ndarray, a8: np.ndarray, a_mult: np.ndarray, a_shift: np.ndarray) -> np.ndarray:
    """u (n, R) = sat(rsr((a @ A8.T) * MA, SA), 8) for int8 inputs a (n, cols)."""
    acc = (a.astype(np.float64) @ a8.T.astype(np.float64)).astype(np.int64)
    return requant(acc, a_mult, a_shift, 8)


def lora_add(y: np.ndarray, u: np.ndarray, b8: np.ndarray, b_mult: np.ndarray, b_shift: np.ndarray,
             out_bits: int) -> np.ndarray:
    """y' (n, rows) = sat(y + rsr((u @ B8.T) * MB, SB), out_bits)."""
    d = (u.astype(np.float64) @ b8.T.astype(np.float64)).astype(np.int64)
    return sat(np.asarray(y, np.int64) + rsr(d * b_mult, b_shift), out_bits)


@dataclass
class QLora:
    """One target matrix's integer adapter, padded to the build's rank R."""
    a8: np.ndarray        # (R, cols) int8
    a_mult: np.ndarray    # (R,)
    a_shift: np.ndarray
    b8: np.ndarray        # (rows, R) int8
    b_mult: np.ndarray    # (rows,)
    b_shift: np.ndarray
    out_bits: int


def quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric int8 (as the base weights: docs/arithmetic.md section 2)."""
    peak = np.max(np.abs(w.astype(np.float64)), axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0 / 127.0)
    return np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int64), scale


@dataclass
class IntAdapter:
    cfg: Config
    lanes: int
    rank_max: int
    targets: tuple[str, ...]          # the build's adapter targets (CORE_ORDER)
    layers: list[dict[str, QLora]]
    rank: int = 0                     # the adapter's own rank (<= rank_max)
    scales: dict[str, list[float]] = field(default_factory=dict)

    # -- the golden model's hook: applied to a fused projection's requantized output
    def apply(self, layer: int, group: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        from .golden import FUSED
        names = FUSED[group]
        if not any(m in self.targets for m in names):
            return y
        out, off = y.copy(), 0
        for m in names:
            rows = mat_shape(self.cfg, m)[0]
            if m in self.targets:
                q = self.layers[layer][m]
                u = lora_u(a, q.a8, q.a_mult, q.a_shift)
                out[:, off:off + rows] = lora_add(y[:, off:off + rows], u, q.b8, q.b_mult, q.b_shift, q.out_bits)
            off += rows
        return out

    # -- the SRAM image (docs/rtl.md, "LoRA adapter unit")
    def layout(self) -> dict[str, dict[str, int]]:
        return image_layout(self.cfg, self.lanes, self.rank_max, self.targets)

    def image(self) -> np.ndarray:
        """32-bit words in bus order: A, B, BQ (MB/SB per B row), U (MA/SA per rank row)."""
        c, R, lay = self.cfg, self.rank_max, self.layout()
        stride = a_stride(c, self.lanes, self.targets)
        a_blk, b_blk, bq, uq = [], [], [], []
        for l in range(c.n_layers):
            for m in self.targets:
                q = self.layers[l][m]
                pad = np.zeros((R, stride * self.lanes), np.int64)
                pad[:, :q.a8.shape[1]] = q.a8
                a_blk.append(bytes_to_words(pad.reshape(-1)))
                b_blk.append(bytes_to_words(q.b8.reshape(-1)))
                bq.append(q.b_mult | q.b_shift << 16)
                uq.append(q.a_mult | q.a_shift << 16)
        img = np.concatenate([np.concatenate(x) if x else np.zeros(0, np.int64) for x in (a_blk, b_blk, bq, uq)])
        assert img.size == lay["total"]["words"], (img.size, lay)
        return img.astype(np.int64)


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
    from .regmap import adapter_hash_step
    h = 0
    for i, w in enumerate(np.asarray(img, np.int64).tolist()):
        h = adapter_hash_step(h, start + i, int(w))
    return h


def bus_load_writes(img: np.ndarray | list[int], start: int = 0) -> list[tuple[str, int]]:
    """The register writes that load an image (docs/registers.md): clear ADAPTER_SUM, ADAPTER_ADDR = start,
    one ADAPTER_DATA write per word. Afterwards ADAPTER_SUM must equal image_hash(img, start) (for a whole
    image from 0: the manifest's checksum); then ADAPTER_CTRL.ENABLE = 1. Every write must get OKAY (the
    core must be idle)."""
    from .regmap import BY_NAME
    clear = BY_NAME["CTRL"].field("ADAPTER_SUM_CLEAR").mask
    return [("CTRL", clear), ("ADAPTER_ADDR", start)] + [("ADAPTER_DATA", int(w) & 0xFFFFFFFF)
                                                        for w in np.asarray(img).tolist()]


def adapter_cycles(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...]) -> int:
    """Extra cycles per layer of a forward pass with the adapter enabled (hdl/rf_lora.v): per targeted
    phase, the pre-pass over the rank rows of each of its targets, the start hand-off and the stream delay."""
    total = 0
    for phase, names in PHASES.items():
        n = sum(m in targets for m in names)
        if n:
            wpr = words(cfg.hidden_dim if phase == "w2" else cfg.dim, lanes)
            total += n * rank_max * wpr + LORA_PIPE + LORA_START + LORA_STREAM
    return total


# ---------------------------------------------------------------- compile

def quantize_adapter(qm, ad: PeftAdapter, u_peak: dict[tuple[int, str], float], lanes: int,
                     rank_max: int, targets: tuple[str, ...] | None = None) -> IntAdapter:
    """Fold the adapter into integers. `u_peak[(l, m)]` is the calibrated max |A x| (real units)."""
    c = qm.cfg
    targets = ad.targets if targets is None else targets
    if ad.r > rank_max:
        raise AdapterError(f"{ad.path}: r: rank {ad.r} is above the build's maximum rank {rank_max}")
    missing = [CORE_TO_PEFT[m] for m in ad.targets if m not in targets]
    if missing:
        raise AdapterError(f"{ad.path}: target_modules: {', '.join(missing)} cannot carry an adapter in this build "
                           f"(build targets: {', '.join(CORE_TO_PEFT[m] for m in targets)})")
    s_res = float(qm.scales["residual"])
    layers: list[dict[str, QLora]] = []
    s_u_all: dict[str, list[float]] = {}
    for l in range(c.n_layers):
        d: dict[str, QLora] = {}
        for m in targets:
            rows, cols = mat_shape(c, m)
            s_in = float(qm.scales[SCALE_IN[m]][l])
            s_out = s_res if SCALE_OUT[m] is None else float(qm.scales[SCALE_OUT[m]][l])
            A = np.zeros((rank_max, cols))
            B = np.zeros((rows, rank_max))
            if m in ad.targets:
                A[:ad.r], B[:, :ad.r] = ad.a[l][m], ad.b[l][m]
            a8, sa = quantize_rows(A)
            b8, sb = quantize_rows(B)
            s_u = max(canonical(u_peak.get((l, m), 0.0)), 1e-6) / 127.0   # machine-independent (quantize.canonical)
            s_u_all.setdefault(m, []).append(s_u)
            what = f"adapter layer {l} {CORE_TO_PEFT[m]}"
            am, ash = quantize_multipliers(sa * s_in / s_u, f"{what} lora_A")
            bm, bsh = quantize_multipliers(ad.scaling * sb * s_u / s_out, f"{what} lora_B")
            d[m] = QLora(a8, am, ash, b8, bm, bsh, OUT_BITS[m])
        layers.append(d)
    return IntAdapter(c, lanes, rank_max, targets, layers, ad.r, s_u_all)


class Recorder:
    """A golden-model adapter hook that records max |A x| per target (optionally applying an adapter)."""

    def __init__(self, qm, ad: PeftAdapter, inner: IntAdapter | None) -> None:
        self.qm, self.ad, self.inner = qm, ad, inner
        self.peak: dict[tuple[int, str], float] = {}

    def apply(self, layer: int, group: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        from .golden import FUSED
        for m in FUSED[group]:
            if m in self.ad.targets:
                s_in = float(self.qm.scales[SCALE_IN[m]][layer])
                u = (a.astype(np.float64) * s_in) @ self.ad.a[layer][m].T
                key = (layer, m)
                self.peak[key] = max(self.peak.get(key, 0.0), float(np.max(np.abs(u))) if u.size else 0.0)
        return y if self.inner is None else self.inner.apply(layer, group, a, y)


def calibrate_adapter(qm, ad: PeftAdapter, windows: list[np.ndarray], lanes: int, rank_max: int,
                      targets: tuple[str, ...] | None = None) -> IntAdapter:
    """Two passes of the golden model over the calibration windows: the base alone, then with the
    first integer adapter applied (the activations the adapted chip sees)."""
    from .golden import GoldenModel
    inner = None
    for _ in range(2):
        rec = Recorder(qm, ad, inner)
        gm = GoldenModel(qm, adapter=rec)
        for w in windows:
            gm.reset()
            gm.forward(np.asarray(w)[:qm.cfg.seq_len])
        inner = quantize_adapter(qm, ad, rec.peak, lanes, rank_max, targets)
    assert inner is not None
    return inner


def parse_targets(text: str | None) -> tuple[str, ...] | None:
    if text is None or text == "auto":
        return None
    out = []
    for t in text.replace(",", " ").split():
        m = PEFT_TO_CORE.get(t, t)
        if m not in CORE_ORDER:
            raise AdapterError(f"--targets: unknown target {t!r}")
        out.append(m)
    return tuple(m for m in CORE_ORDER if m in out)


def adapter_calibration(adapter_dir: Path, base_path: Path, ckpt: Checkpoint,
                        calib: Path | None) -> tuple[list[np.ndarray], str]:
    from .corpus import calibration_windows, text_windows
    if calib is None:
        found = sorted(adapter_dir.glob("calib*.txt"))
        calib = found[0] if found else None
    if calib is not None:
        return text_windows(calib, ckpt.config.seq_len), calib.name
    return calibration_windows(base_path, ckpt)


def compile_adapter(base: str | Path, adapter_dir: str | Path, out: str | Path, lanes: int = 32,
                    rank_max: int = DEFAULT_RANK_MAX, targets: str | None = None,
                    calib: str | Path | None = None, fmt: str = "int8", group: int | None = None) -> dict:
    """BASE.bin + PEFT directory -> DIR/adapter.hex (one 32-bit word per line) and DIR/manifest.json.
    fmt / group: the base build's weight format (the adapter is calibrated on that base; its own A and B
    are int8 in every case)."""
    from .compiler import quantize_checkpoint
    base, adapter_dir, out = Path(base), Path(adapter_dir), Path(out)
    ckpt, qm, _ = quantize_checkpoint(base, fmt, group)
    if rank_max not in RANK_CHOICES:
        raise AdapterError(f"--rank-max: {rank_max} is not one of {RANK_CHOICES}")
    ad = read_peft(adapter_dir, ckpt.config, rank_max)
    windows, calib_src = adapter_calibration(adapter_dir, base, ckpt, None if calib is None else Path(calib))
    ia = calibrate_adapter(qm, ad, windows, lanes, rank_max, parse_targets(targets))
    img = ia.image()
    text = "".join(f"{int(w) & 0xFFFFFFFF:08x}\n" for w in img)
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter.hex").write_text(text)
    man = adapter_manifest(ia, img, {
        "base": base.name, "base_sha256": hashlib.sha256(base.read_bytes()).hexdigest(),
        "adapter": adapter_dir.name,
        "adapter_sha256": hashlib.sha256((adapter_dir / "adapter_model.safetensors").read_bytes()).hexdigest(),
        "calibration": calib_src, "base_format": qm.fmt.describe()}, ad.r, ad.alpha)
    (out / "manifest.json").write_text(json.dumps(man, indent=1, sort_keys=True) + "\n")
    return man


def adapter_manifest(ia: IntAdapter, img: np.ndarray, source: dict, rank: int, alpha: float) -> dict:
    from .schedule import Schedule
    c = ia.cfg
    base_cycles = Schedule(c, ia.lanes).cycles(0)
    extra = adapter_cycles(c, ia.lanes, ia.rank_max, ia.targets) * c.n_layers
    return {
        "version": IMAGE_VERSION, "source": source, "lanes": ia.lanes,
        "config": {k: getattr(c, k) for k in ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                                               "vocab_size", "seq_len", "shared_classifier")},
        "rank": rank, "rank_max": ia.rank_max, "alpha": alpha,
        "targets": [CORE_TO_PEFT[m] for m in ia.targets], "core_targets": list(ia.targets),
        "targets_mask": sum(1 << CORE_ORDER.index(m) for m in ia.targets),
        "words": int(img.size), "layout": ia.layout(), "sram_bits": sram_bits(c, ia.lanes, ia.rank_max, ia.targets),
        "checksum": f"0x{image_hash(img):08x}",
        "sha256": hashlib.sha256("".join(f"{int(w) & 0xFFFFFFFF:08x}\n" for w in img).encode()).hexdigest(),
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


def from_image(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...], img: np.ndarray,
               what: str = "image") -> IntAdapter:
    """Decode an SRAM image (32-bit words, `IntAdapter.image` order)."""
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
    return IntAdapter(cfg, lanes, R, targets, layers, R)


def random_adapter(cfg: Config, lanes: int, rank_max: int, targets: tuple[str, ...], seed: int) -> IntAdapter:
    """Random integer adapter (for RTL tests): int8 A/B including -127/127 rows, multipliers in [2^14, 2^15]
    and shifts around the size of the sums, so u and y' are sometimes saturated, sometimes rounded to 0."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(cfg.n_layers):
        d = {}
        for m in targets:
            rows, cols = mat_shape(cfg, m)
            a8 = rng.integers(-127, 128, (rank_max, cols))
            a8[0] = 127
            b8 = rng.integers(-127, 128, (rows, rank_max))
            b8[rng.integers(0, rows)] = -127
            am = rng.integers(1 << 14, (1 << 15) + 1, rank_max)
            bm = rng.integers(1 << 14, (1 << 15) + 1, rows)
            typ_a = int(np.log2(np.sqrt(cols) * 74 * 74 * (1 << 15)))
            typ_b = int(np.log2(np.sqrt(rank_max) * 74 * 74 * (1 << 15)))
            ash = np.clip(typ_a - 6 + rng.integers(-3, 4, rank_max), 1, 62)
            bsh = np.clip(typ_b - (OUT_BITS[m] - 3) + rng.integers(-4, 5, rows), 1, 62)
            d[m] = QLora(a8, am, ash, b8, bm, bsh, OUT_BITS[m])
        layers.append(d)
    return IntAdapter(cfg, lanes, rank_max, targets, layers, rank_max)


# ---------------------------------------------------------------- evaluation (the results table)

def nll(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return -(z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))[np.arange(len(targets)), targets]


def eval_losses(base: Path, adapter_dir: Path, text: Path, full: Path | None = None, lanes: int = 32,
                rank_max: int = DEFAULT_RANK_MAX, max_tokens: int | None = None) -> dict:
    """Held-out loss (nats/char) of base, base + adapter (float, merged), base + adapter (integer, the
    RTL's arithmetic), the integer base, and optionally a fully fine-tuned checkpoint."""
    from .checkpoint import read_checkpoint
    from .compiler import quantize_checkpoint
    from .corpus import text_windows
    from .float_model import FloatModel
    from .golden import GoldenModel
    ckpt, qm, _ = quantize_checkpoint(base)
    ad = read_peft(adapter_dir, ckpt.config, rank_max)
    windows, _ = adapter_calibration(adapter_dir, base, ckpt, None)
    ia = calibrate_adapter(qm, ad, windows, lanes, rank_max)
    T = ckpt.config.seq_len
    evals = text_windows(text, T + 1, max_tokens)
    s_logit = float(qm.scales["logits"])

    def run_float(ck: Checkpoint) -> float:
        fm = FloatModel(ck)
        out = []
        for w in evals:
            fm.reset()
            out.append(nll(fm.forward(w[:-1]), w[1:]))
        return float(np.concatenate(out).mean())

    def run_int(adapter) -> float:
        gm = GoldenModel(qm, adapter=adapter)
        out = []
        for w in evals:
            gm.reset()
            out.append(nll(gm.forward(w[:-1]) * s_logit, w[1:]))
        return float(np.concatenate(out).mean())

    res = {"text": str(text), "chars": int(sum(len(w) - 1 for w in evals)),
           "base_float": run_float(ckpt), "adapter_float": run_float(merged_checkpoint(ckpt, ad)),
           "base_int": run_int(None), "adapter_int": run_int(ia)}
    if full is not None:
        res["full_float"] = run_float(read_checkpoint(full))
        gap = res["base_float"] - res["full_float"]
        res["gap_closed_float"] = (res["base_float"] - res["adapter_float"]) / gap if gap > 0 else float("nan")
        res["gap_closed_int"] = (res["base_float"] - res["adapter_int"]) / gap if gap > 0 else float("nan")
    res["int_minus_float_adapter"] = res["adapter_int"] - res["adapter_float"]
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}


def cmd_adapter(args: argparse.Namespace) -> int:
    man = compile_adapter(args.base, args.adapter, args.out, args.lanes, args.rank_max, args.targets, args.calib,
                          args.format, args.group)
    print(f"{args.out}: rank {man['rank']} (build max {man['rank_max']}) on {', '.join(man['targets'])}, "
          f"{man['words']} words, SRAM {man['sram_bits']['total']} bits, checksum {man['checksum']}, "
          f"cycles/token at pos 0 {man['cycles']['base_pos0']} -> {man['cycles']['with_adapter_pos0']}")
    return 0


def add_adapter_parser(sub: argparse._SubParsersAction) -> None:
    """The `adapter` subcommand of python -m sim_models."""
    p = sub.add_parser("adapter", help="PEFT LoRA adapter -> integer SRAM image (adapter.hex) + manifest.json")
    p.add_argument("base", type=Path, help="the base checkpoint (llama2.c .bin)")
    p.add_argument("adapter", type=Path, help="PEFT adapter directory (adapter_config.json, adapter_model.safetensors)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--lanes", type=int, default=32)
    p.add_argument("--rank-max", type=int, default=DEFAULT_RANK_MAX, help=f"the build's maximum rank {RANK_CHOICES}")
    p.add_argument("--targets", default=None, help="the build's adapter targets (default: the adapter's own)")
    p.add_argument("--calib", type=Path, default=None, help="calibration text (default: ADAPTER_DIR/calib*.txt)")
    from .__main__ import add_format      # the base build's --format / --group (the compile subcommand's)
    add_format(p)
    p.set_defaults(func=cmd_adapter)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim_models.lora", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eval", help="held-out loss: base / adapter float / adapter integer / full fine-tune")
    e.add_argument("base", type=Path)
    e.add_argument("adapter", type=Path)
    e.add_argument("--text", type=Path, required=True)
    e.add_argument("--full", type=Path, default=None, help="fully fine-tuned checkpoint (the ceiling)")
    e.add_argument("--lanes", type=int, default=32)
    e.add_argument("--rank-max", type=int, default=DEFAULT_RANK_MAX)
    e.add_argument("--max-tokens", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        print(json.dumps(eval_losses(args.base, args.adapter, args.text, args.full, args.lanes, args.rank_max,
                                     args.max_tokens), indent=1))
    except (AdapterError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
