"""The command reference, docs/COMMANDS.md, generated from the app's own `--help`.

    python -m prepcli.cli.reference > docs/COMMANDS.md

writes it again; tests/test_reference.py fails when the file and the help differ, so a
changed option or help text cannot leave the reference behind. Each command's section is
its `--help` exactly as the terminal shows it, at a fixed width and without colour.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout, suppress

import typer.main
from typer.core import TyperGroup

from prepcli.cli.commands import app

WIDTH = 100
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

HEADER = """# prepcli command reference

Every command's `--help`, generated from the app by
`python -m prepcli.cli.reference > docs/COMMANDS.md` (a test keeps it in sync).
Placeholders are in capitals (`CARD_ID`, `DATE`, `PATH`, `N`); `{NAME}` is required,
`[NAME]` optional, and `...` repeatable.
"""


def command_paths() -> list[tuple[str, ...]]:
    """Every command's words after `prepcli`, groups before their commands, in the order
    `prepcli --help` lists them."""
    found: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        found.append(path)
        if not isinstance(command, TyperGroup):
            return
        context = typer.Context(command)  # the root group loads its commands by name
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


@contextmanager
def fixed_terminal() -> Iterator[None]:
    """Help laid out at WIDTH columns, without colour, whatever the real terminal."""
    saved = {name: os.environ.get(name) for name in ("COLUMNS", "NO_COLOR", "TERM")}
    os.environ.update({"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def help_text(path: tuple[str, ...]) -> str:
    """`prepcli PATH --help` as printed, lines stripped of trailing blanks."""
    captured = io.StringIO()
    with fixed_terminal(), redirect_stdout(captured), suppress(SystemExit):  # --help exits
        app(args=[*path, "--help"], prog_name="prepcli")
    lines = [_ANSI.sub("", line).rstrip() for line in captured.getvalue().splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def reference() -> str:
    sections = [HEADER]
    paths = command_paths()
    sections.append(
        "\n".join(f"- [{' '.join(('prepcli', *p))}](#{anchor(p)})" for p in paths) + "\n"
    )
    for path in paths:
        title = " ".join(("prepcli", *path))
        sections.append(f"## {title}\n\n```text\n{help_text(path)}\n```\n")
    return "\n".join(sections)


def anchor(path: tuple[str, ...]) -> str:
    """GitHub's anchor for the heading `prepcli PATH`."""
    return "-".join(("prepcli", *path))


def main() -> None:
    sys.stdout.write(reference())


if __name__ == "__main__":
    main()
