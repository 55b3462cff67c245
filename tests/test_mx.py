"""Block-scaled (MX) activations, docs/arithmetic.md 3b: the block exponent and quantize functions
against a direct scalar reference, the accumulator's per-block combination, builds that carry the
activation format, static unchanged, and bad options refused by name."""
from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from conftest import SHAPES, quantized
from sim_models.compiler import compile_model, load_build
from sim_models.golden import GoldenModel, matvec
from sim_models.mx import (
    MX_BLOCKS,
    MX_EMAX,
    MX_QKV_FRAC,
    STATIC,
    ActFormatError,
    Mx,
    act_format_from_description,
    block_elements,
    block_exponents,
    block_operand,
    make_act_format,
)
from sim_models.quantize import calibrate, quantize

SOURCE = {"checkpoint": "random", "sha256": "0" * 64, "calibration": "random tokens"}
WIDE = Mx.wide_bits


def scalar_block(values: list[int]) -> tuple[int, list[int]]:
    """The spec read literally, one block: the smallest e >= 0 with every value in
    [-2^(e+7), 2^(e+7)), elements round(v / 2^e) with halves toward +inf, clamped to int8."""
    e = 0
    while not all(-(1 << (e + 7)) <= v < (1 << (e + 7)) for v in values):
        e += 1
    elements = []
    for v in values:
        r = math.floor(Fraction(v, 1 << e) + Fraction(1, 2))
        elements.append(max(-128, min(127, r)))
    return e, elements


