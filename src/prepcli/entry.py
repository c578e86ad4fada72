"""Where every command line starts: the quick path for today's summary, and the mapping
of errors to messages and exit codes for every command.

`prepcli` and `prepcli today [--json]`, the lines people run most, are answered without
importing Typer or building its command tree, which is most of the framework's start-up.
Every other line goes to the Typer app (cli/commands.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from prepcli.cli.options import Options, locations_for, show_today
from prepcli.core.errors import PrepError, ProblemsError

#: Set by the completion scripts of `prepcli --install-completion` when the shell asks
#: which words can come next (with the command line in COMP_WORDS and the like).
COMPLETION_ENV = "_PREPCLI_COMPLETE"

#: A boolean environment variable's values, as click reads them ("" when unset).
BOOLEAN_WORDS = {
    **dict.fromkeys(("", "0", "false", "f", "no", "n", "off"), False),
    **dict.fromkeys(("1", "true", "t", "yes", "y", "on"), True),
}


def quick_today(args: list[str]) -> Options | None:
    """Options for `prepcli` / `prepcli today [--json]` when only the environment sets
    them, else None: any other line, or an environment value the parser would reject
    with its own message, goes through Typer."""
    if args not in ([], ["today"], ["today", "--json"]):
        return None
    if COMPLETION_ENV in os.environ:  # the shell asks for completions: Typer answers
        return None

    def listed(name: str) -> tuple[Path, ...]:
        # As click splits a list option's environment variable for paths.
        return tuple(Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p)

    db = os.environ.get("PREPCLI_DB") or None
    no_bundled = os.environ.get("PREPCLI_NO_BUNDLED", "").strip().lower()
    if no_bundled not in BOOLEAN_WORDS:
        return None  # Typer says what it accepts
    plans = listed("PREPCLI_PLANS")
    try:
        if (db is not None and Path(db).is_dir()) or any(p.is_file() for p in plans):
            return None
    except (OSError, ValueError):  # a name the system refuses: Typer's path says why
        return None
    return Options(
        db=None if db is None else Path(db),
        decks=listed("PREPCLI_DECKS"),
        plans=plans,
        no_bundled=BOOLEAN_WORDS[no_bundled],
    )


def replace_unencodable() -> None:
    """Output whose encoding cannot hold a character (PYTHONIOENCODING=ascii, a C locale)
    shows '?' for it instead of ending the command in a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def reader_went_away() -> bool:
    """Whether click ended the command because standard output's reader closed the pipe
    (`prepcli export --format csv | head -1`). Click then exits 1, after swapping stdout
    for a wrapper that keeps the interpreter's last flush quiet; for prepcli a reader that
    stops early is no failure, as for `yes | head -1`."""
    for name in ("typer._click.utils", "click.utils"):  # Typer's own copy of click, or click
        wrapper = getattr(sys.modules.get(name), "PacifyFlushWrapper", None)
        if wrapper is not None and isinstance(sys.stdout, wrapper):
            return True
    return False


def quiet_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush into the
    closed pipe raises nothing (the recipe of Python's signal documentation)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (a test's capture)
        pass


def run(argv: list[str] | None = None) -> int:
    """Run one command line and return its exit status; errors become messages."""
    args = sys.argv[1:] if argv is None else argv
    replace_unencodable()
    try:
        quick = quick_today(args)
        if quick is not None:
            show_today(locations_for(quick), as_json=bool(args[1:]))
        else:
            from prepcli.cli.commands import app

            app(args=args, prog_name="prepcli")
    except SystemExit as exc:
        if reader_went_away():
            return 0
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:  # `prepcli … | head -1`: the reader has all it wanted
        quiet_stdout()
        return 0
    except PrepError as exc:
        if os.environ.get("PREPCLI_DEBUG"):
            raise
        from prepcli.ui import render

        if isinstance(exc, ProblemsError):
            render.print_problems(exc.problems)
        else:
            render.print_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("PREPCLI_DEBUG") or "sqlite3" not in sys.modules:
            raise
        from prepcli.storage.sqlitefile import database_error

        error = database_error(exc)  # e.g. a damaged page met halfway through a command
        if error is None:
            raise
        from prepcli.ui import render

        render.print_error(str(error))
        return error.exit_code
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
