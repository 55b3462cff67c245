"""Checkpoint reading and writing: round trips, and bad files and directories that must name file and field."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from conftest import SHAPES
from sim_models.checkpoint import (
    V0_HEADER_BYTES as HEADER_BYTES,
    CheckpointError,
    Config,
    random_checkpoint,
    read_checkpoint,
    v0_file_bytes,
    validate_config,
    write_checkpoint,
)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_round_trip(tmp_path, name):
    cfg = SHAPES[name]
    ckpt = random_checkpoint(cfg, seed=5)
    path = tmp_path / f"{name}.bin"
    write_checkpoint(ckpt, path)
    back = read_checkpoint(path)
    assert back.config == cfg
    assert path.stat().st_size == v0_file_bytes(cfg)
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


# ---------------------------------------------------------------- llama2.c v1 / v2

def v1_file(tmp_path, fmt: str = "llama2c-v1", cfg: Config = SHAPES["unshared"], **kw):
    path = tmp_path / f"model.{fmt}.bin"
    write_checkpoint(random_checkpoint(cfg, seed=1), path, fmt, **kw)
    return path


def patched(path, offset: int, value: bytes):
    data = bytearray(path.read_bytes())
    data[offset:offset + len(value)] = value
    path.write_bytes(bytes(data))
    return path


def int32(v: int) -> bytes:
    return np.array([v], "<i4").tobytes()


def test_v1_unknown_version(tmp_path):
    assert "version 3 is not supported" in str(expect_error(patched(v1_file(tmp_path), 4, int32(3)), "version"))


def test_v1_truncated_header(tmp_path):
    path = v1_file(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    expect_error(path, "header")


@pytest.mark.parametrize("fmt", ["llama2c-v1", "llama2c-v2"])
def test_v1_v2_bad_shape_fields(tmp_path, fmt):
    expect_error(patched(v1_file(tmp_path, fmt), 8 + 4 * 4, int32(0)), "n_kv_heads")
    expect_error(patched(v1_file(tmp_path, fmt), 8, int32(1 << 30)), "dim")


def test_v1_shared_flag(tmp_path):
    expect_error(patched(v1_file(tmp_path), 36, bytes([2])), "shared_classifier")
    # the flag decides the layout: the wrong one no longer fits the file
    expect_error(patched(v1_file(tmp_path), 36, bytes([1])), "file size")


@pytest.mark.parametrize("fmt", ["llama2c-v1", "llama2c-v2"])
def test_v1_v2_file_size(tmp_path, fmt):
    path = v1_file(tmp_path, fmt)
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    assert "truncated" in str(expect_error(path, "file size"))
    path.write_bytes(data + b"\0")
    assert "oversized" in str(expect_error(path, "file size"))


def test_v1_nan(tmp_path):
    expect_error(patched(v1_file(tmp_path), 256 + 4, np.array([np.inf], "<f4").tobytes()), "rms_att")


def test_v2_group_size(tmp_path):
    expect_error(patched(v1_file(tmp_path, "llama2c-v2"), 37, int32(0)), "group_size")
    info = expect_error(patched(v1_file(tmp_path, "llama2c-v2"), 37, int32(7)), "group_size")
    assert "does not divide" in str(info) and "tok_emb" in str(info)


def test_v2_bad_scale(tmp_path):
    cfg = SHAPES["unshared"]
    norms = 4 * (2 * cfg.n_layers * cfg.dim + cfg.dim)
    emb = cfg.vocab_size * cfg.dim
    path = patched(v1_file(tmp_path, "llama2c-v2"), 256 + norms + emb, np.array([np.nan], "<f4").tobytes())
    expect_error(path, "tok_emb scales")


def test_v2_writer_group_must_divide(tmp_path):
    with pytest.raises(CheckpointError) as info:
        v1_file(tmp_path, "llama2c-v2", group=24)
    assert info.value.field == "group_size"


@pytest.mark.parametrize("fmt", ["llama2c-v0", "llama2c-v1", "llama2c-v2"])
def test_llama2c_cannot_hold_other_eps(tmp_path, fmt):
    with pytest.raises(CheckpointError) as info:
        v1_file(tmp_path, fmt, cfg=replace(SHAPES["gqa"], rms_norm_eps=1e-6))
    assert info.value.field == "rms_norm_eps"


@pytest.mark.parametrize("fmt", ["llama2c-v1", "llama2c-v2"])
def test_v1_v2_cannot_hold_other_theta(tmp_path, fmt):
    with pytest.raises(CheckpointError) as info:
        v1_file(tmp_path, fmt, cfg=replace(SHAPES["gqa"], rope_theta=500000.0))
    assert info.value.field == "rope_theta"


def test_v0_rope_tables_that_fit_no_theta(tmp_path):
    path = good_file(tmp_path)
    cfg = SHAPES["unshared"]
    tables = HEADER_BYTES + 4 * sum(int(np.prod(s)) for n, s in cfg.weight_shapes().items() if n != "wcls")
    expect_error(patched(path, tables + 4 * (cfg.head_size // 2 + 1), np.array([0.5], "<f4").tobytes()),
                 "freq_cis_real")


@pytest.mark.parametrize("field,value", [("rope_theta", 0.0), ("rope_theta", float("nan")), ("rms_norm_eps", -1e-5),
                                         ("rms_norm_eps", float("inf"))])
def test_theta_and_eps_must_be_positive(tmp_path, field, value):
    with pytest.raises(CheckpointError) as info:
        validate_config(replace(SHAPES["gqa"], **{field: value}), tmp_path / "x")
    assert info.value.field == field


def test_unknown_write_format(tmp_path):
    with pytest.raises(CheckpointError) as info:
        write_checkpoint(random_checkpoint(SHAPES["gqa"], 1), tmp_path / "x", "gguf")
    assert info.value.field == "format"


# ---------------------------------------------------------------- Hugging Face directories

def hf_dir(tmp_path, cfg: Config = SHAPES["unshared"], **kw):
    path = tmp_path / "hf"
    write_checkpoint(random_checkpoint(cfg, seed=1), path, "hf-llama", **kw)
    return path


def edit_config(path, **changes):
    c = json.loads((path / "config.json").read_text())
    for k, v in changes.items():
        if v is DELETE:
            c.pop(k, None)
        else:
            c[k] = v
    (path / "config.json").write_text(json.dumps(c))
    return path


DELETE = object()


def expect_hf_error(path, field: str, where: str = "config.json"):
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(path)
    assert info.value.field == field, str(info.value)
    assert where in info.value.path and field in str(info.value)
    return info.value


@pytest.mark.parametrize("key,value", [
    ("model_type", "mistral"), ("architectures", ["LlamaModel"]), ("hidden_act", "gelu"),
    ("attention_bias", True), ("mlp_bias", True), ("rope_scaling", {"rope_type": "linear", "factor": 2.0}),
    ("rope_parameters", {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0}),
    ("partial_rotary_factor", 0.5), ("quantization_config", {"quant_method": "gptq"}), ("head_dim", 4),
    ("tie_word_embeddings", "yes"), ("num_hidden_layers", 1.5), ("rms_norm_eps", "small"),
    ("num_key_value_heads", 3), ("max_position_embeddings", 1 << 20), ("rope_theta", -1.0),
])
def test_hf_refuses_by_name(tmp_path, key, value):
    expect_hf_error(edit_config(hf_dir(tmp_path), **{key: value}), key)


@pytest.mark.parametrize("key", ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                                 "vocab_size"])
def test_hf_required_keys(tmp_path, key):
    assert "missing" in str(expect_hf_error(edit_config(hf_dir(tmp_path), **{key: DELETE}), key))


def test_hf_defaults_are_llamaconfig_defaults(tmp_path):
    """Keys a config.json may leave out take LlamaConfig's defaults (eps 1e-6, theta 1e4, 2048, MHA)."""
    cfg = replace(SHAPES["mha"], seq_len=2048)
    path = edit_config(hf_dir(tmp_path, cfg), rms_norm_eps=DELETE, rope_theta=DELETE, max_position_embeddings=DELETE,
                       num_key_value_heads=DELETE, head_dim=DELETE)
    assert read_checkpoint(path).config == replace(cfg, rms_norm_eps=1e-6)


