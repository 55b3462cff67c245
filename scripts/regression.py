#!/usr/bin/env python3
"""`make regression`: every pytest test, RTL ones on both simulators, over several seeds.

    python scripts/regression.py [--seeds 1,2,3] [--sims icarus,verilator] [-n 2] [-k EXPR] [PATHS...]

Tests are discovered by pytest collection (tests/ by default: Python model tests, RTL unit
tests, the top level, pyuvm tests -- whatever is there). A test whose node id carries a
simulator parameter ([...-icarus] / [verilator-...]) is an RTL run: it runs once per seed,
with COCOTB_RANDOM_SEED=<seed> in the environment, which tb.runner.run passes on to the
simulator process (cocotb seeds Python's `random` from it and logs "Seeding Python random
module with <seed>"). Tests without a simulator parameter do not depend on the cocotb seed
and run once, with the first seed.

Each seed is one pytest session (pytest-xdist, -n workers) writing JUnit XML to
build/reports/regression/seed-<seed>.xml; they are merged into build/reports/regression.xml
(one <testsuite> per seed, each <testcase> with properties seed and simulator). Prints a
table (test, simulator, seed, result, time), a reproduce command for every failure, and the
coverage. Each pyuvm test overwrites build/coverage/<sim>/<test>.xml, so after every seed the reports
that seed wrote are copied to build/reports/regression/coverage/seed-<seed>/<sim>/ (reports older than
the seed's session, e.g. from an earlier `make test` or tests left out by -k, are not); the coverage
goals (tb/coverage_goals.py) are judged on the reports of all seeds merged, per simulator.
Exit status 1 on any failure or error, or below a coverage goal. Failures are counted by the
check that fired (`check_of`: scoreboard mismatch, protocol checker, X/Z value, timeout, coverage
goal, build error, assertion, exception), read from the JUnit failure text and, for a simulator run,
from the cocotb results it names.

Every failure's reproduce command carries the session's environment (`session_env`: the seed, UVM_FULL,
ROMFORMER_FULL, LORA_FULL, the soak counts, ROMFORMER_XRAND) and its per-test timeout:

    COCOTB_RANDOM_SEED=2 UVM_FULL=1 ... make test PYTEST_ARGS="-p no:xdist -o timeout=2400 '<node id>'"

(add WAVES=1 for waves; docs/waves.md). Every pytest session prints the knobs it ran with in its
header (tests/conftest.py), so a log shows what a run saw.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from scripts.regress.engines import RETRIES, close_client, dask_client, run_dask, run_local  # noqa: E402
from scripts.regress.jobs import Tree  # noqa: E402
from scripts.regress.merge import check_complete, merge_results, read_artifacts, write_artifact  # noqa: E402
from scripts.regress.plan import (  # noqa: E402
    DURATIONS,
    load_durations,
    parse_seeds,
    parse_shard,
    plan,
    shard,
    update_durations as update_durations_file,
    wall_table,
)

BUILD = ROOT / "build"
REPORTS = BUILD / "reports"
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
COV_RUNS = REPORTS / "regression" / "coverage"     # seed-<seed>/<sim>/<test>.{xml,txt}
RESULTS_DIR = REPORTS / "regression" / "results"  # <run>.jsonl: one line per job (scripts/regress/merge.py)
SIMS = ("icarus", "verilator")
SIM_RE = re.compile(r"[\[-](icarus|verilator)[\]-]")
# Prompts of the PromptSoak test per seed (cocotbext-axi drivers, random gaps and backpressure):
# 3 seeds x 340 on each simulator is over 1,000 seeded prompts per simulator, plus every other test's.
SOAK = {"verilator": 340, "icarus": 340}
REGRESSION_TIMEOUT_S = 2400


def rel(path: Path) -> Path:
    """`path` relative to the checkout when it is inside it (for messages)."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def session_env(seed: int) -> dict[str, str]:
    """What a regression session sets on top of the caller's environment (tb.knobs.KNOBS names every
    such variable). UVM_FULL=1: every pyuvm test runs on its own (make test runs them grouped);
    ROMFORMER_FULL=1 and LORA_FULL=1: the top-level and adapter cases make test leaves to one simulator
    run on both; the soak counts; ROMFORMER_XRAND=1: Verilator starts from seeded random initial values
    (tb/runner.py)."""
    return {"COCOTB_RANDOM_SEED": str(seed), "UVM_FULL": "1", "ROMFORMER_FULL": "1", "LORA_FULL": "1",
            "ROMFORMER_SOAK_VERILATOR": os.environ.get("ROMFORMER_SOAK_VERILATOR", str(SOAK["verilator"])),
            "ROMFORMER_SOAK_ICARUS": os.environ.get("ROMFORMER_SOAK_ICARUS", str(SOAK["icarus"])),
            "ROMFORMER_XRAND": "1"}


