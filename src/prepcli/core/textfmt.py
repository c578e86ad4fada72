"""How numbers, counts, times and paths read on every screen (pure strings, no Rich).

One place decides these so that no screen says "1 answers", prints 2464 on one screen and
2,464 on the next, shows a UTC time beside a local one, or cuts a path in the middle:

- counts: `plural(1, "answer")` → "1 answer", `plural(2464, "answer")` → "2,464 answers";
- day distances: `in_days(1)` → "in 1 day", `in_days(0)` → "today";
- percentage points: `points(1)` → "+1 pt", `points(-3)` → "-3 pts";
- times: `local_time(instant, tz)` → "2026-11-23 09:00 CET", always in the user's zone
  (the `timezone` setting) and always with that zone's name;
- paths: `short_path` writes the home folder as `~`; `clip_start` cuts what does not fit
  from the start ("…/decks/llm-quiz/inference.yaml"), where a path says least.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from prepcli.core.clock import from_ms
from prepcli.core.models import Rating

ELLIPSIS = "…"


def number(value: int) -> str:
    """A whole number with thousands separators: 2464 → "2,464"."""
    return f"{value:,}"


def plural_of(word: str) -> str:
    """English plural of a singular noun (the words prepcli prints)."""
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def noun(count: int | float, singular: str, many: str | None = None) -> str:
    """`singular` for exactly one, else its plural (`many`, or the regular one)."""
    return singular if count == 1 else (many or plural_of(singular))


def plural(count: int, singular: str, many: str | None = None) -> str:
    """ "1 card", "0 cards", "2,464 cards", "2 leeches"."""
    return f"{number(count)} {noun(count, singular, many)}"


def in_days(days: int) -> str:
    """A distance in study days from today: "today", "in 1 day", "3 days ago"."""
    if days == 0:
        return "today"
    if days > 0:
        return f"in {plural(days, 'day')}"
    return f"{plural(-days, 'day')} ago"


def points(value: float) -> str:
    """A signed difference in percentage points: "+1 pt", "-3 pts", "0 pts"."""
    rounded = round(value)
    sign = "+" if rounded > 0 else ("-" if rounded < 0 else "")
    return f"{sign}{abs(rounded)} {noun(abs(rounded), 'pt')}"


def zone_name(instant: datetime) -> str:
    """The zone of an aware local time as people write it: "CET", "UTC", or "UTC+05:30"
    when the zone has no abbreviation (a fixed offset)."""
    name = instant.strftime("%Z")
    if name and name.isalpha():
        return name
    offset = instant.strftime("%z")  # +0530
    if not offset:
        return "UTC"
    return f"UTC{offset[:3]}:{offset[3:5]}"


def local_time(instant: datetime, tz: tzinfo) -> str:
    """An instant to the minute in the user's zone, with that zone: "2026-11-23 09:00 CET"."""
    local = instant.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {zone_name(local)}"


def short_path(path: str, home: str | None) -> str:
    """`path` with the home folder written `~` (`~/decks/x.yaml`); others unchanged."""
    if home and home not in ("/", ""):
        trimmed = home.rstrip("/\\")
        if path == trimmed:
            return "~"
        for separator in ("/", "\\"):
            if path.startswith(trimmed + separator):
                return "~" + separator + path[len(trimmed) + 1 :]
    return path


def clip_start(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut from the start, at a folder boundary
    when one is in what is kept: "…/llm-quiz/x.yaml", not "…iz/x.yaml"."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    kept = text[len(text) - width + 1 :]
    for index, char in enumerate(kept):
        if char in "/\\" and index > 0:
            return ELLIPSIS + kept[index:]
    return ELLIPSIS + kept


RATING_NAMES = {
    Rating.AGAIN: "Again",
    Rating.HARD: "Hard",
    Rating.GOOD: "Good",
    Rating.EASY: "Easy",
}


def format_interval(days: float) -> str:
    """A compact interval like Anki's buttons: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = days * 86400
    if seconds < 60:
        return f"{max(1, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if days < 1:
        return f"{round(seconds / 3600)}h"
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def local_minutes(ms: int, tz: tzinfo) -> str:
    """An epoch-ms instant in the user's zone, with the zone: "2026-11-23 09:00 CET"."""
    return local_time(from_ms(ms), tz)
