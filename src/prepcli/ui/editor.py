"""Open a file at a line in the user's editor, without a shell."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from prepcli.core.errors import PrepError

# Editors that take `path:line` (with a flag) instead of the common `+line path`.
_COLON_STYLE = {"code": ["-g"], "code-insiders": ["-g"], "codium": ["-g"], "subl": [], "zed": []}


def editor_command(path: Path, line: int, editor: str | None = None) -> list[str]:
    text = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise PrepError(f"cannot parse $EDITOR {text!r}: {exc}") from None
    if not words:
        raise PrepError("$EDITOR is empty")
    name = Path(words[0]).name
    if name in _COLON_STYLE:
        return [*words, *_COLON_STYLE[name], f"{path}:{line}"]
    return [*words, f"+{line}", str(path)]


def open_at(path: Path, line: int) -> int:
    command = editor_command(path, line)
    try:
        return subprocess.call(command)
    except OSError as exc:
        raise PrepError(f"cannot start editor {command[0]!r}: {exc.strerror or exc}") from None
