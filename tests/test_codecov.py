"""scripts/codecov.py on crafted Verilator coverage files (merge, waivers, goals, lcov info, the reset
snapshot), the runner's ROMFORMER_CODECOV build (its arguments and directory, without building), and one
real coverage run under random initial values."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tb import runner
from tb.sim import run_top
from test_rtl_io import UNITS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import codecov  # noqa: E402


def key(file: str, line: int, kind: str, comment: str, hier: str = "TOP.u", span: str = "") -> str:
    fields = [("f", f"/x/hdl/{file}"), ("l", str(line)), ("n", "3"), ("t", kind), ("page", f"v_{kind}/mod"),
              ("o", comment)] + ([("S", span)] if span else []) + [("h", hier)]
    return "".join(f"\x01{k}\x02{v}" for k, v in fields)


def write_dat(path: Path, points: list[tuple[str, int]]) -> Path:
    path.write_text("# SystemC::Coverage-3\n" + "".join(f"C '{k}' {c}\n" for k, c in points))
    return path


@pytest.fixture
def hdl(tmp_path: Path) -> Path:
    d = tmp_path / "hdl"
    d.mkdir()
    for name in ("a.v", "b.v"):
        (d / name).write_text("module m; endmodule\n" * 20)
    return d


def plan(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "testplan.hjson"
    p.write_text("{\n  code_coverage_goals: {\n" + body + "\n  }\n}\n")
    return p


def runs(tmp_path: Path) -> list[Path]:
    """Two runs of a.v in different instances (one covers the else arm, the other the if arm) and b.v."""
    one = write_dat(tmp_path / "one.dat", [
        (key("a.v", 5, "line", "block", span="5-6"), 3),
        (key("a.v", 7, "branch", "if", hier="TOP.x"), 0),
        (key("a.v", 7, "branch", "else", hier="TOP.x"), 2),
        (key("a.v", 2, "toggle", "d[0]:0->1"), 1),
        (key("a.v", 2, "toggle", "d[0]:1->0"), 0),
        (key("b.v", 3, "toggle", "cfg[0]:0->1"), 0),
        (key("b.v", 3, "toggle", "cfg[0]:1->0"), 0),
        (key("b.v", 4, "line", "block"), 9),
    ])
    two = write_dat(tmp_path / "two.dat", [
        (key("a.v", 7, "branch", "if", hier="TOP.y"), 4),
        (key("a.v", 2, "toggle", "d[0]:1->0", hier="TOP.y"), 0),
        ("\x01f\x02/x/tb/tb_top.v\x01l\x021\x01page\x02v_line/tb\x01o\x02block", 0),   # not RTL: ignored
    ])
    return [one, two]


def test_merge_sums_over_runs_and_instances(tmp_path: Path) -> None:
    points = codecov.merge(runs(tmp_path))
    by = {(p.file, p.line, p.comment): c for p, c in points.items()}
    assert by[("a.v", 7, "if")] == 4 and by[("a.v", 7, "else")] == 2
    assert by[("a.v", 2, "d[0]:1->0")] == 0
    assert {p.file for p in points} == {"a.v", "b.v"}          # the testbench file is not RTL


def test_goals_fail_and_pass_per_block(tmp_path: Path, hdl: Path) -> None:
    points = codecov.merge(runs(tmp_path))
    goals = codecov.read_goals(plan(tmp_path, "default: { line: 98, toggle: 90 }"), hdl)
    results = {r.block: r for r in codecov.evaluate(points, goals, ["a.v", "b.v"])}
    assert results["a.v"].percent("line") == 100.0 and results["a.v"].percent("toggle") == 50.0
    assert results["a.v"].failures() == ["a.v: toggle 50.0% < 90%"]
    assert results["b.v"].failures() == ["b.v: toggle 0.0% < 90%"]
    lowered = codecov.read_goals(plan(tmp_path, 'default: { line: 98, toggle: 90 }\n'
                                            'blocks: { "a.v": { toggle: 50, reason: "d[0] is a test" } }'), hdl)
    assert codecov.evaluate(points, lowered, ["a.v"])[0].failures() == []


def test_block_no_run_reached_fails(tmp_path: Path, hdl: Path) -> None:
    goals = codecov.read_goals(plan(tmp_path, "default: { line: 98 }"), hdl)
    (result,) = codecov.evaluate({}, goals, ["a.v"])
    assert result.failures() == ["a.v: no coverage points (no run instantiated it)"]


def test_goal_override_needs_reason_and_known_block(tmp_path: Path, hdl: Path) -> None:
    with pytest.raises(codecov.CodecovError, match=r"blocks\.a\.v: an override needs a reason"):
        codecov.read_goals(plan(tmp_path, 'default: { line: 98 }\nblocks: { "a.v": { toggle: 50 } }'), hdl)
    with pytest.raises(codecov.CodecovError, match=r"blocks\.zz\.v: no such RTL file"):
        codecov.read_goals(plan(tmp_path, 'default: { line: 98 }\nblocks: { "zz.v": { toggle: 5, reason: "x" } }'), hdl)
    with pytest.raises(codecov.CodecovError, match=r"default\.lines: not one of"):
        codecov.read_goals(plan(tmp_path, "default: { lines: 98 }"), hdl)


def waivers(tmp_path: Path, text: str, hdl: Path) -> list[codecov.Waiver]:
    path = tmp_path / "waivers.txt"
    path.write_text("# comment\n\n" + text)
    return codecov.read_waivers(path, hdl)


def test_waiver_applied(tmp_path: Path, hdl: Path) -> None:
    points = codecov.merge(runs(tmp_path))
    w = waivers(tmp_path, "toggle b.v:3 cfg[* -- cfg is tied to a constant in every instance\n", hdl)
    kept, waived = codecov.apply_waivers(points, w)
    assert {p.comment for p in waived} == {"cfg[0]:0->1", "cfg[0]:1->0"}
    goals = codecov.read_goals(plan(tmp_path, "default: { line: 98, toggle: 90 }"), hdl)
    b = next(r for r in codecov.evaluate(kept, goals, ["b.v"]) if r.block == "b.v")
    assert b.percent("toggle") is None and b.failures() == []


def test_stale_waiver_fails(tmp_path: Path, hdl: Path) -> None:
    points = codecov.merge(runs(tmp_path))
    # a.v:5 is covered: waiving it hides nothing, so the waiver is stale
    w = waivers(tmp_path, "line a.v:5-6 -- the reset arm is unreachable here\n", hdl)
    with pytest.raises(codecov.CodecovError, match=r"stale waivers.*waivers\.txt:3 line a\.v"):
        codecov.apply_waivers(points, w)


def test_waiver_of_unmeasured_file_is_not_stale(tmp_path: Path, hdl: Path) -> None:
    points = {p: c for p, c in codecov.merge(runs(tmp_path)).items() if p.file == "a.v"}
    w = waivers(tmp_path, "toggle b.v:3 cfg[* -- cfg is tied to a constant in every instance\n", hdl)
    kept, waived = codecov.apply_waivers(points, w)
    assert kept == points and not waived


@pytest.mark.parametrize("text, message", [
    ("toggle a.v cfg*\n", "a waiver is `<kind>"),
    ("bits a.v -- a long enough reason\n", "kind 'bits' is not one of"),
    ("toggle nope.v -- a long enough reason\n", "'nope.v' is not a file in"),
    ("line a.v:9-3 -- a long enough reason\n", "line range 9-3 is empty"),
    ("line a.v:3 -- short\n", "the reason 'short' does not explain"),
])
def test_malformed_waiver_names_file_and_line(tmp_path: Path, hdl: Path, text: str, message: str) -> None:
    with pytest.raises(codecov.CodecovError, match=r"waivers\.txt:3: " + message.replace("(", r"\(")
                       .replace("[", r"\[").replace("`", "`")):
        waivers(tmp_path, text, hdl)


def test_info_and_report(tmp_path: Path, hdl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dats = tmp_path / "dats"
    dats.mkdir()
    for p in runs(tmp_path):
        p.rename(dats / p.name)
    goals = plan(tmp_path, "default: { line: 98, toggle: 90 }")
    args = ["--plan", str(goals), "--hdl", str(hdl), "--waivers", str(tmp_path / "none.txt"),
            "--out", str(tmp_path / "out"), "--no-html", str(dats)]
    assert codecov.main(args) == 1
    out = capsys.readouterr().out
    assert "hdl/a.v:2 toggle d: 1 transitions never seen: [0]1->0" in out
    assert "hdl/b.v:3 toggle cfg: 2 transitions never seen: [0]" in out
    assert "b.v: toggle 0.0% < 90%" in out
    info = (tmp_path / "out" / "coverage.info").read_text()
    a = info.split("end_of_record")[0]
    assert f"SF:{hdl / 'a.v'}" in a and "DA:5,3" in a and "DA:6,3" in a and "DA:7,4" in a
    assert "BRDA:7,0,0,2" in a or "BRDA:7,0,1,2" in a
    (tmp_path / "waivers.txt").write_text("toggle b.v:3 cfg[0]* -- cfg is a constant tie-off in every instance\n"
                                          "toggle a.v:2 d[0]* -- d[0] never falls by construction here\n")
    assert codecov.main(args[:5] + [str(tmp_path / "waivers.txt")] + args[6:]) == 0, capsys.readouterr().err
    assert "code coverage goals met" in capsys.readouterr().out
    assert codecov.main(args[:-1] + [str(tmp_path / "empty")]) == 2
    assert "no coverage files" in capsys.readouterr().err


def test_runner_codecov_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ROMFORMER_CODECOV=1: Verilator built with coverage into <name>-codecov, the run writing
    build/codecov/verilator/<run>.dat; without it, neither."""
    seen: dict[str, object] = {}

    def fake_build(_runner, _sim, build_dir, **kwargs):
        seen["build_dir"], seen["build_args"] = build_dir, kwargs["build_args"]

    class FakeRunner:
        def test(self, **kwargs):
            seen["plusargs"] = kwargs["plusargs"]

    monkeypatch.setattr(runner, "build_simulator", fake_build)
    monkeypatch.setattr(runner, "BUILD", tmp_path)
    monkeypatch.setattr(runner, "CODECOV_DIR", tmp_path / "codecov")
    monkeypatch.setattr("cocotb_tools.runner.get_runner", lambda sim: FakeRunner())
    monkeypatch.setattr(runner, "verilator_runner", lambda public: FakeRunner())   # the top level's runner
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.delenv("COCOTB_RANDOM_SEED", raising=False)
    monkeypatch.delenv("ROMFORMER_XRAND", raising=False)     # make regression sets it (random initial values)
    for flag in ("1", "0"):
        monkeypatch.setenv("ROMFORMER_CODECOV", flag)
        runner.run(sim="verilator", toplevel="rf_x", sources=["rf_x"], test_module="m", name="b", run_name="r")
        if flag == "1":
            assert seen["build_dir"].name == "b-codecov"
            args = seen["build_args"]
            assert {"--coverage-line", "--coverage-toggle", "--coverage-expr"} <= set(args)
            assert "--coverage-underscore" not in args
            assert args[args.index("--coverage-max-width") + 1] == "256"
            dat = tmp_path / "codecov" / "verilator" / "r.dat"
            assert seen["plusargs"] == [f"+verilator+coverage+file+{dat}",
                                        f"+romformer_codecov_reset={dat.with_suffix('.at_reset')}"]
            assert str(runner.CODECOV_MARK_CPP) in args
        else:
            assert seen["build_dir"].name == "b"
            assert not any(a.startswith("--coverage") for a in seen["build_args"])
            assert seen["plusargs"] == []
    assert "ROMFORMER_CODECOV" in __import__("tb.knobs", fromlist=["KNOBS"]).KNOBS
    # a gate-level run (tb.sim.run_top with a netlist) stays out of coverage: its coverage build of the
    # flat netlist took the regression's worker past 5 minutes of Verilator alone, for points the report ignores
    monkeypatch.setenv("ROMFORMER_CODECOV", "1")
    run_top(sim="verilator", build=tmp_path, prompt=[1], n=1, inv_temp=0, top_k=0, seed=0,
            result=tmp_path / "r.json", name="gls-x", netlist=tmp_path / "netlist.v")
    assert seen["build_dir"].name == "gls-x" and seen["plusargs"] == []
    assert not any(a.startswith("--coverage") for a in seen["build_args"])


