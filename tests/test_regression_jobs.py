"""The regression's job model and engines (scripts/regress/): the same job list gives the same merged
results run locally and on a Dask LocalCluster of 2 worker processes; a worker killed mid-job loses no
job (the job runs again elsewhere) and a job lost for good is an infrastructure error, not a test
failure; shards are deterministic and balanced; SEEDS ranges; merging shard artifacts.

The jobs run pytest in a small tree made here (tests that pass, fail on one seed, write the files a
simulator run writes -- tb/runner.py's .node record and results XML, the coverage and scoreboard
files of tb/uvm -- or kill their worker), so the engines are exercised in seconds."""
from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import scripts.regression as regression_cli
from scripts.regress.engines import failed, run_local
from scripts.regress.jobs import Job, JobResult, Tree, run_job
from scripts.regress.merge import check_complete, merge_results, node_of, read_artifacts, write_artifact
from scripts.regress.plan import parse_seeds, parse_shard, plan, shard, shards

ROOT = Path(__file__).resolve().parents[1]

FAKE_TESTS = '''
import json, os, signal, time
from pathlib import Path
import pytest

SEED = int(os.environ["COCOTB_RANDOM_SEED"])
BUILD = Path(__file__).resolve().parents[1] / "build"


def test_pass():
    pass


def test_fails_on_seed_2():
    assert SEED != 2, "scoreboard [token]: token 7 != 9"


@pytest.mark.parametrize("sim", ["verilator"])
def test_sim(sim):
    """What a pyuvm run leaves: tb/runner.py's .node record and results XML, coverage, scoreboard."""
    node = os.environ["PYTEST_CURRENT_TEST"].rsplit(" (", 1)[0]
    (BUILD / "reports" / sim).mkdir(parents=True, exist_ok=True)
    (BUILD / "reports" / sim / "fake.node").write_text(node + "\\n")
    (BUILD / "reports" / sim / "fake.xml").write_text('<testsuites><testsuite><testcase name="Fake" /></testsuite></testsuites>')
    (BUILD / "coverage" / sim).mkdir(parents=True, exist_ok=True)
    (BUILD / "coverage" / sim / "Fake.xml").write_text(f'<top size="4" coverage="{SEED % 4}" />')
    (BUILD / "results" / sim / "scoreboard").mkdir(parents=True, exist_ok=True)
    (BUILD / "results" / sim / "scoreboard" / "Fake.json").write_text(
        json.dumps({"test": "Fake", "prompts": SEED, "beats": 10 * SEED, "mismatches": 0}))
    time.sleep(0.3)


def test_kills_its_worker_once():
    """The first run kills the process that runs pytest (a Dask worker), the next one passes."""
    marker = BUILD / "killed-once"
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("1")
        os.kill(os.getppid(), signal.SIGKILL)
        os._exit(1)


def test_kills_its_worker_always():
    os.kill(os.getppid(), signal.SIGKILL)
    os._exit(1)


def test_kills_pytest():
    os.kill(os.getpid(), signal.SIGKILL)


def test_hangs():
    time.sleep(30)
'''

NODES = ["tests/test_fake.py::test_pass", "tests/test_fake.py::test_fails_on_seed_2"]
SIM_NODE = "tests/test_fake.py::test_sim[verilator]"


def regression():
    """scripts/regression.py, the CLI module under test."""
    return regression_cli


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_fake.py").write_text(FAKE_TESTS)
    return Tree.shared(tmp_path, python=sys.executable)


def env_of(seed: int) -> dict[str, str]:
    return {"COCOTB_RANDOM_SEED": str(seed)}


def jobs_for(nodes: list[str], sim_nodes: list[str], seeds: list[int]) -> list[Job]:
    # pack_s 3: the two quick nodes share a job, the simulator node has one per seed
    return plan(sim_nodes, nodes, seeds, env_of, {SIM_NODE: 5.0}, test_timeout_s=60, pack_s=3.0)


