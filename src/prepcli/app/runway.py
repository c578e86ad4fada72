"""The running plan's pace on a study day, from its layout and the cards studied so far
(the rules are core.runway's): today's new-card limit, the new cards held back for later,
and the order that spreads the cards outside the plan (your own decks) over the days.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from prepcli.core.runway import Runway, StreamCount, Tiers, plan_runway, week_bounds
from prepcli.files.plan import EXTENDED_PLACES, PlanLayout


@dataclass(frozen=True)
class TodayRunway:
    """A day's runway with what the queue needs from it."""

    runway: Runway
    held_back: frozenset[str]  # new cards not to introduce today (later weeks, no room)

    @property
    def new_limit(self) -> int:
        """Today's new cards in all, as the daily limit counts them."""
        return self.runway.pace_today

    @property
    def out_of_reach(self) -> dict[int, int] | None:
        """Week → its cards that will not fit (None after the last day for new cards: then
        the cards left are simply not introduced)."""
        if not self.runway.days_left:
            return None
        return {s.week: s.will_not_fit.total for s in self.runway.streams if s.week is not None}


def runway_today(
    layout: PlanLayout,
    start_day: int,
    interview_day: int | None,
    *,
    today: int,
    studied: Collection[str],
    hidden: Collection[str],
    new_per_day: int,
    introduced_today: Collection[str],
    interview_cutoff: int | None,
) -> TodayRunway | None:
    """The pace while the plan runs (None before its first day and after its last: then
    new cards come at `new_per_day`, as without a plan).

    `studied`: the cards introduced already; `hidden`: suspended or buried ones (not left
    to introduce); `introduced_today`: those of `studied` introduced today;
    `interview_cutoff`: the last day for new cards the interview date leaves (None: no
    interview)."""
    bounds = week_bounds(start_day, len(layout.plan.weeks), interview_day)
    if not bounds[0] <= today < bounds[-1]:
        return None
    last_new_day = bounds[-1] - 1
    if interview_cutoff is not None:
        last_new_day = min(last_new_day, interview_cutoff)
    weeks = len(layout.plan.weeks)
    counts = [_count(layout, week, studied, hidden, introduced_today) for week in range(weeks + 1)]
    runway = plan_runway(
        today=today,
        bounds=bounds,
        last_new_day=last_new_day,
        new_per_day=new_per_day,
        weeks=counts[1:],
        outside_plan=counts[0],
    )
    held_back = set(layout.introduced_after(runway.reach_week))
    for stream, count in zip(runway.streams, [*counts[1:], counts[0]], strict=True):
        no_room = min(stream.will_not_fit.total, count.left.total)  # some may be in today
        if no_room:
            held_back |= _last_cards(layout, stream.week or 0, studied, hidden, no_room)
    return TodayRunway(runway, frozenset(held_back))


def _count(
    layout: PlanLayout,
    week: int,
    studied: Collection[str],
    hidden: Collection[str],
    introduced_today: Collection[str],
) -> StreamCount:
    """A week's cards left to introduce, introduced, and introduced today (week 0: the
    cards outside the plan)."""
    left = [0, 0]  # core, extended
    introduced = [0, 0]
    today = [0, 0]
    first, end = layout.starts[week], layout.starts[week + 1]
    for key, place in zip(layout.by_week[first:end], layout.places[first:end], strict=True):
        tier = 1 if place >= EXTENDED_PLACES else 0
        if key in studied:
            introduced[tier] += 1
            today[tier] += key in introduced_today
        elif key not in hidden:
            left[tier] += 1
    return StreamCount(Tiers(*left), Tiers(*introduced), Tiers(*today))


def _last_cards(
    layout: PlanLayout, week: int, studied: Collection[str], hidden: Collection[str], count: int
) -> set[str]:
    """The `count` cards of a week left to introduce that come last in its order
    (extended after core, each stream's later cards after its first ones)."""
    first, end = layout.starts[week], layout.starts[week + 1]
    waiting = sorted(
        (place, stream, index, key)
        for index, (key, place, stream) in enumerate(
            zip(
                layout.by_week[first:end],
                layout.places[first:end],
                layout.streams[first:end],
                strict=True,
            )
        )
        if key not in studied and key not in hidden
    )
    return {key for _place, _stream, _index, key in waiting[len(waiting) - count :]}


def runway_order(
    planned_order: Callable[[list[str]], list[str]],
    assignment: Mapping[str, int],
    runway: Runway,
) -> Callable[[list[str]], list[str]]:
    """New-card order with the cards outside the plan spread through the plan's: today's
    share of them comes evenly among today's cards, so they are introduced day by day
    rather than after every planned card."""

    def order(new: list[str]) -> list[str]:
        planned = planned_order([key for key in new if key in assignment])
        outside = [key for key in new if key not in assignment]
        if not outside or not planned:
            return planned + outside
        window, share = runway.still_today, min(runway.outside_plan_today, len(outside))
        merged: list[str] = []
        plan_at = outside_at = 0
        for position in range(min(window, len(planned) + share)):
            if (position + 1) * share // max(1, window) > outside_at and outside_at < share:
                merged.append(outside[outside_at])
                outside_at += 1
            elif plan_at < len(planned):
                merged.append(planned[plan_at])
                plan_at += 1
            else:
                merged.append(outside[outside_at])
                outside_at += 1
        return merged + planned[plan_at:] + outside[outside_at:]

    return order
