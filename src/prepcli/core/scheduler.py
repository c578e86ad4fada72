"""The only fsrs importer: CardState ⇄ fsrs.Card, answers, previews, retrievability.

Three things differ from calling py-fsrs directly, each on purpose:
- elapsed time counts study-day boundaries crossed, as Anki and the FSRS default
  parameters do, not whole 24-hour periods (a 22:00 review then an 08:00 one is a
  next-day review);
- fuzz is drawn from a generator seeded by the card and its review count, so the
  interval shown on a key is exactly the interval that answer gives;
- the four intervals are ordered Hard ≤ Good ≤ Easy with a day between them, as Anki does;
- given the load on the days ahead (`loads`), a review interval is drawn within the fuzz
  range toward the lighter days, easy days and rest days (loadbalance.py, after Anki
  24.11's load balancer), instead of uniformly.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

import fsrs
import fsrs.scheduler as fsrs_scheduler_module

from prepcli.core.clock import StudyCalendar, from_ms, to_ms
from prepcli.core.forgetting import ForgettingCurve
from prepcli.core.history import Review
from prepcli.core.loadbalance import DayLoads, balanced_interval
from prepcli.core.models import CardState, Phase, Rating, ReviewKind, Settings

DAY = timedelta(days=1)
#: The ratings whose review intervals are kept apart, in order (Anki's rule).
_ORDERED = (Rating.HARD, Rating.GOOD, Rating.EASY)


class Outcome(NamedTuple):
    """What one rating would do to a card."""

    rating: Rating
    after: CardState
    kind: ReviewKind
    elapsed_days: float | None  # study days since the last review
    scheduled_days: float  # time until the next due, in days
    r_predicted: float | None  # recall probability just before the answer


def card_seed(key: str) -> int:
    """A stable integer for a card key, used as fsrs's card id and the fuzz seed base."""
    return zlib.crc32(key.encode("utf-8"))


@contextmanager
def _without_fuzz(scheduler: fsrs.Scheduler) -> Iterator[None]:
    # The load balancer draws the day itself, from the interval before fuzz.
    fuzzing = scheduler.enable_fuzzing
    scheduler.enable_fuzzing = False
    try:
        yield
    finally:
        scheduler.enable_fuzzing = fuzzing


