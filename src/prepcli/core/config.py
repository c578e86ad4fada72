"""Settings: their names, meanings, parsing from text and validation."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.clock import zone_named
from prepcli.core.daysoff import parse_dates, parse_weekdays, show_dates, show_weekdays
from prepcli.core.errors import UsageError
from prepcli.core.models import Settings

if TYPE_CHECKING:
    from typing import Any

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_STEP_DAYS = 36500  # as the longest maximum_interval


class SettingSpec(NamedTuple):
    """One setting: how to parse it from the command line and show it."""

    name: str
    help: str
    parse: Callable[[str], Any]
    show: Callable[[Any], str] = str


def _float_in(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"expected a number, got {text!r}") from None
        if not low <= value <= high:
            raise UsageError(f"expected a number from {low} to {high}, got {text}")
        return value

    return parse


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise UsageError(f"expected a whole number from {low} to {high}, got {text}")
        return value

    return parse


def parse_steps(text: str) -> tuple[int, ...]:
    """'1m 10m' → (60, 600); an empty string means no steps."""
    steps = []
    for part in text.replace(",", " ").split():
        match = _DURATION.match(part)
        if not match:
            raise UsageError(f"bad step {part!r}: use a number and a unit, e.g. 1m 10m 1h")
        seconds = int(float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
        if seconds < 1:
            raise UsageError(f"bad step {part!r}: steps must be at least one second")
        if seconds > MAX_STEP_DAYS * 86400:  # far longer ones overflow the dates they make
            raise UsageError(f"bad step {part!r}: steps are at most {MAX_STEP_DAYS} days")
        steps.append(seconds)
    return tuple(steps)


def show_steps(steps: tuple[int, ...]) -> str:
    return " ".join(format_seconds(s) for s in steps)


def format_seconds(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"expected true or false, got {text!r}")


DURABILITY_LEVELS = ("full", "normal")


def _durability(text: str) -> str:
    if text not in DURABILITY_LEVELS:
        raise UsageError(f"expected one of {', '.join(DURABILITY_LEVELS)}, got {text!r}")
    return text


def _folder(text: str) -> str:
    """A folder path, made absolute (the setting holds where it is, not where you were)."""
    if not text.strip():
        raise UsageError("expected a folder path (`prepcli config reset sync_dir` unsets it)")
    if "\0" in text:
        raise UsageError("a folder path cannot contain a NUL character")
    folder = os.path.abspath(os.path.expanduser(text))
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in folder.split(os.sep)):
        raise UsageError("a folder name is at most 255 bytes")
    return folder


def _zone(text: str) -> str:
    zone_named(text)
    return text


SPECS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        SettingSpec(
            "desired_retention",
            "target recall probability at each review (0.7-0.99)",
            _float_in(0.7, 0.99),
        ),
        SettingSpec(
            "learning_steps", "steps for new cards, e.g. '1m 10m'", parse_steps, show_steps
        ),
        SettingSpec("relearning_steps", "steps after a lapse, e.g. '10m'", parse_steps, show_steps),
        SettingSpec("maximum_interval", "longest interval in days", _int_in(1, 36500)),
        SettingSpec("new_per_day", "new cards introduced per study day", _int_in(0, 9999)),
        SettingSpec("reviews_per_day", "review answers per study day", _int_in(0, 99999)),
        SettingSpec("rollover_hour", "local hour at which a study day starts", _int_in(0, 23)),
        SettingSpec("timezone", "IANA time zone for study days, or 'local'", _zone),
        SettingSpec(
            "fuzz",
            "spread review intervals slightly (true/false)",
            _bool,
            lambda v: "true" if v else "false",
        ),
        SettingSpec(
            "durability",
            "'full': each answer reaches the disk before the next card, surviving a power cut "
            "(as Anki); 'normal': faster, a power cut may drop the last answers",
            _durability,
        ),
        SettingSpec(
            "sync_dir",
            "folder to sync through at the start and end of `prepcli review` (see `prepcli sync`)",
            _folder,
            lambda v: v or "(none)",
        ),
        SettingSpec("leech_threshold", "lapses at which a card is tagged a leech", _int_in(1, 99)),
        SettingSpec(
            "interview_price",
            "recall on the interview day a review must buy to be planned (lower: more "
            "reviews, higher recall)",
            _float_in(0.001, 0.2),
        ),
        SettingSpec(
            "interview_retention",
            "the interview planner's retention before a card's last review (0.7-0.97)",
            _float_in(0.7, 0.97),
        ),
        SettingSpec(
            "interview_headroom",
            "share of each day's capacity the planner's final reviews leave free (0-0.5)",
            _float_in(0.0, 0.5),
        ),
        SettingSpec(
            "interview_capacity",
            "reviews a day before the interview (0: reviews_per_day)",
            _int_in(0, 99999),
        ),
        SettingSpec(
            "interview_lead",
            "1: last session the eve; 0: also the interview morning",
            _int_in(0, 1),
        ),
        SettingSpec(
            "interview_buffer", "days without new cards before the last session", _int_in(0, 30)
        ),
        SettingSpec(
            "load_balance",
            "draw each review's day within its fuzz range toward lighter days, as Anki's load "
            "balancer (true/false; needs fuzz)",
            _bool,
            lambda v: "true" if v else "false",
        ),
        SettingSpec(
            "easy_days",
            "weekdays with fewer reviews, e.g. 'sat sun' (or 'none')",
            parse_weekdays,
            show_weekdays,
        ),
        SettingSpec(
            "easy_day_share",
            "an easy day's share of an ordinary day's reviews (0: none, 0.5: half)",
            _float_in(0.0, 0.9),
        ),
        SettingSpec(
            "rest_days",
            "days off: nothing asked, no streak broken, e.g. '2026-12-24 2026-12-30..2027-01-01' "
            "(`prepcli postpone N` adds a break)",
            parse_dates,
            show_dates,
        ),
    )
}


def parse_setting(name: str, text: str) -> Any:
    spec = SPECS.get(name)
    if spec is None:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    return spec.parse(text)


def to_stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def show_setting(name: str, settings: Settings) -> str:
    return SPECS[name].show(getattr(settings, name))
