"""Fixtures shared by the kernel and notebook tests: the `tessera` kernelspec of this checkout.

The kernelspec is installed into a fresh temporary prefix with the kernel's own installer
(`tessera-kernel install --prefix`), and JUPYTER_PATH points Jupyter at it for the whole
session, so every test drives the kernel built from this checkout, whatever else is installed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_run import NotebookRun, execute_notebook

ROOT = Path(__file__).resolve().parents[2]
KERNEL_CLI = ROOT / "kernel" / "dist" / "cli.js"
NOTEBOOKS = ROOT / "notebooks"

#: Wall-clock seconds of each notebook run in this session (kernel start included).
NOTEBOOK_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="session")
def tessera_kernelspec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the `tessera` kernelspec into a temporary prefix; returns its directory."""
    if not KERNEL_CLI.exists():
        pytest.fail(f"{KERNEL_CLI.relative_to(ROOT)} is missing: build first (npm run build, or npm test)")
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH")
    prefix = tmp_path_factory.mktemp("jupyter-prefix")
    subprocess.run(
        [node, str(KERNEL_CLI), "install", "--prefix", str(prefix), "--python", sys.executable],
        check=True,
        capture_output=True,
        text=True,
    )
    data_dir = prefix / "share" / "jupyter"
    spec_dir = data_dir / "kernels" / "tessera"
    assert (spec_dir / "kernel.json").exists()
    previous = os.environ.get("JUPYTER_PATH")
    # JUPYTER_PATH comes before the user's and the environment's data dirs.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(data_dir), previous]))
    yield spec_dir
    if previous is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = previous


@pytest.fixture(scope="session")
def kernel_json(tessera_kernelspec: Path) -> dict:
    return json.loads((tessera_kernelspec / "kernel.json").read_text())


class NotebookRuns:
    """Each example notebook executed at most once per test session: several test modules read
    the same run (a notebook takes seconds)."""

    def __init__(self) -> None:
        self._runs: dict[str, NotebookRun] = {}

    def __call__(self, name: str) -> NotebookRun:
        if name not in self._runs:
            self._runs[name] = execute_notebook(NOTEBOOKS / name)
            NOTEBOOK_SECONDS[name] = self._runs[name].seconds
        return self._runs[name]


@pytest.fixture(scope="session")
def notebook_runs(tessera_kernelspec: Path) -> NotebookRuns:
    return NotebookRuns()


def pytest_terminal_summary(terminalreporter) -> None:
    if NOTEBOOK_SECONDS:
        times = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(NOTEBOOK_SECONDS.items()))
        terminalreporter.write_line(f"notebook run times (kernel start included): {times}")
