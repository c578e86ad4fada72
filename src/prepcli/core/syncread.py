"""Reading a sync log's events back (core/syncevents.py is their format): every field of
a line checked, and a line that is not an event says which field is wrong and why.

Lines prepcli wrote, nearly all answers, are read by plain_answer with a comparison or two
a field; any other line, field by field by decode_fields, which names what is wrong. Both
take the same lines, with the same values.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from prepcli.core import bounds
from prepcli.core.syncevents import (
    CARD_LOG,
    DEVICE,
    EVENT_ID,
    KIND_NAMES,
    PHASE_NAMES,
    RATING_NAMES,
    TYPES,
    Answer,
    Event,
    day_of,
    iso_day,
    iso_ms,
    ms_of,
    usual_last_review,
)

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_RATINGS = {name: code for code, name in RATING_NAMES.items()}
_KINDS = {name: code for code, name in KIND_NAMES.items()}
_PHASES = {name: code for code, name in PHASE_NAMES.items()}


class EventProblem(Exception):
    """Why a line is not an event; `field` names where it is (for its column)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def decode(line: Any) -> Event:
    """An event from a parsed line, every field checked; EventProblem otherwise."""
    if not isinstance(line, dict):
        raise EventProblem("an event must be a JSON object")
    if line.get("type") in CARD_LOG:
        plain = plain_answer(line)
        if plain is not None:
            return plain
    return decode_fields(line)


def decode_fields(line: dict[str, Any]) -> Event:
    """An event read field by field, each failure an EventProblem naming the field."""
    fields = _Fields(line)
    identifier = fields.text("id", EVENT_ID)
    device = fields.text("device", DEVICE)
    match = EVENT_ID.fullmatch(identifier)
    assert match is not None
    if match.group(1) != device:
        raise EventProblem(f"id {identifier!r} is not one of device {device}'s", "id")
    seq = int(match.group(2))
    at_ms = fields.instant("at")
    kind = fields.text("type")
    if kind not in TYPES:
        raise EventProblem(f"unknown event type {kind[:40]!r}", "type")
    if kind in CARD_LOG:
        answer = _answer(fields, kind, at_ms)
        return Event(identifier, device, seq, at_ms, kind, fields.card(), answer)
    data: dict[str, Any]
    card: str | None = None
    if kind == "undo":
        data = {"target": fields.text("target", EVENT_ID)}
    elif kind == "suspend":
        card = fields.card()
        data = {"suspended": fields.flag("suspended")}
    elif kind == "bury":
        card = fields.card()
        data = {"until": fields.date("until", nullable=True)}
    elif kind == "plan":
        data = {
            "plan": fields.text("plan", _SLUG),
            "start": fields.date("start"),
            "interview": fields.date("interview", nullable=True),
        }
    elif kind == "interview":
        data = {
            "run": fields.text("run", EVENT_ID),
            "interview": fields.date("interview", nullable=True),
        }
    elif kind == "task":
        data = {
            "run": fields.text("run", EVENT_ID),
            "task": fields.text("task", _SLUG),
            "done": fields.flag("done"),
        }
    elif kind == "setting":
        data = {"name": fields.text("name", _NAME), "value": fields.any("value")}
    else:
        data = _parameters(fields)
    return Event(identifier, device, seq, at_ms, kind, card, data=data)


_STATE = bounds.STATE
_REVIEW = bounds.REVIEW


