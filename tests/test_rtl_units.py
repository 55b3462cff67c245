"""Block-level RTL tests: each cocotb module in tb/unit/ on both simulators."""
from __future__ import annotations

import pytest

from conftest import verilator_variant
from tb.runner import SIMULATORS, check_results, run

# name -> (toplevel, sources, parameters)
UNITS: dict[str, tuple[str, list[str], dict[str, object]]] = {
    # the widths the core instantiates: matvec/LoRA (32 -> 8), embedding (8 -> 16), matvec's second
    # stage (48 -> 16); attention's exponent (21 -> 14 on the embedded model) runs inside the attention bench
    "rf_requant_a32_o8": ("rf_requant", ["rf_requant", "rf_rsr", "rf_sat"], {"ACC_BITS": 32, "OUT_BITS": 8}),
    "rf_requant_a8_o16": ("rf_requant", ["rf_requant", "rf_rsr", "rf_sat"], {"ACC_BITS": 8, "OUT_BITS": 16}),
    "rf_requant_a48_o16": ("rf_requant", ["rf_requant", "rf_rsr", "rf_sat"], {"ACC_BITS": 48, "OUT_BITS": 16}),
    # rf_rsr alone, both forms: combinational (rf_requant's) and two register stages (the pipelined
    # callers': rf_matvec 48 bits, rf_swiglu 40, attention's u 37 and normalize 47 (embedded model), the embedding 24)
    "rf_rsr_b24_comb": ("rf_rsr", ["rf_rsr"], {"IN_BITS": 24, "PIPE": 0}),
    "rf_rsr_b24_pipe": ("rf_rsr", ["rf_rsr"], {"IN_BITS": 24, "PIPE": 1}),
    "rf_rsr_b47_pipe": ("rf_rsr", ["rf_rsr"], {"IN_BITS": 47, "PIPE": 1}),
    # the pipelined requant (product, rounding add, shift registered): the widths of its callers
    # (embedding 8 -> 16, matvec 32 -> 16, swiglu 24 -> 8, attention's exponent 21 -> 14)
    "rf_requant_a8_o16_pipe": ("rf_requant", ["rf_requant", "rf_rsr", "rf_sat"],
                               {"ACC_BITS": 8, "OUT_BITS": 16, "PIPE": 1}),
    "rf_requant_a32_o16_pipe": ("rf_requant", ["rf_requant", "rf_rsr", "rf_sat"],
                                {"ACC_BITS": 32, "OUT_BITS": 16, "PIPE": 1}),
    "rf_requant_a21_o14_pipe": ("rf_requant", ["rf_requant", "rf_rsr", "rf_sat"],
                                {"ACC_BITS": 21, "OUT_BITS": 14, "PIPE": 1}),
    # the delay line: a single valid bit, a row tag without reset, a long control line
    "rf_delay_w1_d1": ("rf_delay", ["rf_delay"], {"WIDTH": 1, "DEPTH": 1, "RESET": 1}),
    "rf_delay_w16_d4_noreset": ("rf_delay", ["rf_delay"], {"WIDTH": 16, "DEPTH": 4, "RESET": 0}),
    "rf_delay_w3_d9": ("rf_delay", ["rf_delay"], {"WIDTH": 3, "DEPTH": 9, "RESET": 1}),
    # the leading-zero count: rf_rmsnorm's 48-bit sum, a short and a non-power-of-two width
    "rf_lzc_w48": ("rf_lzc", ["rf_lzc"], {"WIDTH": 48}),
    "rf_lzc_w5": ("rf_lzc", ["rf_lzc"], {"WIDTH": 5}),
    "rf_lzc_w33": ("rf_lzc", ["rf_lzc"], {"WIDTH": 33}),
    # the dot product with N = 5, not a multiple of the tree group of 4 (three padding entries); the
    # power-of-two N of rf_matvec and rf_lora run inside their benches
    "rf_dot_n5": ("rf_dot", ["rf_dot"], {"N": 5, "ABITS": 12, "BBITS": 8}),
    # the mx block exponent unit (W 15): the SwiGLU gate's one element a write (G 1, B 32, LANES 32) and
    # the RMSNorm's NORM_LANES-element words (G 8, B 32, LANES 16: several words a block), and writes of
    # two whole blocks read by words of four (G 32, B 16, LANES 64); random lengths below N (short last blocks)
    "rf_mx_exp_b32_g1_l32": ("rf_mx_exp", ["rf_mx_exp", "rf_lzc"], {"B": 32, "G": 1, "N": 172, "LANES": 32}),
    "rf_mx_exp_b32_g8_l16": ("rf_mx_exp", ["rf_mx_exp", "rf_lzc"], {"B": 32, "G": 8, "N": 200, "LANES": 16}),
    "rf_mx_exp_b16_g32_l64": ("rf_mx_exp", ["rf_mx_exp", "rf_lzc"], {"B": 16, "G": 32, "N": 256, "LANES": 64}),
}
# the configuration of each unit make test builds on Verilator (tests/conftest.py verilator_variant)
VERILATOR_FIRST = ("rf_requant_a32_o16_pipe", "rf_rsr_b47_pipe", "rf_delay_w3_d9", "rf_lzc_w48", "rf_dot_n5",
                   "rf_mx_exp_b32_g8_l16")


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("unit", sorted(UNITS))
def test_unit(sim: str, unit: str) -> None:
    verilator_variant(sim, unit in VERILATOR_FIRST)
    toplevel, sources, params = UNITS[unit]
    module = "tb.unit.test_" + toplevel
    check_results(run(sim=sim, toplevel=toplevel, sources=sources, test_module=module, parameters=params,
                      name=unit))
