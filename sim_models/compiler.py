"""Model compiler: checkpoint -> build/<model>/ with ROM images, params header, manifest.

Images are $readmemh files, one word per line, most significant hex digit
first. The layout (docs/rom_layout.md) is exactly what the RTL reads:

* weights.hex -- LANES int8 lanes per word, lane 0 in the low byte. Rows are
  output rows, each padded with zeros to ceil(cols / LANES) words. Per layer:
  wq, wk, wv, wo, then w1 and w3 rows interleaved (w1[0], w3[0], w1[1], ...),
  then w2; after the last layer the classifier, then (unshared only) the
  embedding.
  Other formats (--format, docs/arithmetic.md section 3a): each word holds LANES element
  codes of the format's code width (ternary: 5 trits per byte), lane 0 lowest, and
  wscale.hex holds, at the same address, the group scale codes that word needs.
* requant.hex -- one 24-bit word per weight row, same order:
  [15:0] multiplier M, [21:16] shift S.
* emb_requant.hex -- one 24-bit word per token (embedding row -> residual).
* norm.hex -- int16 RMSNorm gains G in NORM_LANES-wide words (lane 0 low;
  schedule.norm_lanes: at most 8), each norm padded to ceil(dim / NORM_LANES) words: att[0], ffn[0], att[1], ..., final.
* layer.hex -- one 128-bit word per layer: [15:0] M_att, [23:16] S_att,
  [39:24] M_g, [47:40] S_g, [55:48] att norm shift, [63:56] ffn norm shift
  (norm shift = 15 + GS), and in every word the model-wide constants
  [95:64] RMS eps, [111:96] logit multiplier, [119:112] logit shift,
  [127:120] final norm shift. Every number that depends on the weights lives
  in a ROM image: two checkpoints of one shape give the same params.vh and
  the same logic, only ROM contents differ (docs/rtl.md).
* rsqrt.hex (768 x 16), exp2.hex (256 x 16), silu.hex (n_layers*256 x 16),
  rope.hex ((16 + ceil(seq_len/16)) * head_size/2 words: [15:0] COS, [31:16] SIN of the angle-addition
  base tables, tables.rope_base; rf_rope_gen composes each position's entries).

Same input, byte-identical output: nothing here depends on time or paths.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checkpoint import Checkpoint, Config, checkpoint_digest, read_checkpoint
from .corpus import calibration_windows
from .formats import (
    INT8,
    WeightFormat,
    decode_words,
    fields_hex,
    format_from_description,
    hex_fields,
    make_format,
    pack_fields,
    scale_words,
    unpack_fields,
)
from .hardware import CLS_OUT_BITS, ROM_REGIONS, mat_shape
from .limits import check_chip_limits
from .mx import STATIC, ActFormat, act_format_from_description
from .quantize import QMatrix, QNorm, QuantModel, calibrate, matrix_out_bits, quantize
from .sampler import K_MAX
from .schedule import Schedule, norm_lanes, words
from .tables import EXP2_ENTRIES, RSQRT_ENTRIES, rope_at, rope_base

# 2: weight formats (params WFMT/WBITS/..., manifest "format"); 3: model constants in the 128-bit layer ROM;
# 4: calibrated (sequential GPTQ) format codes; 5: norm.hex in NORM_LANES-wide words;
# 6: rope_theta, rms_norm_eps in "config", checkpoint format in "source"; 7: activation format ("act", ACT_*)
MANIFEST_VERSION = 7
LANE_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class Image:
    name: str
    width: int
    values: np.ndarray  # one integer per word (or a (words, lanes) int16 array for norms)
    field_bits: int = 0  # > 0: values are (words, fields) unsigned fields of this width


def hex_lines(values: np.ndarray, bits: int) -> str:
    digits = -(-bits // 4)
    masked = np.asarray(values, dtype=np.int64) & ((1 << bits) - 1)
    return "".join(f"{int(v):0{digits}x}\n" for v in masked)


def lane_words(rows: np.ndarray, lanes: int) -> np.ndarray:
    """(rows, cols) int8 -> (rows * ceil(cols/lanes), lanes) with zero padding."""
    n, cols = rows.shape
    wpr = words(cols, lanes)
    padded = np.zeros((n, wpr * lanes), dtype=np.int64)
    padded[:, :cols] = rows
    return padded.reshape(n * wpr, lanes)


def lane_hex(lane_array: np.ndarray, bits: int) -> str:
    """(words, lanes) signed values -> one hex word per line, lane 0 least significant."""
    dtype = {8: ">u1", 16: ">u2"}[bits]
    raw = (lane_array[:, ::-1].astype(np.int64) & ((1 << bits) - 1)).astype(dtype)
    text = raw.tobytes().hex()
    step = lane_array.shape[1] * bits // 4
    return "".join(text[i:i + step] + "\n" for i in range(0, len(text), step))


def read_lanes(path: Path, lanes: int, bits: int) -> np.ndarray:
    dtype = {8: ">i1", 16: ">i2"}[bits]
    raw = bytes.fromhex(path.read_text().replace("\n", ""))
    return np.frombuffer(raw, dtype=dtype).reshape(-1, lanes)[:, ::-1].astype(np.int64)


def interleave(*mats: np.ndarray) -> np.ndarray:
    """Rows of equally shaped arrays alternating: a[0], b[0], a[1], b[1], ..."""
    n = len(mats)
    out = np.empty((mats[0].shape[0] * n,) + mats[0].shape[1:], dtype=mats[0].dtype)
    for k, m in enumerate(mats):
        out[k::n] = m
    return out


def interleave_matrices(mats: list[QMatrix]) -> QMatrix:
    """One ROM region holding the rows of `mats` alternately (hardware.INTERLEAVED_PHASES)."""
    codes = scodes = None
    if all(m.codes is not None and m.scodes is not None for m in mats):
        codes, scodes = interleave(*(m.codes for m in mats)), interleave(*(m.scodes for m in mats))
    return QMatrix(interleave(*(m.w for m in mats)), interleave(*(m.mult for m in mats)),
                   interleave(*(m.shift for m in mats)), mats[0].out_bits, codes, scodes)


def rom_matrices(qm: QuantModel) -> list[tuple[str, QMatrix]]:
    """Every matrix in ROM order (hardware.ROM_REGIONS per layer, then the classifier), interleaved
    regions already interleaved."""
    out: list[tuple[str, QMatrix]] = []
    for l, layer in enumerate(qm.layers):
        for region, names in ROM_REGIONS:
            m = layer[names[0]] if len(names) == 1 else interleave_matrices([layer[n] for n in names])
            out.append((f"l{l}.{region}", m))
    out.append(("cls", qm.cls))
    return out


MAX_NORM_SHIFT = 39   # + sh/2 <= 23 (v < 2^48) keeps every RMSNorm shift <= 62


def norm_shift(norm: QNorm, what: str) -> int:
    value = 15 + norm.shift
    if not 0 <= value <= MAX_NORM_SHIFT:
        raise ValueError(f"{what}: norm shift {value} outside [0, {MAX_NORM_SHIFT}]")
    return value


def format_words(fmt: WeightFormat, codes: np.ndarray, scodes: np.ndarray | None,
                 lanes: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One matrix's ROM words: (words, fields) and (words, scales_per_word) (None without group scales)."""
    fields = pack_fields(fmt, lane_words(codes, lanes), lanes)
    sw = scale_words(fmt, scodes, codes.shape[1], lanes) if fmt.has_group_scales and scodes is not None else None
    return fields, sw


