"""The plan's pace in words, for `prepcli plan`, `plan start` and today's summary.

Plain text (no Rich): today's summary, the command people run most, uses it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prepcli.core.textfmt import plural

if TYPE_CHECKING:
    from prepcli.core.planstatus import PlanStatus
    from prepcli.core.runway import Runway


def _cards(count: int, what: str = "") -> str:
    word = f"{what} card" if what else "card"
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def week_span(weeks: Iterable[int]) -> str:
    """Week numbers as runs: (1, 2, 3, 5) → "weeks 1–3, 5"."""
    numbers = sorted(set(weeks))
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return ("week " if len(numbers) == 1 else "weeks ") + text


def pace_line(status: PlanStatus) -> str | None:
    """How many new cards a day the plan introduces now, and what that achieves."""
    runway = status.runway
    if runway is None:
        if status.phase == "running" and status.cards_left_so_far:
            return _week_pace(status, status.catch_up_per_day)
        return None
    if runway.days_left == 0 or not runway.left.total:
        return None
    outside = runway.outside_plan.left.total
    if runway.reach_week == status.week and not outside and runway.pace_today < runway.new_per_day:
        # This week's share, as without a runway to fit.
        return _week_pace(status, runway.pace_today) if status.cards_left_so_far else None
    fit = runway.left.total - runway.will_not_fit.total
    limit = (
        "new_per_day"
        if runway.pace_today == runway.new_per_day
        else f"at most {runway.new_per_day}"
    )
    text = (
        f"Pace: {plural(runway.pace_today, 'new card')} a day ({limit}) until "
        f"{runway.last_new_date}, the last day for new cards"
    )
    if runway.will_not_fit.total:
        text += f": {fit:,} of the {_cards(runway.left.total)} left fit"
    else:
        text += f", introduces all {_cards(runway.left.total)} left"
    if outside:
        text += f" ({outside:,} of them outside the plan, in your own decks)"
    return text + "."


def _week_pace(status: PlanStatus, pace: int) -> str:
    days = status.days_left_in_week
    return (
        f"Pace: {plural(pace, 'new card')} a day for the next {plural(days, 'day')} "
        f"introduces the {plural(status.cards_left_so_far, 'card')} left in this and earlier weeks."
    )


def shortfall_line(runway: Runway) -> str | None:
    """Which cards will not be introduced before the last day for new cards, and the
    `new_per_day` that would fit them."""
    missing = runway.will_not_fit
    if not missing.total:
        return None
    if runway.days_left == 0:
        return (
            f"No day is left for new cards before the interview (see interview_buffer): "
            f"the {_cards(missing.total)} left will not be introduced."
        )
    parts = []
    for tier, count, of in (
        ("core", missing.core, runway.left.core),
        ("extended", missing.extended, runway.left.extended),
    ):
        if count:
            parts.append(
                f"all {_cards(of, tier)}" if count == of else f"{count:,} of the {_cards(of, tier)}"
            )
    weeks = [s.week for s in runway.streams if s.week is not None and s.will_not_fit.total]
    where = [week_span(weeks)] if weeks else []
    if runway.outside_plan.will_not_fit.total:
        where.append("your own decks")
    text = (
        f"Will not fit by {runway.last_new_date}: {' and '.join(parts)} "
        f"(the last ones of {' and '.join(where)})."
    )
    raise_to = f" Raise new_per_day to {runway.per_day_to_fit_all} to fit them all"
    if missing.core and runway.per_day_to_fit_core != runway.per_day_to_fit_all:
        raise_to += f" ({runway.per_day_to_fit_core} fits every core card)"
    return text + raise_to + "."


def today_pace(runway: Runway) -> str:
    """The summary's one-line pace."""
    text = f"{plural(runway.pace_today, 'new card')} a day until {runway.last_new_date}"
    if runway.will_not_fit.total:
        text += f"; {_cards(runway.will_not_fit.total)} will not fit (`prepcli plan`)"
    return text


def scaled_note(status: PlanStatus) -> str | None:
    """The weeks fitted to an interview that comes before the plan would end."""
    if not status.weeks_scaled:
        return None
    days = [
        _days_between(status.weeks[i].start_date, nxt)
        for i, nxt in enumerate([*(w.start_date for w in status.weeks[1:]), _after(status)])
    ]
    low, high = min(days), max(days)
    each = plural(low, "day") if low == high else f"{low}–{plural(high, 'day')}"
    return (
        f"The plan's {len(status.weeks)} weeks are fitted to the days up to the interview "
        f"({each} each); core cards come first."
    )


def _after(status: PlanStatus) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(status.end_date) + timedelta(days=1)).isoformat()


def _days_between(first: str, then: str) -> int:
    from datetime import date

    return (date.fromisoformat(then) - date.fromisoformat(first)).days
