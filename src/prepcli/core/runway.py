"""A plan that fits the runway (pure): the plan's weeks laid over the days there are, and how
many new cards a day go in so that every planned card comes before the last day for new
cards — or, said on day one, which will not.

The rules, worked out again every morning from what is left:

- **The calendar.** Weeks are seven days, unless the interview comes before the plan would
  end: then the plan's weeks share the days up to the interview (a six-week plan over 14
  days has weeks of two or three days).
- **What fits.** Until the last day for new cards (the plan's end, or `interview_buffer`
  days before the last session) there is room for `new_per_day` cards a day. When the
  cards left do not all fit, core cards go before extended ones; within a tier the room is
  shared so that every week, and the cards outside the plan (your own decks), ends with
  the same share of its cards introduced: a short runway still covers every topic, each
  with its first cards (a week's streams take turns, so its first cards span them).
- **Today's share.** The cards of this and earlier weeks are spread over the days left in
  this week, the cards outside the plan over the days left for new cards; and never fewer
  than it takes to introduce the rest by the last day at `new_per_day` (which brings later
  weeks' cards forward when the runway is short). Never more than `new_per_day`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

DAYS_PER_WEEK = 7


def week_bounds(start_day: int, weeks: int, interview_day: int | None) -> tuple[int, ...]:
    """The first day of each week, then the day after the plan's last.

    Seven-day weeks; when the interview comes before they would end, the weeks share the
    days from the start to the interview day (each gets ⌊days/weeks⌋ or one more; on a
    runway shorter than the plan's week count, some weeks get no day and pass at once)."""
    days = weeks * DAYS_PER_WEEK
    if interview_day is not None and interview_day - start_day + 1 < days:
        days = max(1, interview_day - start_day + 1)
    return tuple(start_day + (week * days) // weeks for week in range(weeks + 1))


def week_at(bounds: Sequence[int], day: int) -> int:
    """The week `day` falls in (1-based), clamped to the plan's weeks."""
    weeks = len(bounds) - 1
    return max(1, min(weeks, bisect_right(bounds, day, 0, weeks)))


def scaled(bounds: Sequence[int]) -> bool:
    """Whether the weeks are shorter than seven days (the interview comes first)."""
    return bounds[-1] - bounds[0] < (len(bounds) - 1) * DAYS_PER_WEEK


@dataclass(frozen=True)
class Tiers:
    """A number of cards by tier."""

    core: int = 0
    extended: int = 0

    @property
    def total(self) -> int:
        return self.core + self.extended

    def __add__(self, other: Tiers) -> Tiers:
        return Tiers(self.core + other.core, self.extended + other.extended)

    def __sub__(self, other: Tiers) -> Tiers:
        return Tiers(self.core - other.core, self.extended - other.extended)


class StreamCount(NamedTuple):
    """One stream's new cards: those left to introduce, those introduced already, and of
    these the ones introduced today."""

    left: Tiers
    introduced: Tiers = Tiers()
    today: Tiers = Tiers()


class StreamFit(NamedTuple):
    """One plan week's new cards, or those of the cards outside the plan (week None)."""

    week: int | None
    left: Tiers  # not introduced when the day began (suspended cards left out)
    fit: Tiers  # of those, the ones there is room for by the last day for new cards
    will_not_fit: Tiers


class Runway(NamedTuple):
    """The running plan's pace on one study day (see the module docstring)."""

    last_new_date: str  # the last day new cards are introduced
    days_left: int  # days with new cards left, today included (0: none)
    new_per_day: int  # the setting: the most new cards in a day
    pace_today: int  # today's new cards in all, those already introduced today included
    introduced_today: int
    outside_plan_today: int  # of today's cards still to come, those outside the plan
    # Every figure is as the day began: today's share is fixed in the morning, so the cards
    # introduced since count towards it.
    reach_week: int  # the latest week whose new cards may come today
    streams: tuple[StreamFit, ...]  # each week's, then the cards outside the plan
    left: Tiers
    will_not_fit: Tiers
    per_day_to_fit_all: int | None  # new_per_day that would fit every card left (None: no day)
    per_day_to_fit_core: int | None

    @property
    def still_today(self) -> int:
        return max(0, self.pace_today - self.introduced_today)

    @property
    def short_weeks(self) -> tuple[int, ...]:
        """The weeks some of whose cards will not fit."""
        return tuple(s.week for s in self.streams if s.week is not None and s.will_not_fit.total)

    @property
    def outside_plan(self) -> StreamFit:
        return self.streams[-1]


def plan_runway(
    *,
    today: int,
    bounds: Sequence[int],
    last_new_day: int,
    new_per_day: int,
    weeks: Sequence[StreamCount],
    outside_plan: StreamCount,
) -> Runway:
    """The pace on `today` of a plan whose weeks start on `bounds` (see `week_bounds`).

    `weeks`: each week's new cards; `outside_plan`: those of the cards no week selects."""
    days = max(0, last_new_day - today + 1)
    # As the day began: today's cards were still to introduce.
    counts = [StreamCount(c.left + c.today, c.introduced - c.today) for c in (*weeks, outside_plan)]
    introduced_today = sum(c.today.total for c in (*weeks, outside_plan))
    left = [c.left for c in counts]
    fits = _fit(counts, new_per_day * days)
    fit_weeks, fit_outside = fits[:-1], fits[-1].total
    week_now = week_at(bounds, today)
    total = sum(f.total for f in fits)
    if days == 0:
        pace = outside_share = 0
    else:
        so_far = sum(f.total for f in fit_weeks[:week_now])
        week_days = min(bounds[week_now] - 1, last_new_day) - today + 1
        outside_share = math.ceil(fit_outside / days)
        spread = math.ceil(so_far / max(1, week_days)) + outside_share
        needed = total - new_per_day * (days - 1)  # what later days cannot take
        pace = min(new_per_day, total, max(spread, needed))
        outside_share = min(outside_share, pace)
    outside_today = max(0, outside_share - outside_plan.today.total)
    planned_today = pace - outside_share
    reach, counted = week_now, sum(f.total for f in fit_weeks[:week_now])
    while counted < planned_today and reach < len(fit_weeks):
        counted += fit_weeks[reach].total
        reach += 1
    streams = tuple(
        StreamFit(week, have, fit, have - fit)
        for week, have, fit in zip((*range(1, len(weeks) + 1), None), left, fits, strict=True)
    )
    everything = sum((s.left for s in streams), Tiers())
    return Runway(
        last_new_date=date.fromordinal(max(1, last_new_day)).isoformat(),
        days_left=days,
        new_per_day=new_per_day,
        pace_today=pace,
        introduced_today=introduced_today,
        outside_plan_today=outside_today,
        reach_week=reach,
        streams=streams,
        left=everything,
        will_not_fit=sum((s.will_not_fit for s in streams), Tiers()),
        per_day_to_fit_all=_per_day(everything.total + introduced_today, days),
        per_day_to_fit_core=_per_day(everything.core + introduced_today, days),
    )


def _fit(counts: Sequence[StreamCount], room: int) -> list[Tiers]:
    """What fits in `room` cards, stream by stream: core cards first, then extended ones
    in the room the core cards leave."""
    core = _share(room, [c.left.core for c in counts], [c.introduced.core for c in counts])
    room -= sum(core)
    extended = _share(
        room, [c.left.extended for c in counts], [c.introduced.extended for c in counts]
    )
    return [Tiers(c, e) for c, e in zip(core, extended, strict=True)]


def _share(room: int, left: Sequence[int], introduced: Sequence[int]) -> list[int]:
    """`room` cards shared among streams so that each ends with the same share of its cards
    introduced, as near as whole cards allow, never more than it has left.

    Shares of the whole stream, not of what is left: tomorrow, with today's cards
    introduced, the same share gives each stream what today's gave it."""
    if room >= sum(left):
        return list(left)
    totals = [have + done for have, done in zip(left, introduced, strict=True)]

    def taken(share: float) -> list[float]:
        return [
            min(have, max(0.0, share * total - done))
            for have, done, total in zip(left, introduced, totals, strict=True)
        ]

    low, high = 0.0, 1.0
    for _ in range(40):  # the share where the room runs out, by bisection (to 1e-12)
        middle = (low + high) / 2
        if sum(taken(middle)) > room:
            high = middle
        else:
            low = middle
    exact = taken(low)
    shares = [math.floor(x) for x in exact]
    # The cards the rounding left over: to the streams furthest below their share, the
    # earlier week first on a tie.
    order = sorted(range(len(left)), key=lambda i: (shares[i] - exact[i], i))
    spare = room - sum(shares)
    while spare > 0:
        for i in order:
            if spare and shares[i] < left[i]:
                shares[i] += 1
                spare -= 1
    return shares


def _per_day(cards: int, days: int) -> int | None:
    return math.ceil(cards / days) if days > 0 else None
