"""What every screen shares: the console, error output, card Markdown and maths, interval
and time formats, the names of ratings, phases and kinds. Each screen has its own module
beside this one (card_view, plan_view, stats_view, quiz_view, collection_view).

Renderables are built from plain data, so tests print them to a fixed-width console.
Rich honours NO_COLOR and the terminal width by itself.

Text from decks, plans, imports and arguments is untrusted. Every console here is made by
`console()`: it never reads Rich markup or emoji codes in strings (a title like
`[link=…]` stays text), and it shows every control character it is about to write as a
visible stand-in (ui/safe.py) — the one place between any screen and the terminal.
Markdown links are shown with their target, never as hidden terminal hyperlinks.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.segment import Segment
from rich.text import Text

from prepcli.core.controls import UNSAFE
from prepcli.core.mathtext import render_math_in
from prepcli.core.models import Phase, Rating, ReviewKind
from prepcli.ui.safe import visible, visible_line

if TYPE_CHECKING:
    from rich.markdown import Markdown

    from prepcli.core.errors import Problem


CODE_THEME = "monokai"


RATING_NAMES = {
    Rating.AGAIN: "Again",
    Rating.HARD: "Hard",
    Rating.GOOD: "Good",
    Rating.EASY: "Easy",
}


RATING_STYLES = {
    Rating.AGAIN: "red",
    Rating.HARD: "yellow",
    Rating.GOOD: "green",
    Rating.EASY: "cyan",
}


PHASE_NAMES = {
    Phase.NEW: "new",
    Phase.LEARNING: "learning",
    Phase.REVIEW: "review",
    Phase.RELEARNING: "relearning",
}


KIND_NAMES = {
    ReviewKind.LEARN: "learn",
    ReviewKind.REVIEW: "review",
    ReviewKind.RELEARN: "relearn",
    ReviewKind.EARLY: "early",
    ReviewKind.MANUAL: "manual",
}


def console(
    *,
    stderr: bool = False,
    file: IO[str] | None = None,
    width: int | None = None,
    soft_wrap: bool = False,
) -> Console:
    """A console for untrusted text: no markup, no emoji codes, controls shown (see above)."""
    made = Console(
        stderr=stderr,
        file=file,
        width=width,
        highlight=False,
        soft_wrap=soft_wrap,
        markup=False,
        emoji=False,
    )
    made.push_render_hook(_ShowControls())
    return made


class _ShowControls(RenderHook):
    """Shows the control characters in whatever a console prints, after layout and before
    styling. Rich's own escape codes (colours, cursor moves) are not in the text: they come
    from styles and control segments, which pass untouched."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Shown(renderable) for renderable in renderables]


class _Shown:
    def __init__(self, renderable: ConsoleRenderable) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control is None and UNSAFE.search(segment.text):
                yield Segment(visible(segment.text), segment.style)
            else:
                yield segment


def print_problems(problems: Iterable[Problem]) -> None:
    """`path:line:col: error: message`, one a line, as the loaders and `deck lint` say it."""
    err = console(stderr=True, soft_wrap=True)
    for problem in problems:
        where = f"{visible_line(problem.path)}:{problem.line}:{problem.col}: "
        style = "bold red" if problem.severity == "error" else "yellow"
        err.print(
            Text(where) + Text(f"{problem.severity}:", style=style) + Text(" ")
            + Text(visible_line(problem.message))
        )  # fmt: skip


def print_error(message: str) -> None:
    err = console(stderr=True, soft_wrap=True)
    err.print(Text("error: ", style="bold red") + Text(visible(message)))


def format_interval(days: float) -> str:
    """A compact interval like Anki's buttons: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = days * 86400
    if seconds < 60:
        return f"{max(1, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if days < 1:
        return f"{round(seconds / 3600)}h"
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def markdown(text: str, style: str = "none") -> Markdown:
    from rich.markdown import Markdown  # markdown-it is slow to import; only cards need it

    prepared = keep_line_breaks(render_math_in(visible(text)))
    # hyperlinks=False: a link shows its target beside its text, so a deck cannot hide
    # where a link goes (a terminal hyperlink shows only the text).
    return Markdown(
        prepared,
        code_theme=CODE_THEME,
        inline_code_theme=CODE_THEME,
        style=style,
        hyperlinks=False,
    )


_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def keep_line_breaks(text: str) -> str:
    """Keep the author's line layout: card text is laid out line by line on purpose.

    Each line break outside code becomes a hard break, and an unindented line after a
    list ends the list instead of being folded into its last item.
    """
    out: list[str] = []
    in_fence = False
    in_list = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue
        if not line.strip():
            in_list = False
        elif _LIST_ITEM.match(line):
            in_list = True
        elif in_list and not line.startswith((" ", "\t")):
            out.append("")  # end the list here
            in_list = False
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and following.strip() and not following.lstrip().startswith(("```", "~~~")):
            line = line.rstrip() + "  "
        out.append(line)
    return "\n".join(out)


def code_block(source: str) -> Markdown:
    return markdown(f"```python\n{source.rstrip()}\n```")


def iso_minutes(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def write_raw(text: str) -> None:
    """Write control sequences (cursor moves) straight to the terminal."""
    sys.stdout.write(text)
    sys.stdout.flush()


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields a callback taking (done, total)."""
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, of: int) -> None:
            progress.update(task, completed=done, total=of)

        yield update


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def short_date(iso_date: str) -> str:
    from datetime import date

    return date.fromisoformat(iso_date).strftime("%d %b").lstrip("0")


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on stderr while something slow runs (nothing is drawn when not a terminal)."""
    with console(stderr=True).status(message, spinner="dots"):
        yield
