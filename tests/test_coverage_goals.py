"""tb/coverage_goals.py's gate fails on what it cannot judge: no reports, a planned cover point
missing from the reports, a point whose bins are all excluded or empty, an exclusion of a bin the
point does not have; a cross with a hole fails. Crafted reports in the layout tb/uvm/coverage.py
exports."""
from __future__ import annotations

from pathlib import Path

import pytest

from tb.coverage_goals import evaluate, goals, main, planned_goals, report_files, require_reports, summary

POINTS = list(planned_goals())
EXCLUDED = {(e["point"], e["bin"]) for e in goals()["exclude"]}


def write_report(path: Path, points: dict[str, dict[str, int]]) -> Path:
    """A cocotb-coverage XML export: point name -> bin label -> hits."""
    body = ""
    for point, bins in points.items():
        leaf = point.rsplit(".", 1)[-1]
        body += f'<{leaf} abs_name="top.{point}" size="{len(bins)}">'
        body += "".join(f'<bin{i} bin="{b}" hits="{h}" abs_name="top.{point}.bin{i}" />'
                        for i, (b, h) in enumerate(bins.items()))
        body += f"</{leaf}>"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<top abs_name="top">{body}</top>\n')
    return path


def full_report(path: Path, skip: str | None = None, points: list[str] | None = None) -> Path:
    """Every bin hit; the plan's excluded bins present and never hit (as the model reports them)."""
    return write_report(path, {p: {"a": 1, "b": 2, **{b: 0 for q, b in EXCLUDED if q == p}}
                               for p in (POINTS if points is None else points) if p != skip})


def test_every_point_covered_passes(tmp_path: Path) -> None:
    res = evaluate([full_report(tmp_path / "Smoke.xml")])
    assert [r.point for r in res] == POINTS and all(r.ok for r in res), summary(res)


def test_no_reports_fails_every_point() -> None:
    res = evaluate([])
    assert res and not any(r.ok for r in res), summary(res)
    assert all(r.holes == ["<no report>"] for r in res)


def test_point_absent_from_reports_fails(tmp_path: Path) -> None:
    res = {r.point: r for r in evaluate([full_report(tmp_path / "Smoke.xml", skip=POINTS[0])])}
    assert not res[POINTS[0]].ok and res[POINTS[0]].holes == ["<no report>"]
    assert all(r.ok for p, r in res.items() if p != POINTS[0])


def test_point_with_no_kept_bins_fails(tmp_path: Path) -> None:
    report = write_report(tmp_path / "Smoke.xml", {p: ({} if p == POINTS[1] else {"a": 1}) for p in POINTS})
    res = {r.point: r for r in evaluate([report])}
    assert res[POINTS[1]].kept == 0 and res[POINTS[1]].percent == 0.0 and not res[POINTS[1]].ok


def test_floor_does_not_excuse_a_missing_point(tmp_path: Path) -> None:
    res = evaluate([full_report(tmp_path / "Smoke.xml", skip=POINTS[-1])], floor=0.0)
    assert [r.point for r in res if not r.ok] == [POINTS[-1]]


def test_require_reports_names_the_missing_files(tmp_path: Path) -> None:
    full_report(tmp_path / "verilator" / "Smoke.xml")
    with pytest.raises(AssertionError, match=r"Counters\.xml"):
        require_reports("verilator", ["Smoke", "Counters"], root=tmp_path)
    assert require_reports("verilator", ["Smoke"], root=tmp_path) == [tmp_path / "verilator" / "Smoke.xml"]


def test_cli_fails_without_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import tb.coverage_goals as cg

    monkeypatch.setattr(cg, "COVERAGE", tmp_path)
    assert main(["--sim", "verilator", "--floor"]) == 1
    assert "<no report>" in capsys.readouterr().out


def test_require_reports_rejects_a_stale_report(tmp_path: Path) -> None:
    import os

    report = full_report(tmp_path / "verilator" / "Smoke.xml")
    os.utime(report, (1000.0, 1000.0))
    with pytest.raises(AssertionError, match=r"stale .*Smoke\.xml"):
        require_reports("verilator", ["Smoke"], root=tmp_path, since=2000.0)
    assert require_reports("verilator", ["Smoke"], root=tmp_path, since=500.0) == [report]


CROSS = "romformer.cross.error_state"


def test_a_cross_with_a_hole_fails(tmp_path: Path) -> None:
    """A cross is a point like the others: one tuple bin never hit fails it; its excluded bins never count."""
    assert any(p == CROSS for p, _ in EXCLUDED), "the plan excludes unreachable bins of the error x state cross"
    report = full_report(tmp_path / "Smoke.xml")
    res = {r.point: r for r in evaluate([report])}
    assert res[CROSS].ok and all(b not in res[CROSS].holes for _, b in EXCLUDED)
    hole = write_report(tmp_path / "Hole.xml", {p: ({"('TOKEN_RANGE', 'idle')": 0, "('RESET', 'prompt')": 1}
                                                    if p == CROSS else {"a": 1}) for p in POINTS})
    res = {r.point: r for r in evaluate([hole])}
    assert not res[CROSS].ok and res[CROSS].holes == ["('TOKEN_RANGE', 'idle')"], summary(list(res.values()))


def test_a_stale_exclusion_fails_its_point(tmp_path: Path) -> None:
    """An exclusion naming a bin the reports of its point do not have (renamed, or a typo) fails the point:
    it would otherwise keep a hole out of sight."""
    report = write_report(tmp_path / "Smoke.xml", {p: {"a": 1} for p in POINTS})   # no excluded bin reported
    res = {r.point: r for r in evaluate([report])}
    stale = {p for p, _ in EXCLUDED}
    assert stale and all(not res[p].ok and res[p].stale for p in stale), summary(list(res.values()))
    assert all(r.ok for p, r in res.items() if p not in stale)
    assert "stale exclusions" in summary([res[next(iter(stale))]])


def test_bench_points_merge_bench_reports_and_stay_out_of_the_floor(tmp_path: Path) -> None:
    """bench_points (closed by other benches, e.g. the LoRA top level per weight format) are judged on the
    suite's and the benches' reports merged; make test's floor (bench=False) leaves them out."""
    bench = goals()["bench_points"]
    assert bench, "the plan has bench points"
    suite = [p for p in POINTS if p not in bench]
    uvm = full_report(tmp_path / "verilator" / "Smoke.xml", points=suite)
    assert all(r.ok for r in evaluate([uvm], floor=75.0, bench=False))
    assert not all(r.ok for r in evaluate([uvm])), "a bench point without its bench reports must fail"
    point = next(iter(bench))
    name = bench[point]["reports"][0].replace("*", "case")
    other = full_report(tmp_path / "verilator" / f"{name}.xml", points=[point])
    files = report_files("verilator", root=tmp_path)
    assert other in files
    assert all(r.ok for r in evaluate([uvm, other]))
