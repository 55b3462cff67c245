"""sim_models/sensitivity.py: per-matrix fake quantization of the float model, and its command."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SHAPES
from sim_models.checkpoint import Checkpoint, random_checkpoint, write_checkpoint
from sim_models.formats import make_format
from sim_models.sensitivity import LAYER_MATRICES, default_groups, fake_quantized, matrix_sensitivity


def windows(cfg, n=2, seed=5):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, cfg.vocab_size, cfg.seq_len + 1) for _ in range(n)]


def ternary_checkpoint(cfg, seed=3) -> Checkpoint:
    """Every weight matrix already ternary per row (s_j * t, t in {-1, 0, 1}, no zero row)."""
    ck = random_checkpoint(cfg, seed)
    rng = np.random.default_rng(seed)
    w = dict(ck.weights)
    for name in ("tok_emb",) + LAYER_MATRICES + (() if cfg.shared_classifier else ("wcls",)):
        t = rng.integers(-1, 2, w[name].shape)
        t[..., 0] = 1
        s = rng.uniform(0.05, 0.5, w[name].shape[:-1] + (1,))
        w[name] = (s * t).astype(np.float32)
    return Checkpoint(cfg, w)


def test_default_groups_cover_each_kind_then_body_then_all():
    for cfg in (SHAPES["gqa"], SHAPES["unshared"]):
        ck = random_checkpoint(cfg, 0)
        groups = default_groups(ck)
        kinds = [g[0] for g in groups[:-2]]
        assert kinds == ["tok_emb", *LAYER_MATRICES] + ([] if cfg.shared_classifier else ["wcls"])
        assert groups[-2] == tuple(LAYER_MATRICES) and set(groups[-1]) == set(kinds)


def test_a_representable_model_loses_nothing():
    # weights that are exactly ternary come back bit for bit: gap 0, agreement 100%
    cfg = SHAPES["unshared"]
    ck = ternary_checkpoint(cfg)
    fq = fake_quantized(ck, make_format("ternary"), default_groups(ck)[-1])
    for name, w in ck.weights.items():
        assert np.array_equal(fq.weights[name], w), name
    rows = matrix_sensitivity(ck, windows(cfg), make_format("ternary"))
    assert all(r.gap == 0.0 and r.agreement == 1.0 for r in rows)


def test_only_the_named_matrices_change_and_the_loss_moves():
    cfg = SHAPES["gqa"]
    ck = random_checkpoint(cfg, 1)
    fq = fake_quantized(ck, make_format("ternary"), ("w2",))
    assert not np.array_equal(fq.weights["w2"], ck.weights["w2"])
    assert all(np.array_equal(fq.weights[n], ck.weights[n]) for n in ck.weights if n != "w2")
    (row,) = matrix_sensitivity(ck, windows(cfg), make_format("ternary"), [tuple(default_groups(ck)[-1])])
    assert row.gap != 0.0 and 0.0 <= row.agreement < 1.0


def test_unknown_matrix_is_named():
    ck = random_checkpoint(SHAPES["gqa"], 0)
    with pytest.raises(ValueError, match="matrix 'wcls'"):          # shared classifier: no wcls
        fake_quantized(ck, make_format("int4"), ("wcls",))


def test_command_line(tmp_path):
    path = tmp_path / "tiny.bin"
    write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=1), path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "sim_models", "sensitivity", str(path), *a],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True, timeout=300)
    res = run("--format", "nvfp4", "--only", "wq,wk", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["format"]["name"] == "nvfp4" and [r["matrices"] for r in out["rows"]] == [["wq", "wk"]]
    res = run("--format", "int4", "--only", "w9")
    assert res.returncode == 2 and "matrix 'w9'" in res.stderr


def test_int8_is_the_compilers_per_row_quantization():
    # int8 has no group search: the rows of quantize_rows, as the compile path quantizes them
    from sim_models.formats import quantize_rows
    cfg = SHAPES["gqa"]
    ck = random_checkpoint(cfg, 2)
    fq = fake_quantized(ck, make_format("int8"), ("wo",))
    q, scale = quantize_rows(ck.weights["wo"][1])
    assert np.array_equal(fq.weights["wo"][1], (scale[:, None] * q).astype(np.float32))
    (row,) = matrix_sensitivity(ck, windows(cfg), make_format("int8"), [("wo",)])
    assert row.agreement > 0.5
