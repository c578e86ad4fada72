"""The interactive daily review: one card at a time, keyboard only.

Every answer is committed before the next card appears, so quitting at any moment
(q, Ctrl-C, Ctrl-D, a closed terminal) keeps every answer already given.

`u` takes back this session's actions newest first, answers and buries and suspends
alike (a bury or suspend is undone by restoring the card's flags, and the card comes
back); with nothing left from this session it undoes the last answer in the log, as
`prepcli undo` does. What a card looks like on screen is review_screen.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text

from prepcli.core.agenda import LEARN_AHEAD_MS, Agenda
from prepcli.core.cards import CardDef
from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, ProblemsError
from prepcli.core.models import CardState, Rating
from prepcli.core.textfmt import RATING_NAMES, format_interval
from prepcli.files import overrides
from prepcli.storage.deckcache import load_cached_decks
from prepcli.ui import card_view, editor, render
from prepcli.ui.card_view import POINT_KEYS
from prepcli.ui.keys import CTRL_C, CTRL_D, ENTER, RESIZE, KeyReader
from prepcli.ui.review_screen import CardScreen
from prepcli.ui.screen import follow_resize

if TYPE_CHECKING:
    from prepcli.app.study import Locations, Study

QUIT_KEYS = ("q", CTRL_C, CTRL_D)
RATING_KEYS = ("1", "2", "3", "4")
BELL = "\a"


@dataclass
class SessionResult:
    answered: int = 0
    again: int = 0
    seconds: float = 0.0
    quit_early: bool = False


class _Done(NamedTuple):
    """One action of this session, for `u`: an answer (`flags_before` None), or a bury
    or suspend with the card's state before it."""

    key: str
    flags_before: CardState | None = None
    again: bool = False


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
        overrides_dir: Path | None = None,
        bundled_decks: Path | None = None,
        note: str = "",
    ) -> None:
        """`overrides_dir`: where the cards of the `bundled_decks` folder are copied to be
        edited (None: no bundled decks are loaded); other cards are the user's own, edited
        in place. `note`: shown beside the count of cards left (e.g. on a rest day, that
        the session is optional)."""
        self.study = study
        self.note = note
        self.now = now
        self.decks = decks
        self.tags = tags
        self.limit = limit
        self.ahead = ahead
        self.reload_decks = reload_decks
        self.overrides_dir = overrides_dir
        self.bundled_decks = bundled_decks
        self.console = render.console()
        self.result = SessionResult()
        self.shown_first: str | None = None  # a card to show next (after an undo or edit)
        self.queue: Agenda | None = None  # the queue the card on screen was taken from
        self.message: Text | None = None  # for the next card's screen
        self.done: list[_Done] = []  # this session's actions, oldest first
        self.drawn = False  # whether a card was put on the screen
        self.started = time.monotonic()

    # --- the loop --------------------------------------------------------------------

    def run(self, keys: KeyReader) -> SessionResult:
        self.keys = keys
        try:
            while self.limit is None or self.result.answered < self.limit:
                key = self._next_key()
                if key is None:
                    break
                self._review(self.study.card(key))  # one card's text, not the whole decks'
        except _Quit:
            self.result.quit_early = True
        if self.drawn:
            render.write_raw("\n")  # what follows starts below the last screen, not on it
        self.result.seconds = time.monotonic() - self.started
        return self.result

    def _agenda(self) -> Agenda:
        return self.study.queue.agenda(self.decks, self.tags, self.now(), ahead=self.ahead)

    def _next_key(self) -> str | None:
        self.queue = None
        if self.shown_first is not None:
            key, self.shown_first = self.shown_first, None
            if key in self.study.card_keys:
                return key
        self.queue = self._agenda()
        return self.queue.next_card(to_ms(self.now()))

    def _remaining_label(self) -> str:
        # The queue the card came from, when there is one: nothing was written since, and
        # on a big collection building it again would double the wait between cards.
        agenda = self.queue or self._agenda()
        room = None if self.limit is None else self.limit - self.result.answered
        left, later = cards_left(agenda, to_ms(self.now()), room)
        return (
            f"{left} left"
            + (f" · {later} later today" if later else "")
            + (f" · {self.note}" if self.note else "")
        )

    # --- one card --------------------------------------------------------------------

    def _review(self, card: CardDef) -> None:
        shown_at = time.monotonic()
        header = card_view.card_header(card, self.study.state_of(card.key), self._remaining_label())
        screen = CardScreen(self.console, card, header)
        screen.message, self.message = self.message, None
        limit = card.timer_seconds
        deadline = None if limit is None else shown_at + limit
        if limit is not None:
            screen.show_countdown(limit)
        screen.draw()
        self.drawn = True
        while True:
            pressed = self._wait(screen, deadline)
            if pressed == " " or pressed in ENTER:
                break
            if pressed == "h":
                screen.next_hint()
            elif not self._screen_key(pressed, screen) and self._common_key(pressed, card, screen):
                return
        outcomes = self.study.answering.outcomes(card.key, self.now())
        labels = {r: format_interval(o.scheduled_days) for r, o in outcomes.items()}
        screen.reveal(labels, time.monotonic() - shown_at)
        while True:
            pressed = self._wait(screen, None)
            if pressed in RATING_KEYS:
                assert pressed is not None
                self._answer(card, Rating(int(pressed)), shown_at)
                return
            if self._screen_key(pressed, screen):
                continue
            if pressed is not None and len(pressed) == 1 and pressed in POINT_KEYS:
                if POINT_KEYS.index(pressed) < len(card.points):
                    screen.tick(POINT_KEYS.index(pressed))
            elif self._common_key(pressed, card, screen):
                return

    def _screen_key(self, pressed: str | None, screen: CardScreen) -> bool:
        """Keys that only move what is on screen: scrolling, and a new terminal size."""
        if pressed == RESIZE:
            follow_resize(self.console)
            screen.draw()
            return True
        return screen.scroll_key(pressed)

    def _answer(self, card: CardDef, rating: Rating, shown_at: float) -> None:
        duration = int((time.monotonic() - shown_at) * 1000)
        self.study.answering.answer(card.key, rating, self.now(), duration)
        self.done.append(_Done(card.key, again=rating == Rating.AGAIN))
        self.result.answered += 1
        self.result.again += rating == Rating.AGAIN

    def _common_key(self, pressed: str | None, card: CardDef, screen: CardScreen) -> bool:
        """Handle keys valid on both sides; True when this card is done with."""
        if pressed in QUIT_KEYS:
            raise _Quit
        if pressed == "u":
            return self._undo(screen)
        if pressed in ("b", "s"):
            before = self.study.state_of(card.key)
            if pressed == "b":
                self.study.answering.bury(card.key, self.now())
                self.message = Text(f"Buried {card.key} until tomorrow · u brings it back")
            else:
                self.study.answering.set_suspended(card.key, True)
                self.message = Text(f"Suspended {card.key} · u brings it back")
            self.done.append(_Done(card.key, flags_before=before))
            return True
        if pressed == "e":
            self._edit(card)
            self.shown_first = card.key
            return True
        return False

    def _undo(self, screen: CardScreen) -> bool:
        """Take back the newest action; True when a card is to be shown again."""
        if self.done and self.done[-1].flags_before is not None:
            last = self.done.pop()
            assert last.flags_before is not None
            self.study.answering.restore_flags(last.flags_before)
            self.message = Text(f"Brought back {last.key} (no longer buried or suspended)")
            self.shown_first = last.key
            return True
        undone = self.study.answering.undo()
        if undone is None:
            screen.say(Text("nothing to undo", style="dim"))
            return False
        if self.done:
            self.done.pop()
            self.result.answered = max(0, self.result.answered - 1)
            if undone.rating == Rating.AGAIN:
                self.result.again = max(0, self.result.again - 1)
        rating = RATING_NAMES[Rating(undone.rating)] if undone.rating else "a change"
        self.message = Text(f"Undid {rating} on {undone.card_key}")
        self.shown_first = undone.card_key
        return True

    def _edit(self, card: CardDef) -> None:
        """Open the card's file at the card. A bundled card is copied to the overrides
        first (the installed copy is replaced by the next install) and the copy opened."""
        path, line = Path(card.path), card.line
        self.keys.restore()
        try:
            folder, bundled = self.overrides_dir, self.bundled_decks
            if folder is not None and bundled is not None and overrides.is_bundled(card, bundled):
                copied = overrides.copy_card(card, self._deck_title(card.deck), folder)
                path, line = copied.path, copied.line
                self.message = Text(
                    f"Editing your copy of {card.key} in {render.shown_path(path)}: it replaces "
                    "the bundled card until you remove it "
                    f"(`prepcli deck overrides --remove {card.key}`)"
                )
                self.console.print(self.message)
            editor.open_at(path, line)
            if self.reload_decks is not None:
                self.reload_decks()
        except ProblemsError as exc:
            render.print_problems(exc.problems)
            self.message = Text(
                "the deck has problems; keeping the version loaded before", style="yellow"
            )
            time.sleep(2)
        except PrepError as exc:
            render.print_error(str(exc))
            time.sleep(2)
        finally:
            self.keys.resume()
            follow_resize(self.console)  # the terminal may have changed size meanwhile

    def _deck_title(self, deck_id: str) -> str:
        return next((d.title for d in self.study.decks.decks if d.id == deck_id), deck_id)

    def _wait(self, screen: CardScreen, deadline: float | None) -> str | None:
        """A key; with a deadline, the countdown redrawn every second while waiting, and
        the bell rung once when it reaches zero."""
        if deadline is None:
            return self.keys.read()
        while True:
            left = deadline - time.monotonic()
            seconds = int(left) if left >= 0 else int(left) - 1
            if seconds < 0 and not screen.over_time:
                render.write_raw(BELL)
            screen.show_countdown(seconds)
            pressed = self.keys.read(timeout=min(1.0, max(0.05, left % 1 or 1.0)))
            if pressed is not None:
                return pressed


def cards_left(agenda: Agenda, now_ms: int, room: int | None) -> tuple[int, int]:
    """(cards still to come in this session, learning cards due back later today). The
    session also shows learning cards due within the learn-ahead window, so they count;
    `room`, the answers a --limit still allows, caps the first."""
    soon = sum(1 for s in agenda.learning_later if (s.due_ms or 0) <= now_ms + LEARN_AHEAD_MS)
    left = len(agenda.learning_due) + len(agenda.reviews) + len(agenda.new) + soon
    later = len(agenda.learning_later) - soon
    if room is not None and left >= room:
        return max(0, room), 0  # the limit ends the session first
    return left, later


def moving_clock(start: datetime) -> Callable[[], datetime]:
    """Now, advancing from `start` (which may be pinned by PREPCLI_NOW) with real time."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def deck_reloader(study: Study, where: Locations) -> Callable[[], None]:
    def reload() -> None:
        decks = load_cached_decks(where.deck_roots, where.cache_dir)
        study.use_decks(overrides.with_overrides(decks, where.overrides))

    return reload