@contextmanager
def _seeded_fuzz(seed: int) -> Iterator[None]:
    # py-fsrs draws fuzz from the module-global `random`; give it a private stream per call.
    original = fsrs_scheduler_module.random  # type: ignore[attr-defined]
    fsrs_scheduler_module.random = random.Random(seed).random  # type: ignore[attr-defined]
    try:
        yield
    finally:
        fsrs_scheduler_module.random = original  # type: ignore[attr-defined]


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        calendar: StudyCalendar,
        parameters: tuple[float, ...] | None = None,
    ) -> None:
        self.settings = settings
        self.calendar = calendar
        self.fsrs = fsrs.Scheduler(
            parameters=parameters or fsrs.scheduler.DEFAULT_PARAMETERS,
            desired_retention=settings.desired_retention,
            learning_steps=tuple(timedelta(seconds=s) for s in settings.learning_steps),
            relearning_steps=tuple(timedelta(seconds=s) for s in settings.relearning_steps),
            maximum_interval=settings.maximum_interval,
            enable_fuzzing=settings.fuzz,
        )
        self.curve = ForgettingCurve(self.fsrs.parameters[20])

    # --- reading ---------------------------------------------------------------------

    def retrievability(self, state: CardState, now: datetime) -> float | None:
        """Predicted recall now, with fractional days (as Anki's statistics compute it)."""
        return self.retrievability_at_ms(state.stability, state.last_review_ms, to_ms(now))

    def retrievability_at_ms(
        self, stability: float | None, last_review_ms: int | None, now_ms: int
    ) -> float | None:
        """As `retrievability`, from a card's stability and last review, at an instant in
        epoch milliseconds (a caller asking for every card converts its instant once)."""
        if stability is None or last_review_ms is None:
            return None
        return self.curve.recall_at_ms(stability, last_review_ms, now_ms)

    def recall_at(self, state: CardState, instant: datetime) -> float:
        """Predicted recall at a future instant if nothing is reviewed until then (new: 0)."""
        r = self.retrievability(state, instant)
        return 0.0 if r is None else r

    def project(self, state: CardState, rating: Rating, instant: datetime) -> CardState:
        """The state after one answer at `instant`, for forecasts (no button ordering)."""
        return self._reviews(state, (rating,), instant)[rating].after

    # --- answering -------------------------------------------------------------------

    def outcomes(
        self, state: CardState, now: datetime, loads: DayLoads | None = None
    ) -> dict[Rating, Outcome]:
        """The result of each of the four ratings, ordered as Anki orders them; with
        `loads`, review intervals balanced over the days ahead (while fuzz is on)."""
        return self._order_intervals(self._reviews(state, tuple(Rating), now, loads), now)

    def answer(
        self, state: CardState, rating: Rating, now: datetime, loads: DayLoads | None = None
    ) -> Outcome:
        """`outcomes(...)[rating]`, computing only the ratings that can move this one's
        interval: each rating's review stands alone (its fuzz and balance are seeded by the
        card), and the ordering pushes Good past Hard and Easy past Good. Again and Hard so
        need one review, Good two, Easy three — not four: a replay of a long history
        (`check`, sync) is mostly Good."""
        needed = _ORDERED[: _ORDERED.index(rating) + 1] if rating in _ORDERED else (rating,)
        return self._order_intervals(self._reviews(state, needed, now, loads), now)[rating]

    def _reviews(
        self,
        state: CardState,
        ratings: Sequence[Rating],
        now: datetime,
        loads: DayLoads | None = None,
    ) -> dict[Rating, Outcome]:
        """Each rating's review of `state` at `now`. What the ratings share (the card as
        py-fsrs takes it, which it copies before changing; the days elapsed; the recall
        before; the kind of review) is worked out once."""
        card = self._to_fsrs(state, now)
        today = self.calendar.day(now)
        elapsed: float | None = None
        if card.last_review is not None:
            crossed = today - self.calendar.day(card.last_review)
            elapsed = float(max(crossed, 0))
            # py-fsrs floors elapsed time to 24-hour periods; hand it exactly the study days
            # crossed, and a same-day review (even after a clock or zone change) as same-day.
            card.last_review = now - crossed * DAY if crossed > 0 else now
        r_before = self.retrievability(state, now)
        kind = self._kind(state, today)
        seed = card_seed(state.key) + state.reps

        def review(rating: Rating) -> Outcome:
            updated = self._balanced(card, rating, now, loads, seed) if loads is not None else None
            if updated is None:
                with _seeded_fuzz(seed):
                    updated, _log = self.fsrs.review_card(card, fsrs.Rating(int(rating)), now)
            lapsed = state.phase == Phase.REVIEW and rating == Rating.AGAIN
            lapses = state.lapses + (1 if lapsed else 0)
            after = CardState(
                key=state.key,
                card_id=state.card_id,
                phase=Phase(int(updated.state)),
                step=updated.step,
                stability=updated.stability,
                difficulty=updated.difficulty,
                due_ms=to_ms(updated.due),
                due_day=self.calendar.day(updated.due),
                last_review_ms=to_ms(now),
                reps=state.reps + 1,
                lapses=lapses,
                suspended=state.suspended,
                buried_until_day=None,
                leech=state.leech or self._is_new_leech(lapses, state.lapses),
            )
            return Outcome(
                rating=rating,
                after=after,
                kind=kind,
                elapsed_days=elapsed,
                scheduled_days=(updated.due - now) / DAY,
                r_predicted=r_before,
            )

        return {rating: review(rating) for rating in ratings}

    def _balanced(
        self, card: fsrs.Card, rating: Rating, now: datetime, loads: DayLoads, seed: int
    ) -> fsrs.Card | None:
        """The card after the answer with its due day load-balanced, or None when fuzz is
        off, the answer leaves the card in (re)learning, or the interval is too long to
        balance (the usual fuzz then applies)."""
        if not self.fsrs.enable_fuzzing:
            return None
        with _without_fuzz(self.fsrs):
            updated, _log = self.fsrs.review_card(card, fsrs.Rating(int(rating)), now)
        if updated.state != fsrs.State.Review:
            return updated  # fsrs fuzzes review intervals only: this is what it gives
        interval = round((updated.due - now) / DAY)
        days = balanced_interval(interval, self.fsrs.maximum_interval, loads, seed)
        if days is None:
            return None
        updated.due = now + days * DAY
        return updated

    def _kind(self, state: CardState, today: int) -> ReviewKind:
        if state.phase in (Phase.NEW, Phase.LEARNING):
            return ReviewKind.LEARN
        if state.phase == Phase.RELEARNING:
            return ReviewKind.RELEARN
        if state.due_day is not None and state.due_day > today:
            return ReviewKind.EARLY
        return ReviewKind.REVIEW

    def _is_new_leech(self, lapses: int, lapses_before: int) -> bool:
        """Anki's rule: a leech at the threshold, then again every half-threshold more."""
        threshold = self.settings.leech_threshold
        if lapses == lapses_before or lapses < threshold:
            return False
        return (lapses - threshold) % max(1, math.ceil(threshold / 2)) == 0

    def _order_intervals(self, raw: dict[Rating, Outcome], now: datetime) -> dict[Rating, Outcome]:
        """Hard ≤ Good ≤ Easy with at least a day between review intervals (Anki's rule);
        `raw` holds every rating, or (from `answer`) Again or a first part of that order."""
        ordered = dict(raw)
        previous: int | None = None
        for rating in _ORDERED:
            outcome = ordered.get(rating)
            if outcome is None:
                break  # `answer`: the ratings above the one chosen were not computed
            if outcome.after.phase != Phase.REVIEW:
                previous = None
                continue
            days = round(outcome.scheduled_days)
            if previous is not None and days <= previous:
                days = min(previous + 1, max(self.settings.maximum_interval, previous))
                due = now + days * DAY
                after = outcome.after._replace(due_ms=to_ms(due), due_day=self.calendar.day(due))
                ordered[rating] = outcome._replace(after=after, scheduled_days=float(days))
            previous = days
        return ordered

    # --- conversion ------------------------------------------------------------------

    def _to_fsrs(self, state: CardState, now: datetime) -> fsrs.Card:
        seed = card_seed(state.key)
        if state.phase == Phase.NEW or state.last_review_ms is None:
            return fsrs.Card(card_id=seed, state=fsrs.State.Learning, step=0, due=now)
        return fsrs.Card(
            card_id=seed,
            state=fsrs.State(int(state.phase)),
            step=state.step,
            stability=state.stability,
            difficulty=state.difficulty,
            due=from_ms(state.due_ms if state.due_ms is not None else to_ms(now)),
            last_review=from_ms(state.last_review_ms),
        )

    # --- history and parameters ------------------------------------------------------

    def replay(self, key: str, reviews: Sequence[Review], card_id: int = 0) -> CardState:
        """The state a card's review rows lead to under this scheduler's parameters.

        Suspension and burying are not in the log; the caller carries them over.
        """
        state = CardState(key=key, card_id=card_id)
        for _before, after in self.replay_steps(key, reviews, card_id):
            state = after
        return state

    def replay_steps(
        self, key: str, reviews: Sequence[Review], card_id: int = 0
    ) -> Iterator[tuple[CardState, CardState]]:
        """(before, after) for each review row, re-derived in log order.

        Answers go through the same study-day shim as live answers (never fsrs's
        reschedule_card, which floors to 24-hour periods). A manual row (rating 0, such as
        `forget`) records a decision rather than a prediction: its result is taken as is.
        """
        state = CardState(key=key, card_id=card_id)
        for review in reviews:
            if review.rating == 0 or review.kind == ReviewKind.MANUAL:
                after = review.after._replace(
                    key=key,
                    card_id=card_id,
                    suspended=state.suspended,
                    buried_until_day=None,
                )
            else:
                moment = from_ms(review.reviewed_ms)
                outcome = self.answer(state, Rating(review.rating), moment)
                after = outcome.after._replace(last_review_ms=review.reviewed_ms)
            yield state, after
            state = after

    @property
    def parameters(self) -> tuple[float, ...]:
        return tuple(float(w) for w in self.fsrs.parameters)

    @staticmethod
    def default_parameters() -> tuple[float, ...]:
        return tuple(float(w) for w in fsrs.scheduler.DEFAULT_PARAMETERS)

    @staticmethod
    def parameter_bounds() -> tuple[tuple[float, float], ...]:
        """Each FSRS parameter's (lowest, highest) value, as py-fsrs accepts them."""
        lower = fsrs.scheduler.LOWER_BOUNDS_PARAMETERS
        upper = fsrs.scheduler.UPPER_BOUNDS_PARAMETERS
        return tuple((float(low), float(high)) for low, high in zip(lower, upper, strict=True))

    @staticmethod
    def clamp_parameters(values: Sequence[float]) -> tuple[float, ...]:
        """Fit parameters into py-fsrs's bounds.

        fsrs-rs computes in float32: a parameter at its bound of 0.8 arrives as
        0.800000011920929, which py-fsrs rejects. Rounding to 6 places removes the float32
        noise; the clamp catches anything still outside.
        """
        lower = fsrs.scheduler.LOWER_BOUNDS_PARAMETERS
        upper = fsrs.scheduler.UPPER_BOUNDS_PARAMETERS
        if len(values) != len(lower):
            raise ValueError(f"expected {len(lower)} FSRS parameters, got {len(values)}")
        return tuple(
            min(max(round(float(value), 6), low), high)
            for value, low, high in zip(values, lower, upper, strict=True)
        )