def build_images(qm: QuantModel, lanes: int) -> tuple[list[Image], dict[str, dict[str, int]]]:
    c, fmt = qm.cfg, qm.fmt
    mats = rom_matrices(qm)
    regions: dict[str, dict[str, int]] = {}
    blocks, sblocks, req_rows, base = [], [], [], 0

    def add(codes: np.ndarray, scodes: np.ndarray | None) -> int:
        lw, sw = format_words(fmt, codes, scodes, lanes)
        if sw is not None:
            sblocks.append(sw)
        blocks.append(lw)
        return lw.shape[0]

    for name, m in mats:
        regions[name] = {"base": base, "rows": m.w.shape[0], "words_per_row": words(m.w.shape[1], lanes)}
        base += add(m.w if m.codes is None else m.codes, m.scodes)
        req_rows.append(m.mult | (m.shift << 16))
    if not c.shared_classifier:
        regions["emb"] = {"base": base, "rows": c.vocab_size, "words_per_row": words(c.dim, lanes)}
        add(qm.emb_w if qm.emb_codes is None else qm.emb_codes, qm.emb_scodes)
    else:
        regions["emb"] = dict(regions["cls"])
    norms = [qm.att_norm[l].gain if i == 0 else qm.ffn_norm[l].gain for l in range(c.n_layers) for i in (0, 1)]
    if not (0 < qm.eps < 1 << 32 and 0 <= qm.logit_mult < 1 << 16 and 0 <= qm.logit_shift < 64):
        raise ValueError(f"model constants outside the layer ROM fields: eps {qm.eps} (32 bits), "
                         f"logit multiplier {qm.logit_mult} (16 bits), logit shift {qm.logit_shift} (6 bits)")
    model_word = (qm.eps << 64 | qm.logit_mult << 96 | qm.logit_shift << 112
                  | norm_shift(qm.final_norm, "final norm") << 120)
    layer_words = [
        int(qm.att_mult[l]) | int(qm.att_shift[l]) << 16 | int(qm.gate_mult[l]) << 24 | int(qm.gate_shift[l]) << 40
        | norm_shift(qm.att_norm[l], f"layer {l} att norm") << 48 | norm_shift(qm.ffn_norm[l], f"layer {l} ffn norm") << 56
        | model_word for l in range(c.n_layers)]
    weight_images = [Image("weights", fmt.word_bits(lanes), np.concatenate(blocks), fmt.fields(lanes)[1])]
    if sblocks:
        weight_images.append(Image("wscale", fmt.scale_word_bits(lanes), np.concatenate(sblocks), fmt.scale_bits))
    rope_cb, rope_sb = rope_base(c.seq_len, c.head_size, c.rope_theta)
    images = weight_images + [
        Image("requant", 24, np.concatenate(req_rows)),
        Image("emb_requant", 24, qm.emb_mult | (qm.emb_shift << 16)),
        Image("norm", 16 * norm_lanes(lanes), lane_words(np.stack(norms + [qm.final_norm.gain]), norm_lanes(lanes))),
        Image("layer", 128, np.array(layer_words, dtype=object)),
        Image("rsqrt", 16, qm.rsqrt),
        Image("exp2", 16, qm.exp2),
        Image("silu", 16, qm.silu.reshape(-1)),
        Image("rope", 32, (rope_cb & 0xFFFF | (rope_sb & 0xFFFF) << 16).reshape(-1)),
    ]
    return images, regions


