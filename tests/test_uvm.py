"""The pyuvm environment (tb/uvm/) on both simulators.

`make test` runs every test of UVM_TESTS (test_uvm_suite: one simulator process per model and
simulator, both simulators). Every test also runs on its own with UVM_FULL=1 (make regression),
selectable by name:

    UVM_FULL=1 .venv/bin/python -m pytest -q tests/test_uvm.py -k "ResetMidGeneration and verilator"
    COCOTB_RANDOM_SEED=123 UVM_FULL=1 .venv/bin/python -m pytest -q tests/test_uvm.py -k "RandomPrompts"

Waves (tb/runner.py, docs/waves.md): WAVES=1 runs a single test as run `uvm-<test>` (its own build)
and dumps build/waves/<sim>/uvm-<test>.fst; `make waves TEST=uvm-<test> SIM=<sim>` opens it (and
re-runs the test with waves when the dump is missing; set COCOTB_RANDOM_SEED to reproduce a seed).
Coverage: build/coverage/<sim>/<test>.{xml,txt}.
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EMBEDDED, SHAPES
from sim_models.checkpoint import random_checkpoint, write_checkpoint
from sim_models.lora import CORE_ORDER
from tb.coverage_goals import evaluate, goals, require_reports, summary
from tb.runner import BUILD, SIMULATORS, check_results
from tb.sim import model_build, run_top

# name -> model ("embedded": models/austen_byte.bin at LANES 32; else a SHAPES entry at LANES 8)
UVM_TESTS: dict[str, str] = {
    "Smoke": "embedded",
    "RandomPrompts": "gqa",
    "MultiTurn": "gqa",
    "NewSequence": "gqa",
    "ContextFull": "gqa",
    "ContextOverflow": "gqa",
    "TokenRange": "gqa",
    "RegisterAccess": "gqa",
    "ResetMidGeneration": "gqa",
    "HeavyBackpressure": "gqa",
    "ModeLengthStall": "gqa",
    "SamplingSeed": "gqa",
    "StopToken": "gqa",
    "BudgetZero": "gqa",
    "Counters": "gqa",
    "FaultPrediction": "gqa",
    "FaultRtlDeposit": "gqa",
    "RegisterTraffic": "gqa",
    "FaultInjection": "gqa",
    "PromptSoak": "gqa",
    "AdapterSwap": "gqa",
    "AdapterBusy": "gqa",
    "AdapterErrors": "gqa",
}
TEST_MODULE = "tb.uvm.test_romformer"
# Adapter hardware built into the chip of a model: (maximum rank, target matrices). The GQA chip carries a
# rank-4 q/v adapter unit: every test runs on it with the adapter disabled (it must then be the base chip,
# token for token and cycle for cycle) and the Adapter* tests load, swap and enable adapters over the bus.
UVM_LORA: dict[str, tuple[int, tuple[str, ...]]] = {"gqa": (4, ("wq", "wv"))}
# make test keeps Icarus lighter (about 100x slower): these long-running tests run there only in
# make regression; the CI coverage floor is checked on the Verilator suite, which runs them all.
# Icarus keeps the short ones (registers, errors, faults, counters, reset, stop, budget) in make test.
ICARUS_SKIP = ("ContextFull", "ContextOverflow", "RandomPrompts", "MultiTurn", "NewSequence", "SamplingSeed",
               "ModeLengthStall", "AdapterSwap", "AdapterBusy", "PromptSoak", "RegisterTraffic",
               "HeavyBackpressure")


def build_for(model: str, sim: str) -> Path:
    """The compiled model; random shapes are written once (a rewrite would force a rebuild)."""
    if model == "embedded":
        return model_build(EMBEDDED, 32)
    path = BUILD / "random_models" / f"uvm-{model}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            write_checkpoint(random_checkpoint(SHAPES[model], seed=11), path)
    return model_build(path, 8)


def run_uvm(sim: str, model: str, tests: list[str], run: str, extra_env: dict[str, str] | None = None,
            inspect: Callable[[Path], None] = check_results) -> None:
    """One simulator process for `tests` (all on `model`) as run `run`. Every run of a model shares
    one simulator build, uvm-<model> (tb.runner.run locks it while it builds), and has its own
    results, so pytest-xdist workers run the tests of one model side by side. `inspect` judges the
    results XML (default: every cocotb test passed); a lock per run name keeps two processes from
    making the same run at once."""
    build = build_for(model, sim)
    lora = UVM_LORA.get(model)
    env = dict(extra_env or {})
    if lora:
        env["ROMFORMER_LORA"] = f"{lora[0]}:{','.join(lora[1])}"     # tb/uvm/test_romformer.py reads it
    lock_path = BUILD / "sim_run" / sim / f".{run}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        xml = BUILD / "reports" / sim / f"{run}.xml"
        xml.unlink(missing_ok=True)            # never judge a stale file
        try:
            run_top(sim=sim, build=build, prompt=[1], n=1, inv_temp=0, top_k=0, seed=0,
                    result=BUILD / "results" / sim / f"{run}.json", test_module=TEST_MODULE,
                    testcase=tests, name=f"uvm-{model}", run_name=run, extra_env=env,
                    lora=(lora[0], sum(1 << CORE_ORDER.index(m) for m in lora[1])) if lora else None)
        except SystemExit as e:                # cocotb's runner exits under pytest when a test failed
            if not xml.exists():
                raise AssertionError(f"{run} on {sim}: no results ({e})") from e
        inspect(xml)


@pytest.mark.long
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("model", sorted(set(UVM_TESTS.values())))
def test_uvm_suite(sim: str, model: str) -> None:
    """Every pyuvm test of `model` in one simulator process (make test, CI; Icarus without ICARUS_SKIP);
    then the merged Verilator coverage of the plan's model must reach the testplan's ci_floor on
    every cover point."""
    if sim == "icarus" and model == "embedded" and os.environ.get("ROMFORMER_FULL") != "1":
        pytest.skip("ROMFORMER_FULL=1 (make regression) runs the embedded model's pyuvm suite on Icarus too "
                    "(make test: test_rtl_top's embedded cases on Icarus, this suite on Verilator)")
    tests = [t for t in UVM_TESTS if UVM_TESTS[t] == model and not (sim == "icarus" and t in ICARUS_SKIP)]
    started = time.time()
    run_uvm(sim, model, tests, f"uvm-{model}")
    files = require_reports(sim, tests, since=started)      # every test of the run wrote its coverage
    if model == goals()["model"] and sim == "verilator":
        results = evaluate(files, goals()["ci_floor"], bench=False)    # bench_points close in make regression
        assert all(r.ok for r in results), f"coverage below the CI floor on {sim}:\n{summary(results)}"


# The soak is the longest run by far (about 740 s on Icarus): collected first, pytest-xdist starts it
# first, and the other worker takes the rest meanwhile (make regression, seed time ~ the soak's).
LONGEST_FIRST = sorted(UVM_TESTS, key=lambda t: t != "PromptSoak")


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("name", LONGEST_FIRST)
def test_uvm(sim: str, name: str) -> None:
    """One test on its own (UVM_FULL=1, or WAVES=1): what the scoreboard prints to reproduce a failure."""
    # Run uvm-<name>: tb.runner.run records this pytest test under it, so `make waves TEST=uvm-<name>`
    # finds it. Collected only with UVM_FULL=1 or WAVES=1 (tests/conftest.py); make test runs test_uvm_suite.
    started = time.time()
    run_uvm(sim, UVM_TESTS[name], [name], f"uvm-{name}")
    require_reports(sim, [name], since=started)             # make regression judges the goals on it
