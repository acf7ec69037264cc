"""A small driver for one running `tessera` kernel, used by the interrupt and directory tests:
execute a cell and collect its outputs and reply, with the message ids matched exactly."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any, Callable

from jupyter_client.manager import KernelManager


@dataclass
class CellRun:
    reply: dict[str, Any]
    outputs: list[dict[str, Any]] = field(default_factory=list)
    #: Seconds from the moment `during` fired to the first `error` message, if both happened.
    error_latency: float | None = None

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m["content"] for m in self.outputs if m["msg_type"] == msg_type]

    @property
    def error(self) -> dict[str, Any]:
        errors = self.of_type("error")
        assert len(errors) == 1, self.outputs
        return errors[0]

    @property
    def text(self) -> str:
        results = self.of_type("execute_result")
        assert len(results) == 1, self.outputs
        return results[0]["data"]["text/plain"]


class KernelSession:
    def __init__(self, cwd: Path | None = None) -> None:
        self.km = KernelManager(kernel_name="tessera")
        self.km.start_kernel(**({"cwd": str(cwd)} if cwd else {}))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def __enter__(self) -> "KernelSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(
        self,
        code: str,
        *,
        timeout: float = 60,
        during: Callable[[], None] | None = None,
        during_after: float = 0.0,
        silent: bool = False,
    ) -> CellRun:
        """Run `code`; `during` is called once, `during_after` seconds after the cell started
        (the kernel announced it with execute_input: an interrupt sent before a cell runs
        interrupts nothing, as with any kernel). `silent` sends the request as a front end's
        own query: no execute_input, no execute_result, no history."""
        msg_id = self.kc.execute(code, silent=silent, store_history=not silent)
        deadline = time.monotonic() + timeout
        started: float | None = None
        fired_at: float | None = None
        run = CellRun(reply={})
        idle = False
        while not idle:
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"no idle status for {code!r} within {timeout} s")
            if during is not None and fired_at is None and started is not None and now - started >= during_after:
                during()
                fired_at = time.monotonic()
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status":
                idle = msg["content"]["execution_state"] == "idle"
            elif kind == "execute_input":
                started = time.monotonic()
            else:
                if kind == "error" and fired_at is not None and run.error_latency is None:
                    run.error_latency = time.monotonic() - fired_at
                run.outputs.append(msg)
        while True:
            reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                run.reply = reply
                return run
