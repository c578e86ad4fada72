"""One card on the review screen: what each side shows, where it scrolls, its countdown,
the hints shown so far and the rubric's ticked points.

The header (card id, kind, state, what is left) and the countdown stay at the top; the
keys and any message stay at the bottom; the card's text scrolls between them when it is
taller than the terminal. After the reveal a short question is pinned under the header,
so it stays in view while the answer scrolls under it; a long one (a PR to review)
scrolls with the answer, which starts in view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.text import Text

from prepcli.core.cards import CardDef
from prepcli.core.models import Rating
from prepcli.core.rubric import suggested_rating
from prepcli.ui import card_view
from prepcli.ui.keys import DOWN, PAGE_DOWN, PAGE_UP, UP
from prepcli.ui.screen import Frame, lines_of, measure

#: Lines of the question left in view above the answer when a long question scrolls.
CONTEXT_LINES = 3


class CardScreen:
    def __init__(self, console: Console, card: CardDef, header: RenderableType) -> None:
        self.console = console
        self.card = card
        self.header = header
        self.revealed = False
        self.hints_shown = 0
        self.ticked: set[int] = set()
        self.labels: Mapping[Rating, str] | None = None
        self.message: Text | None = None
        self.clock: Text | None = None  # the countdown, then the time taken
        self.over_time = False
        self.offset = 0
        self.frame: Frame | None = None
        self._width = 0
        self._rendered: dict[str, list[str]] = {}  # lines of each part at _width

    # --- what changes the screen ---------------------------------------------------

    def show_countdown(self, seconds_left: int) -> None:
        """Set the countdown; drawn in place when only it changed."""
        self.clock = card_view.countdown(seconds_left)
        self.over_time = seconds_left < 0
        if self.frame is not None and self.frame.ticker is not None:
            self.frame.tick(self._line(self.clock))

    def reveal(self, labels: Mapping[Rating, str], seconds_taken: float) -> None:
        self.revealed = True
        self.labels = labels
        self.message = None  # about the question side (a hint, "nothing to undo")
        limit = self.card.timer_seconds
        if limit is not None:
            self.clock = card_view.time_taken(int(seconds_taken), limit)
            self.over_time = seconds_taken > limit
        self.offset = -1  # placed by the layout (see _answer_offset)
        self.draw()

    def next_hint(self) -> None:
        if not self.card.hints:
            self.say(Text("this card has no hints", style="dim"))
        elif self.hints_shown >= len(self.card.hints):
            self.say(Text("no more hints", style="dim"))
        else:
            self.hints_shown += 1
            self._rendered.pop("hints", None)
            self.message = None
            self.draw()

    def tick(self, index: int) -> None:
        self.ticked ^= {index}
        self._rendered.pop("answer", None)
        self.draw()

    def say(self, message: Text | None) -> None:
        self.message = message
        self.draw()

    def scroll_key(self, pressed: str | None) -> bool:
        """Scroll for j/k, the arrows and the page keys (and Space once revealed); True
        when `pressed` is one of them."""
        frame = self.frame
        page = max(1, (frame.rows if frame else 1) - 1)
        steps = {"j": 1, "k": -1, PAGE_DOWN: page, PAGE_UP: -page}
        steps.update({key: 1 for key in DOWN} | {key: -1 for key in UP})
        if self.revealed:
            steps[" "] = page
        if pressed not in steps:
            return False
        if frame is not None and frame.scroll(steps[pressed]):
            self.offset = frame.offset
            frame.draw(self.console)
        return True

    def suggestion(self) -> Rating | None:
        if not self.card.points or not self.ticked:
            return None
        return suggested_rating(len(self.ticked), len(self.card.points), over_time=self.over_time)

    # --- drawing -------------------------------------------------------------------

    def draw(self) -> None:
        """Lay the card out for the terminal's size now, and draw it."""
        width = measure(self.console)
        if width != self._width:
            self._width, self._rendered = width, {}
        top = self._part("header", lambda: self.header)
        ticker = None
        if self.clock is not None:
            ticker = len(top)
            top = [*top, self._line(self.clock)]
        top = [*top, *self._part("rule", lambda: Rule(style="dim"))]
        question = [*self._part("question", self._question), *self._part("hints", self._hints)]
        bottom = self._bottom()
        if not self.revealed:
            body = question
        else:
            answer = self._part("answer", lambda: card_view.card_back(self.card, self.ticked))
            free = self.console.height - len(top) - len(bottom)
            if len(question) <= free // 3:
                top, body = [*top, *question], answer
            else:
                body = [*question, *answer]
                if self.offset < 0:
                    self.offset = self._answer_offset(len(question), free)
        self.offset = max(0, self.offset)
        self.frame = Frame(
            top, body, bottom, ticker=ticker, offset=self.offset, space_scrolls=self.revealed
        )
        self.frame.draw(self.console)
        self.offset = self.frame.offset

    def _answer_offset(self, question_lines: int, free: int) -> int:
        """Where a scrolling card starts after the reveal: at the top while the question
        leaves room for the answer, else at the answer with the question's last lines."""
        if question_lines <= free * 2 // 3:
            return 0
        return max(0, question_lines - CONTEXT_LINES)

    def _question(self) -> RenderableType:
        practice = card_view.practice_line(self.card)
        question = card_view.question(self.card)
        return question if practice is None else Group(question, practice)

    def _hints(self) -> RenderableType:
        return card_view.hints(self.card, self.hints_shown)

    def _bottom(self) -> list[str]:
        lines: list[str] = []
        if self.revealed and self.card.points:
            summary = card_view.tick_summary(
                len(self.ticked), len(self.card.points), self.suggestion()
            )
            lines.append(self._line(summary))
        if self.message is not None:
            lines.extend(lines_of(self.console, self.message, self._width))
        keys = (
            card_view.rating_keys(self.labels) if self.revealed else card_view.front_keys(self.card)
        )
        return [*lines, *lines_of(self.console, keys, self._width)]

    def _part(self, name: str, build: Callable[[], RenderableType]) -> list[str]:
        if name not in self._rendered:
            rendered = lines_of(self.console, build(), self._width)
            self._rendered[name] = [] if rendered == [""] else rendered
        return self._rendered[name]

    def _line(self, text: Text) -> str:
        return lines_of(self.console, text, self._width)[0]
