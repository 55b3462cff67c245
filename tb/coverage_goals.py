"""Coverage closure against docs/testplan.hjson's `coverage_goals`.

The pyuvm tests export cocotb-coverage XML per test (build/coverage/<sim>/<test>.xml). This
module merges the reports of one model (same bins) by summing each bin's hits, drops the bins the
plan excludes (each with a reason), and compares every cover point with its goal. `bench_points`
are closed by other benches as well (their reports, named by globs, merge with the suite's); an
exclusion that names a bin no report of its point has is stale and fails that point:

    python -m tb.coverage_goals [--sim verilator] [--floor]     # exit 1 below goal, lists the holes

`make regression` enforces the goals per simulator; `make test` enforces `ci_floor` (tests/test_uvm.py).
"""
from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import hjson

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "docs" / "testplan.hjson"
COVERAGE = ROOT / "build" / "coverage"


def goals() -> dict:
    return hjson.loads(PLAN.read_text())["coverage_goals"]


def planned_goals(bench: bool = True) -> dict[str, float]:
    """Cover point -> goal: the pyuvm suite's `points`, and with `bench` the `bench_points`."""
    g = goals()
    return {**g["points"], **({p: b["goal"] for p, b in g.get("bench_points", {}).items()} if bench else {})}


def bins_of(xml: Path) -> dict[str, dict[str, int]]:
    """cover point ("romformer.stream.prompt_len") -> bin label -> hits."""
    points: dict[str, dict[str, int]] = {}
    for el in ET.parse(xml).getroot().iter():
        if el.get("bin") is None:
            continue
        point = el.get("abs_name", "").removeprefix("top.").rsplit(".", 1)[0]
        points.setdefault(point, {})[el.get("bin")] = int(el.get("hits", 0))
    return points


def merge(files: list[Path]) -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = {}
    for f in files:
        for point, bins in bins_of(f).items():
            m = merged.setdefault(point, {})
            for label, hits in bins.items():
                m[label] = m.get(label, 0) + hits
    return merged


@dataclass
class Result:
    point: str
    covered: int
    kept: int
    goal: float
    holes: list[str]
    stale: list[str] = field(default_factory=list)    # excluded bins the point does not have

    @property
    def percent(self) -> float:
        """Covered share of the kept bins; 0 when there are none (nothing measured is not covered)."""
        return 100.0 * self.covered / self.kept if self.kept else 0.0

    @property
    def ok(self) -> bool:
        """At or above the goal, with at least one kept bin and no stale exclusion: a point absent from
        every report, or whose bins are all excluded, fails (the gate never passes on what it did not see)."""
        return self.kept > 0 and self.percent >= self.goal and not self.stale


def evaluate(files: list[Path], floor: float | None = None, bench: bool = True) -> list[Result]:
    """Each planned cover point (with `bench`, the bench_points too) against its goal (or against `floor`
    for all of them). No files, or a point no file reports, gives that point the hole "<no report>" and
    fails it; an exclusion naming a bin the reports of its point do not have gives the hole
    "<stale exclusion: bin>" and fails it."""
    g = goals()
    excluded = {(e["point"], e["bin"]) for e in g.get("exclude", [])}
    merged = merge(files)
    out = []
    for point, goal in planned_goals(bench).items():
        bins = merged.get(point, {})
        kept = {b: h for b, h in bins.items() if (point, b) not in excluded}
        holes = [b for b, h in kept.items() if h == 0]
        stale = [b for p, b in sorted(excluded) if p == point and bins and b not in bins]
        out.append(Result(point, len(kept) - len(holes), len(kept), float(goal if floor is None else floor),
                          holes if bins else ["<no report>"], stale))
    return out


def plan_tests() -> list[str]:
    """The pyuvm tests of the plan's model (tests/test_uvm.py's UVM_TESTS)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_uvm import UVM_TESTS
    return [t for t, m in UVM_TESTS.items() if m == goals()["model"]]


def bench_reports(sim: str, root: Path | None = None) -> list[Path]:
    """The reports of the benches that close bench_points (their `reports` globs) under root/<sim>/."""
    root = COVERAGE if root is None else root
    globs = {g for b in goals().get("bench_points", {}).values() for g in b["reports"]}
    return sorted({p for g in globs for p in (root / sim).glob(f"{g}.xml")})


def report_files(sim: str, tests: list[str] | None = None, root: Path | None = None) -> list[Path]:
    """The coverage reports that exist of `tests` under root/<sim>/ (build/coverage/ by default; make
    regression keeps one copy per seed); by default the plan's model's tests and the bench reports."""
    root = COVERAGE if root is None else root
    own = [p for t in (plan_tests() if tests is None else tests) if (p := root / sim / f"{t}.xml").exists()]
    return own + (bench_reports(sim, root) if tests is None else [])


def require_reports(sim: str, tests: list[str], root: Path | None = None, since: float | None = None) -> list[Path]:
    """The report of every one of `tests`; AssertionError naming each one missing, or older than
    `since` (a time.time(): a report an earlier run left behind). A test that ran but wrote no
    coverage must not pass the gate on the other tests' bins."""
    root = COVERAGE if root is None else root
    files = [root / sim / f"{t}.xml" for t in tests]
    missing = [str(f) for f in files if not f.exists()]
    stale = [str(f) for f in files if f.exists() and since is not None and f.stat().st_mtime < since]
    assert not (missing or stale), (f"coverage on {sim}: {len(missing) + len(stale)} of {len(tests)} reports not written "
                                    f"by this run" + (f"; missing: {', '.join(missing)}" if missing else "")
                                    + (f"; stale (older than the run): {', '.join(stale)}" if stale else ""))
    return files


def summary(results: list[Result]) -> str:
    lines = []
    for r in results:
        flag = "ok  " if r.ok else "HOLE"
        lines.append(f"  {flag} {r.point:<34} {r.covered:>3}/{r.kept:<3} {r.percent:5.1f}% (goal {r.goal:.0f}%)"
                     + (f" holes: {', '.join(r.holes[:12])}{' ...' if len(r.holes) > 12 else ''}" if r.holes else "")
                     + (f" stale exclusions (no such bin): {', '.join(r.stale)}" if r.stale else ""))
    covered, kept = sum(r.covered for r in results), sum(r.kept for r in results)
    lines.append(f"  total {covered}/{kept} kept bins ({100 * covered / max(1, kept):.1f}%)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sim", action="append", help="simulator(s) (default: both)")
    p.add_argument("--floor", action="store_true", help="use the plan's ci_floor instead of the goals (on the "
                                                        "pyuvm suite's points; bench_points are judged by the goals)")
    args = p.parse_args(argv)
    ok = True
    for sim in args.sim or ["icarus", "verilator"]:
        files = report_files(sim)
        res = evaluate(files, goals()["ci_floor"] if args.floor else None, bench=not args.floor)
        print(f"coverage goals, {sim}, {len(files)} reports of model {goals()['model']}:\n{summary(res)}")
        ok &= bool(files) and all(r.ok for r in res)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
