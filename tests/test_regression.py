"""scripts/regression.py: its coverage bookkeeping (every pyuvm test overwrites
build/coverage/<sim>/<test>.xml, so the regression keeps the reports of each seed and judges the
goals on all seeds merged, never on reports an earlier session left behind), its reproduce commands
(the session's environment, seed and timeout; one is replayed as printed) and its failures counted
by the check that fired (crafted JUnit XML)."""
from __future__ import annotations

import os
from pathlib import Path

import scripts.regression as regression_cli
from tb.coverage_goals import evaluate, report_files

ROOT = Path(__file__).resolve().parents[1]
POINT = "romformer.output.tlast"


def regression():
    """scripts/regression.py, the CLI module under test."""
    return regression_cli


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


# ------------------------------------------------------------------ reproduce commands
def test_reproduce_command_carries_the_session_environment_and_timeout() -> None:
    import shlex

    from tb.knobs import KNOBS

    reg = regression()
    node = "tests/test_uvm.py::test_uvm[verilator-PromptSoak]"
    words = shlex.split(reg.reproduce(node, 3))
    assigns = dict(w.split("=", 1) for w in words[:words.index("make")])
    assert assigns == reg.session_env(3) and assigns["COCOTB_RANDOM_SEED"] == "3"
    assert set(assigns) <= set(KNOBS), "every variable the regression sets is a knob the session header prints"
    assert words[words.index("make"):words.index("make") + 2] == ["make", "test"]
    pytest_args = shlex.split(words[-1].removeprefix("PYTEST_ARGS="))
    assert pytest_args == ["-p", "no:xdist", "-o", f"timeout={reg.REGRESSION_TIMEOUT_S}", node]