def reproduce(node: str, seed: int, overrides: dict[str, str] | None = None) -> str:
    """The shell command that re-runs one test as the regression ran it: same environment, seed and
    per-test timeout, in the pytest process (no xdist: waves and debuggers work). `overrides`: what the
    run's job changed in the seed's environment (a soak slice's prompt count)."""
    args = f"-p no:xdist -o timeout={REGRESSION_TIMEOUT_S} {shlex.quote(node)}"
    make_args = f'PYTEST_ARGS="{args}"' if not re.search(r'["$`\\]', args) else shlex.quote(f"PYTEST_ARGS={args}")
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in {**session_env(seed), **(overrides or {})}.items())
    return f"{env} make test {make_args}"


def sim_of(node: str) -> str | None:
    m = SIM_RE.search(node.split("::", 1)[-1])
    return m.group(1) if m else None


def collect(paths: list[str], k: str | None) -> list[str]:
    cmd = [PY, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths] + (["-k", k] if k else [])
    # Collect as the runs will see it (UVM_FULL=1: every pyuvm test on its own, tests/conftest.py).
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "UVM_FULL": "1"})
    nodes = [line.strip() for line in p.stdout.splitlines() if "::" in line and not line.startswith(" ")]
    if p.returncode not in (0, 5) or not nodes:
        sys.exit(f"regression: test collection failed (exit {p.returncode}):\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return nodes


def node_of(case: ET.Element) -> str:
    """JUnit classname 'tests.test_x' + name 'test_y[p]' -> 'tests/test_x.py::test_y[p]'."""
    cls = case.get("classname", "")
    parts = cls.split(".")
    # classname is module path, possibly followed by a class name (capitalised)
    mod = [p for p in parts if not p[:1].isupper()]
    klass = [p for p in parts if p[:1].isupper()]
    return "/".join(mod) + ".py::" + "::".join(klass + [case.get("name", "")])


def outcome(case: ET.Element) -> str:
    for tag, word in (("failure", "FAIL"), ("error", "ERROR"), ("skipped", "SKIP")):
        if case.find(tag) is not None:
            return word
    return "PASS"


# The check that fired, from a failure's text: (bucket, pattern), the first match wins. Timeouts first (a
# scoreboard reports a silent core as check "timeout"); X/Z before the other protocol checks.
CHECK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("timeout", re.compile(r"Timeout \(>[\d.]+s\) from pytest-timeout|\btimeout after\b|scoreboard \[timeout\]"
                           r"|SimTimeoutError", re.I)),
    ("X/Z value", re.compile(r"PROTOCOL \w+\.\w+_x\b")),
    ("protocol checker", re.compile(r"PROTOCOL \w+\.\w+|protocol violation")),
    ("scoreboard mismatch", re.compile(r"scoreboard \[\w+\]|SCOREBOARD MISMATCH")),
    ("crash", re.compile(r"worker '?\w+'? crashed|Segmentation fault|core dumped|Fatal Python error")),
    ("RTL assertion", re.compile(r"Assertion failed in|%Error: .*assert", re.I)),
    ("coverage goal", re.compile(r"coverage below|reports not written by this run|coverage goals? (?:NOT )?met")),
    ("build error", re.compile(r"(?s)\bBuildError\b|\.build\(.*Command failed with return code|%Error[-:]|syntax error|"
                               r"iverilog executable not found")),
    ("assertion", re.compile(r"AssertionError|^E\s+assert\b", re.M)),
    ("exception", re.compile(r"\b\w*(?:Error|Exception|Exit)\b")),
)
COCOTB_RESULTS = re.compile(r"(\S+\.xml): \d+ of \d+ cocotb tests failed")


def failure_text(case: ET.Element) -> str:
    """Message and text of a testcase's <failure> / <error> elements ('' when it passed or skipped)."""
    return "\n".join(f"{el.get('message', '')}\n{el.text or ''}" for tag in ("failure", "error")
                     for el in case.findall(tag))


def check_of(text: str) -> str:
    """The bucket of the check that fired (CHECK_PATTERNS), "other" when none matches."""
    return next((name for name, pat in CHECK_PATTERNS if pat.search(text)), "other")


def cocotb_failures(text: str) -> str:
    """The failure messages of the cocotb tests in every simulator results file `text` names
    (tb.runner.check_results: "<xml>: N of M cocotb tests failed"); the pytest failure alone only
    says that some failed. Read right after the session: a later seed rewrites the file."""
    out = []
    for path in dict.fromkeys(COCOTB_RESULTS.findall(text)):
        f = Path(path) if Path(path).is_absolute() else ROOT / path
        try:
            cases = ET.parse(f).getroot().iter("testcase")
        except (OSError, ET.ParseError):
            continue
        out += [f"cocotb {c.get('name')}: {failure_text(c).strip()}" for c in cases if failure_text(c)]
    return "\n".join(out)


