"""Which cards were introduced on a study day: the running plan's pace is fixed in the
morning, so the cards introduced since count towards the share of the stream (plan week
or own decks) they came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prepcli.storage.store import Store


def introduced_on(store: Store, day: int) -> frozenset[str]:
    """The keys of the cards first answered (while new) on `day` (the review_day index
    holds the day's answers: a day's rows, not the log, are read)."""
    rows = store.db.execute(
        "SELECT DISTINCT card.key FROM review JOIN card ON card.id = review.card_id "
        "WHERE review.study_day = ? AND review.b_phase = 0 AND review.rating > 0",
        (day,),
    )
    return frozenset(str(row[0]) for row in rows)
