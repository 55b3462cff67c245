"""rf_attention and rf_divider on both simulators (cocotb modules in tb/unit/)."""
from __future__ import annotations

import pytest

from conftest import verilator_variant
from sim_models.compiler import hex_lines
from sim_models.mx import make_act_format
from sim_models.tables import exp2_table
from tb.runner import BUILD, SIMULATORS, check_results, run

# name -> rf_attention parameters (GQA, MHA and multi-query: 2, 3 and 1 KV groups on the default two
# back ends; "long": positions on both sides of Schedule.formula()'s overlap_pos, 8 at HEAD_SIZE 8,
# where the third group's pass 2 stops waiting for the first group to leave its back end)
ATTENTION = {
    "gqa": {"DIM": 32, "N_HEADS": 4, "N_KV_HEADS": 2, "HEAD_SIZE": 8, "SEQ_LEN": 16, "N_LAYERS": 2},
    "long": {"DIM": 24, "N_HEADS": 3, "N_KV_HEADS": 3, "HEAD_SIZE": 8, "SEQ_LEN": 24, "N_LAYERS": 1},
    "mqa": {"DIM": 32, "N_HEADS": 4, "N_KV_HEADS": 1, "HEAD_SIZE": 8, "SEQ_LEN": 8, "N_LAYERS": 1},
    "mha": {"DIM": 24, "N_HEADS": 3, "N_KV_HEADS": 3, "HEAD_SIZE": 8, "SEQ_LEN": 12, "N_LAYERS": 1},
}
# name -> (shape, widths): an activation format's (QKV_BITS qkv_bits, FRAC frac, OUT_BITS wide_bits), and
# widths no format has (an output 3 fraction bits finer than V, saturating at 12 bits)
MX = make_act_format("mx")
# make test runs these on Icarus (tests/conftest.py verilator_variant; the mx widths lint clean on
# Verilator in tests/test_lint.py); make regression on both simulators.
ATTENTION_WIDE = {
    "gqa_mx": ("gqa", {"QKV_BITS": MX.qkv_bits, "FRAC": MX.frac, "OUT_BITS": MX.wide_bits}),
    "long_mx": ("long", {"QKV_BITS": MX.qkv_bits, "FRAC": MX.frac, "OUT_BITS": MX.wide_bits}),
    "mqa_q10_f5_o12": ("mqa", {"QKV_BITS": 10, "FRAC": 5, "OUT_BITS": 12}),
}
DATA = BUILD / "unit_data" / "attention"
ATTENTION_SOURCES = ["rf_attention", "rf_divider", "rf_delay", "rf_requant", "rf_rsr", "rf_sat", "rf_rom"]


def exp2_image() -> str:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "exp2.hex"
    path.write_text(hex_lines(exp2_table(), 16))
    return str(path)


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("config", sorted(ATTENTION))
def test_attention(sim: str, config: str) -> None:
    verilator_variant(sim, config in ("gqa", "long"))
    params = dict(ATTENTION[config], EXP2_FILE=f'"{exp2_image()}"')
    check_results(run(sim=sim, toplevel="rf_attention", sources=ATTENTION_SOURCES,
                      test_module="tb.unit.test_rf_attention", parameters=params, name=f"rf_attention_{config}"))


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("config", sorted(ATTENTION_WIDE))
def test_attention_widths(sim: str, config: str) -> None:
    """The --act mx widths (12-bit q, k, v and cache, 15-bit output) and one combination of no format."""
    verilator_variant(sim, False)
    shape, widths = ATTENTION_WIDE[config]
    params = dict(ATTENTION[shape], **widths, EXP2_FILE=f'"{exp2_image()}"')
    check_results(run(sim=sim, toplevel="rf_attention", sources=ATTENTION_SOURCES,
                      test_module="tb.unit.test_rf_attention", parameters=params, name=f"rf_attention_{config}"))


@pytest.mark.parametrize("sim", SIMULATORS)
def test_divider(sim: str) -> None:
    check_results(run(sim=sim, toplevel="rf_divider", sources=["rf_divider"], test_module="tb.unit.test_rf_divider",
                      parameters={"P_BITS": 24}, name="rf_divider"))
