"""scripts/regression.py's coverage bookkeeping: every pyuvm test overwrites
build/coverage/<sim>/<test>.xml, so the regression keeps the reports of each seed and judges the
goals on all seeds merged, never on reports an earlier session left behind."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from tb.coverage_goals import evaluate, report_files

ROOT = Path(__file__).resolve().parents[1]
POINT = "romformer.output.tlast"


def regression():
    spec = importlib.util.spec_from_file_location("regression", ROOT / "scripts" / "regression.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_report(path: Path, hits: dict[str, int]) -> None:
    """A cocotb-coverage XML export with one cover point (tb/uvm/coverage.py's layout)."""
    bins = "".join(f'<bin{i} bin="{b}" hits="{h}" abs_name="top.{POINT}.bin{i}" />' for i, (b, h) in enumerate(hits.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<top abs_name="top" size="{len(hits)}"><tlast abs_name="top.{POINT}" size="{len(hits)}">'
                    f"{bins}</tlast></top>\n")


def tlast_holes(files: list[Path]) -> list[str]:
    return next(r for r in evaluate(files) if r.point == POINT).holes


def test_coverage_is_merged_over_seeds_and_ignores_stale_reports(tmp_path: Path) -> None:
    reg = regression()
    src, runs = tmp_path / "coverage", tmp_path / "runs"
    # A report from before the regression (e.g. make test) that covers every bin: it must not count.
    write_report(src / "verilator" / "Counters.xml", {"0": 5, "1": 5})
    old = os.stat(src / "verilator" / "Counters.xml").st_mtime - 100
    os.utime(src / "verilator" / "Counters.xml", (old, old))
    since = old + 50
    # Seed 1 covers TLAST=0 only; seed 2 rewrites the same test's report with TLAST=1 only.
    write_report(src / "verilator" / "Smoke.xml", {"0": 3, "1": 0})
    copied1 = reg.snapshot_coverage(1, since, src, runs)
    write_report(src / "verilator" / "Smoke.xml", {"0": 0, "1": 2})
    copied2 = reg.snapshot_coverage(2, since, src, runs)

    assert [p.relative_to(runs).as_posix() for p in copied1 + copied2] == \
        ["seed-1/verilator/Smoke.xml", "seed-2/verilator/Smoke.xml"]
    # What the last seed left in build/coverage/ alone has a hole ...
    assert tlast_holes([src / "verilator" / "Smoke.xml"]) == ["0"]
    # ... the regression's reports, all seeds merged, have none.
    files = [f for d in reg.seed_dirs(runs) for f in report_files("verilator", ["Smoke", "Counters"], root=d)]
    assert [f.relative_to(runs).as_posix() for f in files] == ["seed-1/verilator/Smoke.xml", "seed-2/verilator/Smoke.xml"]
    assert tlast_holes(files) == []


def test_no_reports_of_this_regression_is_a_hole(tmp_path: Path) -> None:
    """Only stale reports present: nothing is copied and the goals see no report."""
    reg = regression()
    src = tmp_path / "coverage"
    write_report(src / "icarus" / "Smoke.xml", {"0": 1, "1": 1})
    since = os.stat(src / "icarus" / "Smoke.xml").st_mtime + 1
    assert reg.snapshot_coverage(1, since, src, tmp_path / "runs") == []
    files = [f for d in reg.seed_dirs(tmp_path / "runs") for f in report_files("icarus", ["Smoke"], root=d)]
    assert files == [] and tlast_holes(files) == ["<no report>"]
