"""Single keypresses from the terminal, with a timeout (for countdown timers).

The terminal is put in cbreak mode with signals off, so Ctrl-C and Ctrl-D arrive as
keys and the session decides what to do with them between answers, never in the middle
of writing one. A change of the terminal's size (SIGWINCH) arrives as the RESIZE key,
so the screen is redrawn between keys too. That is POSIX (Linux, macOS: termios); on
Windows, ui/winkeys.py reads the console through msvcrt instead; ui/keyboard.py picks the
one for this platform.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from types import TracebackType
from typing import Any

CTRL_C = "\x03"
CTRL_D = "\x04"
ENTER = ("\r", "\n")
RESIZE = "<resize>"  # not a key: the terminal changed size (a key press is one character)
UP = ("\x1b[A", "\x1bOA")
DOWN = ("\x1b[B", "\x1bOB")
PAGE_UP = "\x1b[5~"
PAGE_DOWN = "\x1b[6~"


class KeyReader:
    def __init__(self) -> None:
        self.fd = sys.stdin.fileno()
        self.saved: list[Any] | None = None
        self.closed = False
        # A pipe the SIGWINCH handler writes to, so a resize ends the wait in `read`.
        self.resized: tuple[int, int] | None = None
        self.previous_handler: Any = None

    def __enter__(self) -> KeyReader:
        import termios  # POSIX only: Windows has ui/winkeys.py
        import tty

        if os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
            attrs = termios.tcgetattr(self.fd)
            attrs[3] &= ~termios.ISIG  # deliver Ctrl-C as a key, not as SIGINT
            termios.tcsetattr(self.fd, termios.TCSADRAIN, attrs)
        self._watch_resizes()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.restore()

    def restore(self) -> None:
        import termios

        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        if self.resized is not None:
            signal.signal(signal.SIGWINCH, self.previous_handler)
            for end in self.resized:
                os.close(end)
            self.resized = None

    def _watch_resizes(self) -> None:
        winch = getattr(signal, "SIGWINCH", None)  # not on Windows
        if winch is None or self.resized is not None or not os.isatty(self.fd):
            return
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set signal handlers
        reader, writer = os.pipe()
        os.set_blocking(writer, False)
        self.resized = (reader, writer)

        def on_resize(_signum: int, _frame: object) -> None:
            with contextlib.suppress(OSError):  # the pipe is full: a redraw is pending
                os.write(writer, b"r")

        self.previous_handler = signal.signal(winch, on_resize)

    def resume(self) -> None:
        """Re-enter key mode after handing the terminal to another program."""
        self.__enter__()

    def read(self, timeout: float | None = None) -> str | None:
        """One key, or None when `timeout` seconds pass first. End of input reads as Ctrl-D;
        a change of the terminal's size as RESIZE."""
        if self.closed:
            return CTRL_D
        watched = [self.fd] if self.resized is None else [self.fd, self.resized[0]]
        ready, _, _ = select.select(watched, [], [], timeout)
        if not ready:
            return None
        if self.resized is not None and self.resized[0] in ready:
            os.read(self.resized[0], 64)  # several resizes in a row: one redraw
            return RESIZE
        data = os.read(self.fd, 64)
        if not data:
            self.closed = True
            return CTRL_D
        text = data.decode("utf-8", errors="replace")
        return text if text.startswith("\x1b") else text[0]
