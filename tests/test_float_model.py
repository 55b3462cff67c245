"""The numpy float reference against a plain-loop implementation, on every shape family."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import EXTERNAL, needs_external
from float_loops import LoopModel
from sim_models.checkpoint import random_checkpoint, read_checkpoint
from sim_models.float_model import FloatModel
from sim_models.generate import float_generate


def test_matches_plain_loops(shape):
    name, cfg = shape
    ckpt = random_checkpoint(cfg, seed=3)
    tokens = np.random.default_rng(3).integers(0, cfg.vocab_size, min(cfg.seq_len, 10))
    fm, loops = FloatModel(ckpt, dtype=np.float64), LoopModel(ckpt)
    for t in tokens:
        np.testing.assert_allclose(fm.forward([t])[-1], loops.step(int(t)), rtol=1e-9, atol=1e-9, err_msg=name)


def test_block_equals_steps(shape):
    _, cfg = shape
    ckpt = random_checkpoint(cfg, seed=4)
    tokens = np.random.default_rng(4).integers(0, cfg.vocab_size, cfg.seq_len)
    block = FloatModel(ckpt, dtype=np.float64).forward(tokens)
    fm = FloatModel(ckpt, dtype=np.float64)
    steps = np.concatenate([fm.forward(tokens[:5])] + [fm.forward([t]) for t in tokens[5:]])
    np.testing.assert_allclose(block, steps, rtol=1e-10, atol=1e-10)


def test_context_overflow_is_an_error(shape):
    _, cfg = shape
    fm = FloatModel(random_checkpoint(cfg, seed=1))
    fm.forward(np.zeros(cfg.seq_len, dtype=np.int64))
    with pytest.raises(ValueError, match="context overflow"):
        fm.forward([0])


def test_external_greedy_reference():
    """The 20 greedy tokens two independent float implementations agree on (shared/models/README.md)."""
    needs_external()
    want = [461, 461, 401, 401, 401, 461, 378, 455, 473, 456, 435, 299, 362, 409, 283, 264, 283, 452, 288, 13]
    assert float_generate(read_checkpoint(EXTERNAL), [1], 20) == want