def test_toggles_before_reset_release_are_not_counted(tmp_path: Path) -> None:
    """A run's <run>.at_reset snapshot: its toggle counts come off the run's, its line counts do not."""
    toggle, line = key("a.v", 2, "toggle", "d[0]:0->1"), key("a.v", 3, "line", "block")
    run = write_dat(tmp_path / "r.dat", [(toggle, 3), (line, 5)])
    write_dat(tmp_path / "r.at_reset", [(toggle, 1), (line, 5)])
    counts = {(p.kind, p.comment): n for p, n in codecov.read_dat(run).items()}
    assert counts == {("toggle", "d[0]:0->1"): 2, ("line", "block"): 5}
    assert [p.name for p in codecov.dat_files([tmp_path])] == ["r.dat"]       # a snapshot is not a run
    write_dat(tmp_path / "r.at_reset", [(toggle, 4)])
    with pytest.raises(codecov.CodecovError, match=r"r\.at_reset: a\.v:2 d\[0\]:0->1 counts 4 at reset but 3"):
        codecov.read_dat(run)


@pytest.mark.skipif("verilator" not in runner.SIMULATORS, reason="Verilator not available")
def test_random_initial_values_do_not_cover_toggles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ROMFORMER_XRAND=1 with code coverage: BRESP[0] is constant 0 by design (OKAY or SLVERR only) but
    starts random; its move to the reset value was counted as a toggle, covering a bit the design never
    toggles (and making its waiver look stale). With the reset snapshot it counts 0 again. Seed 1 is
    one where the register starts at 1 (the run's raw counts show the move)."""
    monkeypatch.setattr(runner, "CODECOV_DIR", tmp_path)
    monkeypatch.setenv("ROMFORMER_CODECOV", "1")
    monkeypatch.setenv("ROMFORMER_XRAND", "1")
    monkeypatch.setenv("COCOTB_RANDOM_SEED", "1")
    toplevel, sources, params = UNITS["rf_axil_regs"]
    runner.check_results(runner.run(sim="verilator", toplevel=toplevel, sources=sources, parameters=params,
                                    test_module="tb.unit.test_rf_axil_regs", includes=[runner.HDL],
                                    name="rf_axil_regs", run_name="codecov-xrand"))
    dat = tmp_path / "verilator" / "codecov-xrand-seed1.dat"
    assert dat.with_suffix(".at_reset").exists(), "the coverage run wrote no snapshot at reset release"

    def bresp0(counts: dict) -> list[int]:
        return [n for p, n in sorted(counts.items()) if p.kind == "toggle" and p.comment.startswith("s_axil_bresp[0]")]
    assert bresp0(codecov.read_counts(dat)) == [1, 1]     # random 1 at time 0 -> 0 at reset: both counters
    assert bresp0(codecov.read_dat(dat)) == [0, 0]


@pytest.mark.skipif("verilator" not in runner.SIMULATORS, reason="Verilator not available")
def test_a_bench_that_never_resets_still_writes_a_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """rf_rsr's combinational bench never clocks or resets its top level: the snapshot after the first
    time step is the one it keeps (in the regression, 6 of 141 coverage runs wrote none and kept their
    random-initial-value toggles)."""
    monkeypatch.setattr(runner, "CODECOV_DIR", tmp_path)
    monkeypatch.setenv("ROMFORMER_CODECOV", "1")
    monkeypatch.setenv("ROMFORMER_XRAND", "1")
    monkeypatch.setenv("COCOTB_RANDOM_SEED", "1")
    runner.check_results(runner.run(sim="verilator", toplevel="rf_rsr", sources=["rf_rsr"], test_module="tb.unit.test_rf_rsr",
                                    parameters={"IN_BITS": 24, "PIPE": 0}, name="rf_rsr_b24_comb",
                                    run_name="codecov-noreset"))
    assert (tmp_path / "verilator" / "codecov-noreset-seed1.at_reset").exists()


def test_codecov_file_per_seed() -> None:
    """A regression's seeds of one run write different files (merged, not overwritten)."""
    assert runner.codecov_path("verilator", "top-x", {}).name == "top-x.dat"
    assert runner.codecov_path("verilator", "top-x", {"COCOTB_RANDOM_SEED": "3"}).name == "top-x-seed3.dat"


def test_regression_codecov_hook(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """make regression CODECOV=1: jobs inherit ROMFORMER_CODECOV=1, old coverage files are removed, and the
    regression fails when scripts/codecov.py does (below goal) even with every test passing."""
    import subprocess

    from scripts import regression

    monkeypatch.setattr(runner, "CODECOV_DIR", tmp_path)
    (tmp_path / "verilator").mkdir()
    (tmp_path / "verilator" / "old.dat").write_text("")
    monkeypatch.setenv("ROMFORMER_CODECOV", "0")      # restored after the test (start_code_coverage sets it)
    regression.start_code_coverage()
    assert not (tmp_path / "verilator").exists()
    assert __import__("os").environ["ROMFORMER_CODECOV"] == "1"
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 1))
    assert regression.with_code_coverage(True, 0) == 1
    assert regression.with_code_coverage(False, 0) == 0
    with pytest.raises(SystemExit):
        regression.main(["--codecov", "--tree", "packed"])


