"""The JSON written to prepcli's caches, and the checks it passes when read back.

A cache is data, never code: every value is written field by field under its name, and
read back through the same names with its type checked, so a cache left by another
version, damaged, or written by someone else can only be refused (CacheDataError), never
turned into objects prepcli did not make.
"""

from __future__ import annotations

import base64
import binascii
import sys
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from prepcli.core.cards import CardDef, Deck, Kind, Tier
from prepcli.core.errors import Problem
from prepcli.core.interview import InterviewPlan
from prepcli.core.planlayout import PlanLayout
from prepcli.core.plans import Plan, Selector, Task, Week


class CacheDataError(ValueError):
    """A value read back from a cache that is not what prepcli writes there."""


# --- checked reading ---------------------------------------------------------------------


def fields_of(value: object, names: frozenset[str], what: str) -> dict[str, Any]:
    """`value` as an object with exactly the keys `names`."""
    if not isinstance(value, dict) or value.keys() != names:
        raise CacheDataError(f"not a cached {what}")
    return value


def text(value: object) -> str:
    if not isinstance(value, str):
        raise CacheDataError("expected a string")
    return value


def optional_text(value: object) -> str | None:
    return None if value is None else text(value)


def whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CacheDataError("expected a whole number")
    return value


def optional_whole(value: object) -> int | None:
    return None if value is None else whole(value)


def texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not _all_of_type(value, str):
        raise CacheDataError("expected a list of strings")
    return tuple(value)


def wholes(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not _all_of_type(value, int):
        raise CacheDataError("expected a list of whole numbers")
    return tuple(value)


def _all_of_type(items: list[object], kind: type) -> bool:
    # Exact types, as JSON makes them (so a bool, a subclass of int, is not a number here).
    return set(map(type, items)) <= {kind}


def text_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise CacheDataError("expected a mapping of strings")
    return dict(value)


# --- cards and decks ---------------------------------------------------------------------

_KINDS = {kind.value: kind for kind in Kind}
_TIERS = {tier.value: tier for tier in Tier}


def _kind(value: object) -> Kind:
    found = _KINDS.get(value) if isinstance(value, str) else None
    if found is None:
        raise CacheDataError(f"not a kind of card: {value!r}")
    return found


def _tier(value: object) -> Tier:
    found = _TIERS.get(value) if isinstance(value, str) else None
    if found is None:
        raise CacheDataError(f"not a tier: {value!r}")
    return found


#: How each field of a card is read back. The first seven are always written; the others
#: only when they differ from their default (None, an empty list, a core card).
CARD_READERS: dict[str, Callable[[object], Any]] = {
    "deck": text,
    "id": text,
    "kind": _kind,
    "front": text,
    "back": text,
    "path": text,
    "line": whole,
    "tier": _tier,
    "tags": texts,
    "hints": texts,
    "points": texts,
    "time_limit": whole,
    "formerly": texts,
    "source": text,
    "starter": text,
    "tests": text,
    "solution": text,
    "explain": text,
    "cloze": whole,
    "cloze_text": text,
}
CARD_FIELDS = frozenset(CARD_READERS)


def encode_card(card: CardDef) -> dict[str, Any]:
    written: dict[str, Any] = {
        "deck": card.deck,
        "id": card.id,
        "kind": card.kind.value,
        "front": card.front,
        "back": card.back,
        "path": card.path,
        "line": card.line,
    }
    optional: tuple[tuple[str, object], ...] = (
        ("tier", None if card.tier == Tier.CORE else card.tier.value),
        ("tags", card.tags),
        ("hints", card.hints),
        ("points", card.points),
        ("time_limit", card.time_limit),
        ("formerly", card.formerly),
        ("source", card.source),
        ("starter", card.starter),
        ("tests", card.tests),
        ("solution", card.solution),
        ("explain", card.explain),
        ("cloze", card.cloze),
        ("cloze_text", card.cloze_text),
    )
    for name, value in optional:
        if value is not None and value != ():
            written[name] = list(value) if isinstance(value, tuple) else value
    return written


def decode_card(value: object) -> CardDef:
    if not isinstance(value, dict):
        raise CacheDataError("not a cached card")
    try:
        return CardDef(**{name: CARD_READERS[name](item) for name, item in value.items()})
    except (KeyError, TypeError):  # a field CardDef lacks, or one it needs missing
        raise CacheDataError("not a cached card") from None


#: A deck's own fields; its cards are kept one per row beside it (storage/deckcache.py).
DECK_FIELDS = frozenset(("id", "title", "description", "path", "sources", "tags", "line", "col"))


def encode_deck_header(deck: Deck) -> dict[str, Any]:
    return {
        "id": deck.id,
        "title": deck.title,
        "description": deck.description,
        "path": deck.path,
        "sources": list(deck.sources),
        "tags": list(deck.tags),
        "line": deck.line,
        "col": deck.col,
    }


def decode_deck(header: object, cards: tuple[CardDef, ...]) -> Deck:
    deck = fields_of(header, DECK_FIELDS, "deck")
    return Deck(
        id=text(deck["id"]),
        title=text(deck["title"]),
        description=text(deck["description"]),
        path=text(deck["path"]),
        sources=texts(deck["sources"]),
        tags=texts(deck["tags"]),
        cards=cards,
        line=whole(deck["line"]),
        col=whole(deck["col"]),
    )


# --- plans and their layouts -------------------------------------------------------------

PLAN_FIELDS = frozenset(("id", "title", "description", "path", "weeks"))
WEEK_FIELDS = frozenset(("number", "title", "focus", "introduce", "tasks"))
SELECTOR_FIELDS = frozenset(("deck", "tags"))
TASK_FIELDS = frozenset(("id", "title", "week"))


def encode_plan(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "title": plan.title,
        "description": plan.description,
        "path": plan.path,
        "weeks": [
            {
                "number": week.number,
                "title": week.title,
                "focus": week.focus,
                "introduce": [{"deck": s.deck, "tags": list(s.tags)} for s in week.introduce],
                "tasks": [{"id": t.id, "title": t.title, "week": t.week} for t in week.tasks],
            }
            for week in plan.weeks
        ],
    }


def decode_plan(value: object) -> Plan:
    plan = fields_of(value, PLAN_FIELDS, "plan")
    return Plan(
        id=text(plan["id"]),
        title=text(plan["title"]),
        description=text(plan["description"]),
        path=text(plan["path"]),
        weeks=tuple(_decode_week(week) for week in _items(plan["weeks"])),
    )


def _decode_week(value: object) -> Week:
    week = fields_of(value, WEEK_FIELDS, "plan week")
    selectors = [fields_of(s, SELECTOR_FIELDS, "selector") for s in _items(week["introduce"])]
    tasks = [fields_of(t, TASK_FIELDS, "task") for t in _items(week["tasks"])]
    return Week(
        number=whole(week["number"]),
        title=text(week["title"]),
        focus=text(week["focus"]),
        introduce=tuple(Selector(optional_text(s["deck"]), texts(s["tags"])) for s in selectors),
        tasks=tuple(Task(text(t["id"]), text(t["title"]), whole(t["week"])) for t in tasks),
    )


def _items(value: object) -> list[object]:
    if not isinstance(value, list):
        raise CacheDataError("expected a list")
    return value


LAYOUT_FIELDS = frozenset(("plan", "by_week", "starts", "places", "streams"))


def encode_layout(layout: PlanLayout, positions: dict[str, int]) -> dict[str, Any]:
    """A layout on the deck index it was built from: its keys as their positions in the
    index's `keys` (`positions`), so each key is written once, in the index. The three
    per-card sequences are packed words (`words_text`): every command with a running plan
    reads them back, and a JSON list of 20,000 numbers takes milliseconds to parse."""
    return {
        "plan": encode_plan(layout.plan),
        "by_week": words_text(array("I", [positions[key] for key in layout.by_week])),
        "starts": list(layout.starts),
        "places": words_text(layout.places),
        "streams": words_text(layout.streams),
    }


def decode_layout(value: object, keys: tuple[str, ...]) -> PlanLayout:
    layout = fields_of(value, LAYOUT_FIELDS, "plan layout")
    positions = words(layout["by_week"])
    starts = wholes(layout["starts"])
    places, streams = words(layout["places"]), words(layout["streams"])
    if (
        not _within(positions, 0, len(keys) - 1)
        or len(places) != len(positions)
        or len(streams) != len(positions)
        or not _within(starts, 0, len(positions))
        or list(starts) != sorted(starts)
    ):
        raise CacheDataError("a plan layout that does not fit its deck index")
    plan = decode_plan(layout["plan"])
    if len(starts) != len(plan.weeks) + 2:
        raise CacheDataError("a plan layout with another number of weeks than its plan")
    return PlanLayout(plan, tuple([keys[p] for p in positions]), starts, places, streams)


def words_text(numbers: array[int]) -> str:
    """Whole numbers below 2**32 (an array("I"), 32-bit words on every platform Python
    supports) as base64 of their little-endian bytes."""
    packed = array("I", numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def words(value: object) -> array[int]:
    """The numbers `words_text` wrote."""
    if not isinstance(value, str):
        raise CacheDataError("expected packed words")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise CacheDataError("expected packed words") from None
    unpacked = array("I")
    if len(raw) % unpacked.itemsize:
        raise CacheDataError("packed words of an odd length")
    unpacked.frombytes(raw)
    if sys.byteorder == "big":
        unpacked.byteswap()
    return unpacked


PROBLEM_FIELDS = frozenset(("path", "line", "col", "message", "severity"))


def encode_problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"path": p.path, "line": p.line, "col": p.col, "message": p.message, "severity": p.severity}
        for p in problems
    ]


