"""Rich reprs of collections and their results, through a real jupyter_client: a lazy
DataFrame shows partitions, columns and types without computing; a computed Arrow table its
first rows and shape; an NDArray its shape, type and first values; a lazy Array its chunk table."""
from __future__ import annotations

import pytest

from kernel_session import KernelSession

SETUP = """
import { fromRecords, da } from "@tessera/engine";
const rows = Array.from({ length: 25 }, (_, i) => ({ city: i % 2 ? "Oslo" : "Lima", temp: i * 1.5 }));
const df = fromRecords(rows, { npartitions: 3 });
"""


@pytest.fixture(scope="module")
def session(tessera_kernelspec):
    with KernelSession() as s:
        run = s.execute(SETUP)
        assert run.status == "ok", run.outputs
        yield s


def result_of(session, code: str) -> dict:
    run = session.execute(code)
    assert run.status == "ok", run.outputs
    (result,) = run.of_type("execute_result")
    return result["data"]


def test_lazy_dataframe_shows_partitions_columns_and_types(session) -> None:
    data = result_of(session, "df")
    assert "3 partitions" in data["text/plain"] and "2 columns" in data["text/plain"]
    assert "city: " in data["text/plain"] and "temp: " in data["text/plain"]
    assert "<table" in data["text/html"] and ">temp<" in data["text/html"]


def test_computed_table_shows_first_rows_and_shape(session) -> None:
    data = result_of(session, "await df.compute()")
    assert "[25 rows × 2 columns]" in data["text/plain"]
    assert "… 15 more rows" in data["text/plain"]
    html = data["text/html"]
    assert html.count("<tr>") == 11  # header + 10 rows
    assert ">Lima<" in html and ">1.5<" in html


def test_ndarray_and_lazy_array(session) -> None:
    nd = result_of(session, "await da.arange(0, 12, 1, { chunks: 5 }).compute()")
    assert nd["text/plain"].startswith("NDArray shape=(12)")
    assert "array([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11], dtype=int64)" in nd["text/plain"]
    assert "<pre" in nd["text/html"] and "dtype=int64)" in nd["text/html"]
    big = result_of(session, "await da.arange(0, 2000, 1, { chunks: 500 }).reshape([40, 50]).compute()")
    # Beyond 1000 elements only the edges are shown, as NumPy does.
    assert "..." in big["text/plain"] and "1999]], dtype=int64)" in big["text/plain"]
    lazy = result_of(session, "da.ones([4, 6], { chunks: 2 })")
    assert "<svg" in lazy["text/html"] or "image/svg+xml" in lazy