def annotate_failures(xml: Path) -> None:
    """Append to each failed testcase of a seed's JUnit XML the cocotb failures it refers to and a
    property `check` (check_of) naming the check that fired."""
    if not xml.exists():
        return
    tree = ET.parse(xml)
    for case in tree.getroot().iter("testcase"):
        text = failure_text(case)
        if not text:
            continue
        extra = cocotb_failures(text)
        if extra:
            el = case.find("failure") if case.find("failure") is not None else case.find("error")
            el.text = f"{el.text or ''}\n--- cocotb results:\n{extra}"
        props = case.find("properties")
        if props is None:
            props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="check", value=check_of(f"{extra}\n{text}" if extra else text))
    tree.write(xml, encoding="utf-8", xml_declaration=True)


def check_prop(case: ET.Element) -> str:
    props = case.find("properties")
    found = [p.get("value", "") for p in (props if props is not None else []) if p.get("name") == "check"]
    return found[0] if found else check_of(failure_text(case))


def failures_by_check(rows: list[dict]) -> dict[str, list[dict]]:
    """Failed / errored rows grouped by the check that fired, largest group first."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["result"] in ("FAIL", "ERROR"):
            groups.setdefault(r.get("check") or "other", []).append(r)
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def print_failures(rows: list[dict]) -> None:
    """The failures by check, then a reproduce command for each."""
    groups = failures_by_check(rows)
    if not groups:
        return
    print("\nfailures by check: " + ", ".join(f"{name} {len(g)}" for name, g in groups.items()))
    for name, g in groups.items():
        print(f"  {name}:")
        for r in g:
            print(f"    {r['node']} (seed {r['seed']}, {r['result']})")
    print("\nreproduce (same environment, seed and timeout; add WAVES=1 for waves, then make waves "
          "TEST=<run name>; docs/waves.md):")
    for r in sorted((r for g in groups.values() for r in g), key=lambda r: (r["node"], r["seed"])):
        if not r["node"].startswith("<"):          # a crashed session has no node id: its log says why
            print(f"  {reproduce(r['node'], r['seed'], r.get('env'))}")


PYTEST_RESULT_CHARS = frozenset(".FEsxX")
PYTEST_PROGRESS_LINE = re.compile(r"([.FEsxX]+)\s*(\[\s*\d+%\])?")


def run_counting_tests(cmd: list[str], env: dict[str, str], total: int, desc: str) -> tuple[int, str]:
    """Run a `pytest -q` command, its output captured and returned with its exit status; a progress
    bar (stderr, on a terminal only) counts the tests by the result characters of pytest's
    progress lines ("..F.s   [ 12%]") as they arrive, and stops counting where those lines end."""
    sys.path.insert(0, str(ROOT))
    from sim_models.progress import bar
    out: list[str] = []
    line, counted, started, done = "", 0, False, False
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p, \
            bar(total=total, desc=desc, unit="test") as b:
        assert p.stdout is not None
        while chunk := p.stdout.read(1):
            out.append(chunk)
            if chunk != "\n":
                line += chunk
                # a line's first character counts once the second shows it is a progress line ("FAILED" is not)
                if not done and len(line) >= 2 and set(line) <= PYTEST_RESULT_CHARS:
                    b.update(len(line) - counted)
                    counted = len(line)
                continue
            progress_line = PYTEST_PROGRESS_LINE.fullmatch(line) if not done else None
            if progress_line:
                b.update(len(progress_line.group(1)) - counted)
                started = True
            elif started:
                done = True
            line, counted = "", 0
    return p.returncode, "".join(out)


def run_seed(seed: int, nodes: list[str], jobs: int, extra: list[str]) -> tuple[Path, int, float]:
    xml = REPORTS / "regression" / f"seed-{seed}.xml"
    xml.parent.mkdir(parents=True, exist_ok=True)
    xml.unlink(missing_ok=True)
    listfile = xml.with_suffix(".nodes")
    listfile.write_text("\n".join(nodes) + "\n")
    # The per-test bound of make test (pyproject: 600 s) is sized for CI's short runs; the regression's
    # long ones (UVM_FULL, the soak, embedded-model runs on Icarus: about 110 CPU s each) on a loaded
    # machine need more before a silent core is declared hung (seeds 1-3 of 2026-12-02 timed out there).
    cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}", "-o", "junit_family=xunit2",
           "-o", f"timeout={REGRESSION_TIMEOUT_S}",
           *(["-n", str(jobs)] if jobs > 1 else ["-p", "no:xdist"]), *extra, *nodes]
    env = {**os.environ, "PYTHONPATH": str(ROOT), **session_env(seed)}
    print(f"regression: seed {seed}: {len(nodes)} tests, {jobs} workers", flush=True)
    t0 = time.monotonic()
    returncode, output = run_counting_tests(cmd, env, len(nodes), f"regression seed {seed}")
    wall = time.monotonic() - t0
    (xml.with_suffix(".log")).write_text(output)
    annotate_failures(xml)
    tail = [line for line in output.splitlines() if line.strip()][-1:] or ["(no output)"]
    print(f"regression: seed {seed}: {tail[0]}  ({wall:.0f} s, log {rel(xml.with_suffix('.log'))})",
          flush=True)
    return xml, returncode, wall


def merge(results: list[tuple[int, Path]], out: Path) -> list[dict]:
    rows: list[dict] = []
    suites = ET.Element("testsuites", name="romformer regression")
    for seed, xml in results:
        if not xml.exists():
            rows.append({"node": f"<pytest session, seed {seed}>", "sim": "-", "seed": seed, "result": "ERROR",
                         "time": 0.0, "check": "no JUnit report (session crashed)"})
            continue
        tree = ET.parse(xml).getroot()
        suite = ET.SubElement(suites, "testsuite", name=f"regression seed {seed}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        total = 0.0
        for case in tree.iter("testcase"):
            node, result = node_of(case), outcome(case)
            sim = sim_of(node) or "-"
            props = case.find("properties")
            if props is None:
                props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="seed", value=str(seed))
            ET.SubElement(props, "property", name="simulator", value=sim)
            case.set("name", f"{case.get('name')} [seed {seed}]")
            suite.append(case)
            t = float(case.get("time", 0) or 0)
            total += t
            counts["tests"] += 1
            counts["failures"] += result == "FAIL"
            counts["errors"] += result == "ERROR"
            counts["skipped"] += result == "SKIP"
            env = [p.get("value", "{}") for p in props if p.get("name") == "env"]
            rows.append({"node": node, "sim": sim, "seed": seed, "result": result, "time": t,
                         "check": check_prop(case) if result in ("FAIL", "ERROR") else "",
                         "env": json.loads(env[0]) if env else {}})
        for key, val in counts.items():
            suite.set(key, str(val))
        suite.set("time", f"{total:.3f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.indent(suites)
    ET.ElementTree(suites).write(out, encoding="utf-8", xml_declaration=True)
    return rows


def table(rows: list[dict]) -> None:
    width = max([len(r["node"]) for r in rows] + [4])
    print(f"\n{'test':<{width}}  {'simulator':<9}  {'seed':>4}  {'result':<6}  {'time':>8}")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 4}  {'-' * 6}  {'-' * 8}")
    for r in sorted(rows, key=lambda r: (r["node"], r["seed"])):
        print(f"{r['node']:<{width}}  {r['sim']:<9}  {r['seed']:>4}  {r['result']:<6}  {r['time']:>7.1f}s")


COV_LINE = re.compile(r"^(\s*)(\S+) : .*coverage=(\d+), size=(\d+)")


def snapshot_coverage(seed: int, since: float, src: Path = BUILD / "coverage", dst: Path = COV_RUNS) -> list[Path]:
    """Copy the coverage reports written by seed's session (modified at or after `since`) from
    src/<sim>/ to dst/seed-<seed>/<sim>/; returns the copies."""
    out = []
    for f in sorted(src.glob("*/*")) if src.is_dir() else []:
        if f.suffix in (".xml", ".txt") and not f.name.startswith("merged") and f.stat().st_mtime >= since:
            to = dst / f"seed-{seed}" / f.parent.name / f.name
            to.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, to)
            out.append(to)
    return out


def seed_dirs(root: Path | None = None) -> list[Path]:
    root = COV_RUNS if root is None else root
    return sorted(root.glob("seed-*")) if root.is_dir() else []


def coverage_summary() -> None:
    """Aggregate the coverage reports of this regression (COV_RUNS, every seed): for cocotb-coverage
    text reports, the covered/size of every item down to two levels; other .txt files in full (60
    lines); .xml files whose .txt twin was not summarised, with their root attributes."""
    files = sorted(p for d in seed_dirs() for p in d.rglob("*") if p.suffix in (".txt", ".xml"))
    if not files:
        print(f"\ncoverage: no reports in {rel(COV_RUNS)}/")
        return
    print(f"\ncoverage ({rel(COV_RUNS)}/, {len(files)} files):")
    summarised = set()
    for f in files:
        name = rel(f)
        if f.suffix == ".txt":
            lines = f.read_text(errors="replace").splitlines()
            items = [m for m in map(COV_LINE.match, lines) if m and len(m.group(1)) <= 3]
            if items:
                summarised.add(f.with_suffix(""))
                parts = [f"{m.group(2)} {m.group(3)}/{m.group(4)}"
                         f" ({100 * int(m.group(3)) / max(1, int(m.group(4))):.0f}%)" for m in items]
                print(f"  {name}: " + "; ".join(parts))
            else:
                print(f"--- {name}")
                print("\n".join(lines[:60]) + (f"\n... ({len(lines) - 60} more lines)" if len(lines) > 60 else ""))
        elif f.with_suffix("") not in summarised:
            try:
                root = ET.parse(f).getroot()
                attrs = " ".join(f"{k}={v}" for k, v in root.attrib.items()
                                 if any(s in k for s in ("rate", "cover", "valid", "total", "hits", "size")))
                print(f"  {name}: <{root.tag}> {attrs}")
            except ET.ParseError as e:
                print(f"  {name}: unreadable ({e})")
    merged_summary(files)


def merged_summary(files: list[Path]) -> None:
    """Merge the cocotb-coverage XML reports of each simulator (reports of the same model, i.e. the
    same number of bins, merge together) and print the merged coverage per group of points."""
    import logging

    from cocotb_coverage.coverage import merge_coverage

    groups: dict[tuple[str, str], list[Path]] = {}
    for f in files:
        if f.suffix != ".xml":
            continue
        try:
            size = ET.parse(f).getroot().get("size", "?")
        except ET.ParseError:
            continue
        groups.setdefault((f.parent.name, size), []).append(f)
    quiet = logging.getLogger("coverage-merge").info
    print("\ncoverage merged over tests and seeds (per simulator and model):")
    for (sim, size), group in sorted(groups.items()):
        out = COV_RUNS / f"merged-{sim}-{size}.xml"
        merge_coverage(quiet, str(out), *map(str, group))
        top = ET.parse(out).getroot()
        items = [top] + [child for node in top for child in node]
        parts = [f"{e.tag} {e.get('coverage')}/{e.get('size')} ({float(e.get('cover_percentage', 0)):.0f}%)"
                 for e in items if e.get("size")]
        print(f"  {sim}, {len(group)} tests, {size} bins -> {rel(out)}: " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default=os.environ.get("SEEDS") or "1,2,3",
                   help="seeds: 1,2,3 or 1-200 or 1,5,9-12, or a count N <= 20 for 1..N (default 1,2,3; env SEEDS)")
    p.add_argument("--sims", default=os.environ.get("SIMS") or ",".join(SIMS), help="simulators (default both)")
    p.add_argument("-n", "--jobs", type=int, default=int(os.environ.get("JOBS") or 2),
                   help="workers: local job threads, LocalCluster processes, or pytest-xdist workers")
    p.add_argument("-k", dest="k", default=os.environ.get("K") or None, help="pytest -k filter")
    p.add_argument("--engine", choices=("local", "dask", "xdist"), default=os.environ.get("ENGINE") or "local",
                   help="local: jobs on this host's workers; dask: jobs on a Dask cluster; xdist: one pytest-xdist "
                        "session per seed (env ENGINE)")
    p.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None,
                   help="dask: a running scheduler's address (tcp://host:8786); without it a LocalCluster of -n workers")
    p.add_argument("--cluster-config", type=Path, default=os.environ.get("CLUSTER") or None,
                   help="dask: a dask-jobqueue cluster config (YAML; docs/regression.md)")
    p.add_argument("--tree", choices=("shared", "packed"), default=os.environ.get("TREE") or "shared",
                   help="how workers get the tree: this checkout, or a git archive of HEAD unpacked per host")
    p.add_argument("--retries", type=int, default=RETRIES, help="dask: re-runs of a job whose worker was lost")
    p.add_argument("--shard", default=os.environ.get("SHARD") or None, help="k/N: run the k-th of N duration-balanced shares")
    p.add_argument("--no-update-durations", dest="update_durations", action="store_false",
                   help=f"do not record the measured durations in {rel(DURATIONS)}")
    p.add_argument("--merge", nargs="*", type=Path, default=None, metavar="RESULTS",
                   help=f"merge result files (default {rel(RESULTS_DIR)}/*.jsonl) into the report; run nothing")
    p.add_argument("--soak-slices", type=int, default=int(os.environ.get("SOAK_SLICES") or 1),
                   help="split each seed's PromptSoak run into this many jobs of 1/N the prompts, each with its own seed "
                        "(env SOAK_SLICES)")
    p.add_argument("--plan", action="store_true",
                   help="print the job plan and the expected wall time for 1..64 workers (durations file); run nothing")
    p.add_argument("--codecov", action=argparse.BooleanOptionalAction, default=env_flag(os.environ.get("CODECOV")),
                   help="RTL code coverage: Verilator runs built with coverage, merged and judged against the "
                        "testplan's code_coverage_goals (scripts/codecov.py; shared tree, no shards; env CODECOV=1/0). "
                        "Default: on for the sign-off run (every test, shared tree, no shard, -k or --plan), off otherwise")
    p.add_argument("paths", nargs="*", default=["tests"])
    args = p.parse_args(argv)
    if args.codecov is None:
        args.codecov = sign_off_run(args)
    if args.codecov:
        if args.tree == "packed" or args.shard or args.merge is not None:
            p.error("--codecov needs TREE=shared and no shards or merge: every run writes its coverage file "
                    "into this checkout (build/codecov/verilator/)")
        start_code_coverage()

    if args.merge is not None:
        return merge_main(args.merge or sorted(RESULTS_DIR.glob("*.jsonl")), args.update_durations)
    try:
        seeds = parse_seeds(args.seeds)
        shard_k, shard_n = parse_shard(args.shard) if args.shard else (1, 1)
    except ValueError as exc:
        p.error(str(exc))
    sims = {s.strip() for s in args.sims.split(",") if s.strip()}
    if bad := sims - set(SIMS):
        p.error(f"unknown simulator(s) {sorted(bad)}")
    if args.engine == "xdist" and args.shard:
        p.error("--shard needs the job engines (local or dask)")
    nodes = collect(args.paths, args.k)
    rtl = [n for n in nodes if sim_of(n) in sims]
    other = [n for n in nodes if sim_of(n) is None]
    print(f"regression: {len(rtl)} simulator runs ({', '.join(sorted(sims))}) x seeds {seed_text(seeds)}, "
          f"{len(other)} other tests once (seed {seeds[0]})")
    if args.engine == "xdist":
        return with_code_coverage(args.codecov, xdist_main(seeds, rtl, other, sims, args.jobs))

    jobs = plan(rtl, other, seeds, session_env, load_durations(), REGRESSION_TIMEOUT_S,
                workers=args.jobs * (shard_n if args.shard else 1), soak_slices=args.soak_slices)
    every = [j.key for j in jobs]
    if args.plan:
        print(wall_table(jobs))
        return 0
    if args.shard:
        jobs = shard(jobs, shard_k, shard_n)
        print(f"regression: shard {shard_k}/{shard_n}: {len(jobs)} of {len(every)} jobs, "
              f"{sum(j.estimate_s for j in jobs) / 60:.0f} min expected")
    tree = Tree.packed(ROOT) if args.tree == "packed" else Tree.shared(ROOT)
    t0 = time.monotonic()
    results = run_engine(jobs, tree, args)
    wall = time.monotonic() - t0
    run = f"shard-{shard_k}-of-{shard_n}" if args.shard else "all"
    header = {"commit": git_commit(), "shard": shard_k, "shards": shard_n, "jobs": [j.key for j in jobs],
              "seeds": seeds, "sims": sorted(sims), "engine": args.engine, "wall_s": round(wall, 1)}
    stale_results(header)
    write_artifact(RESULTS_DIR / f"{run}.jsonl", results, header)
    print(f"regression: {len(jobs)} jobs in {wall:.0f} s on {args.engine}; results {rel(RESULTS_DIR / run)}.jsonl")
    return with_code_coverage(args.codecov, report(results, sims, args.update_durations, wall, judge_goals=not args.shard))


def sign_off_run(args: argparse.Namespace) -> bool:
    """The whole regression on this checkout (every test, shared tree, no shard, merge, -k or --plan):
    the run that measures code coverage and fails below the goals when CODECOV is not set."""
    return (args.tree == "shared" and not args.shard and args.merge is None and not args.k and not args.plan
            and args.paths == ["tests"])


def env_flag(value: str | None) -> bool | None:
    """CODECOV=1/yes/true: True, 0/no/false: False, unset or empty: None (the default decides)."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in ("1", "yes", "true"):
        return True
    if text in ("0", "no", "false"):
        return False
    raise SystemExit(f"regression: CODECOV={value!r}: 1/yes/true or 0/no/false")


