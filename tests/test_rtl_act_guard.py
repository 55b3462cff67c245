"""The RTL computes static activations only: a ROM build compiled with `--act mx` must stop at
elaboration with a message naming the activation format, never simulate and mismatch the golden
model (romformer_top's g_act_fmt_unsupported)."""
from __future__ import annotations

import subprocess

import pytest

from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.compiler import compile_checkpoint
from sim_models.mx import make_act_format
from tb.runner import BUILD, HDL
from tb.sim import TOP_SOURCES


@pytest.mark.parametrize("act", ["static", "mx"])
def test_mx_build_stops_at_elaboration(act, tmp_path):
    model = tmp_path / "gqa.bin"
    write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=5), model)
    build = BUILD / "models" / f"act-guard-{act}-L8"
    compile_checkpoint(model, 8, build, act=make_act_format(act))
    sim = tmp_path / "top.vvp"
    sources = [str(HDL / f"{s}.v") for s in TOP_SOURCES]
    subprocess.run(["iverilog", "-g2012", f"-I{build}", f"-I{HDL}", f'-DROM_DIR="{build}"', "-s", "romformer_top",
                    "-o", str(sim), *sources], check=True, capture_output=True, text=True)
    res = subprocess.run(["vvp", "-n", str(sim)], capture_output=True, text=True, timeout=120)
    out = res.stdout + res.stderr
    if act == "mx":
        assert res.returncode != 0 and "ACT_FMT 1 (mx activations)" in out and "--act static only" in out, out[-2000:]
    else:
        assert "ACT_FMT" not in out, out[-2000:]