def test_printed_reproduce_command_replays_the_run() -> None:
    """The command the regression prints for a failure, run as printed (bash, in the project): the
    test runs (not deselected or skipped) with the regression's knobs and timeout, none inherited."""
    import subprocess

    from tb.knobs import KNOBS

    reg = regression()
    node = "tests/test_coverage_goals.py::test_every_point_covered_passes"
    drop = set(KNOBS) | {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                         "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    r = subprocess.run(["bash", "-c", reg.reproduce(node, 5)], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "1 passed" in out and "deselected" not in out and "skipped" not in out, out[-3000:]
    assert f"timeout: {float(reg.REGRESSION_TIMEOUT_S)}s" in out
    header = next(line for line in out.splitlines() if line.startswith("knobs: "))
    assert header == "knobs: " + " ".join(f"{k}={v}" for k, v in reg.session_env(5).items())


# ------------------------------------------------------------------ failures by check
COCOTB_XML = """<?xml version='1.0' encoding='utf-8'?>
<testsuites><testsuite name="cocotb" tests="2">
<testcase name="Smoke" classname="tb.uvm.test_romformer" time="1.0"><properties/></testcase>
<testcase name="RandomPrompts" classname="tb.uvm.test_romformer" time="2.0">
<failure message="scoreboard [token]: beat 3 (prompt 0, position 4): expected token 0x0012, got 0x0013"
 type="AssertionError">Traceback ...
AssertionError: scoreboard [token]: beat 3</failure></testcase>
</testsuite></testsuites>
"""


def case(name: str, body: str = "", cls: str = "tests.test_rtl_top") -> str:
    return f'<testcase classname="{cls}" name="{name}" time="1.5">{body}</testcase>'


def failure(message: str, text: str = "") -> str:
    from xml.sax.saxutils import escape, quoteattr

    return f"<failure message={quoteattr(message)}>{escape(text)}</failure>"


def crafted_seed(tmp_path: Path) -> Path:
    cocotb_xml = tmp_path / "reports" / "verilator" / "uvm-gqa.xml"
    cocotb_xml.parent.mkdir(parents=True)
    cocotb_xml.write_text(COCOTB_XML)
    cases = [
        case("test_ok[icarus]"),
        case("test_skipped[icarus]", '<skipped message="LORA_FULL=1 runs this case on Verilator too"/>'),
        case("test_uvm_suite[gqa-verilator]", failure(
            f"AssertionError: {cocotb_xml}: 1 of 2 cocotb tests failed (see the log above)",
            f"def check_results(xml)\nE   AssertionError: {cocotb_xml}: 1 of 2 cocotb tests failed (see the log above)"),
            cls="tests.test_uvm"),
        case("test_protocol[icarus]", failure("AssertionError: 2 protocol violations, first: PROTOCOL "
                                              "axis.valid_dropped on m_axis at 1230.0 ns: VALID fell before READY")),
        case("test_x[verilator]", failure("AssertionError: 1 protocol violations, first: PROTOCOL axil.payload_x on "
                                          "s_axil.r at 450.0 ns: RDATA (s_axil_rdata) is X/Z at the handshake")),
        case("test_hang[icarus]", failure("Failed: Timeout (>2400.0s) from pytest-timeout.")),
        case("test_silent[verilator]", failure("AssertionError: timeout after 52000 ns waiting for token 3 "
                                               "(output beat 3): the core is silent; 3 beats seen")),
        case("test_uvm_suite[gqa-icarus]", failure(
            "AssertionError: coverage below the CI floor on verilator:\n  HOLE romformer.output.tlast"), cls="tests.test_uvm"),
        case("test_build[verilator]", failure(
            "tb.runner.BuildError: verilator build of build/sim_build/verilator/x failed (build.log)")),
        case("test_golden", failure("assert 3 == 4", "E   AssertionError: assert 3 == 4"), cls="tests.test_golden_model"),
        case("test_crash", failure("KeyError: 'dim'", "E   KeyError: 'dim'"), cls="tests.test_checkpoint"),
    ]
    xml = tmp_path / "seed-4.xml"
    xml.write_text(f"<?xml version='1.0' encoding='utf-8'?><testsuites><testsuite name='pytest'>{''.join(cases)}"
                   f"</testsuite></testsuites>\n")
    return xml


def test_failures_are_bucketed_by_the_check_that_fired(tmp_path: Path, capsys) -> None:
    reg = regression()
    xml = crafted_seed(tmp_path)
    reg.annotate_failures(xml)
    rows = reg.merge([(4, xml)], tmp_path / "regression.xml")
    by_node = {r["node"].split("::")[-1]: r["check"] for r in rows if r["result"] == "FAIL"}
    assert by_node == {
        "test_uvm_suite[gqa-verilator]": "scoreboard mismatch",     # read from the cocotb results it names
        "test_protocol[icarus]": "protocol checker",
        "test_x[verilator]": "X/Z value",
        "test_hang[icarus]": "timeout",
        "test_silent[verilator]": "timeout",
        "test_uvm_suite[gqa-icarus]": "coverage goal",
        "test_build[verilator]": "build error",
        "test_golden": "assertion",
        "test_crash": "exception",
    }
    assert {r["result"] for r in rows if r["node"].endswith(("test_ok[icarus]", "test_skipped[icarus]"))} == {"PASS", "SKIP"}
    merged = (tmp_path / "regression.xml").read_text()
    assert 'name="check" value="scoreboard mismatch"' in merged and "cocotb RandomPrompts: scoreboard [token]" in merged
    reg.print_failures(rows)
    out = capsys.readouterr().out
    assert "failures by check: timeout 2, X/Z value 1, assertion 1, build error 1, coverage goal 1," in out
    assert "  scoreboard mismatch:\n    tests/test_uvm.py::test_uvm_suite[gqa-verilator] (seed 4, FAIL)" in out
    assert reg.reproduce("tests/test_uvm.py::test_uvm_suite[gqa-verilator]", 4) in out


def test_a_session_without_junit_report_is_a_failure(tmp_path: Path) -> None:
    rows = regression().merge([(2, tmp_path / "missing.xml")], tmp_path / "regression.xml")
    assert [(r["result"], r["check"]) for r in rows] == [("ERROR", "no JUnit report (session crashed)")]