def summary(results: list[JobResult], out: Path) -> dict:
    """What must agree between engines: every (node, seed)'s outcome and check, the coverage files and
    scoreboards per seed."""
    reg = regression()
    m = merge_results(results, out / "junit", out / "cov", reg.failure_text, reg.check_of)
    outcomes = {}
    for seed, xml in m.seed_xml:
        for case in ET.parse(xml).getroot().iter("testcase"):
            check = next((p.get("value") for p in case.iter("property") if p.get("name") == "check"), "")
            outcomes[(node_of(case), seed)] = (reg.outcome(case), check)
    coverage = {str(f.relative_to(out / "cov")): f.read_text() for f in m.coverage_files}
    scoreboards = sorted((s["test"], s["sim"], s["seed"], s["prompts"], s["beats"]) for s in m.scoreboards)
    return {"outcomes": outcomes, "coverage": coverage, "scoreboards": scoreboards}


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="dask distributed is not installed")
    import dask

    # One worker death is forgiven (the job runs again elsewhere); a second one loses the job.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address="127.0.0.1:0")
        client = distributed.Client(cluster)
        yield client
        client.close()
        cluster.close()


def test_local_and_dask_give_the_same_merged_results(tree: Tree, tmp_path: Path, dask_cluster) -> None:
    from scripts.regress.engines import run_dask

    jobs = jobs_for(NODES, [SIM_NODE], [1, 2])
    assert [len(j.nodes) for j in jobs] == [1, 1, 2], "the simulator node alone per seed, the quick ones packed"
    local = summary(list(run_local(jobs, tree, 2)), tmp_path / "local")
    on_dask = summary(list(run_dask(jobs, tree, dask_cluster)), tmp_path / "dask")
    assert on_dask == local
    assert local["outcomes"] == {
        ("tests/test_fake.py::test_pass", 1): ("PASS", ""),
        ("tests/test_fake.py::test_fails_on_seed_2", 1): ("PASS", ""),
        (SIM_NODE, 1): ("PASS", ""), (SIM_NODE, 2): ("PASS", "")}
    assert local["scoreboards"] == [("Fake", "verilator", 1, 1, 10), ("Fake", "verilator", 2, 2, 20)]
    assert local["coverage"] == {"seed-1/verilator/Fake.xml": '<top size="4" coverage="1" />',
                                 "seed-2/verilator/Fake.xml": '<top size="4" coverage="2" />'}


def test_a_failure_is_bucketed_and_only_on_its_seed(tree: Tree, tmp_path: Path) -> None:
    jobs = plan(NODES, [], [1, 2], env_of, {}, 60, pack_s=3.0)     # as simulator nodes: once per seed
    out = summary(list(run_local(jobs, tree, 2)), tmp_path)
    assert out["outcomes"][("tests/test_fake.py::test_fails_on_seed_2", 2)] == ("FAIL", "scoreboard mismatch")
    assert out["outcomes"][("tests/test_fake.py::test_fails_on_seed_2", 1)] == ("PASS", "")


def test_a_killed_worker_loses_no_job(tree: Tree, tmp_path: Path, dask_cluster) -> None:
    from scripts.regress.engines import run_dask

    node = "tests/test_fake.py::test_kills_its_worker_once"
    jobs = plan([node], [], [1], env_of, {}, 60)
    [r] = list(run_dask(jobs, tree, dask_cluster, retries=1))
    assert (Path(tree.path) / "build" / "killed-once").exists(), "the first attempt did not run"
    assert not r.infra and not failed(r), r
    assert summary([r], tmp_path)["outcomes"] == {(node, 1): ("PASS", "")}


def test_a_job_lost_for_good_is_an_infrastructure_error(tree: Tree, tmp_path: Path, dask_cluster) -> None:
    from scripts.regress.engines import run_dask

    node = "tests/test_fake.py::test_kills_its_worker_always"
    [r] = list(run_dask(plan([node], [], [3], env_of, {}, 60), tree, dask_cluster, retries=0))
    assert r.infra.startswith("infrastructure: KilledWorker"), r.infra
    assert summary([r], tmp_path)["outcomes"] == {(node, 3): ("ERROR", "infrastructure")}