def wide_vectors(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    """Wide activations over every block exponent, with the edges of each binade and zero blocks."""
    top = 1 << (WIDE - 1)
    mags = np.left_shift(1, rng.integers(0, WIDE, (rows, 1)))          # one binade per row
    v = rng.integers(-top, top, (rows, n)) % np.maximum(mags, 1) * rng.choice([-1, 1], (rows, n))
    edges = np.array([top - 1, -top, 127, -128, 128, -129, 255, -256, 0, 1, -1, (1 << 12) - 1, -(1 << 12)])
    v[: len(edges), 0] = edges
    v[rows // 2] = 0
    return np.clip(v, -top, top - 1)


@pytest.mark.parametrize("block", MX_BLOCKS)
@pytest.mark.parametrize("n", [7, 16, 64, 172])
def test_block_functions_match_the_scalar_reference(block, n):
    rng = np.random.default_rng(block * 1000 + n)
    wide = wide_vectors(rng, 40, n)
    e = block_exponents(wide, block)
    el = block_elements(wide, e, block)
    assert e.shape == (40, -(-n // block)) and e.min() >= 0 and e.max() <= MX_EMAX
    for r in range(wide.shape[0]):
        for b in range(e.shape[1]):
            vals = [int(x) for x in wide[r, b * block:(b + 1) * block]]
            want_e, want_el = scalar_block(vals)
            assert int(e[r, b]) == want_e, (r, b, vals)
            assert el[r, b * block:(b + 1) * block].tolist() == want_el, (r, b)
    assert e.max() == MX_EMAX    # the widest values use the largest exponent


def test_rounding_saturates_only_at_the_top():
    """2^(e+7) - 1 rounds to 128 and saturates to 127; -2^(e+7) is exactly -128."""
    for e in range(1, MX_EMAX + 1):
        wide = np.array([[(1 << (e + 7)) - 1, -(1 << (e + 7))]])
        got_e = block_exponents(wide, 16)
        assert got_e.tolist() == [[e]]
        assert block_elements(wide, got_e, 16).tolist() == [[127, -128]]


@pytest.mark.parametrize("block", MX_BLOCKS)
def test_accumulator_combines_shifted_block_partial_sums(block):
    """The golden model's matvec on the operand equals the hardware's combination: each block's
    int8 x weight partial sum shifted left by its exponent, summed (section 3b)."""
    rng = np.random.default_rng(block)
    cols, rows = 100, 24
    wide = wide_vectors(rng, 30, cols)
    w = rng.integers(-1536, 1537, (rows, cols))                 # the widest w_eff of any weight format
    e = block_exponents(wide, block)
    el = block_elements(wide, e, block)
    got = matvec(block_operand(el, e, block), w.T.astype(np.float64))
    want = np.zeros((30, rows), dtype=object)
    for b in range(e.shape[1]):
        sl = slice(b * block, (b + 1) * block)
        partial = el[:, sl].astype(object) @ w[:, sl].T.astype(object)
        want += partial * (1 << e[:, b:b + 1].astype(object))
    assert got.tolist() == want.tolist()
    assert Mx(block).operand(wide).tolist() == block_operand(el, e, block).tolist()


def test_static_operand_is_the_int8_itself():
    v = np.arange(-128, 128).reshape(2, -1)
    assert STATIC.operand(v).tolist() == v.tolist() and STATIC.frac == 0 and STATIC.wide_bits == 8


@pytest.fixture(scope="module")
def gqa_models():
    cfg = SHAPES["gqa"]
    ckpt, qm = quantized(cfg, seed=1)
    rng = np.random.default_rng(101)
    windows = [rng.integers(0, cfg.vocab_size, cfg.seq_len) for _ in range(3)]
    cal = calibrate(ckpt, windows)
    return cfg, qm, {b: quantize(ckpt, cal, act=make_act_format("mx", b)) for b in MX_BLOCKS}


def test_static_default_is_unchanged(gqa_models):
    """quantize without `act` is the static model; its build says so (manifest, params.vh)."""
    cfg, qm, mxs = gqa_models
    assert qm.act == STATIC
    tokens = np.random.default_rng(3).integers(0, cfg.vocab_size, cfg.seq_len)
    assert not np.array_equal(GoldenModel(qm).forward(tokens), GoldenModel(mxs[32]).forward(tokens))


@pytest.mark.parametrize("block", MX_BLOCKS)
@pytest.mark.parametrize("lanes", [8, 32])
def test_mx_build_reads_back_bit_exact(tmp_path, gqa_models, block, lanes):
    cfg, _, mxs = gqa_models
    man = compile_model(mxs[block], lanes, tmp_path, SOURCE)
    assert man["act"] == {"name": "mx", "id": 1, "block": block, "frac": Mx.frac, "exp_bits": Mx.exp_bits,
                          "wide_bits": WIDE, "qkv_bits": 8 + MX_QKV_FRAC}
    assert man["sram"]["kv_cache"] == 2 * cfg.n_layers * cfg.seq_len * cfg.kv_dim * (8 + MX_QKV_FRAC)
    params = (tmp_path / "params.vh").read_text()
    assert f"localparam integer ACT_BLOCK = {block};" in params and "localparam integer ACT_FMT = 1;" in params
    assert f"localparam integer ACC_BITS = {32 + MX_EMAX};" in params
    back = load_build(tmp_path)
    assert back.act == mxs[block].act
    tokens = np.random.default_rng(0).integers(0, cfg.vocab_size, cfg.seq_len)
    np.testing.assert_array_equal(GoldenModel(back).forward(tokens), GoldenModel(mxs[block]).forward(tokens))


def test_static_build_names_its_format(tmp_path, gqa_models):
    _, qm, _ = gqa_models
    man = compile_model(qm, 16, tmp_path, SOURCE)
    assert man["act"]["name"] == "static" and load_build(tmp_path).act == STATIC
    assert "localparam integer ACT_FMT = 0;" in (tmp_path / "params.vh").read_text()


@pytest.mark.parametrize("name, block, message", [
    ("fp8", None, "--act: unknown activation format 'fp8'; choose one of static, mx"),
    ("mx", 24, "--act-block: 24 is not one of 16, 32"),
    ("mx", 0, "--act-block: 0 is not one of 16, 32"),
    ("static", 32, "--act-block 32: applies to --act mx only"),
])
def test_bad_options_are_refused(name, block, message):
    with pytest.raises(ActFormatError, match=message):
        make_act_format(name, block)


@pytest.mark.parametrize("change, message", [
    ({"name": "mxfp8"}, "act: unknown activation format 'mxfp8'"),
    ({"block": 8}, "--act-block: 8 is not one of 16, 32"),
    ({"frac": Mx.frac + 1}, "act: frac 5 differs from this model's mx"),
    ({"qkv_bits": 8}, "act: qkv_bits 8 differs from this model's mx"),
])
def test_bad_manifest_act_is_refused(tmp_path, gqa_models, change, message):
    _, _, mxs = gqa_models
    compile_model(mxs[32], 8, tmp_path, SOURCE)
    path = tmp_path / "manifest.json"
    man = json.loads(path.read_text())
    man["act"].update(change)
    path.write_text(json.dumps(man))
    with pytest.raises(ActFormatError, match=message):
        load_build(tmp_path)
    assert act_format_from_description(Mx(16).describe()) == Mx(16)


def test_lora_adapter_needs_static(gqa_models):
    class NoAdapter:
        def apply(self, layer, group, a, y):
            return y
    _, qm, mxs = gqa_models
    GoldenModel(qm, adapter=NoAdapter())
    with pytest.raises(ValueError, match="LoRA adapters need --act static"):
        GoldenModel(mxs[32], adapter=NoAdapter())


def test_mx_qkv_and_kv_cache_are_int12(gqa_models):
    """q, k, v and the KV cache keep static scales with MX_QKV_FRAC more fraction bits (3b)."""
    cfg, qm, mxs = gqa_models
    tokens = np.random.default_rng(4).integers(0, cfg.vocab_size, cfg.seq_len)
    static, wide = GoldenModel(qm), GoldenModel(mxs[32])
    static.forward(tokens), wide.forward(tokens)
    assert np.abs(static.k_cache).max() <= 128 and np.abs(static.v_cache).max() <= 128
    top = 1 << (7 + MX_QKV_FRAC)
    assert 128 < np.abs(wide.k_cache).max() <= top and 128 < np.abs(wide.v_cache).max() <= top
    assert all(m.out_bits == 8 + MX_QKV_FRAC for n, m in mxs[32].layers[0].items() if n in ("wq", "wk", "wv"))
