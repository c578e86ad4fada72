"""`prepcli postpone N`: a break of N days, re-planned instead of piling up (the rule is
core/breaks.py). The break's days become rest days (`rest_days`): nothing is asked on
them, no streak breaks, the load balancer and the interview planner keep them free; the
reviews due during the break are spread over the days after it; the interview date stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from prepcli.app.daysoff import days_off
from prepcli.core.breaks import BreakPlan, DueCard, plan_break
from prepcli.core.clock import to_ms
from prepcli.core.config import to_stored
from prepcli.core.daysoff import show_dates, weekday_of
from prepcli.core.errors import UsageError
from prepcli.storage import dayload
from prepcli.storage.sqlitefile import run_guarded

if TYPE_CHECKING:
    from prepcli.app.study import Study

MAX_BREAK_DAYS = 366


class BreakOutcome(NamedTuple):
    plan: BreakPlan
    capacity: int
    interview_day: int | None
    rest_days: tuple[int, ...]  # every rest day declared, the break's included
    saved: bool  # False for a dry run


def take_break(study: Study, days: int, first_day: int | None, *, dry_run: bool) -> BreakOutcome:
    """Declare `days` days off from `first_day` (default today) and move the reviews due in
    them (for a break starting today, the overdue ones too) to the days after it."""
    if not 1 <= days <= MAX_BREAK_DAYS:
        raise UsageError(f"a break is 1 to {MAX_BREAK_DAYS} days, got {days}")
    today = study.today
    first = today if first_day is None else first_day
    if first < today:
        raise UsageError("a break cannot start in the past")
    last = first + days - 1
    interview = study.plans.interview_day()
    if interview is not None and first <= interview <= last:
        raise UsageError(
            f"the break covers the interview day ({show_dates([interview])}); "
            "end it before, or move the interview with `prepcli plan interview DATE`"
        )
    settings = study.settings
    policy = study.interview.policy()
    capacity = policy.capacity if policy is not None else settings.reviews_per_day
    store = study.store
    off = days_off(store, settings) | set(range(first, last + 1))
    due = dayload.reviews_due_by(store, None if first == today else first, last)
    horizon = last + days + 2 * MAX_BREAK_DAYS
    load = dayload.review_load(store, last + 1, horizon)
    easy = frozenset(settings.easy_days)

    def share_of(day: int) -> float:
        if day in off:
            return 0.0
        return settings.easy_day_share if weekday_of(day) in easy else 1.0

    plan = plan_break(
        [DueCard(card.key, card.due_day, card.stability) for card in due],
        first,
        last,
        load,
        capacity,
        share_of,
    )
    rest_days = tuple(sorted(set(settings.rest_days) | set(range(first, last + 1))))
    if not dry_run:
        calendar = study.calendar
        by_key = {card.key: card for card in due}
        moves = []
        for move in plan.moves:
            card = by_key[move.key]
            # The same time into its new study day as into its old one.
            into_day = card.due_ms - to_ms(calendar.day_start(card.due_day))
            start = to_ms(calendar.day_start(move.to_day))
            end = to_ms(calendar.day_start(move.to_day + 1)) - 1
            moves.append(
                (move.key, card.due_day, move.to_day, min(max(start + into_day, start), end))
            )
        now_ms = to_ms(study.now)
        run_guarded(lambda: dayload.move_due(store, moves, now_ms), store.path)
        run_guarded(lambda: store.settings.put("rest_days", to_stored(rest_days)), store.path)
    return BreakOutcome(plan, capacity, interview, rest_days, saved=not dry_run)
