"""What `prepcli stats` reads of every card: the columns it counts (core/models.CardFacts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepcli.core.models import CardFacts
from prepcli.storage.rows import PHASES

if TYPE_CHECKING:
    from prepcli.storage.store import Store


def card_facts(store: Store) -> dict[str, CardFacts]:
    """Key → the statistics' facts of every card with a row."""
    rows = store.db.execute(
        "SELECT key, phase, suspended, leech, lapses, due_day, buried_until_day, stability, "
        "last_review_ms FROM card"
    )
    return {
        key: CardFacts(
            key, PHASES[phase], bool(suspended), bool(leech), lapses, due, buried, s, last
        )
        for key, phase, suspended, leech, lapses, due, buried, s, last in rows
    }
