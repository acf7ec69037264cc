"""Outputs that change after they are shown, through a real jupyter_client: progress bars
(display_data, then update_display_data with the same display_id), the live task graph of
`visualizeLive`, and how the JupyterLab extension finds a Client's dashboard."""
from __future__ import annotations

import json
import re
import subprocess
import time
from queue import Empty
from pathlib import Path

import pytest

from conftest import ROOT
from kernel_session import CellRun, KernelSession

PROGRESS_MIME = "application/vnd.tessera.progress+json"
DASHBOARD_MIME = "application/vnd.tessera.dashboard+json"

# 12 tasks that take a moment each, summed by one more: 13 tasks in two operations.
GRAPH = """
import { delayed, computeWithProgress, progress, visualizeLive, Client, persist } from "@tessera/engine";
const slow = delayed(async function slow(x: number) {
  await new Promise((resolve) => setTimeout(resolve, 40));
  return x * 2;
});
const total = delayed(function total(...xs: number[]) { return xs.reduce((a, b) => a + b, 0); });
const graph = (offset: number) => total(...Array.from({ length: 12 }, (_, i) => slow(i + offset)));
"""


@pytest.fixture(scope="module")
def session(tessera_kernelspec):
    with KernelSession() as s:
        run = s.execute(GRAPH)
        assert run.status == "ok", run.outputs
        yield s


def displays(run: CellRun) -> list[tuple[str, dict]]:
    """(msg_type, content) of every display_data and update_display_data, in order."""
    return [(m["msg_type"], m["content"]) for m in run.outputs if m["msg_type"] in ("display_data", "update_display_data")]


def display_id(content: dict) -> str:
    return content.get("transient", {}).get("display_id", "")


def progress_bar(run: CellRun) -> tuple[dict, list[dict]]:
    """The bar's first display_data and its updates, checked to share one display_id."""
    shown = [(kind, c) for kind, c in displays(run) if PROGRESS_MIME in c["data"]]
    assert shown, run.outputs
    (kind, first), updates = shown[0], [c for _, c in shown[1:]]
    assert kind == "display_data"
    assert display_id(first), first
    assert updates, "the bar was never updated"
    assert all(kind == "update_display_data" for kind, _ in shown[1:])
    assert {display_id(c) for c in updates} == {display_id(first)}
    return first, updates


def test_compute_with_progress_shows_a_bar_updated_in_place(session) -> None:
    run = session.execute("const [value] = await computeWithProgress(graph(0));\nvalue")
    assert run.status == "ok", run.outputs
    assert run.text == str(2 * sum(range(12)))
    first, updates = progress_bar(run)
    assert first["data"][PROGRESS_MIME]["status"] == "running"
    assert first["data"][PROGRESS_MIME]["total"] == 13
    final = updates[-1]["data"]
    state = final[PROGRESS_MIME]
    assert state["status"] == "finished"
    assert state["done"] == state["total"] == 13
    assert {o["prefix"]: (o["done"], o["total"]) for o in state["operations"]} == {"slow": (12, 12), "total": (1, 1)}
    # A text form for text front ends, and HTML for JupyterLab.
    assert final["text/plain"].splitlines()[0].startswith("[##############################] 13/13 tasks")
    assert re.search(r"^\s+slow\s+\[#+\] 12/12$", final["text/plain"], re.M)
    assert 'data-tessera-progress="finished"' in final["text/html"]
    assert "13 / 13 tasks" in final["text/html"]


def test_progress_of_futures(session) -> None:
    run = session.execute(
        "const client = await Client.start({ nWorkers: 2, dashboardAddress: false });\n"
        "const futures = [1, 2, 3, 4].map((x) => client.submit(async (y: number) => {\n"
        "  await new Promise((resolve) => setTimeout(resolve, 50));\n"
        "  return y + 1;\n"
        "}, x));\n"
        "await progress(futures);\n"
        "const values = await client.gather(futures);\n"
        "await client.close();\n"
        "values"
    )
    assert run.status == "ok", run.outputs
    assert run.text == "[ 2, 3, 4, 5 ]"
    _, updates = progress_bar(run)
    state = updates[-1]["data"][PROGRESS_MIME]
    assert (state["status"], state["done"], state["total"]) == ("finished", 4, 4)


def test_progress_of_a_persisted_collection(session) -> None:
    run = session.execute("const [kept] = await persist(graph(100));\nawait progress(kept);\nawait kept.compute()")
    assert run.status == "ok", run.outputs
    assert run.text == str(2 * sum(range(100, 112)))
    _, updates = progress_bar(run)
    assert updates[-1]["data"][PROGRESS_MIME]["status"] == "finished"


def test_progress_bar_shows_a_failure(session) -> None:
    run = session.execute(
        "const bad = delayed(function bad(x: number) { if (x > 2) throw new RangeError('too big'); return x; });\n"
        "await computeWithProgress(total(bad(1), bad(5)))"
    )
    assert run.status == "error"
    assert run.error["ename"] == "TaskError"
    _, updates = progress_bar(run)
    state = updates[-1]["data"][PROGRESS_MIME]
    assert state["status"] == "erred"
    assert state["erred"] >= 1


def test_compute_option_progress(session) -> None:
    run = session.execute("await graph(200).compute({ progress: true })")
    assert run.status == "ok", run.outputs
    _, updates = progress_bar(run)
    assert updates[-1]["data"][PROGRESS_MIME]["status"] == "finished"


