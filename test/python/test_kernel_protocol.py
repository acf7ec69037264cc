"""The `tessera` kernel against jupyter_kernel_test's protocol checks, plus Tessera's own
kinds of output: engine objects' rich reprs, task errors that name their key, type errors."""
from __future__ import annotations

import re
from typing import Any

import jupyter_kernel_test
import pytest

ENGINE = 'import { delayed, Client } from "@tessera/engine";\n'


@pytest.mark.usefixtures("tessera_kernelspec")
class TesseraKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "tessera"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.ab", "matches": {"abs"}},
        {"text": "const tesseraValue = 1; tesseraVa", "matches": {"tesseraValue"}},
    ]
    complete_code_samples = ["1 + 1", "const x = 1;", "function f() { return 1; }", "await Promise.resolve(1)"]
    incomplete_code_samples = ["function f() {", "const xs = [1, 2,", "if (true) {", "1 +"]

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"tessera"', "result": "'tessera'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": "await Promise.resolve(7)", "result": "7"},
        # Engine objects get display adapters; visualize() shows its SVG.
        {"code": ENGINE + "delayed((x: number) => x + 1)(1)", "mime": "text/html"},
        {"code": ENGINE + "await delayed((x: number) => x + 1)(1).visualize()", "mime": "image/svg+xml"},
        # Any value's own repr methods.
        {"code": '({ toHTML: () => "<b>bold</b>" })', "mime": "text/html", "result": "<b>bold</b>"},
        {"code": '({ toSVG: () => "<svg></svg>" })', "mime": "image/svg+xml", "result": "<svg></svg>"},
        {
            "code": '({ [Symbol.for("tessera.mimeBundle")]: () => ({ "text/markdown": "**hi**" }) })',
            "mime": "text/markdown",
            "result": "**hi**",
        },
    ]
    code_display_data = [
        {"code": 'import { display } from "tslab";\ndisplay.html("<i>shown</i>")', "mime": "text/html"},
        {"code": 'import { display } from "tslab";\ndisplay.svg("<svg></svg>")', "mime": "image/svg+xml"},
    ]
    code_inspect_sample = "Math.max"
    code_generate_error = 'throw new Error("boom")'

    def run_cell(self, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        self.flush_channels()
        return self.execute_helper(code, timeout=60)

    def error_of(self, code: str) -> dict[str, Any]:
        reply, outputs = self.run_cell(code)
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1, outputs)
        for field in ("ename", "evalue", "traceback"):
            self.assertEqual(reply["content"][field], errors[0][field])
        return errors[0]

    def result_of(self, code: str) -> dict[str, Any]:
        reply, outputs = self.run_cell(code)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        results = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(len(results), 1, outputs)
        return results[0]["data"]

    def test_compute_with_the_engine(self) -> None:
        data = self.result_of(ENGINE + "const inc = delayed((x: number) => x + 1);\nawait inc(inc(1)).compute()")
        self.assertEqual(data["text/plain"], "3")

    def test_task_error_names_its_key(self) -> None:
        self.run_cell(
            ENGINE + 'const failing = delayed((x: number) => { throw new RangeError(`bad ${x}`); }, { name: "failing" });'
        )
        error = self.error_of("await failing(3).compute()")
        self.assertEqual(error["ename"], "TaskError")
        self.assertRegex(error["evalue"], r"^Task failing-[0-9a-f]+ failed: RangeError: bad 3$")
        # The stack from the worker thread is part of the traceback.
        self.assertIn("--- in the task ---", error["traceback"])

    def test_type_errors_are_reported_before_running(self) -> None:
        error = self.error_of('const n: number = "not a number";')
        self.assertEqual(error["ename"], "TSError")
        self.assertIn("not assignable to type 'number'", error["evalue"])

    def test_thrown_errors_keep_their_name_and_message(self) -> None:
        error = self.error_of('throw new RangeError("out of range")')
        self.assertEqual((error["ename"], error["evalue"]), ("RangeError", "out of range"))
        self.assertTrue(any("RangeError: out of range" in line for line in error["traceback"]))

    def test_future_and_client_reprs(self) -> None:
        self.run_cell(ENGINE + "const client = await Client.start({ nWorkers: 1 });\nconst f = client.submit((a: number) => a * 2, 21);")
        try:
            self.assertEqual(self.result_of("await f.result()")["text/plain"], "42")
            future = self.result_of("f")
            self.assertRegex(future["text/plain"], r"^Future\('.+', status=finished\)$")
            self.assertIn("finished", future["text/html"])
            client = self.result_of("client")
            self.assertRegex(client["text/plain"], r"^Client\(workers=1, threads=1, ")
            self.assertIn("Workers", client["text/html"])
        finally:
            self.run_cell("await client.close();")

    def test_execution_count_counts_cells(self) -> None:
        first, _ = self.run_cell("1")
        second, _ = self.run_cell("2")
        self.assertEqual(second["content"]["execution_count"], first["content"]["execution_count"] + 1)

    def test_comm_info_and_history_are_answered(self) -> None:
        for msg_type, content, field in [
            ("comm_info_request", {}, "comms"),
            ("history_request", {"output": False, "raw": True, "hist_access_type": "tail", "n": 5}, "history"),
        ]:
            msg = self.kc.session.msg(msg_type, content)
            self.kc.shell_channel.send(msg)
            reply = self.get_non_kernel_info_reply(timeout=15)
            assert reply is not None
            self.assertEqual(reply["msg_type"], msg_type.replace("_request", "_reply"))
            self.assertEqual(reply["parent_header"]["msg_id"], msg["header"]["msg_id"])
            self.assertEqual(reply["content"]["status"], "ok")
            self.assertIn(field, reply["content"])

    def test_requests_the_kernel_answers_itself_are_wrapped_in_busy_and_idle(self) -> None:
        # JupyterLab learns a notebook kernel's status from the busy/idle around the
        # history_request it sends on opening: without them the kernel stays "unknown".
        self.flush_channels()
        msg = self.kc.session.msg("history_request", {"output": False, "raw": True, "hist_access_type": "tail", "n": 5})
        self.kc.shell_channel.send(msg)
        self.get_non_kernel_info_reply(timeout=15)
        states = []
        while "idle" not in states:
            status = self.kc.get_iopub_msg(timeout=10)
            if status["msg_type"] == "status" and status["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                states.append(status["content"]["execution_state"])
        self.assertEqual(states, ["busy", "idle"])
