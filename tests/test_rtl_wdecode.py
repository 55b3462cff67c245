"""rf_wdecode (the weight-decode stage) on both simulators, one build per format and lane/group
layout: several scale codes per word (LANES > group), one code per word, ternary bytes split
over lanes. Expected values come from sim_models.formats (tb/unit/test_rf_wdecode.py)."""
from __future__ import annotations

import pytest

from sim_models.formats import make_format
from tb.runner import SIMULATORS, check_results, codecov_requested, run

# (format, lanes, group): int4 with 2 groups per word, mxfp4 with 2 blocks per word, nvfp4
# with 1 code for 8 lanes, ternary with a partly used last byte, int8.
CASES = [("int4", 8, 4), ("mxfp4", 64, 32), ("nvfp4", 8, 16), ("ternary", 32, 0), ("int8", 8, 0)]


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("fmt_name,lanes,group", CASES, ids=[f"{f}-L{l}" for f, l, _ in CASES])
def test_rf_wdecode(sim: str, fmt_name: str, lanes: int, group: int) -> None:
    if sim == "verilator" and fmt_name not in ("int4", "ternary") and not codecov_requested():
        pytest.skip("one Verilator build per decode family keeps make test short (Icarus runs every case; "
                    "ROMFORMER_CODECOV=1 runs every case on Verilator too, for code coverage)")
    fmt = make_format(fmt_name, group or None)          # group 0: a format with one scale per row
    params = {"FMT": fmt.fid, "LANES": lanes, "GROUP": fmt.group, "WORD_BITS": fmt.word_bits(lanes),
              "SC_BITS": max(1, fmt.scale_bits), "SC_WIDTH": max(1, fmt.scale_word_bits(lanes)), "WBITS": fmt.wbits}
    env = {"RF_WDECODE_FORMAT": fmt_name, "RF_WDECODE_GROUP": str(group), "RF_WDECODE_LANES": str(lanes)}
    check_results(run(sim=sim, toplevel="rf_wdecode", sources=["rf_wdecode"], test_module="tb.unit.test_rf_wdecode",
                      parameters=params, name=f"rf_wdecode_{fmt_name}_L{lanes}", extra_env=env))
