"""Whole integer golden model: block vs step equivalence, errors, and generation."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import quantized
from sim_models.generate import int_generate
from sim_models.golden import GoldenModel


def test_prefill_equals_steps(shape):
    _, cfg = shape
    _, qm = quantized(cfg, seed=2)
    tokens = np.random.default_rng(2).integers(0, cfg.vocab_size, cfg.seq_len)
    block = GoldenModel(qm).forward(tokens)
    gm = GoldenModel(qm)
    steps = np.concatenate([gm.forward(tokens[:3])] + [gm.forward([t]) for t in tokens[3:]])
    np.testing.assert_array_equal(block, steps)
    assert block.dtype == np.int64 and block.min() >= -32768 and block.max() <= 32767


def test_out_of_range_token(shape):
    _, cfg = shape
    gm = GoldenModel(quantized(cfg)[1])
    for bad in (cfg.vocab_size, -1):
        with pytest.raises(ValueError, match="out of range"):
            gm.forward([0, bad])
    assert gm.pos == 0


def test_context_overflow(shape):
    _, cfg = shape
    gm = GoldenModel(quantized(cfg)[1])
    gm.forward(np.zeros(cfg.seq_len - 1, dtype=np.int64))
    with pytest.raises(ValueError, match="context overflow"):
        gm.forward([1, 2])
    gm.forward([1])
    assert gm.pos == cfg.seq_len


def test_generation_is_deterministic_and_fits_context(shape):
    _, cfg = shape
    _, qm = quantized(cfg, seed=9)
    a = int_generate(qm, [1, 2, 3], 100, inv_temp=200, top_k=5, seed=11)
    b = int_generate(qm, [1, 2, 3], 100, inv_temp=200, top_k=5, seed=11)
    assert a == b and len(a) == cfg.seq_len - 3 + 1
    assert all(0 <= t < cfg.vocab_size for t in a)


def test_reset_clears_position():
    from conftest import SHAPES
    _, qm = quantized(SHAPES["gqa"])
    gm = GoldenModel(qm)
    first = gm.forward([5, 6, 7])
    gm.reset()
    np.testing.assert_array_equal(gm.forward([5, 6, 7]), first)