def start_code_coverage() -> None:
    """CODECOV=1: every Verilator run of this regression builds with coverage (tb/runner.py's
    ROMFORMER_CODECOV, inherited by every job) and writes build/codecov/verilator/<run>-seed<s>.dat;
    files from earlier runs are removed so the merge sees this regression only."""
    from tb.runner import CODECOV_DIR, CODECOV_ENV

    shutil.rmtree(CODECOV_DIR / "verilator", ignore_errors=True)
    os.environ[CODECOV_ENV] = "1"


def with_code_coverage(enabled: bool, code: int) -> int:
    """The regression's exit status, and with CODECOV=1 scripts/codecov.py's: the per-block table, the
    uncovered items, and a failure below a code_coverage_goals goal (docs/coverage.md)."""
    if not enabled:
        return code
    print("\ncode coverage (scripts/codecov.py):", flush=True)
    cov = subprocess.run([PY, str(ROOT / "scripts" / "codecov.py")], cwd=ROOT).returncode
    return code or cov


def stale_results(header: dict) -> None:
    """Remove the result files an earlier run left that must not merge with this one: every file but
    the other shards' of the same commit and shard count (shards run one after the other here merge)."""
    for f in RESULTS_DIR.glob("*.jsonl"):
        try:
            with open(f) as fh:
                other = json.loads(fh.readline())["header"]
        except (OSError, ValueError, KeyError):
            other = {}
        keep = (header["shards"] > 1 and other.get("shards") == header["shards"] and other.get("shard") != header["shard"]
                and other.get("commit") == header["commit"])
        if not keep:
            f.unlink()


