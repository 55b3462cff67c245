"""The formal proofs of the bus blocks (formal/, `make formal`, docs/formal.md).

With the formal tools installed (requirements-synth.txt: YoWASP yosys/sby and the Yices 2
solver) every proof and cover task of formal/ passes, and a deliberately broken copy of each
DUT makes its proof FAIL on the property that names the bug. Without the tools those tests
skip; the register-map generator and the runner's bookkeeping are tested either way.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from formal import regmap_props, run
from sim_models import regmap

ROOT = Path(__file__).resolve().parents[1]

needs_tools = pytest.mark.skipif(
    bool(run.missing_tools()),
    reason=f"formal tools not installed: {', '.join(run.missing_tools())} ({run.INSTALL_HINT})")


# ---------------------------------------------------------------- regmap_props (no tools)
def test_responses_follow_the_register_model():
    rows = {r.name: r for r in regmap_props.table()}
    unmapped = rows.pop("unmapped")
    assert unmapped.wr_err and unmapped.rd_err and unmapped.rd_fixed == 0
    assert set(rows) == set(regmap.BY_NAME)
    for name, row in rows.items():
        reg = regmap.BY_NAME[name]
        assert row.wr_err == (reg.access == regmap.RO), name
        assert not row.rd_err, name
    # the refusals the map describes for the adapter registers, and no others
    assert {n for n, r in rows.items() if r.wr_err_busy} == {"ADAPTER_CTRL", "ADAPTER_DATA"}
    assert {n for n, r in rows.items() if r.wr_err_range} == {"ADAPTER_DATA"}
    # fixed read data: the ID constant and the WO registers' 0; every live or stored value is not
    fixed = {n: r.rd_fixed for n, r in rows.items() if r.rd_fixed is not None}
    assert fixed == {"ID": regmap.ID_VALUE} | {r.name: 0 for r in regmap.REGISTERS if r.access == regmap.WO}


def test_generated_include_decodes_every_register_by_its_rf_regmap_name():
    text = regmap_props.verilog()
    vh = (ROOT / "hdl" / "rf_regmap.vh").read_text()
    for r in regmap.REGISTERS:
        assert f"localparam [31:0] RF_{r.name}_ADDR" in vh
        # every register appears in the read decode (all of them are mapped)
        assert re.search(rf"\bRF_{r.name}_ADDR\b[^;]*: f_rf_rd_err = 1'b0;", text), r.name
    assert "32'h" not in text.split("f_rf_rd_fixed")[0]     # no address typed in: only RF_*_ADDR names


def test_a_response_the_functions_cannot_express_is_refused(monkeypatch):
    original = regmap.RegisterModel.read

    def read_busy_refused(self, addr):
        data, resp = original(self, addr)
        if addr & ~3 == regmap.BY_NAME["STATUS"].offset and not self.hw["idle"]:
            return 0, regmap.SLVERR
        return data, resp

    monkeypatch.setattr(regmap.RegisterModel, "read", read_busy_refused)
    with pytest.raises(ValueError, match=r"sim_models/regmap.py: STATUS: the read response depends on the core state"):
        regmap_props.table()


# ---------------------------------------------------------------- runner bookkeeping (no tools)
def test_sby_options_per_task():
    sby = run.FORMAL_DIR / "rf_axis_skid.sby"
    assert run.sby_option(sby, "prove", "mode") == "prove"
    assert run.sby_option(sby, "cover", "mode") == "cover"
    assert int(run.sby_option(sby, "prove", "depth")) >= 4
    assert run.sby_option(sby, "prove", "nonexistent") is None


def test_induction_length_from_the_smtbmc_log(tmp_path):
    log = tmp_path / "engine_0" / "logfile_induction.txt"
    log.parent.mkdir()
    log.write_text("Trying induction in step 8..\nTrying induction in step 7..\nTrying induction in step 6..\n"
                   "Temporal induction successful.\n")
    assert run.induction_length(tmp_path, 8) == 2
    log.write_text("Trying induction in step 8..\nTrying induction in step 0..\n")
    assert run.induction_length(tmp_path, 8) is None


def test_missing_tools_are_named_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(run, "tool_dir", lambda: tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert set(run.missing_tools()) == set(run.TOOLS)
    assert run.main([]) == 2
    err = capsys.readouterr().err
    assert "yowasp-sby" in err and "yices-smt2" in err and run.INSTALL_HINT in err


def test_an_unknown_job_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        run.main(["no_such_job"])
    assert exc.value.code == 2
    assert "unknown job no_such_job" in capsys.readouterr().err


# ---------------------------------------------------------------- proofs (tools)
@needs_tools
@pytest.mark.parametrize("job", sorted(run.JOBS))
def test_formal_task_passes(job, tmp_path):
    sby, task = run.JOBS[job]
    run.generate(run.OUT)
    result = run.run_sby(run.FORMAL_DIR / sby, task, tmp_path / job, job)
    assert result.passed, f"{result.line()}\n{run.failure_detail(result)}"
    if result.mode == "prove":
        assert result.k is not None and 1 <= result.k <= result.depth


def staged(tmp_path: Path, sby_name: str, dut: str, old: str, new: str) -> Path:
    """A copy of formal/ with `sby_name`'s sources under tmp_path, the DUT hdl/`dut` changed by
    replacing `old` with `new` (once); returns the staged sby file."""
    formal = tmp_path / "formal"
    shutil.copytree(run.FORMAL_DIR, formal, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (tmp_path / "hdl").mkdir()
    for vh in ("rf_regmap.vh",):
        shutil.copy(ROOT / "hdl" / vh, tmp_path / "hdl" / vh)
    text = (ROOT / "hdl" / dut).read_text()
    assert text.count(old) == 1, f"hdl/{dut} no longer has the line the broken copy removes: {old!r}"
    (tmp_path / "hdl" / dut).write_text(text.replace(old, new))
    regmap_props.write(tmp_path / "build" / "formal" / run.GEN_DIR)
    return formal / sby_name


@needs_tools
def test_a_skid_buffer_that_drops_the_skid_write_fails_its_proof(tmp_path):
    sby = staged(tmp_path, "rf_axis_skid.sby", "rf_axis_skid.v",
                 "if (s_fire && !out_free) skid_data <= s_data;", "")
    result = run.run_sby(sby, "prove", tmp_path / "work")
    assert result.status == "FAIL", result.line()
    assert re.search(r"failed assertion rf_axis_skid_formal\.a_(delivered_intact|in_skid|at_output)",
                     run.failure_detail(result)), run.failure_detail(result)


@needs_tools
def test_a_register_file_that_takes_ro_writes_fails_its_proof(tmp_path):
    sby = staged(tmp_path, "rf_axil_regs.sby", "rf_axil_regs.v",
                 "(wr_hit && !wr_ro && wr_ok) ? RESP_OKAY", "(wr_hit && wr_ok) ? RESP_OKAY")
    result = run.run_sby(sby, "prove", tmp_path / "work")
    assert result.status == "FAIL", result.line()
    assert "failed assertion rf_axil_regs_formal.a_bresp_slverr" in run.failure_detail(result), \
        run.failure_detail(result)
