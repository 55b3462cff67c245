"""sim_models/rope_layout.py: Hugging Face's rotate-half row order vs the core's interleaved order."""
from __future__ import annotations

import numpy as np
import pytest

from sim_models.model_config import Config
from sim_models.rope_layout import hf_to_interleaved_rows, interleaved_to_hf_rows, matrix_to_hf, matrix_to_interleaved


def test_hf_rows_pair_with_half_a_head_away() -> None:
    """In HF order row j of a head pairs with row j + hs/2; the core wants them at 2j and 2j + 1."""
    n_heads, hs = 3, 8
    hf = np.arange(n_heads * hs)                 # row index in the HF layout
    inter = hf_to_interleaved_rows(hf, n_heads)
    for h in range(n_heads):
        for j in range(hs // 2):
            assert inter[h * hs + 2 * j] == h * hs + j
            assert inter[h * hs + 2 * j + 1] == h * hs + j + hs // 2


def test_round_trip_any_trailing_shape() -> None:
    rng = np.random.default_rng(0)
    for shape in ((12,), (12, 5), (12, 3, 2)):
        w = rng.standard_normal(shape)
        assert np.array_equal(interleaved_to_hf_rows(hf_to_interleaved_rows(w, 2), 2), w)
        assert np.array_equal(hf_to_interleaved_rows(interleaved_to_hf_rows(w, 3), 3), w)


def test_odd_head_size_refused() -> None:
    with pytest.raises(ValueError, match="do not split into 2 heads of an even size"):
        hf_to_interleaved_rows(np.zeros((6, 4)), 2)


def test_named_matrices() -> None:
    """wq by n_heads, wk by n_kv_heads, every other matrix unchanged."""
    cfg = Config(dim=16, hidden_dim=24, n_layers=1, n_heads=4, n_kv_heads=2, vocab_size=8, seq_len=8)
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((16, 3)), rng.standard_normal((8, 3)), rng.standard_normal((8, 3))
    assert np.array_equal(matrix_to_interleaved(cfg, "wq", q), hf_to_interleaved_rows(q, 4))
    assert np.array_equal(matrix_to_interleaved(cfg, "wk", k), hf_to_interleaved_rows(k, 2))
    assert matrix_to_interleaved(cfg, "wv", v) is v and matrix_to_hf(cfg, "w2", v) is v
    assert np.array_equal(matrix_to_hf(cfg, "wk", matrix_to_interleaved(cfg, "wk", k)), k)
