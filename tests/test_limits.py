"""What shapes the chip takes (sim_models/limits.py): a stories15M-shaped model fits, and models whose
head size is not a power of two compile and run on the golden model from their ROM images."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim_models.checkpoint import Config, random_checkpoint
from sim_models.compiler import compile_model, load_build
from sim_models.generate import int_generate
from sim_models.limits import check_chip_limits
from sim_models.quantize import calibrate, quantize
from sim_models.schedule import Schedule

# llama2.c's stories15M: head size 48, vocab 32000.
STORIES15M = Config(dim=288, hidden_dim=768, n_layers=6, n_heads=6, n_kv_heads=6, vocab_size=32000, seq_len=256)


@pytest.mark.parametrize("lanes", [8, 32])
def test_stories15m_shape_fits(lanes):
    check_chip_limits(STORIES15M)
    check_chip_limits(replace(STORIES15M, n_kv_heads=2, seq_len=1024, shared_classifier=False))
    sched = Schedule(STORIES15M, lanes)
    assert sched.phases(0) and sched.ideal_cycles() > 0


# (dim, n_heads, n_kv_heads): head sizes 2, 6, 12, 20, 48; none but 2 a power of two
HEADS = [(8, 4, 2), (18, 3, 1), (48, 4, 2), (40, 2, 2), (96, 2, 1)]


@pytest.mark.parametrize("dim,heads,kv", HEADS, ids=[f"hs{d // h}" for d, h, _ in HEADS])
def test_any_even_head_size_compiles(tmp_path, dim, heads, kv):
    cfg = Config(dim=dim, hidden_dim=dim * 2 + 6, n_layers=2, n_heads=heads, n_kv_heads=kv, vocab_size=40,
                 seq_len=40)
    ckpt = random_checkpoint(cfg, seed=dim)
    rng = np.random.default_rng(dim)
    qm = quantize(ckpt, calibrate(ckpt, [rng.integers(0, cfg.vocab_size, cfg.seq_len) for _ in range(2)]))
    man = compile_model(qm, 8, tmp_path, {"checkpoint": "random"})
    assert man["config"]["head_size"] == dim // heads
    assert f"localparam integer HEAD_SIZE = {dim // heads};" in (tmp_path / "params.vh").read_text()
    rope_words = len((tmp_path / "rope.hex").read_text().split())
    assert rope_words == (16 + -(-cfg.seq_len // 16)) * (dim // heads // 2)
    prompt = [1, 5, 7]
    assert int_generate(load_build(tmp_path), prompt, 30, 0, 0, 0) == int_generate(qm, prompt, 30, 0, 0, 0)