def _answer(fields: _Fields, kind: str, at_ms: int) -> Answer:
    rating = fields.choice("rating", _RATINGS)
    if (rating == 0) != (kind == "forget"):
        raise EventProblem(f"a {kind} cannot have rating {RATING_NAMES[rating]!r}", "rating")
    after = _Fields(fields.obj("after"), "after.")
    last_review = after.instant("last_review", nullable=True, absent=_LEFT_OUT)
    snapshot = (
        after.choice("phase", _PHASES),
        after.number("step", _STATE["step"], optional=True),
        after.number("stability", _STATE["stability"], optional=True),
        after.number("difficulty", _STATE["difficulty"], optional=True),
        after.instant("due", nullable=True, absent=None),
        after.date_ordinal("due_day", absent=None),
        usual_last_review(rating, at_ms) if last_review is _LEFT_OUT else last_review,
        after.number("reps", _STATE["reps"]),
        after.number("lapses", _STATE["lapses"]),
        int(after.flag("leech", absent=False)),
    )
    return Answer(
        rating=rating,
        study_day=fields.date_ordinal("day", nullable=False),
        tz_offset_min=fields.number("tz", _REVIEW["tz_offset_min"]),
        duration_ms=fields.number("duration_ms", _REVIEW["duration_ms"], optional=True),
        desired_retention=fields.number("retention", _REVIEW["desired_retention"], optional=True),
        reason=fields.optional_text("reason", bounds.MAX_TEXT),
        kind=fields.choice("kind", _KINDS),
        elapsed_days=fields.number("elapsed_days", _REVIEW["elapsed_days"], optional=True),
        scheduled_days=fields.number("scheduled_days", _REVIEW["scheduled_days"], optional=True),
        r_predicted=fields.number("r_predicted", _REVIEW["r_predicted"], optional=True),
        after=snapshot,
        prev=fields.digest("prev"),
        rules=fields.digest("rules"),
    )


def _parameters(fields: _Fields) -> dict[str, Any]:
    weights = fields.get("params")
    if (
        not isinstance(weights, list)
        or not weights
        or not all(
            isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w)
            for w in weights
        )
    ):
        raise EventProblem("params must be a list of numbers", "params")
    created = fields.instant("created")
    return {
        "params": [float(w) for w in weights],
        "created": iso_ms(created),
        "n_items": fields.number("n_items", bounds.PARAMETER_SET["n_items"]),
        "log_loss": fields.number("log_loss", bounds.PARAMETER_SET["log_loss"]),
        "rmse_bins": fields.number("rmse_bins", bounds.PARAMETER_SET["rmse_bins"]),
        "source": fields.text("source", _NAME),
    }


# --- answers as prepcli writes them --------------------------------------------------------


def plain_answer(line: dict[str, Any]) -> Event | None:
    """An answer or forget whose fields are all as prepcli writes them, read with a
    comparison or two a field; None for any other line, which decode_fields then reads
    field by field, to accept it or say what is wrong. A log is nearly all answers, and a
    device's first sync reads hundreds of thousands: this accepts only lines
    decode_fields accepts, with the same values (tests/test_sync_lines.py)."""
    identifier, card = line.get("id"), line.get("card")
    match = EVENT_ID.fullmatch(identifier) if type(identifier) is str else None
    if match is None or match.group(1) != line.get("device"):
        return None
    if type(card) is not str or _key_problem(card):
        return None
    kind, after, rating = line["type"], line.get("after"), _code(line.get("rating"), _RATINGS)
    if type(after) is not dict or rating is None or (rating == 0) != (kind == "forget"):
        return None
    at_ms = _plain_instant(line.get("at"))
    last_review = after.get("last_review", _LEFT_OUT)
    if last_review is _LEFT_OUT:
        last_review = usual_last_review(rating, at_ms)
    elif last_review is not None:
        last_review = _plain_instant(last_review)
    due, due_day = after.get("due"), after.get("due_day")
    due = None if due is None else _plain_instant(due)
    due_day = None if due_day is None else _plain_day(due_day)
    study_day = _plain_day(line.get("day"))
    prev, rules = _plain_digest(line.get("prev")), _plain_digest(line.get("rules"))
    phase, review_kind = _code(after.get("phase"), _PHASES), _code(line.get("kind"), _KINDS)
    leech, reason = after.get("leech", False), line.get("reason")
    facts, state = _plain_numbers(line, _FACTS), _plain_numbers(after, _STATE_NUMBERS)
    if (
        _UNUSUAL in (at_ms, last_review, due, due_day, study_day, prev, rules)
        or phase is None
        or review_kind is None
        or type(leech) is not bool
        or not (reason is None or (type(reason) is str and len(reason) <= bounds.MAX_TEXT))
        or facts is None
        or state is None
    ):
        return None
    tz, duration, retention, elapsed, scheduled, predicted = facts
    step, stability, difficulty, reps, lapses = state
    answer = Answer(
        rating=rating,
        study_day=study_day,
        tz_offset_min=tz,
        duration_ms=duration,
        desired_retention=retention,
        reason=reason,
        kind=review_kind,
        elapsed_days=elapsed,
        scheduled_days=scheduled,
        r_predicted=predicted,
        after=(
            phase,
            step,
            stability,
            difficulty,
            due,
            due_day,
            last_review,
            reps,
            lapses,
            int(leech),
        ),
        prev=prev,
        rules=rules,
    )
    return Event(match.group(0), match.group(1), int(match.group(2)), at_ms, kind, card, answer)


