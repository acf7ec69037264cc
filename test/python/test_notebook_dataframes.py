"""notebooks/dataframes.ipynb, run headlessly: each answer it shows agrees with DuckDB running
the same question on the same files, and lazy frames and computed tables are shown with their
HTML reprs (partitions, columns and types; first rows and shape)."""
from __future__ import annotations

import math
import subprocess

import pytest

from conftest import NOTEBOOKS
from notebook_run import NotebookRun
from oracles import arrow_table, duckdb, js_values

FLIGHTS = "node_modules/vega-datasets/data/flights-3m.parquet"
FLIGHT_COLUMNS = ["origin", "destination", "delay", "distance"]

#: Arrow's name for each (Parquet physical type, converted type) in these files.
ARROW_TYPE = {
    ("BYTE_ARRAY", "UTF8"): "Utf8",
    ("INT64", None): "Int64",
    ("INT32", None): "Int32",
    ("DOUBLE", None): "Float64",
    ("INT64", "TIMESTAMP_MILLIS"): "Timestamp<MILLISECOND>",
}

#: An approximate quantile (a merged sketch, as Dask's) must rank within this of the exact one.
QUANTILE_RANK_SLACK = 0.01


@pytest.fixture(scope="module")
def run(notebook_runs) -> NotebookRun:
    return notebook_runs("dataframes.ipynb")


@pytest.fixture(scope="module")
def taxi_glob() -> str:
    # The notebook's own command; the files are made once and then reused, so this names them.
    out = subprocess.run(
        ["node", "../scripts/make-taxi-data.mjs", "--n", "3e5", "--files", "6"], cwd=NOTEBOOKS, capture_output=True, text=True, check=True
    ).stdout
    directory = out.split("taxi: ", 1)[1].split()[0]
    return f"{directory}/*.parquet"


def table(run: NotebookRun, cell_id: str) -> tuple[list[str], list[list[str]]]:
    """A cell's computed table: shown as HTML too, and its stated shape matches its rows."""
    data = run.result(cell_id)
    assert "<table" in data["text/html"], data
    names, rows, shape = arrow_table(data["text/plain"])
    assert shape == (len(rows), len(names)), data["text/plain"]
    return names, rows


def lazy_frame(run: NotebookRun, cell_id: str) -> tuple[int, dict[str, str]]:
    """A lazy DataFrame's repr: partitions and column types, shown as HTML too."""
    data = run.result(cell_id)
    title, *columns = data["text/plain"].split("\n")
    partitions, count = title.removeprefix("Tessera DataFrame · ").split(" · ")
    dtypes = dict(line.strip().split(": ", 1) for line in columns)
    assert count == f"{len(dtypes)} columns"
    assert "<table" in data["text/html"] and all(name in data["text/html"] for name in dtypes)
    return int(partitions.split()[0]), dtypes


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_approximate_quantile(value: float, column: str, source: str, q: float, where: str = "true") -> None:
    low, high = max(0.0, q - QUANTILE_RANK_SLACK), min(1.0, q + QUANTILE_RANK_SLACK)
    (bounds,) = duckdb(
        q=f"select quantile_cont({column}, {low}) as lo, quantile_cont({column}, {high}) as hi from {source} where {where}"
    )["q"]
    assert bounds["lo"] <= value <= bounds["hi"], (column, q, value, bounds)


def parquet_types(path: str) -> dict[str, str]:
    """Arrow types of the columns of the Parquet file(s) at `path` (a glob: the files agree)."""
    rows = duckdb(schema=f"select name, type, converted_type from parquet_schema('{path}') where type is not null")["schema"]
    return {row["name"]: ARROW_TYPE[(row["type"], row["converted_type"])] for row in rows}


def test_a_lazy_frame_shows_one_partition_per_row_group_and_the_file_types(run: NotebookRun) -> None:
    partitions, dtypes = lazy_frame(run, "flights")
    (groups,) = duckdb(g=f"select count(distinct row_group_id) as n from parquet_metadata('{FLIGHTS}')")["g"]
    assert partitions == int(groups["n"])
    types = parquet_types(FLIGHTS)
    assert dtypes == {column: types[column] for column in FLIGHT_COLUMNS}


def test_head_shows_the_first_rows_of_the_file(run: NotebookRun) -> None:
    names, rows = table(run, "head")
    expected = duckdb(head=f"select {', '.join(FLIGHT_COLUMNS)} from '{FLIGHTS}' limit 3")["head"]
    assert names == FLIGHT_COLUMNS
    assert rows == [[str(row[c]) for c in FLIGHT_COLUMNS] for row in expected]