def image_text(img: Image) -> str:
    if img.field_bits:
        return fields_hex(img.values, img.field_bits)
    if img.name == "norm":
        return lane_hex(img.values, img.width // img.values.shape[1])
    if img.width in (64, 128):
        return "".join(f"{int(v):0{img.width // 4}x}\n" for v in img.values)
    return hex_lines(img.values, img.width)


def params_header(qm: QuantModel, lanes: int, regions: dict[str, dict[str, int]], images: list[Image]) -> str:
    c = qm.cfg
    depth = {img.name: len(img.values) for img in images}
    layer_words = regions["l1.wq"]["base"] if c.n_layers > 1 else regions["cls"]["base"]
    p = {
        "DIM": c.dim, "HIDDEN": c.hidden_dim, "N_LAYERS": c.n_layers, "N_HEADS": c.n_heads,
        "N_KV_HEADS": c.n_kv_heads, "HEAD_SIZE": c.head_size, "KV_DIM": c.kv_dim, "VOCAB": c.vocab_size,
        "SEQ_LEN": c.seq_len, "SHARED_CLS": int(c.shared_classifier), "LANES": lanes,
        "WORDS_DIM": words(c.dim, lanes), "WORDS_HIDDEN": words(c.hidden_dim, lanes),
        "NORM_LANES": norm_lanes(lanes), "WORDS_NORM": words(c.dim, norm_lanes(lanes)),
        "LAYER_WORDS": layer_words, "LAYER_ROWS": 3 * c.dim + 2 * c.kv_dim + 2 * c.hidden_dim,
        "CLS_BASE": regions["cls"]["base"], "EMB_BASE": regions["emb"]["base"],
        "CLS_ROW_BASE": c.n_layers * (3 * c.dim + 2 * c.kv_dim + 2 * c.hidden_dim),
        "K_MAX": min(K_MAX, c.vocab_size),
        "RSQRT_ENTRIES": RSQRT_ENTRIES, "EXP2_ENTRIES": EXP2_ENTRIES,
    }
    # Weight format (hdl/rf_wdecode.v): ROM word width, scale ROM word (0: none), lane operand width.
    fmt = qm.fmt
    p.update({"WFMT": fmt.fid, "WBITS": fmt.wbits, "WGROUP": fmt.group, "WSCALE_BITS": fmt.scale_bits,
              "WEIGHTS_WIDTH": fmt.word_bits(lanes),
              "WSCALE_WIDTH": fmt.scale_word_bits(lanes) if "wscale" in depth else 0})
    if "wscale" not in depth:
        p["WSCALE_DEPTH"] = 1
    # Activation format (docs/arithmetic.md 3b): the matmul inputs' block exponent unit.
    act = qm.act
    p.update({"ACT_FMT": act.aid, "ACT_BLOCK": act.block, "ACT_FRAC": act.frac, "ACT_EXP_BITS": act.exp_bits,
              "ACT_WIDE_BITS": act.wide_bits, "ACT_QKV_BITS": act.qkv_bits, "ACC_BITS": 32 + act.acc_extra_bits})
    p.update({f"{name.upper()}_DEPTH": d for name, d in depth.items()})
    # No include guard: the localparams are module-scoped and each module that needs them includes the file.
    lines = ["// Generated by sim_models.compiler -- do not edit."]
    lines += [f"localparam integer {k} = {v};" if v < 2 ** 31 else f"localparam [63:0] {k} = 64'd{v};"
              for k, v in p.items()]
    lines += [f'localparam {img.name.upper()}_FILE = "{img.name}.hex";' for img in images]
    if "wscale" not in depth:
        lines.append('localparam WSCALE_FILE = "";  // no scale ROM in this format')
    return "\n".join(lines) + "\n"


def manifest(qm: QuantModel, lanes: int, regions: dict, images: list[Image], texts: dict[str, str],
             source: dict[str, str]) -> dict:
    c = qm.cfg
    sched = Schedule(c, lanes, act=qm.act)
    rom = {img.name: {"file": f"{img.name}.hex", "width": img.width, "depth": len(img.values),
                      "bits": img.width * len(img.values),
                      "sha256": hashlib.sha256(texts[img.name].encode()).hexdigest()} for img in images}
    sram = {
        "kv_cache": 2 * c.n_layers * c.seq_len * c.kv_dim * qm.act.qkv_bits,
        "scores": c.n_heads * c.seq_len * 32,
        "activations": 16 * c.dim + 8 * (3 * c.dim + c.hidden_dim) + 16 * c.vocab_size,
    }
    return {
        "version": MANIFEST_VERSION,
        "source": source,
        "config": {**{k: getattr(c, k) for k in ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                                                  "vocab_size", "seq_len", "shared_classifier",
                                                  "rope_theta", "rms_norm_eps")},
                   "head_size": c.head_size, "kv_dim": c.kv_dim, "params": c.n_params()},
        "lanes": lanes,
        "rom": rom,
        "rom_bits": sum(r["bits"] for r in rom.values()),
        "weight_rom_bits": sum(r["bits"] for n, r in rom.items() if n in ("weights", "wscale")),
        "format": qm.fmt.describe(),
        "act": qm.act.describe(),
        "sram": sram,
        "sram_bits": sum(sram.values()),
        "regions": regions,
        "quant": {"rf": qm.rf, "eps": qm.eps, "logit_mult": qm.logit_mult, "logit_shift": qm.logit_shift,
                  "final_norm_shift": 15 + qm.final_norm.shift, "k_max": min(K_MAX, c.vocab_size)},
        "scales": qm.scales,
        "cycles": {
            "formula": sched.formula(),
            "weight_macs": sched.weight_macs(),
            "ideal": sched.ideal_cycles(),
            "phases_pos0": sched.phases(0),
            "utilization_pos0": round(sched.utilization(0), 4),
        },
    }