def decode_problems(value: object) -> list[Problem]:
    problems = []
    for item in _items(value):
        problem = fields_of(item, PROBLEM_FIELDS, "problem")
        severity = problem["severity"]
        if severity not in ("error", "warning"):
            raise CacheDataError(f"not a severity: {severity!r}")
        problems.append(
            Problem(
                text(problem["path"]),
                whole(problem["line"]),
                whole(problem["col"]),
                text(problem["message"]),
                severity,
            )
        )
    return problems


def _within(numbers: Sequence[int], low: int, high: int) -> bool:
    return not numbers or (low <= min(numbers) and max(numbers) <= high)


# --- the interview planner's day ---------------------------------------------------------

INTERVIEW_PLAN_FIELDS = frozenset(("day", "today", "final_day", "at_risk"))


def encode_interview_plan(plan: InterviewPlan) -> dict[str, Any]:
    return {
        "day": plan.day,
        "today": plan.today,
        "final_day": plan.final_day,
        "at_risk": list(plan.at_risk),
    }


def decode_interview_plan(value: object) -> InterviewPlan:
    plan = fields_of(value, INTERVIEW_PLAN_FIELDS, "interview plan")
    final_day = plan["final_day"]
    if not isinstance(final_day, dict):
        raise CacheDataError("expected a mapping of days")
    return InterviewPlan(
        day=whole(plan["day"]),
        today=text_map(plan["today"]),
        final_day={text(key): whole(day) for key, day in final_day.items()},
        at_risk=texts(plan["at_risk"]),
    )
