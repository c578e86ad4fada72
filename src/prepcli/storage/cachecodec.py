"""The JSON written to prepcli's caches, and the checks it passes when read back.

A cache is data, never code: every value is written field by field under its name, and
read back through the same names with its type checked, so a cache left by another
version, damaged, or written by someone else can only be refused (CacheDataError), never
turned into objects prepcli did not make.
"""

from __future__ import annotations

from array import array
from enum import StrEnum
from typing import Any, TypeVar

from prepcli.core.cards import CardDef, Deck, Kind, Tier
from prepcli.core.errors import Problem
from prepcli.core.interview import InterviewPlan
from prepcli.files.plan import Plan, PlanLayout, Selector, Task, Week

E = TypeVar("E", bound=StrEnum)


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
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CacheDataError("expected a list of strings")
    return tuple(value)


def wholes(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise CacheDataError("expected a list of whole numbers")
    return tuple(whole(item) for item in value)


def text_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise CacheDataError("expected a mapping of strings")
    return dict(value)


def name_of(kind: type[E], value: object) -> E:
    try:
        return kind(text(value))
    except ValueError:
        raise CacheDataError(f"not a {kind.__name__}: {value!r}") from None


# --- cards and decks ---------------------------------------------------------------------

CARD_FIELDS = frozenset(
    [
        "deck",
        "id",
        "kind",
        "front",
        "back",
        "path",
        "line",
        "tags",
        "hints",
        "points",
        "time_limit",
        "formerly",
        "source",
        "starter",
        "tests",
        "solution",
        "explain",
        "tier",
        "cloze",
        "cloze_text",
    ]
)


def encode_card(card: CardDef) -> dict[str, Any]:
    return {
        "deck": card.deck,
        "id": card.id,
        "kind": card.kind.value,
        "front": card.front,
        "back": card.back,
        "path": card.path,
        "line": card.line,
        "tags": list(card.tags),
        "hints": list(card.hints),
        "points": list(card.points),
        "time_limit": card.time_limit,
        "formerly": list(card.formerly),
        "source": card.source,
        "starter": card.starter,
        "tests": card.tests,
        "solution": card.solution,
        "explain": card.explain,
        "tier": card.tier.value,
        "cloze": card.cloze,
        "cloze_text": card.cloze_text,
    }


def decode_card(value: object) -> CardDef:
    card = fields_of(value, CARD_FIELDS, "card")
    return CardDef(
        deck=text(card["deck"]),
        id=text(card["id"]),
        kind=name_of(Kind, card["kind"]),
        front=text(card["front"]),
        back=text(card["back"]),
        path=text(card["path"]),
        line=whole(card["line"]),
        tags=texts(card["tags"]),
        hints=texts(card["hints"]),
        points=texts(card["points"]),
        time_limit=optional_whole(card["time_limit"]),
        formerly=texts(card["formerly"]),
        source=optional_text(card["source"]),
        starter=optional_text(card["starter"]),
        tests=optional_text(card["tests"]),
        solution=optional_text(card["solution"]),
        explain=optional_text(card["explain"]),
        tier=name_of(Tier, card["tier"]),
        cloze=optional_whole(card["cloze"]),
        cloze_text=optional_text(card["cloze_text"]),
    )


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
    index's `keys` (`positions`), so each key is written once, in the index."""
    return {
        "plan": encode_plan(layout.plan),
        "by_week": [positions[key] for key in layout.by_week],
        "starts": list(layout.starts),
        "places": list(layout.places),
        "streams": list(layout.streams),
    }


def decode_layout(value: object, keys: tuple[str, ...]) -> PlanLayout:
    layout = fields_of(value, LAYOUT_FIELDS, "plan layout")
    positions = wholes(layout["by_week"])
    starts = wholes(layout["starts"])
    places, streams = wholes(layout["places"]), wholes(layout["streams"])
    if (
        any(not 0 <= p < len(keys) for p in positions)
        or len(places) != len(positions)
        or len(streams) != len(positions)
        or any(not 0 <= s <= len(positions) for s in starts)
        or list(starts) != sorted(starts)
        or any(not 0 <= n < 1 << 32 for n in (*places, *streams))  # what array("I") holds
    ):
        raise CacheDataError("a plan layout that does not fit its deck index")
    plan = decode_plan(layout["plan"])
    if len(starts) != len(plan.weeks) + 2:
        raise CacheDataError("a plan layout with another number of weeks than its plan")
    return PlanLayout(
        plan,
        tuple(keys[p] for p in positions),
        starts,
        array("I", places),
        array("I", streams),
    )


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
