"""The quickstart notebook, executed headlessly on the `tessera` kernel with nbclient, as
JupyterLab would run it: outputs have the expected values and MIME types, and only cells tagged
`raises-exception` fail. (The other notebooks have test_notebook_<name>.py.)"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS
from kernel_session import KernelSession
from notebook_run import execute_notebook


@pytest.fixture(scope="module")
def quickstart(notebook_runs) -> dict[str, nbformat.NotebookNode]:
    return notebook_runs("quickstart.ipynb").cells


def result(cell: nbformat.NotebookNode) -> dict:
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, cell.outputs
    return results[0]["data"]


def test_no_errors_except_where_expected(quickstart) -> None:
    assert quickstart, "the notebook has no cells"
    for cell in quickstart.values():
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        expected = "raises-exception" in cell.metadata.get("tags", [])
        assert bool(errors) == expected, (cell.id, cell.outputs)


def test_delayed_values_and_reprs(quickstart) -> None:
    graph = result(quickstart["build-graph"])
    assert re.fullmatch(r"Delayed\('add-[0-9a-f]+'\)", graph["text/plain"])
    assert "3 tasks" in graph["text/html"]
    assert "<strong>Delayed</strong>" in graph["text/html"]
    assert result(quickstart["compute"])["text/plain"] == "5"
    assert result(quickstart["compute-sync"])["text/plain"] == "[ 5, 11 ]"


def test_visualize_shows_svg(quickstart) -> None:
    data = result(quickstart["visualize"])
    assert data["image/svg+xml"].lstrip().startswith("<svg")
    # Tasks are labelled with their functions' names.
    assert ">inc<" in data["image/svg+xml"] and ">add<" in data["image/svg+xml"]
    assert "text/plain" in data


def test_client_submit_map_gather(quickstart) -> None:
    client = result(quickstart["client"])
    assert client["text/plain"].startswith("Client(workers=2, threads=2")
    assert "text/html" in client
    assert result(quickstart["submit"])["text/plain"] == "42"
    future = result(quickstart["future"])
    assert re.fullmatch(r"Future\('.+', status=finished\)", future["text/plain"])
    assert result(quickstart["map-gather"])["text/plain"] == "[ 1, 4, 9, 16, 25 ]"


def test_failing_task_reports_its_key(quickstart) -> None:
    (error,) = [o for o in quickstart["failing-task"].outputs if o.output_type == "error"]
    assert error.ename == "TaskError"
    assert re.fullmatch(r"Task checkPositive-[0-9a-f]+ failed: RangeError: -1 is negative", error.evalue)
    # The worker's frame points at the line of the cell that defined the function.
    definition = quickstart["define-failing"]
    line = next(n for n, text in enumerate(definition.source.split("\n"), start=1) if "throw new RangeError" in text)
    assert any(re.search(rf"cell\[{definition.execution_count}\]:{line}:\d+", frame) for frame in error.traceback), error.traceback
    assert f"Cell In[{definition.execution_count}], line {line}:" in error.traceback


def test_engine_imports_from_a_directory_outside_the_checkout(tessera_kernelspec, tmp_path: Path) -> None:
    # Neither tmp_path nor its ancestors have node_modules: the engine comes from the kernel's
    # own installation, for type checking and at run time.
    assert not any((d / "node_modules").exists() for d in [tmp_path, *tmp_path.parents])
    with KernelSession(cwd=tmp_path) as session:
        run = session.execute(
            'import { delayed } from "@tessera/engine";\n'
            "await delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0))([1, 2, 3]).compute()"
        )
        assert run.status == "ok", run.outputs
        assert run.text == "6"
        assert session.execute("process.cwd()").text == repr(str(tmp_path))


def test_quickstart_runs_from_a_copy_elsewhere(tessera_kernelspec, tmp_path: Path) -> None:
    copy = tmp_path / "quickstart.ipynb"
    shutil.copy(NOTEBOOKS / "quickstart.ipynb", copy)
    cells = execute_notebook(copy).cells
    assert result(cells["compute"])["text/plain"] == "5"
    assert result(cells["map-gather"])["text/plain"] == "[ 1, 4, 9, 16, 25 ]"
    assert [o.ename for o in cells["failing-task"].outputs if o.output_type == "error"] == ["TaskError"]
