"""A small terminal emulator for the pty tests: what the user would see on the screen.

It understands what the review screen writes (cursor moves, clearing, styles, saving and
restoring the cursor, line feeds, the bell) and keeps the grid of characters, so a test
can assert on the screen's rows instead of on the stream of bytes that drew them.
"""

from __future__ import annotations

import re
import time
import unicodedata

import pexpect

_CSI = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z@`])")


class Terminal:
    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0
        self.saved = (0, 0)
        self.bells = 0
        self.pending_wrap = False
        self.stream = ""  # everything fed, for assertions on the raw output

    def resize(self, rows: int, cols: int) -> None:
        grid = [[" "] * cols for _ in range(rows)]
        for r in range(min(rows, self.rows)):
            for c in range(min(cols, self.cols)):
                grid[r][c] = self.grid[r][c]
        self.grid, self.rows, self.cols = grid, rows, cols
        self.row, self.col = min(self.row, rows - 1), min(self.col, cols - 1)

    def feed(self, text: str) -> None:
        self.stream += text
        index = 0
        while index < len(text):
            char = text[index]
            if char == "\x1b":
                index = self._escape(text, index)
                continue
            if char == "\r":
                self.col, self.pending_wrap = 0, False
            elif char == "\n":
                self._line_feed()
            elif char == "\a":
                self.bells += 1
            elif char == "\b":
                self.col = max(0, self.col - 1)
            elif char >= " ":
                self._put(char)
            index += 1

    @property
    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.grid]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def _escape(self, text: str, index: int) -> int:
        match = _CSI.match(text, index)
        if match is not None:
            self._csi(match.group(1), match.group(2))
            return match.end()
        following = text[index + 1 : index + 2]
        if following == "7":
            self.saved = (self.row, self.col)
        elif following == "8":
            self.row, self.col = self.saved
        return index + 2

    def _csi(self, params: str, final: str) -> None:
        if params.startswith("?"):
            return  # modes (cursor visibility and the like)
        numbers = [int(p) if p else 0 for p in params.split(";")] if params else []
        first = numbers[0] if numbers else 0
        self.pending_wrap = False
        if final in "Hf":
            row = (numbers[0] if numbers else 1) or 1
            col = (numbers[1] if len(numbers) > 1 else 1) or 1
            self.row, self.col = min(row, self.rows) - 1, min(col, self.cols) - 1
        elif final == "J":
            if first == 2:
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
            elif first == 0:
                self.grid[self.row][self.col :] = [" "] * (self.cols - self.col)
                for row in range(self.row + 1, self.rows):
                    self.grid[row] = [" "] * self.cols
        elif final == "K":
            if first == 2:
                self.grid[self.row] = [" "] * self.cols
            elif first == 0:
                self.grid[self.row][self.col :] = [" "] * (self.cols - self.col)
        elif final == "A":
            self.row = max(0, self.row - (first or 1))
        elif final == "B":
            self.row = min(self.rows - 1, self.row + (first or 1))
        elif final == "C":
            self.col = min(self.cols - 1, self.col + (first or 1))
        elif final == "D":
            self.col = max(0, self.col - (first or 1))
        elif final == "G":
            self.col = min(self.cols, first or 1) - 1

    def _line_feed(self) -> None:
        self.col = 0  # the pty turns \n into \r\n
        self.pending_wrap = False
        if self.row == self.rows - 1:
            self.grid = [*self.grid[1:], [" "] * self.cols]  # scrolled: the top line is lost
        else:
            self.row += 1

    def _put(self, char: str) -> None:
        if unicodedata.combining(char):
            return
        width = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if self.pending_wrap:
            self._line_feed()
        self.grid[self.row][self.col] = char
        if width == 2 and self.col + 1 < self.cols:
            self.grid[self.row][self.col + 1] = ""
        if self.col + width >= self.cols:
            self.pending_wrap = True
            self.col = self.cols - 1
        else:
            self.col += width


def read_until(
    child: pexpect.spawn, terminal: Terminal, wanted: str | re.Pattern[str], timeout: float = 20
) -> Terminal:
    """Feed the child's output to `terminal` until its screen shows `wanted`."""
    pattern = re.compile(re.escape(wanted)) if isinstance(wanted, str) else wanted
    end = time.monotonic() + timeout
    while not pattern.search(terminal.text):
        if time.monotonic() > end:
            raise AssertionError(f"{pattern.pattern!r} not on screen:\n{terminal.text}")
        try:
            terminal.feed(child.read_nonblocking(65536, timeout=0.2))
        except pexpect.TIMEOUT:
            continue
        except pexpect.EOF:
            raise AssertionError(
                f"{pattern.pattern!r} not on screen at exit:\n{terminal.text}"
            ) from None
    return terminal


def settle(
    child: pexpect.spawn, terminal: Terminal, quiet: float = 0.4, most: float = 5
) -> Terminal:
    """Feed the child's output to `terminal` until it has been quiet for `quiet` seconds
    (or `most` seconds have passed: a countdown is never quiet for long)."""
    end = time.monotonic() + most
    while time.monotonic() < end:
        try:
            terminal.feed(child.read_nonblocking(65536, timeout=quiet))
        except (pexpect.TIMEOUT, pexpect.EOF):
            break
    return terminal
