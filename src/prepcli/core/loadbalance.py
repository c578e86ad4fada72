"""The load balancer and easy days (pure): a review card's next due day chosen within its
fuzz range, toward the lighter days, as Anki 24.11 does.

Anki's design (ankitects/anki, rslib/src/scheduler/states/load_balancer.rs, and
states/fuzz.rs for the range): instead of a uniformly random day in the fuzz range, a
day is drawn with weight

    (1 / cards due that day) ^ 2.15 · (1 / interval) ^ 3      (1 for a day with none due)

so that emptier days and, among equal days, shorter intervals are preferred; intervals
over 90 days are not balanced (the need is low that far out). Easy days (its
`calculate_easy_days_modifiers`): a weekday with a reduced share is turned off for this
card when its load, scaled up by its share, is above the average of the other days in
the range, so it settles at about that share of an ordinary day; a share of 0 keeps it
free. prepcli generalises Anki's fixed 50% "reduced" to any share (`easy_day_share`),
and treats rest days (core/daysoff.py) as days with no share. Where Anki multiplies a
day that is off by 0.0001 (and gives an empty day the full weight whatever its easy-day
setting, so a "minimum" weekday still takes cards while it is empty), prepcli gives it
no weight at all, and only when every day of the range is off does it balance as if
none were: a day off takes no card that has another day to go to. Anki also keeps
siblings apart; prepcli's cards have no siblings to disperse in review, so there is no
sibling factor.

Only the due day changes: the memory state (stability, difficulty) is FSRS's, untouched,
and the day stays inside the range fuzz would have drawn from. The draw is seeded by the
card and its review count (the fuzz seed), so the interval shown on a key is the one the
answer gives. Where every day of the range weighs the same (all empty, none off), there is
nothing to balance and the interval is the plain seeded fuzz, as without the balancer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from prepcli.core.daysoff import weekday_of

MAX_BALANCED_INTERVAL = 90  # Anki's MAX_LOAD_BALANCE_INTERVAL
LOAD_DAYS = 99  # days ahead whose load is read: Anki's LOAD_BALANCE_DAYS (90 · 1.1)
OFF = 0.0  # a day off takes no card while another day in range can (see balanced_interval)
COUNT_POWER = 2.15  # Anki's weight exponents
INTERVAL_POWER = 3
#: py-fsrs's and Anki's fuzz: (start, end, factor) of each stretch of the interval.
FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, float("inf"), 0.05))


@dataclass(frozen=True)
class DayLoads:
    """The review cards due on each day ahead, and the days to keep light or free."""

    today: int
    due: Mapping[int, int]  # study day → review cards due on it
    easy_days: frozenset[int] = frozenset()  # weekdays, 0 for Monday
    easy_share: float = 0.5  # an easy day's share of an ordinary day's load
    rest_days: frozenset[int] = field(default_factory=frozenset)  # study days kept free

    def count(self, day: int) -> int:
        return self.due.get(day, 0)

    def share(self, day: int) -> float:
        """A day's share of an ordinary day's load: 1, the easy share, or 0 (a rest day)."""
        if day in self.rest_days:
            return 0.0
        if weekday_of(day) in self.easy_days:
            return self.easy_share
        return 1.0


def fuzz_bounds(interval: int, maximum: int) -> tuple[int, int]:
    """The range fuzz draws from, as py-fsrs 6.3.2 computes it (`_get_fuzz_range`, the
    same stretches as Anki's `fuzz_delta`): no fuzz under 2.5 days, never under 2 days
    nor over the maximum interval. (py-fsrs's own draw, round(r · (n + 1) + low), can land
    a day past `high`; the balancer keeps to [low, high], as Anki's floor does.)"""
    if interval < 2.5:
        return interval, interval
    delta = 1.0
    for start, end, factor in FUZZ_RANGES:
        delta += factor * max(min(float(interval), end) - start, 0.0)
    low = max(2, round(interval - delta))
    high = min(round(interval + delta), maximum)
    return min(low, high), high


def balanced_interval(interval: int, maximum: int, loads: DayLoads, seed: int) -> int | None:
    """The interval in days within the fuzz range of `interval`, drawn toward the lighter
    days; None (the caller fuzzes as usual) past MAX_BALANCED_INTERVAL, and when every day
    of the range weighs the same (all empty, none easy or off), so that balancing changes
    an interval only where there is something to balance."""
    if interval > MAX_BALANCED_INTERVAL:
        return None
    low, high = fuzz_bounds(interval, maximum)
    if low == high:
        return low
    candidates = list(range(low, high + 1))
    days = [loads.today + ivl for ivl in candidates]
    factors = _easy_day_factors(loads, days)
    weights = []
    for ivl, day in zip(candidates, days, strict=True):
        count = loads.count(day)
        weight = 1.0 if count == 0 else (1 / count) ** COUNT_POWER * (1 / ivl) ** INTERVAL_POWER
        weights.append(weight)
    chosen = [w * f for w, f in zip(weights, factors, strict=True)]
    if not any(chosen):
        chosen = weights  # every day is off: balance as if none were
    if len(set(chosen)) == 1:
        return None  # nothing to balance (every day empty and alike): fuzz as usual
    return random.Random(seed).choices(candidates, chosen)[0]


def _easy_day_factors(loads: DayLoads, days: list[int]) -> list[float]:
    """1 for a day that may take the card, OFF for one that should not: a rest day, an easy
    day with no share, or an easy day whose load scaled by its share is above the other
    days' average (Anki's `calculate_easy_days_modifiers`, with any share)."""
    counts = [loads.count(day) for day in days]
    shares = [loads.share(day) for day in days]
    total, total_share = sum(counts), sum(shares)
    factors = []
    for count, share in zip(counts, shares, strict=True):
        if share >= 1.0:
            factors.append(1.0)
        elif share <= 0.0:
            factors.append(OFF)
        else:
            others_share = total_share - share
            if others_share <= 0:
                factors.append(1.0)  # only easy days in range: balance among them
                continue
            average_elsewhere = (total - count) / others_share
            factors.append(OFF if count / share > average_elsewhere else 1.0)
    return factors
