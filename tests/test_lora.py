"""LoRA adapters (sim_models/lora/): PEFT reading and its errors, the integer arithmetic, the SRAM
image round trip, the golden model hook (int8 results unchanged without an adapter) and the CLI."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from sim_models.__main__ import main
from sim_models.checkpoint import Config, random_checkpoint, read_checkpoint, write_checkpoint
from sim_models.chip_model import ChipModel
from sim_models.compiler import quantize_checkpoint
from sim_models.corpus import text_windows
from sim_models.float_model import FloatModel
from sim_models.golden import GoldenModel
from sim_models.hardware import mat_shape
from sim_models.intops import rsr, sat
from sim_models.lora import (
    CORE_TO_PEFT,
    PEFT_GROUP,
    PEFT_TO_CORE,
    AdapterError,
    IntAdapter,
    adapter_manifest,
    calibrate_adapter,
    compile_adapter,
    image_hash,
    image_layout,
    load_adapter,
    lora_add,
    lora_u,
    merged_checkpoint,
    read_peft,
    sram_bits,
)
from sim_models.rope_layout import hf_to_interleaved_rows
from sim_models.schedule import Schedule, adapter_cycles
from tests.conftest import ROOT, SHAPES, quantized

GQA = SHAPES["gqa"]


def write_peft_tensors(d: Path, cfg: Config, ranks: dict[str, int], layers, seed: int, scale: float) -> None:
    """adapter_model.safetensors of random lora_A / lora_B for every layer in `layers` and module in `ranks`."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for l in layers:
        for t, r in ranks.items():
            rows, cols = mat_shape(cfg, PEFT_TO_CORE[t])
            pre = f"base_model.model.model.layers.{l}.{PEFT_GROUP[t]}.{t}"
            tensors[f"{pre}.lora_A.weight"] = (rng.standard_normal((r, cols)) / np.sqrt(cols)).astype(np.float32)
            tensors[f"{pre}.lora_B.weight"] = (scale * rng.standard_normal((rows, r)) / np.sqrt(r)).astype(np.float32)
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(d / "adapter_model.safetensors"))


def write_peft(d: Path, cfg: Config, targets: tuple[str, ...] = ("q_proj", "v_proj"), r: int = 4,
               alpha: float = 8.0, seed: int = 0, scale: float = 0.3, layers: int | None = None) -> Path:
    write_peft_tensors(d, cfg, dict.fromkeys(targets, r), range(cfg.n_layers if layers is None else layers), seed, scale)
    (d / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": r, "lora_alpha": alpha,
                                                       "target_modules": list(targets)}))
    return d


# ---------------------------------------------------------------- PEFT reading and errors

def test_read_peft_maps_names(tmp_path: Path) -> None:
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "v_proj", "down_proj"))
    ad = read_peft(d, GQA)
    assert ad.targets == ("wq", "wv", "w2") and ad.r == 4 and ad.scaling[1] == {"wq": 2.0, "wv": 2.0, "w2": 2.0}
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


# ---------------------------------------------------------------- Hugging Face layout (rotate-half q/k rows)

def hf_space_merge(base_dir: Path, adapter_dir: Path, out: Path) -> Path:
    """The merged float model as Hugging Face defines it, computed in Hugging Face's own layout: every
    adapted weight of the base directory's safetensors + scaling * lora_B @ lora_A, written as a new
    directory (nothing of sim_models' adapter code or RoPE permutation involved)."""
    shutil.copytree(base_dir, out)
    conf = json.loads((adapter_dir / "adapter_config.json").read_text())
    weights = load_file(str(out / "model.safetensors"))
    lora = load_file(str(adapter_dir / "adapter_model.safetensors"))
    for name, a in lora.items():
        if ".lora_A." not in name:
            continue
        module = name.split(".")[-3]
        r, alpha = conf["rank_pattern"].get(module, conf["r"]), conf["alpha_pattern"].get(module, conf["lora_alpha"])
        scaling = alpha / (np.sqrt(r) if conf.get("use_rslora") else r)
        key = name.removeprefix("base_model.model.").replace(".lora_A.weight", ".weight")
        b = lora[name.replace(".lora_A.", ".lora_B.")]
        weights[key] = (weights[key].astype(np.float64) + scaling * (b.astype(np.float64) @ a)).astype(np.float32)
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    return out