def test_live_graph_recolours_as_tasks_run(session) -> None:
    shown = session.execute("const g = graph(300);\nconst live = await visualizeLive(g);\nlive")
    assert shown.status == "ok", shown.outputs
    assert not shown.of_type("execute_result"), "a live value is shown with display_data, which can be updated"
    ((kind, first),) = displays(shown)
    assert kind == "display_data" and display_id(first)
    svg0 = first["data"]["image/svg+xml"]
    assert svg0.lstrip().startswith("<svg")
    assert "#d9d9d9" in svg0 and "#ef3b2c" not in svg0  # every task waiting (grey), none in memory (red)
    assert first["data"]["text/plain"] == "LiveGraph(13 tasks: waiting=13)"

    run = session.execute("const result = await g.compute();\nawait live.done;\nresult")
    assert run.status == "ok", run.outputs
    assert run.text == str(2 * sum(range(300, 312)))
    updates = [c for kind, c in displays(run) if kind == "update_display_data" and display_id(c) == display_id(first)]
    assert updates, run.outputs
    last = updates[-1]["data"]
    assert last["image/svg+xml"] != svg0
    assert "#ef3b2c" in last["image/svg+xml"]
    assert last["text/plain"].startswith("LiveGraph(13 tasks: memory=13")


def test_visualize_live_option_is_a_live_graph(session) -> None:
    shown = session.execute("const g2 = graph(400);\nconst live2 = await g2.visualize({ live: true });\nlive2")
    assert shown.status == "ok", shown.outputs
    ((kind, first),) = displays(shown)
    assert kind == "display_data" and display_id(first)
    assert first["data"]["text/plain"] == "LiveGraph(13 tasks: waiting=13)"
    # visualize() is typed as returning { dot, svg }; the live graph also has `done`.
    run = session.execute("await g2.compute();\nawait (live2 as unknown as { done: Promise<void> }).done;")
    assert run.status == "ok", run.outputs
    updates = [c for kind, c in displays(run) if kind == "update_display_data" and display_id(c) == display_id(first)]
    assert updates and updates[-1]["data"]["text/plain"].startswith("LiveGraph(13 tasks: memory=13")


def test_client_repr_carries_its_dashboard(session) -> None:
    none = session.execute("__tesseraDashboard()", silent=True)
    assert none.status == "ok"
    ((kind, answer),) = displays(none)
    assert answer["data"] == {"text/plain": "null"}

    run = session.execute("const withDashboard = await Client.start({ nWorkers: 1, dashboardAddress: ':0' });\nwithDashboard")
    assert run.status == "ok", run.outputs
    (result,) = run.of_type("execute_result")
    info = result["data"][DASHBOARD_MIME]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/status", info["link"]), info
    assert info["url"] == info["link"].removesuffix("status") and info["token"] is None
    assert info["link"] in result["data"]["text/html"]

    # The extension's silent query finds the same dashboard, and leaves no trace in the history.
    query = session.execute("__tesseraDashboard()", silent=True)
    assert not query.of_type("execute_input") and not query.of_type("execute_result")
    ((kind, answer),) = displays(query)
    assert kind == "display_data"
    assert answer["data"][DASHBOARD_MIME] == info
    assert json.loads(answer["data"]["text/plain"]) == info

    assert session.execute("await withDashboard.close()").status == "ok"
    ((_, gone),) = displays(session.execute("__tesseraDashboard()", silent=True))
    assert gone["data"] == {"text/plain": "null"}


def test_output_after_a_cell_ends_stays_with_that_cell_across_silent_queries(session) -> None:
    # A timer prints after its cell ended; meanwhile the extension's silent query runs (as it
    # does after every cell). The late line must still go to the cell that started the timer.
    first = session.execute('setTimeout(() => console.log("written later"), 1500);\n"scheduled"')
    assert first.status == "ok", first.outputs
    query = session.execute("__tesseraDashboard()", silent=True)
    assert not [o for o in query.of_type("stream") if "written later" in o["text"]]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            msg = session.kc.get_iopub_msg(timeout=0.2)
        except Empty:
            continue
        if msg["msg_type"] == "stream" and "written later" in msg["content"]["text"]:
            assert msg["parent_header"]["msg_id"] == first.reply["parent_header"]["msg_id"]
            return
    raise AssertionError("the late line never arrived")


def test_client_without_dashboard_publishes_none(session) -> None:
    run = session.execute("const quiet = await Client.start({ nWorkers: 1, dashboardAddress: false });\nconst shown = quiet;\nawait quiet.close();\nshown")
    (result,) = run.of_type("execute_result")
    assert DASHBOARD_MIME not in result["data"]
    assert result["data"]["text/plain"].startswith("Client(")


def test_plain_node_prints_one_text_line_to_a_pipe(tessera_kernelspec, tmp_path: Path) -> None:
    # Outside a kernel the bar is text on stderr; a pipe (not a terminal) gets only the final line.
    # A file, not `node -e`: worker threads inherit the process's flags, and --input-type breaks them.
    engine = (ROOT / "engine" / "dist" / "index.js").as_uri()
    script = tmp_path / "bar.mjs"
    script.write_text(
        f'import {{ delayed, computeWithProgress, closeSharedScheduler }} from "{engine}";\n'
        "const inc = delayed(function inc(x) { return x + 1; });\n"
        "const [v] = await computeWithProgress(inc(inc(1)));\n"
        "console.log(v);\n"
        "await closeSharedScheduler();\n"
    )
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"
    # inc(inc(1)) runs as one fused task.
    assert re.fullmatch(r"\[#{30}\] 1/1 tasks \| \d+\.\ds \| finished\n", out.stderr), out.stderr
