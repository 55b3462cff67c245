"""Which jobs a regression runs, in which order, and which share of them a CI shard takes.

- Seeds: `parse_seeds("1-200")`, "1,5,9-12", or a count N (<= 20) for seeds 1..N.
- Jobs: every simulator node (test x simulator x model, as pytest parametrizes it) once per seed;
  the other tests once, with the first seed. A node expected to take under `pack_s` (the durations
  file) shares a job with others of its seed up to about `pack_s` of work, so pytest's start-up
  (about a second per process) stays a small part of a job; a small regression packs less, so every
  worker still gets several jobs.
- Order: longest expected job first (the durations file; a node not in it is estimated by kind).
- Shards: `shard(jobs, k, n)` is a deterministic greedy longest-processing-time assignment: every
  job, longest first (ties by key), goes to the shard with the least expected work so far.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.regress.jobs import Job, job_key

DURATIONS = Path(__file__).resolve().parent / "durations.json"
# Estimates for nodes the durations file does not list yet (seconds): a simulator run (a seed of 690 tests
# took 1,492 s on 2 workers, docs/results.md), anything else.
DEFAULT_SIM_S = 10.0
DEFAULT_OTHER_S = 2.0
PACK_S = 60.0
MIN_PACK_S = 5.0
JOBS_PER_WORKER = 4
JOB_SLACK_S = 120.0


def parse_seeds(text: str) -> list[int]:
    """"1,2,3", "1-200", "1,5,9-12" -> the seeds in order, each once; a bare count N <= 20 means 1..N
    (a bare number above 20 is that one seed). Raises ValueError naming the bad part."""
    text = text.strip()
    if text.isdigit() and 0 < int(text) <= 20:
        return list(range(1, int(text) + 1))
    seeds: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise ValueError(f"SEEDS: {part!r} is not a seed or a range like 1-200 (in {text!r})")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise ValueError(f"SEEDS: range {part!r} ends before it starts")
        seeds += [s for s in range(lo, hi + 1) if s not in seeds]
    if not seeds:
        raise ValueError(f"SEEDS: no seed in {text!r}")
    return seeds


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    """node id -> seconds (the longest run measured); {} when the file does not exist."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
        raise ValueError(f"{path}: expected a JSON object of node id -> seconds")
    return {str(k): float(v) for k, v in data.items()}


def update_durations(measured: dict[str, float], path: Path = DURATIONS) -> None:
    """Record the measured durations (node -> seconds) in the durations file, keeping other nodes."""
    data = load_durations(path)
    data.update({k: max(0.1, round(v, 1)) for k, v in measured.items()})
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")


def estimate(node: str, durations: dict[str, float], is_sim: bool) -> float:
    return durations.get(node, DEFAULT_SIM_S if is_sim else DEFAULT_OTHER_S)


def plan(sim_nodes: list[str], other_nodes: list[str], seeds: list[int], session_env, durations: dict[str, float],
         test_timeout_s: int, pack_s: float = PACK_S, workers: int | None = None, soak_slices: int = 1) -> list[Job]:
    """The jobs of a regression, longest first. `session_env(seed)` is the environment of a seed.
    With `workers` (the engine's, times the shards), a small regression packs less: at least
    JOBS_PER_WORKER jobs of packed work per worker, so the work still spreads over every worker.
    `soak_slices` > 1 splits every soak run (SOAK_TEST) of a seed into that many jobs (soak_slices)."""
    if workers:
        work = len(seeds) * sum(estimate(n, durations, True) for n in sim_nodes) + \
            sum(estimate(n, durations, False) for n in other_nodes)
        pack_s = min(pack_s, max(MIN_PACK_S, work / (JOBS_PER_WORKER * workers)))
    jobs: list[Job] = []
    soaks = [n for n in sim_nodes if SOAK_TEST in n] if soak_slices > 1 else []
    for seed in seeds:
        for node in soaks:
            est = estimate(node, durations, True) / soak_slices
            for slice_seed, overrides in soak_slices_of(seed, soak_slices, session_env(seed)):
                job = _job((node,), [est], slice_seed, session_env, test_timeout_s)
                job.env.update(overrides)
                job.overrides = overrides
                jobs.append(job)
    for i, seed in enumerate(seeds):
        todo = [(n, estimate(n, durations, True)) for n in sim_nodes if n not in soaks]
        if i == 0:
            todo += [(n, estimate(n, durations, False)) for n in other_nodes]
        batch: list[tuple[str, float]] = []
        for node, est in sorted(todo):
            if est >= pack_s:
                jobs.append(_job((node,), [est], seed, session_env, test_timeout_s))
                continue
            batch.append((node, est))
            if sum(e for _, e in batch) >= pack_s:
                jobs.append(_job(tuple(n for n, _ in batch), [e for _, e in batch], seed, session_env, test_timeout_s))
                batch = []
        if batch:
            jobs.append(_job(tuple(n for n, _ in batch), [e for _, e in batch], seed, session_env, test_timeout_s))
    return longest_first(jobs)


