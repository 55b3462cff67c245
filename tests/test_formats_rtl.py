"""Weight formats on the RTL (issue 9): every format's decode stage and ROM layout on the chip,
every generated token equal to the golden model loaded from the same ROM images, and every
token's cycle count equal to the static schedule's (the same for every weight format; one matvec
pipeline cycle more per matrix phase with `--act mx`).

`make test` runs one small random shape per format on Verilator, one format on Icarus, and one
4-bit format with `--act mx` on Icarus; the full matrix (every weight format x activation format
static / mx B32 x LANES 8/16/32/64 x both simulators x the embedded model, stories260K and an
unshared-classifier shape) runs with FORMATS_MATRIX=1, as `make bench` does, and writes
build/results/<sim>/fmtx-<format>[-mx-b32]-<model>-L<lanes>.json for its table:
    FORMATS_MATRIX=1 .venv/bin/python -m pytest -n 2 tests/test_formats_rtl.py -k matrix
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import EMBEDDED, EXTERNAL, SHAPES, needs_external
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.formats import FORMAT_NAMES
from sim_models.mx import MX_DEFAULT_BLOCK, STATIC, make_act_format
from tb.runner import BUILD, SIMULATORS, check_results
from tb.sim import act_tag, model_build, run_top

FORMATS = [f for f in FORMAT_NAMES if f != "int8"]
ACTS = {"static": STATIC, "mx": make_act_format("mx", MX_DEFAULT_BLOCK)}   # the matrix's activation formats
PROMPT = list(b"It is a truth")


def run_format(sim: str, build, name: str, prompt: list[int], n: int, **kw) -> dict:
    result = BUILD / "results" / sim / f"{name}.json"
    result.unlink(missing_ok=True)
    check_results(run_top(sim=sim, build=build, prompt=prompt, n=n, inv_temp=kw.get("inv_temp", 0),
                          top_k=kw.get("top_k", 0), seed=kw.get("seed", 0), result=result, name=f"top-{name}"))
    r = json.loads(result.read_text())
    assert r["match"] and r["cycles_match"]
    assert len(r["generated_tokens"]) == n
    return r


def random_model(shape: str) -> object:
    path = BUILD / "random_models" / f"fmt-{shape}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_checkpoint(random_checkpoint(SHAPES[shape], seed=23), path)
    return path


# make test: one random shape per format on Verilator (GQA, hidden 52: partial last groups), one on Icarus,
# and one 4-bit format with --act mx on Icarus (dim 16: one short block per vector; a few seconds).
FAST = [(fmt, "verilator", "gqa", 8, "static") for fmt in FORMATS] + [("int4", "icarus", "odd_hidden", 16, "static"),
                                                                       ("nvfp4", "icarus", "odd_hidden", 8, "mx")]


@pytest.mark.parametrize("fmt,sim,shape,lanes,act", FAST,
                         ids=[f"{f}-{s}-{sh}-L{l}" + ("" if a == "static" else f"-{a}") for f, s, sh, l, a in FAST])
def test_format_random(fmt: str, sim: str, shape: str, lanes: int, act: str) -> None:
    build = model_build(random_model(shape), lanes, fmt, act=ACTS[act])
    tag = "" if act == "static" else "-" + act_tag(ACTS[act])
    run_format(sim, build, f"fmt-{fmt}{tag}-{shape}-L{lanes}", [1, 2, 3], 5, inv_temp=256, top_k=4, seed=3)


MATRIX = [(fmt, act, sim, model, lanes) for fmt in FORMAT_NAMES for act in ACTS for sim in SIMULATORS
          for model in ("embedded", "stories260K", "unshared") for lanes in (8, 16, 32, 64)]


def matrix_run_name(fmt: str, act: str, model: str, lanes: int) -> str:
    """The run's result name, which scripts/bench.py reads back: fmtx-<format>[-mx-b32]-<model>-L<lanes>."""
    tag = act_tag(ACTS[act])
    return f"fmtx-{fmt}{'-' + tag if tag else ''}-{model}-L{lanes}"


@pytest.mark.skipif(os.environ.get("FORMATS_MATRIX") != "1",
                    reason="the full formats matrix runs in make bench (FORMATS_MATRIX=1)")
@pytest.mark.parametrize("fmt,act,sim,model,lanes", MATRIX,
                         ids=[f"{f}-{a}-{s}-{m}-L{l}" for f, a, s, m, l in MATRIX])
def test_format_matrix(fmt: str, act: str, sim: str, model: str, lanes: int) -> None:
    if model == "stories260K":
        needs_external()
        path, prompt = EXTERNAL, [1]
    elif model == "embedded":
        path, prompt = EMBEDDED, PROMPT
    else:
        path, prompt = random_model(model), [1, 2, 3]
    n = 8
    if sim == "icarus":                  # about 100x slower: a short prompt, two tokens
        prompt, n = prompt[:3], 2
    run_format(sim, model_build(path, lanes, fmt, act=ACTS[act]), matrix_run_name(fmt, act, model, lanes), prompt, n)
