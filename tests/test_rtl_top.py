"""The chip: romformer_top generates on both simulators, every token equal to the golden model's
and every token's cycle count equal to the static schedule's prediction."""
from __future__ import annotations

import json
import os

import pytest

from conftest import EMBEDDED, EXTERNAL, SHAPES, needs_external
from sim_models.checkpoint import Config, random_checkpoint, write_checkpoint
from sim_models.formats import FORMAT_NAMES
from sim_models.mx import make_act_format
from sim_models.schedule import words
from tb.runner import BUILD, SIMULATORS, check_results
from tb.sim import model_build, run_top

PROMPT = list(b"It is a truth")
# Icarus runs about 40x slower than Verilator (docs/results.md): it runs the embedded model with a
# shorter prompt and fewer tokens (11 and 9 forward passes instead of 37 and 21), which keeps
# `make test` inside its CI budget; Verilator runs the long versions.
SHORT_PROMPT = PROMPT[:5]


def run_case(sim: str, build, name: str, prompt: list[int], n: int, inv_temp: int = 0, top_k: int = 0,
             seed: int = 0) -> dict:
    result = BUILD / "results" / sim / f"{name}.json"
    result.unlink(missing_ok=True)
    check_results(run_top(sim=sim, build=build, prompt=prompt, n=n, inv_temp=inv_temp, top_k=top_k, seed=seed,
                          result=result, name=f"top-{name}"))
    r = json.loads(result.read_text())
    assert r["match"] and r["cycles_match"]
    return r


@pytest.mark.long
@pytest.mark.parametrize("sim", SIMULATORS)
def test_embedded_greedy(sim):
    icarus = sim == "icarus"
    n = 6 if icarus else 24
    r = run_case(sim, model_build(EMBEDDED, 32), "embedded-greedy", SHORT_PROMPT if icarus else PROMPT, n)
    assert r["generated_tokens"] == r["golden_tokens"] and len(r["generated_tokens"]) >= n


# (LANES, mx block, in make test): LANES below the block; LANES above it (two exponents a word) in make regression
EMBEDDED_MX = {"L8-B32": (8, 32, True), "L32-B16": (32, 16, False)}


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", sorted(EMBEDDED_MX))
def test_embedded_mx_greedy(sim, case):
    """--act mx (MXINT8 activations; docs/arithmetic.md 3b): the block exponent units, the mx matvec and the
    wider q/k/v, every token and its cycle count (schedule.py's mx latency)."""
    lanes, block, fast = EMBEDDED_MX[case]
    if not (fast or FULL):
        pytest.skip(f"ROMFORMER_FULL=1 (make regression) runs the embedded model with --act mx {case}")
    icarus = sim == "icarus"
    build = model_build(EMBEDDED, lanes, act=make_act_format("mx", block))
    r = run_case(sim, build, f"embedded-mx-{case}", SHORT_PROMPT[:1] if icarus else SHORT_PROMPT, 2 if icarus else 4)
    assert r["generated_tokens"] == r["golden_tokens"] and r["lanes"] == lanes


# make regression sets ROMFORMER_FULL=1: every case on both simulators. make test leaves the sampled
# embedded case to Verilator (Icarus covers sampling on the random shapes and the pyuvm suite).
FULL = os.environ.get("ROMFORMER_FULL") == "1"


@pytest.mark.parametrize("sim", SIMULATORS)
def test_embedded_sampled(sim):
    icarus = sim == "icarus"
    if icarus and not FULL:
        pytest.skip("ROMFORMER_FULL=1 (make regression) runs the sampled embedded model on Icarus too")
    run_case(sim, model_build(EMBEDDED, 32), "embedded-sampled", SHORT_PROMPT[:4] if icarus else PROMPT,
             5 if icarus else 8, inv_temp=320, top_k=40, seed=7)


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_random_shapes(sim, shape, tmp_path_factory):
    """GQA, MHA, unshared classifier and hidden not a multiple of LANES, at LANES 8."""
    cfg = SHAPES[shape]
    path = BUILD / "random_models" / f"{shape}-{sim}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checkpoint(random_checkpoint(cfg, seed=11), path)
    run_case(sim, model_build(path, 8), f"random-{shape}", [1, 2, 3], 6, inv_temp=256, top_k=4, seed=3)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_external_stories260k(sim):
    needs_external()
    run_case(sim, model_build(EXTERNAL, 32), "stories260K", [1], 2 if sim == "icarus" else 16)


