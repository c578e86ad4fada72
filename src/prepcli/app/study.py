"""The application layer: one user's collection (decks + database + settings) at one instant.

The CLI and the interactive session both go through here, so an answer given with
`prepcli answer` and one given in `prepcli review` are the same code path. A Study hands
its work to parts with one job each: `queue` (today's cards and summary), `interview`
(the deadline planner), `plans` (the six-week plan) and `answering` (every write to a
card); this module holds what they share: the decks, the database, the settings, the
calendar and the scheduler.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from prepcli.core import agenda as agenda_mod
from prepcli.core.agenda import DayProgress
from prepcli.core.clock import StudyCalendar, zone_named
from prepcli.core.errors import PrepError, UsageError
from prepcli.core.models import CardState, Settings, settings_from
from prepcli.storage.deckindex import DeckIndex, index_of, load_index
from prepcli.storage.rows import KeyGroups
from prepcli.storage.sqlitefile import run_guarded
from prepcli.storage.store import Store, open_store

if TYPE_CHECKING:
    from prepcli.app.study_answering import Answering
    from prepcli.app.study_interview import InterviewPart
    from prepcli.app.study_plans import Plans
    from prepcli.app.study_queue import Queue
    from prepcli.core.cards import CardDef, DeckSet
    from prepcli.core.forgetting import ForgettingCurve
    from prepcli.core.scheduler import Scheduler

T = TypeVar("T")


class Locations(NamedTuple):
    """Where a collection's files are: database, deck folders, caches, plan folders."""

    db: Path
    deck_roots: tuple[Path, ...]
    cache_dir: Path
    plan_dirs: tuple[Path, ...] = ()
    create_db_parents: bool = True
    #: The user's copies of bundled cards (files/overrides.py), or None (own decks).
    overrides: Path | None = None


