"""sim_models/rope_layout.py: Hugging Face's rotate-half row order vs the core's interleaved order."""
from __future__ import annotations

import numpy as np
import pytest

from sim_models.rope_layout import hf_to_interleaved_rows, interleaved_to_hf_rows


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