def run_engine(jobs: list, tree, args) -> list:
    if args.engine == "local":
        return list(run_local(jobs, tree, args.jobs))
    client = dask_client(args.scheduler, args.jobs, args.cluster_config)
    try:
        n = len(client.scheduler_info().get("workers", {}))
        print(f"regression: Dask scheduler {client.scheduler.address}, {n} workers now", flush=True)
        return list(run_dask(jobs, tree, client, retries=args.retries))
    finally:
        close_client(client)


def merge_main(files: list[Path], update_durations: bool) -> int:
    """`make regression-merge`: the report of result files from several shards or machines."""
    if not files:
        print(f"regression-merge: no result files in {rel(RESULTS_DIR)}/", file=sys.stderr)
        return 1
    try:
        headers, results = read_artifacts(files)
    except (OSError, ValueError) as exc:
        print(f"regression-merge: {exc}", file=sys.stderr)
        return 1
    problems = check_complete(headers, results)
    for msg in problems:
        print(f"regression-merge: {msg}", file=sys.stderr)
    sims = {s for h in headers for s in h.get("sims", SIMS)}
    print(f"regression-merge: {len(results)} job results from {len(files)} files "
          f"(commit {', '.join(sorted({str(h.get('commit')) for h in headers}))})")
    code = report(results, sims, update_durations, None)
    return 1 if problems else code


