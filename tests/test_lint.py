"""make lint as tests: the RTL is lint-clean under `verilator --lint-only -Wall` and `iverilog -g2012 -Wall`,
for the embedded model and for shapes the project did not choose (waivers: hdl/lint.vlt); the Python
passes ruff, and sim_models keeps its layering (lint-imports; both configured in pyproject.toml)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.mx import make_act_format
from tb.runner import BUILD, HDL, ROOT, verilator_bin_dir
from tb.sim import DEFAULT_MODEL, TOP_SOURCES, model_build

# (model, LANES, activation format, mx block): --act mx builds at LANES below, equal to and above the block
CASES = {"embedded-L32": (DEFAULT_MODEL, 32, "static", None), "odd_hidden-L8": ("odd_hidden", 8, "static", None),
         "unshared-L16": ("unshared", 16, "static", None), "mha-L64": ("mha", 64, "static", None),
         "embedded-mx-L32": (DEFAULT_MODEL, 32, "mx", 32), "odd_hidden-mx-L8": ("odd_hidden", 8, "mx", 32),
         "mha-mx-b16-L64": ("mha", 64, "mx", 16)}


def build_for(case: str):
    model, lanes, act, block = CASES[case]
    if isinstance(model, str):
        path = BUILD / "random_models" / f"{model}-lint.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            write_checkpoint(random_checkpoint(SHAPES[model], seed=11), path)
        model = path
    return model_build(model, lanes, act=make_act_format(act, block))


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


LORA_SOURCES = [str(HDL / f"{s}.v") for s in ("rf_rsr", "rf_sat", "rf_requant", "rf_delay", "rf_dot", "rf_lora")]


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


# The --act mx datapath (docs/arithmetic.md 3b) unit by unit, at parameters the romformer_top mx cases
# above do not reach: case -> (top, parameters, sources), linted on both tools.
MX = make_act_format("mx")
MATVEC_SOURCES = ("rf_rsr", "rf_sat", "rf_requant", "rf_delay", "rf_dot", "rf_matvec")
MX_LINT: dict[str, tuple[str, dict[str, int], tuple[str, ...]]] = {
    "rf_rmsnorm": ("rf_rmsnorm", {"OUT_BITS": MX.wide_bits}, ("rf_rmsnorm", "rf_lzc", "rf_rom", "rf_sat")),
    "rf_swiglu": ("rf_swiglu", {"OUT_BITS": MX.wide_bits}, ("rf_swiglu", "rf_requant", "rf_rsr", "rf_sat")),
    "rf_rope": ("rf_rope", {"BITS": MX.qkv_bits}, ("rf_rope", "rf_rsr", "rf_sat")),
    "rf_attention": ("rf_attention", {"QKV_BITS": MX.qkv_bits, "FRAC": MX.frac, "OUT_BITS": MX.wide_bits},
                     ("rf_attention", "rf_divider", "rf_delay", "rf_requant", "rf_rsr", "rf_sat", "rf_rom")),
    # rf_matvec with ACT_FMT 1: LANES below and above the block, the core's ACT_REG 0
    "rf_matvec-mx-L16-B32": ("rf_matvec", {"ACT_FMT": 1, "LANES": 16, "ACT_BLOCK": 32, "ACT_REG": 0,
                                            "QKV_BITS": MX.qkv_bits}, MATVEC_SOURCES),
    "rf_matvec-mx-L64-B16": ("rf_matvec", {"ACT_FMT": 1, "LANES": 64, "ACT_BLOCK": 16, "ACT_REG": 0}, MATVEC_SOURCES),
    # rf_mx_exp: a write in one block and a write of several blocks; one and several exponents a word read
    "rf_mx_exp-G8-B32-L16": ("rf_mx_exp", {"G": 8, "B": 32, "LANES": 16, "N": 200}, ("rf_lzc", "rf_mx_exp")),
    "rf_mx_exp-G32-B16-L64": ("rf_mx_exp", {"G": 32, "B": 16, "LANES": 64, "N": 200}, ("rf_lzc", "rf_mx_exp")),
}


@pytest.mark.parametrize("case", sorted(MX_LINT))
def test_mx_unit_lint(case):
    top, params, names = MX_LINT[case]
    sources = [str(HDL / f"{s}.v") for s in names]
    res = subprocess.run([str(verilator_bin_dir() / "verilator"), "--lint-only", "-Wall", str(HDL / "lint.vlt"),
                          f"-I{HDL}", "--top-module", top, *(f"-G{k}={v}" for k, v in params.items()), *sources],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr[-4000:]
    res = subprocess.run(["iverilog", "-g2012", "-Wall", "-s", top, *(f"-P{top}.{k}={v}" for k, v in params.items()),
                          "-o", "/dev/null", *sources], capture_output=True, text=True)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-4000:]


# ------------------------------------------------------------------------------ Python

PY_LINT_DIRS = ("sim_models", "tb", "scripts", "tests", "formal", "models/train")   # the Makefile's PY_LINT_DIRS
VENV_BIN = Path(sys.executable).parent


def lint_imports(cwd: Path, pythonpath: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "lint-imports"), "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": pythonpath})


def test_ruff():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
                          *PY_LINT_DIRS], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_import_contracts():
    """The layering of sim_models (pyproject.toml [tool.importlinter]): no module imports a layer above
    its own, and sim_models imports nothing of tb, tests, scripts or formal."""
    res = lint_imports(ROOT, str(ROOT))
    assert res.returncode == 0 and "0 broken" in res.stdout, res.stdout[-4000:] + res.stderr[-2000:]


def test_import_contracts_catch_violations(tmp_path):
    """The contracts can fail: a copy of sim_models in which formats imports the compiler (a lower layer
    importing a higher one) and golden imports a script breaks both, each named with its line."""
    shutil.copytree(ROOT / "sim_models", tmp_path / "sim_models", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with open(tmp_path / "sim_models" / "formats.py", "a") as f:
        f.write("\nfrom . import compiler  # noqa: E402, F401\n")
    with open(tmp_path / "sim_models" / "golden.py", "a") as f:
        f.write("\nimport scripts.bench  # noqa: E402, F401\n")
    res = lint_imports(tmp_path, f"{tmp_path}{os.pathsep}{ROOT}")
    assert res.returncode != 0 and "0 kept, 2 broken" in res.stdout, res.stdout[-4000:]
    assert "sim_models.formats is not allowed to import sim_models.compiler" in res.stdout
    assert "sim_models.golden -> scripts" in res.stdout
