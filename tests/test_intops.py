"""Every integer primitive and table against its spec (docs/arithmetic.md), random and seeded."""
from __future__ import annotations

import math

import numpy as np
import pytest

import int_reference as ref
from sim_models import intops, tables

RNG_SEED = 20261121


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def test_rsr_matches_scalar_spec(rng):
    a = rng.integers(-(1 << 40), 1 << 40, 4000)
    s = rng.integers(0, 30, 4000)
    got = intops.rsr(a, s)
    assert [int(g) for g in got] == [ref.rsr(int(x), int(y)) for x, y in zip(a, s)]


def test_rsr_rounds_half_up():
    assert intops.rsr(np.array([3, -3, 5, -5, 2]), 1).tolist() == [2, -1, 3, -2, 1]


def test_sat_and_requant(rng):
    acc = rng.integers(-(1 << 31), 1 << 31, 3000)
    m = rng.integers(1 << 14, (1 << 15) + 1, 3000)
    s = rng.integers(1, 40, 3000)
    for bits in (8, 16):
        got = intops.requant(acc, m, s, bits)
        assert [int(g) for g in got] == [ref.requant(int(a), int(b), int(c), bits) for a, b, c in zip(acc, m, s)]


def test_bitlen(rng):
    v = np.concatenate([np.arange(1, 5000), rng.integers(1, 1 << 61, 5000), (1 << np.arange(62)) - 1,
                        1 << np.arange(62)])
    v = v[v > 0]
    assert intops.bitlen(v).tolist() == [int(x).bit_length() for x in v]


@pytest.mark.parametrize("ratio", [1e-9, 3.3e-5, 0.0123, 0.5, 0.999999, 1.0, 7.7, 1234.5])
def test_quantize_multiplier_is_normalized_and_close(ratio):
    m, s = intops.quantize_multiplier(ratio)
    assert (1 << 14) <= m <= (1 << 15) and 1 <= s <= 62
    assert abs(m * 2.0 ** -s / ratio - 1) < 2 ** -14


@pytest.mark.parametrize("ratio", [0.0, -1.0, float("inf"), 1e30])
def test_quantize_multiplier_rejects(ratio):
    with pytest.raises(ValueError, match="bad_tensor"):
        intops.quantize_multiplier(ratio, "bad_tensor")


def test_tables_match_formulas():
    assert tables.rsqrt_table().tolist() == [ref.rsqrt_entry(i) for i in range(768)]
    assert tables.exp2_table().tolist() == [ref.exp2_entry(f) for f in range(256)]
    assert tables.exp2_table()[0] == 32768 and tables.exp2_table().max() < 1 << 16
    # RoPE ROM: LO rows 0..15 hold the angles lo * theta_f, row 16 + hi the angle 16 * hi * theta_f
    cos_b, sin_b = tables.rope_base(64, 16)
    assert cos_b.shape == (16 + 4, 8)
    for row, step in ((0, 0), (1, 1), (15, 15), (16, 0), (17, 16), (19, 48)):
        for f in range(8):
            ang = step * 10000 ** (-2 * f / 16)
            assert cos_b[row, f] == round(math.cos(ang) * 16384) and sin_b[row, f] == round(math.sin(ang) * 16384)
    # every position's entries by angle addition, with rf_rope_gen's integer rounding written out
    cos, sin = tables.rope_tables(64, 16)
    for p in (0, 1, 17, 63):
        lo, hi = p % 16, 16 + p // 16
        for f in range(8):
            cl, sl, ch, sh = (int(t[r, f]) for t, r in ((cos_b, lo), (sin_b, lo), (cos_b, hi), (sin_b, hi)))
            assert cos[p, f] == (cl * ch - sl * sh + 8192) >> 14 and sin[p, f] == (sl * ch + cl * sh + 8192) >> 14
            ang = p * 10000 ** (-2 * f / 16)    # within 1.5 LSB of the exact value
            assert abs(cos[p, f] - math.cos(ang) * 16384) < 1.5 and abs(sin[p, f] - math.sin(ang) * 16384) < 1.5
    s_h1 = 0.037
    silu = tables.silu_table(s_h1)
    for n in (-128, -1, 0, 1, 127):
        x = n * s_h1
        assert silu[n + 128] == round(x / (1 + math.exp(-x)) / s_h1 * 256)


def test_rsqrt_table_accuracy():
    """The table's relative error stays within a quarter of a percent over the whole range."""
    v = np.unique(np.round(np.logspace(0, 40, 20000, base=2)).astype(np.int64))
    idx, sh = intops.rsqrt_index(v)
    approx = tables.rsqrt_table()[idx] * 2.0 ** -15 * 2.0 ** (-sh / 2)
    assert np.max(np.abs(approx * np.sqrt(v) - 1)) < 2.5e-3


def test_rsqrt_index_matches_spec(rng):
    v = rng.integers(1, 1 << 46, 3000)
    idx, sh = intops.rsqrt_index(v)
    for vi, i, s in zip(v, idx, sh):
        e = int(vi).bit_length() - 1
        assert s == e - (e & 1) and i == (int(vi) * 256 >> s) - 256 and 0 <= i < 768


def test_exp2_and_reciprocal(rng):
    table = tables.exp2_table()
    u = rng.integers(0, 1 << 14, 5000)
    assert intops.exp2_neg(u, table).tolist() == [ref.exp2_neg(int(x), table.tolist()) for x in u]
    total = rng.integers(1 << 15, 1 << 26, 5000)
    inv, e = intops.reciprocal(total)
    for t, i, ee in zip(total, inv, e):
        assert ee == int(t).bit_length() and i == (1 << (int(t).bit_length() + 15)) // int(t)
        assert (1 << 15) < i <= (1 << 16)
