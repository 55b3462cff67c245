"""I/O RTL on both simulators: AXI4-Stream skid buffer and the AXI4-Lite register file."""
from __future__ import annotations

import pytest

from conftest import verilator_variant
from tb.runner import HDL, SIMULATORS, check_results, run

# name -> (toplevel, sources, parameters)
UNITS: dict[str, tuple[str, list[str], dict[str, object]]] = {
    "rf_axis_skid_8": ("rf_axis_skid", ["rf_axis_skid"], {"WIDTH": 8}),
    "rf_axis_skid_17": ("rf_axis_skid", ["rf_axis_skid"], {"WIDTH": 17}),
    "rf_axil_regs": ("rf_axil_regs", ["rf_axil_regs"],
                     {"ADDR_BITS": 12, "LANES": 32, "N_LAYERS": 5, "VOCAB": 256, "SEQ_LEN": 512}),
    "rf_axil_regs_a8": ("rf_axil_regs", ["rf_axil_regs"],
                        {"ADDR_BITS": 8, "LANES": 8, "N_LAYERS": 2, "VOCAB": 40, "SEQ_LEN": 20}),
    "rf_axil_regs_lora": ("rf_axil_regs", ["rf_axil_regs"],
                          {"ADDR_BITS": 12, "LANES": 32, "N_LAYERS": 4, "VOCAB": 256, "SEQ_LEN": 256,
                           "LORA_RANK": 8, "LORA_TARGETS": 5, "LORA_WORDS": 37}),
}


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("unit", sorted(UNITS))
def test_io_unit(sim: str, unit: str) -> None:
    verilator_variant(sim, unit not in ("rf_axis_skid_17", "rf_axil_regs_a8"))
    toplevel, sources, params = UNITS[unit]
    check_results(run(sim=sim, toplevel=toplevel, sources=sources, test_module="tb.unit.test_" + toplevel,
                      parameters=params, includes=[HDL], name=unit))


@pytest.mark.parametrize("sim", SIMULATORS)
def test_cycles_hi_snapshot(sim: str) -> None:
    """CYCLES_HI is the high word latched by the last CYCLES_LO read (a LO/HI pair is never torn)."""
    toplevel, sources, params = UNITS["rf_axil_regs"]
    check_results(run(sim=sim, toplevel=toplevel, sources=sources, test_module="tb.unit.test_rf_axil_counters",
                      parameters=params, includes=[HDL], name="rf_axil_counters"))
