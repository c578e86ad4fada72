"""The one place prepcli reads the time, and the study-day calendar.

`now()` honours `PREPCLI_NOW` so tests, demos and simulations can pin the clock. A study
day starts at the rollover hour (04:00 by default) in the user's time zone, as in Anki;
days are numbered by the proleptic Gregorian ordinal of their local date.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prepcli.core.errors import PrepError, UsageError

NOW_ENV = "PREPCLI_NOW"
#: The instants prepcli works with (see core/bounds.py): a pinned clock must be among them.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def parse_instant(text: str, tz: tzinfo) -> datetime:
    """An ISO-8601 date or datetime; one without an offset is read in `tz`."""
    try:
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        value = value.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 moved west of UTC, say
        raise UsageError(f"not an ISO-8601 date or time: {text!r}") from None
    return value


def now(tz: tzinfo | None = None) -> datetime:
    """The current instant in UTC, or the one pinned by PREPCLI_NOW."""
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        try:
            datetime.fromisoformat(pinned.strip())
        except ValueError:
            raise PrepError(f"{NOW_ENV}={pinned!r} is not an ISO-8601 date or time") from None
        try:
            instant = parse_instant(pinned, tz or local_zone())
        except UsageError:  # year 1 moved west of UTC leaves datetime's range
            instant = EARLIEST - timedelta(days=1)
        if not EARLIEST <= instant < LATEST:  # days and intervals from it must stay in datetime
            raise PrepError(f"{NOW_ENV}={pinned!r} is outside the years 1970 to 2999")
        return instant
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The machine's time zone, with its DST rules when they can be found."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        fixed = datetime.now().astimezone().tzinfo
        return fixed if fixed is not None else UTC


def zone_named(name: str) -> tzinfo:
    """`local` or an IANA zone name such as Europe/Paris."""
    if name == "local":
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name or 'local')") from None


def to_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class StudyCalendar(NamedTuple):
    """Maps instants to study days: local date of (instant − rollover hours)."""

    tz: tzinfo
    rollover_hour: int = 4

    def day(self, instant: datetime) -> int:
        local = instant.astimezone(self.tz) - timedelta(hours=self.rollover_hour)
        return local.date().toordinal()

    def day_of_ms(self, ms: int) -> int:
        return self.day(from_ms(ms))

    def date_of(self, day: int) -> date:
        return date.fromordinal(day)

    def day_of_date(self, value: date) -> int:
        return value.toordinal()

    def day_start(self, day: int) -> datetime:
        """The UTC instant at which study day `day` begins."""
        local = datetime.combine(date.fromordinal(day), datetime.min.time(), tzinfo=self.tz)
        return (local + timedelta(hours=self.rollover_hour)).astimezone(UTC)

    def offset_minutes(self, instant: datetime) -> int:
        offset = instant.astimezone(self.tz).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0