def write_hf_peft(d: Path, cfg: Config, ranks: dict[str, int], alphas: dict[str, float], seed: int,
                  scale: float, layers: list[int] | None = None, **config) -> Path:
    """A PEFT adapter as Hugging Face PEFT saves one for a Llama model (rows in the model's own layout):
    the first module's rank and alpha as r / lora_alpha, the others in rank_pattern / alpha_pattern."""
    write_peft_tensors(d, cfg, ranks, range(cfg.n_layers) if layers is None else layers, seed, scale)
    first = next(iter(ranks))
    conf = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": ranks[first], "lora_alpha": alphas[first],
            "target_modules": list(ranks), "lora_dropout": 0.0, "bias": "none", "fan_in_fan_out": False,
            "use_rslora": False, "use_dora": False, "modules_to_save": None, "layers_to_transform": layers,
            "layers_pattern": None, "init_lora_weights": True, "inference_mode": True,
            "rank_pattern": {t: r for t, r in ranks.items() if r != ranks[first]},
            "alpha_pattern": {t: a for t, a in alphas.items() if a != alphas[first]},
            "base_model_name_or_path": "hf-base", **config}
    (d / "adapter_config.json").write_text(json.dumps(conf, indent=1))
    return d


# q and k (the rows Hugging Face orders rotate-half), each with its own rank and alpha
HF_RANKS = {"q_proj": 4, "k_proj": 8}
HF_ALPHAS = {"q_proj": 8.0, "k_proj": 4.0}


@pytest.fixture(scope="module")
def hf_base(tmp_path_factory) -> Path:
    """A Hugging Face Llama directory (q/k rows rotate-half, as transformers stores them)."""
    d = tmp_path_factory.mktemp("hf") / "base"
    write_checkpoint(random_checkpoint(GQA, seed=11), d, "hf-llama")
    return d


@pytest.mark.parametrize("ranks, alphas, layers, extra", [
    (HF_RANKS, HF_ALPHAS, None, {}),
    ({"q_proj": 8, "v_proj": 2, "down_proj": 4}, {"q_proj": 4.0, "v_proj": 8.0, "down_proj": 2.0}, None,
     {"use_rslora": True}),
    ({"k_proj": 4, "o_proj": 4}, {"k_proj": 8.0, "o_proj": 8.0}, [1], {}),
])
def test_hf_adapter_merges_like_hugging_face(hf_base: Path, tmp_path: Path, ranks, alphas, layers, extra) -> None:
    """Base + adapter read here (q/k rows permuted to the core's layout; rank_pattern, alpha_pattern,
    use_rslora and layers_to_transform honoured) is the model Hugging Face's merge makes, to float32
    rounding; the layers an adapter leaves out are the base's."""
    ad_dir = write_hf_peft(tmp_path / "adapter", GQA, ranks, alphas, seed=12, scale=1.0, layers=layers, **extra)
    ours = merged_checkpoint(read_checkpoint(hf_base), read_peft(ad_dir, GQA))
    ref = read_checkpoint(hf_space_merge(hf_base, ad_dir, tmp_path / "merged"))
    base = read_checkpoint(hf_base)
    for m in ("wq", "wk", "wv", "wo", "w1", "w2", "w3"):
        np.testing.assert_allclose(ours.weights[m], ref.weights[m], rtol=0, atol=1e-6, err_msg=m)
        changed = [l for l in range(GQA.n_layers) if not np.array_equal(ours.weights[m][l], base.weights[m][l])]
        assert changed == ([] if CORE_TO_PEFT[m] not in ranks else layers or list(range(GQA.n_layers))), m


