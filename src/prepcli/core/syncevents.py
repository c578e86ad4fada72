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

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer's (or a forget's) review-log facts and the state it led to."""

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


@dataclass(frozen=True, slots=True)
class Event:
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


def iso_day(day: int) -> str:
    return date.fromordinal(day).isoformat()


def day_of(text: str) -> int:
    return date.fromisoformat(text).toordinal()


# --- writing -------------------------------------------------------------------------------


def encode(event: Event) -> str:
    """The event as one line of JSON (without its newline)."""
    line: dict[str, Any] = {
        "id": event.id,
        "device": event.device,
        "seq": event.seq,
        "at": iso_ms(event.at_ms),
        "type": event.type,
    }
    if event.card is not None:
        line["card"] = event.card
    if event.answer is not None:
        line.update(_answer_fields(event.answer))
    if event.data:
        line.update(event.data)
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _answer_fields(answer: Answer) -> dict[str, Any]:
    phase, step, stability, difficulty, due_ms, due_day, last_ms, reps, lapses, leech = answer.after
    return {
        "rating": RATING_NAMES[answer.rating],
        "day": iso_day(answer.study_day),
        "tz": answer.tz_offset_min,
        "duration_ms": answer.duration_ms,
        "retention": answer.desired_retention,
        "reason": answer.reason,
        "kind": KIND_NAMES[answer.kind],
        "elapsed_days": answer.elapsed_days,
        "scheduled_days": answer.scheduled_days,
        "r_predicted": answer.r_predicted,
        "after": {
            "phase": PHASE_NAMES[phase],
            "step": step,
            "stability": stability,
            "difficulty": difficulty,
            "due": None if due_ms is None else iso_ms(due_ms),
            "due_day": None if due_day is None else iso_day(due_day),
            "last_review": None if last_ms is None else iso_ms(last_ms),
            "reps": reps,
            "lapses": lapses,
            "leech": bool(leech),
        },
        "prev": None if answer.prev is None else f"{answer.prev:016x}",
        "rules": None if answer.rules is None else f"{answer.rules:016x}",
    }


# --- reading -------------------------------------------------------------------------------


def decode(line: Any) -> Event:
    """An event from a parsed line, every field checked; EventProblem otherwise."""
    if not isinstance(line, dict):
        raise EventProblem("an event must be a JSON object")
    fields = _Fields(line)
    identifier = fields.text("id", EVENT_ID)
    device = fields.text("device", DEVICE)
    seq = fields.whole("seq", 1, 10**16)
    if identifier != event_id(device, seq):
        raise EventProblem(f"id {identifier!r} is not device-seq ({device}-{seq})", "id")
    at_ms = fields.instant("at")
    kind = fields.text("type")
    if kind not in TYPES:
        raise EventProblem(f"unknown event type {kind!r}", "type")
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


def _answer(fields: _Fields, kind: str, at_ms: int) -> Answer:
    rating = fields.choice("rating", _RATINGS)
    if (rating == 0) != (kind == "forget"):
        raise EventProblem(f"a {kind} cannot have rating {RATING_NAMES[rating]!r}", "rating")
    state = fields.obj("after")
    after = _Fields(state, "after.")
    snapshot = (
        after.choice("phase", _PHASES),
        after.number("step", bounds.STATE["step"]),
        after.number("stability", bounds.STATE["stability"]),
        after.number("difficulty", bounds.STATE["difficulty"]),
        after.instant("due", nullable=True),
        after.date_ordinal("due_day"),
        after.instant("last_review", nullable=True),
        after.number("reps", bounds.STATE["reps"]),
        after.number("lapses", bounds.STATE["lapses"]),
        int(after.flag("leech")),
    )
    review = bounds.REVIEW
    return Answer(
        rating=rating,
        study_day=fields.date_ordinal("day", nullable=False),
        tz_offset_min=fields.number("tz", review["tz_offset_min"]),
        duration_ms=fields.number("duration_ms", review["duration_ms"]),
        desired_retention=fields.number("retention", review["desired_retention"]),
        reason=fields.optional_text("reason", bounds.MAX_TEXT),
        kind=fields.choice("kind", _KINDS),
        elapsed_days=fields.number("elapsed_days", review["elapsed_days"]),
        scheduled_days=fields.number("scheduled_days", review["scheduled_days"]),
        r_predicted=fields.number("r_predicted", review["r_predicted"]),
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


class _Fields:
    """Typed reads of a line's fields, each failure an EventProblem naming the field."""

    def __init__(self, line: dict[str, Any], prefix: str = "") -> None:
        self.line = line
        self.prefix = prefix

    def fail(self, name: str, message: str) -> EventProblem:
        return EventProblem(f"{self.prefix}{name} {message}", name)

    def get(self, name: str) -> Any:
        if name not in self.line:
            raise self.fail(name, "is missing")
        return self.line[name]

    def any(self, name: str) -> Any:
        return self.get(name)

    def obj(self, name: str) -> dict[str, Any]:
        value = self.get(name)
        if not isinstance(value, dict):
            raise self.fail(name, "must be an object")
        return value

    def text(self, name: str, pattern: re.Pattern[str] | None = None) -> str:
        value = self.get(name)
        if not isinstance(value, str):
            raise self.fail(name, "must be text")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(name, f"{value[:80]!r} is not valid here")
        return value

    def optional_text(self, name: str, longest: int) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > longest:
            raise self.fail(name, f"must be text of at most {longest} characters, or null")
        return value

    def card(self) -> str:
        value = self.text("card")
        problem = bounds.key_problem(value)
        if problem is not None:
            raise self.fail("card", f"{value[:80]!r}: {problem}")
        return value

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def whole(self, name: str, low: int, high: int) -> int:
        value = self.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(name, f"must be a whole number from {low:,} to {high:,}")
        return value

    def number(self, name: str, bound: bounds.Bound) -> Any:
        value = self.get(name)
        if value is None and bound.nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "must be a number" + (" or null" if bound.nullable else ""))
        if bound.whole and not isinstance(value, int):
            raise self.fail(name, "must be a whole number")
        problem = bound.problem(value)
        if problem is not None:
            raise self.fail(name, problem)
        return value if bound.whole else float(value)

    def choice(self, name: str, names: dict[str, int]) -> int:
        value = self.get(name)
        if not isinstance(value, str) or value not in names:
            raise self.fail(name, f"must be one of {', '.join(names)}")
        return names[value]

    def instant(self, name: str, *, nullable: bool = False) -> Any:
        value = self.get(name)
        if value is None and nullable:
            return None
        try:
            if not isinstance(value, str):
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

    def date_ordinal(self, name: str, *, nullable: bool = True) -> Any:
        value = self.get(name)
        if value is None and nullable:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            ordinal = day_of(value)
        except ValueError:
            raise self.fail(name, "must be an ISO date (YYYY-MM-DD)") from None
        if not bounds.EARLIEST_DAY <= ordinal <= bounds.LATEST_DAY:
            raise self.fail(name, "is outside the years 1970 to 2999")
        return ordinal

    def digest(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{16}", value):
            raise self.fail(name, "must be 16 hexadecimal digits or null")
        return int(value, 16) & ((1 << 63) - 1)