def compile_model(qm: QuantModel, lanes: int, out: str | Path, source: dict[str, str]) -> dict:
    if lanes not in LANE_CHOICES:
        raise ValueError(f"lanes: {lanes} is not one of {LANE_CHOICES}")
    check_chip_limits(qm.cfg, source.get("checkpoint", "<model>"))
    images, regions = build_images(qm, lanes)
    texts = {img.name: image_text(img) for img in images}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / f"{name}.hex").write_text(text)
    (out / "params.vh").write_text(params_header(qm, lanes, regions, images))
    man = manifest(qm, lanes, regions, images, texts, source)
    (out / "manifest.json").write_text(json.dumps(man, indent=1, sort_keys=True) + "\n")
    return man


def quantize_checkpoint(path: str | Path, fmt: str | WeightFormat = "int8",
                        group: int | None = None, act: ActFormat = STATIC) -> tuple[Checkpoint, QuantModel, str]:
    wf = fmt if isinstance(fmt, WeightFormat) else make_format(fmt, group)
    ckpt = read_checkpoint(path)
    windows, calib_source = calibration_windows(path, ckpt)
    return ckpt, quantize(ckpt, calibrate(ckpt, windows), wf, windows, act), calib_source


def compile_checkpoint(path: str | Path, lanes: int, out: str | Path, fmt: str | WeightFormat = "int8",
                       group: int | None = None, act: ActFormat = STATIC) -> dict:
    """Nothing is written unless the whole model quantizes (bad input raises before any file)."""
    ckpt, qm, calib_source = quantize_checkpoint(path, fmt, group, act)
    return compile_model(qm, lanes, out, {"checkpoint": Path(path).name, "sha256": checkpoint_digest(path),
                                          "checkpoint_format": ckpt.source_format, "calibration": calib_source})


