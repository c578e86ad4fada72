"""Coding practice: a practice file from a card's starter, and the card's tests run for real.

The user's code never runs inside prepcli: the tests run in a fresh, isolated Python
(`sys.executable -I`, see practice_harness.py) with a temporary folder as its working
directory and in a process group of its own, which is killed as a whole at the timeout.
Each top-level statement of the card's `tests` is a step: asserts (and blocks holding
asserts) are the checks shown pass/fail; other statements are set-up, shown only when
they fail.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prepcli.core.cards import CardDef
from prepcli.core.errors import PrepError, Problem, ProblemsError, UsageError

HARNESS = Path(__file__).with_name("practice_harness.py")
DEFAULT_TIMEOUT = 10.0
OUTPUT_LIMIT = 4000  # characters of the solution's own output kept for display


@dataclass(frozen=True)
class Step:
    index: int
    line: int  # in the card's tests, 1-based
    end_line: int
    source: str
    kind: str  # "assert", "block" (holds asserts) or "setup"

    @property
    def is_check(self) -> bool:
        return self.kind != "setup"


@dataclass(frozen=True)
class StepResult:
    step: Step
    status: str  # "pass", "fail", "error", "timeout" or "not run"
    message: str = ""


@dataclass(frozen=True)
class CheckRun:
    card: str
    path: str
    results: tuple[StepResult, ...]  # every check, and set-up steps that did not pass
    load_error: str | None
    timed_out: bool
    timeout_seconds: float
    output: str

    @property
    def total(self) -> int:
        return sum(1 for r in self.results if r.step.is_check)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.step.is_check and r.status == "pass")

    @property
    def all_passed(self) -> bool:
        return self.load_error is None and not self.timed_out and self.passed == self.total

    def as_dict(self) -> dict[str, object]:
        return {
            "card": self.card,
            "path": self.path,
            "passed": self.passed,
            "total": self.total,
            "all_passed": self.all_passed,
            "timed_out": self.timed_out,
            "timeout_seconds": self.timeout_seconds,
            "load_error": self.load_error,
            "results": [
                {
                    "line": r.step.line,
                    "end_line": r.step.end_line,
                    "kind": r.step.kind,
                    "source": r.step.source,
                    "status": r.status,
                    "message": r.message,
                }
                for r in self.results
            ],
            "output": self.output,
        }


def require_practicable(card: CardDef) -> None:
    if not card.starter or not card.tests:
        raise UsageError(
            f"{card.key} has no starter and tests to practise with "
            "(coding cards with `starter:` and `tests:` can be practised)"
        )


def practice_file(root: Path, card: CardDef) -> Path:
    """Where the practice file of a card lives under a practice folder."""
    return root / card.deck / f"{card.id}.py"


def starter_text(card: CardDef) -> tuple[str, int]:
    """The new practice file's text, and the line to open the editor at (the starter)."""
    assert card.starter is not None
    header = [f"# Practice: {card.key}", "#"]
    header += [f"# {line}".rstrip() for line in card.front.strip().splitlines()]
    header += ["#", f"# Check it with:  prepcli practice {card.key} --check", ""]
    return "\n".join(header) + "\n" + card.starter.rstrip("\n") + "\n", len(header) + 1


def create_practice_file(path: Path, card: CardDef) -> tuple[bool, int]:
    """Write the starter unless a practice file is already there (never overwritten).

    Returns (created, line to open the editor at)."""
    from prepcli.files.safeio import private_folder, write_file

    text, line = starter_text(card)
    try:  # private, whole or not at all, and never over the user's own file
        private_folder(path.parent)
        write_file(path, lambda handle: handle.write(text))
    except FileExistsError:
        return False, 1
    except OSError as exc:
        raise PrepError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True, line


