"""The sync log's events: what one device did, one JSON object per line of its own files.

Each device appends its events to its own files in the sync folder (storage/synclog.py
writes and reads them; app/sync.py merges them). This module is the format, version 1:

    {"id":"3f9c0a1b2c4d-17","device":"3f9c0a1b2c4d","seq":17,
     "at":"2026-11-23T08:00:00.000Z","type":"answer","card":"llm-quiz.inference/kv-cache",
     "rating":"good", "day":"2026-11-23", "tz":60, ...}

Every event has a unique id (its device and its number in that device's log), the device
and the instant it happened, in UTC with milliseconds. Study days and plan dates are ISO
dates, ratings, phases and kinds their names. An answer carries the card's state the
device computed (`after`), the digest of the card's events the device had seen
(`prev`) and the scheduling rules it used (`rules`): a device that has seen exactly
those events, with the same rules, takes that state as it is; any other replays the
card's events with the scheduler (app/syncmerge.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from prepcli.core import bounds
from prepcli.core.models import Phase, Rating, ReviewKind

FORMAT = 1
DEVICE = re.compile(r"[0-9a-f]{12}")
EVENT_ID = re.compile(r"([0-9a-f]{12})-([1-9][0-9]{0,15})")
#: Events that become a review-log row (and change a card's schedule).
CARD_LOG = ("answer", "forget")
#: Events that change a card's flags.
CARD_FLAGS = ("suspend", "bury")
TYPES = (*CARD_LOG, "undo", *CARD_FLAGS, "plan", "interview", "task", "setting", "parameters")
#: The longest line read; prepcli's own lines are well under a kilobyte.
MAX_LINE = 64 * 1024
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")

RATING_NAMES = {0: "none", **{int(r): r.name.lower() for r in Rating}}
KIND_NAMES = {int(k): k.name.lower() for k in ReviewKind}
PHASE_NAMES = {int(p): p.name.lower() for p in Phase}
_RATINGS = {name: code for code, name in RATING_NAMES.items()}
_KINDS = {name: code for code, name in KIND_NAMES.items()}
_PHASES = {name: code for code, name in PHASE_NAMES.items()}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Answer(NamedTuple):
    """An answer's (or a forget's) review-log facts and the state it led to. (Answers and
    events are NamedTuples: a log holds hundreds of thousands, and a frozen dataclass
    costs a call for each field it sets.)"""

    rating: int  # 1–4; 0 for a forget
    study_day: int
    tz_offset_min: int
    duration_ms: int | None
    desired_retention: float | None
    reason: str | None
    kind: int  # a ReviewKind
    elapsed_days: float | None
    scheduled_days: float | None
    r_predicted: float | None
    #: phase, step, stability, difficulty, due_ms, due_day, last_review_ms, reps, lapses,
    #: leech: the review row's `a_` columns, in store order
    after: tuple[Any, ...]
    prev: int | None  # digest of the card's events the device had seen before it
    rules: int | None  # fingerprint of the scheduling rules it was computed with


class Event(NamedTuple):
    id: str
    device: str
    seq: int
    at_ms: int
    type: str
    card: str | None = None
    answer: Answer | None = None
    #: the other types' own fields, as the file has them (dates as ISO text)
    data: dict[str, Any] | None = None


class EventProblem(Exception):
    """Why a line is not an event; `field` names where it is (for its column)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- identities ----------------------------------------------------------------------------


def event_id(device: str, seq: int) -> str:
    return f"{device}-{seq}"


def event_hash(identifier: str) -> int:
    """A 63-bit hash of an event id. A card's digest is the exclusive-or of its live
    events' hashes: the same set of events gives the same digest in any order."""
    raw = hashlib.blake2b(identifier.encode("ascii"), digest_size=8).digest()
    return int.from_bytes(raw, "big") >> 1


def fingerprint(values: Any) -> int:
    """A 63-bit fingerprint of JSON-able values (the scheduling rules)."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    raw = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(raw, "big") >> 1


# --- times ---------------------------------------------------------------------------------


def iso_ms(ms: int) -> str:
    return (_EPOCH + ms * _MS).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ms_of(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 instant with an offset; ValueError otherwise."""
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError("no offset")
    return (instant - _EPOCH) // _MS


@functools.lru_cache(maxsize=1 << 12)
def iso_day(day: int) -> str:
    return date.fromordinal(day).isoformat()


@functools.lru_cache(maxsize=1 << 12)  # a log's answers fall on a few hundred days
def day_of(text: str) -> int:
    return date.fromisoformat(text).toordinal()


