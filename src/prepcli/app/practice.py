"""Coding practice: a practice file from a card's starter, and the card's tests run for real.

The user's code never runs inside prepcli: the tests run in a fresh, isolated Python
(`sys.executable -I`, see practice_harness.py), contained by sandbox.py (a sandbox where
Linux offers one; always a scrubbed environment, a private temporary folder, rlimits,
and everything it starts stopped at the end or at the timeout). Each top-level statement
of the card's `tests` is a step: asserts (and blocks holding asserts) are the checks
shown pass/fail; other statements are set-up, shown only when they fail.

Code from a deck that is not bundled with prepcli is third-party: the caller must have
the user's consent before `run_checks` (see `is_bundled`, `code_digest`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import signal
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from prepcli.app import sandbox
from prepcli.core.cards import CardDef
from prepcli.core.errors import PrepError, Problem, ProblemsError, UsageError
from prepcli.storage import paths

if TYPE_CHECKING:
    from collections.abc import Callable

HARNESS = Path(__file__).with_name("practice_harness.py")
DEFAULT_TIMEOUT = 10.0
OUTPUT_LIMIT = 4000  # characters of the solution's own output kept for display
STATUSES = ("pass", "fail", "error")  # what the harness reports for a step


@dataclass(frozen=True)
class Step:  # a dataclass: a NamedTuple's `index` is tuple.index
    index: int
    line: int  # in the card's tests, 1-based
    end_line: int
    source: str
    kind: str  # "assert", "block" (holds asserts) or "setup"

    @property
    def is_check(self) -> bool:
        return self.kind != "setup"


class StepResult(NamedTuple):
    step: Step
    status: str  # "pass", "fail", "error", "timeout" or "not run"
    message: str = ""


class CheckRun(NamedTuple):
    card: str
    path: str
    results: tuple[StepResult, ...]  # every check, and set-up steps that did not pass
    load_error: str | None
    stopped: str | None  # None, "timeout" or "processes" (it started too many)
    timeout_seconds: float
    output: str

    @property
    def timed_out(self) -> bool:
        return self.stopped == "timeout"

    @property
    def total(self) -> int:
        return sum(1 for r in self.results if r.step.is_check)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.step.is_check and r.status == "pass")

    @property
    def all_passed(self) -> bool:
        return self.load_error is None and self.stopped is None and self.passed == self.total

    def as_dict(self) -> dict[str, object]:
        return {
            "card": self.card,
            "path": self.path,
            "passed": self.passed,
            "total": self.total,
            "all_passed": self.all_passed,
            "timed_out": self.timed_out,
            "stopped": self.stopped,
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


def is_bundled(card: CardDef) -> bool:
    """Whether the card comes from a deck shipped with prepcli (trusted: run without asking)."""
    try:
        return Path(card.path).resolve().is_relative_to(paths.bundled("decks").resolve())
    except (OSError, RuntimeError):
        return False


def code_digest(card: CardDef) -> str:
    """The SHA-256 of the deck code `--check` runs: what a user's approval is tied to."""
    return hashlib.sha256((card.tests or "").encode("utf-8", "surrogatepass")).hexdigest()


def prepare_checks(card: CardDef, solution: Path) -> list[Step]:
    """What is checked before anything runs (and before consent is asked)."""
    require_practicable(card)
    steps = parse_steps(card)
    if not solution.is_file():
        raise PrepError(f"no practice file at {solution} (run `prepcli practice {card.key}` first)")
    return steps