def parse_steps(card: CardDef) -> list[Step]:
    """The card's tests as steps; a card whose tests do not parse is the deck's problem."""
    source = card.tests or ""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ProblemsError(
            [
                Problem(
                    card.path,
                    card.line,
                    1,
                    f"card {card.id!r}: tests do not parse: {exc.msg} (tests line {exc.lineno})",
                )
            ]
        ) from None
    steps = []
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.Assert):
            kind = "assert"
        elif any(isinstance(node, ast.Assert) for node in ast.walk(statement)):
            kind = "block"
        else:
            kind = "setup"
        text = ast.get_source_segment(source, statement) or ""
        end = statement.end_lineno or statement.lineno
        steps.append(Step(index, statement.lineno, end, text, kind))
    return steps


def run_checks(card: CardDef, solution: Path, timeout: float = DEFAULT_TIMEOUT) -> CheckRun:
    """Run the card's tests against `solution` in a separate Python process."""
    require_practicable(card)
    steps = parse_steps(card)
    if not solution.is_file():
        raise PrepError(f"no practice file at {solution} (run `prepcli practice {card.key}` first)")
    with tempfile.TemporaryDirectory(prefix="prepcli-practice-") as temporary:
        folder = Path(temporary)
        tests_file = folder / "card_tests.py"
        tests_file.write_text(card.tests or "", encoding="utf-8")
        results_file = folder / "results.jsonl"
        output_file = folder / "output.txt"
        timed_out, status = _run_isolated(
            [str(HARNESS), str(solution.resolve()), str(tests_file), str(results_file)],
            folder,
            output_file,
            timeout,
        )
        events = _read_events(results_file)
        output = output_file.read_text("utf-8", errors="replace")[-OUTPUT_LIMIT:]
    return _collect(card, solution, steps, events, timed_out, status, timeout, output)


def _run_isolated(
    arguments: list[str], cwd: Path, output_file: Path, timeout: float
) -> tuple[bool, int]:
    """(timed out, exit status) of `python -I ARGUMENTS` in its own process group."""
    with open(output_file, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-I", *arguments],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one kill stops all it started
        )
        try:
            status = process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            status = process.wait()
            timed_out = True
        except BaseException:  # Ctrl-C while waiting: leave nothing running
            _kill_group(process.pid)
            process.wait()
            raise
        _kill_group(process.pid)  # anything the solution left running in the background
    return timed_out, status


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def _read_events(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text("utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut short by the kill
    return events


def _collect(
    card: CardDef,
    solution: Path,
    steps: list[Step],
    events: list[dict[str, object]],
    timed_out: bool,
    status: int,
    timeout: float,
    output: str,
) -> CheckRun:
    load = {e.get("status"): e for e in events if e.get("event") == "load"}
    done = {e["index"]: e for e in events if e.get("event") == "done"}
    started = {e["index"] for e in events if e.get("event") == "start"}
    load_error: str | None = None
    if "error" in load:
        load_error = str(load["error"].get("message", "could not load the file"))
    elif "ok" not in load:
        if timed_out:
            load_error = (
                f"loading it was still running after {timeout:g} s (a loop at the top level?): "
                "stopped, with all it started"
            )
        else:
            load_error = f"the Python process ended while loading your file ({_ended(status)})"
    results = []
    for step in steps:
        event = done.get(step.index)
        if load_error is not None:
            result = StepResult(step, "not run")
        elif event is not None:
            result = StepResult(step, str(event["status"]), str(event.get("message", "")))
        elif step.index in started and timed_out:
            result = StepResult(
                step,
                "timeout",
                f"still running after {timeout:g} s: stopped, with all it started",
            )
        elif step.index in started:
            result = StepResult(step, "error", f"the Python process ended ({_ended(status)})")
        else:
            result = StepResult(step, "not run")
        if step.is_check or result.status not in ("pass", "not run"):
            results.append(result)
    return CheckRun(
        card=card.key,
        path=str(solution),
        results=tuple(results),
        load_error=load_error,
        timed_out=timed_out,
        timeout_seconds=timeout,
        output=output,
    )


def _ended(status: int) -> str:
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"
