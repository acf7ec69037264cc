"""notebooks/arrays.ipynb, run headlessly: lazy arrays are shown as Dask shows them (an HTML
table and an SVG chunk grid), exact results agree with NumPy, results on random data have the
statistics of uniform numbers and agree with each other, and the word count agrees with one
made here from the same CSV files."""
from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from notebook_run import NotebookRun
from oracles import js_values

N, CHUNK = 4000, 1000


@pytest.fixture(scope="module")
def run(notebook_runs) -> NotebookRun:
    return notebook_runs("arrays.ipynb")


def value(run: NotebookRun, cell_id: str):
    return js_values(run.result(cell_id)["text/plain"])[0]


def grid_lines(svg: str) -> tuple[int, int]:
    """Horizontal and vertical lines of a chunk diagram (one per chunk boundary)."""
    lines = re.findall(r'<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', svg)
    horizontal = sum(1 for x1, y1, x2, y2 in lines if float(y1) == float(y2))
    vertical = sum(1 for x1, y1, x2, y2 in lines if float(x1) == float(x2))
    return horizontal, vertical


def chunk_sizes(length: int, chunk: int, start: int, stop: int, step: int) -> list[int]:
    """How many of range(start, stop, step) fall in each chunk of an axis cut every `chunk`."""
    picked = range(length)[start:stop:step]
    sizes = [sum(1 for i in picked if lo <= i < lo + chunk) for lo in range(0, length, chunk)]
    return [s for s in sizes if s > 0]


def assert_lazy_array(data: dict, shape: tuple[int, ...], chunks: list[list[int]], dtype: str) -> None:
    chunksize = tuple(max(c) for c in chunks)
    plain = data["text/plain"]
    assert f"shape=({', '.join(map(str, shape))})" in plain and f"dtype={dtype}" in plain, plain
    assert f"chunksize=({', '.join(map(str, chunksize))})" in plain, plain
    assert data["image/svg+xml"].startswith("<svg")
    # One line per chunk boundary: rows across, columns down.
    assert grid_lines(data["image/svg+xml"]) == (len(chunks[0]) + 1, len(chunks[1]) + 1)
    html = data["text/html"]
    assert f"<td>({', '.join(map(str, shape))})</td><td>({', '.join(map(str, chunksize))})</td>" in html, html
    tasks = math.prod(len(c) for c in chunks)
    assert f"{tasks} chunks" in html and dtype in html


def test_a_random_array_is_shown_with_its_chunk_grid(run: NotebookRun) -> None:
    data = run.result("arrays-03")
    assert_lazy_array(data, (N, N), [[CHUNK] * 4, [CHUNK] * 4], "float64")
    assert f"{N * N * 8 / 2**20:.2f} MiB" in data["text/html"] and f"{CHUNK * CHUNK * 8 / 2**20:.2f} MiB" in data["text/html"]
    assert value(run, "arrays-04") == {
        "shape": [N, N],
        "numblocks": [N // CHUNK, N // CHUNK],
        "dtype": "float64",
        "MiB": N * N * 8 / 2**20,
        "tasks": (N // CHUNK) ** 2,
    }


def test_element_wise_result_is_still_lazy(run: NotebookRun) -> None:
    assert_lazy_array(run.result("arrays-06"), (N, N), [[CHUNK] * 4, [CHUNK] * 4], "float64")


def test_statistics_of_uniform_random_numbers(run: NotebookRun) -> None:
    stats = value(run, "arrays-08")
    # 16 million draws: the mean of x (= the mean of y) and the std are within 0.001 of
    # their expectations by a wide margin (their standard errors are below 1e-4).
    assert abs(stats["mean"] - 0.5) < 1e-3
    assert abs(stats["std"] - 1 / math.sqrt(12)) < 1e-3
    assert 0 <= stats["min"] < 1e-5 and 1 - 1e-5 < stats["max"] < 1
    assert stats["std of U(0,1)"] == pytest.approx(1 / math.sqrt(12), rel=1e-15)


def test_small_exact_results_agree_with_numpy(run: NotebookRun) -> None:
    a = np.arange(0, 12, 1).reshape(3, 4)
    assert value(run, "arrays-10") == {
        "a": a.tolist(),
        "colSums": a.sum(axis=0).tolist(),
        "rowMax": a.max(axis=1).tolist(),
        "where": np.where(a > 5, a, 0).tolist(),
        "dtype": str(a.dtype),
    }
    assert value(run, "arrays-16") == (np.array([[1, 2], [3, 4]]) @ np.array([[5, 6], [7, 8]])).tolist()


def test_a_slice_touches_only_its_chunks(run: NotebookRun) -> None:
    rows = chunk_sizes(N, CHUNK, 100, 1100, 1)
    columns = chunk_sizes(N, CHUNK, 0, N, 500)
    assert_lazy_array(run.result("arrays-12"), (sum(rows), sum(columns)), [rows, columns], "float64")
    picked = value(run, "arrays-13")
    corner = np.array(picked["corner"])
    assert corner.shape == (2, 3) and ((0 <= corner) & (corner < 1)).all()
    assert picked["x[1, 2]"] == corner[1, 2] and picked["same"] is True


def test_matrix_product_agrees_with_a_dot_product_made_in_the_notebook(run: NotebookRun) -> None:
    product = value(run, "arrays-15")
    assert product["shape"] == [N, 500]
    assert product["chunks"] == [[CHUNK] * 4, [500]]
    assert product["c[0, 0]"] == pytest.approx(product["row · col"], rel=1e-12)
    # E[x·b] = 1/4 per term: the mean entry is about 4000/4 (its spread here is under 1).
    assert abs(product["mean (≈ 4000/4)"] - N / 4) < 5


def test_npy_round_trip_and_numpy_reads_the_file(run: NotebookRun) -> None:
    expected = np.arange(0, 12, 1).reshape(3, 4) * 1.5
    back = value(run, "arrays-18")
    assert back == {"shape": [3, 4], "dtype": "float64", "chunks": [[2, 1], [4]], "values": expected.tolist()}
    assert value(run, "arrays-20") == f"{expected.dtype} {expected.shape} {expected.sum()}"


def test_word_frequencies_agree_with_a_count_made_here(run: NotebookRun) -> None:
    data = ROOT / "node_modules" / "vega-datasets" / "data"
    files = sorted(p for p in data.glob("*.csv"))
    counts: Counter[str] = Counter()
    for path in files:
        for line in Path(path).read_text(encoding="utf8").splitlines():
            counts.update(w for w in re.split(r"[^a-z]+", line.lower()) if len(w) > 2)
    shown = value(run, "arrays-23")
    assert shown["files"] == len(files)
    top = shown["top"]
    assert [n for _, n in top] == [n for _, n in counts.most_common(10)]
    assert all(counts[word] == n for word, n in top), top
    assert value(run, "arrays-25") is True
