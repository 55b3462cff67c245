"""The regression as independent jobs: each runs pytest on a few test nodes with one seed's environment,
in its own directory, and returns everything the report needs as data (`JobResult`), so no filesystem is
shared for results.

This module uses the standard library only: the Dask engine ships it to workers by value (cloudpickle),
so a worker needs Python with the project's requirements installed, not a copy of this code.

How a worker gets the tree (`Tree`):
- shared checkout (`Tree.shared(path)`): every worker runs in the same checkout (one host, or a path
  every host mounts). Simulator builds are shared and locked by tb/runner.py (a build whose sources did
  not change is a no-op), so a build happens once per tree.
- packed commit (`Tree.packed(root, commit)`): `git archive` of the commit, shipped to the worker as
  bytes and unpacked once per host in a cache directory keyed by the commit
  ($ROMFORMER_REGRESS_CACHE, default ~/.cache/romformer-regress/<commit>/); jobs on that host share
  its builds. Uncommitted changes are not in it.

Tests write their artifacts under <tree>/build/ by name (tb/runner.py: build/reports/<sim>/<run>.xml
and .node; tb/uvm: build/coverage/<sim>/<test>.{xml,txt}, build/results/<sim>/scoreboard/<test>.json).
A job holds a lock per test node while it runs and collects, so two seeds of one test never overwrite
each other's files in one tree, and takes only the files written since it started by the runs whose
`.node` record names one of its nodes.
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

LOG_TAIL_LINES = 60
INFRA = "infrastructure"          # JobResult.infra set: the job did not run to an answer (not a test failure)


@dataclass(frozen=True)
class Tree:
    """Where a job finds the project: `path` (a shared checkout) or `archive` (a `git archive` tar of
    `commit`). `python`: the interpreter that runs pytest (default: <tree>/.venv/bin/python if it
    exists, else the worker's own)."""
    path: str | None = None
    commit: str | None = None
    archive: bytes | None = None
    python: str | None = None

    @staticmethod
    def shared(path: Path | str, python: str | None = None) -> Tree:
        return Tree(path=str(Path(path).resolve()), python=python)

    @staticmethod
    def packed(root: Path, commit: str = "HEAD", python: str | None = None) -> Tree:
        sha = subprocess.run(["git", "rev-parse", commit], cwd=root, capture_output=True, text=True,
                             check=True).stdout.strip()
        data = subprocess.run(["git", "archive", "--format=tar", sha], cwd=root, capture_output=True,
                              check=True).stdout
        return Tree(commit=sha, archive=data, python=python)

    def materialize(self) -> Path:
        """The tree's directory on this host (unpacking a packed commit once, under a lock)."""
        if self.path is not None:
            return Path(self.path)
        if not self.archive or not self.commit:
            raise ValueError("Tree needs a path or a commit with its archive")
        cache = Path(os.environ.get("ROMFORMER_REGRESS_CACHE") or Path.home() / ".cache" / "romformer-regress")
        dest = cache / self.commit
        cache.mkdir(parents=True, exist_ok=True)
        with open(cache / f".{self.commit}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (dest / ".unpacked").exists():
                dest.mkdir(parents=True, exist_ok=True)
                with tarfile.open(fileobj=io.BytesIO(self.archive)) as tar:
                    tar.extractall(dest, filter="data")
                (dest / ".unpacked").write_text(self.commit + "\n")
        return dest

    def interpreter(self, where: Path) -> str:
        if self.python:
            return self.python
        venv = where / ".venv" / "bin" / "python"
        return str(venv) if venv.exists() else sys.executable


@dataclass
class Job:
    """pytest `nodes` (ids relative to the tree) run in one process with `env` (the seed's session
    environment); `timeout_s` bounds the whole job (pytest-timeout bounds each test at `test_timeout_s`);
    `estimate_s` is the expected duration (the durations file) that orders and shards the jobs;
    `overrides`: what `env` changes in the seed's regression environment (a soak slice's count)."""
    key: str
    nodes: tuple[str, ...]
    seed: int
    env: dict[str, str]
    test_timeout_s: int
    timeout_s: float
    estimate_s: float = 0.0
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    """What a job sends back: its JUnit XML text; the cocotb results, coverage reports (keyed
    "<sim>/<file>") and scoreboard summaries its runs wrote; the log's tail; `infra` names an
    infrastructure failure (the job did not produce an answer: lost worker, no JUnit), '' otherwise."""
    key: str
    seed: int
    nodes: list[str]
    junit: str = ""
    cocotb: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, str] = field(default_factory=dict)
    scoreboards: list[dict] = field(default_factory=list)
    log_tail: str = ""
    returncode: int | None = None
    timed_out: bool = False
    wall_s: float = 0.0
    host: str = ""
    attempts: int = 1
    infra: str = ""
    overrides: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> JobResult:
        return JobResult(**json.loads(text))


def job_key(nodes: tuple[str, ...], seed: int) -> str:
    digest = hashlib.sha1("\n".join(nodes).encode()).hexdigest()[:10]
    return f"seed{seed}-{digest}"


@contextmanager
def node_locks(build: Path, nodes: tuple[str, ...]):
    """One lock per test node (in sorted order: no deadlock between jobs sharing nodes)."""
    locks = build / "regress" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for node in sorted(set(nodes)):
            f = stack.enter_context(open(locks / f"{hashlib.sha1(node.encode()).hexdigest()}.lock", "w"))
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def collect_outputs(build: Path, nodes: tuple[str, ...], since: float) -> tuple[dict, dict, list]:
    """The cocotb results, coverage reports and scoreboard summaries written at or after `since` by the
    runs whose `.node` record (tb/runner.py) names one of `nodes`. A run's coverage reports are named
    after its cocotb tests (pyuvm) or after the run itself (a bench exporting one report per run)."""
    cocotb: dict[str, str] = {}
    coverage: dict[str, str] = {}
    scoreboards: list[dict] = []
    wanted = set(nodes)
    fresh = lambda p: p.exists() and p.stat().st_mtime >= since   # noqa: E731
    for record in sorted(build.glob("reports/*/*.node")):
        if not fresh(record) or record.read_text().strip() not in wanted:
            continue
        sim, run = record.parent.name, record.stem
        results = record.with_suffix(".xml")
        if not fresh(results):
            continue
        text = results.read_text(errors="replace")
        cocotb[f"{sim}/{run}.xml"] = text
        try:
            names = [c.get("name", "") for c in ET.fromstring(text).iter("testcase")]
        except ET.ParseError:
            names = []
        for name in dict.fromkeys([*names, run]):     # a bench's report may carry its run's name (lora-top-<case>)
            for ext in (".xml", ".txt"):
                f = build / "coverage" / sim / f"{name}{ext}"
                if fresh(f):
                    coverage[f"{sim}/{f.name}"] = f.read_text(errors="replace")
            sb = build / "results" / sim / "scoreboard" / f"{name}.json"
            if fresh(sb):
                try:
                    scoreboards.append({**json.loads(sb.read_text()), "sim": sim})
                except json.JSONDecodeError:
                    pass
    return cocotb, coverage, scoreboards


def run_job(job: Job, tree: Tree) -> JobResult:
    """Run one job to its result (the function a Dask worker or a local thread calls)."""
    t0 = time.monotonic()
    where = tree.materialize()
    build = where / "build"
    jobdir = build / "regress" / "jobs" / job.key
    jobdir.mkdir(parents=True, exist_ok=True)
    junit = jobdir / "junit.xml"
    junit.unlink(missing_ok=True)
    cmd = [tree.interpreter(where), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
           f"--junitxml={junit}", "-o", "junit_family=xunit2", "-o", f"timeout={job.test_timeout_s}", *job.nodes]
    env = {**os.environ, "PYTHONPATH": str(where), **job.env, "ROMFORMER_REGRESS_JOB": job.key}
    log = jobdir / "log.txt"
    timed_out = False
    with node_locks(build, job.nodes):
        since = time.time() - 1.0          # file times may be coarser than time.time()
        # pytest runs at the tree's root (tests read files relative to it); its own files go to jobdir.
        with open(log, "w") as out:
            p = subprocess.Popen(cmd, cwd=where, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                code: int | None = p.wait(timeout=job.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(p.pid, signal.SIGKILL)      # the simulators it started too
                p.wait()
                code = None
        cocotb, coverage, scoreboards = collect_outputs(build, job.nodes, since)
    lines = log.read_text(errors="replace").splitlines()
    tail = "\n".join(lines[-LOG_TAIL_LINES:])
    if timed_out:
        tail += f"\nregression: job {job.key} killed after its time bound of {job.timeout_s:.0f} s"
    text = junit.read_text(errors="replace") if junit.exists() else ""
    infra = "" if text or timed_out else f"{INFRA}: pytest wrote no JUnit report (exit {code})"
    return JobResult(key=job.key, seed=job.seed, nodes=list(job.nodes), junit=text, cocotb=cocotb,
                     coverage=coverage, scoreboards=scoreboards, log_tail=tail, returncode=code,
                     timed_out=timed_out, wall_s=time.monotonic() - t0, host=socket.gethostname(), infra=infra,
                     overrides=dict(job.overrides))


def lost(job: Job, reason: str, attempts: int = 1) -> JobResult:
    """The result of a job that never came back (its worker died more often than retries allow, or the
    engine failed): an infrastructure error, not a test failure."""
    return JobResult(key=job.key, seed=job.seed, nodes=list(job.nodes), attempts=attempts,
                     infra=f"{INFRA}: {reason}", overrides=dict(job.overrides))
