"""Races at the chip's edges on both simulators (tb/top/test_edge_cases.py): a prompt beat
against a NEW_SEQ write, CLEAR_COUNTERS against the end of a forward pass, and register
writes while tokens stream (settings latched per prompt, CONTEXT_FULL consistent with TLAST).
"""
from __future__ import annotations

import pytest

from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from tb.runner import BUILD, SIMULATORS, check_results
from tb.sim import model_build, run_top


@pytest.mark.long
@pytest.mark.parametrize("sim", SIMULATORS)
def test_edge_cases(sim: str) -> None:
    """All three races in one simulator run (one build); each is its own cocotb test in the XML."""
    path = BUILD / "random_models" / "edge-gqa.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=11), path)
    build = model_build(path, 8)
    check_results(run_top(sim=sim, build=build, prompt=[1], n=1, inv_temp=0, top_k=0, seed=0,
                          result=BUILD / "results" / sim / "edge.json", test_module="tb.top.test_edge_cases",
                          testcase=None, name="top-edge-cases"))
