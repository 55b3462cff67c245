"""tb/coverage_goals.py's gate fails on what it cannot judge: no reports, a planned cover point
missing from the reports, a point whose bins are all excluded or empty. Crafted reports in the
layout tb/uvm/coverage.py exports."""
from __future__ import annotations

from pathlib import Path

import pytest

from tb.coverage_goals import evaluate, goals, main, require_reports, summary

POINTS = list(goals()["points"])


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


def full_report(path: Path, skip: str | None = None) -> Path:
    return write_report(path, {p: {"a": 1, "b": 2} for p in POINTS if p != skip})


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