def test_mean_delay_of_the_busiest_origins(run: NotebookRun) -> None:
    names, rows = table(run, "groupby")
    expected = duckdb(
        top=f"""select origin, avg(delay) as delay_mean, count(delay) as delay_count from '{FLIGHTS}'
                group by origin having count(delay) >= 10000 order by delay_mean desc limit 5"""
    )["top"]
    assert names == ["origin", "delay_mean", "delay_count"]
    assert [r[0] for r in rows] == [e["origin"] for e in expected]
    assert all(close(float(r[1]), e["delay_mean"]) for r, e in zip(rows, expected)), (rows, expected)
    assert [int(r[2]) for r in rows] == [int(e["delay_count"]) for e in expected]


def test_late_short_flights_by_origin(run: NotebookRun) -> None:
    names, rows = table(run, "filter")
    expected = duckdb(
        late=f"""select origin, count(*) as size from '{FLIGHTS}' where delay > 60 and distance < 500
                 group by origin order by size desc limit 5"""
    )["late"]
    assert names == ["origin", "size"]
    assert [(r[0], int(r[1])) for r in rows] == [(e["origin"], int(e["size"])) for e in expected]


def test_describe_matches_the_exact_statistics(run: NotebookRun) -> None:
    names, rows = table(run, "describe")
    assert names == ["statistic", "delay", "distance"]
    stats = {r[0]: r[1:] for r in rows}
    assert list(stats) == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    for i, column in enumerate(["delay", "distance"]):
        (exact,) = duckdb(
            s=f"""select count({column}) as count, avg({column}) as mean, stddev_samp({column}) as std,
                  min({column}) as min, max({column}) as max from '{FLIGHTS}'"""
        )["s"]
        shown = {name: float(values[i]) for name, values in stats.items()}
        assert shown["count"] == int(exact["count"])
        assert close(shown["mean"], exact["mean"]) and close(shown["std"], exact["std"]), (shown, exact)
        assert (shown["min"], shown["max"]) == (float(exact["min"]), float(exact["max"]))
        for name, q in [("25%", 0.25), ("50%", 0.5), ("75%", 0.75)]:
            assert_approximate_quantile(shown[name], column, f"'{FLIGHTS}'", q)


def test_strings_and_dates_accessors_by_weekday(run: NotebookRun) -> None:
    names, rows = table(run, "strings-dates")
    # DuckDB's isodow counts Monday as 1; pandas' dayofweek, and Tessera's, as 0.
    expected = duckdb(
        days=f"""select isodow(date) - 1 as weekday, avg(delay) as delay_mean, count(delay) as delay_count
                 from '{FLIGHTS}' where starts_with(origin, 'S') group by weekday order by weekday"""
    )["days"]
    assert names == ["weekday", "delay_mean", "delay_count"]
    assert [int(r[0]) for r in rows] == [int(e["weekday"]) for e in expected] == list(range(7))
    assert [int(r[2]) for r in rows] == [int(e["delay_count"]) for e in expected]
    assert all(close(float(r[1]), e["delay_mean"]) for r, e in zip(rows, expected)), (rows, expected)


def test_the_taxi_files_are_read_lazily_one_partition_per_file(run: NotebookRun, taxi_glob: str) -> None:
    partitions, dtypes = lazy_frame(run, "taxi-make")
    (files,) = duckdb(f=f"select count(distinct file_name) as n from parquet_metadata('{taxi_glob}')")["f"]
    assert partitions == int(files["n"]) == 6
    assert dtypes == parquet_types(taxi_glob)


def test_mean_tip_by_passenger_count(run: NotebookRun, taxi_glob: str) -> None:
    names, rows = table(run, "tip")
    expected = duckdb(
        tip=f"""select passenger_count, avg(tip_amount) as tip from '{taxi_glob}'
                where passenger_count is not null group by passenger_count order by passenger_count"""
    )["tip"]
    assert names == ["passenger_count", "tip_amount"]
    assert [int(r[0]) for r in rows] == [e["passenger_count"] for e in expected]
    assert all(close(float(r[1]), e["tip"]) for r, e in zip(rows, expected)), (rows, expected)


def test_tip_fraction_quantiles_and_payment_counts(run: NotebookRun, taxi_glob: str) -> None:
    data = run.result("payment")
    (quantiles, counts) = js_values(data["text/plain"])[0]
    for q, value in zip([0.25, 0.5, 0.75], quantiles):
        assert_approximate_quantile(value, "tip_amount / fare_amount", f"'{taxi_glob}'", q, "payment_type = 'Credit card'")
    expected = duckdb(
        counts=f"select payment_type, count(*) as count from '{taxi_glob}' group by payment_type order by count desc"
    )["counts"]
    assert counts == [{"payment_type": e["payment_type"], "count": int(e["count"])} for e in expected]