def test_a_killed_pytest_is_an_infrastructure_error_and_a_hang_a_timeout(tree: Tree, tmp_path: Path) -> None:
    killed, hangs = "tests/test_fake.py::test_kills_pytest", "tests/test_fake.py::test_hangs"
    jobs = plan([killed, hangs], [], [1], env_of, {}, 60, pack_s=0.0)
    for j in jobs:
        j.timeout_s = 2.0                   # the job's own bound, below pytest-timeout's 60 s
    results = list(run_local(jobs, tree, 2))
    assert summary(results, tmp_path)["outcomes"] == {(killed, 1): ("ERROR", "infrastructure"),
                                                      (hangs, 1): ("ERROR", "timeout")}


def test_results_travel_as_data(tree: Tree) -> None:
    """A job result holds everything the report needs; it survives its JSON round trip."""
    [job] = plan([SIM_NODE], [], [4], env_of, {}, 60)
    r = run_job(job, tree)
    assert set(r.coverage) == {"verilator/Fake.xml"} and r.scoreboards[0]["beats"] == 40
    assert 'tests="1"' in r.junit and set(r.cocotb) == {"verilator/fake.xml"}
    assert JobResult.from_json(r.to_json()) == r


def test_shards_are_deterministic_balanced_and_complete() -> None:
    durations = {f"t.py::s[verilator-{i}]": float(d) for i, d in enumerate([700, 300, 250, 200, 120, 90, 80, 61])}
    jobs = plan(list(durations), [f"t.py::q{i}" for i in range(40)], [1, 2], env_of, durations, 60)
    parts = shards(jobs, 3)
    assert sorted(j.key for p in parts for j in p) == sorted(j.key for j in jobs)
    assert [j.key for j in shard(jobs, 2, 3)] == [j.key for j in parts[1]]
    assert [[j.key for j in p] for p in shards(list(reversed(jobs)), 3)] == [[j.key for j in p] for p in parts]
    loads = [sum(j.estimate_s for j in p) for p in parts]
    assert max(loads) - min(loads) <= max(j.estimate_s for j in jobs), loads     # LPT bound
    with pytest.raises(ValueError, match="k/N"):
        parse_shard("4/3")
    assert parse_shard("2/3") == (2, 3)


def test_seed_ranges() -> None:
    assert parse_seeds("3") == [1, 2, 3]
    assert parse_seeds("1-200") == list(range(1, 201))
    assert parse_seeds("1,5,9-11,5") == [1, 5, 9, 10, 11]
    assert parse_seeds("123") == [123]
    for bad in ("1-x", "5-2", ","):
        with pytest.raises(ValueError, match="SEEDS"):
            parse_seeds(bad)


def test_merging_shard_artifacts_checks_the_set(tmp_path: Path) -> None:
    a = JobResult(key="a", seed=1, nodes=["t.py::x"], junit="<testsuites/>")
    b = JobResult(key="b", seed=1, nodes=["t.py::y"], junit="<testsuites/>")
    write_artifact(tmp_path / "shard-1.jsonl", [a], {"commit": "c1", "shard": 1, "shards": 2, "jobs": ["a"]})
    write_artifact(tmp_path / "shard-2.jsonl", [b], {"commit": "c1", "shard": 2, "shards": 2, "jobs": ["b"]})
    headers, results = read_artifacts(sorted(tmp_path.glob("*.jsonl")))
    assert results == [a, b] and check_complete(headers, results) == []
    assert check_complete(headers[:1], results[:1]) == ["shards present [1], expected 1..2"]
    write_artifact(tmp_path / "shard-2.jsonl", [], {"commit": "c2", "shard": 2, "shards": 2, "jobs": ["b"]})
    headers, results = read_artifacts(sorted(tmp_path.glob("*.jsonl")))
    problems = check_complete(headers, results)
    assert any("different commits" in p for p in problems) and any("without a result" in p for p in problems)
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        read_artifacts([tmp_path / "bad.jsonl"])


