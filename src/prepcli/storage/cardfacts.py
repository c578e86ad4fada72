"""What `prepcli stats` reads of the card table: the selected decks' cards counted by
SQLite (core/stats.CardTallies), so Python sees a row per deck and per due day instead of
a row per card."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from prepcli.core.models import Phase
from prepcli.core.stats import CardTallies, DeckTally, LeechRow
from prepcli.storage.rows import (
    DECK_OF_KEY,
    RECALL_AT,
    STUDIED,
    key_chunks,
    recall_params,
    sums_by_deck,
)

_MEMORY = "stability IS NOT NULL AND last_review_ms IS NOT NULL"  # recall can be predicted
_LEARNING = f"{int(Phase.LEARNING)}, {int(Phase.RELEARNING)}"
_DECK_SUMS = (  # DeckTally's fields
    "coalesce(sum(suspended), 0), "
    f"coalesce(sum(NOT suspended AND phase IN ({_LEARNING})), 0), "
    f"coalesce(sum(NOT suspended AND phase = {int(Phase.REVIEW)}), 0), "
    "coalesce(sum(leech), 0), "
    f"coalesce(sum(CASE WHEN {_MEMORY} THEN {RECALL_AT} END), 0.0), "
    f"count(CASE WHEN {_MEMORY} THEN 1 END)"
)
# The studied cards not suspended by due day, read in the order of the card_schedule index
# (phase, due_day, suspended, buried_until_day, …), which holds every column used: a range
# of the index, grouped as it is read, with nothing to sort.
_DUE = (
    "SELECT due_day, buried_until_day, count(*) FROM card "
    f"WHERE phase IN ({STUDIED}) AND due_day <= :horizon AND NOT suspended "
    f"AND {DECK_OF_KEY} IN ({{decks}}){{among}} "
    "GROUP BY phase, due_day, suspended, buried_until_day"
)


def card_tallies(
    db: sqlite3.Connection,
    *,
    decks: Sequence[str],
    now_ms: int,
    horizon: int,
    factor: float,
    decay: float,
    leaving_out: Collection[str] = (),
) -> CardTallies:
    """The card table counted for `prepcli stats` over the cards of `decks` (a key's part
    before "/"), leaving out the `leaving_out` keys (cards no longer in the decks): each
    deck's DeckTally, with predicted recall at `now_ms` by the forgetting curve of
    `factor` and `decay` (rows.RECALL_AT); the due days up to `horizon`; the leeches. One
    read snapshot."""
    params = recall_params(now_ms, factor, decay) | {"horizon": horizon}
    names = {f"d{i}": deck for i, deck in enumerate(decks)}
    params |= names
    listed = ", ".join(f":{name}" for name in names)
    db.execute("BEGIN")
    try:
        tallies = sums_by_deck(db, decks, _DECK_SUMS, "true", params, leaving_out)
        due = _due_days(db, _DUE.replace("{decks}", listed), params, leaving_out)
        leeches = [
            LeechRow(key, lapses, bool(suspended), recall)
            for key, lapses, suspended, recall in db.execute(
                f"SELECT key, lapses, suspended, CASE WHEN {_MEMORY} THEN {RECALL_AT} END "
                f"FROM card WHERE leech AND {DECK_OF_KEY} IN ({listed})",
                params,
            )
            if key not in leaving_out
        ]
    finally:
        db.execute("COMMIT")
    return CardTallies(
        decks={deck: DeckTally(*sums) for deck, sums in tallies.items()},
        due=due,
        leeches=tuple(leeches),
    )


def _due_days(
    db: sqlite3.Connection,
    query: str,
    params: dict[str, Any],
    leaving_out: Collection[str],
) -> tuple[tuple[int, int | None, int], ...]:
    """(due day, buried until day, cards), from the query's rows (one per phase too) minus
    the `leaving_out` keys' own."""
    counts: dict[tuple[int, int | None], int] = {}
    for day, buried, n in db.execute(query.replace("{among}", ""), params):
        counts[day, buried] = counts.get((day, buried), 0) + n
    for among, chosen in key_chunks(leaving_out):
        leaving = query.replace("{among}", f" AND {among}")
        for day, buried, n in db.execute(leaving, params | chosen):
            counts[day, buried] -= n
    return tuple((day, buried, n) for (day, buried), n in counts.items() if n)
