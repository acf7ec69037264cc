"""notebooks/dashboard.ipynb, run headlessly with every display message recorded: the Client card
carries its dashboard's address, the progress bar is one display updated in place until all
tasks are done, the live graph is recoloured in place while the next cell computes, and the
values and event counts agree with what the cells ask for."""
from __future__ import annotations

import re

import pytest

from notebook_run import NotebookRun

PROGRESS_MIME = "application/vnd.tessera.progress+json"
DASHBOARD_MIME = "application/vnd.tessera.dashboard+json"

WORKERS = 2
#: `job`: work(i) for i < 60, summed by one `total`; `job2`: work(i + 100) for i < 12, summed.
JOB_TASKS = {"work": 60, "total": 1}
JOB2_TASKS = {"work": 12, "total": 1}


@pytest.fixture(scope="module")
def run(notebook_runs) -> NotebookRun:
    return notebook_runs("dashboard.ipynb")


def display_id(content: dict) -> str:
    return (content.get("transient") or {}).get("display_id", "")


def updates_of(run: NotebookRun, shown: dict) -> list[dict]:
    """The update_display_data messages for the display `shown`, in whichever cell they came."""
    return [
        content
        for cell_id in run.messages
        for kind, content in run.displays(cell_id)
        if kind == "update_display_data" and display_id(content) == display_id(shown)
    ]


def test_the_client_card_links_its_dashboard(run: NotebookRun) -> None:
    data = run.result("5ad1c8b8")
    assert data["text/plain"].startswith(f"Client(workers={WORKERS}, threads={WORKERS}")
    info = data[DASHBOARD_MIME]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/status", info["link"]), info
    assert info["link"] in data["text/html"]


def test_compute_with_progress_updates_one_bar_until_every_task_is_done(run: NotebookRun) -> None:
    assert run.result("a21f9aca")["text/plain"] == str(sum(i * i for i in range(60)))
    bars = [(kind, c) for kind, c in run.displays("a21f9aca") if PROGRESS_MIME in c["data"]]
    (kind, first), *_ = bars
    assert kind == "display_data" and display_id(first)
    updates = updates_of(run, first)
    assert updates, "the bar was never updated"
    done = [u["data"][PROGRESS_MIME]["done"] for u in updates]
    assert done == sorted(done), "progress went backwards"
    final = updates[-1]["data"]
    state = final[PROGRESS_MIME]
    total = sum(JOB_TASKS.values())
    assert (state["status"], state["done"], state["total"]) == ("finished", total, total)
    assert {o["prefix"]: (o["done"], o["total"]) for o in state["operations"]} == {p: (n, n) for p, n in JOB_TASKS.items()}
    # The same state as text (for text front ends) and HTML (JupyterLab).
    assert final["text/plain"].splitlines()[0].startswith(f"[##############################] {total}/{total} tasks")
    assert re.search(rf"^\s+work\s+\[#+\] {JOB_TASKS['work']}/{JOB_TASKS['work']}$", final["text/plain"], re.M)
    assert 'data-tessera-progress="finished"' in final["text/html"]
    # What the saved notebook keeps is the final state.
    (saved,) = [o for o in run.cells["a21f9aca"].outputs if o.output_type == "display_data"]
    assert saved["data"][PROGRESS_MIME]["status"] == "finished"


def test_the_live_graph_is_recoloured_while_the_next_cell_computes(run: NotebookRun) -> None:
    ((kind, first),) = run.displays("ff1e4c84")
    assert kind == "display_data" and display_id(first)
    tasks = sum(JOB2_TASKS.values())
    assert first["data"]["text/plain"] == f"LiveGraph({tasks} tasks: waiting={tasks})"
    svg0 = first["data"]["image/svg+xml"]
    assert svg0.lstrip().startswith("<svg")
    updates = updates_of(run, first)
    assert updates, "the graph was never recoloured"
    assert any(kind == "update_display_data" for kind, _ in run.displays("1fe49dfe")), "no update while computing"
    last = updates[-1]["data"]
    assert last["image/svg+xml"].lstrip().startswith("<svg") and last["image/svg+xml"] != svg0
    assert last["text/plain"].startswith(f"LiveGraph({tasks} tasks: memory={tasks}")
    assert run.result("1fe49dfe")["text/plain"] == str(sum((i + 100) ** 2 for i in range(12)))


def test_the_event_history_counts_every_finished_task(run: NotebookRun) -> None:
    finished = sum(JOB_TASKS.values()) + sum(JOB2_TASKS.values())
    assert run.result("1d94307e")["text/plain"] == repr(f"{finished} tasks finished on {WORKERS} workers")
