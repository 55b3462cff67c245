"""LoRA adapters (sim_models/lora/): PEFT reading and its errors, the integer arithmetic, the SRAM
image round trip, the golden model hook (int8 results unchanged without an adapter) and the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from sim_models.__main__ import main
from sim_models.checkpoint import Config, random_checkpoint, write_checkpoint
from sim_models.chip_model import ChipModel
from sim_models.corpus import text_windows
from sim_models.float_model import FloatModel
from sim_models.golden import GoldenModel
from sim_models.hardware import mat_shape
from sim_models.intops import rsr, sat
from sim_models.lora import (CORE_TO_PEFT, PEFT_GROUP, PEFT_TO_CORE, AdapterError, IntAdapter, adapter_manifest,
                             calibrate_adapter, image_hash, image_layout, load_adapter, lora_add, lora_u,
                             merged_checkpoint, read_peft, sram_bits)
from sim_models.schedule import Schedule, adapter_cycles
from tests.conftest import SHAPES, quantized

GQA = SHAPES["gqa"]


def write_peft(d: Path, cfg: Config, targets: tuple[str, ...] = ("q_proj", "v_proj"), r: int = 4,
               alpha: float = 8.0, seed: int = 0, scale: float = 0.3, layers: int | None = None) -> Path:
    rng = np.random.default_rng(seed)
    tensors = {}
    for l in range(cfg.n_layers if layers is None else layers):
        for t in targets:
            rows, cols = mat_shape(cfg, PEFT_TO_CORE[t])
            pre = f"base_model.model.model.layers.{l}.{PEFT_GROUP[t]}.{t}"
            tensors[f"{pre}.lora_A.weight"] = (rng.standard_normal((r, cols)) / np.sqrt(cols)).astype(np.float32)
            tensors[f"{pre}.lora_B.weight"] = (scale * rng.standard_normal((rows, r)) / np.sqrt(r)).astype(np.float32)
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(d / "adapter_model.safetensors"))
    (d / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": r, "lora_alpha": alpha,
                                                       "target_modules": list(targets)}))
    return d


# ---------------------------------------------------------------- PEFT reading and errors

def test_read_peft_maps_names(tmp_path: Path) -> None:
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "v_proj", "down_proj"))
    ad = read_peft(d, GQA)
    assert ad.targets == ("wq", "wv", "w2") and ad.r == 4 and ad.scaling == 2.0
    assert ad.a[1]["wv"].shape == (4, GQA.dim) and ad.b[1]["wv"].shape == (GQA.kv_dim, 4)
    assert ad.b[0]["w2"].shape == (GQA.dim, 4) and ad.a[0]["w2"].shape == (4, GQA.hidden_dim)


def edit_config(d: Path, **changes) -> None:
    conf = json.loads((d / "adapter_config.json").read_text())
    for k, v in changes.items():
        if v is None:
            conf.pop(k, None)
        else:
            conf[k] = v
    (d / "adapter_config.json").write_text(json.dumps(conf))


@pytest.mark.parametrize("case, match", [
    ("no_config", r"adapter_config\.json: missing"),
    ("bad_json", r"adapter_config\.json: malformed JSON"),
    ("no_r", r"adapter_config\.json: r: missing"),
    ("bad_r", r"adapter_config\.json: r: expected a positive integer"),
    ("unknown_target", r"adapter_config\.json: target_modules: unknown target 'qkv_proj'"),
    ("rank_too_big", r"adapter_config\.json: r: rank 4 is above the build's maximum rank 2"),
    ("no_tensors", r"adapter_model\.safetensors: missing"),
    ("bad_shape", r"adapter_model\.safetensors: base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight: "
                  r"shape \(4, 31\) does not fit the base checkpoint \(expected \(4, 32\)"),
    ("missing_tensor", r"layers\.1\.self_attn\.q_proj\.lora_A\.weight: missing"),
    ("extra_layer", r"layers\.2\.self_attn\.q_proj\.lora_A\.weight: layer 2 does not exist"),
    ("unknown_tensor", r"layers\.0\.self_attn\.rotary\.lora_A\.weight: unknown target self_attn\.rotary"),
    ("corrupt", r"adapter_model\.safetensors: malformed safetensors file"),
])
def test_read_peft_errors(tmp_path: Path, case: str, match: str) -> None:
    d = write_peft(tmp_path / "ad", GQA, ("q_proj",), layers=3 if case == "extra_layer" else None)
    tf = d / "adapter_model.safetensors"
    rank_max = 16
    if case == "no_config":
        (d / "adapter_config.json").unlink()
    elif case == "bad_json":
        (d / "adapter_config.json").write_text("{r: 8")
    elif case == "no_r":
        edit_config(d, r=None)
    elif case == "bad_r":
        edit_config(d, r="8")
    elif case == "unknown_target":
        edit_config(d, target_modules=["q_proj", "qkv_proj"])
    elif case == "rank_too_big":
        rank_max = 2
    elif case == "no_tensors":
        tf.unlink()
    elif case == "corrupt":
        tf.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json")
    else:
        t = load_file(str(tf))
        key = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
        if case == "bad_shape":
            t[key] = t[key][:, :31].copy()
        elif case == "missing_tensor":
            del t["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"]
        elif case == "unknown_tensor":
            t["base_model.model.model.layers.0.self_attn.rotary.lora_A.weight"] = t[key]
        save_file(t, str(tf))
    with pytest.raises(AdapterError, match=match):
        read_peft(d, GQA, rank_max)


# ---------------------------------------------------------------- integer arithmetic

def test_lora_arithmetic_matches_scalar_definition() -> None:
    """lora_u / lora_add against a per-element Python-integer evaluation of the spec."""
    rng = np.random.default_rng(3)
    n, cols, R, rows = 3, 20, 8, 12
    a = rng.integers(-128, 128, (n, cols))
    a8 = rng.integers(-127, 128, (R, cols))
    am, ash = rng.integers(1 << 14, (1 << 15) + 1, R), rng.integers(1, 30, R)
    b8 = rng.integers(-127, 128, (rows, R))
    bm, bsh = rng.integers(1 << 14, (1 << 15) + 1, rows), rng.integers(1, 40, rows)
    for bits in (8, 16):
        y = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (n, rows))
        u = lora_u(a, a8, am, ash)
        out = lora_add(y, u, b8, bm, bsh, bits)
        for i in range(n):
            uu = [max(-128, min(127, (sum(int(a[i, c]) * int(a8[k, c]) for c in range(cols)) * int(am[k])
                                      + (1 << (int(ash[k]) - 1))) >> int(ash[k]))) for k in range(R)]
            assert uu == u[i].tolist()
            for j in range(rows):
                d = sum(int(b8[j, k]) * uu[k] for k in range(R))
                delta = (d * int(bm[j]) + (1 << (int(bsh[j]) - 1))) >> int(bsh[j])
                lim = 1 << (bits - 1)
                assert out[i, j] == max(-lim, min(lim - 1, int(y[i, j]) + delta))
    assert np.array_equal(out, sat(y + rsr((u @ b8.T) * bm, bsh), 16))


@pytest.fixture(scope="module")
def gqa_adapter(tmp_path_factory) -> tuple:
    ckpt, qm = quantized(GQA, seed=5)
    d = write_peft(tmp_path_factory.mktemp("ad") / "gqa", GQA, ("q_proj", "v_proj", "o_proj", "gate_proj",
                                                                 "up_proj", "down_proj"), r=4, scale=2.0)
    ad = read_peft(d, GQA)
    rng = np.random.default_rng(7)
    windows = [rng.integers(0, GQA.vocab_size, GQA.seq_len) for _ in range(2)]
    return ckpt, qm, ad, calibrate_adapter(qm, ad, windows, lanes=8, rank_max=8)


def test_golden_with_adapter(gqa_adapter) -> None:
    """The adapter changes outputs, follows the float adapter, and None leaves the golden model as it was."""
    ckpt, qm, ad, ia = gqa_adapter
    toks = np.arange(20) % GQA.vocab_size
    base, plain = GoldenModel(qm).forward(toks), GoldenModel(qm, adapter=None).forward(toks)
    assert np.array_equal(base, plain)
    adapted = GoldenModel(qm, adapter=ia).forward(toks)
    assert not np.array_equal(base, adapted)
    s = float(qm.scales["logits"])
    f_base, f_ad = FloatModel(ckpt).forward(toks), FloatModel(merged_checkpoint(ckpt, ad)).forward(toks)
    # the integer adapter moves the logits the way the float adapter does
    shift_int, shift_float = adapted * s - base * s, f_ad - f_base
    assert np.corrcoef(shift_int.ravel(), shift_float.ravel())[0, 1] > 0.6


def test_image_round_trip_and_layout(gqa_adapter, tmp_path: Path) -> None:
    _, qm, ad, ia = gqa_adapter
    img = ia.image()
    lay = image_layout(GQA, 8, 8, ia.targets)
    assert img.size == lay["total"]["words"] and img.min() >= 0 and img.max() < 1 << 32
    (tmp_path / "adapter.hex").write_text("".join(f"{int(w):08x}\n" for w in img))
    (tmp_path / "manifest.json").write_text(json.dumps(adapter_manifest(ia, img, {}, ad.r, ad.alpha)))
    back = load_adapter(tmp_path)
    toks = np.arange(15) % GQA.vocab_size
    assert np.array_equal(GoldenModel(qm, adapter=ia).forward(toks), GoldenModel(qm, adapter=back).forward(toks))
    assert image_hash(img) != image_hash(np.roll(img, 1))


def test_sram_and_cycles_budget_embedded_shape() -> None:
    """A rank-8 adapter on q and v: SRAM <= 10% of the ROM bits, cycles <= 110% (LANES 32, pos 0)."""
    cfg = Config(dim=64, hidden_dim=172, n_layers=4, n_heads=4, n_kv_heads=2, vocab_size=256, seq_len=256)
    bits = sram_bits(cfg, 32, 8, ("wq", "wv"))["total"]
    assert bits <= 0.10 * 1_799_680
    base = Schedule(cfg, 32).cycles(0)
    assert base + 4 * adapter_cycles(cfg, 32, 8, ("wq", "wv")) <= 1.10 * base


def test_cli_adapter(tmp_path: Path, gqa_adapter) -> None:
    ckpt, *_ = gqa_adapter
    write_checkpoint(ckpt, tmp_path / "base.bin")
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "v_proj"), r=4)
    assert main(["adapter", str(tmp_path / "base.bin"), str(d), "--out", str(tmp_path / "out"), "--lanes", "8"]) == 0
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert man["targets"] == ["q_proj", "v_proj"] and man["rank"] == 4 and man["rank_max"] == 8
    img = np.array([int(x, 16) for x in (tmp_path / "out" / "adapter.hex").read_text().split()])
    assert man["checksum"] == f"0x{image_hash(img):08x}" and man["words"] == img.size
    assert isinstance(load_adapter(tmp_path / "out"), IntAdapter)
    edit_config(d, target_modules=["q_proj", "rope"])
    assert main(["adapter", str(tmp_path / "base.bin"), str(d), "--out", str(tmp_path / "o2"), "--lanes", "8"]) == 2


def test_cli_adapter_base_format(tmp_path: Path, gqa_adapter) -> None:
    """--format: the adapter is calibrated on the base build in that weight format (recorded in the manifest);
    an unknown format is the compiler's named error (exit status 2)."""
    ckpt, *_ = gqa_adapter
    write_checkpoint(ckpt, tmp_path / "base.bin")
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "v_proj"), r=4)
    args = ["adapter", str(tmp_path / "base.bin"), str(d), "--lanes", "8"]
    assert main(args + ["--out", str(tmp_path / "i4"), "--format", "int4", "--group", "16"]) == 0
    man = json.loads((tmp_path / "i4" / "manifest.json").read_text())
    assert man["source"]["base_format"]["name"] == "int4" and man["source"]["base_format"]["group"] == 16
    assert isinstance(load_adapter(tmp_path / "i4"), IntAdapter)
    assert main(args + ["--out", str(tmp_path / "bad"), "--format", "int3"]) == 2
    assert not (tmp_path / "bad" / "adapter.hex").exists()