def test_hf_rope_parameters_theta(tmp_path):
    path = edit_config(hf_dir(tmp_path), rope_theta=DELETE,
                       rope_parameters={"rope_type": "default", "rope_theta": 123456.0})
    assert read_checkpoint(path).config.rope_theta == 123456.0


def test_hf_missing_config(tmp_path):
    path = hf_dir(tmp_path)
    (path / "config.json").unlink()
    expect_hf_error(path, "config.json", "hf")


def test_hf_bad_json(tmp_path):
    path = hf_dir(tmp_path)
    (path / "config.json").write_text("{not json")
    expect_hf_error(path, "json")


def save_tensors(path, tensors: dict) -> None:
    from safetensors.numpy import save_file
    save_file(tensors, str(path))


def load_tensors(path) -> dict:
    from safetensors.numpy import load_file
    return load_file(str(path))


def test_hf_tied_but_different_head(tmp_path):
    path = hf_dir(tmp_path, SHAPES["gqa"])
    t = load_tensors(path / "model.safetensors")
    t["lm_head.weight"] = t["model.embed_tokens.weight"] + 1
    save_tensors(path / "model.safetensors", t)
    assert "differs" in str(expect_hf_error(path, "tie_word_embeddings"))


def test_hf_tied_with_equal_head_is_shared(tmp_path):
    path = hf_dir(tmp_path, SHAPES["gqa"])
    t = load_tensors(path / "model.safetensors")
    t["lm_head.weight"] = t["model.embed_tokens.weight"].copy()
    save_tensors(path / "model.safetensors", t)
    assert read_checkpoint(path).config.shared_classifier