def test_cluster_config_errors_name_the_file_and_field(tmp_path: Path) -> None:
    from scripts.regress.engines import jobqueue_config

    kind, jobs, options = jobqueue_config(ROOT / "docs" / "regression-cluster.example.yaml")
    assert (kind, jobs, options["cores"]) == ("slurm", 32, 1)
    cases = {"kind: pbsx\n": "kind must be one of", "kind: lsf\njobs: 0\n": "jobs must be a positive integer",
             "kind: lsf\ncluster: [1]\n": "cluster must be a mapping", "- 1\n": "expected a mapping",
             "kind: [\n": "cannot read"}
    for text, message in cases.items():
        f = tmp_path / "c.yaml"
        f.write_text(text)
        with pytest.raises(ValueError, match=f"c.yaml: {message}"):
            jobqueue_config(f)


def junit(cases: str) -> str:
    return f'<testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>'


def test_regression_merge_reports_shards_as_one_run(tmp_path: Path, monkeypatch, capsys) -> None:
    """make regression-merge: pass rates with the first failing seed, failures by check with a
    reproduce command, infrastructure errors apart, and a failing exit status."""
    reg = regression()
    for name in ("REPORTS", "RESULTS_DIR"):
        monkeypatch.setattr(reg, name, tmp_path / name.lower())
    monkeypatch.setattr(reg, "COV_RUNS", tmp_path / "cov")
    node_a, node_b = "tests/test_x.py::test_a[verilator]", "tests/test_x.py::test_b[icarus]"
    ok = '<testcase classname="tests.test_x" name="test_a[verilator]" time="2.5" />'
    bad = ('<testcase classname="tests.test_x" name="test_a[verilator]" time="3.0"><failure message="boom">'
           'scoreboard [token]: beat 3</failure></testcase>')
    results = [JobResult(key=f"s{s}", seed=s, nodes=[node_a], junit=junit(bad if s in (4, 7) else ok)) for s in range(1, 9)]
    lost_job = JobResult(key="b1", seed=1, nodes=[node_b], infra="infrastructure: KilledWorker: lost twice")
    write_artifact(tmp_path / "s1.jsonl", results[:4], {"commit": "c", "shard": 1, "shards": 2,
                                                         "jobs": [r.key for r in results[:4]], "sims": ["verilator"]})
    write_artifact(tmp_path / "s2.jsonl", results[4:] + [lost_job], {"commit": "c", "shard": 2, "shards": 2,
                   "jobs": [r.key for r in results[4:]] + ["b1"], "sims": ["verilator"]})
    assert reg.main(["--merge", str(tmp_path / "s1.jsonl"), str(tmp_path / "s2.jsonl"), "--no-update-durations"]) == 1
    out = capsys.readouterr().out
    assert "9 runs over 8 seeds: 6 passed, 2 failed, 1 errors" in out
    assert re.search(rf"{re.escape(node_a)}\s+verilator\s+8\s+75%\s+4 \(scoreboard mismatch\)", out)
    assert re.search(rf"{re.escape(node_b)}\s+icarus\s+1\s+0%\s+1 \(infrastructure\)", out)
    assert "failures by check: scoreboard mismatch 2" in out
    assert "COCOTB_RANDOM_SEED=7" in out and "COCOTB_RANDOM_SEED=1 " not in out.split("infrastructure errors")[0]
    assert "infrastructure errors (no test answer; not test failures): 1 runs of 1 jobs" in out
    assert "job b1 (seed 1, 1 tests): infrastructure: KilledWorker: lost twice" in out
    # a missing shard is refused
    assert reg.main(["--merge", str(tmp_path / "s1.jsonl"), "--no-update-durations"]) == 1
    assert "shards present [1], expected 1..2" in capsys.readouterr().err


