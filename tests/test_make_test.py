"""`make test` itself: the debugging commands the docs give (docs/waves.md, README "Debugging")."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD_ENV_DROP = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                  "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST")


def make_test(pytest_args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in CHILD_ENV_DROP}
    return subprocess.run(["make", "--no-print-directory", "test", f"PYTEST_ARGS={pytest_args}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_make_test_runs_in_process_with_xdist_disabled(tmp_path):
    # docs/waves.md runs one test in the pytest process (waves, a debugger) with
    # `make test PYTEST_ARGS="-p no:xdist ..."`: the Makefile's own `-n 2` must not break that
    one = "tests/test_synth_flow.py::test_unknown_weight_bram_mode_is_refused"
    r = make_test(f"-p no:xdist --junitxml={tmp_path / 'r.xml'} {one}")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "1 passed" in r.stdout
