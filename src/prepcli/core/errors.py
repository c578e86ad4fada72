"""The one user-facing error type and the located problems it carries."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Literal

    Severity = Literal["error", "warning"]


class Problem(NamedTuple):
    """Something wrong at a place in a user's file; line and column are 1-based. Problems
    sort by file, place, message, severity: the order of their fields."""

    path: str
    line: int
    col: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        """`path:line:col: error: message`, the form compilers and linters print."""
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"


class PrepError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback and exits 1."""

    exit_code = 1


class UsageError(PrepError):
    """A bad command-line value; exits 2 like any other usage error."""

    exit_code = 2


class ProblemsError(PrepError):
    """One or more located problems in user files, reported all at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
