"""The sync log's events: what one device did, one JSON object per line of its own files.

Each device appends its events to its own files in the sync folder (storage/synclog.py
writes and reads them; app/sync.py merges them). This module is the format, version 1
(and writing it; core/syncread.py reads it back):

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

RATING_NAMES = {0: "none", **{int(r): r.name.lower() for r in Rating}}
KIND_NAMES = {int(k): k.name.lower() for k in ReviewKind}
PHASE_NAMES = {int(p): p.name.lower() for p in Phase}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_EPOCH_DAY = _EPOCH.date().toordinal()


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
    """An instant as the log writes it, `2026-11-23T08:00:00.000Z`: its date (one of the
    few hundred a log's instants fall on: iso_day keeps them) and its time of day."""
    days, in_day = divmod(ms, 86_400_000)
    seconds, millis = divmod(in_day, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{iso_day(_EPOCH_DAY + days)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


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
    if event.answer is not None:
        return _answer_line(event, event.answer)
    line: dict[str, Any] = {
        "id": event.id,
        "device": event.device,
        "at": iso_ms(event.at_ms),
        "type": event.type,
    }
    if event.card is not None:
        line["card"] = event.card
    if event.data:
        line.update(event.data)
    return _ENCODER.encode(line)


def _answer_line(event: Event, answer: Answer) -> str:
    """An answer's (or a forget's) line, written as text field by field: the JSON the
    encoder writes for the same fields in the same order (tests/test_sync_lines.py), at
    a fraction of the cost of building a dict for each of a first sync's hundreds of
    thousands of answers. Ids, devices, dates and names are ASCII without quotes or
    backslashes; the card key and the reason are encoded as JSON strings. Whole numbers
    (counts, offsets, milliseconds) are ints, which print as JSON does."""
    phase, step, stability, difficulty, due_ms, due_day, last_ms, reps, lapses, leech = answer.after
    card = "" if event.card is None else f',"card":{_ENCODER.encode(event.card)}'
    parts = [
        f'{{"id":"{event.id}","device":"{event.device}","at":"{iso_ms(event.at_ms)}",'
        f'"type":"{event.type}"{card},"rating":"{RATING_NAMES[answer.rating]}",'
        f'"day":"{iso_day(answer.study_day)}","tz":{answer.tz_offset_min},'
        f'"kind":"{KIND_NAMES[answer.kind]}"'
    ]
    if answer.desired_retention is not None:
        parts.append(f',"retention":{_number(answer.desired_retention)}')
    if answer.duration_ms is not None:
        parts.append(f',"duration_ms":{answer.duration_ms}')
    if answer.reason is not None:
        parts.append(f',"reason":{_ENCODER.encode(answer.reason)}')
    for name, value in (
        ("elapsed_days", answer.elapsed_days),
        ("scheduled_days", answer.scheduled_days),
        ("r_predicted", answer.r_predicted),
    ):
        if value is not None:
            parts.append(f',"{name}":{_number(value)}')
    parts.append(f',"after":{{"phase":"{PHASE_NAMES[phase]}","reps":{reps},"lapses":{lapses}')
    if step is not None:
        parts.append(f',"step":{step}')
    for name, value in (("stability", stability), ("difficulty", difficulty)):
        if value is not None:
            parts.append(f',"{name}":{_number(value)}')
    if due_ms is not None:
        parts.append(f',"due":"{iso_ms(due_ms)}"')
    if due_day is not None:
        parts.append(f',"due_day":"{iso_day(due_day)}"')
    if last_ms != usual_last_review(answer.rating, event.at_ms):
        parts.append(
            ',"last_review":null' if last_ms is None else f',"last_review":"{iso_ms(last_ms)}"'
        )
    if leech:
        parts.append(',"leech":true')
    parts.append("}")
    if answer.prev is not None:
        parts.append(f',"prev":"{answer.prev:016x}"')
    if answer.rules is not None:
        parts.append(f',"rules":"{answer.rules:016x}"')
    parts.append("}")
    return "".join(parts)


def _number(value: float) -> str:
    """A number as the JSON encoder writes it (which refuses NaN and infinities)."""
    if not math.isfinite(value):
        raise ValueError(f"out of range float value: {value!r}")
    return repr(value)


def usual_last_review(rating: int, at_ms: int) -> int | None:
    """An answer's state was last reviewed at the answer; a forget's never."""
    return at_ms if rating else None
