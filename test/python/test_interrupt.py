"""Interrupting the `tessera` kernel with Jupyter's own client: the running computation is
cancelled (its cell ends with CancelledError), and the kernel goes on working."""
from __future__ import annotations

from typing import Iterator

import pytest

from kernel_session import KernelSession

# Generous: what matters is that the cell ends at all instead of running for its full minute.
ERROR_WITHIN_S = 5.0
# Long enough that the computation is surely running when the interrupt comes.
INTERRUPT_AFTER_S = 1.0

DEFINITIONS = """import { delayed } from "@tessera/engine";
const sleep = delayed(async (ms: number) => { await new Promise((r) => setTimeout(r, ms)); return ms; });
const spin = delayed((ms: number) => { const end = Date.now() + ms; while (Date.now() < end) {} return ms; });"""


@pytest.fixture(scope="module")
def session(tessera_kernelspec) -> Iterator[KernelSession]:
    with KernelSession() as s:
        assert s.execute(DEFINITIONS).status == "ok"
        yield s


def send_interrupt_request(session: KernelSession) -> None:
    msg = session.kc.session.msg("interrupt_request", {})
    session.kc.control_channel.send(msg)


@pytest.mark.parametrize("task", ["sleep", "spin"], ids=["awaiting-task", "busy-task"])
def test_interrupt_cancels_a_running_compute(session: KernelSession, task: str) -> None:
    run = session.execute(
        f"await {task}(60_000).compute()",
        during=session.km.interrupt_kernel,
        during_after=INTERRUPT_AFTER_S,
        timeout=30,
    )
    assert run.status == "error"
    assert run.error["ename"] == "CancelledError"
    assert "cancelled" in run.error["evalue"]
    assert run.error_latency is not None and run.error_latency < ERROR_WITHIN_S
    # The next cell runs, and so do new computations (a busy worker was replaced).
    assert session.execute(f"await {task}(10).compute()").text == "10"
    assert session.execute("1 + 1").text == "2"


def test_interrupt_request_message_also_cancels(session: KernelSession) -> None:
    run = session.execute(
        "await sleep(60_000).compute()",
        during=lambda: send_interrupt_request(session),
        during_after=INTERRUPT_AFTER_S,
        timeout=30,
    )
    assert run.error["ename"] == "CancelledError"
    assert run.error_latency is not None and run.error_latency < ERROR_WITHIN_S
    reply = session.kc.control_channel.get_msg(timeout=10)
    assert reply["msg_type"] == "interrupt_reply" and reply["content"]["status"] == "ok"
    assert session.execute("await sleep(10).compute()").text == "10"


def test_interrupt_stops_synchronous_code(session: KernelSession) -> None:
    run = session.execute(
        "while (true) {}", during=session.km.interrupt_kernel, during_after=INTERRUPT_AFTER_S, timeout=30
    )
    assert run.error["ename"] == "KeyboardInterrupt"
    assert session.execute('"still here"').text == "'still here'"


def test_interrupt_ends_any_await(session: KernelSession) -> None:
    run = session.execute(
        "await new Promise((resolve) => setTimeout(resolve, 60_000))",
        during=session.km.interrupt_kernel,
        during_after=INTERRUPT_AFTER_S,
        timeout=30,
    )
    assert run.error["ename"] == "KeyboardInterrupt"
    assert session.execute("3").text == "3"


def test_computations_of_other_cells_keep_running(session: KernelSession) -> None:
    # A computation started in an earlier cell belongs to that cell: interrupting a later
    # cell ends the later cell's wait, not the earlier computation.
    assert session.execute("const background = sleep(1500).compute();").status == "ok"
    run = session.execute(
        "await new Promise((resolve) => setTimeout(resolve, 60_000))",
        during=session.km.interrupt_kernel,
        during_after=0.2,
        timeout=30,
    )
    assert run.status == "error"
    assert session.execute("await background").text == "1500"
