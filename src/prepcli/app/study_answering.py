"""Answering and changing cards: one code path for `prepcli answer`, the review session and
the mock quiz, each write its own transaction."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from prepcli.core.clock import to_ms
from prepcli.core.errors import UsageError
from prepcli.core.history import AnswerContext, CardInfo, LoggedChange, Review
from prepcli.core.models import CardState, Phase, Rating, ReviewKind

if TYPE_CHECKING:
    from prepcli.app.balance import LoadBalance
    from prepcli.app.study import Study
    from prepcli.core.scheduler import Outcome


class Answering:
    """Answers, forgetting, undo, suspending and burying, and a card's details."""

    def __init__(self, study: Study) -> None:
        self.study = study

    @cached_property
    def balance(self) -> LoadBalance:
        """The load on the days ahead, for the load balancer (app/balance.py)."""
        from prepcli.app.balance import LoadBalance

        return LoadBalance(self.study.store, self.study.settings)

    def outcomes(self, key: str, now: datetime | None = None) -> dict[Rating, Outcome]:
        """What each rating would do to the card now (the intervals the keys show)."""
        moment = now or self.study.now
        state = self.study.state_of(key)
        loads = self.balance.loads_for(state, self.study.study_day(moment))
        return self.study.scheduler.outcomes(state, moment, loads)

    def answer(
        self, key: str, rating: Rating, now: datetime | None = None, duration_ms: int | None = None
    ) -> tuple[CardState, Outcome]:
        moment = now or self.study.now
        chosen: list[Outcome] = []
        day = self.study.study_day(moment)
        reason = (
            self.study.interview.plan(day).reason(key) if self.study.interview.policy() else None
        )
        day_start_ms = to_ms(self.study.calendar.day_start(day))

        def decide(before: CardState) -> LoggedChange:
            loads = self.balance.loads_for(before, day)
            outcome = self.study.scheduler.answer(before, rating, moment, loads)
            chosen.append(outcome)
            planned = before.phase == Phase.REVIEW and (before.last_review_ms or 0) < day_start_ms
            return LoggedChange(
                after=outcome.after,
                rating=int(rating),
                kind=outcome.kind,
                elapsed_days=outcome.elapsed_days,
                scheduled_days=outcome.scheduled_days,
                r_predicted=outcome.r_predicted,
                reason=reason if planned else None,  # why the planner showed it today
            )

        # The queue a review session keeps, to update; a lone `prepcli answer` built none.
        queue = self.study.queue.take() if self.study.made("queue") else None
        counts = self.study.kept_progress()
        before, change, _id = self.study.write(
            lambda: self.study.store.change(key, decide, self._context(moment, duration_ms))
        )
        self.study.count_answer(counts, before, day)
        self.balance.moved(before, change.after)
        if queue is not None:
            self.study.queue.after_answer(queue, change.after, moment)
        return before, chosen[0]

    def forget(self, key: str) -> CardState:
        def decide(before: CardState) -> LoggedChange:
            fresh = CardState(key=key, card_id=before.card_id, suspended=before.suspended)
            return LoggedChange(after=fresh, rating=0, kind=ReviewKind.MANUAL)

        _before, change, _id = self.study.write(
            lambda: self.study.store.change(key, decide, self._context(self.study.now, None))
        )
        return change.after

    def undo(self) -> Review | None:
        return self.study.write(self.study.store.undo_last)

    def set_suspended(self, key: str, suspended: bool) -> CardState:
        return self.study.write(
            lambda: self.study.store.set_flags(key, to_ms(self.study.now), suspended=suspended)
        )

    def bury(self, key: str, now: datetime | None = None) -> CardState:
        day = self.study.study_day(now or self.study.now)
        return self.study.write(
            lambda: self.study.store.set_flags(key, to_ms(self.study.now), buried_until_day=day + 1)
        )

    def restore_flags(self, before: CardState) -> CardState:
        """Put back a card's suspended and buried flags as they were in `before` (the
        review session's undo of a bury or a suspend)."""
        return self.study.write(
            lambda: self.study.store.set_flags(
                before.key,
                to_ms(self.study.now),
                suspended=before.suspended,
                buried_until_day=before.buried_until_day,
            )
        )

    def info(self, key: str) -> CardInfo:
        card = self.study.find_card(key)
        state = self.study.state_of(key)
        if card is None and state.card_id == 0:
            self.study.card(key)  # raises the usual "no card" error
        return CardInfo(
            card=card,
            state=state,
            retrievability=self.study.scheduler.retrievability(state, self.study.now),
            history=self.study.store.log.history(key),
        )

    def _context(self, moment: datetime, duration_ms: int | None) -> AnswerContext:
        if duration_ms is not None and duration_ms < 0:
            raise UsageError("a duration cannot be negative")
        self.study.latest_day = self.study.study_day(moment)  # the day this answer is about to log
        return AnswerContext(
            reviewed_ms=to_ms(moment),
            study_day=self.study.latest_day,
            tz_offset_min=self.study.calendar.offset_minutes(moment),
            duration_ms=None if duration_ms is None else min(duration_ms, 3_600_000),
            desired_retention=self.study.settings.desired_retention,
        )
