"""Per-task overhead of Dask's schedulers, the reference Tessera's schedulers are measured against.

Builds plain-dict task graphs of no-op tasks in three shapes and times how long each scheduler
takes to run them. Prints one JSON object per measurement on stdout:

    {"shape": "chain", "scheduler": "threaded", "tasks": 100000, "seconds": 1.23}

Progress goes to stderr. Usage:

    .venv/bin/python bench/dask_scheduler.py [--n 100000] [--repeat 3]
        [--n-distributed 10000] [--shapes independent,chain,tree] [--schedulers threaded,distributed]

Shapes (n is the task count):
  independent  n tasks with no dependencies, every key requested
  chain        t0 -> t1 -> ... -> t(n-1), the last key requested
  tree         n/2 leaves reduced pairwise to a single root (about n tasks), the root requested

dask.distributed pays a network round trip (batched every few milliseconds) per dependent task, so
100k tasks would take it tens of minutes; it runs graphs of --n-distributed tasks (default: --n, at
most 10000), and comparisons use time per task.

Each number is the best of --repeat runs after one warm-up run on a small graph of the same
shape (the warm-up pays for imports, thread start-up and the cluster's first contact).
Graphs are built before the clock starts; the time covers what a user waits for in `get`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from typing import Any, Callable

Graph = dict[str, Any]


def noop(*_args: Any) -> None:
    """The task body: all the time measured is the scheduler's."""
    return None


def independent(n: int) -> tuple[Graph, list[str]]:
    dsk: Graph = {f"independent-{i}": (noop,) for i in range(n)}
    return dsk, list(dsk)


def chain(n: int) -> tuple[Graph, list[str]]:
    dsk: Graph = {"chain-0": (noop,)}
    for i in range(1, n):
        dsk[f"chain-{i}"] = (noop, f"chain-{i - 1}")
    return dsk, [f"chain-{n - 1}"]


def tree(n: int) -> tuple[Graph, list[str]]:
    """Pairwise reduction; an odd task out at a level is carried up unchanged to the next one."""
    level = [f"tree-0-{i}" for i in range(max(1, n // 2))]
    dsk: Graph = {key: (noop,) for key in level}
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = []
        for j in range(0, len(level) - 1, 2):
            key = f"tree-{depth}-{j // 2}"
            dsk[key] = (noop, level[j], level[j + 1])
            nxt.append(key)
        if len(level) % 2 == 1:
            nxt.append(level[-1])
        level = nxt
    return dsk, level


SHAPES: dict[str, Callable[[int], tuple[Graph, list[str]]]] = {
    "independent": independent,
    "chain": chain,
    "tree": tree,
}


def threaded_runner() -> tuple[Callable[[Graph, list[str]], Any], Callable[[], None]]:
    import dask.threaded

    workers = os.cpu_count() or 1
    return (lambda dsk, keys: dask.threaded.get(dsk, keys, num_workers=workers)), (lambda: None)


def distributed_runner() -> tuple[Callable[[Graph, list[str]], Any], Callable[[], None]]:
    # What a Dask user gets from a default local cluster on this machine: worker processes,
    # one thread each. No dashboard, so no port is opened besides the scheduler's own.
    from distributed import Client, LocalCluster

    # Even without a dashboard the scheduler serves a small HTTP endpoint on 127.0.0.1, trying
    # 8787 first; when Tessera's own dashboard holds that port it moves elsewhere, which is fine.
    warnings.filterwarnings("ignore", message="Port 8787 is already in use")
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return (lambda dsk, keys: client.get(dsk, keys)), close


SCHEDULERS = {"threaded": threaded_runner, "distributed": distributed_runner}


def best_seconds(run: Callable[[Graph, list[str]], Any], shape: str, n: int, repeat: int) -> tuple[int, float]:
    build = SHAPES[shape]
    warm_dsk, warm_keys = build(min(n, 1000))
    run(warm_dsk, warm_keys)
    best = float("inf")
    tasks = 0
    for _ in range(repeat):
        dsk, keys = build(n)  # fresh each time: no scheduler may reuse state from a previous run
        tasks = len(dsk)
        start = time.perf_counter()
        run(dsk, keys)
        best = min(best, time.perf_counter() - start)
    return tasks, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="tasks per graph (default 100000)")
    parser.add_argument(
        "--n-distributed", type=int, default=None, help="tasks per graph for distributed (default: min(--n, 10000))"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported (default 3)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated subset of %(default)s")
    parser.add_argument("--schedulers", default=",".join(SCHEDULERS), help="comma-separated subset of %(default)s")
    args = parser.parse_args()
    shapes = [s for s in args.shapes.split(",") if s]
    schedulers = [s for s in args.schedulers.split(",") if s]
    for name in shapes + schedulers:
        if name not in SHAPES and name not in SCHEDULERS:
            parser.error(f"unknown shape or scheduler: {name}")
    n_for = {"threaded": args.n, "distributed": args.n_distributed or min(args.n, 10_000)}
    if min(args.repeat, *n_for.values()) < 1:
        parser.error("--n, --n-distributed and --repeat must be at least 1")

    for scheduler in schedulers:
        run, close = SCHEDULERS[scheduler]()
        try:
            for shape in shapes:
                n = n_for[scheduler]
                print(f"dask {scheduler} {shape} n={n}…", file=sys.stderr, flush=True)
                tasks, seconds = best_seconds(run, shape, n, args.repeat)
                print(json.dumps({"shape": shape, "scheduler": scheduler, "tasks": tasks, "seconds": seconds}), flush=True)
        finally:
            close()


if __name__ == "__main__":
    main()
