"""tb/runner.py: runs of one build in parallel (the pyuvm tests share the build of their model).

Two processes run the rf_rsr bench as two runs of one build at the same time: each must pass
with its own results and working directory, and a later run of the unchanged build must not
rebuild the simulator (a rebuild under a running simulation would be a race)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tb.runner import BUILD, ROOT, SIMULATORS, check_results

BUILD_NAME = "runner-shared-rsr"
RUN = ("from tb.runner import run, check_results; "
       "check_results(run(sim={sim!r}, toplevel='rf_rsr', sources=['rf_rsr'], test_module='tb.unit.test_rf_rsr', "
       "parameters={{'IN_BITS': 24, 'PIPE': 0}}, name={build!r}, run_name={run!r}))")


def start(sim: str, run_name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tb")])}
    env.pop("WAVES", None)
    env.pop("ROMFORMER_CODECOV", None)     # under make regression: a coverage build has a directory of its own
    return subprocess.Popen([sys.executable, "-c", RUN.format(sim=sim, build=BUILD_NAME, run=run_name)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def simulator_file(sim: str) -> Path:
    build = BUILD / "sim_build" / sim / BUILD_NAME
    return build / ("sim.vvp" if sim == "icarus" else "rf_rsr")


@pytest.mark.parametrize("sim", SIMULATORS)
def test_parallel_runs_share_one_build(sim: str) -> None:
    runs = [f"{BUILD_NAME}-a", f"{BUILD_NAME}-b"]
    for r in runs:
        (BUILD / "reports" / sim / f"{r}.xml").unlink(missing_ok=True)
    procs = [start(sim, r) for r in runs]
    for r, p in zip(runs, procs):
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, f"run {r} on {sim} failed:\n{out[-3000:]}"
    for r in runs:
        check_results(BUILD / "reports" / sim / f"{r}.xml")
        assert (BUILD / "sim_run" / sim / r).is_dir(), f"run {r} did not get its own working directory"
    built = simulator_file(sim).stat().st_mtime_ns
    p = start(sim, f"{BUILD_NAME}-c")
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0, out[-3000:]
    assert simulator_file(sim).stat().st_mtime_ns == built, f"{sim}: an unchanged build was rebuilt"
