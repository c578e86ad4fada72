"""A full-terminal screen with a fixed top, a body that scrolls and a fixed bottom.

The review session draws each card this way, so a card taller than the terminal keeps
its header (and, while it is short, the question) in view and the answer scrolls under
it. Everything is rendered to lines once per change and then only written, so scrolling
and the countdown's ticks cost no layout.

Text is laid out at the terminal's width up to MEASURE columns: lines longer than that
are hard to read, and the same cap holds for every part of the screen.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from rich.console import Console, RenderableType
from rich.text import Text

from prepcli.ui.render import write_raw

MEASURE = 100  # the widest line of text, in columns, however wide the terminal
MIN_BODY_ROWS = 3

_HOME_AND_CLEAR = "\x1b[2J\x1b[H"  # as Rich clears
_SAVE, _RESTORE = "\x1b7", "\x1b8"
_CLEAR_LINE = "\x1b[2K"


def measure(console: Console) -> int:
    return max(20, min(console.width, MEASURE))


def lines_of(console: Console, renderable: RenderableType, width: int) -> list[str]:
    """`renderable` as the lines the terminal shows, with their styles (escape codes)."""
    with console.capture() as capture:
        console.print(renderable, width=width)
    text = capture.get()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def follow_resize(console: Console) -> None:
    """Take the terminal's new size (after SIGWINCH): the console's size is fixed otherwise
    (by COLUMNS and LINES, or by its first look at the terminal)."""
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        return  # not a terminal: nothing to follow
    console.size = (size.columns, size.lines)


@dataclass
class Frame:
    """One screen: `top` and `bottom` stay put, `body` scrolls between them. `ticker` is
    the index in `top` of a line that changes on its own (a countdown), or None."""

    top: list[str]
    body: list[str]
    bottom: list[str]
    ticker: int | None = None
    offset: int = 0
    space_scrolls: bool = False  # Space pages down (on the answer side; it reveals before)
    rows: int = field(default=0, init=False)  # body rows on screen, set by `draw`

    def body_rows(self, height: int) -> int:
        free = height - len(self.top) - len(self.bottom)
        if len(self.body) <= free:
            return free
        return max(MIN_BODY_ROWS, free - 1)  # one row for the scroll position

    def scroll(self, lines: int) -> bool:
        """Move the body by `lines` (down when positive); False when it cannot move."""
        limit = max(0, len(self.body) - self.rows)
        offset = max(0, min(limit, self.offset + lines))
        moved = offset != self.offset
        self.offset = offset
        return moved

    def draw(self, console: Console) -> None:
        self.rows = self.body_rows(console.height)
        self.offset = max(0, min(self.offset, len(self.body) - self.rows))
        lines = [*self.top, *self.body[self.offset : self.offset + self.rows]]
        if len(self.body) > self.rows:
            lines.append(self.position(console))
        lines.extend(self.bottom)
        write_raw(_HOME_AND_CLEAR + "\n".join(lines))

    @property
    def scrolls(self) -> bool:
        return len(self.body) > self.rows

    def position(self, console: Console) -> str:
        last = min(len(self.body), self.offset + self.rows)
        more = []
        if self.offset > 0:
            more.append("k/↑/PgUp back")
        if last < len(self.body):
            more.append("j/↓/Space/PgDn more" if self.space_scrolls else "j/↓/PgDn more")
        where = f"── lines {self.offset + 1}–{last} of {len(self.body)} · {' · '.join(more)}"
        line = Text(where, style="dim", no_wrap=True, overflow="ellipsis")
        return lines_of(console, line, measure(console))[0]

    def tick(self, line: str) -> None:
        """Rewrite the ticker line in place, the cursor left where it was."""
        if self.ticker is None:
            return
        self.top[self.ticker] = line
        write_raw(f"{_SAVE}\x1b[{self.ticker + 1};1H{_CLEAR_LINE}{line}{_RESTORE}")
