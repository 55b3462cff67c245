"""Every checkpoint format: the same weights in each give the same model, the float model and
the compiled chip, and RoPE theta / RMSNorm eps reach everything that depends on them."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from conftest import SHAPES
from float_loops import LoopModel
from sim_models.checkpoint import detect_format, random_checkpoint, read_checkpoint, write_checkpoint
from sim_models.compiler import compile_checkpoint, load_build
from sim_models.float_model import FloatModel
from sim_models.generate import int_generate
from sim_models.hf_llama import as_stored
from sim_models.llama2c import Q8_MAX, dequantize_q80, q80_round_trip, quantize_q80, v2_group
from sim_models.quantize import calibrate, quantize
from sim_models.tables import rope_base, rope_tables

LOSSLESS = ("llama2c-v0", "llama2c-v1", "hf-llama")
SUFFIX = {"llama2c-v0": ".bin", "llama2c-v1": ".v1.bin", "llama2c-v2": ".v2.bin", "hf-llama": ""}


def written(ckpt, tmp_path, fmt: str, **kw):
    path = tmp_path / f"{fmt}{SUFFIX[fmt]}"
    write_checkpoint(ckpt, path, fmt, **kw)
    return path


@pytest.mark.parametrize("fmt", LOSSLESS)
def test_lossless_round_trip(tmp_path, shape, fmt):
    _, cfg = shape
    ckpt = random_checkpoint(cfg, seed=5)
    path = written(ckpt, tmp_path, fmt)
    assert detect_format(path) == fmt
    back = read_checkpoint(path)
    assert back.config == cfg and back.source_format == fmt
    for name in cfg.weight_shapes():
        np.testing.assert_array_equal(back.weights[name], ckpt.weights[name], err_msg=name)


def float_logits(ckpt, tokens) -> np.ndarray:
    return FloatModel(ckpt).forward(tokens)


def test_same_weights_same_float_logits(tmp_path, shape):
    """v0, v1 and Hugging Face (one file, and sharded) of one model: bit-identical float32 logits."""
    _, cfg = shape
    ckpt = random_checkpoint(cfg, seed=6)
    tokens = np.random.default_rng(6).integers(0, cfg.vocab_size, cfg.seq_len)
    want = float_logits(ckpt, tokens)
    paths = [written(ckpt, tmp_path, f) for f in LOSSLESS]
    write_checkpoint(ckpt, tmp_path / "sharded", "hf-llama", shards=3)
    for path in paths + [tmp_path / "sharded"]:
        np.testing.assert_array_equal(float_logits(read_checkpoint(path), tokens), want, err_msg=str(path))


@pytest.mark.parametrize("name", ["gqa", "unshared"])
def test_same_weights_same_chip(tmp_path, name):
    """Compiled from each lossless format, and from v2 against v0 of what v2 dequantizes to: the
    same ROM images (so the same golden tokens and RTL run), and those tokens."""
    cfg = SHAPES[name]
    ckpt = random_checkpoint(cfg, seed=7)
    v2 = written(ckpt, tmp_path, "llama2c-v2")
    write_checkpoint(read_checkpoint(v2), tmp_path / "v2_as_v0.bin")
    roms, tokens = {}, {}
    for path in [written(ckpt, tmp_path, f) for f in LOSSLESS] + [v2, tmp_path / "v2_as_v0.bin"]:
        man = compile_checkpoint(path, 8, tmp_path / "build" / path.name)
        roms[path.name] = {k: r["sha256"] for k, r in man["rom"].items()}
        tokens[path.name] = int_generate(load_build(tmp_path / "build" / path.name), [1, 2, 3], 8, 0, 0, 0)
    lossless = [p for p in roms if p not in ("llama2c-v2.v2.bin", "v2_as_v0.bin")]
    assert all(roms[p] == roms[lossless[0]] and tokens[p] == tokens[lossless[0]] for p in lossless)
    assert roms["llama2c-v2.v2.bin"] == roms["v2_as_v0.bin"]
    assert tokens["llama2c-v2.v2.bin"] == tokens["v2_as_v0.bin"]
    assert roms["llama2c-v2.v2.bin"] != roms[lossless[0]]   # Q8_0 changed the weights


def test_v2_holds_its_dequantized_weights(tmp_path, shape):
    _, cfg = shape
    ckpt = random_checkpoint(cfg, seed=8)
    back = read_checkpoint(written(ckpt, tmp_path, "llama2c-v2"))
    want = q80_round_trip(ckpt)
    assert back.config == cfg and back.source_format == "llama2c-v2"
    for name in cfg.weight_shapes():
        np.testing.assert_array_equal(back.weights[name], want.weights[name], err_msg=name)
        if name.startswith("rms"):   # norms stay fp32
            np.testing.assert_array_equal(back.weights[name], ckpt.weights[name])
    # writing what v2 holds again as v2 is lossless
    again = read_checkpoint(written(back, tmp_path / "again", "llama2c-v2"))
    for name in cfg.weight_shapes():
        np.testing.assert_array_equal(again.weights[name], back.weights[name], err_msg=name)


def test_q80_codes_and_error():
    w = np.random.default_rng(1).standard_normal(4 * 32).astype(np.float32)
    w[32:64] = 0.0   # an all-zero group
    codes, scales = quantize_q80(w, 32)
    assert codes.dtype == np.int8 and np.abs(codes).max() == Q8_MAX and scales[1] == 0
    deq = dequantize_q80(codes, scales, 32)
    assert np.all(np.abs(deq - w).reshape(4, 32) <= scales[:, None] / 2 * (1 + 1e-6))
    assert np.all(deq[32:64] == 0)


def test_v2_group_size_backs_off_like_llama2c():
    assert v2_group(SHAPES["gqa"], None) == 32      # dim 32
    assert v2_group(SHAPES["mha"], None) == 8       # dim 24
    assert v2_group(SHAPES["mha"], 4) == 4


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_hf_half_precision(tmp_path, dtype):
    cfg = SHAPES["unshared"]
    ckpt = random_checkpoint(cfg, seed=9)
    write_checkpoint(ckpt, tmp_path / "hf", "hf-llama", dtype=dtype)
    back = read_checkpoint(tmp_path / "hf")
    want = as_stored(ckpt, dtype)
    for name in cfg.weight_shapes():
        np.testing.assert_array_equal(back.weights[name], want.weights[name], err_msg=name)
        assert not np.array_equal(want.weights[name], ckpt.weights[name]), f"{name}: {dtype} rounds"


def rotate_half_rope(v: np.ndarray, pos: int, theta: float) -> np.ndarray:
    """Hugging Face Llama's RoPE on one head (pairs (i, i + hs/2)), written out independently."""
    hs = v.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, hs, 2) / hs)
    ang = np.concatenate([pos * inv, pos * inv])
    rot = np.concatenate([-v[..., hs // 2:], v[..., :hs // 2]], axis=-1)
    return v * np.cos(ang) + rot * np.sin(ang)


def interleaved_rope(v: np.ndarray, pos: int, theta: float) -> np.ndarray:
    hs = v.shape[-1]
    ang = pos / theta ** (np.arange(0, hs, 2) / hs)
    a, b = v[..., 0::2], v[..., 1::2]
    out = np.empty_like(v)
    out[..., 0::2], out[..., 1::2] = a * np.cos(ang) - b * np.sin(ang), a * np.sin(ang) + b * np.cos(ang)
    return out


@pytest.mark.parametrize("which", ["q_proj", "k_proj"])
def test_hf_rows_are_rotate_half(tmp_path, which):
    """The safetensors q/k written for a model are Hugging Face's layout: HF's RoPE on them gives
    every attention score the interleaved RoPE on the loaded weights gives."""
    from safetensors.numpy import load_file
    cfg = replace(SHAPES["gqa"], rope_theta=500.0)
    ckpt = random_checkpoint(cfg, seed=10)
    write_checkpoint(ckpt, tmp_path / "hf", "hf-llama")
    hf_w = load_file(str(tmp_path / "hf" / "model.safetensors"))[f"model.layers.1.self_attn.{which}.weight"]
    ours = ckpt.weights["wq" if which == "q_proj" else "wk"][1]
    heads = cfg.n_heads if which == "q_proj" else cfg.n_kv_heads
    x = np.random.default_rng(2).standard_normal((2, cfg.dim))
    hs = cfg.head_size
    for p1, p2 in [(3, 7), (0, 12)]:
        a_hf = rotate_half_rope((x[0] @ hf_w.T).reshape(heads, hs), p1, cfg.rope_theta)
        b_hf = rotate_half_rope((x[1] @ hf_w.T).reshape(heads, hs), p2, cfg.rope_theta)
        a = interleaved_rope((x[0] @ ours.T).reshape(heads, hs), p1, cfg.rope_theta)
        b = interleaved_rope((x[1] @ ours.T).reshape(heads, hs), p2, cfg.rope_theta)
        np.testing.assert_allclose((a_hf * b_hf).sum(-1), (a * b).sum(-1), rtol=1e-4, atol=1e-4)
    assert not np.array_equal(hf_w, ours)


# ---------------------------------------------------------------- RoPE theta and RMSNorm eps

CUSTOM = replace(SHAPES["gqa"], rope_theta=500000.0, rms_norm_eps=1e-6)


def test_theta_and_eps_reach_the_float_model():
    ckpt = random_checkpoint(CUSTOM, seed=11)
    tokens = np.random.default_rng(11).integers(0, CUSTOM.vocab_size, 8)
    fm, loops = FloatModel(ckpt, dtype=np.float64), LoopModel(ckpt)
    for t in tokens:
        np.testing.assert_allclose(fm.forward([t])[-1], loops.step(int(t)), rtol=1e-9, atol=1e-9)
    default = FloatModel(random_checkpoint(replace(CUSTOM, rope_theta=10000.0, rms_norm_eps=1e-5), seed=11),
                         dtype=np.float64)
    assert not np.allclose(default.forward(tokens), FloatModel(ckpt, dtype=np.float64).forward(tokens))


def test_theta_and_eps_reach_the_chip(tmp_path):
    """The integer model's RoPE tables and eps come from the config, and the compiled ROMs hold them
    (rope.hex, the eps field of layer.hex); the manifest records both, and a build reads back."""
    ckpt = random_checkpoint(CUSTOM, seed=12)
    windows = [np.random.default_rng(12).integers(0, CUSTOM.vocab_size, CUSTOM.seq_len)]
    qm = quantize(ckpt, calibrate(ckpt, windows))
    cos, sin = rope_tables(CUSTOM.seq_len, CUSTOM.head_size, 500000.0)
    assert np.array_equal(qm.rope_cos, cos) and np.array_equal(qm.rope_sin, sin)
    assert not np.array_equal(cos, rope_tables(CUSTOM.seq_len, CUSTOM.head_size)[0])
    assert qm.eps == max(1, round(1e-6 * CUSTOM.dim * 4.0 ** qm.rf))
    write_checkpoint(ckpt, tmp_path / "hf", "hf-llama")
    man = compile_checkpoint(tmp_path / "hf", 8, tmp_path / "build")
    assert man["config"]["rope_theta"] == 500000.0 and man["config"]["rms_norm_eps"] == 1e-6
    assert man["source"]["checkpoint_format"] == "hf-llama"
    rope = np.array([int(v, 16) for v in (tmp_path / "build" / "rope.hex").read_text().split()])
    cb, sb = rope_base(CUSTOM.seq_len, CUSTOM.head_size, 500000.0)
    assert np.array_equal(rope & 0xFFFF, (cb & 0xFFFF).reshape(-1))
    assert np.array_equal(rope >> 16, (sb & 0xFFFF).reshape(-1))
    built = load_build(tmp_path / "build")
    assert built.cfg == CUSTOM and built.eps != max(1, round(1e-5 * CUSTOM.dim * 4.0 ** built.rf))


def test_v0_theta_from_its_rope_tables(tmp_path):
    """v0 has no theta field: its freq_cis tables carry it (10000 for llama2.c's exports)."""
    cfg = replace(SHAPES["mha"], rope_theta=500000.0)
    write_checkpoint(random_checkpoint(cfg, seed=13), tmp_path / "m.bin")
    assert read_checkpoint(tmp_path / "m.bin").config.rope_theta == 500000.0
    write_checkpoint(random_checkpoint(SHAPES["mha"], seed=13), tmp_path / "d.bin")
    assert read_checkpoint(tmp_path / "d.bin").config.rope_theta == 10000.0


def test_manifest_records_the_checkpoint(tmp_path):
    """The digest of a directory covers config.json and the weights: a change to either shows."""
    ckpt = random_checkpoint(SHAPES["mha"], seed=14)
    write_checkpoint(ckpt, tmp_path / "hf", "hf-llama")
    first = compile_checkpoint(tmp_path / "hf", 8, tmp_path / "b1")["source"]
    cfg = json.loads((tmp_path / "hf" / "config.json").read_text())
    cfg["bos_token_id"] = 0
    (tmp_path / "hf" / "config.json").write_text(json.dumps(cfg))
    second = compile_checkpoint(tmp_path / "hf", 8, tmp_path / "b2")["source"]
    assert first["checkpoint"] == "hf" and first["sha256"] != second["sha256"]