_UNUSUAL: Any = object()  # a value plain_answer leaves to decode_fields

#: An answer's numbers as plain_answer reads them: field, the types it takes, its bounds,
#: and whether null (or leaving it out) means none.
_Numbers = tuple[tuple[str, tuple[type, ...], float, float, bool], ...]


def _numbers(fields: tuple[tuple[str, bounds.Bound, bool], ...]) -> _Numbers:
    return tuple(
        (
            name,
            (int,) if bound.whole else (int, float),
            bound.low,
            bound.high,
            optional and bound.nullable,
        )
        for name, bound, optional in fields
    )


_FACTS = _numbers(
    (
        ("tz", _REVIEW["tz_offset_min"], False),
        ("duration_ms", _REVIEW["duration_ms"], True),
        ("retention", _REVIEW["desired_retention"], True),
        ("elapsed_days", _REVIEW["elapsed_days"], True),
        ("scheduled_days", _REVIEW["scheduled_days"], True),
        ("r_predicted", _REVIEW["r_predicted"], True),
    )
)
_STATE_NUMBERS = _numbers(
    (
        ("step", _STATE["step"], True),
        ("stability", _STATE["stability"], True),
        ("difficulty", _STATE["difficulty"], True),
        ("reps", _STATE["reps"], False),
        ("lapses", _STATE["lapses"], False),
    )
)


def _plain_numbers(fields: dict[str, Any], numbers: _Numbers) -> list[Any] | None:
    found = []
    for name, kinds, low, high, may_be_none in numbers:
        value = fields.get(name)
        if value is None:
            if not may_be_none:
                return None
        elif type(value) not in kinds or not low <= value <= high:  # false for NaN too
            return None
        found.append(value)
    return found


def _code(value: Any, names: dict[str, int]) -> int | None:
    return names.get(value) if type(value) is str else None


def _plain_instant(value: Any) -> Any:
    if type(value) is not str:
        return _UNUSUAL
    try:
        ms = ms_of(value)
    except (ValueError, OverflowError):
        return _UNUSUAL
    return ms if bounds.EARLIEST_MS <= ms <= bounds.LATEST_MS else _UNUSUAL


def _plain_day(value: Any) -> Any:
    if type(value) is not str:
        return _UNUSUAL
    try:
        ordinal = day_of(value)
    except ValueError:
        return _UNUSUAL
    return ordinal if bounds.EARLIEST_DAY <= ordinal <= bounds.LATEST_DAY else _UNUSUAL


