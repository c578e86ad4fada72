"""The JSON written to prepcli's caches, and the checks it passes when read back.

A cache is data, never code: every value is written field by field under its name, and
read back through the same names with its type checked, so a cache left by another
version, damaged, or written by someone else can only be refused (CacheDataError), never
turned into objects prepcli did not make.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prepcli.core.cards import CardDef, Deck, Kind, Tier
from prepcli.core.errors import Problem


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


def items(value: object) -> list[object]:
    if not isinstance(value, list):
        raise CacheDataError("expected a list")
    return value


def text_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not _all_of_type(list(value.values()), str):
        raise CacheDataError("expected a mapping of strings")
    return dict(value)


def whole_map(value: object) -> dict[str, int]:
    """A JSON object of whole numbers (its keys are strings, as JSON's always are)."""
    if not isinstance(value, dict) or not _all_of_type(list(value.values()), int):
        raise CacheDataError("expected a mapping of whole numbers")
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


# --- the problems found in a deck or plan file ------------------------------------------

PROBLEM_FIELDS = frozenset(("path", "line", "col", "message", "severity"))


def encode_problems(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"path": p.path, "line": p.line, "col": p.col, "message": p.message, "severity": p.severity}
        for p in problems
    ]


def decode_problems(value: object) -> list[Problem]:
    problems = []
    for item in items(value):
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