def report(results: list, sims: set[str], update_durations: bool, wall: float | None, judge_goals: bool = True) -> int:
    """The merged report of job results: JUnit XML, the table (or per-test pass rates when large),
    failures by check with reproduce commands, infrastructure errors, scoreboards, coverage and goals
    (a shard holds part of the reports: `make regression-merge` judges the goals over all shards)."""
    for old in (REPORTS / "regression").glob("seed-*.xml"):
        old.unlink()
    shutil.rmtree(COV_RUNS, ignore_errors=True)
    SCOREBOARDS.clear()
    m = merge_results(results, REPORTS / "regression", COV_RUNS, failure_text, check_of)
    SCOREBOARDS.extend(m.scoreboards)
    out = REPORTS / "regression.xml"
    rows = merge(m.seed_xml, out)
    seeds = sorted({r["seed"] for r in rows})
    if len(rows) <= TABLE_ROWS_MAX:
        table(rows)
    pass_rates(rows)
    n = {k: sum(r["result"] == k for r in rows) for k in ("PASS", "FAIL", "ERROR", "SKIP")}
    took = f" in {wall:.0f} s" if wall is not None else ""
    print(f"\nregression: {len(rows)} runs over {len(seeds)} seeds: {n['PASS']} passed, {n['FAIL']} failed, "
          f"{n['ERROR']} errors, {n['SKIP']} skipped{took}; JUnit XML {rel(out)}")
    print_failures([r for r in rows if r.get("check") != "infrastructure"])
    infra = [r for r in rows if r.get("check") == "infrastructure"]
    if infra:
        print(f"\ninfrastructure errors (no test answer; not test failures): {len(infra)} runs of "
              f"{len(m.infra)} jobs")
        for r in m.infra:
            print(f"  job {r.key} (seed {r.seed}, {len(r.nodes)} tests): {r.infra}")
    scoreboard_summary()
    coverage_summary()
    if judge_goals:
        goals_ok = coverage_goals(sims)
    else:
        goals_ok = True
        print("\ncoverage goals: judged by make regression-merge over every shard's reports")
    if update_durations and m.durations:
        update_durations_file(m.durations)
        print(f"\ndurations: {len(m.durations)} tests measured -> {rel(DURATIONS)}")
    bad_rows = [r for r in rows if r["result"] in ("FAIL", "ERROR")]
    return 0 if (not bad_rows and rows and goals_ok) else 1


