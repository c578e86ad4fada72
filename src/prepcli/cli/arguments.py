"""Checks on path and number arguments that the option parser does not make: a name the
kernel refuses (a component over 255 bytes), a FIFO or a device where a file is expected
(opening a FIFO blocks forever), a folder where a file is expected, and numbers that are
not finite (click's range check lets `nan` through: every comparison with it is false).

Each failure is a usage error: exit 2 and one line naming the path.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Literal

from prepcli.core.errors import UsageError
from prepcli.files.safeio import kind_of, path_problem

Expect = Literal["file", "folder", "file or folder", "file or nothing", "folder or nothing"]


def shown(path: Path | str) -> str:
    """A path for a one-line message: a very long one is shortened in the middle."""
    text = os.fspath(path)
    return text if len(text) <= 120 else f"{text[:58]}…{text[-58:]}"


def checked_path(path: Path, expect: Expect) -> Path:
    """`path` if it names what `expect` says, else UsageError. "… or nothing" accepts a
    path that does not exist yet (a file or folder prepcli will create)."""
    problem = path_problem(path)
    if problem is not None:
        raise UsageError(f"{shown(path)} {problem}")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if expect.endswith("or nothing"):
            return path
        raise UsageError(f"no such file or folder: {shown(path)}") from None
    except OSError as exc:
        raise UsageError(f"{shown(path)}: {exc.strerror or exc}") from None
    is_file, is_folder = stat.S_ISREG(mode), stat.S_ISDIR(mode)
    wants_file = expect.startswith("file")
    wants_folder = expect.startswith("folder") or expect == "file or folder"
    if (is_file and wants_file) or (is_folder and wants_folder):
        return path
    wanted = {
        "file": "a regular file",
        "file or nothing": "a regular file",
        "folder": "a folder",
        "folder or nothing": "a folder",
        "file or folder": "a file or a folder",
    }[expect]
    raise UsageError(f"{shown(path)} is {kind_of(mode)}, not {wanted}")


def finite(value: float | None) -> float | None:
    """A typer callback: refuse nan and ±inf, which pass click's range checks."""
    if value is not None and not math.isfinite(value):
        raise UsageError(f"expected a finite number, got {value}")
    return value
