"""Adapters need --act static (docs/arithmetic.md 3b): romformer_top with adapter hardware (LORA_RANK > 0)
and a `--act mx` ROM build stops at elaboration with a message naming both, never simulating a
mismatch with the golden model (which refuses the combination too); the same build without the adapter
unit elaborates (tests/test_rtl_top.py generates on it)."""
from __future__ import annotations

import subprocess

import pytest

from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.compiler import compile_checkpoint
from sim_models.mx import make_act_format
from tb.runner import BUILD, HDL
from tb.sim import TOP_SOURCES


@pytest.mark.parametrize("rank", [0, 4])
def test_mx_build_with_adapter_stops_at_elaboration(rank, tmp_path):
    model = tmp_path / "gqa.bin"
    write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=5), model)
    build = BUILD / "models" / "act-guard-mx-L8"
    compile_checkpoint(model, 8, build, act=make_act_format("mx"))
    sim = tmp_path / "top.vvp"
    sources = [str(HDL / f"{s}.v") for s in [*TOP_SOURCES, "rf_lora"]]
    subprocess.run(["iverilog", "-g2012", f"-I{build}", f"-I{HDL}", f'-DROM_DIR="{build}"', "-s", "romformer_top",
                    f"-Promformer_top.LORA_RANK={rank}", "-Promformer_top.LORA_TARGETS=7'd1", "-o", str(sim), *sources],
                   check=True, capture_output=True, text=True)
    res = subprocess.run(["vvp", "-n", str(sim)], capture_output=True, text=True, timeout=120)
    out = res.stdout + res.stderr
    if rank:
        assert res.returncode != 0 and "LORA_RANK 4 with a ROM build of ACT_FMT 1 (mx activations)" in out \
            and "adapters need --act static" in out, out[-2000:]
    else:
        assert res.returncode == 0 and "ACT_FMT" not in out, out[-2000:]
