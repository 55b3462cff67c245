"""Waves: tb.runner.run writes FST dumps on both simulators, the dumps hold every signal of the
GTKWave layouts in tb/waves/, and GTKWave loads the layouts (headless, when gtkwave and a
display or xvfb-run are installed) and renders them.

Fast on purpose: one top-level run on a tiny model (GQA shape, LANES 8, 2 tokens) through
tb.sim.run_top(waves=True) -- the `make sim WAVES=1` path -- and one rf_matvec run at LANES 8
through the WAVES=1 environment variable -- the `WAVES=1 make test` path -- per simulator.
Run names are prefixed "waves-" so they never share files with the ordinary tests running
in parallel.
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

import test_rtl_matvec
from conftest import SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from tb.runner import BUILD, ROOT, SIMULATORS, check_results, run, waves_path
from tb.sim import model_build, run_top
from tb.waves.gtkw import (
    LAYOUTS,
    committed_gtkw,
    display_command,
    dump_widths,
    expected_traces,
    find_gtkwave,
    gtkw_text,
    gtkwave_headless,
    missing_signals,
)


def make_top_dump(sim: str) -> Path:
    path = BUILD / "random_models" / f"waves-gqa-{sim}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_checkpoint(random_checkpoint(SHAPES["gqa"], seed=11), path)
    result = BUILD / "results" / sim / "waves-top-gqa.json"
    result.unlink(missing_ok=True)
    check_results(run_top(sim=sim, build=model_build(path, 8), prompt=[1, 2, 3], n=2, inv_temp=256, top_k=4,
                          seed=3, result=result, name="waves-top-gqa", waves=True, testcase="generate"))
    assert json.loads(result.read_text())["match"]
    return waves_path(sim, "waves-top-gqa")


def make_matvec_dump(sim: str, monkeypatch) -> Path:
    data = BUILD / "unit_data" / "waves-matvec" / "L8"
    params = test_rtl_matvec.make_data(8, data, seed=1008)
    monkeypatch.setenv("WAVES", "1")          # what `WAVES=1 make test` does: no waves=True in the call
    check_results(run(sim=sim, toplevel="rf_matvec_tb", sources=test_rtl_matvec.SOURCES,
                      test_module="tb.unit.test_rf_matvec", parameters=params, name="waves-rf_matvec_L8",
                      extra_env={"RF_MATVEC_DATA": str(data / "matrices.npz")}))
    return waves_path(sim, "waves-rf_matvec_L8")


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def check_gtkwave(layout_name: str, dump, widths) -> None:
    gw, why = find_gtkwave()
    prefix, why2 = display_command()
    if gw is None or prefix is None:
        pytest.skip(f"GTKWave render check skipped: {why or why2}")
    lay = LAYOUTS[layout_name]
    gtkw = dump.with_suffix(".gtkw")
    gtkw.write_text(gtkw_text(lay, widths, dump, filter_dir=ROOT / "tb" / "waves"))
    png = dump.with_suffix(".png")
    shown, log = gtkwave_headless(dump, gtkw, png)
    expected = expected_traces(lay, widths)
    assert shown == expected, f"GTKWave did not display {sorted(set(expected) - set(shown))}\n{log}"
    assert png.exists(), f"GTKWave wrote no screenshot\n{log}"
    w, h = png_size(png)
    assert w >= 400 and h >= 300 and png.stat().st_size > 10_000, f"{png}: {w}x{h}, {png.stat().st_size} bytes"


@pytest.mark.parametrize("sim", SIMULATORS)
def test_waves_top(sim):
    dump = make_top_dump(sim)
    assert dump.exists() and dump.stat().st_size > 1000, f"no waves at {dump}"
    widths = dump_widths(dump)
    assert not missing_signals(LAYOUTS["top"], widths)
    # the committed layout names exactly these traces (top-level widths do not depend on the model)
    assert committed_gtkw("top").read_text() == gtkw_text(LAYOUTS["top"], widths)
    check_gtkwave("top", dump, widths)


@pytest.mark.parametrize("sim", SIMULATORS)
def test_waves_matvec(sim, monkeypatch):
    dump = make_matvec_dump(sim, monkeypatch)
    assert dump.exists() and dump.stat().st_size > 1000, f"no waves at {dump}"
    widths = dump_widths(dump)
    assert not missing_signals(LAYOUTS["matvec"], widths)
    assert committed_gtkw("matvec").read_text() == gtkw_text(LAYOUTS["matvec"], widths)
    check_gtkwave("matvec", dump, widths)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_committed_layouts_match_list(name):
    """tb/waves/<name>.gtkw lists exactly the signals of tb/waves/layouts.py (scripts/waves.py --regen)."""
    text = committed_gtkw(name).read_text()
    traces = [re.sub(r"\[\d+:\d+\]$", "", line) for line in text.splitlines()
              if line and line[0] not in "[@-^*"]
    assert traces == LAYOUTS[name].signals(), f"tb/waves/{name}.gtkw is stale: python scripts/waves.py --regen"
