"""Every example notebook in notebooks/ runs from top to bottom on the `tessera` kernel, as
JupyterLab's "Run All" would, with errors only in cells tagged `raises-exception`. The values
each notebook shows are checked by its own tests (test_notebooks.py for quickstart,
test_notebook_<name>.py for the others), which read the same runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import NOTEBOOKS

ALL = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert ALL, f"no notebooks in {NOTEBOOKS}"


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebook_runs_without_errors(notebook_runs, path: Path) -> None:
    # nbclient stops with CellExecutionError at the first untagged cell that fails.
    nb = notebook_runs(path.name).notebook
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        expected = "raises-exception" in cell.metadata.get("tags", [])
        assert bool(errors) == expected, (path.name, cell.get("id"), cell.outputs)
