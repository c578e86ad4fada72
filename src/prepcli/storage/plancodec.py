"""The study plans, their layouts on the deck index, and the interview planner's day, as
prepcli's caches keep them (storage/deckindex.py, storage/plancache.py): written field by
field and checked when read back, as storage/cachecodec.py says. Apart from the cards'
codec so that a command that reads no plan loads neither the plans' records nor these."""

from __future__ import annotations

import base64
import binascii
import sys
from array import array
from collections.abc import Sequence
from typing import Any

from prepcli.core.interview import InterviewPlan
from prepcli.core.planlayout import PlanLayout
from prepcli.core.plans import Plan, Selector, Task, Week
from prepcli.storage.cachecodec import (
    CacheDataError,
    fields_of,
    items,
    optional_text,
    text,
    text_map,
    texts,
    whole,
    whole_map,
    wholes,
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
        weeks=tuple(_decode_week(week) for week in items(plan["weeks"])),
    )


def _decode_week(value: object) -> Week:
    week = fields_of(value, WEEK_FIELDS, "plan week")
    selectors = [fields_of(s, SELECTOR_FIELDS, "selector") for s in items(week["introduce"])]
    tasks = [fields_of(t, TASK_FIELDS, "task") for t in items(week["tasks"])]
    return Week(
        number=whole(week["number"]),
        title=text(week["title"]),
        focus=text(week["focus"]),
        introduce=tuple(Selector(optional_text(s["deck"]), texts(s["tags"])) for s in selectors),
        tasks=tuple(Task(text(t["id"]), text(t["title"]), whole(t["week"])) for t in tasks),
    )


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


def words_text(numbers: Sequence[int]) -> str:
    """Whole numbers below 2**32 (an array("I"), 32-bit words on every platform Python
    supports) as base64 of their little-endian bytes."""
    return _packed_text(array("I", numbers))


def words(value: object) -> array[int]:
    """The numbers `words_text` wrote."""
    return _unpacked(value, array("I"), "packed words")


def doubles_text(values: Sequence[float]) -> str:
    """Floats as base64 of their IEEE 754 doubles, little-endian: exact, and read back
    in microseconds where a JSON list of thousands of floats takes milliseconds."""
    return _packed_text(array("d", values))


def doubles(value: object) -> array[float]:
    """The floats `doubles_text` wrote."""
    return _unpacked(value, array("d"), "packed doubles")


def _packed_text(packed: array[Any]) -> str:
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _unpacked(value: object, into: array[Any], what: str) -> array[Any]:
    if not isinstance(value, str):
        raise CacheDataError(f"expected {what}")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise CacheDataError(f"expected {what}") from None
    if len(raw) % into.itemsize:
        raise CacheDataError(f"{what} of an odd length")
    into.frombytes(raw)
    if sys.byteorder == "big":
        into.byteswap()
    return into


def _within(numbers: Sequence[int], low: int, high: int) -> bool:
    return not numbers or (low <= min(numbers) and max(numbers) <= high)


# --- the interview planner's day ---------------------------------------------------------

INTERVIEW_PLAN_FIELDS = frozenset(("day", "today", "final_day", "at_risk", "outcomes"))


def encode_interview_plan(plan: InterviewPlan) -> dict[str, Any]:
    planned = _planned_keys(plan.today, plan.final_day)
    if plan.outcomes.keys() != set(planned):
        raise ValueError("an interview plan's outcomes are for its planned cards")
    return {
        "day": plan.day,
        "today": plan.today,
        "final_day": plan.final_day,
        "at_risk": list(plan.at_risk),
        # Two floats per planned card, in _planned_keys' order (the keys are written once).
        "outcomes": doubles_text([value for key in planned for value in plan.outcomes[key]]),
    }


def decode_interview_plan(value: object) -> InterviewPlan:
    plan = fields_of(value, INTERVIEW_PLAN_FIELDS, "interview plan")
    today = text_map(plan["today"])
    final_day = whole_map(plan["final_day"])
    planned = _planned_keys(today, final_day)
    values = doubles(plan["outcomes"])
    if len(values) != 2 * len(planned):
        raise CacheDataError("an interview plan's outcomes that do not fit its cards")
    pairs = zip(values[0::2], values[1::2], strict=True)
    return InterviewPlan(
        day=whole(plan["day"]),
        today=today,
        final_day=final_day,
        at_risk=texts(plan["at_risk"]),
        outcomes=dict(zip(planned, pairs, strict=True)),
    )


def _planned_keys(today: dict[str, str], final_day: dict[str, int]) -> list[str]:
    """The cards with a planned review: those with a last review day, then today's others."""
    return [*final_day, *(key for key in today if key not in final_day)]
