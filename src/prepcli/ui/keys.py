"""Single keypresses from the terminal, with a timeout (for countdown timers).

The terminal is put in cbreak mode with signals off, so Ctrl-C and Ctrl-D arrive as
keys and the session decides what to do with them between answers, never in the middle
of writing one. That is POSIX (Linux, macOS: termios); on Windows, ui/winkeys.py reads
the console through msvcrt instead; ui/keyboard.py picks the one for this platform.
"""

from __future__ import annotations

import os
import select
import sys
from types import TracebackType
from typing import Any

CTRL_C = "\x03"
CTRL_D = "\x04"
ENTER = ("\r", "\n")


class KeyReader:
    def __init__(self) -> None:
        self.fd = sys.stdin.fileno()
        self.saved: list[Any] | None = None
        self.closed = False

    def __enter__(self) -> KeyReader:
        import termios  # POSIX only: Windows has ui/winkeys.py
        import tty

        if os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
            attrs = termios.tcgetattr(self.fd)
            attrs[3] &= ~termios.ISIG  # deliver Ctrl-C as a key, not as SIGINT
            termios.tcsetattr(self.fd, termios.TCSADRAIN, attrs)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.restore()

    def restore(self) -> None:
        import termios

        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def resume(self) -> None:
        """Re-enter key mode after handing the terminal to another program."""
        self.__enter__()

    def read(self, timeout: float | None = None) -> str | None:
        """One key, or None when `timeout` seconds pass first. End of input reads as Ctrl-D."""
        if self.closed:
            return CTRL_D
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self.fd, 64)
        if not data:
            self.closed = True
            return CTRL_D
        text = data.decode("utf-8", errors="replace")
        return text if text.startswith("\x1b") else text[0]
