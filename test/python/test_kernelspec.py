"""The installed kernelspec: what Jupyter reads to list and start the kernel."""
from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

from conftest import KERNEL_CLI


def test_kernelspec_is_found_by_jupyter(tessera_kernelspec: Path) -> None:
    spec = KernelSpecManager().get_kernel_spec("tessera")
    assert spec.display_name == "TypeScript (Tessera)"
    assert spec.language == "typescript"
    assert Path(spec.resource_dir) == tessera_kernelspec


def test_kernelspec_starts_node_by_absolute_paths(kernel_json: dict) -> None:
    node, cli, *rest = kernel_json["argv"]
    assert os.path.isabs(node) and os.access(node, os.X_OK)
    assert Path(cli) == KERNEL_CLI.resolve()
    assert rest == ["kernel", "--config-file", "{connection_file}"]


def test_kernelspec_interrupts_with_a_signal(kernel_json: dict) -> None:
    # SIGINT also stops a cell busy in synchronous code; see kernel/src/kernelspec.ts.
    assert kernel_json["interrupt_mode"] == "signal"