def test_chip_model_with_adapter(gqa_adapter) -> None:
    """ChipModel.adapter (what the pyuvm predictor and the LoRA top bench use) generates exactly what the
    golden model with that adapter generates; None is the base chip."""
    _, qm, _, ia = gqa_adapter
    prompt = [3, 17, 40]
    for adapter in (None, ia):
        chip = ChipModel(qm)
        chip.configure(budget=6)
        chip.adapter = adapter
        got = [t for t, _ in chip.prompt(prompt)]
        gm = GoldenModel(qm, adapter=adapter)
        logits, want = gm.forward(prompt)[-1], []
        for i in range(6):
            want.append(int(np.argmax(logits)))
            if i < 5:
                logits = gm.forward([want[-1]])[-1]
        assert got == want


def test_peft_names() -> None:
    assert {CORE_TO_PEFT[m] for m in ("wq", "wk", "wv", "wo", "w1", "w3", "w2")} == {
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_cli_adapter_eval(tmp_path: Path, capsys) -> None:
    """python -m sim_models adapter-eval: the loss table of a byte model + adapter on held-out text; a bad
    adapter is a named error (exit status 2)."""
    cfg = Config(dim=32, hidden_dim=52, n_layers=1, n_heads=4, n_kv_heads=2, vocab_size=256, seq_len=32)
    write_checkpoint(random_checkpoint(cfg, seed=2), tmp_path / "base.bin")
    d = write_peft(tmp_path / "ad", cfg, ("q_proj", "v_proj"), r=4, scale=2.0)
    (tmp_path / "held.txt").write_text("It is a truth universally acknowledged, that a single man " * 3)
    (d / "calib.txt").write_text("in possession of a good fortune, must be in want of a wife. " * 3)
    args = ["adapter-eval", str(tmp_path / "base.bin"), str(d), "--text", str(tmp_path / "held.txt"), "--lanes", "8"]
    assert main(args) == 0
    res = json.loads(capsys.readouterr().out)
    held = tmp_path / "held.txt"
    assert res["chars"] == len(held.read_bytes()) - len(text_windows(held, cfg.seq_len + 1))
    assert res["adapter_float"] != res["base_float"] and res["adapter_int"] != res["base_int"]
    assert res["int_minus_float_adapter"] == round(res["adapter_int"] - res["adapter_float"], 4)
    edit_config(d, lora_alpha=-1)
    assert main(args) == 2
    assert "adapter_config.json: lora_alpha: expected a positive number" in capsys.readouterr().err