def test_a_packed_commit_is_unpacked_once_per_host_and_runs(tmp_path: Path, monkeypatch) -> None:
    import subprocess

    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_fake.py").write_text(FAKE_TESTS)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fake"], check=True)
    (repo / "tests" / "test_fake.py").write_text("uncommitted = True\n")      # not in the archive
    monkeypatch.setenv("ROMFORMER_REGRESS_CACHE", str(tmp_path / "cache"))
    tree = Tree.packed(repo, python=sys.executable)
    assert tree.path is None and len(tree.commit) == 40 and tree.archive
    [job] = plan([SIM_NODE], [], [5], env_of, {}, 60)
    r = run_job(job, tree)
    assert not failed(r) and r.scoreboards[0]["beats"] == 50
    where = tmp_path / "cache" / tree.commit
    assert (where / ".unpacked").exists() and tree.materialize() == where


def test_expected_wall_time_is_bounded_by_the_longest_job_and_the_work() -> None:
    from scripts.regress.plan import makespan, wall_table

    durations = {f"t.py::s[verilator-{i}]": float(d) for i, d in enumerate([900, 300, 300, 200, 100, 100])}
    jobs = plan(list(durations), [], [1], env_of, durations, 60)
    assert makespan(jobs, 1) == 1900 and makespan(jobs, 64) == 900
    assert makespan(jobs, 2) == 1000          # 900 + 100 | 300 + 300 + 200 + 100
    table = wall_table(jobs, (1, 2, 64))
    assert "6 jobs" in table and "longest job" in table.splitlines()[-1]


def test_a_small_regression_packs_less_to_keep_every_worker_busy() -> None:
    durations = {f"t.py::q{i}": 4.0 for i in range(30)}
    assert len(plan([], list(durations), [1], env_of, durations, 60)) == 2               # 120 s in 60 s jobs
    assert len(plan([], list(durations), [1], env_of, durations, 60, workers=2)) == 8    # >= 4 per worker


def test_progress_without_a_terminal_prints_failures_and_the_count(capsys) -> None:
    from scripts.regress.engines import Progress

    jobs = [Job(key=k, nodes=("t.py::x",), seed=1, env={}, test_timeout_s=60, timeout_s=100, estimate_s=e)
            for k, e in (("a", 600.0), ("b", 20.0))]
    p = Progress(jobs, workers=2)
    p.finished(JobResult(key="a", seed=1, nodes=["t.py::x"], infra="infrastructure: KilledWorker", host="h"), running=1)
    p.close()
    out = capsys.readouterr().out
    assert "job a (1 tests, seed 1, h): infrastructure: KilledWorker" in out
    assert "1/2 done, 1 running, 1 failed, ETA 0:10" in out


def test_a_run_keeps_only_the_other_shards_of_its_commit(tmp_path: Path, monkeypatch) -> None:
    reg = regression()
    monkeypatch.setattr(reg, "RESULTS_DIR", tmp_path)
    for name, header in {"other-shard": {"commit": "c", "shard": 1, "shards": 2},
                         "own-shard": {"commit": "c", "shard": 2, "shards": 2},
                         "other-commit": {"commit": "d", "shard": 1, "shards": 2},
                         "other-count": {"commit": "c", "shard": 1, "shards": 3}}.items():
        write_artifact(tmp_path / f"{name}.jsonl", [], header)
    (tmp_path / "broken.jsonl").write_text("x\n")
    reg.stale_results({"commit": "c", "shard": 2, "shards": 2})
    assert sorted(f.name for f in tmp_path.iterdir()) == ["other-shard.jsonl"]
    reg.stale_results({"commit": "c", "shard": 1, "shards": 1})      # a whole run keeps nothing
    assert list(tmp_path.iterdir()) == []


