"""The Dask engine's overhead against the local engine at the same worker count, measured in one run:

    python -m scripts.regress.overhead [--jobs 16] [--seconds 3] [--workers 2] [--rounds 2]

Both engines run the same job list (`--jobs` jobs, each one pytest process whose test sleeps
`--seconds`, in a scratch tree), alternating local and Dask `--rounds` times; the Dask time includes
starting and stopping its LocalCluster. Sleeping tests keep the comparison about the engines, not
about how busy the machine's cores are. Prints each wall time and the overhead in percent.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from scripts.regress.engines import close_client, dask_client, run_dask, run_local
from scripts.regress.jobs import Tree
from scripts.regress.plan import plan


def scratch_tree(where: Path, jobs: int, seconds: float) -> tuple[Tree, list[str]]:
    (where / "tests").mkdir(parents=True)
    (where / "tests" / "test_sleep.py").write_text(
        f"import time\nimport pytest\n\n\n@pytest.mark.parametrize('i', range({jobs:d}))\n"
        f"def test_sleep(i):\n    time.sleep({seconds!r})\n")
    return Tree.shared(where, python=sys.executable), [f"tests/test_sleep.py::test_sleep[{i}]" for i in range(jobs)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=16)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree, nodes = scratch_tree(Path(tmp), args.jobs, args.seconds)
        durations = dict.fromkeys(nodes, args.seconds + 1.0)
        jobs = plan(nodes, [], [1], lambda s: {"COCOTB_RANDOM_SEED": str(s)}, durations, 600, pack_s=0.0)
        walls: dict[str, list[float]] = {"local": [], "dask": [], "cluster": []}
        for _ in range(args.rounds):
            t0 = time.monotonic()
            assert len(list(run_local(jobs, tree, args.workers))) == len(jobs)
            walls["local"].append(time.monotonic() - t0)
            t0 = time.monotonic()
            client = dask_client(None, args.workers)
            t1 = time.monotonic()
            try:
                assert len(list(run_dask(jobs, tree, client))) == len(jobs)
            finally:
                t2 = time.monotonic()
                close_client(client)
            walls["dask"].append(time.monotonic() - t0)
            walls["cluster"].append(time.monotonic() - t0 - (t2 - t1))
            print(f"local {walls['local'][-1]:.1f} s, dask {walls['dask'][-1]:.1f} s (of which LocalCluster start "
                  f"and stop {walls['cluster'][-1]:.1f} s)", flush=True)
    local, dask, cluster = sum(walls["local"]), sum(walls["dask"]), sum(walls["cluster"])
    print(f"{len(jobs)} jobs of {args.seconds:g} s on {args.workers} workers, {args.rounds} rounds: local "
          f"{local / args.rounds:.1f} s, dask {dask / args.rounds:.1f} s: overhead {100 * (dask - local) / local:+.1f}% "
          f"with the LocalCluster's start and stop ({cluster / args.rounds:.1f} s), "
          f"{100 * (dask - cluster - local) / local:+.1f}% without")
    return 0


if __name__ == "__main__":
    sys.exit(main())