# --- writing -------------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(event: Event) -> str:
    """The event as one line of JSON (without its newline). An answer's fields that hold
    their usual value (null, false, a last review at the answer's time) are left out."""
    line: dict[str, Any] = {
        "id": event.id,
        "device": event.device,
        "at": iso_ms(event.at_ms),
        "type": event.type,
    }
    if event.card is not None:
        line["card"] = event.card
    if event.answer is not None:
        _add_answer(line, event.answer, event.at_ms)
    if event.data:
        line.update(event.data)
    return _ENCODER.encode(line)


def _add_answer(line: dict[str, Any], answer: Answer, at_ms: int) -> None:
    phase, step, stability, difficulty, due_ms, due_day, last_ms, reps, lapses, leech = answer.after
    line["rating"] = RATING_NAMES[answer.rating]
    line["day"] = iso_day(answer.study_day)
    line["tz"] = answer.tz_offset_min
    line["kind"] = KIND_NAMES[answer.kind]
    for name, value in (
        ("retention", answer.desired_retention),
        ("duration_ms", answer.duration_ms),
        ("reason", answer.reason),
        ("elapsed_days", answer.elapsed_days),
        ("scheduled_days", answer.scheduled_days),
        ("r_predicted", answer.r_predicted),
    ):
        if value is not None:
            line[name] = value
    after: dict[str, Any] = {"phase": PHASE_NAMES[phase], "reps": reps, "lapses": lapses}
    for name, value in (("step", step), ("stability", stability), ("difficulty", difficulty)):
        if value is not None:
            after[name] = value
    if due_ms is not None:
        after["due"] = iso_ms(due_ms)
    if due_day is not None:
        after["due_day"] = iso_day(due_day)
    if last_ms != _usual_last_review(answer.rating, at_ms):
        after["last_review"] = None if last_ms is None else iso_ms(last_ms)
    if leech:
        after["leech"] = True
    line["after"] = after
    if answer.prev is not None:
        line["prev"] = f"{answer.prev:016x}"
    if answer.rules is not None:
        line["rules"] = f"{answer.rules:016x}"


def _usual_last_review(rating: int, at_ms: int) -> int | None:
    """An answer's state was last reviewed at the answer; a forget's never."""
    return at_ms if rating else None


# --- reading -------------------------------------------------------------------------------


def decode(line: Any) -> Event:
    """An event from a parsed line, every field checked; EventProblem otherwise."""
    if not isinstance(line, dict):
        raise EventProblem("an event must be a JSON object")
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
        _usual_last_review(rating, at_ms) if last_review is _LEFT_OUT else last_review,
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
        value = self.get(name, absent)
        if value is _ABSENT:
            return absent
        if value is None and nullable:
            return None
        try:
            if type(value) is not str:
                raise ValueError
            ms = ms_of(value)
        except (ValueError, OverflowError):
            raise self.fail(name, "must be an ISO 8601 time with an offset") from None
        if not bounds.EARLIEST_MS <= ms <= bounds.LATEST_MS:
            raise self.fail(name, "is outside the years 1970 to 2999")
        return ms

    def date(self, name: str, *, nullable: bool = False) -> str | None:
        """An ISO date, kept as text."""
        ordinal = self.date_ordinal(name, nullable=nullable)
        return None if ordinal is None else iso_day(ordinal)

    def date_ordinal(self, name: str, *, nullable: bool = True, absent: Any = _ABSENT) -> Any:
        value = self.get(name, absent)
        if value is _ABSENT:
            return absent
        if value is None and nullable:
            return None
        try:
            if type(value) is not str:
                raise ValueError
            ordinal = day_of(value)
        except ValueError:
            raise self.fail(name, "must be an ISO date (YYYY-MM-DD)") from None
        if not bounds.EARLIEST_DAY <= ordinal <= bounds.LATEST_DAY:
            raise self.fail(name, "is outside the years 1970 to 2999")
        return ordinal

    def digest(self, name: str) -> int | None:
        value = self.line.get(name)
        if value is None:
            return None
        if type(value) is not str or not _DIGEST.fullmatch(value):
            raise self.fail(name, "must be 16 hexadecimal digits or null")
        return int(value, 16) & ((1 << 63) - 1)


_DIGEST = re.compile(r"[0-9a-f]{16}")
#: A log names each card many times: each key is checked once.
_key_problem = functools.lru_cache(maxsize=1 << 16)(bounds.key_problem)