def test_soak_slices_split_the_prompts_over_seeds_and_reproduce_as_run(tmp_path: Path, capsys) -> None:
    reg = regression()
    soak, other = "tests/test_uvm.py::test_uvm[PromptSoak-icarus]", "tests/test_uvm.py::test_uvm[Smoke-icarus]"
    jobs = plan([soak, other], [], [2], reg.session_env, {soak: 740.0, other: 100.0}, 2400, soak_slices=4)
    slices = [j for j in jobs if j.nodes == (soak,)]
    assert sorted(j.seed for j in slices) == [2, 2001, 2002, 2003]
    assert {j.env["ROMFORMER_SOAK_ICARUS"] for j in slices} == {"85"}                  # 4 x 85 = 340
    assert {j.env["COCOTB_RANDOM_SEED"] for j in slices} == {"2", "2001", "2002", "2003"}
    assert slices[0].estimate_s == 185.0 and [j.seed for j in jobs if j.nodes == (other,)] == [2]
    # a failing slice's reproduce command carries its seed and its prompt count
    bad = ('<testcase classname="tests.test_uvm" name="test_uvm[PromptSoak-icarus]" time="9">'
           '<failure message="x">scoreboard [token]: beat 3</failure></testcase>')
    r = JobResult(key="k", seed=2003, nodes=[soak], junit=junit(bad), overrides=slices[0].overrides)
    m = merge_results([r], tmp_path / "j", tmp_path / "c", reg.failure_text, reg.check_of)
    rows = reg.merge(m.seed_xml, tmp_path / "all.xml")
    reg.print_failures(rows)
    line = next(x for x in capsys.readouterr().out.splitlines() if "make test" in x)
    assert "COCOTB_RANDOM_SEED=2003 " in line and "ROMFORMER_SOAK_ICARUS=85 " in line


def test_a_bench_report_named_after_its_run_travels_with_the_job(tmp_path: Path) -> None:
    """A bench that exports its coverage under its run name (the LoRA top level's lora-top-<case>, which
    closes romformer.cross.adapter_format) goes back with the job, like a pyuvm test's report named after
    its cocotb test; the regression's merge missed the cross's format bins when only the latter did."""
    from scripts.regress.jobs import collect_outputs
    node = "tests/test_lora_top.py::test_lora_top[int4-verilator]"
    reports, coverage = tmp_path / "reports" / "verilator", tmp_path / "coverage" / "verilator"
    reports.mkdir(parents=True)
    coverage.mkdir(parents=True)
    (reports / "lora-top-int4.node").write_text(node + "\n")
    (reports / "lora-top-int4.xml").write_text('<testsuites><testsuite><testcase name="lora_top_generates"/>'
                                               "</testsuite></testsuites>")
    (coverage / "lora-top-int4.xml").write_text("<root/>")
    (coverage / "lora_top_generates.txt").write_text("the cocotb test's own report")
    _, reports_sent, _ = collect_outputs(tmp_path, (node,), since=0.0)
    assert sorted(reports_sent) == ["verilator/lora-top-int4.xml", "verilator/lora_top_generates.txt"]
    _, reports_sent, _ = collect_outputs(tmp_path, ("tests/other.py::test_x",), since=0.0)
    assert reports_sent == {}


def test_a_skipped_test_is_measured_not_estimated(tmp_path: Path) -> None:
    """A test the regression skips (an Icarus-only case on Verilator, a model that is not there) takes no
    time; left out of the durations it was planned at the 2 s / 10 s defaults: 241 skips made the one-seed
    plan 146.5 min of work for 101 min measured."""
    junit = ('<testsuites><testsuite><testcase classname="tests.test_x" name="test_run" time="3.5"/>'
             '<testcase classname="tests.test_x" name="test_skip[verilator]" time="0.001"><skipped/></testcase>'
             "</testsuite></testsuites>")
    result = JobResult(key="seed1-a", seed=1, nodes=["tests/test_x.py::test_run", "tests/test_x.py::test_skip[verilator]"],
                       junit=junit, returncode=0)
    reg = regression()
    m = merge_results([result], tmp_path / "junit", tmp_path / "cov", reg.failure_text, reg.check_of)
    assert m.durations == {"tests/test_x.py::test_run": 3.5, "tests/test_x.py::test_skip[verilator]": 0.001}