def chip_and_float_shift(base_dir: Path, ad_dir: Path, merged_dir: Path, out: Path) -> tuple[float, float]:
    """(correlation of the logit changes the adapter makes on the chip and in the merged float model,
    top-1 agreement of the adapted chip with the merged float model) over one window. The chip's
    adapter is compiled and read back from adapter.hex (the bits the chip holds)."""
    compile_adapter(base_dir, ad_dir, out, lanes=8, rank_max=8)
    ia = load_adapter(out)
    _, qm, _ = quantize_checkpoint(base_dir)
    toks = (np.arange(GQA.seq_len) * 7) % GQA.vocab_size
    s = float(qm.scales["logits"])
    base_int, ad_int = GoldenModel(qm).forward(toks) * s, GoldenModel(qm, adapter=ia).forward(toks) * s
    base_f, ad_f = FloatModel(read_checkpoint(base_dir)).forward(toks), FloatModel(read_checkpoint(merged_dir)).forward(toks)
    corr = float(np.corrcoef((ad_int - base_int).ravel(), (ad_f - base_f).ravel())[0, 1])
    return corr, float(np.mean(np.argmax(ad_int, -1) == np.argmax(ad_f, -1)))


def test_hf_adapter_on_the_chip_follows_the_merged_model(hf_base: Path, tmp_path: Path) -> None:
    """A Hugging Face PEFT adapter on q and k over a Hugging Face base: the chip's top-1 at every position is
    the merged float model's, and its logits move as the merged model's do. The same file read as if its
    rows were already interleaved (what happened before the reader permuted them) moves them elsewhere."""
    ad_dir = write_hf_peft(tmp_path / "adapter", GQA, HF_RANKS, HF_ALPHAS, seed=12, scale=1.0)
    merged = hf_space_merge(hf_base, ad_dir, tmp_path / "merged")
    corr, agree = chip_and_float_shift(hf_base, ad_dir, merged, tmp_path / "out")
    assert corr > 0.8 and agree == 1.0, (corr, agree)
    edit_config(ad_dir, romformer_rope_layout="interleaved")
    wrong, _ = chip_and_float_shift(hf_base, ad_dir, merged, tmp_path / "out_wrong")
    assert wrong < 0.5, wrong


@pytest.mark.parametrize("changes, match", [
    ({"use_dora": True}, r"use_dora: True: DoRA .* is not supported"),
    ({"bias": "lora_only"}, r"bias: 'lora_only': LoRA biases are not supported"),
    ({"lora_bias": True}, r"lora_bias: True: a bias on lora_B is not supported"),
    ({"fan_in_fan_out": True}, r"fan_in_fan_out: True: is for Conv1D"),
    ({"modules_to_save": ["lm_head"]}, r"modules_to_save: \['lm_head'\]: fully replaced modules are not supported"),
    ({"layer_replication": [[0, 2]]}, r"layer_replication: .* is not supported"),
    ({"trainable_token_indices": [5]}, r"trainable_token_indices: \[5\]: trained token embeddings"),
    ({"use_qalora": True}, r"use_qalora: True: QA-LoRA is not supported"),
    ({"some_future_option": "on"}, r"some_future_option: 'on': not understood"),
    ({"target_modules": ["q_proj", "lm_head"]}, r"target_modules: 'lm_head' cannot carry an adapter on the chip"),
    ({"target_modules": r".*(q_proj|lm_head)"}, r"target_modules: .* matches a module that cannot carry an adapter"),
    ({"target_modules": r".*\.attn\.c_attn"}, r"target_modules: .* selects no module of the base"),
    ({"target_modules": "q_proj["}, r"target_modules: 'q_proj\[': not a regular expression"),
    ({"layers_pattern": "h"}, r"layers_pattern: 'h': a Llama model's layers are 'layers'"),
    ({"layers_to_transform": [0, 5]}, r"layers_to_transform: layer 5 does not exist \(the base has 2\)"),
    ({"layers_to_transform": [0]}, r"layers\.1\.self_attn\.q_proj\.lora_A\.weight: layer 1 q_proj is not a target"),
    ({"exclude_modules": ["q_proj"], "target_modules": ["q_proj", "v_proj"]},
     r"layers\.0\.self_attn\.q_proj\.lora_A\.weight: layer 0 q_proj is not a target"),
    ({"rank_pattern": {"q_proj": 32}}, r"rank_pattern: 'q_proj': rank 32 is above the build's maximum rank 16"),
    ({"rank_pattern": {"q_proj": 8}}, r"q_proj\.lora_A\.weight: shape \(4, 32\) does not fit .*r = 8"),
    ({"alpha_pattern": {"q_proj": "big"}}, r"alpha_pattern: 'q_proj': expected a positive number, got 'big'"),
    ({"rank_pattern": ["q_proj"]}, r"rank_pattern: expected an object of module patterns"),
    ({"use_rslora": "yes"}, r"use_rslora: expected true or false"),
    ({"romformer_rope_layout": "neox"}, r"romformer_rope_layout: 'neox' is not one of rotate_half, interleaved"),
])
def test_peft_options_refused_by_name(tmp_path: Path, changes: dict, match: str) -> None:
    """Every PEFT option that changes the computation and is not honoured is refused, naming
    adapter_config.json (or the tensor file) and the field."""
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "v_proj"))
    edit_config(d, **changes)
    with pytest.raises(AdapterError, match=r"(adapter_config\.json|adapter_model\.safetensors): .*" + match):
        read_peft(d, GQA)


