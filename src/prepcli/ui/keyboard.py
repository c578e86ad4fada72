"""The key reader for the platform prepcli runs on: termios on Linux and macOS
(ui/keys.py), the console API on Windows (ui/winkeys.py)."""

from __future__ import annotations

import sys

from prepcli.ui.keys import KeyReader


def key_reader(platform: str | None = None) -> KeyReader:
    """The key reader for this platform (`platform`: sys.platform, for tests)."""
    if (platform or sys.platform) == "win32":
        from prepcli.ui.winkeys import WindowsKeyReader

        return WindowsKeyReader()
    return KeyReader()