def test_html_report(tmp_path: Path, hdl: Path) -> None:
    """genhtml (Debian's lcov) renders the lcov info; without it the report says so instead of failing."""
    import shutil

    info = tmp_path / "coverage.info"
    codecov.write_info(codecov.merge(runs(tmp_path)), info, hdl)
    result = codecov.write_html(info, tmp_path / "html")
    if shutil.which("genhtml") is None:
        assert result == "genhtml not installed (make bootstrap installs lcov)"
    else:
        assert result == tmp_path / "html" / "index.html" and result.exists()
        assert "a.v" in (tmp_path / "html" / "hdl" / "index.html").read_text()


def test_total_goal_fails_when_every_block_passes(tmp_path: Path, hdl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sign-off target is over all RTL together: lowering one block's goal (with a reason) passes the
    block, but the whole still has to reach `total` -- and main exits 1 naming the "all RTL" row."""
    points = codecov.merge(runs(tmp_path))
    goals = codecov.read_goals(plan(tmp_path, 'total: { line: 98, toggle: 90 }\ndefault: { line: 98, toggle: 90 }\n'
                                              'blocks: { "a.v": { toggle: 50, reason: "d[0] is a test" },'
                                              ' "b.v": { toggle: 0, reason: "cfg is a test" } }'), hdl)
    results = codecov.evaluate(points, goals, ["a.v", "b.v"])
    assert [f for r in results for f in r.failures()] == []
    total = codecov.evaluate_total(results, goals)
    assert total.block == "all RTL" and total.percent("line") == 100.0 and total.percent("toggle") == 25.0
    assert total.failures() == ["all RTL: toggle 25.0% < 90%"]
    dats = tmp_path / "dats"
    dats.mkdir()
    for p in runs(tmp_path):
        p.rename(dats / p.name)
    args = ["--plan", str(tmp_path / "testplan.hjson"), "--hdl", str(hdl), "--waivers", str(tmp_path / "none.txt"),
            "--out", str(tmp_path / "out"), "--no-html", str(dats)]
    assert codecov.main(args) == 1
    out = capsys.readouterr().out
    assert "all RTL: toggle 25.0% < 90%" in out and "code coverage goals met" not in out
    assert codecov.main(args + ["--no-goals"]) == 0


def test_committed_goals_and_waivers() -> None:
    """The committed gate carries the sign-off target (line >= 98%, toggle >= 90% of all RTL after
    waivers), no block override goes below what the total needs without a reason, and every committed
    waiver parses (names a file of hdl/ and gives a reason)."""
    goals = codecov.read_goals()
    assert goals.total["line"] >= 98 and goals.total["toggle"] >= 90
    assert goals.default["line"] >= 98 and goals.default["toggle"] >= 90
    waivers = codecov.read_waivers(codecov.WAIVERS)
    assert waivers and all(len(w.reason) >= 10 for w in waivers)


def test_regression_measures_code_coverage_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """make regression (every test on this checkout) measures code coverage and judges the goals without
    CODECOV=1; a filtered, sharded, packed or planning run does not (it would judge a part of the tests);
    CODECOV=0/1 decides either way."""
    from scripts import regression

    class Started(Exception):
        pass

    class NotStarted(Exception):
        pass

    def measured(*argv: str) -> bool:
        """Whether main() switches code coverage on before it runs anything (stopped right there)."""
        try:
            regression.main(list(argv))
        except Started:
            return True
        except NotStarted:
            return False
        raise AssertionError("main() ran past its setup")

    monkeypatch.setattr(regression, "start_code_coverage", lambda: (_ for _ in ()).throw(Started()))
    monkeypatch.setattr(regression, "parse_seeds", lambda _s: (_ for _ in ()).throw(NotStarted()))
    monkeypatch.setattr(regression, "merge_main", lambda *_a: (_ for _ in ()).throw(NotStarted()))
    monkeypatch.delenv("CODECOV", raising=False)
    for var in ("TREE", "SHARD", "K"):
        monkeypatch.delenv(var, raising=False)
    assert measured()
    assert not measured("-k", "lora") and not measured("--plan") and not measured("tests/test_rtl_top.py")
    assert not measured("--tree", "packed") and not measured("--shard", "1/4") and not measured("--merge")
    assert not measured("--no-codecov")
    monkeypatch.setenv("CODECOV", "0")
    assert not measured()
    monkeypatch.setenv("CODECOV", "1")
    assert measured("-k", "lora")
    monkeypatch.setenv("CODECOV", "maybe")
    with pytest.raises(SystemExit, match="CODECOV='maybe'"):
        measured()


@pytest.mark.parametrize("pattern, text, hit", [
    ("v_budget[{16..31}]*", "v_budget[16]:0->1", True),
    ("v_budget[{16..31}]*", "v_budget[31]:1->0", True),
    ("v_budget[{16..31}]*", "v_budget[1]:1->0", False),      # not 1 of 16..31, nor a prefix of one
    ("v_budget[{16..31}]*", "v_budget[15]:0->1", False),
    ("cnt[{8..9}]*", "cnt[8]:0->1", True),
    ("d[3]*", "d[3]:0->1", True),
    ("d[3]*", "d[31]:0->1", False),                         # brackets are literal
    ("lora_*", "lora_addr[2]:1->0", True),
])
def test_waiver_glob(pattern: str, text: str, hit: bool) -> None:
    assert codecov.glob_match(pattern, text) is hit


# rf_axil_regs read values that hold a build constant in every bit (docs/codecov_waivers.txt)
CONSTANT_REGISTERS = {"ID", "CONFIG", "CTRL", "SEQ_LEN", "ADAPTER_CONFIG", "ADAPTER_WORDS"}


def reserved_ranges(mask: int) -> list[tuple[int, int]]:
    """The runs of 0 bits of a 32-bit field mask, (lsb, msb) each."""
    runs, start = [], None
    for bit in range(33):
        free = bit < 32 and not mask >> bit & 1
        if free and start is None:
            start = bit
        elif not free and start is not None:
            runs.append((start, bit - 1))
            start = None
    return runs


def test_register_waivers_follow_the_register_map() -> None:
    """The toggle waivers of rf_axil_regs' read values (v_<register>) are exactly the reserved bits of
    sim_models/regmap.py and the registers that hold a constant: a field added to the map makes its
    waiver wrong here instead of hiding a real hole."""
    from sim_models.regmap import REGISTERS

    want = set()
    for reg in REGISTERS:
        name = f"v_{reg.name.lower()}"
        if reg.name in CONSTANT_REGISTERS:
            want.add(f"{name}[*")
        else:
            want |= {f"{name}[{{{lo}..{hi}}}]*" for lo, hi in reserved_ranges(reg.mask)}
    got = {w.pattern for w in codecov.read_waivers(codecov.WAIVERS)
           if w.file == "rf_axil_regs.v" and w.pattern.startswith("v_")}
    assert got == want, f"missing: {sorted(want - got)}; not in the register map: {sorted(got - want)}"
    assert reserved_ranges(0xFFFF) == [(16, 31)] and reserved_ranges(0x1_0000 | 0xFF) == [(8, 15), (17, 31)]
