"""`--json`: the one emitter of every command's JSON, and how prepcli's values are written.

The contract (README, "JSON output"): every document is an object whose first key is
`version` (JSON_VERSION: raised only when a shape changes in a way a script would notice),
with named keys and no positional arrays; instants in ISO 8601 in the user's time zone with
its offset; dates as YYYY-MM-DD; enums by name in lower case; no NaN or infinity (null).
Each command's shape is written down in cli/jsonshapes.py and checked by the test suite.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prepcli.core.clock import from_ms, local_zone
from prepcli.core.models import Rating

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef
    from prepcli.core.clock import StudyCalendar
    from prepcli.core.history import Review
    from prepcli.core.models import CardState

JSON_VERSION = 1


def emit(payload: Mapping[str, Any], zone: tzinfo | None = None) -> None:
    """Print `payload` as a versioned JSON document; `zone`: where instants are shown
    (the user's study time zone; the machine's when None)."""
    sys.stdout.write(document(payload, zone) + "\n")


def document(payload: Mapping[str, Any], zone: tzinfo | None = None) -> str:
    from prepcli.ui.safe import json_text

    where = zone or local_zone()
    body = {"version": JSON_VERSION, **{k: jsonable(v, where) for k, v in payload.items()}}
    return json_text(json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False))


def jsonable(value: Any, zone: tzinfo) -> Any:
    """`value` as JSON data; a type without a written form is an error, never str()."""
    if value is None or (isinstance(value, (bool, int, str)) and not isinstance(value, Enum)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if _is_record(value):
        return {name: jsonable(item, zone) for name, item in fields_of(value).items()}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, zone) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [jsonable(v, zone) for v in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [jsonable(v, zone) for v in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")


def fields_of(record: Any) -> dict[str, Any]:
    """A record's fields as the keys of a document (for commands that print one record);
    a record is a NamedTuple or a dataclass (README, Development, says which is which)."""
    if isinstance(record, tuple):
        return dict(record._asdict())  # type: ignore[attr-defined]
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _is_record(value: object) -> bool:
    if isinstance(value, tuple):
        return hasattr(value, "_fields")
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def card_definition(card: CardDef) -> dict[str, Any]:
    """A card as its deck file defines it: what it asks, where it is written."""
    return {
        "card": card.key,
        "deck": card.deck,
        "id": card.id,
        "kind": card.kind.value,
        "tier": card.tier.value,
        "front": card.front,
        "back": card.back,
        "explain": card.explain,
        "points": list(card.points),
        "hints": list(card.hints),
        "time_limit": card.timer_seconds,
        "path": card.path,
        "line": card.line,
    }


def card_state(state: CardState, calendar: StudyCalendar) -> dict[str, Any]:
    """A card's scheduling state with its times as instants and dates (not storage's
    epoch milliseconds and day ordinals)."""
    return {
        "phase": state.phase,
        "step": state.step,
        "stability": state.stability,
        "difficulty": state.difficulty,
        "due": None if state.due_ms is None else from_ms(state.due_ms),
        "due_date": None if state.due_day is None else calendar.date_of(state.due_day),
        "last_review": None if state.last_review_ms is None else from_ms(state.last_review_ms),
        "reps": state.reps,
        "lapses": state.lapses,
        "suspended": state.suspended,
        "buried_until": (
            None if state.buried_until_day is None else calendar.date_of(state.buried_until_day)
        ),
        "leech": state.leech,
    }


def review(entry: Review, calendar: StudyCalendar) -> dict[str, Any]:
    """One review-log row; its time in the zone it was answered in."""
    answered_in = timezone(timedelta(minutes=entry.tz_offset_min))
    return {
        "id": entry.id,
        "reviewed_at": from_ms(entry.reviewed_ms)
        .astimezone(answered_in)
        .isoformat(timespec="seconds"),
        "study_date": calendar.date_of(entry.study_day),
        "rating": rating_name(entry.rating),
        "kind": entry.kind,
        "duration_seconds": None if entry.duration_ms is None else entry.duration_ms / 1000,
        "elapsed_days": entry.elapsed_days,
        "scheduled_days": entry.scheduled_days,
        "r_predicted": entry.r_predicted,
        "before": card_state(entry.before, calendar),
        "after": card_state(entry.after, calendar),
    }


def rating_name(rating: int) -> str:
    """again/hard/good/easy, or `manual` for a change such as `forget` (rating 0)."""
    return Rating(rating).name.lower() if rating else "manual"