SOAK_TEST = "PromptSoak"
SOAK_ENV = ("ROMFORMER_SOAK_VERILATOR", "ROMFORMER_SOAK_ICARUS")
SLICE_SEED_BASE = 1000


def soak_slices_of(seed: int, k: int, env: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """The k slices of one seed's soak: (cocotb seed, environment overrides). Slice 0 runs with the
    seed itself, slice i with seed * SLICE_SEED_BASE + i (other prompts), each with 1/k of the
    prompts (rounded up), so the seed's soak count is met and the slices run side by side."""
    counts = {name: str(-(-int(env[name]) // k)) for name in SOAK_ENV if name in env}
    return [(seed if i == 0 else seed * SLICE_SEED_BASE + i, dict(counts)) for i in range(k)]


def _job(nodes: tuple[str, ...], ests: list[float], seed: int, session_env, test_timeout_s: int) -> Job:
    est = sum(ests)
    # The job's bound: one test may use its whole pytest-timeout, the rest about 3x their estimate.
    bound = test_timeout_s + 3 * est + JOB_SLACK_S
    return Job(key=job_key(nodes, seed), nodes=nodes, seed=seed, env=dict(session_env(seed)),
               test_timeout_s=test_timeout_s, timeout_s=bound, estimate_s=est)


def longest_first(jobs: list[Job]) -> list[Job]:
    return sorted(jobs, key=lambda j: (-j.estimate_s, j.key))


def parse_shard(text: str) -> tuple[int, int]:
    """"k/N" (1 <= k <= N) -> (k, N); ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ValueError(f"SHARD: expected k/N with 1 <= k <= N, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def shards(jobs: list[Job], n: int) -> list[list[Job]]:
    """Greedy longest-processing-time assignment of `jobs` to n shards (deterministic)."""
    out: list[list[Job]] = [[] for _ in range(n)]
    load = [0.0] * n
    for job in longest_first(jobs):
        i = min(range(n), key=lambda s: (load[s], s))
        out[i].append(job)
        load[i] += job.estimate_s
    return out


def shard(jobs: list[Job], k: int, n: int) -> list[Job]:
    return shards(jobs, n)[k - 1]


def makespan(jobs: list[Job], workers: int) -> float:
    """Expected wall time of `jobs` on `workers` workers as the engines run them: longest first, each to
    the first worker free (list scheduling). At least the longest job, at least the total / workers."""
    import heapq

    free = [0.0] * max(1, workers)
    for job in longest_first(jobs):
        heapq.heappush(free, heapq.heappop(free) + job.estimate_s)
    return max(free)


WALL_WORKERS = (1, 2, 4, 8, 16, 32, 64)


def wall_table(jobs: list[Job], workers: tuple[int, ...] = WALL_WORKERS) -> str:
    """Expected wall time per worker count, with the bound the longest job sets."""
    total = sum(j.estimate_s for j in jobs)
    longest = max((j.estimate_s for j in jobs), default=0.0)
    lines = [f"{len(jobs)} jobs, {total / 60:.1f} min of work, longest job {longest / 60:.1f} min",
             "workers  expected wall  speed-up  bound"]
    for n in workers:
        w = makespan(jobs, n)
        bound = "longest job" if w <= longest + 1e-9 else "work / workers" if w <= total / n * 1.05 else "packing"
        lines.append(f"{n:>7}  {w / 60:>9.1f} min  {total / max(w, 1e-9):>7.1f}x  {bound}")
    return "\n".join(lines)
