"""The interactive daily review: one card at a time, keyboard only.

Every answer is committed before the next card appears, so quitting at any moment
(q, Ctrl-C, Ctrl-D, a closed terminal) keeps every answer already given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rich.text import Text

from prepcli.app.study import Study
from prepcli.core.agenda import Agenda
from prepcli.core.cards import CardDef
from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, ProblemsError
from prepcli.core.models import Rating
from prepcli.files.decks import load_decks
from prepcli.ui import card_view, editor, render
from prepcli.ui.keys import CTRL_C, CTRL_D, ENTER, KeyReader

QUIT_KEYS = ("q", CTRL_C, CTRL_D)


@dataclass
class SessionResult:
    answered: int = 0
    again: int = 0
    seconds: float = 0.0
    quit_early: bool = False


class _Quit(Exception):
    pass


class ReviewSession:
    def __init__(
        self,
        study: Study,
        now: Callable[[], datetime],
        *,
        decks: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        limit: int | None = None,
        ahead: bool = False,
        reload_decks: Callable[[], None] | None = None,
        note: str = "",
    ) -> None:
        """`note`: shown beside the count of cards left (e.g. on a rest day, that the
        session is optional)."""
        self.study = study
        self.note = note
        self.now = now
        self.decks = decks
        self.tags = tags
        self.limit = limit
        self.ahead = ahead
        self.reload_decks = reload_decks
        self.console = render.console()
        self.result = SessionResult()
        self.shown_first: str | None = None  # a card to show next (after an undo)
        self.queue: Agenda | None = None  # the queue the card on screen was taken from
        self.started = time.monotonic()

    # --- the loop --------------------------------------------------------------------

    def run(self, keys: KeyReader) -> SessionResult:
        self.keys = keys
        try:
            while self.limit is None or self.result.answered < self.limit:
                key = self._next_key()
                if key is None:
                    break
                self._review(self.study.cards[key])
        except _Quit:
            self.result.quit_early = True
        self.result.seconds = time.monotonic() - self.started
        return self.result

    def _agenda(self) -> Agenda:
        return self.study.agenda(self.decks, self.tags, self.now(), ahead=self.ahead)

    def _next_key(self) -> str | None:
        self.queue = None
        if self.shown_first is not None:
            key, self.shown_first = self.shown_first, None
            if key in self.study.cards:
                return key
        self.queue = self._agenda()
        return self.queue.next_card(to_ms(self.now()))

    def _remaining_label(self) -> str:
        # The queue the card came from, when there is one: nothing was written since, and
        # on a big collection building it again would double the wait between cards.
        agenda = self.queue or self._agenda()
        left = len(agenda.learning_due) + len(agenda.reviews) + len(agenda.new)
        return f"{left} left" + (f" · {self.note}" if self.note else "")

    def _review(self, card: CardDef) -> None:
        shown_at = time.monotonic()
        state = self.study.state_of(card.key)
        front = card_view.card_front(card, state, self._remaining_label())
        self._show(front, card_view.front_keys(card))
        deadline = None if card.timer_seconds is None else shown_at + card.timer_seconds
        while True:
            pressed = self._wait(deadline)
            if pressed == " " or pressed in ENTER:
                break
            if pressed == "h" and card.hints:
                self.console.print(card_view.hints(card))
            elif self._common_key(pressed, card):
                return
        outcomes = self.study.outcomes(card.key, self.now())
        labels = {r: render.format_interval(o.scheduled_days) for r, o in outcomes.items()}
        self._show(front, card_view.card_back(card), card_view.rating_keys(labels))
        while True:
            pressed = self._wait(None)
            if pressed in ("1", "2", "3", "4"):
                rating = Rating(int(pressed))
                duration = int((time.monotonic() - shown_at) * 1000)
                self.study.answer(card.key, rating, self.now(), duration)
                self.result.answered += 1
                self.result.again += rating == Rating.AGAIN
                return
            if self._common_key(pressed, card):
                return

    def _common_key(self, pressed: str | None, card: CardDef) -> bool:
        """Handle keys valid on both sides; True when this card is done with."""
        if pressed in QUIT_KEYS:
            raise _Quit
        if pressed == "u":
            undone = self.study.undo()
            if undone is not None:
                self.result.answered = max(0, self.result.answered - 1)
                if undone.rating == Rating.AGAIN:
                    self.result.again = max(0, self.result.again - 1)
                self.shown_first = undone.card_key
                return True
            self.console.print(Text("nothing to undo", style="dim"))
        elif pressed == "b":
            self.study.bury(card.key, self.now())
            return True
        elif pressed == "s":
            self.study.set_suspended(card.key, True)
            return True
        elif pressed == "e":
            self._edit(card)
            self.shown_first = card.key
            return True
        return False

    def _edit(self, card: CardDef) -> None:
        self.keys.restore()
        try:
            editor.open_at(Path(card.path), card.line)
            if self.reload_decks is not None:
                self.reload_decks()
        except ProblemsError as exc:
            render.print_problems(exc.problems)
            self.console.print(
                Text("the deck has problems; keeping the version loaded before", style="yellow")
            )
            time.sleep(2)
        except PrepError as exc:
            render.print_error(str(exc))
            time.sleep(2)
        finally:
            self.keys.resume()

    def _wait(self, deadline: float | None) -> str | None:
        """A key; with a deadline, redraw the countdown every second while waiting."""
        if deadline is None:
            return self.keys.read()
        while True:
            left = deadline - time.monotonic()
            render.write_raw(
                "\r\x1b[2K" + card_view.timer(int(left) if left >= 0 else int(left) - 1)
            )
            pressed = self.keys.read(timeout=min(1.0, max(0.05, left % 1 or 1.0)))
            if pressed is not None:
                render.write_raw("\r\x1b[2K")
                return pressed

    def _show(self, *parts: object) -> None:
        self.console.clear()
        for part in parts:
            self.console.print(part)


def moving_clock(start: datetime) -> Callable[[], datetime]:
    """Now, advancing from `start` (which may be pinned by PREPCLI_NOW) with real time."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def deck_reloader(study: Study, roots: tuple[Path, ...], cache_file: Path) -> Callable[[], None]:
    def reload() -> None:
        study.use_decks(load_decks(roots, cache_file))

    return reload