TABLE_ROWS_MAX = 400


def pass_rates(rows: list[dict]) -> None:
    """Per test: runs, pass rate and the first failing seed -- readable at hundreds of seeds. Lists the
    tests that failed somewhere (all of them when every test passed would be the plain table)."""
    per: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        per.setdefault((r["node"], r["sim"]), []).append(r)
    bad = {k: v for k, v in per.items() if any(r["result"] in ("FAIL", "ERROR") for r in v)}
    seeds = {r["seed"] for r in rows}
    print(f"\nper test: {len(per)} tests, {len(per) - len(bad)} passed on every seed they ran "
          f"({len(seeds)} seeds)")
    if not bad:
        return
    width = max(len(k[0]) for k in bad)
    print(f"{'test':<{width}}  {'simulator':<9}  {'runs':>5}  {'pass':>6}  first failing seed (check)")
    for (node, sim), rs in sorted(bad.items(), key=lambda kv: (sum(r["result"] == "PASS" for r in kv[1]) / len(kv[1]), kv[0])):
        ran = [r for r in rs if r["result"] != "SKIP"]
        ok = sum(r["result"] == "PASS" for r in ran)
        first = min((r for r in ran if r["result"] in ("FAIL", "ERROR")), key=lambda r: r["seed"])
        print(f"{node:<{width}}  {sim:<9}  {len(ran):>5}  {100 * ok / max(1, len(ran)):>5.0f}%  "
              f"{first['seed']} ({first.get('check') or 'other'})")


