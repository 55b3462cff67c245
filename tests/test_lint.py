"""The RTL is lint-clean under `verilator --lint-only -Wall` and `iverilog -g2012 -Wall`,
for the embedded model and for shapes the project did not choose (waivers: hdl/lint.vlt)."""
from __future__ import annotations

import subprocess

import pytest

from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from tb.runner import BUILD, HDL, verilator_bin_dir
from tb.sim import DEFAULT_MODEL, TOP_SOURCES, model_build

CASES = {"embedded-L32": (DEFAULT_MODEL, 32), "odd_hidden-L8": ("odd_hidden", 8), "unshared-L16": ("unshared", 16),
         "mha-L64": ("mha", 64)}


def build_for(case: str):
    model, lanes = CASES[case]
    if isinstance(model, str):
        path = BUILD / "random_models" / f"{model}-lint.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            write_checkpoint(random_checkpoint(SHAPES[model], seed=11), path)
        model = path
    return model_build(model, lanes)


@pytest.mark.parametrize("case", sorted(CASES))
def test_verilator_lint(case):
    build = build_for(case)
    sources = [str(HDL / f"{s}.v") for s in TOP_SOURCES]
    cmd = [str(verilator_bin_dir() / "verilator"), "--lint-only", "-Wall", str(HDL / "lint.vlt"), f"-I{build}",
           f"-I{HDL}", f'-DROM_DIR="{build}"', "--top-module", "romformer_top", *sources]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr[-4000:]


@pytest.mark.parametrize("case", sorted(CASES))
def test_iverilog_lint(case):
    build = build_for(case)
    sources = [str(HDL / f"{s}.v") for s in TOP_SOURCES]
    cmd = ["iverilog", "-g2012", "-Wall", f"-I{build}", f"-I{HDL}", f'-DROM_DIR="{build}"', "-s", "romformer_top",
           "-o", "/dev/null", *sources]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-4000:]


LORA_SOURCES = [str(HDL / f"{s}.v") for s in ("rf_rsr", "rf_sat", "rf_dot", "rf_lora")]


@pytest.mark.parametrize("rank", [4, 8, 16])
def test_lora_unit_lint(rank):
    """rf_lora is only in adapter builds (LORA_RANK > 0), which the romformer_top cases above do not
    elaborate: lint it on its own at each supported rank, on both tools."""
    res = subprocess.run([str(verilator_bin_dir() / "verilator"), "--lint-only", "-Wall", str(HDL / "lint.vlt"),
                          f"-I{HDL}", "--top-module", "rf_lora", f"-GRANK={rank}", *LORA_SOURCES],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr[-4000:]
    res = subprocess.run(["iverilog", "-g2012", "-Wall", "-s", "rf_lora", f"-Prf_lora.RANK={rank}", "-o", "/dev/null",
                          *LORA_SOURCES], capture_output=True, text=True)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-4000:]
