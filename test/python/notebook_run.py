"""Running an example notebook headlessly on the `tessera` kernel with nbclient, as JupyterLab's
"Run All" would, keeping what a saved notebook loses: every display message each cell received
(a progress bar's updates, a live graph's recolourings), with its display_id."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

DISPLAY_MESSAGES = ("execute_result", "display_data", "update_display_data")


class RecordingClient(NotebookClient):
    """nbclient's client, also recording each cell's iopub messages by cell id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def process_message(self, msg: dict[str, Any], cell: nbformat.NotebookNode, cell_index: int):
        # A copy: nbclient rewrites update_display_data messages while applying them.
        self.messages.setdefault(cell.get("id", str(cell_index)), []).append((msg["msg_type"], copy.deepcopy(msg["content"])))
        return super().process_message(msg, cell, cell_index)


@dataclass
class NotebookRun:
    notebook: nbformat.NotebookNode
    messages: dict[str, list[tuple[str, dict[str, Any]]]]
    seconds: float
    cells: dict[str, nbformat.NotebookNode] = field(init=False)

    def __post_init__(self) -> None:
        self.cells = {cell.id: cell for cell in self.notebook.cells}

    def result(self, cell_id: str) -> dict[str, Any]:
        """The MIME bundle of the cell's one execute_result."""
        results = [o for o in self.cells[cell_id].outputs if o.output_type == "execute_result"]
        assert len(results) == 1, (cell_id, self.cells[cell_id].outputs)
        return results[0]["data"]

    def displays(self, cell_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(msg_type, content) of every display message the cell received, in order."""
        return [(kind, content) for kind, content in self.messages.get(cell_id, []) if kind in DISPLAY_MESSAGES]


def execute_notebook(path: Path, timeout: int = 120) -> NotebookRun:
    nb = nbformat.read(path, as_version=4)
    # Run from the notebook's own directory, as JupyterLab does.
    client = RecordingClient(nb, kernel_name="tessera", timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    started = time.monotonic()
    client.execute()
    return NotebookRun(nb, client.messages, time.monotonic() - started)
