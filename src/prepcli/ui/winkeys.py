"""Single keypresses on Windows, through the console's own API (msvcrt), with the same
interface and keys as ui/keys.py's KeyReader.

Windows has no terminal modes to set: msvcrt reads one key at a time without echo. A
timeout is a short poll of `kbhit()`. Ctrl-C reaches Python as KeyboardInterrupt there,
so it is turned back into the Ctrl-C key the sessions expect; Ctrl-Z, Windows' end of
input, reads as Ctrl-D. Arrow keys come as a prefix and a code and are given as the ANSI
sequences a POSIX terminal sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prepcli.ui.keys import CTRL_C, CTRL_D, KeyReader

POLL_SECONDS = 0.02
#: The second code of a special key (after \\x00 or \\xe0) → the ANSI sequence.
SPECIAL_KEYS = {
    "H": "\x1b[A",
    "P": "\x1b[B",
    "M": "\x1b[C",
    "K": "\x1b[D",
    "I": "\x1b[5~",
    "Q": "\x1b[6~",
}  # arrows, PgUp, PgDn
UNKNOWN_SPECIAL = "\x1b[?"  # a function key the sessions have no use for


class WindowsKeyReader(KeyReader):
    def __init__(
        self,
        console: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if console is None:
            import msvcrt  # Windows only

            console = msvcrt
        self.console = console
        self.clock = clock
        self.sleep = sleep
        self.saved = None
        self.closed = False

    def __enter__(self) -> WindowsKeyReader:
        return self

    def restore(self) -> None:
        """Nothing to restore: msvcrt changes no console mode."""

    def resume(self) -> None:
        """Nothing to set again after the editor: see restore."""

    def read(self, timeout: float | None = None) -> str | None:
        """One key, or None when `timeout` seconds pass first."""
        deadline = None if timeout is None else self.clock() + timeout
        try:
            while not self.console.kbhit():
                if deadline is not None and self.clock() >= deadline:
                    return None
                self.sleep(POLL_SECONDS)
            return self._key()
        except KeyboardInterrupt:  # Ctrl-C: a key for the session, as on POSIX
            return CTRL_C

    def _key(self) -> str:
        char = str(self.console.getwch())
        if char in ("\x00", "\xe0"):  # a special key: its code follows
            return SPECIAL_KEYS.get(str(self.console.getwch()), UNKNOWN_SPECIAL)
        if char == "\x1a":  # Ctrl-Z
            return CTRL_D
        return char
