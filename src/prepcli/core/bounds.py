"""What prepcli itself could have written: the range of every stored value.

An import is checked against these before anything is written, and `prepcli check` looks
for rows outside them (a database changed by hand, or by an older prepcli that imported
without them). Every range is wide enough for any history prepcli writes, and narrow
enough that no later computation on the value overflows: dates stay within 1970–2999
(datetime reaches 9999, so a date plus the longest interval still fits), epoch
milliseconds within those dates, counts far below SQLite's 64-bit integers.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import NamedTuple

#: Study days are proleptic Gregorian ordinals; a day starts up to 14 hours before or after
#: midnight UTC, so the first study day of 1970 in a western zone is 1969-12-31.
EARLIEST_DAY = date(1969, 12, 31).toordinal()
LATEST_DAY = date(2999, 12, 31).toordinal()
EARLIEST_MS = 0  # 1970-01-01T00:00Z
LATEST_MS = int(datetime(3000, 1, 1, tzinfo=UTC).timestamp() * 1000) - 1
DAY_MS = 86_400_000
#: An answer's recorded time; prepcli itself stores at most an hour.
MAX_DURATION_MS = DAY_MS
#: Answers or lapses of one card: years of daily reviews are a few thousand.
MAX_COUNT = 1_000_000
#: A (re)learning step's index: far more steps than any setting holds.
MAX_STEP = 10_000
#: Days between two dates in range, for intervals and elapsed times.
MAX_SPAN_DAYS = float(LATEST_DAY - EARLIEST_DAY + 1)
#: FSRS stability in days (fsrs's own minimum is 0.001; a century is 36,500).
MAX_STABILITY = 1e7
MIN_STABILITY = 0.001
MIN_DIFFICULTY, MAX_DIFFICULTY = 1.0, 10.0
#: A time-zone offset in minutes (real ones are within ±14 hours).
MAX_OFFSET_MIN = 1440
MAX_TEXT = 1000  # a review's reason ("interview")
MAX_KEY = 300
#: A card key as decks make them: `deck.id/card-id` (a cloze deletion adds `.cN`).
CARD_KEY = re.compile(
    r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*/[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*"
)


class Bound(NamedTuple):
    """The values one column may hold."""

    low: float
    high: float
    whole: bool = True  # an INTEGER column; otherwise REAL (finite)
    nullable: bool = False
    text: bool = False  # a TEXT column: `high` is its length

    def problem(self, value: object) -> str | None:
        """Why `value` is out of range (after its type was checked), or None."""
        if value is None:
            return None if self.nullable else "cannot be null"
        if self.text:
            assert isinstance(value, str)
            return None if len(value) <= self.high else f"is over {int(self.high):,} characters"
        assert isinstance(value, int | float)
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if self.low <= value <= self.high:
            return None
        return f"is out of range ({self.describe()})"

    def describe(self) -> str:
        if self.whole and (self.low, self.high) in _DAY_AND_MS:
            return _DAY_AND_MS[(self.low, self.high)]
        low = int(self.low) if self.whole else self.low
        high = int(self.high) if self.whole else self.high
        return f"{low:,} to {high:,}"


_DAY_AND_MS: dict[tuple[float, float], str] = {
    (EARLIEST_DAY, LATEST_DAY): "a study day from 1969-12-31 to 2999-12-31",
    (EARLIEST_MS, LATEST_MS): "epoch milliseconds from 1970 to 2999",
}


def _whole(low: float, high: float, nullable: bool = False) -> Bound:
    return Bound(low, high, whole=True, nullable=nullable)


def _real(low: float, high: float, nullable: bool = True) -> Bound:
    return Bound(low, high, whole=False, nullable=nullable)


DAY = _whole(EARLIEST_DAY, LATEST_DAY, nullable=True)
MS = _whole(EARLIEST_MS, LATEST_MS, nullable=True)
FLAG = _whole(0, 1)

#: A card's scheduling state, as the card row and each review's before/after snapshot hold it.
STATE: dict[str, Bound] = {
    "phase": _whole(0, 3),
    "step": _whole(0, MAX_STEP, nullable=True),
    "stability": _real(MIN_STABILITY, MAX_STABILITY),
    "difficulty": _real(MIN_DIFFICULTY, MAX_DIFFICULTY),
    "due_ms": MS,
    "due_day": DAY,
    "last_review_ms": MS,
    "reps": _whole(0, MAX_COUNT),
    "lapses": _whole(0, MAX_COUNT),
    "leech": FLAG,
}

CARD: dict[str, Bound] = {
    **STATE,
    "suspended": FLAG,
    "buried_until_day": DAY,
}

REVIEW: dict[str, Bound] = {
    "reviewed_ms": _whole(EARLIEST_MS, LATEST_MS),
    "study_day": _whole(EARLIEST_DAY, LATEST_DAY),
    "tz_offset_min": _whole(-MAX_OFFSET_MIN, MAX_OFFSET_MIN),
    "rating": _whole(0, 4),
    "kind": _whole(0, 4),
    "duration_ms": _whole(0, MAX_DURATION_MS, nullable=True),
    "elapsed_days": _real(-MAX_SPAN_DAYS, MAX_SPAN_DAYS),
    "scheduled_days": _real(-MAX_SPAN_DAYS, MAX_SPAN_DAYS),
    "r_predicted": _real(0.0, 1.0),
    "desired_retention": _real(0.0, 1.0),
    "reason": Bound(0, MAX_TEXT, whole=False, nullable=True, text=True),
    **{f"b_{name}": bound for name, bound in STATE.items()},
    **{f"a_{name}": bound for name, bound in STATE.items()},
}

#: An imported parameter set's numbers besides the 21 weights (checked against fsrs).
PARAMETER_SET: dict[str, Bound] = {
    "created_ms": _whole(EARLIEST_MS, LATEST_MS),
    "n_items": _whole(0, 1_000_000_000),
    "log_loss": _real(0.0, 1e6),
    "rmse_bins": _real(0.0, 1e6),
}


def key_problem(key: str) -> str | None:
    """Why a card key is not one a deck could define, or None."""
    if len(key) > MAX_KEY:
        return f"card key is over {MAX_KEY} characters"
    if not CARD_KEY.fullmatch(key):
        return "card key must look like deck.id/card-id (lowercase letters, digits, '-', '.')"
    return None
