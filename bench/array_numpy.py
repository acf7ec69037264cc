"""The Python peers of bench/array.mjs: NumPy alone (one thread) and Dask arrays over NumPy (threaded).

Runs the same four workloads as the Tessera side and prints one JSON object per measurement on
stdout:

    {"workload": "sum", "system": "numpy", "seconds": 1.23, "check": 0.5, "shape": [20000, 20000]}

Progress goes to stderr. Usage:

    .venv/bin/python bench/array_numpy.py [--scale 1] [--repeat 3]
        [--workloads transpose_mean,sum,elementwise,matmul] [--systems numpy,dask]

Workloads (n and the chunk size shrink with --scale; the number of chunks stays the same):
  transpose_mean  (x + x.T).mean(axis=0), x 10000×10000 float64 in 1000×1000 chunks
  sum             x.sum(), x 20000×20000 in 2000×2000 chunks
  elementwise     sqrt(x*x + y*y), x and y 10000×10000 in 1000×1000 chunks, the whole result returned
  matmul          x @ y, both 4000×4000 in 1000×1000 chunks, the whole result returned

Every timed run covers generating the random inputs and the workload, through to the result in
memory (NumPy's array, Dask's `compute()`), as the Tessera side times `compute()`. Random numbers
are uniform in [0, 1) from NumPy's default generator (Dask: `da.random.default_rng`), so results
differ from Tessera's but their means (`check`) agree: about 1, n²/2, 0.765 and n/4.

BLAS is held to one thread (set here before NumPy loads) so that "NumPy" means one core and Dask's
parallelism is its own thread pool, as Tessera's is its worker threads.
Each number is the best of --repeat runs after one warm-up run at a twentieth of the size.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

# Sizes at --scale 1: (n, chunk) per workload.
SIZES: dict[str, tuple[int, int]] = {
    "transpose_mean": (10_000, 1_000),
    "sum": (20_000, 2_000),
    "elementwise": (10_000, 1_000),
    "matmul": (4_000, 1_000),
}


def scaled(workload: str, scale: float) -> tuple[int, int]:
    n, chunk = SIZES[workload]
    return max(1, round(n * scale)), max(1, round(chunk * scale))


# ── NumPy, one thread ────────────────────────────────────────────────────────────────────────


def numpy_workload(workload: str, n: int, _chunk: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    if workload == "transpose_mean":
        x = rng.random((n, n))
        return (x + x.T).mean(axis=0)
    if workload == "sum":
        return np.asarray(rng.random((n, n)).sum())
    x = rng.random((n, n))
    y = np.random.default_rng(2).random((n, n))
    if workload == "elementwise":
        return np.sqrt(x * x + y * y)
    return x @ y


# ── Dask arrays over NumPy, threaded scheduler ───────────────────────────────────────────────


def dask_workload(workload: str, n: int, chunk: int) -> np.ndarray:
    import dask.array as da

    def rand(seed: int) -> Any:
        return da.random.default_rng(seed).random((n, n), chunks=(chunk, chunk))

    x = rand(1)
    if workload == "transpose_mean":
        result = (x + x.T).mean(axis=0)
    elif workload == "sum":
        result = x.sum()
    elif workload == "elementwise":
        y = rand(2)
        result = da.sqrt(x * x + y * y)
    else:
        result = x @ rand(2)
    return np.asarray(result.compute(scheduler="threads", num_workers=os.cpu_count() or 1))


SYSTEMS: dict[str, Callable[[str, int, int], np.ndarray]] = {"numpy": numpy_workload, "dask": dask_workload}


def best_seconds(run: Callable[[str, int, int], np.ndarray], workload: str, scale: float, repeat: int) -> tuple[float, float]:
    run(workload, *scaled(workload, scale / 20))
    best = float("inf")
    check = float("nan")
    for _ in range(repeat):
        n, chunk = scaled(workload, scale)
        start = time.perf_counter()
        result = run(workload, n, chunk)
        best = min(best, time.perf_counter() - start)
        check = float(result.mean())
        del result
    return best, check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="size factor for n and chunks (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported (default 3)")
    parser.add_argument("--workloads", default=",".join(SIZES), help="comma-separated subset of %(default)s")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of %(default)s")
    args = parser.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    systems = [s for s in args.systems.split(",") if s]
    for name in workloads:
        if name not in SIZES:
            parser.error(f"unknown workload: {name}")
    for name in systems:
        if name not in SYSTEMS:
            parser.error(f"unknown system: {name}")
    if args.repeat < 1 or not args.scale > 0:
        parser.error("--repeat must be at least 1 and --scale positive")

    for system in systems:
        for workload in workloads:
            n, chunk = scaled(workload, args.scale)
            print(f"{system} {workload} n={n} chunks={chunk}…", file=sys.stderr, flush=True)
            seconds, check = best_seconds(SYSTEMS[system], workload, args.scale, args.repeat)
            row = {"workload": workload, "system": system, "seconds": seconds, "check": check, "n": n, "chunk": chunk}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