# Rows longer than 255 lane words (W2 rows of hidden_dim 2100 are 263 words at LANES 8): the
# word counters of rf_core / rf_matvec are sized from the build, never a fixed 8 bits.
LONG_ROWS = Config(dim=16, hidden_dim=2100, n_layers=1, n_heads=2, n_kv_heads=1, vocab_size=32, seq_len=8)


@pytest.mark.long
@pytest.mark.parametrize("sim", SIMULATORS)
def test_long_rows(sim):
    assert words(LONG_ROWS.hidden_dim, 8) > 255
    if sim == "icarus" and not FULL:
        pytest.skip("ROMFORMER_FULL=1 (make regression) runs the long-row model on Icarus too (about a minute "
                    "and a half there; make test runs it on Verilator)")
    path = BUILD / "random_models" / f"long-rows-{sim}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checkpoint(random_checkpoint(LONG_ROWS, seed=5), path)
    run_case(sim, model_build(path, 8), "random-long-rows", [1, 2], 3, inv_temp=256, top_k=4, seed=3)


# RMSNorm runs at most 8 lanes (sim_models.schedule.norm_lanes): at LANES 16 the MHA shape (dim 24)
# has 32 lane-padded elements of which rf_rmsnorm covers 3 words of 8; the rest must stay zero.
@pytest.mark.parametrize("sim", SIMULATORS)
def test_norm_lanes_below_lanes(sim):
    from sim_models.schedule import norm_lanes
    cfg = SHAPES["mha"]
    assert norm_lanes(16) < 16 and words(cfg.dim, norm_lanes(16)) * norm_lanes(16) < words(cfg.dim, 16) * 16
    path = BUILD / "random_models" / f"mha-norm-lanes-{sim}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checkpoint(random_checkpoint(cfg, seed=13), path)
    run_case(sim, model_build(path, 16), "random-mha-L16", [4, 5, 6], 4, inv_temp=256, top_k=4, seed=5)


# --act mx on random shapes: odd_hidden (dim 16, a vector of one short block; W2's early start
# shortened to the last gate block's first word, schedule.w2_lead) runs in make test on Icarus (a few
# seconds; a Verilator build of the top is about 30 s); LANES above the block (the matvec's block-cut
# tree, several exponents a word) and B16, and every case on Verilator, in make regression.
# Every other weight format with mx (its decoded lane operands times the int8 elements), gqa at LANES 8.
MX_CASES = {"odd_hidden-L8-B32": ("odd_hidden", 8, 32, True, "int8"), "gqa-L16-B16": ("gqa", 16, 16, False, "int8"),
            "mha-L32-B16": ("mha", 32, 16, False, "int8"),
            **{f"gqa-{fmt}-L8-B32": ("gqa", 8, 32, False, fmt) for fmt in FORMAT_NAMES if fmt != "int8"}}


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("case", sorted(MX_CASES))
def test_random_shapes_mx(sim, case):
    shape, lanes, block, fast, fmt = MX_CASES[case]
    if not (FULL or (fast and sim == "icarus")):
        pytest.skip(f"ROMFORMER_FULL=1 (make regression) runs the --act mx case {case} on {sim}")
    path = BUILD / "random_models" / f"{shape}-mx-{sim}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checkpoint(random_checkpoint(SHAPES[shape], seed=17), path)
    run_case(sim, model_build(path, lanes, fmt, act=make_act_format("mx", block)), f"random-mx-{case}", [1, 2, 3], 5,
             inv_temp=256, top_k=4, seed=3)