@pytest.mark.parametrize("target_modules", [
    ["q_proj", "v_proj"], ["self_attn.q_proj", "v_proj"], r"model\.layers\.\d+\.self_attn\.(q|v)_proj",
])
def test_peft_target_module_spellings(tmp_path: Path, target_modules) -> None:
    """target_modules as PEFT matches it: module names, dotted suffixes, or one regular expression over
    the full module name."""
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "v_proj"))
    edit_config(d, target_modules=target_modules)
    assert read_peft(d, GQA).targets == ("wq", "wv")


def test_all_linear_and_exclude_modules(tmp_path: Path) -> None:
    d = write_peft(tmp_path / "ad", GQA, tuple(PEFT_TO_CORE))
    edit_config(d, target_modules="all-linear")
    assert read_peft(d, GQA).targets == ("wq", "wk", "wv", "wo", "w1", "w3", "w2")
    d2 = write_peft(tmp_path / "ad2", GQA, ("q_proj", "v_proj"))
    edit_config(d2, target_modules="all-linear", exclude_modules=r".*\.(k_proj|o_proj|mlp\..*)")
    assert read_peft(d2, GQA).targets == ("wq", "wv")


def test_adapter_for_another_base_refused(tmp_path: Path) -> None:
    """An adapter trained for a base of another shape names the first tensor that does not fit."""
    d = write_peft(tmp_path / "ad", SHAPES["mha"], ("q_proj",))
    with pytest.raises(AdapterError, match=r"q_proj\.lora_A\.weight: shape \(4, 24\) does not fit the base checkpoint"):
        read_peft(d, GQA)


def test_rope_layout_default_and_shipped(tmp_path: Path) -> None:
    """An adapter without romformer_rope_layout is in Hugging Face's layout (its q/k lora_B rows are
    permuted, its other tensors are not); the shipped adapter, trained here, says its rows are interleaved."""
    d = write_peft(tmp_path / "ad", GQA, ("q_proj", "k_proj", "v_proj"))
    raw = load_file(str(d / "adapter_model.safetensors"))
    ad = read_peft(d, GQA)
    assert ad.rope_layout == "rotate_half"
    pre = "base_model.model.model.layers.1.self_attn"
    assert np.array_equal(ad.b[1]["wq"], hf_to_interleaved_rows(raw[f"{pre}.q_proj.lora_B.weight"], GQA.n_heads))
    assert np.array_equal(ad.b[1]["wk"], hf_to_interleaved_rows(raw[f"{pre}.k_proj.lora_B.weight"], GQA.n_kv_heads))
    assert np.array_equal(ad.b[1]["wv"], raw[f"{pre}.v_proj.lora_B.weight"])
    assert np.array_equal(ad.a[1]["wq"], raw[f"{pre}.q_proj.lora_A.weight"])
    edit_config(d, romformer_rope_layout="interleaved")
    assert np.array_equal(read_peft(d, GQA).b[1]["wq"], raw[f"{pre}.q_proj.lora_B.weight"])
    shipped = json.loads((ROOT / "models" / "adapters" / "kjv_qv_r8" / "adapter_config.json").read_text())
    assert shipped["romformer_rope_layout"] == "interleaved"
