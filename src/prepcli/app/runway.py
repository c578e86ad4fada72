"""The running plan's pace on a study day, from its layout and the cards studied so far
(the rules are core.runway's): today's new-card limit, the new cards held back for later,
and the order that spreads the cards outside the plan (your own decks) over the days.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping
from typing import NamedTuple

from prepcli.core.planlayout import EXTENDED_PLACES, PlanLayout
from prepcli.core.runway import Runway, StreamCount, Tiers, plan_runway, week_bounds


class TodayRunway(NamedTuple):
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
    studied: frozenset[str],
    hidden: frozenset[str],
    new_per_day: int,
    introduced_today: frozenset[str],
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
    hidden_new = hidden - studied  # suspended or buried before their first answer
    counts = [
        _count(layout, week, studied, hidden_new, introduced_today) for week in range(weeks + 1)
    ]
    runway = plan_runway(
        today=today,
        bounds=bounds,
        last_new_day=last_new_day,
        new_per_day=new_per_day,
        weeks=counts[1:],
        outside_plan=counts[0],
    )
    held_back = layout.introduced_after(runway.reach_week)
    no_room: list[tuple[str, ...]] = []
    for stream, count in zip(runway.streams, [*counts[1:], counts[0]], strict=True):
        missing = min(stream.will_not_fit.total, count.left.total)  # some may be in today
        if missing:
            no_room.append(_last_cards(layout, stream.week or 0, studied, hidden, count, missing))
    return TodayRunway(runway, held_back.union(*no_room) if no_room else held_back)


def _count(
    layout: PlanLayout,
    week: int,
    studied: frozenset[str],
    hidden_new: frozenset[str],
    introduced_today: frozenset[str],
) -> StreamCount:
    """A week's cards left to introduce, introduced, and introduced today (week 0: the
    cards outside the plan). A week's slice holds its core cards, then its extended ones;
    set intersections count them (this runs on every start-up, over every card)."""
    first, end = layout.starts[week], layout.starts[week + 1]
    middle = bisect_left(layout.places, EXTENDED_PLACES, first, end)
    tiers = []
    for keys in (layout.by_week[first:middle], layout.by_week[middle:end]):
        seen = len(studied.intersection(keys))
        waiting = len(hidden_new.intersection(keys)) if hidden_new else 0
        today = len(introduced_today.intersection(keys)) if introduced_today else 0
        tiers.append((len(keys) - seen - waiting, seen, today))
    (core, core_seen, core_today), (extended, extended_seen, extended_today) = tiers
    return StreamCount(
        Tiers(core, extended), Tiers(core_seen, extended_seen), Tiers(core_today, extended_today)
    )


def _last_cards(
    layout: PlanLayout,
    week: int,
    studied: frozenset[str],
    hidden: frozenset[str],
    count: StreamCount,
    missing: int,
) -> tuple[str, ...]:
    """The end of a week's slice that holds its `missing` cards left to introduce that
    come last in its order (extended after core, each stream's later cards after its
    first ones); cards already studied in it do not matter, they are not new. Walked from
    the nearer end, so a week that keeps few cards costs few steps."""
    first, end = layout.starts[week], layout.starts[week + 1]
    keys = layout.by_week

    def waiting(index: int) -> bool:
        return keys[index] not in studied and keys[index] not in hidden

    keep = count.left.total - missing
    if keep <= missing:  # find the last card kept, from the front
        split, kept = first, 0
        while kept < keep:
            kept += waiting(split)
            split += 1
    else:  # find the first card left out, from the back
        split, dropped = end, 0
        while dropped < missing:
            split -= 1
            dropped += waiting(split)
    return keys[split:end]


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
