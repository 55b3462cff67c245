"""The SystemVerilog assertions bound into the RTL (sva/, docs/assertions.md).

Every Verilator build compiles the bind files of its modules with --assert (tb.runner.sva_sources):
the bind files must stay lint-clean against the whole chip, and a violated assertion must fail the
simulation -- shown here on the pins of rf_axis_skid (a bench that changes TDATA while the beat is
stalled) and with the stability property inverted in a test-only build (a correct stream then
fails). Each failing run is a subprocess: its exit status, its log naming the assertion and the
time, and its cocotb results file (the test recorded as failed) are all checked."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cocotb_tools.runner import get_results

from tb.runner import BUILD, HDL, ROOT, sva_sources, verilator_bin_dir
from tb.sim import DEFAULT_MODEL, TOP_SOURCES, model_build

SVA_FILES = sorted((ROOT / "sva").glob("*_sva.sv"))
# "[70000] %Error: rf_axis_skid_sva.sv:50: Assertion failed in rf_axis_skid.u_sva.g_s_stable.a_s_stable: ..."
FIRED = re.compile(r"^\[(\d+)\] %Error: (\S+): Assertion failed in (\S+?):", re.M)


def test_every_bind_file_binds_its_module() -> None:
    assert SVA_FILES, "no bind files in sva/"
    for path in SVA_FILES:
        module = path.name.removesuffix("_sva.sv")
        assert (HDL / f"{module}.v").exists(), f"{path}: no hdl/{module}.v to bind to"
        assert re.search(rf"^bind {module} {module}_sva\b", path.read_text(), re.M), \
            f"{path}: no `bind {module} {module}_sva ...` statement"


def test_sva_sources_follow_the_modules_built() -> None:
    skid = ROOT / "sva" / "rf_axis_skid_sva.sv"
    assert sva_sources([HDL / "rf_axis_skid.v"]) == [skid]
    assert sva_sources([HDL / "rf_rsr.v"]) == []                        # no assertions of its own
    assert sva_sources([BUILD / "gls" / "netlist.v"]) == []             # a netlist: no RTL modules to bind
    assert sva_sources([HDL / f"{s}.v" for s in TOP_SOURCES]) == SVA_FILES


def test_bind_files_lint_clean_on_the_chip() -> None:
    """verilator --lint-only -Wall --assert of romformer_top with every bind file (make lint's RTL set)."""
    build = model_build(DEFAULT_MODEL, 32)
    sources = [str(HDL / f"{s}.v") for s in TOP_SOURCES] + [str(p) for p in SVA_FILES]
    cmd = [str(verilator_bin_dir() / "verilator"), "--lint-only", "-Wall", "--assert", "--timing",
           str(HDL / "lint.vlt"), f"-I{build}", f"-I{HDL}", f'-DROM_DIR="{build}"', "--top-module", "romformer_top",
           *sources]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr[-4000:]


def run_skid(test_module: str, run_name: str, build: str, defines: dict[str, object] | None = None
             ) -> tuple[int, str, Path]:
    """One run of an rf_axis_skid build (WIDTH 8) on Verilator in a subprocess: (exit status, log,
    results XML). build "rf_axis_skid_8" is tests/test_rtl_io.py's: the violation bench shares it."""
    xml = BUILD / "reports" / "verilator" / f"{run_name}.xml"
    xml.unlink(missing_ok=True)
    code = ("from tb.runner import HDL, run; "
            f"run(sim='verilator', toplevel='rf_axis_skid', sources=['rf_axis_skid'], test_module={test_module!r}, "
            f"parameters={{'WIDTH': 8}}, includes=[HDL], defines={defines or {}!r}, name={build!r}, "
            f"run_name={run_name!r})")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tb")])}
    env.pop("WAVES", None)
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    return res.returncode, res.stdout + res.stderr, xml


def assert_failed_by(assertion: str, status: int, log: str, xml: Path) -> None:
    fired = FIRED.findall(log)
    assert status != 0, f"the run passed; its log:\n{log[-3000:]}"
    assert fired, f"no assertion fired; the log:\n{log[-3000:]}"
    time_ps, where, name = fired[0]
    assert name.endswith(f".{assertion}"), f"{name} fired at {time_ps} ps ({where}), expected {assertion}"
    assert "Verilog $stop" in log, "the failed assertion did not stop the simulation"
    total, failed = get_results(xml)
    assert failed >= 1, f"{xml}: {failed} of {total} cocotb tests failed"
    assert "SimFailure" in xml.read_text(), f"{xml}: the test is not recorded as ended by the simulator"


@pytest.mark.parametrize("sim", ["verilator"])
def test_a_stream_violation_on_the_pins_fails_the_run(sim: str) -> None:
    """TDATA changes while s_valid is high and s_ready low: a_s_stable fires, the simulation stops,
    cocotb records the test as failed and the run (a pytest test's call of tb.runner.run) raises."""
    status, log, xml = run_skid("tb.unit.test_rf_axis_skid_sva", "sva-skid-violation", "rf_axis_skid_8")
    assert_failed_by("a_s_stable", status, log, xml)
    assert "RuntimeError" in log, "tb.runner.run returned instead of raising"


@pytest.mark.parametrize("sim", ["verilator"])
def test_an_inverted_property_fails_a_correct_stream(sim: str) -> None:
    """The skid bench's correct streams under a test-only build whose slave-side stability check is
    inverted (RF_SVA_INVERT_STABLE): the first stalled beat fails it."""
    status, log, xml = run_skid("tb.unit.test_rf_axis_skid", "sva-skid-inverted", "sva-skid-inverted",
                                {"RF_SVA_INVERT_STABLE": 1})
    assert_failed_by("a_s_stable_inverted", status, log, xml)
