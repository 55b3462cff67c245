"""python -m tb.sim (make sim): options that would be ignored are refused before any work."""
from __future__ import annotations

import pytest

from tb import sim


@pytest.mark.parametrize("option", [["--temp", "0.8"], ["--top-k", "40"], ["--seed", "1"]])
def test_adapter_runs_refuse_sampling_options(option, capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        sim.main(["--adapter", str(tmp_path), *option])
    assert info.value.code == 2
    assert "--adapter generates greedily" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["--act", "mx", "--adapter", "."], "--adapter: the LoRA path computes --act static activations only, not --act mx B32"),
    (["--act", "mx", "--act-block", "8"], "--act-block: 8 is not one of 16, 32"),
    (["--act", "fp8"], "--act: unknown activation format 'fp8'"),
    (["--act-block", "16"], "--act-block 16: applies to --act mx only")])
def test_act_options_refused(argv, message, capsys):
    """Bad --act / --act-block values, and an adapter with mx activations (adapters need --act static), stop
    before any compile with the option named."""
    with pytest.raises(SystemExit) as info:
        sim.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_warning_filters_name_every_cocotbext_axi_module():
    filters = sim.simulator_warning_filters().split(",")
    assert filters[0] == "default"                      # everything else as cocotb shows it
    assert "ignore::DeprecationWarning:cocotbext.axi.axis" in filters
    assert "ignore::DeprecationWarning:cocotbext.axi.axil_master" in filters
    assert all(f.startswith("ignore::DeprecationWarning:cocotbext.axi") for f in filters[1:])
    assert sim.simulator_warning_filters(("no_such_package_here",)) == "default"
