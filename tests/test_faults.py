"""Faults that must fail: each runs tb/uvm/test_romformer.py::FaultInjection in a sub-run with
ROMFORMER_FAULT set (tb/uvm/faults.py corrupts what a monitor reports). The sub-run must FAIL,
and the scoreboard's report must name the check that caught it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tb.runner import BUILD
from tb.uvm.faults import FAULTS
from test_uvm import run_uvm

# Verilator runs every fault; Icarus two of them (the same code, a slower simulator).
CASES = [(f, "verilator") for f in FAULTS] + [("lost_beat", "icarus"), ("wrong_reg", "icarus")]


def expect_failure(report: Path, fault: str):
    from cocotb_tools.runner import get_results

    def inspect(xml: Path) -> None:
        total, failed = get_results(xml)
        assert total == 1 and failed == 1, f"fault {fault}: the sub-run should fail, got {failed} of {total} failed"
        checks = json.loads(report.read_text())["failed_checks"]
        assert set(checks) & set(FAULTS[fault]), f"fault {fault}: failed checks {checks}, expected one of " \
                                                 f"{FAULTS[fault]}"
    return inspect


@pytest.mark.parametrize("fault,sim", CASES)
def test_fault_fails_its_run(fault: str, sim: str) -> None:
    report = BUILD / "results" / sim / f"fault-{fault}.json"
    report.unlink(missing_ok=True)
    run_uvm(sim, "gqa", ["FaultInjection"], f"uvm-fault-{fault}",
            extra_env={"ROMFORMER_FAULT": fault, "ROMFORMER_CHECK_REPORT": str(report)},
            inspect=expect_failure(report, fault))
