"""Days off and lighter days (pure): the settings that name them, and what a day is.

- *Rest days* (`rest_days`, and the days of a break from `prepcli postpone`) are study
  days the user takes off: nothing is asked on them, the load balancer keeps reviews off
  them, the interview planner places no review on them, and they break no streak. The
  interview day is a rest day too: the preparation is done by then.
- *Easy days* (`easy_days`, with `easy_day_share`) are weekdays with a lighter load, as
  Anki 24.11's easy days: the load balancer gives them that share of an ordinary day's
  reviews (core/loadbalance.py).

Study days are the proleptic Gregorian ordinals of their dates (core/clock.py), so a
setting stores them as plain integers and shows them as ISO dates without a calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from prepcli.core.errors import UsageError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    **{name: number for number, name in enumerate(WEEKDAYS)},
    **{
        name: number
        for number, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
NONE_WORDS = ("", "none", "-")
MAX_RANGE_DAYS = 366  # one range of rest days: a year at most
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1).toordinal(), date(2999, 12, 31).toordinal()


def weekday_of(day: int) -> int:
    """0 for Monday … 6 for Sunday."""
    return date.fromordinal(day).weekday()


def _items(text: str) -> list[str]:
    return text.replace(",", " ").split()


def parse_weekdays(text: str) -> tuple[int, ...]:
    """'sat sun' or 'saturday, sunday' → (5, 6); 'none' or nothing → ()."""
    if text.strip().lower() in NONE_WORDS:
        return ()
    found = set()
    for word in _items(text.lower()):
        if word not in _WEEKDAY_NAMES:
            raise UsageError(f"bad weekday {word!r}: use mon, tue, … sun (or full names)")
        found.add(_WEEKDAY_NAMES[word])
    return tuple(sorted(found))


def show_weekdays(days: tuple[int, ...]) -> str:
    shown = [WEEKDAYS[d] for d in days if 0 <= d < len(WEEKDAYS)]
    return " ".join(shown) if shown else "none"


def _parse_date(text: str) -> int:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad date {text!r}: use YYYY-MM-DD (a range: FROM..TO)") from None
    day = value.toordinal()
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise UsageError(f"bad date {text!r}: dates go from 1970-01-01 to 2999-12-31")
    return day


def parse_day(text: str, what: str) -> int:
    """One ISO date, as a study day, for an option named `what` (e.g. --start)."""
    try:
        day = date.fromisoformat(text.strip()).toordinal()
    except ValueError:
        raise UsageError(f"{what} must be a date like 2026-12-14, got {text!r}") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise UsageError(f"{what} must be between 1970-01-01 and 2999-12-31, got {text}")
    return day


def parse_dates(text: str) -> tuple[int, ...]:
    """'2026-12-24 2026-12-30..2027-01-01' → their study days, sorted; 'none' → ()."""
    if text.strip().lower() in NONE_WORDS:
        return ()
    found: set[int] = set()
    for item in _items(text):
        first, dots, last = item.partition("..")
        start = _parse_date(first)
        end = _parse_date(last) if dots else start
        if end < start:
            raise UsageError(f"bad range {item!r}: it ends before it starts")
        if end - start + 1 > MAX_RANGE_DAYS:
            raise UsageError(f"bad range {item!r}: at most {MAX_RANGE_DAYS} days")
        found.update(range(start, end + 1))
    return tuple(sorted(found))


def show_dates(days: Iterable[int]) -> str:
    """Study days as ISO dates, consecutive ones as FROM..TO; 'none' when there are none."""
    valid = sorted({d for d in days if EARLIEST_DAY <= d <= LATEST_DAY})
    runs: list[tuple[int, int]] = []
    for day in valid:
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    shown = [
        date.fromordinal(a).isoformat() + ("" if a == b else ".." + date.fromordinal(b).isoformat())
        for a, b in runs
    ]
    return " ".join(shown) if shown else "none"


# --- what kind of day today is -------------------------------------------------------------

INTERVIEW = "interview"  # the interview day: good luck, nothing asked
REST = "rest"  # a declared day off or a day of a break
AFTER_INTERVIEW = "after_interview"  # the days after: the plan is over, what next
AFTER_SHOWN_DAYS = 7  # how long after the interview `prepcli` says what comes next


class DayNote(NamedTuple):
    """What is special about today, for `prepcli` / `prepcli today --json`."""

    kind: str  # INTERVIEW, REST or AFTER_INTERVIEW
    reviews_optional: bool  # nothing is asked: what is due may be done, or not
    interview_date: str | None = None
    days_since_interview: int | None = None
    rest_until: str | None = None  # the last day of the break today belongs to
    desired_retention: float | None = None  # the retention reviews follow after the interview


def day_note(
    today: int,
    rest_days: frozenset[int],
    interview_day: int | None,
    *,
    interview_lead: int,
    desired_retention: float,
) -> DayNote | None:
    """Today's note, or None on an ordinary day. On the interview day nothing is asked
    (with `interview_lead` 0 the user chose a last session that morning: then what is
    planned is asked as usual, with the good-luck line)."""
    interview = None if interview_day is None else date.fromordinal(interview_day).isoformat()
    if interview_day is not None and today == interview_day:
        return DayNote(INTERVIEW, reviews_optional=interview_lead > 0, interview_date=interview)
    if today in rest_days:
        last = today
        while last + 1 in rest_days:
            last += 1
        until = date.fromordinal(last).isoformat()
        return DayNote(REST, reviews_optional=True, interview_date=interview, rest_until=until)
    if interview_day is not None and 0 < today - interview_day <= AFTER_SHOWN_DAYS:
        return DayNote(
            AFTER_INTERVIEW,
            reviews_optional=False,
            interview_date=interview,
            days_since_interview=today - interview_day,
            desired_retention=desired_retention,
        )
    return None
