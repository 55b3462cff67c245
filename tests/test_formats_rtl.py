"""Weight formats on the RTL (issue 9): every format's decode stage and ROM layout on the chip,
every generated token equal to the golden model loaded from the same ROM images, and every
token's cycle count equal to the static schedule's (the same for every format).

`make test` runs one small random shape per format on Verilator and one format on Icarus; the
full matrix (every format x LANES 8/16/32/64 x both simulators x the embedded model, stories260K
and an unshared-classifier shape) runs with FORMATS_MATRIX=1, as `make bench` does:
    FORMATS_MATRIX=1 .venv/bin/python -m pytest -n 2 tests/test_formats_rtl.py -k matrix
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import EMBEDDED, EXTERNAL, SHAPES, needs_external
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.formats import FORMAT_NAMES
from tb.runner import BUILD, SIMULATORS, check_results
from tb.sim import model_build, run_top

FORMATS = [f for f in FORMAT_NAMES if f != "int8"]
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


# make test: one random shape per format on Verilator (GQA, hidden 52: partial last groups), one on Icarus.
FAST = [(fmt, "verilator", "gqa", 8) for fmt in FORMATS] + [("int4", "icarus", "odd_hidden", 16)]


@pytest.mark.parametrize("fmt,sim,shape,lanes", FAST, ids=[f"{f}-{s}-{sh}-L{l}" for f, s, sh, l in FAST])
def test_format_random(fmt: str, sim: str, shape: str, lanes: int) -> None:
    build = model_build(random_model(shape), lanes, fmt)
    run_format(sim, build, f"fmt-{fmt}-{shape}-L{lanes}", [1, 2, 3], 5, inv_temp=256, top_k=4, seed=3)


MATRIX = [(fmt, sim, model, lanes) for fmt in FORMAT_NAMES for sim in SIMULATORS
          for model in ("embedded", "stories260K", "unshared") for lanes in (8, 16, 32, 64)]


@pytest.mark.skipif(os.environ.get("FORMATS_MATRIX") != "1",
                    reason="the full formats matrix runs in make bench (FORMATS_MATRIX=1)")
@pytest.mark.parametrize("fmt,sim,model,lanes", MATRIX, ids=[f"{f}-{s}-{m}-L{l}" for f, s, m, l in MATRIX])
def test_format_matrix(fmt: str, sim: str, model: str, lanes: int) -> None:
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
    run_format(sim, model_build(path, lanes, fmt), f"fmtx-{fmt}-{model}-L{lanes}", prompt, n)
