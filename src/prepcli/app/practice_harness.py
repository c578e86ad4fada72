"""Runs a practice solution against a card's tests, one top-level statement at a time.

prepcli starts this file in a separate, isolated interpreter
(`python -I practice_harness.py SOLUTION TESTS RESULTS_FD`, in the sandbox of sandbox.py
where there is one); it imports nothing from prepcli. The solution is loaded as the
module `solution` (so an `if __name__ == "__main__":` block does not run) and every test
statement runs in its namespace. Each step's outcome is written to the open descriptor
RESULTS_FD (a file prepcli reads afterwards: in the sandbox no file outside can be
written) as a JSON line and flushed at once: when the run is killed at its timeout, the
parent still knows which step was running.
"""

from __future__ import annotations

import ast
import json
import operator
import os
import sys
import types
from collections.abc import Callable
from typing import Any, TextIO

_COMPARISONS: dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Is: ("is", operator.is_),
    ast.IsNot: ("is not", operator.is_not),
    ast.In: ("in", lambda a, b: a in b),
    ast.NotIn: ("not in", lambda a, b: a not in b),
}


def _short(value: Any, limit: int = 160) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ in the solution
        text = f"<unprintable {type(value).__name__}: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(exc: BaseException, solution: str, tests: str) -> str:
    """' (line N of your file)' for the innermost frame in the solution, else the tests."""
    in_solution = in_tests = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == solution:
            in_solution = tb.tb_lineno
        elif filename == tests:
            in_tests = tb.tb_lineno
        tb = tb.tb_next
    if in_solution is not None:
        return f" (line {in_solution} of your file)"
    if in_tests is not None:
        return f" (test line {in_tests})"
    return ""


def _describe(exc: BaseException, solution: str, tests: str) -> str:
    text = str(exc)
    head = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return head + _where(exc, solution, tests)


def _evaluate(node: ast.expr, namespace: dict[str, Any], filename: str) -> Any:
    return eval(compile(ast.Expression(node), filename, "eval"), namespace)


def run_step(
    statement: ast.stmt, namespace: dict[str, Any], solution: str, tests: str
) -> tuple[str, str]:
    """('pass' | 'fail' | 'error', message) for one top-level test statement."""
    try:
        test = statement.test if isinstance(statement, ast.Assert) else None
        if (
            isinstance(statement, ast.Assert)
            and isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and type(test.ops[0]) in _COMPARISONS
        ):
            # Evaluate each side once, as Python would, to show both when they disagree.
            symbol, compare = _COMPARISONS[type(test.ops[0])]
            left = _evaluate(test.left, namespace, tests)
            right = _evaluate(test.comparators[0], namespace, tests)
            if compare(left, right):
                return "pass", ""
            if symbol == "==":
                detail = f"got {_short(left)}, expected {_short(right)}"
            else:
                detail = f"{_short(left)} {symbol} {_short(right)} is false"
            if statement.msg is not None:
                detail = f"{_evaluate(statement.msg, namespace, tests)}: {detail}"
            return "fail", detail
        module = ast.Module(body=[statement], type_ignores=[])
        exec(compile(module, tests, "exec"), namespace)
        return "pass", ""
    except AssertionError as exc:
        return "fail", (str(exc) or "assertion failed") + _where(exc, solution, tests)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from the solution too
        return "error", _describe(exc, solution, tests)


def _emit(out: TextIO, **event: Any) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    solution, tests, results = argv[1:4]
    if results.isdigit():  # a descriptor prepcli passed open (POSIX)
        descriptor = int(results)
        os.set_inheritable(descriptor, False)  # not for the processes the code starts
        target: int | str = descriptor
    else:  # a file in the run's folder (Windows: descriptors are not passed by number)
        target = results
    with open(target, "a", encoding="utf-8") as out:
        with open(tests, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), tests)
        module = types.ModuleType("solution")
        module.__file__ = solution
        sys.modules["solution"] = module  # dataclasses and pickle look modules up here
        namespace = module.__dict__
        _emit(out, event="load", status="start")
        try:
            with open(solution, encoding="utf-8") as handle:
                code = compile(handle.read(), solution, "exec")
            exec(code, namespace)
        except SyntaxError as exc:
            where = f" (line {exc.lineno} of your file)" if exc.lineno else ""
            _emit(out, event="load", status="error", message=f"SyntaxError: {exc.msg}{where}")
            return 0
        except BaseException as exc:
            _emit(out, event="load", status="error", message=_describe(exc, solution, tests))
            return 0
        _emit(out, event="load", status="ok")
        for index, statement in enumerate(tree.body):
            _emit(out, event="start", index=index)
            status, message = run_step(statement, namespace, solution, tests)
            _emit(out, event="done", index=index, status=status, message=message)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