def seed_text(seeds: list[int]) -> str:
    return str(seeds) if len(seeds) <= 10 else f"{seeds[0]}..{seeds[-1]} ({len(seeds)} seeds)"


def git_commit() -> str:
    p = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return p.stdout.strip() + ("-dirty" if dirty else "") if p.returncode == 0 else "unknown"


def xdist_main(seeds: list[int], rtl: list[str], other: list[str], sims: set[str], jobs: int) -> int:
    """ENGINE=xdist: one pytest-xdist session per seed (-n jobs) on this host."""
    t0 = time.monotonic()
    shutil.rmtree(COV_RUNS, ignore_errors=True)
    results, codes = [], []
    for i, seed in enumerate(seeds):
        todo = rtl + (other if i == 0 else [])
        if not todo:
            continue
        started = time.time()
        xml, code, _ = run_seed(seed, todo, jobs, [])
        count_prompts(seed, started)
        snapshot_coverage(seed, started)
        results.append((seed, xml))
        codes.append(code)
    out = REPORTS / "regression.xml"
    rows = merge(results, out)
    table(rows)
    bad_rows = [r for r in rows if r["result"] in ("FAIL", "ERROR")]
    n = {k: sum(r["result"] == k for r in rows) for k in ("PASS", "FAIL", "ERROR", "SKIP")}
    print(f"\nregression: {len(rows)} runs: {n['PASS']} passed, {n['FAIL']} failed, {n['ERROR']} errors, "
          f"{n['SKIP']} skipped in {time.monotonic() - t0:.0f} s; JUnit XML {rel(out)}")
    print_failures(rows)
    scoreboard_summary()
    coverage_summary()
    goals_ok = coverage_goals(sims)
    ok = not bad_rows and all(c in (0, 5) for c in codes) and rows and goals_ok
    return 0 if ok else 1


SCOREBOARDS: list[dict] = []      # one per pyuvm run: test, sim, seed, prompts, beats, mismatches


def count_prompts(seed: int, since: float) -> None:
    """Add up the scoreboard summaries the pyuvm runs of one seed wrote (build/results/<sim>/scoreboard/)."""
    for f in sorted((BUILD / "results").glob("*/scoreboard/*.json")):
        if f.stat().st_mtime >= since:
            r = json.loads(f.read_text())
            SCOREBOARDS.append({**r, "sim": f.parent.parent.name, "seed": seed})


def scoreboard_summary() -> None:
    """Scoreboard totals of the pyuvm runs, the soak (PromptSoak) per simulator, and every run that
    counted mismatches (the fault-injection tests must; any other such run failed)."""
    total = {k: sum(int(r[k]) for r in SCOREBOARDS) for k in ("prompts", "beats", "mismatches")}
    print(f"\nscoreboards: {total['prompts']} prompts, {total['beats']} output beats matched bit-exactly, "
          f"{total['mismatches']} mismatches (pyuvm runs, all seeds and simulators)")
    for sim in sorted({r["sim"] for r in SCOREBOARDS}):
        soak = [r for r in SCOREBOARDS if r["sim"] == sim and r["test"] == "PromptSoak"]
        if soak:
            print(f"  PromptSoak, {sim}: {sum(r['prompts'] for r in soak)} prompts, {sum(r['beats'] for r in soak)} "
                  f"beats, {sum(r['mismatches'] for r in soak)} mismatches over seeds "
                  f"{', '.join(str(r['seed']) for r in soak)}")
    for r in SCOREBOARDS:
        if r["mismatches"]:
            print(f"  {r['test']} ({r['sim']}, seed {r['seed']}): {r['mismatches']} mismatches (expected only in "
                  f"fault-injection tests)")


def coverage_goals(sims: set[str]) -> bool:
    """docs/testplan.hjson's coverage goals per simulator (tb/coverage_goals.py); lists the holes."""
    sys.path.insert(0, str(ROOT))
    from tb.coverage_goals import evaluate, goals, report_files, summary

    ok = True
    dirs = seed_dirs()
    for sim in sorted(sims):
        files = [f for d in dirs for f in report_files(sim, root=d)]
        res = evaluate(files)
        good = bool(files) and all(r.ok for r in res)
        ok &= good
        print(f"\ncoverage goals ({'met' if good else 'NOT MET'}), {sim}, merged over {len(files)} reports of "
              f"model {goals()['model']} ({', '.join(d.name for d in dirs) or 'no seeds'}):\n{summary(res)}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