def run_checks(card: CardDef, solution: Path, timeout: float = DEFAULT_TIMEOUT) -> CheckRun:
    """Run the card's tests against `solution` in a separate, contained Python process."""
    steps = prepare_checks(card, solution)
    with (
        tempfile.TemporaryDirectory(prefix="prepcli-practice-") as temporary,
        tempfile.TemporaryFile() as output,
        tempfile.TemporaryFile() as results,
    ):
        folder = Path(temporary)
        # Everything the child reads is copied into its folder: in the sandbox nothing
        # else of the user's (the practice folder is often in the home) can be seen.
        shutil.copyfile(HARNESS, folder / "harness.py")
        (folder / "card_tests.py").write_text(card.tests or "", encoding="utf-8")
        try:
            shutil.copyfile(solution, folder / "solution.py")
        except OSError as exc:
            raise PrepError(f"cannot read {solution}: {exc.strerror or exc}") from None
        arguments = [folder / "harness.py", folder / "solution.py", folder / "card_tests.py"]
        ended = contained_runner()(
            folder,
            [*map(str, arguments), str(results.fileno())],
            output.fileno(),
            results.fileno(),
            timeout,
        )
        events = _read_events(results)
        text = _tail(output, OUTPUT_LIMIT)
    for event in events:
        if event.get("event") == "sandbox":
            raise PrepError(
                f"the sandbox could not be set up, so nothing was run: {event.get('message')}"
            )
    return _collect(card, solution, steps, events, ended, timeout, text)


def contained_runner() -> Callable[[Path, list[str], int, int, float], sandbox.Ended]:
    """How deck code runs here: sandbox.py on Linux and macOS, sandbox_windows.py on
    Windows (no rlimits or process groups that signals reach there)."""
    if sys.platform == "win32":
        from prepcli.app import sandbox_windows

        return sandbox_windows.run_contained
    return sandbox.run_contained


def visible(text: str) -> str:
    """Control and format characters (ESC, bidi overrides…) written as escapes: text the
    deck's code printed, or the code itself, must not drive the terminal. Newlines and
    tabs stay."""
    return "".join(
        ch
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
        else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in text
    )


def _tail(handle: IO[bytes], limit: int) -> str:
    size = handle.seek(0, 2)
    handle.seek(max(0, size - 4 * limit))  # at most 4 bytes a character in UTF-8
    return visible(handle.read().decode("utf-8", errors="replace")[-limit:])


def _read_events(handle: IO[bytes]) -> list[dict[str, object]]:
    handle.seek(0)
    events = []
    for line in handle.read().decode("utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            break  # a line cut short by the kill
        if isinstance(event, dict):
            events.append(event)
    return events


def _collect(
    card: CardDef,
    solution: Path,
    steps: list[Step],
    events: list[dict[str, object]],
    ended: sandbox.Ended,
    timeout: float,
    output: str,
) -> CheckRun:
    # The results file is written by the harness, in the same process as the code under
    # test: whatever is in it is taken only if well formed, and shown escaped.
    load = {e.get("status"): e for e in events if e.get("event") == "load"}
    done = {
        e["index"]: e
        for e in events
        if e.get("event") == "done"
        and isinstance(e.get("index"), int)
        and e.get("status") in STATUSES
    }
    started = {e["index"] for e in events if e.get("event") == "start"}
    stopped, status = ended.stopped, ended.status
    why = (
        f"still running after {timeout:g} s"
        if stopped == "timeout"
        else f"it started more than {sandbox.MAX_PROCESSES} processes"
    )
    load_error: str | None = None
    if "error" in load:
        load_error = visible(str(load["error"].get("message", "could not load the file")))
    elif "ok" not in load:
        if stopped == "timeout":
            load_error = (
                f"loading it was still running after {timeout:g} s (a loop at the top level?): "
                "stopped, with all it started"
            )
        elif stopped is not None:
            load_error = f"{why} while loading your file: stopped, with all it started"
        else:
            load_error = f"the Python process ended while loading your file ({_ended(status)})"
    results = []
    for step in steps:
        event = done.get(step.index)
        if load_error is not None:
            result = StepResult(step, "not run")
        elif event is not None:
            message = visible(str(event.get("message", "")))
            result = StepResult(step, str(event["status"]), message)
        elif step.index in started and stopped is not None:
            status_name = "timeout" if stopped == "timeout" else "error"
            result = StepResult(step, status_name, f"{why}: stopped, with all it started")
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
        stopped=stopped,
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
