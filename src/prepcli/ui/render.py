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

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

from prepcli.core.controls import UNSAFE
from prepcli.core.mathtext import render_math_in
from prepcli.core.models import Phase, Rating, ReviewKind
from prepcli.core.textfmt import clip_start, short_path
from prepcli.ui.safe import visible, visible_line

if TYPE_CHECKING:
    from rich.markdown import Markdown

    from prepcli.core.errors import Problem


CODE_THEME = "monokai"


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


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader closed the pipe (`prepcli stats | head -1`): Rich would exit with
        status 1; entry.py ends such a command quietly with status 0, for every printer."""
        raise BrokenPipeError


def console(
    *,
    stderr: bool = False,
    file: IO[str] | None = None,
    width: int | None = None,
    soft_wrap: bool = False,
) -> Console:
    """A console for untrusted text: no markup, no emoji codes, controls shown (see above)."""
    made = _Console(
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
            Text(where)
            + Text(f"{problem.severity}:", style=style)
            + Text(" ")
            + Text(visible_line(problem.message))
        )


def print_error(message: str) -> None:
    err = console(stderr=True, soft_wrap=True)
    err.print(Text("error: ", style="bold red") + Text(visible(message)))


def markdown(text: str, style: str = "none") -> Markdown:
    from rich.markdown import Markdown  # markdown-it is slow to import; only cards need it

    from prepcli.ui.reflow import reflow

    # Soft line breaks joined, so text reflows to the terminal; deliberate ones kept (read
    # before the maths is rendered: the author wrapped the LaTeX source).
    prepared = render_math_in(reflow(visible(text)))
    # hyperlinks=False: a link shows its target beside its text, so a deck cannot hide
    # where a link goes (a terminal hyperlink shows only the text).
    return Markdown(
        prepared,
        code_theme=CODE_THEME,
        inline_code_theme=CODE_THEME,
        style=style,
        hyperlinks=False,
    )


def code_block(source: str) -> Markdown:
    return markdown(f"```python\n{source.rstrip()}\n```")


MIN_PATH_WIDTH = 16


class PathCell:
    """A path in a table: the home folder written `~`, and what does not fit cut from the
    start ("…/llm-quiz/inference.yaml"), where a path says least, never from the middle."""

    def __init__(self, path: str, style: str = "") -> None:
        self.text = short_path(visible_line(path), home_folder())
        self.style = style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.text)
        return Measurement(min(width, MIN_PATH_WIDTH), width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(clip_start(self.text, options.max_width), style=self.style, no_wrap=True)


def path_cell(path: str, style: str = "") -> PathCell:
    return PathCell(path, style)


def shown_path(path: object) -> str:
    """A path for a sentence: whole (it may be copied), the home folder written `~`."""
    return short_path(visible_line(str(path)), home_folder())


def home_folder() -> str | None:
    from pathlib import Path

    try:
        return str(Path.home())
    except (RuntimeError, KeyError):  # no home folder known
        return None


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
