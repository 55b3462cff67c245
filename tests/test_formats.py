"""Weight formats (docs/arithmetic.md section 3a): element and scale encodings, the quantizers'
scale search, ROM packing that reads back bit-exactly, the golden model on every format, and
bad input (unknown format, group size, NaN/Inf, all-zero block) with named errors and nothing written."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import EMBEDDED, SHAPES, quantized
from sim_models.__main__ import main as cli
from sim_models.checkpoint import random_checkpoint, read_checkpoint, write_checkpoint
from sim_models.compiler import compile_model, load_build
from sim_models.formats import (
    E2M1_X2,
    FORMAT_NAMES,
    FormatError,
    check_accumulator,
    decode,
    fields_hex,
    format_from_description,
    hex_fields,
    make_format,
    pack_fields,
    quantize_weights,
    trit_digits,
    unpack_fields,
)
from sim_models.golden import GoldenModel
from sim_models.quantize import calibrate, quantize
from sim_models.schedule import Schedule

SOURCE = {"checkpoint": "random", "sha256": "0" * 64, "calibration": "random tokens"}
FORMATS = [f for f in FORMAT_NAMES if f != "int8"]


def quantized_fmt(shape: str, fmt: str, seed: int = 1):
    ckpt = random_checkpoint(SHAPES[shape], seed)
    rng = np.random.default_rng(seed + 100)
    windows = [rng.integers(0, ckpt.config.vocab_size, ckpt.config.seq_len) for _ in range(3)]
    return ckpt, quantize(ckpt, calibrate(ckpt, windows), make_format(fmt), windows)   # sequential GPTQ, as compiled


def test_fp4_and_scales() -> None:
    """E2M1 codes 0..7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6 (x2 as integers), bit 3 the sign; scale codes
    decode to g (int4), 2^d (mxfp4), (8+m) << e (nvfp4)."""
    assert E2M1_X2.tolist() == [0, 1, 2, 3, 4, 6, 8, 12]
    codes = np.arange(16)
    assert decode(make_format("mxfp4"), codes, 0).tolist() == [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]
    assert decode(make_format("mxfp4"), 7, 7) == 12 * 128
    assert decode(make_format("nvfp4"), 15, 0b11_111) == -12 * (15 << 3)
    assert decode(make_format("nvfp4"), 2, 0b01_010) == 2 * (10 << 1)
    assert decode(make_format("int4"), codes, 3).tolist() == [3 * v for v in list(range(8)) + list(range(-8, 0))]


def test_ternary_packing() -> None:
    """5 trits per byte, digit = w + 1; every valid byte unpacks to its trits, padding lanes decode to 0."""
    fmt = make_format("ternary")
    w = np.array(np.meshgrid(*[[-1, 0, 1]] * 5, indexing="ij")).reshape(5, -1).T      # all 243 patterns
    fields = pack_fields(fmt, w, 5)
    assert sorted(fields[:, 0].tolist()) == list(range(243))
    np.testing.assert_array_equal(unpack_fields(fmt, fields, 5), w)
    lanes = 8                                   # 2 bytes, lanes 8, 9 of the second byte are padding
    words = np.random.default_rng(0).integers(-1, 2, (50, lanes))
    f = pack_fields(fmt, words, lanes)
    np.testing.assert_array_equal(unpack_fields(fmt, f, lanes), words)
    np.testing.assert_array_equal(trit_digits(f[:, 1])[:, 3:], 1)
    assert trit_digits(np.array([255]))[0].tolist() == [0, 1, 1, 0, 3]      # never written: digit 3


@pytest.mark.parametrize("bits,n", [(3, 1), (4, 8), (5, 4), (8, 7), (4, 64), (3, 2)])
def test_hex_fields_roundtrip(bits: int, n: int) -> None:
    rng = np.random.default_rng(bits * 100 + n)
    f = rng.integers(0, 1 << bits, (37, n))
    text = fields_hex(f, bits)
    assert all(len(line) == -(-n * bits // 4) for line in text.split())
    np.testing.assert_array_equal(hex_fields(text, n, bits), f)
    assert int(text.split()[0], 16) == sum(int(v) << (bits * j) for j, v in enumerate(f[0]))


@pytest.mark.parametrize("fmt_name", FORMATS)
def test_quantizer_search_beats_plain(fmt_name: str) -> None:
    """The searched scales give a squared error no larger than the plain choice (absmax group
    scale for int4 and nvfp4, the OCP shared exponent for mxfp4, absmean for ternary)."""
    fmt = make_format(fmt_name)
    w = np.random.default_rng(3).standard_t(4, (48, 96)) * 0.02
    q = quantize_weights(w, fmt, "test")
    err = np.sum((q.w_eff * q.u[:, None] - w) ** 2)
    np.testing.assert_array_equal(decode(fmt, q.codes, q.scodes[:, np.arange(96) // fmt.group] if fmt.group else 0),
                                  q.w_eff)
    if fmt_name == "ternary":
        s = np.abs(w).mean(axis=1, keepdims=True)
        plain = np.clip(np.round(w / s), -1, 1) * s
    else:
        b = w.reshape(48, -1, fmt.group)
        peak = np.abs(b).max(-1, keepdims=True)
        if fmt_name == "int4":
            step = peak / 7
            plain = np.clip(np.round(b / step), -7, 7) * step
        else:
            scale = 2.0 ** (np.floor(np.log2(peak)) - 2) if fmt_name == "mxfp4" else peak / 6
            grid = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6])
            a = np.abs(b) / scale
            plain = np.sign(b) * grid[np.argmin(np.abs(a[..., None] - grid), -1)] * scale
        plain = plain.reshape(48, 96)
    assert err <= np.sum((plain - w) ** 2)


def _output_error(w: np.ndarray, q, h: np.ndarray) -> float:
    e = w - q.w_eff * q.u[:, None]
    return float(np.einsum("ij,jk,ik->", e, h, e))


@pytest.mark.parametrize("fmt_name", FORMATS)
def test_gptq_lowers_output_error(fmt_name: str) -> None:
    """With a calibration Hessian (correlated inputs), GPTQ + coordinate-descent refinement gives a
    lower output error tr(E H E^T) than the Hessian-free quantizer, and decodes consistently."""
    rng = np.random.default_rng(7)
    w = rng.standard_t(4, (40, 64)) * 0.02
    x = rng.standard_normal((512, 64)) @ (np.eye(64) + 0.5 * rng.standard_normal((64, 64)) / 8)
    x[:, 3] *= 6.0                                    # an outlier input channel
    h = x.T @ x
    fmt = make_format(fmt_name)
    plain, gptq = quantize_weights(w, fmt, "t"), quantize_weights(w, fmt, "t", h)
    np.testing.assert_array_equal(decode(fmt, gptq.codes, gptq.scodes[:, np.arange(64) // fmt.group] if fmt.group else 0),
                                  gptq.w_eff)
    assert _output_error(w, gptq, h) < 0.9 * _output_error(w, plain, h)


@pytest.mark.parametrize("fmt_name", ["int4", "nvfp4"])
def test_per_row_hessians(fmt_name: str) -> None:
    """Per-row Hessians (the classifier's loss-weighted ones) that are all equal give the codes of
    the shared Hessian; a per-row Hessian is honoured (a row whose inputs differ rounds differently)."""
    rng = np.random.default_rng(8)
    w = rng.standard_normal((6, 32)) * 0.05
    x = rng.standard_normal((200, 32))
    h = x.T @ x
    fmt = make_format(fmt_name)
    shared = quantize_weights(w, fmt, "t", h)
    rows = quantize_weights(w, fmt, "t", np.broadcast_to(h, (6, 32, 32)).copy())
    np.testing.assert_array_equal(shared.codes, rows.codes)
    np.testing.assert_array_equal(shared.scodes, rows.scodes)
    hr = np.broadcast_to(h, (6, 32, 32)).copy()
    hr[0] = np.diag(np.arange(1, 33, dtype=np.float64) ** 3)
    other = quantize_weights(w, fmt, "t", hr)
    np.testing.assert_array_equal(other.codes[1:], shared.codes[1:])
    assert _output_error(w[:1], type(other)(other.codes[:1], other.scodes[:1], other.u[:1], other.w_eff[:1]), hr[0]) \
        <= _output_error(w[:1], type(shared)(shared.codes[:1], shared.scodes[:1], shared.u[:1], shared.w_eff[:1]), hr[0])


def test_classifier_hessian_fallback(monkeypatch) -> None:
    """A classifier too large for one Hessian per row uses the shared one of the quantized body:
    it still quantizes (GPTQ) and differs from the per-row (loss-weighted) choice."""
    import sim_models.quantize as qmod
    _, per_row = quantized_fmt("gqa", "nvfp4")
    monkeypatch.setattr(qmod, "PER_ROW_HESSIAN_LIMIT", 0)
    _, shared = quantized_fmt("gqa", "nvfp4")
    for qm in (per_row, shared):
        fmt = qm.fmt
        np.testing.assert_array_equal(decode(fmt, qm.cls.codes, qm.cls.scodes[:, np.arange(qm.cls.codes.shape[1]) // fmt.group]),
                                      qm.cls.w)
    for l in range(len(per_row.layers)):          # the body is quantized the same way
        np.testing.assert_array_equal(per_row.layers[l]["w2"].codes, shared.layers[l]["w2"].codes)
    assert not np.array_equal(per_row.cls.codes, shared.cls.codes)


def test_hessian_shape_named() -> None:
    with pytest.raises(FormatError, match=r"layer 2 wq: calibration Hessian shape \(16, 16\) does not match 4 rows of 32"):
        quantize_weights(np.ones((4, 32)), make_format("int4"), "layer 2 wq", np.eye(16))


def test_ternary_exact_for_ternary_weights() -> None:
    """A ternary-trained checkpoint stores s_j * q_j: the quantizer recovers q and s exactly."""
    rng = np.random.default_rng(5)
    q = rng.integers(-1, 2, (20, 64))
    q[:, 0] = 1
    s = rng.uniform(0.01, 0.1, 20)
    out = quantize_weights((q * s[:, None]).astype(np.float32), make_format("ternary"), "t", hessian=np.eye(64))
    np.testing.assert_array_equal(out.codes, q)
    np.testing.assert_allclose(out.u, s.astype(np.float32), rtol=1e-7)


def test_int4_exact_for_int4_weights() -> None:
    """An int4-trained checkpoint stores u_j * g * q (row factor, group scale in [1, 15], elements
    in [-7, 7], a row's peak 105 u_j): the quantizer recovers w_eff = g * q and u exactly, with and
    without GPTQ (rows of 172 inputs end in a short group)."""
    rng = np.random.default_rng(6)
    rows, cols, group = 12, 172, 32
    nb = -(-cols // group)
    g = rng.integers(1, 16, (rows, nb))
    q = rng.integers(-7, 8, (rows, cols))
    g[:, 1], q[:, 40] = 15, rng.choice([-7, 7], rows)           # each row's peak: 105 u
    u = rng.uniform(1e-4, 1e-2, rows)
    w_eff = q * g[:, np.arange(cols) // group]
    w = (w_eff * u[:, None]).astype(np.float32)
    for hessian in (None, np.cov(rng.normal(size=(cols, 400))) + np.eye(cols)):
        out = quantize_weights(w, make_format("int4"), "t", hessian=hessian)
        np.testing.assert_array_equal(out.w_eff, w_eff)
        np.testing.assert_allclose(out.u, u.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("fmt_name", FORMATS)
@pytest.mark.parametrize("shape,lanes", [("gqa", 8), ("unshared", 16), ("odd_hidden", 64)])
def test_build_reads_back(tmp_path, fmt_name: str, shape: str, lanes: int) -> None:
    """The golden model on the ROM images (decoded as the RTL decodes them) equals the golden
    model on the quantizer's output; codes read back; the schedule is the int8 one."""
    ckpt, qm = quantized_fmt(shape, fmt_name)
    man = compile_model(qm, lanes, tmp_path, SOURCE)
    back = load_build(tmp_path)
    assert back.fmt == qm.fmt
    for l, layer in enumerate(qm.layers):
        for n, m in layer.items():
            np.testing.assert_array_equal(back.layers[l][n].w, m.w, err_msg=f"{fmt_name} layer {l} {n}")
            np.testing.assert_array_equal(back.layers[l][n].codes, m.codes)
            np.testing.assert_array_equal(back.layers[l][n].scodes, m.scodes)
    np.testing.assert_array_equal(back.emb_w, qm.emb_w)
    tokens = np.random.default_rng(0).integers(0, qm.cfg.vocab_size, qm.cfg.seq_len)
    np.testing.assert_array_equal(GoldenModel(back).forward(tokens), GoldenModel(qm).forward(tokens))
    fmt = qm.fmt
    assert man["format"]["name"] == fmt_name
    assert man["rom"]["weights"]["width"] == fmt.word_bits(lanes)
    assert ("wscale" in man["rom"]) == bool(fmt.group)
    assert man["cycles"]["formula"] == Schedule(qm.cfg, lanes).formula()
    params = (tmp_path / "params.vh").read_text()
    assert f"localparam integer WFMT = {fmt.fid};" in params and f"localparam integer WBITS = {fmt.wbits};" in params


def test_rom_bits_shrink(tmp_path) -> None:
    """Weight ROM bits (weights + scales) per format against int8 on one shape at LANES 32."""
    cfg = SHAPES["gqa"]
    bits = {}
    for name in FORMAT_NAMES:
        _, qm = quantized_fmt("gqa", name) if name != "int8" else quantized(cfg, seed=1)
        bits[name] = compile_model(qm, 32, tmp_path / name, SOURCE)["weight_rom_bits"]
    for name in ("int4", "mxfp4", "nvfp4"):
        assert bits[name] <= 0.55 * bits["int8"], (name, bits)
    assert bits["ternary"] <= 0.30 * bits["int8"], bits


def test_rom_total_targets_embedded(tmp_path) -> None:
    """Issue 9's ROM targets on the embedded model at LANES 32, every image of the build counted
    (weights, scales, requant, norms, RoPE/SiLU/RSQRT/EXP2 tables): int4 and mxfp4 <= 55% of
    int8, ternary <= 30%. ROM sizes follow from the shape, so a one-window calibration will do."""
    ckpt = read_checkpoint(EMBEDDED)
    cal = calibrate(ckpt, [np.frombuffer(b"It is a truth universally acknowledged", np.uint8).astype(np.int64)])
    bits = {name: compile_model(quantize(ckpt, cal, make_format(name)), 32, tmp_path / name, SOURCE)["rom_bits"]
            for name in ("int8", "int4", "mxfp4", "ternary")}
    for name in ("int4", "mxfp4"):
        assert bits[name] <= 0.55 * bits["int8"], (name, bits)
    assert bits["ternary"] <= 0.30 * bits["int8"], bits


def test_int8_unchanged(tmp_path) -> None:
    """--format int8 is the original path: no scale ROM, 8-bit lanes, the int8 quantizer."""
    cfg = SHAPES["gqa"]
    _, qm = quantized(cfg, seed=1)
    _, qm8 = quantized_fmt("gqa", "int8")
    compile_model(qm, 8, tmp_path / "a", SOURCE)
    compile_model(qm8, 8, tmp_path / "b", SOURCE)
    for name in ("weights.hex", "requant.hex", "emb_requant.hex"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not (tmp_path / "a" / "wscale.hex").exists()


# ---------------------------------------------------------------------------------- bad input

def test_format_table() -> None:
    """One class per format in FORMATS: distinct RTL codes (WFMT of hdl/rf_wdecode.v), group scales exactly
    where there are scale bits, and a build's manifest entry names its format back (int4's group included)."""
    fmts = [make_format(n) for n in FORMAT_NAMES]
    assert sorted(f.fid for f in fmts) == list(range(len(FORMAT_NAMES)))
    for f in fmts + [make_format("int4", 64)]:
        assert f.has_group_scales == bool(f.scale_bits) == bool(f.group)
        assert format_from_description(json.loads(json.dumps(f.describe()))) == f
    with pytest.raises(FormatError, match="unknown format 'fp3'"):
        format_from_description({"name": "fp3"})


def test_unknown_format_and_group() -> None:
    with pytest.raises(FormatError, match="unknown format 'fp3'"):
        make_format("fp3")
    with pytest.raises(FormatError, match="group size 24"):
        make_format("int4", 24)
    with pytest.raises(FormatError, match="fixed at 32"):
        make_format("mxfp4", 16)
    with pytest.raises(FormatError, match="does not apply"):
        make_format("ternary", 32)


@pytest.mark.parametrize("fmt_name", FORMATS)
def test_nan_and_zero_block_named(fmt_name: str) -> None:
    fmt = make_format(fmt_name)
    w = np.random.default_rng(1).normal(0, 0.02, (6, 64))
    bad = w.copy()
    bad[4, 37] = np.nan
    with pytest.raises(FormatError, match=r"layer 2 w1: row 4 column 37: .*not finite"):
        quantize_weights(bad, fmt, "layer 2 w1")
    bad = w.copy()
    bad[3, 32:] = 0.0 if fmt.group else bad[3, 32:]
    if not fmt.group:
        bad[3] = 0.0
    where = r"row 3: all zero" if not fmt.group else rf"row 3 block {32 // fmt.group} \(inputs 32\.\."
    with pytest.raises(FormatError, match=rf"layer 0 wq: {where}"):
        quantize_weights(bad, fmt, "layer 0 wq")


def test_accumulator_bound_named() -> None:
    w = np.full((3, 20000), 1536)
    with pytest.raises(FormatError, match="classifier: row 0: accumulator bound"):
        check_accumulator(w, "classifier")
    check_accumulator(np.full((3, 64), 1536), "ok")


def test_cli_errors_write_nothing(tmp_path, capsys) -> None:
    """Bad input through the CLI: exit status 2, the tensor named, no output directory."""
    ckpt = random_checkpoint(SHAPES["unshared"], seed=2)
    ckpt.weights["w2"][0][5, :] = 0.0                  # an all-zero row: its first group has no scale
    path = tmp_path / "bad.bin"
    write_checkpoint(ckpt, path)
    out = tmp_path / "out"
    assert cli(["compile", str(path), "--lanes", "8", "--out", str(out), "--format", "int4"]) == 2
    assert "layer 0 w2: row 5 block 0 (inputs 0..31): all zero" in capsys.readouterr().err
    assert not out.exists()
    ckpt.weights["w2"][0][5, 3] = np.inf                # NaN/Inf: the checkpoint reader names the tensor
    write_checkpoint(ckpt, path)
    assert cli(["compile", str(path), "--lanes", "8", "--out", str(out), "--format", "int4"]) == 2
    assert "w2: contains NaN or Inf" in capsys.readouterr().err
    assert not out.exists()
    good = tmp_path / "good.bin"
    write_checkpoint(random_checkpoint(SHAPES["unshared"], seed=2), good)
    assert cli(["compile", str(good), "--lanes", "8", "--out", str(out), "--format", "int5"]) == 2
    assert "unknown format 'int5'" in capsys.readouterr().err
    assert cli(["compile", str(good), "--lanes", "8", "--out", str(out), "--format", "int4", "--group", "12"]) == 2
    assert "group size 12" in capsys.readouterr().err
    assert not out.exists()
    assert cli(["compile", str(good), "--lanes", "8", "--out", str(out), "--format", "ternary"]) == 0
    assert json.loads((out / "manifest.json").read_text())["format"]["name"] == "ternary"
