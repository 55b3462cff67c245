"""Token selection RTL (rf_select, rf_xorshift32) on both simulators, against sim_models.sampler."""
from __future__ import annotations

import math

import pytest

from conftest import verilator_variant
from sim_models.compiler import hex_lines
from sim_models.intops import quantize_multiplier
from sim_models.tables import exp2_table
from tb.runner import BUILD, SIMULATORS, check_results, run

LOG2E = 1.0 / math.log(2.0)

# name -> (VOCAB, K_MAX, logit scale s_logit): M_logit * 2^-S_logit ~= s_logit * log2(e)
CONFIGS: dict[str, tuple[int, int, float]] = {
    "rf_select_v64_k64": (64, 64, 8.0 / 16383),     # K_MAX == VOCAB, typical logit scale
    "rf_select_v40_k16": (40, 16, 0.02),            # K_MAX < VOCAB, steep distribution
    "rf_select_v6_k64": (6, 64, 1.0 / 16383),       # VOCAB < K_MAX, flat; 6 candidates: one read group
}


def exp2_file() -> str:
    path = BUILD / "tables" / "exp2.hex"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = hex_lines(exp2_table(), 16)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return str(path)


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_rf_select(sim: str, config: str) -> None:
    verilator_variant(sim, config == "rf_select_v40_k16")
    vocab, k_max, s_logit = CONFIGS[config]
    mult, shift = quantize_multiplier(s_logit * LOG2E, "logit")
    params = {"VOCAB": vocab, "K_MAX": k_max, "EXP2_FILE": f'"{exp2_file()}"'}
    env = {"RF_LOGIT_MULT": str(mult), "RF_LOGIT_SHIFT": str(shift)}    # the model's, driven on ports
    check_results(run(sim=sim, toplevel="rf_select", sources=["rf_select", "rf_xorshift32", "rf_delay", "rf_rsr", "rf_rom"],
                      test_module="tb.unit.test_rf_select", parameters=params, name=config, extra_env=env))
