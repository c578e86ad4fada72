"""Long output (`stats`, `plan show`, `deck schema`, …) through a pager, as git does.

Paging happens only when standard output is a terminal and the text is taller than the
screen; a pipe or a file always gets the text as it is. The pager is `$PREPCLI_PAGER`,
else `$PAGER`, else `less` (with `LESS=FRX` when LESS is unset: colours kept, quit at
once when the text fits, the text left on the screen), else `more`; an empty value or
`cat` turns paging off, as does `prepcli --no-pager`. The command runs through the shell,
as git and pydoc run it, so a PAGER with options (`less -S`) works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import IO, Any

from prepcli.ui.render import console

PAGER_ENV = ("PREPCLI_PAGER", "PAGER")


def pager_command(environ: Mapping[str, str] | None = None) -> str | None:
    """The pager to run, or None when paging is turned off or no pager is found."""
    env = os.environ if environ is None else environ
    for name in PAGER_ENV:
        if name in env:
            chosen = env[name].strip()
            return None if chosen in ("", "cat") else chosen
    for fallback in ("less", "more"):
        if shutil.which(fallback):
            return fallback
    return None


def page(*renderables: Any, enabled: bool = True, stream: IO[str] | None = None) -> None:
    """Print renderables one below the other ("" for a blank line), through the pager
    when it is worth it (see the module's doc)."""
    out = stream or sys.stdout
    screen = console(file=out)
    if not (enabled and out.isatty()):
        for renderable in renderables:
            screen.print(renderable)
        return
    with screen.capture() as captured:
        for renderable in renderables:
            screen.print(renderable)
    page_text(captured.get(), enabled=True, stream=out, height=screen.height)


def page_text(
    text: str, *, enabled: bool = True, stream: IO[str] | None = None, height: int | None = None
) -> None:
    """Write finished text (with its colour codes, if any), paged as `page` pages."""
    out = stream or sys.stdout
    rows = height if height is not None else shutil.get_terminal_size().lines
    command = pager_command() if enabled and out.isatty() else None
    if command is None or text.count("\n") < rows:
        out.write(text)
        out.flush()
        return
    run_pager(command, text, out)


def run_pager(command: str, text: str, out: IO[str]) -> None:
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # as git: keep colours, quit if it fits, leave it shown
    out.flush()
    try:
        process = subprocess.Popen(
            command, shell=True, stdin=subprocess.PIPE, env=env, encoding="utf-8", errors="replace"
        )
    except OSError:  # no shell, or the pager cannot start: the text itself, unpaged
        out.write(text)
        out.flush()
        return
    assert process.stdin is not None
    try:
        process.stdin.write(text)
        process.stdin.close()
    except BrokenPipeError:  # the reader quit before reading everything: that is fine
        pass
    while True:
        try:
            status = process.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager (less uses it)
            continue
    if status == 127:  # the shell found no such pager: show the text rather than nothing
        out.write(text)
        out.flush()