def test_hf_untied_without_head(tmp_path):
    path = hf_dir(tmp_path)
    t = load_tensors(path / "model.safetensors")
    del t["lm_head.weight"]
    save_tensors(path / "model.safetensors", t)
    assert "no lm_head" in str(expect_hf_error(path, "tie_word_embeddings"))


@pytest.mark.parametrize("name,why", [("model.layers.0.self_attn.q_proj.bias", "biases"),
                                      ("model.layers.0.self_attn.q_norm.weight", "not a tensor")])
def test_hf_extra_tensor(tmp_path, name, why):
    path = hf_dir(tmp_path)
    t = load_tensors(path / "model.safetensors")
    t[name] = np.zeros(16, np.float32)
    save_tensors(path / "model.safetensors", t)
    assert why in str(expect_hf_error(path, name, "model.safetensors"))


def test_hf_inv_freq_buffer_is_ignored(tmp_path):
    path = hf_dir(tmp_path)
    t = load_tensors(path / "model.safetensors")
    t["model.layers.0.self_attn.rotary_emb.inv_freq"] = np.ones(4, np.float32)
    save_tensors(path / "model.safetensors", t)
    assert read_checkpoint(path).config == SHAPES["unshared"]


@pytest.mark.parametrize("change", ["missing", "shape", "nan", "dtype"])
def test_hf_bad_tensor(tmp_path, change):
    path = hf_dir(tmp_path)
    t = load_tensors(path / "model.safetensors")
    name = "model.layers.0.mlp.down_proj.weight"
    if change == "missing":
        del t[name]
    elif change == "shape":
        t[name] = t[name][:, :-1].copy()
    elif change == "nan":
        t[name][0, 0] = np.nan
    else:
        t[name] = t[name].astype(np.int8)
    save_tensors(path / "model.safetensors", t)
    err = expect_hf_error(path, name, "hf")
    assert {"missing": "missing", "shape": "shape", "nan": "NaN", "dtype": "dtype I8"}[change] in str(err)


def test_hf_sharded(tmp_path):
    path = hf_dir(tmp_path, shards=3)
    assert len(list(path.glob("*.safetensors"))) == 3 and (path / "model.safetensors.index.json").exists()
    index = json.loads((path / "model.safetensors.index.json").read_text())
    name, shard = next(iter(index["weight_map"].items()))
    other = next(f for f in sorted(set(index["weight_map"].values())) if f != shard)
    index["weight_map"][name] = other
    (path / "model.safetensors.index.json").write_text(json.dumps(index))
    expect_hf_error(path, name, "index.json")
    (path / other).unlink()
    assert "missing" in str(expect_hf_error(path, "weight_map", "index.json"))


def test_hf_duplicate_tensor_across_files(tmp_path):
    path = hf_dir(tmp_path)
    t = load_tensors(path / "model.safetensors")
    save_tensors(path / "extra.safetensors", {"model.norm.weight": t["model.norm.weight"]})
    (path / "model.safetensors").rename(path / "a.safetensors")
    assert "also in" in str(expect_hf_error(path, "model.norm.weight", "safetensors"))


def test_hf_no_weights(tmp_path):
    path = hf_dir(tmp_path)
    (path / "model.safetensors").rename(path / "pytorch_model.bin")
    assert "pickle" in str(expect_hf_error(path, "model.safetensors", "hf"))


def test_hf_corrupt_safetensors(tmp_path):
    path = hf_dir(tmp_path)
    (path / "model.safetensors").write_bytes(b"\x10\0\0\0\0\0\0\0{broken")
    expect_hf_error(path, "header", "model.safetensors")


@pytest.mark.parametrize("part", ["config.json", "model.safetensors"])
def test_hf_file_instead_of_directory(tmp_path, part):
    path = hf_dir(tmp_path)
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(path / part)
    assert "pass its directory" in str(info.value) and info.value.field == "file"


def test_hf_writer_checks(tmp_path):
    ckpt = random_checkpoint(SHAPES["gqa"], 1)
    with pytest.raises(CheckpointError, match="dtype"):
        write_checkpoint(ckpt, tmp_path / "a", "hf-llama", dtype="int8")
    with pytest.raises(CheckpointError, match="shards"):
        write_checkpoint(ckpt, tmp_path / "b", "hf-llama", shards=0)