# ---------------------------------------------------------------- reading a build back

def signed(values: np.ndarray, bits: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64)
    return np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)


def load_build(build_dir: str | Path) -> QuantModel:
    """Rebuild the QuantModel from a compiled build: the golden model then runs on
    exactly the bits the RTL's ROMs hold."""
    d = Path(build_dir)
    man = json.loads((d / "manifest.json").read_text())
    cf = man["config"]
    cfg = Config(**{k: cf[k] for k in ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads",
                                       "vocab_size", "seq_len", "shared_classifier", "rope_theta", "rms_norm_eps")})
    lanes = man["lanes"]
    fmt = format_from_description(man.get("format", INT8.describe()))
    act = act_format_from_description(man.get("act", STATIC.describe()), str(d / "manifest.json"))
    nf, fb = fmt.fields(lanes)
    codes_w = unpack_fields(fmt, hex_fields((d / "weights.hex").read_text(), nf, fb), lanes)
    swords = (hex_fields((d / "wscale.hex").read_text(), fmt.scales_per_word(lanes), fmt.scale_bits)
              if fmt.has_group_scales else None)
    weights = decode_words(fmt, codes_w, swords, lanes)
    req = np.array([int(x, 16) for x in (d / "requant.hex").read_text().split()], dtype=np.int64)
    row = 0

    def take(name: str, cols: int, out_bits: int) -> QMatrix:
        nonlocal row
        r = man["regions"][name]
        block = weights[r["base"]:r["base"] + r["rows"] * r["words_per_row"]]
        w = block.reshape(r["rows"], r["words_per_row"] * lanes)[:, :cols]
        rq = req[row:row + r["rows"]]
        row += r["rows"]
        return QMatrix(w, rq & 0xFFFF, rq >> 16, out_bits, *rom_codes(r, cols))

    def rom_codes(r: dict, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """Element and group scale codes of a region, as the quantizer produced them."""
        n, wpr = r["rows"], r["words_per_row"]
        codes = codes_w[r["base"]:r["base"] + n * wpr].reshape(n, wpr * lanes)[:, :cols]
        if swords is None:
            return codes, np.zeros((n, 0), np.int64)
        sw = swords[r["base"]:r["base"] + n * wpr].reshape(n, wpr, -1)
        groups = -(-cols // fmt.group)
        if lanes >= fmt.group:
            return codes, sw.reshape(n, -1)[:, :groups]
        return codes, sw[:, np.arange(groups) * fmt.group // lanes, 0]

    def hexfile(name: str) -> np.ndarray:
        return np.array([int(x, 16) for x in (d / f"{name}.hex").read_text().split()], dtype=np.int64)

    layers = []
    for l in range(cfg.n_layers):
        m: dict[str, QMatrix] = {}
        for region, names in ROM_REGIONS:
            block = take(f"l{l}.{region}", mat_shape(cfg, names[0])[1], matrix_out_bits(names[0], act))
            n = len(names)
            for k, name in enumerate(names):
                m[name] = block if n == 1 else QMatrix(
                    block.w[k::n], block.mult[k::n], block.shift[k::n], block.out_bits,
                    *(None if x is None else x[k::n] for x in (block.codes, block.scodes)))
        layers.append(m)
    cls = take("cls", cfg.dim, CLS_OUT_BITS)
    emb_r = man["regions"]["emb"]
    emb_w = weights[emb_r["base"]:emb_r["base"] + cfg.vocab_size * emb_r["words_per_row"]]
    emb_w = emb_w.reshape(cfg.vocab_size, -1)[:, :cfg.dim]
    emb_codes = emb_scodes = None
    if not cfg.shared_classifier:
        emb_codes, emb_scodes = rom_codes(emb_r, cfg.dim)
    emb_req = hexfile("emb_requant")
    norm = read_lanes(d / "norm.hex", norm_lanes(lanes), 16).reshape(2 * cfg.n_layers + 1, -1)[:, :cfg.dim]
    lw = [int(x, 16) for x in (d / "layer.hex").read_text().split()]
    field = lambda v, lo, n: (v >> lo) & ((1 << n) - 1)  # noqa: E731
    rope = hexfile("rope").reshape(-1, cfg.head_size // 2)
    rope_cos, rope_sin = rope_at(signed(rope & 0xFFFF, 16), signed(rope >> 16, 16), np.arange(cfg.seq_len))
    q = man["quant"]
    return QuantModel(
        cfg=cfg, rf=q["rf"], eps=field(lw[0], 64, 32), layers=layers,
        att_norm=[QNorm(norm[2 * l], field(lw[l], 48, 8) - 15) for l in range(cfg.n_layers)],
        ffn_norm=[QNorm(norm[2 * l + 1], field(lw[l], 56, 8) - 15) for l in range(cfg.n_layers)],
        final_norm=QNorm(norm[-1], field(lw[0], 120, 8) - 15), cls=cls,
        emb_mult=emb_req & 0xFFFF, emb_shift=emb_req >> 16, emb_w=emb_w,
        att_mult=np.array([field(v, 0, 16) for v in lw], np.int64), att_shift=np.array([field(v, 16, 8) for v in lw], np.int64),
        silu=signed(hexfile("silu"), 16).reshape(cfg.n_layers, 256),
        gate_mult=np.array([field(v, 24, 16) for v in lw], np.int64), gate_shift=np.array([field(v, 40, 8) for v in lw], np.int64),
        logit_mult=field(lw[0], 96, 16), logit_shift=field(lw[0], 112, 8),
        rsqrt=hexfile("rsqrt"), exp2=hexfile("exp2"),
        rope_cos=rope_cos, rope_sin=rope_sin,
        scales=man["scales"], fmt=fmt, emb_codes=emb_codes, emb_scodes=emb_scodes, act=act)

