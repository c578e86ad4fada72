"""The study database as one object: the cards' scheduling states, the queue's queries,
answers and undo, and the parts that own the other tables (plans, settings, quizzes,
upkeep). The only module that opens the database (through sqlitefile).

One file per user. Each answer is its own committed transaction, written with
BEGIN IMMEDIATE so two prepcli processes never interleave a read-modify-write; WAL
lets readers run beside a writer. Times are UTC epoch milliseconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prepcli.core.history import AnswerContext, LoggedChange, Review
from prepcli.core.models import CardState, Phase
from prepcli.storage import sqlitefile
from prepcli.storage.plans_table import PlanRecords
from prepcli.storage.rows import (
    CARD_COLUMNS,
    IMPORTED_UP_TO,
    KEY_SEPARATOR,
    REVIEW_COLUMNS,
    STATE_FIELDS,
    STUDIED,
    VISIBLE,
    KeyGroups,
    key_chunks,
    replace_state,
    review_from_row,
    snapshot,
    state_from_row,
)
from prepcli.storage.settings_table import SettingRecords

if TYPE_CHECKING:
    from prepcli.core.stats import LogFacts
    from prepcli.storage.quiz_table import QuizRecords
    from prepcli.storage.upkeep import Upkeep


def open_store(path: Path, *, create_parents: bool = True) -> Store:
    """Open (creating and migrating as needed) the database at `path`, or raise PrepError.

    A file from a newer prepcli, or one that is not a prepcli database, is refused before
    anything is written to it.
    """
    return Store(sqlitefile.connect(path, create_parents=create_parents), path)


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        self.plans = PlanRecords(connection, self.transaction)
        self.settings = SettingRecords(connection, self.transaction)

    # The quizzes' and the upkeep's parts are built when first used: most commands need
    # neither, and so do not import them.

    @cached_property
    def quizzes(self) -> QuizRecords:
        from prepcli.storage.quiz_table import QuizRecords

        return QuizRecords(self.db, self.transaction)

    @cached_property
    def upkeep(self) -> Upkeep:
        from prepcli.storage.upkeep import Upkeep

        return Upkeep(self.db, self.transaction)

    # --- connection and transactions -------------------------------------------------

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction that takes the write lock up front (no upgrade deadlocks)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- cards -----------------------------------------------------------------------

    def states(self) -> dict[str, CardState]:
        """Every card's state."""
        rows = self.db.execute(f"SELECT {CARD_COLUMNS} FROM card").fetchall()
        return {row[0]: state_from_row(row) for row in rows}

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

    def states_of(self, keys: Collection[str]) -> dict[str, CardState]:
        """The states of these cards (those that have one)."""
        found: dict[str, CardState] = {}
        for among, chosen in key_chunks(keys):
            for row in self.db.execute(f"SELECT {CARD_COLUMNS} FROM card WHERE {among}", chosen):
                found[row[0]] = state_from_row(row)
        return found

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

    def state(self, key: str) -> CardState | None:
        row = self.db.execute(f"SELECT {CARD_COLUMNS} FROM card WHERE key = ?", (key,)).fetchone()
        return state_from_row(row) if row else None

    def _state_or_new(self, key: str) -> CardState:
        return self.state(key) or CardState(key=key)

    def change(
        self, key: str, decide: Callable[[CardState], LoggedChange], context: AnswerContext
    ) -> tuple[CardState, LoggedChange, int]:
        """Read a card, decide its new state, and log both, atomically.

        `decide` runs inside the write lock, so an answer given in another terminal in the
        meantime is seen, never overwritten. Returns (before, change, review id); the
        change's new state carries the card's row id (a new card gets one here).
        """
        with self.transaction():
            before = self._state_or_new(key)
            change = decide(before)
            card_id = self._write_state(change.after, context.reviewed_ms)
            values = (
                card_id,
                context.reviewed_ms,
                context.study_day,
                context.tz_offset_min,
                change.rating,
                int(change.kind),
                context.duration_ms,
                change.elapsed_days,
                change.scheduled_days,
                change.r_predicted,
                context.desired_retention,
                change.reason,
                *snapshot(before),
                *snapshot(change.after),
            )
            marks = ", ".join("?" for _ in values)
            columns = (
                "card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, "
                "elapsed_days, scheduled_days, r_predicted, desired_retention, reason, "
                + ", ".join(f"b_{f}" for f in STATE_FIELDS)
                + ", "
                + ", ".join(f"a_{f}" for f in STATE_FIELDS)
            )
            cursor = self.db.execute(f"INSERT INTO review ({columns}) VALUES ({marks})", values)
            review_id = cursor.lastrowid
            assert review_id is not None
        if change.after.card_id != card_id:
            change = replace(change, after=replace_state(change.after, card_id=card_id))
        return before, change, review_id

    def _write_state(self, state: CardState, modified_ms: int) -> int:
        self.db.execute(
            """INSERT INTO card (key, phase, step, stability, difficulty, due_ms, due_day,
                   last_review_ms, reps, lapses, leech, suspended, buried_until_day, modified_ms)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(key) DO UPDATE SET
                   phase = excluded.phase, step = excluded.step,
                   stability = excluded.stability, difficulty = excluded.difficulty,
                   due_ms = excluded.due_ms, due_day = excluded.due_day,
                   last_review_ms = excluded.last_review_ms, reps = excluded.reps,
                   lapses = excluded.lapses, leech = excluded.leech,
                   suspended = excluded.suspended, buried_until_day = excluded.buried_until_day,
                   modified_ms = excluded.modified_ms""",
            (
                state.key,
                *snapshot(state)[:-1],
                int(state.leech),
                int(state.suspended),
                state.buried_until_day,
                modified_ms,
            ),
        )
        row = self.db.execute("SELECT id FROM card WHERE key = ?", (state.key,)).fetchone()
        return int(row[0])

    def set_flags(
        self,
        key: str,
        modified_ms: int,
        *,
        suspended: bool | None = None,
        buried_until_day: int | bool | None = False,
    ) -> CardState:
        """Suspend/unsuspend or bury a card (not logged as a review; no history changes)."""
        with self.transaction():
            state = self._state_or_new(key)
            if suspended is not None:
                state = replace_state(state, suspended=suspended)
            if buried_until_day is not False:
                state = replace_state(state, buried_until_day=buried_until_day)
            self._write_state(state, modified_ms)
        return state

    def apply_renames(self, renames: dict[str, str]) -> int:
        """Move history from old card keys to their new ones (`formerly:`); returns moves."""
        if not renames:
            return 0
        olds = list(renames)
        found = [
            row[0]
            for start in range(0, len(olds), 500)
            for row in self.db.execute(
                "SELECT key FROM card WHERE key IN ({})".format(
                    ",".join("?" * len(olds[start : start + 500]))
                ),
                olds[start : start + 500],
            )
        ]
        moved = 0
        if found:
            with self.transaction():
                for old in found:
                    new = renames[old]
                    if self.db.execute("SELECT 1 FROM card WHERE key = ?", (new,)).fetchone():
                        continue  # the new id already has its own history; keep both apart
                    self.db.execute("UPDATE card SET key = ? WHERE key = ?", (new, old))
                    moved += 1
        return moved

    # --- the review log --------------------------------------------------------------

    def undo_last(self) -> Review | None:
        """Remove the newest review-log row and restore its card's state before it.

        Only an answer given here is undone: undo stops at the rows the last import wrote
        (or rewrote, in a merge), which are not anyone's last answer."""
        with self.transaction():
            row = self.db.execute(
                f"SELECT {REVIEW_COLUMNS} FROM review JOIN card ON card.id = review.card_id "
                "ORDER BY review.id DESC LIMIT 1"
            ).fetchone()
            floor = self.db.execute(
                "SELECT value FROM setting WHERE name = ?", (IMPORTED_UP_TO,)
            ).fetchone()
            if row is None or (floor is not None and row[0] <= int(floor[0])):
                return None
            review = review_from_row(row)
            before = review.before
            self.db.execute(
                "UPDATE card SET " + ", ".join(f"{f} = ?" for f in STATE_FIELDS) + " WHERE key = ?",
                (*snapshot(before), review.card_key),
            )
            self.db.execute("DELETE FROM review WHERE id = ?", (review.id,))
        return review

    def history(self, key: str) -> list[Review]:
        rows = self.db.execute(
            f"SELECT {REVIEW_COLUMNS} FROM review JOIN card ON card.id = review.card_id "
            "WHERE card.key = ? ORDER BY review.id",
            (key,),
        ).fetchall()
        return [review_from_row(row) for row in rows]

    def day_counts(self, day: int) -> tuple[int, int, int, int]:
        """(answers, new cards introduced, review-card answers, relearning answers) on a
        study day."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(b_phase = 0), 0), COALESCE(SUM(b_phase = 2), 0), "
            "COALESCE(SUM(b_phase = 3), 0) FROM review WHERE study_day = ? AND rating > 0",
            (day,),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def something_due_on(self, day: int) -> bool:
        """Whether any card was due on a past or present study day: one answered later that
        was already due then, or one still waiting since then (not suspended)."""
        overdue = self.db.execute(
            "SELECT 1 FROM review WHERE study_day > ? AND b_due_day <= ? AND b_phase != 0 "
            "AND rating > 0 LIMIT 1",
            (day, day),
        ).fetchone()
        if overdue is not None:
            return True
        waiting = self.db.execute(
            "SELECT 1 FROM card WHERE phase != 0 AND suspended = 0 AND due_day <= ? LIMIT 1",
            (day,),
        ).fetchone()
        return waiting is not None

    def days_answered(self, last: int) -> list[int]:
        """The study days up to `last` with at least one answer, latest first. SQLite walks
        back from day to day through the review_day index, one seek each: a year of
        history costs a few hundred seeks in one statement, not a scan of every review."""
        rows = self.db.execute(
            """WITH RECURSIVE answered(day) AS (
                SELECT max(study_day) FROM review WHERE study_day <= :last AND rating > 0
                UNION ALL
                SELECT (SELECT max(study_day) FROM review
                        WHERE study_day < answered.day AND rating > 0)
                FROM answered WHERE answered.day IS NOT NULL
            )
            SELECT day FROM answered WHERE day IS NOT NULL""",
            {"last": last},
        )
        return [int(row[0]) for row in rows]

    def latest_study_day(self) -> int | None:
        """The latest study day in the log (any row, answers and manual changes alike)."""
        row = self.db.execute("SELECT MAX(study_day) FROM review").fetchone()
        return None if row[0] is None else int(row[0])

    def durations_on(self, day: int) -> int:
        row = self.db.execute(
            "SELECT COALESCE(SUM(duration_ms), 0) FROM review WHERE study_day = ? AND rating > 0",
            (day,),
        ).fetchone()
        return int(row[0])

    def review_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM review").fetchone()[0])

    def log_facts(self, decks: tuple[str, ...] = ()) -> LogFacts:
        """The review log aggregated for `prepcli stats` (see logfacts)."""
        from prepcli.storage.logfacts import read_log_facts

        return read_log_facts(self.db, decks)
