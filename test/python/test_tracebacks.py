"""Tracebacks through a real jupyter_client point at the lines of the cells' TypeScript, not at
the JavaScript tslab runs: frames read `cell[N]:line:column` and the traceback shows each line
with a marker and a caret, as IPython does (`Cell In[N], line L`). The cells below are written
so their JavaScript has other line numbers than their TypeScript (interfaces and type-only
lines vanish, `if (…) throw …` is split over two lines), so an unmapped frame fails the test."""
from __future__ import annotations

import re
from typing import Iterator

import pytest

from kernel_session import CellRun, KernelSession


@pytest.fixture(scope="module")
def session(tessera_kernelspec) -> Iterator[KernelSession]:
    with KernelSession() as s:
        yield s


def run_ok(session: KernelSession, code: str) -> int:
    """Run a cell that must succeed; its execution count."""
    run = session.execute(code)
    assert run.status == "ok", run.outputs
    return run.reply["content"]["execution_count"]


def failing(session: KernelSession, code: str) -> tuple[int, list[str]]:
    run = session.execute(code)
    assert run.status == "error", run.outputs
    return run.reply["content"]["execution_count"], run.error["traceback"]


def line_of(code: str, text: str) -> int:
    """The 1-based line of `code` that contains `text`."""
    (line,) = [n for n, source in enumerate(code.split("\n"), start=1) if text in source]
    return line


def assert_shows_line(traceback: list[str], count: int, code: str, text: str, column_of: str) -> None:
    """The traceback has a frame at that cell line and column, and shows the line with a
    marker and a caret under `column_of`. (V8 places a thrown error's frame at its `new`.)"""
    line = line_of(code, text)
    source = code.split("\n")[line - 1]
    column = source.index(column_of) + 1
    assert any(re.search(rf"\bat (async )?(.+ \()?cell\[{count}\]:{line}:{column}\)?$", frame) for frame in traceback), traceback
    header = traceback.index(f"Cell In[{count}], line {line}:")
    marked = traceback[header + 1 : header + 5]
    (marker,) = [i for i, shown in enumerate(marked) if shown.startswith("---->")]
    assert marked[marker].endswith(source), marked
    caret = marked[marker + 1]
    assert caret.strip() == "^"
    assert caret.index("^") == marked[marker].index(source) + column - 1, (marked[marker], caret)


def test_a_function_from_an_earlier_cell_points_at_its_own_cell(session: KernelSession) -> None:
    definition = """interface Point {
  x: number;
  y: number;
}
function norm(p: Point): number {
  if (p.x < 0) throw new RangeError(`negative x: ${p.x}`);
  return Math.hypot(p.x, p.y);
}"""
    defined_in = run_ok(session, definition)
    use = """const points: Point[] = [
  { x: 3, y: 4 },
  { x: -1, y: 0 },
];
const norms = points.map((p) => norm(p));"""
    used_in, traceback = failing(session, use)
    assert traceback[0] == "RangeError: negative x: -1"
    assert_shows_line(traceback, defined_in, definition, "if (p.x < 0)", "new RangeError")
    assert_shows_line(traceback, used_in, use, "points.map", "norm(p)")
    # The function's frame comes first (innermost), with the name the user gave it.
    assert re.search(rf"at norm \(cell\[{defined_in}\]:", traceback[1]), traceback
    # Neither tslab's JavaScript nor the kernel's own frames show.
    assert not any("evalmachine" in t or "__tslab__" in t or "kernel/dist" in t or "exports." in t for t in traceback), traceback


def test_a_top_level_await_cell_points_at_the_awaiting_line(session: KernelSession) -> None:
    code = """type Reply = { ok: boolean };
async function fetchReply(): Promise<Reply> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new Error("no reply");
}
const reply: Reply = await fetchReply();"""
    count, traceback = failing(session, code)
    assert_shows_line(traceback, count, code, 'throw new Error("no reply")', "new Error")
    assert_shows_line(traceback, count, code, "await fetchReply()", "await")


def test_a_task_error_points_at_the_shipped_function_in_its_cell(session: KernelSession) -> None:
    code = """import { delayed } from "@tessera/engine";
const half = delayed(
  (n: number): number => {
    const h: number = n / 2;
    if (!Number.isInteger(h)) throw new RangeError(`${n} is odd`);
    return h;
  },
  { name: "half" },
);
await half(7).compute();"""
    count, traceback = failing(session, code)
    assert traceback[0].startswith("TaskError: Task half-")
    # The frame below "--- in the task ---" comes from the worker thread.
    worker = traceback[traceback.index("--- in the task ---") + 1 :]
    assert worker[0] == "RangeError: 7 is odd"
    assert_shows_line(worker, count, code, "if (!Number.isInteger(h))", "new RangeError")
    assert not any("tessera-function:" in t for t in traceback), traceback


def test_a_function_defined_earlier_and_run_by_client_submit(session: KernelSession) -> None:
    definition = """import { Client } from "@tessera/engine";
const client = await Client.start({ nWorkers: 1 });
function parse(text: string): number {
  const n = Number(text);
  if (Number.isNaN(n))
    throw new SyntaxError(`not a number: ${text}`);
  return n;
}"""
    defined_in = run_ok(session, definition)
    _, traceback = failing(session, 'await client.submit(parse, "abc").result()')
    assert "SyntaxError: not a number: abc" in traceback
    assert_shows_line(traceback, defined_in, definition, "throw new SyntaxError", "new SyntaxError")
    run_ok(session, "await client.close();")


def test_the_sync_scheduler_runs_the_original_function(session: KernelSession) -> None:
    code = """import { delayed } from "@tessera/engine";
const check = delayed(function check(flag: boolean) {
  if (flag) throw new Error("flag is set");
  return flag;
});
await check(true).compute({ scheduler: "sync" });"""
    count, traceback = failing(session, code)
    assert_shows_line(traceback, count, code, "if (flag)", "new Error")


def test_type_errors_show_the_cell_line(session: KernelSession) -> None:
    code = """const ok = 1;
const wrong: number = "text";"""
    count, traceback = failing(session, code)
    assert traceback[0] == "TSError: the cell did not compile"
    assert "2:7 - Type 'string' is not assignable to type 'number'." in traceback
    header = traceback.index(f"Cell In[{count}], line 2:")
    assert traceback[header + 2].startswith("---->") and traceback[header + 2].endswith('const wrong: number = "text";')
