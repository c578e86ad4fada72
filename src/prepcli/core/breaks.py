"""A break of N days (`prepcli postpone N`): where the reviews due during it go (pure).

Left alone, every review due during a break is due on the day after it, on top of that
day's own: a week off brings a week of reviews on one morning. Two ways out are known:
Anki's FSRS Helper "postpone" (and Anki's own set-due-date) lengthens each card's
interval by a share of itself, which spares long intervals and leaves the day after
still full of the short ones; or the reviews are spread over the days after the break.
prepcli spreads them, because a break is about the load it leaves behind:

- every review due during the break (and, for a break starting today, those already
  overdue) goes to the days after it, none is dropped;
- the catch-up takes as many days as the break lasted (at least one): over them the
  load is levelled, each day filled up to the same level of reviews due (an easy day to
  its share of it, a rest day not at all), never above the daily capacity; when the
  capacity is too small for that, later days take the rest, still within it;
- the least stable cards come first (they lose most recall per day of waiting; the
  stable ones, whose recall hardly moves in a week, wait longest).

Only due days move: stability and difficulty stay FSRS's, and a card is never made due
earlier than it was. While an interview date is set the planner chooses each day's
reviews from the cards' memory itself, so these due days matter after the interview; the
break's days become rest days, on which it places no review (core/interview.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

HORIZON_DAYS = 366  # how far after a break a review may go when the capacity is small


class DueCard(NamedTuple):
    key: str
    due_day: int
    stability: float


class Move(NamedTuple):
    key: str
    from_day: int
    to_day: int


class BreakPlan(NamedTuple):
    first_day: int  # the break's first and last study days
    last_day: int
    moves: tuple[Move, ...]
    catch_up_days: tuple[int, ...]  # the days over which the load is levelled
    load_after: dict[int, int]  # review cards due on each day after the break, moved ones in
    moved_per_day: dict[int, int]

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def plan_break(
    due: Sequence[DueCard],
    first_day: int,
    last_day: int,
    load: Mapping[int, int],
    capacity: int,
    share_of: Callable[[int], float],
) -> BreakPlan:
    """Where the `due` cards (due by `last_day`) go. `load`: review cards already due on
    each day after the break; `share_of(day)`: 1 for an ordinary day, an easy day's share,
    0 for a rest day; `capacity`: review answers a day."""
    capacity = max(capacity, 1)
    after = [
        d
        for d in range(last_day + 1, last_day + 1 + HORIZON_DAYS + (last_day - first_day))
        if share_of(d) > 0
    ]
    ordered = sorted(due, key=lambda card: (card.stability, card.key))
    window_size = max(last_day - first_day + 1, 1, math.ceil(len(ordered) / capacity))
    window = after[:window_size]
    shares = sum(share_of(d) for d in window)
    level = (sum(load.get(d, 0) for d in window) + len(ordered)) / shares if shares else 0.0
    room = {d: min(capacity, math.ceil(level * share_of(d))) - load.get(d, 0) for d in window}
    for d in after[window_size:]:
        room[d] = capacity - load.get(d, 0)  # beyond the catch-up: up to the capacity
    moves: list[Move] = []
    days = iter(after)
    day = next(days, None)
    for card in ordered:
        while day is not None and room.get(day, 0) <= 0:
            day = next(days, None)
        if day is None:  # no room anywhere within the horizon: the catch-up days share it
            target = window[len(moves) % len(window)] if window else last_day + 1
        else:
            target = day
            room[day] -= 1
        moves.append(Move(card.key, card.due_day, target))
    moved: dict[int, int] = {}
    for move in moves:
        moved[move.to_day] = moved.get(move.to_day, 0) + 1
    touched = sorted(set(window) | set(moved))
    return BreakPlan(
        first_day=first_day,
        last_day=last_day,
        moves=tuple(moves),
        catch_up_days=tuple(window),
        load_after={d: load.get(d, 0) + moved.get(d, 0) for d in touched},
        moved_per_day=dict(sorted(moved.items())),
    )
