"""Independent answers for the notebook tests, and readers for what the notebooks print.

- `duckdb`: SQL run by DuckDB (`@duckdb/node-api`, the project's reference database for
  DataFrame results), so expected values come from the data, not from Tessera.
- `js_values`: the values a cell printed as Node's `util.inspect` text (`{ a: [ 1n ] }`), read
  back by evaluating that text in Node: it is JavaScript literal syntax for plain data.
- `arrow_table`: the rows of the kernel's plain-text form of an Arrow table.
"""
from __future__ import annotations

import json
import re
import subprocess
from typing import Any

from conftest import ROOT

_DUCKDB = """
import { DuckDBInstance } from "@duckdb/node-api";
const queries = JSON.parse(process.argv[1]);
const connection = await (await DuckDBInstance.create(":memory:")).connect();
const answers = {};
for (const [name, sql] of Object.entries(queries)) {
  answers[name] = (await connection.runAndReadAll(sql)).getRowObjectsJson();
}
process.stdout.write(JSON.stringify(answers));
"""

_JS_VALUES = """
const texts = JSON.parse(process.argv[1]);
const json = (value) => JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? Number(v) : v));
process.stdout.write("[" + texts.map((text) => json((0, eval)("(" + text + ")"))).join(",") + "]");
"""


def _node(script: str, argument: Any) -> Any:
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(argument)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def duckdb(**queries: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of each query (relative paths from the repository root). DuckDB's JSON gives
    64-bit integers as strings."""
    return _node(_DUCKDB, queries)


def js_values(*texts: str) -> list[Any]:
    """The values printed as `texts` (BigInts become numbers)."""
    return _node(_JS_VALUES, list(texts))


def arrow_table(text: str) -> tuple[list[str], list[list[str]], tuple[int, int]]:
    """Column names, rows (cell texts) and the shape stated under a table's plain-text repr."""
    *lines, footer = text.split("\n")
    shape = re.fullmatch(r"\[(\d+) rows × (\d+) columns\]", footer)
    assert shape, footer
    names, *rows = [line.split("\t") for line in lines if not line.startswith("… ")]
    return names, rows, (int(shape[1]), int(shape[2]))
