"""The rows behind days off and the load of the days ahead: review cards due per day (the
load balancer's and a break's input), the interview days of the plan runs (rest days),
and moving review cards' due days (a break, `prepcli postpone`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from prepcli.core.models import Phase
from prepcli.storage.store import Store


def review_load(store: Store, first: int, last: int) -> dict[int, int]:
    """Review cards (not suspended) due on each study day from `first` to `last`: one walk
    of that range of the card_schedule index (phase, due_day, suspended, …)."""
    rows = store.db.execute(
        f"SELECT due_day, count(*) FROM card WHERE phase = {int(Phase.REVIEW)} "
        "AND due_day BETWEEN ? AND ? AND NOT suspended GROUP BY due_day",
        (first, last),
    )
    return {int(day): int(count) for day, count in rows}


class DueReview(NamedTuple):
    """A review card due by some day, as a break moves it."""

    key: str
    due_day: int
    due_ms: int
    stability: float


def reviews_due_by(store: Store, first: int | None, last: int) -> list[DueReview]:
    """Review cards (not suspended) due from `first` (None: any earlier day) to `last`."""
    rows = store.db.execute(
        f"SELECT key, due_day, due_ms, stability FROM card WHERE phase = {int(Phase.REVIEW)} "
        "AND due_day BETWEEN ? AND ? AND NOT suspended AND due_ms IS NOT NULL "
        "AND stability IS NOT NULL ORDER BY key",
        (-(1 << 62) if first is None else first, last),
    )
    return [DueReview(str(k), int(d), int(ms), float(s)) for k, d, ms, s in rows]


def interview_days(store: Store) -> frozenset[int]:
    """The interview days of every plan run (the active one's and those of earlier runs)."""
    rows = store.db.execute(
        "SELECT DISTINCT interview_day FROM plan_run WHERE interview_day IS NOT NULL"
    )
    return frozenset(int(row[0]) for row in rows)


def move_due(store: Store, moves: Sequence[tuple[str, int, int, int]], modified_ms: int) -> int:
    """Give review cards new due days, (key, due day now, new due day, new due_ms) each, in
    one transaction; nothing else of a card changes (its memory state stays FSRS's). A card
    whose due day is no longer the one it had (answered meanwhile in another terminal) is
    left alone. Returns the cards moved."""
    moved = 0
    with store.transaction():
        for key, due_day, new_day, new_ms in moves:
            cursor = store.db.execute(
                "UPDATE card SET due_day = ?, due_ms = ?, modified_ms = ? "
                f"WHERE key = ? AND phase = {int(Phase.REVIEW)} AND due_day = ?",
                (new_day, new_ms, modified_ms, key, due_day),
            )
            moved += cursor.rowcount
    return moved
