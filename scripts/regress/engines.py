"""Engines that run a job list and hand back one `JobResult` per job, in the order they finish.

- `run_local(jobs, tree, workers)`: a pool of `workers` threads on this host, each running one job
  (one pytest process) at a time.
- `run_dask(jobs, tree, client)`: every job a Dask task (`client.submit(run_job, ...)`), longest first
  (task priority = expected seconds); `retries` re-runs a task whose worker died or raised, and a job
  still lost after that comes back as an infrastructure error (`jobs.lost`), never as a test failure.
- `dask_client(scheduler, workers, cluster_config)`: a Client to a running scheduler
  (tcp://host:8786), to a dask-jobqueue cluster described by a YAML file (docs/regression.md), or to a
  LocalCluster of `workers` single-threaded worker processes.

Both report progress through `Progress`: a tqdm bar on a terminal (done/total, running, failed, ETA
from the expected durations), and without a terminal one line per failure plus a summary line every
minute.
"""
from __future__ import annotations

import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from scripts.regress import jobs as jobs_module
from scripts.regress.jobs import Job, JobResult, Tree, lost, run_job

RETRIES = 2
SUMMARY_EVERY_S = 60.0


def failed(r: JobResult) -> bool:
    """True when a job's result holds a test failure, an error, a time-out or an infrastructure error."""
    if r.infra or r.timed_out:
        return True
    try:
        cases = list(ET.fromstring(r.junit).iter("testcase"))
    except ET.ParseError:
        return True
    return any(c.find("failure") is not None or c.find("error") is not None for c in cases)


def clock(seconds: float) -> str:
    """h:mm:ss, or m:ss under an hour."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """done / total jobs, running, failed and an ETA (expected seconds left over the workers)."""

    def __init__(self, jobs: list[Job], workers: int, desc: str = "regression") -> None:
        root = Path(__file__).resolve().parents[2]
        sys.path.insert(0, str(root))
        from sim_models.progress import bar, write

        self.total, self.workers = len(jobs), max(1, workers)
        self.left_s = sum(j.estimate_s for j in jobs)
        self.est = {j.key: j.estimate_s for j in jobs}
        self.done = self.failed = 0
        self.t0 = self.last = time.monotonic()
        self.bar = bar(total=self.total, desc=desc, unit="job")
        self.write = write

    def line(self, running: int) -> str:
        return (f"{self.done}/{self.total} done, {running} running, {self.failed} failed, "
                f"ETA {clock(self.left_s / self.workers)} (elapsed {clock(time.monotonic() - self.t0)})")

    def finished(self, r: JobResult, running: int) -> None:
        self.done += 1
        self.left_s -= self.est.get(r.key, 0.0)
        bad = failed(r)
        self.failed += bad
        self.bar.update(1)
        self.bar.set_postfix_str(f"running {running}, failed {self.failed}, ETA {clock(self.left_s / self.workers)}")
        if bad:                                # above the bar on a terminal
            what = r.infra or ("timed out" if r.timed_out else "failed")
            self.write(f"regression: job {r.key} ({len(r.nodes)} tests, seed {r.seed}, {r.host}): {what}")
        if self.bar.disable and (bad or time.monotonic() - self.last >= SUMMARY_EVERY_S or self.done == self.total):
            print(f"regression: {self.line(running)}", flush=True)
            self.last = time.monotonic()

    def close(self) -> None:
        self.bar.close()


def run_local(jobs: list[Job], tree: Tree, workers: int,
              runner: Callable[[Job, Tree], JobResult] = run_job) -> Iterator[JobResult]:
    """Run the jobs on this host, `workers` at a time, in list order (longest first)."""
    progress = Progress(jobs, workers)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            pending = {pool.submit(runner, j, tree): j for j in jobs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    job = pending.pop(f)
                    exc = f.exception()
                    r = lost(job, f"{type(exc).__name__}: {exc}") if exc else f.result()
                    progress.finished(r, min(workers, len(pending)))
                    yield r
    finally:
        progress.close()


def run_dask(jobs: list[Job], tree: Tree, client, retries: int = RETRIES) -> Iterator[JobResult]:
    """Run the jobs as Dask tasks on `client`'s cluster. The job code travels by value (workers need
    the project's Python requirements, not this module); the tree is scattered to every worker once."""
    import cloudpickle
    from distributed import as_completed

    cloudpickle.register_pickle_by_value(jobs_module)
    workers = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()))
    progress = Progress(jobs, workers)
    tree_f = client.scatter(tree, broadcast=True, hash=False) if tree.archive else tree
    run = uuid.uuid4().hex[:8]            # a scheduler shared by several runs never mixes their tasks
    futures = {client.submit(run_job, job, tree_f, key=f"romformer-{job.key}-{run}", pure=False, retries=retries,
                             priority=int(job.estimate_s)): job for job in jobs}
    try:
        for f in as_completed(futures):
            job = futures[f]
            try:
                r = f.result()
            except Exception as exc:          # noqa: BLE001  KilledWorker, a lost connection, an exception in the job
                r = lost(job, f"{type(exc).__name__}: {exc}", attempts=retries + 1)
            running = sum(1 for g in futures if g.status == "pending")
            progress.finished(r, min(workers, running))
            yield r
    finally:
        progress.close()
        cloudpickle.unregister_pickle_by_value(jobs_module)


def dask_client(scheduler: str | None, workers: int, cluster_config: Path | None = None):
    """A distributed.Client: to `scheduler` if given; else to the dask-jobqueue cluster that
    `cluster_config` describes (docs/regression.md); else to a new LocalCluster of `workers` processes
    with one thread each. The cluster closes with the client (`client.close()` then `cluster.close()`)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    if cluster_config:
        return Client(jobqueue_cluster(cluster_config))
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address="127.0.0.1:0")  # HTTP server on a free loopback port, not 8787
    return Client(cluster)


JOBQUEUE_KINDS = ("slurm", "lsf", "pbs", "sge", "htcondor")


def jobqueue_config(path: Path) -> tuple[str, int, dict]:
    """(kind, jobs, cluster options) of a dask-jobqueue cluster YAML file: `kind` (slurm, lsf, pbs, sge,
    htcondor), `jobs` (how many batch jobs to start), `cluster` (keyword arguments of the cluster class:
    cores, memory, queue, walltime, python, job_extra_directives, ...). Errors name the file and field."""
    import yaml

    try:
        cfg = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the cluster config ({exc})") from exc
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: expected a mapping with kind, jobs and cluster")
    kind = str(cfg.get("kind", "")).lower()
    if kind not in JOBQUEUE_KINDS:
        raise ValueError(f"{path}: kind must be one of {', '.join(JOBQUEUE_KINDS)}, got {cfg.get('kind')!r}")
    n = cfg.get("jobs", 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{path}: jobs must be a positive integer, got {n!r}")
    options = cfg.get("cluster") or {}
    if not isinstance(options, dict):
        raise ValueError(f"{path}: cluster must be a mapping of {kind} cluster options, got {options!r}")
    return kind, n, options


def jobqueue_cluster(path: Path):
    """The dask-jobqueue cluster `path` describes (jobqueue_config), scaled to its `jobs`."""
    kind, n, options = jobqueue_config(path)
    import dask_jobqueue

    cls = {"slurm": dask_jobqueue.SLURMCluster, "lsf": dask_jobqueue.LSFCluster, "pbs": dask_jobqueue.PBSCluster,
           "sge": dask_jobqueue.SGECluster, "htcondor": dask_jobqueue.HTCondorCluster}[kind]
    cluster = cls(**options)
    cluster.scale(jobs=n)
    return cluster


def close_client(client) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()
