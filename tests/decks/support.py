"""Read the bundled decks' raw YAML so the worked-number tests can check a card's text."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DECKS = Path(__file__).resolve().parents[2] / "decks"


@cache
def _cards() -> dict[tuple[str, str], dict[str, Any]]:
    cards: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(DECKS.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for card in doc["cards"]:
            cards[(doc["deck"], card["id"])] = card
    return cards


def card_text(deck: str, card_id: str) -> str:
    """Front, back, explanation and points of one card, joined: what a worked number must appear in."""
    card = _cards()[(deck, card_id)]
    parts = [card.get(key) or "" for key in ("front", "back", "explain")]
    parts.extend(card.get("points") or [])
    return "\n".join(parts)
