"""llama2.c v0 checkpoint I/O: round trips and bad files that must name file and field."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import SHAPES
from sim_models.checkpoint import (HEADER_BYTES, CheckpointError, Config, read_checkpoint, random_checkpoint,
                                   write_checkpoint)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_round_trip(tmp_path, name):
    cfg = SHAPES[name]
    ckpt = random_checkpoint(cfg, seed=5)
    path = tmp_path / f"{name}.bin"
    write_checkpoint(ckpt, path)
    back = read_checkpoint(path)
    assert back.config == cfg
    assert path.stat().st_size == cfg.file_bytes()
    for key, value in ckpt.weights.items():
        np.testing.assert_array_equal(back.weights[key], value)
    assert ("wcls" in back.weights) == (not cfg.shared_classifier)
    write_checkpoint(back, tmp_path / "again.bin")
    assert (tmp_path / "again.bin").read_bytes() == path.read_bytes()


def header(**fields) -> bytes:
    base = dict(dim=16, hidden_dim=36, n_layers=1, n_heads=2, n_kv_heads=1, vocab_size=40, seq_len=20)
    base.update(fields)
    return np.array(list(base.values()), dtype="<i4").tobytes()


def good_file(tmp_path, cfg: Config = SHAPES["unshared"]):
    path = tmp_path / "model.bin"
    write_checkpoint(random_checkpoint(cfg, seed=1), path)
    return path


def expect_error(path, field: str):
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(path)
    assert str(path) in str(info.value) and field in str(info.value)
    assert info.value.field == field
    return info.value


@pytest.mark.parametrize("field", ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "seq_len"])
@pytest.mark.parametrize("value", [0, -3])
def test_non_positive_dims(tmp_path, field, value):
    path = tmp_path / "bad.bin"
    path.write_bytes(header(**{field: value}) + b"\0" * 64)
    expect_error(path, field)


def test_zero_vocab(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(header(vocab_size=0) + b"\0" * 64)
    expect_error(path, "vocab_size")


def test_huge_dim_is_a_corrupt_header(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(header(dim=1 << 30))
    assert "maximum" in str(expect_error(path, "dim"))


def test_heads_must_divide(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(header(dim=18, n_heads=4, n_kv_heads=2))
    expect_error(path, "n_heads")
    path.write_bytes(header(n_heads=4, n_kv_heads=3))
    expect_error(path, "n_kv_heads")


def test_odd_head_size(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(header(dim=12, n_heads=4, n_kv_heads=4))
    assert "RoPE" in str(expect_error(path, "n_heads"))


def test_truncated_header(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(header()[:HEADER_BYTES - 3])
    expect_error(path, "header")


def test_truncated_and_oversized_body(tmp_path):
    path = good_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-4])
    assert "truncated" in str(expect_error(path, "file size"))
    path.write_bytes(data + b"\0" * 8)
    assert "oversized" in str(expect_error(path, "file size"))


def test_classifier_sign_hint(tmp_path):
    """An unshared file whose vocab sign was lost: the size fits the other layout."""
    path = good_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[20:24] = np.array([40], dtype="<i4").tobytes()   # +vocab: header claims shared
    path.write_bytes(bytes(data))
    assert "unshared classifier" in str(expect_error(path, "vocab_size"))


def test_nan_weights(tmp_path):
    path = good_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[HEADER_BYTES + 40 * 16 * 4 + 8: HEADER_BYTES + 40 * 16 * 4 + 12] = np.array([np.nan], "<f4").tobytes()
    path.write_bytes(bytes(data))
    expect_error(path, "rms_att")


def test_missing_file(tmp_path):
    expect_error(tmp_path / "nope.bin", "file")


def test_writer_checks_shapes(tmp_path):
    ckpt = random_checkpoint(SHAPES["gqa"], seed=1)
    ckpt.weights["wk"] = ckpt.weights["wk"][:, :-1]
    with pytest.raises(CheckpointError, match="wk"):
        write_checkpoint(ckpt, tmp_path / "x.bin")
    bad = type(ckpt)(replace(SHAPES["gqa"], n_kv_heads=3), {})
    with pytest.raises(CheckpointError, match="n_kv_heads"):
        write_checkpoint(bad, tmp_path / "y.bin")