class Study:
    def __init__(
        self,
        store: Store,
        index: DeckIndex,
        now: datetime,
        plan_dirs: tuple[Path, ...] = (),
        decks: DeckSet | Callable[[], DeckSet] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """`decks`: the loaded decks, or a function that loads them the first time a
        command needs the cards' text (counting needs only the index). `cache_dir`: where
        the day's interview plan is kept between commands (None: not kept)."""
        self.store = store
        self.cache_dir = cache_dir
        self.now = now
        self.plan_dirs = plan_dirs
        self.index = index
        self._decks = None if callable(decks) else decks
        self._load_decks = decks if callable(decks) else None
        self._cards: dict[str, CardDef] | None = None
        self._card_keys: frozenset[str] | None = None
        self._states: dict[str, CardState] | None = None
        # Today's counts, with the database's version they hold for (see `progress`).
        self._progress: tuple[tuple[int, int], DayProgress] | None = None
        self.settings: Settings = settings_from(store.settings.all())
        self.calendar = StudyCalendar(
            zone_named(self.settings.timezone), self.settings.rollover_hour
        )
        self.latest_day = store.log.latest_study_day() or 0
        self.today = self.study_day(now)
        store.apply_renames(self.index.renames)

    # --- the parts -------------------------------------------------------------------
    # Each with one job (as Anki's collection hands work to its managers), made when first
    # used, so that a command loads only the parts it runs: `stats` needs none of them,
    # `prepcli` (today) no answering.

    @cached_property
    def plans(self) -> Plans:
        from prepcli.app.study_plans import Plans

        return Plans(self)

    @cached_property
    def interview(self) -> InterviewPart:
        from prepcli.app.study_interview import InterviewPart

        return InterviewPart(self)

    @cached_property
    def queue(self) -> Queue:
        from prepcli.app.study_queue import Queue

        return Queue(self)

    @cached_property
    def answering(self) -> Answering:
        from prepcli.app.study_answering import Answering

        return Answering(self)

    def made(self, part: str) -> bool:
        """Whether a part exists yet (one not made has nothing to forget, no queue kept)."""
        return part in self.__dict__

    def study_day(self, moment: datetime) -> int:
        """The study day of an instant, never earlier than the latest one in the log.

        After a time-zone change westwards or a clock set back, answers join that day
        rather than reopen an earlier one, which would count one session as two days.
        """
        return max(self.calendar.day(moment), self.latest_day)

    @classmethod
    def open(cls, where: Locations, now: datetime) -> Study:
        # Decks first: a bad deck is reported before the database is even opened. While
        # no deck file changed, only their index is read; a card's text when a command
        # shows that card, and every card when a command needs them all.
        from prepcli.files.overrides import has_overrides, with_overrides

        index, decks = load_index(where.deck_roots, where.cache_dir)

        def load_decks() -> DeckSet:
            from prepcli.files.decks import load_decks as load  # the validator: not for counting

            return with_overrides(load(where.deck_roots, index.cache), where.overrides)

        if decks is not None:
            decks = with_overrides(decks, where.overrides)
        elif has_overrides(where.overrides):
            # The cache holds the bundled text and the user's copies replace it: while
            # copies exist, no card is read from the cache alone.
            decks = load_decks()

        try:
            store = open_store(where.db, create_parents=where.create_db_parents)
        except BaseException:
            index.close()
            raise
        try:
            return run_guarded(
                lambda: cls(
                    store,
                    index,
                    now,
                    where.plan_dirs,
                    load_decks if decks is None else decks,
                    where.cache_dir,
                ),
                where.db,
            )
        except BaseException:
            store.close()
            index.close()
            raise

    @property
    def decks(self) -> DeckSet:
        if self._decks is None:
            assert self._load_decks is not None, "a Study opened on an index needs a loader"
            self._decks = self._load_decks()
        return self._decks

    @property
    def cards(self) -> dict[str, CardDef]:
        if self._cards is None:
            self._cards = self.decks.card_map()
        return self._cards

    @property
    def card_keys(self) -> frozenset[str]:
        """Every card in the decks (from the index: no card text is read)."""
        if self._card_keys is None:
            self._card_keys = frozenset(self.index.keys)
        return self._card_keys

    def use_decks(self, decks: DeckSet) -> None:
        """Switch to freshly loaded decks (after the session's editor changed a file)."""
        self.index.close()
        self._decks = decks
        self.index = index_of(decks)
        self._cards = self._card_keys = None
        self.plans.forget_cached()  # the review session's: its queue has made the parts

    def close(self) -> None:
        """Close the database and the deck cache (closing twice does nothing more)."""
        self.store.close()
        self.index.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def scheduler(self) -> Scheduler:
        from prepcli.core.scheduler import (
            Scheduler,  # fsrs is only imported by commands that schedule
        )

        stored = (
            self.store.settings.fsrs_parameters()
        )  # personal parameters from `prepcli optimize`
        if stored is not None and not all(math.isfinite(w) for w in stored.params):
            raise PrepError(  # written by hand or by an older import: never by prepcli
                f"the FSRS parameters in {self.store.path} are not numbers; "
                "`prepcli check --fix` removes them"
            )
        parameters = Scheduler.clamp_parameters(stored.params) if stored else None
        return Scheduler(self.settings, self.calendar, parameters=parameters)

    @cached_property
    def curve(self) -> ForgettingCurve:
        """The forgetting curve of the FSRS parameters in use: the scheduler's own, or,
        with the default parameters, the same curve made without importing fsrs (for the
        commands that only predict recall, such as `stats`)."""
        if self.store.settings.fsrs_parameters() is None:
            from prepcli.core.forgetting import ForgettingCurve

            return ForgettingCurve()
        return self.scheduler.curve

    def forget_scheduler(self) -> None:
        """After the FSRS parameters changed (optimize, check --fix, import): the
        scheduler, its curve and the planner's memory model are made again with the new
        ones."""
        self.__dict__.pop("scheduler", None)
        self.__dict__.pop("curve", None)
        if self.made("interview"):
            self.interview.forget_memory_model()

    # --- looking up ------------------------------------------------------------------

    def card(self, key: str) -> CardDef:
        if "/" not in key:
            raise UsageError(
                f"card ids look like deck/id (e.g. llm-quiz.inference/kv-cache), got {key!r}"
            )
        card = self.find_card(key)
        if card is None:
            raise UsageError(f"no card {key!r} in the decks")
        return card

    def find_card(self, key: str) -> CardDef | None:
        """The card `key`, or None when no deck has it. Until a command has loaded every
        card, one card is read from the deck cache, which holds it only for the current
        deck files; the index's keys then say whether a card it lacks is in the decks at
        all (the decks are loaded only if it is). Neither builds a set of every key."""
        if self._decks is None:
            found = self.index.card(key)
            if found is not None:
                return found
            if key not in self.index.keys:
                return None
        return self.cards.get(key)

    def state_of(self, key: str) -> CardState:
        return self.store.state(key) or CardState(key=key)

    def states(self) -> dict[str, CardState]:
        """Every card's state, read once and kept until this Study writes something."""
        if self._states is None:
            self._states = self.store.states()
        return self._states

    def _changed(self) -> None:
        self._states = None
        self._progress = None
        if self.made("plans"):
            self.plans.forget_status()
        if self.made("queue"):
            self.queue.forget()

    def write(self, action: Callable[[], T]) -> T:
        """Run a store write with clear errors, then forget what was read before it."""
        try:
            return run_guarded(action, self.store.path)
        finally:
            self._changed()

    def progress(self) -> DayProgress:
        """Today's counts. Counting reads every row the day logged, so the counts are kept
        while the database is as they saw it (`Store.version`: no commit by another
        connection, no change through this one) and carried forward by this Study's own
        answers (`count_answer`): a session does not count the day again per answer."""
        version = self.store.version()
        if self._progress is not None and self._progress[0] == version:
            return self._progress[1]
        answers, new, reviews, relearning = self.store.log.day_counts(self.today)
        counted = DayProgress(answers, new, reviews, relearning)
        self._progress = (version, counted)
        return counted

    def kept_progress(self) -> tuple[tuple[int, int], DayProgress] | None:
        """Today's counts if kept and still the database's, to carry past an answer about
        to be written (`count_answer`); None otherwise."""
        if self._progress is not None and self._progress[0] == self.store.version():
            return self._progress
        return None

    def count_answer(
        self, kept: tuple[tuple[int, int], DayProgress] | None, before: CardState, day: int
    ) -> None:
        """Today's counts after this Study's own answer on `day` to a card that was in
        `before`'s phase: the counts kept before it, plus it, valid for the database as
        the answer left it, if nothing but the answer changed it since they were counted
        (otherwise the next `progress` counts again)."""
        if kept is None or day != self.today:
            return
        (committed_elsewhere, _changes), counts = kept
        version = self.store.version()
        if version[0] != committed_elsewhere:
            return  # another connection committed in the meantime: count again
        self._progress = (version, counts.with_answer(before.phase))

    def key_groups(self, today: int | None = None) -> KeyGroups:
        return self.store.due.key_groups(self.today if today is None else today)

    def selection(self, decks: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> list[CardDef]:
        self.check_decks(decks)
        deck_tags = {d.id: d.tags for d in self.decks.decks}
        return agenda_mod.select_cards(self.decks.cards(), decks, tags, deck_tags)

    def selected_keys(self, decks: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> list[str]:
        """The keys of `selection`; without tags, from the index alone."""
        if tags:
            return [card.key for card in self.selection(decks, tags)]
        self.check_decks(decks)
        if not decks:
            return list(self.index.keys)
        return [
            key
            for key in self.index.keys
            if any(key.startswith(d + "/") or key.startswith(d + ".") for d in decks)
        ]

    def check_decks(self, decks: tuple[str, ...]) -> None:
        """Reject a deck name no deck has (nor any deck under it), from the index alone."""
        known_decks = self.index.deck_ids
        for deck in decks:
            if deck not in known_decks and not any(k.startswith(deck + ".") for k in known_decks):
                raise UsageError(f"no deck {deck!r} (see `prepcli deck list`)")
