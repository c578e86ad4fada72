"""Which cards are due, and when: the reads behind today's queue, today's summary and the
interview planner. The queue's and the summary's read ranges of the card_schedule index
(storage/schema.py) rather than every card's row, so they cost little on a big
collection; the planner's read the day's reviews as well."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from prepcli.core.models import CardState, Phase
from prepcli.storage.rows import (
    CARD_COLUMNS,
    KEY_SEPARATOR,
    RECALL_AT,
    STUDIED,
    VISIBLE,
    KeyGroups,
    key_chunks,
    recall_params,
    state_from_row,
    sums_by_deck,
)


class DueCards:
    """The due cards' reads (`store.due`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def key_groups(self, today: int) -> KeyGroups:
        """Which cards are studied, in learning steps, hidden today, or new with a row (after
        `card forget`), as sets of keys: between them, every card the database knows."""
        return KeyGroups(
            *self._concat_keys(
                f"phase > {int(Phase.NEW)}",
                f"phase IN ({int(Phase.LEARNING)}, {int(Phase.RELEARNING)})",
                f"NOT ({VISIBLE})",
                f"phase = {int(Phase.NEW)} AND {VISIBLE}",
                today=today,
            )
        )

    def flag_counts(self, today: int, leaving_out: Collection[str] = ()) -> tuple[int, int, int]:
        """How many cards are suspended, leeches, and due by the end of tomorrow (studied,
        not suspended), leaving out the `leaving_out` keys (cards no longer in the decks).
        Flagged cards are few and have their own partial index; the due ones are a range
        of card_schedule: neither count reads the table."""
        suspended, leeches = self._counts(
            "coalesce(sum(suspended), 0), coalesce(sum(leech), 0)",
            "(suspended OR leech)",  # the card_flagged index's own condition
            {},
            leaving_out,
        )
        studied = f"phase IN ({STUDIED}) AND NOT suspended"
        (due,) = self._counts(
            "count(*)",
            # Two ranges of the index (SQLite reads `a AND (b OR c)` as a scan of a).
            f"(({studied} AND due_day <= :tomorrow) OR ({studied} AND due_day IS NULL))",
            {"tomorrow": today + 1},
            leaving_out,
        )
        return suspended, leeches, due

    def _concat_keys(self, *rules: str, today: int) -> list[frozenset[str]]:
        """For each rule, the set of keys of the cards it holds for. SQLite joins each
        set's keys into one string, read from the card_schedule index (which holds every
        column the rules test), so 20,000 cards cost a few milliseconds instead of the
        tens it takes to fetch them row by row. One query per rule: each walks only its
        range of the index. A key holding the separator (possible only through an
        import) shows as a count that does not match: that set is then read row by row."""
        sep = f"char({ord(KEY_SEPARATOR)})"
        found = []
        for rule in rules:
            where = f"FROM card WHERE {rule}"
            count, text = self.db.execute(
                f"SELECT count(*), group_concat(key, {sep}) {where}", {"today": today}
            ).fetchone()
            keys = text.split(KEY_SEPARATOR) if text else []
            if len(keys) != count:
                keys = [row[0] for row in self.db.execute(f"SELECT key {where}", {"today": today})]
            found.append(frozenset(keys))
        return found

    def learning_states(self, today: int, day_end_ms: int) -> list[CardState]:
        """(Re)learning cards due before the study day ends, neither suspended nor buried."""
        rows = self.db.execute(
            f"SELECT {CARD_COLUMNS} FROM card WHERE {VISIBLE} "
            f"AND phase IN ({int(Phase.LEARNING)}, {int(Phase.RELEARNING)}) AND due_ms < :end",
            {"today": today, "end": day_end_ms},
        ).fetchall()
        return [state_from_row(row) for row in rows]

    def due_review_keys(self, today: int) -> list[str]:
        """The keys of the review cards due by today, neither suspended nor buried, most
        overdue first (the queue's order: agenda.review_order). Keys only: the queue reads
        in full just the reviews that fit under the day's limit."""
        rows = self.db.execute(
            f"SELECT key FROM card WHERE {VISIBLE} AND phase = {int(Phase.REVIEW)} "
            "AND due_day <= :today ORDER BY due_day, coalesce(due_ms, 0), key",
            {"today": today},
        )
        return [row[0] for row in rows]

    def due_counts(
        self, today: int, now_ms: int, day_end_ms: int, leaving_out: Collection[str] = ()
    ) -> tuple[int, int, int]:
        """How many reviews are due by today, learning cards due now, and learning cards
        due later today, leaving out suspended and buried cards and the `leaving_out` keys
        (cards no longer in the decks): the queue's counts, counted by SQLite. Each count
        walks its range of the (phase, due_day) index, not the whole table."""
        bounds = {"today": today, "now": now_ms, "end": day_end_ms}
        (reviews,) = self._counts(
            "count(*)",
            f"phase = {int(Phase.REVIEW)} AND due_day <= :today AND {VISIBLE}",
            bounds,
            leaving_out,
        )
        learning_now, learning_later = self._counts(
            "coalesce(sum(due_ms <= :now), 0), coalesce(sum(due_ms > :now AND due_ms < :end), 0)",
            f"phase IN ({int(Phase.LEARNING)}, {int(Phase.RELEARNING)}) AND {VISIBLE}",
            bounds,
            leaving_out,
        )
        return reviews, learning_now, learning_later

    def _counts(
        self, sums: str, rule: str, params: dict[str, Any], leaving_out: Collection[str]
    ) -> list[int]:
        """Sums over the cards `rule` holds for, minus their values over the `leaving_out`
        keys (few: the cards no longer in the decks)."""
        query = f"SELECT {sums} FROM card WHERE {rule}"
        totals = list(self.db.execute(query, params).fetchone())
        for among, chosen in key_chunks(leaving_out):
            row = self.db.execute(f"{query} AND {among}", params | chosen).fetchone()
            totals = [total - part for total, part in zip(totals, row, strict=True)]
        return totals

    def recall_by_deck(
        self,
        decks: Sequence[str],
        instant_ms: int,
        factor: float,
        decay: float,
        leaving_out: Collection[str] = (),
    ) -> dict[str, tuple[int, float, int]]:
        """Deck → (cards, their summed recall at `instant_ms`, how many of them at 90% or
        more) over each of `decks`' studied cards that are not suspended, each by the
        forgetting curve (rows.RECALL_AT), leaving out the `leaving_out` keys (cards no
        longer in the decks); the decks without such cards left out. SQLite works out
        every card's recall; Python sees a row per deck."""
        found = sums_by_deck(
            self.db,
            decks,
            f"count(*), coalesce(sum({RECALL_AT}), 0.0), coalesce(sum({RECALL_AT} >= 0.9), 0)",
            f"phase != {int(Phase.NEW)} AND NOT suspended AND stability IS NOT NULL "
            "AND difficulty IS NOT NULL AND last_review_ms IS NOT NULL",
            recall_params(instant_ms, factor, decay),
            leaving_out,
        )
        return {deck: (cards, total, high) for deck, (cards, total, high) in found.items() if cards}

    def studied_and_known(self, leaving_out: Collection[str] = ()) -> tuple[int, int]:
        """How many cards are studied and not suspended, and how many have a row that is
        not a plain new card's (studied, or suspended), leaving out the `leaving_out` keys."""
        studied, known = self._counts(
            f"coalesce(sum(phase != {int(Phase.NEW)} AND NOT suspended), 0), count(*)",
            f"(phase != {int(Phase.NEW)} OR suspended)",
            {},
            leaving_out,
        )
        return studied, known

    def reviews_at_start(self, day: int) -> list[tuple[str, float, float, int]]:
        """(key, stability, difficulty, last review) of the review cards (not suspended) as
        they stood when study day `day` began: a card answered since then as its first
        answer of the day found it (the log keeps the state before each answer). The
        interview planner plans a day from these, so its choice holds while the day's
        answers come in."""
        review = int(Phase.REVIEW)
        rows = self.db.execute(
            "SELECT key, stability, difficulty, last_review_ms FROM card "
            f"WHERE phase = {review} AND NOT suspended "
            "AND id NOT IN (SELECT card_id FROM review WHERE study_day >= :day) "
            "UNION ALL "
            "SELECT card.key, b_stability, b_difficulty, b_last_review_ms "
            "FROM review JOIN card ON card.id = review.card_id WHERE review.id IN "
            "(SELECT min(id) FROM review WHERE study_day >= :day GROUP BY card_id) "
            f"AND b_phase = {review} AND NOT card.suspended",
            {"day": day},
        ).fetchall()
        return [row for row in rows if None not in row]

    def plan_inputs_stamp(self, day: int, day_start_ms: int) -> tuple[int | None, int, int | None]:
        """What tells a day's interview plan still holds (storage/plancache.py): the newest
        review row before `day` (an undo across the rollover or an import changes it), and
        the count and latest time of the cards changed since the day began other than by an
        answer (suspended, imported, rescheduled: no review row has their change time).
        Answering the day's cards changes neither."""
        # Walked from the newest row back (NOT INDEXED: the study-day index would sort the
        # whole log first), it stops after the day's few answers.
        newest = self.db.execute(
            "SELECT id FROM review NOT INDEXED WHERE study_day < ? ORDER BY id DESC LIMIT 1",
            (day,),
        ).fetchone()
        changed, latest = self.db.execute(
            "SELECT count(*), max(modified_ms) FROM card WHERE modified_ms >= ? AND NOT EXISTS "
            "(SELECT 1 FROM review WHERE review.card_id = card.id "
            "AND review.reviewed_ms = card.modified_ms)",
            (day_start_ms,),
        ).fetchone()
        return (None if newest is None else int(newest[0])), int(changed), latest