def _plain_digest(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is not str or not _DIGEST.fullmatch(value):
        return _UNUSUAL
    return int(value, 16) & ((1 << 63) - 1)


# --- field by field ------------------------------------------------------------------------

_ABSENT: Any = object()  # no default: the field must be there
_LEFT_OUT: Any = object()  # a default that says the field was left out


class _Fields:
    """Typed reads of a line's fields, each failure an EventProblem naming the field.
    `absent` (or `optional`) is what a field left out means; without it, it must be there."""

    def __init__(self, line: dict[str, Any], prefix: str = "") -> None:
        self.line = line
        self.prefix = prefix

    def fail(self, name: str, message: str) -> EventProblem:
        return EventProblem(f"{self.prefix}{name} {message}", name)

    def get(self, name: str, absent: Any = _ABSENT) -> Any:
        value = self.line.get(name, _ABSENT)
        if value is _ABSENT and absent is _ABSENT:
            raise self.fail(name, "is missing")
        return value

    def any(self, name: str) -> Any:
        return self.get(name)

    def obj(self, name: str) -> dict[str, Any]:
        value = self.get(name)
        if not isinstance(value, dict):
            raise self.fail(name, "must be an object")
        return value

    def text(self, name: str, pattern: re.Pattern[str] | None = None) -> str:
        value = self.get(name)
        if type(value) is not str:
            raise self.fail(name, "must be text")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(name, f"{value[:80]!r} is not valid here")
        return value

    def optional_text(self, name: str, longest: int) -> str | None:
        value = self.line.get(name)
        if value is None:
            return None
        if type(value) is not str or len(value) > longest:
            raise self.fail(name, f"must be text of at most {longest} characters, or null")
        return value

    def card(self) -> str:
        value = self.text("card")
        problem = _key_problem(value)
        if problem is not None:
            raise self.fail("card", f"{value[:80]!r}: {problem}")
        return value

    def flag(self, name: str, absent: Any = _ABSENT) -> bool:
        value = self.get(name, absent)
        if value is _ABSENT:
            return bool(absent)
        if type(value) is not bool:
            raise self.fail(name, "must be true or false")
        return value

    def number(self, name: str, bound: bounds.Bound, *, optional: bool = False) -> Any:
        value = self.line.get(name, _ABSENT)
        if value is _ABSENT:
            if optional:
                return None
            raise self.fail(name, "is missing")
        kind = type(value)
        if value is None and bound.nullable:
            return None
        if kind is not int and (kind is not float or bound.whole):
            wanted = "a whole number" if bound.whole else "a number"
            raise self.fail(name, f"must be {wanted}" + (" or null" if bound.nullable else ""))
        if not bound.low <= value <= bound.high:  # false for NaN too
            raise self.fail(name, bound.problem(value) or "is out of range")
        return value if kind is int or not bound.whole else float(value)

    def choice(self, name: str, names: dict[str, int]) -> int:
        value = self.get(name)
        found = names.get(value) if type(value) is str else None
        if found is None:
            raise self.fail(name, f"must be one of {', '.join(names)}")
        return found

    def instant(self, name: str, *, nullable: bool = False, absent: Any = _ABSENT) -> Any:
        return self._time(
            name, nullable, absent, ms_of, "must be an ISO 8601 time with an offset", _MS_RANGE
        )

    def date(self, name: str, *, nullable: bool = False) -> str | None:
        """An ISO date, kept as text."""
        ordinal = self.date_ordinal(name, nullable=nullable)
        return None if ordinal is None else iso_day(ordinal)

    def date_ordinal(self, name: str, *, nullable: bool = True, absent: Any = _ABSENT) -> Any:
        return self._time(
            name, nullable, absent, day_of, "must be an ISO date (YYYY-MM-DD)", _DAY_RANGE
        )

    def _time(
        self,
        name: str,
        nullable: bool,
        absent: Any,
        parse: Callable[[str], int],
        form: str,
        within: tuple[int, int],
    ) -> Any:
        """An instant or a day (as `parse` reads it), from 1970 to 2999."""
        value = self.get(name, absent)
        if value is _ABSENT:
            return absent
        if value is None and nullable:
            return None
        try:
            if type(value) is not str:
                raise ValueError
            found = parse(value)
        except (ValueError, OverflowError):
            raise self.fail(name, form) from None
        if not within[0] <= found <= within[1]:
            raise self.fail(name, "is outside the years 1970 to 2999")
        return found

    def digest(self, name: str) -> int | None:
        value = self.line.get(name)
        if value is None:
            return None
        if type(value) is not str or not _DIGEST.fullmatch(value):
            raise self.fail(name, "must be 16 hexadecimal digits or null")
        return int(value, 16) & ((1 << 63) - 1)


_DIGEST = re.compile(r"[0-9a-f]{16}")
_MS_RANGE = (bounds.EARLIEST_MS, bounds.LATEST_MS)
_DAY_RANGE = (bounds.EARLIEST_DAY, bounds.LATEST_DAY)
#: A log names each card many times: each key is checked once.
_key_problem = functools.lru_cache(maxsize=1 << 16)(bounds.key_problem)
