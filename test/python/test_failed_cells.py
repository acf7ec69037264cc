"""A cell that fails at run time keeps what it assigned before the error, as in Python: later
cells can use those names (with their types), while names it declares but never reached keep
what they were before (or stay undeclared). Driven through a real jupyter_client."""
from __future__ import annotations

from typing import Iterator

import pytest

from kernel_session import KernelSession


@pytest.fixture(scope="module")
def session(tessera_kernelspec) -> Iterator[KernelSession]:
    with KernelSession() as s:
        assert s.execute('function fail(): never { throw new Error("failed on purpose"); }').status == "ok"
        yield s


def value(session: KernelSession, expression: str) -> str:
    run = session.execute(expression)
    assert run.status == "ok", run.outputs
    return run.text


def error(session: KernelSession, code: str) -> dict:
    run = session.execute(code)
    assert run.status == "error", run.outputs
    return run.error


def test_names_assigned_before_the_error_stay_and_later_ones_do_not_exist(session: KernelSession) -> None:
    failed = error(session, 'const a = 1;\nlet b: string = "x";\nfail();\nconst c = 3;')
    assert failed["evalue"] == "failed on purpose"
    assert value(session, "[a, b]") == "[ 1, 'x' ]"
    # Their types came along: these only compile if a is a number and b a string.
    assert value(session, "const a2: number = a + 1; b.toUpperCase() + a2") == "'X2'"
    missing = error(session, "c")
    assert (missing["ename"], missing["evalue"]) == ("TSError", "Cannot find name 'c'.")


def test_a_name_redeclared_after_the_error_keeps_its_earlier_value_and_type(session: KernelSession) -> None:
    assert value(session, "let v = 41;\nv") == "41"
    error(session, 'fail();\nconst v = "text";')
    assert value(session, "const w: number = v + 1; w") == "42"


def test_a_name_redeclared_before_the_error_takes_its_new_value_and_type(session: KernelSession) -> None:
    assert value(session, "let u = 1;\nu") == "1"
    error(session, 'const u = "text";\nfail();')
    assert value(session, "const t: string = u; t.length") == "4"


def test_functions_classes_types_and_imports_before_the_error_stay(session: KernelSession) -> None:
    error(
        session,
        """import { basename } from "node:path";
interface Named { name: string }
class Thing implements Named { constructor(readonly name: string) {} }
function describe(n: Named): string { return `named ${n.name}`; }
fail();
class Later {}""",
    )
    assert value(session, 'describe(new Thing(basename("/tmp/widget")))') == "'named widget'"
    assert error(session, "new Later()")["evalue"] == "Cannot find name 'Later'."


def test_an_interrupted_cell_keeps_what_it_assigned(session: KernelSession) -> None:
    run = session.execute(
        "const before = 7;\nawait new Promise((resolve) => setTimeout(resolve, 60_000));\nconst after = 8;",
        during=session.km.interrupt_kernel,
        during_after=0.5,
        timeout=30,
    )
    assert run.error["ename"] == "KeyboardInterrupt"
    assert value(session, "before") == "7"
    assert error(session, "after")["ename"] == "TSError"


def test_a_cell_that_does_not_compile_changes_nothing(session: KernelSession) -> None:
    assert value(session, "let kept = 1;\nkept") == "1"
    assert error(session, 'kept = 2;\nconst bad: number = "no";')["ename"] == "TSError"
    assert value(session, "kept") == "1"
