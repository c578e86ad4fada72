"""The only sqlite3 importer: the database file, its migrations and its SQL statements
(but the range checks of `prepcli check`, in rowcheck.py, which run on this connection).

One file per user. Each answer is its own committed transaction, written with
BEGIN IMMEDIATE so two prepcli processes never interleave a read-modify-write; WAL
lets readers run beside a writer. Times are UTC epoch milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.core.errors import PrepError, UsageError
from prepcli.core.models import CardState, Phase, PlanRun, ReviewKind

if TYPE_CHECKING:
    from typing import Any, TypeVar

    # The log's records, imported where they are built: the start-up path needs none.
    from prepcli.core.history import (
        AnswerContext,
        Column,
        ExportedCard,
        LogFacts,
        LoggedChange,
        ParameterSet,
        QuizAnswer,
        QuizRecord,
        Review,
    )

    T = TypeVar("T")


# Ordered, append-only: a shipped migration is never edited; a change is a new entry.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: cards, the review log, settings
        """CREATE TABLE card (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            phase INTEGER NOT NULL DEFAULT 0,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due_ms INTEGER,
            due_day INTEGER,
            last_review_ms INTEGER,
            reps INTEGER NOT NULL DEFAULT 0,
            lapses INTEGER NOT NULL DEFAULT 0,
            suspended INTEGER NOT NULL DEFAULT 0,
            buried_until_day INTEGER,
            leech INTEGER NOT NULL DEFAULT 0,
            modified_ms INTEGER NOT NULL
        )""",
        "CREATE INDEX card_due ON card(phase, due_day)",
        """CREATE TABLE review (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            card_id INTEGER NOT NULL REFERENCES card(id),
            reviewed_ms INTEGER NOT NULL,
            study_day INTEGER NOT NULL,
            tz_offset_min INTEGER NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 4),
            kind INTEGER NOT NULL,
            duration_ms INTEGER,
            elapsed_days REAL,
            scheduled_days REAL,
            r_predicted REAL,
            desired_retention REAL,
            b_phase INTEGER NOT NULL, b_step INTEGER, b_stability REAL, b_difficulty REAL,
            b_due_ms INTEGER, b_due_day INTEGER, b_last_review_ms INTEGER,
            b_reps INTEGER NOT NULL, b_lapses INTEGER NOT NULL, b_leech INTEGER NOT NULL,
            a_phase INTEGER NOT NULL, a_step INTEGER, a_stability REAL, a_difficulty REAL,
            a_due_ms INTEGER, a_due_day INTEGER, a_last_review_ms INTEGER,
            a_reps INTEGER NOT NULL, a_lapses INTEGER NOT NULL, a_leech INTEGER NOT NULL
        )""",
        "CREATE INDEX review_card ON review(card_id, reviewed_ms)",
        "CREATE INDEX review_day ON review(study_day)",
        "CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (  # 2: started study plans and their ticked tasks
        """CREATE TABLE plan_run (
            id INTEGER PRIMARY KEY,
            plan_id TEXT NOT NULL,
            start_day INTEGER NOT NULL,
            interview_day INTEGER,
            started_ms INTEGER NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        )""",
        """CREATE TABLE task_done (
            run_id INTEGER NOT NULL REFERENCES plan_run(id),
            task_id TEXT NOT NULL,
            done_ms INTEGER NOT NULL,
            PRIMARY KEY (run_id, task_id)
        )""",
    ),
    (  # 3: why a review happened early (e.g. 'interview' for the interview-date planner)
        "ALTER TABLE review ADD COLUMN reason TEXT",
    ),
    (  # 4: mock quizzes, kept apart from the FSRS review log
        """CREATE TABLE quiz (
            id INTEGER PRIMARY KEY,
            started_ms INTEGER NOT NULL,
            finished_ms INTEGER,
            minutes INTEGER NOT NULL,
            selection TEXT NOT NULL
        )""",
        """CREATE TABLE quiz_answer (
            id INTEGER PRIMARY KEY,
            quiz_id INTEGER NOT NULL REFERENCES quiz(id),
            card_key TEXT NOT NULL,
            mark INTEGER NOT NULL CHECK (mark BETWEEN 0 AND 2),
            answered_ms INTEGER NOT NULL,
            duration_ms INTEGER
        )""",
        "CREATE INDEX quiz_answer_quiz ON quiz_answer(quiz_id)",
    ),
    (  # 5: personal FSRS parameters fitted by `prepcli optimize`; the newest row is in use
        """CREATE TABLE fsrs_params (
            id INTEGER PRIMARY KEY,
            created_ms INTEGER NOT NULL,
            params TEXT NOT NULL,
            n_items INTEGER NOT NULL,
            log_loss REAL,
            rmse_bins REAL,
            source TEXT NOT NULL
        )""",
    ),
    (  # 6: the queue's and the interview planner's reads answered from one index, without
        # visiting the table (with 20,000 cards, a random row read per due card was most of
        # the planner's time)
        "CREATE INDEX card_schedule ON card(phase, due_day, suspended, buried_until_day, "
        "due_ms, stability, last_review_ms, key)",
    ),
    (  # 7: suspended cards and leeches (a few) counted without reading every card's row
        "CREATE INDEX card_flagged ON card(suspended, leech) WHERE suspended OR leech",
    ),
    (  # 8: sync through a folder (storage/syncdb.py): this device, what it read and wrote
        """CREATE TABLE sync_device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device TEXT NOT NULL,
            name TEXT NOT NULL,
            next_seq INTEGER NOT NULL,
            segment TEXT,
            review_mark INTEGER NOT NULL DEFAULT 0,
            rules INTEGER,
            folder TEXT,
            synced_ms INTEGER
        )""",
        """CREATE TABLE sync_file (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            device TEXT NOT NULL,
            name TEXT,
            read_bytes INTEGER NOT NULL DEFAULT 0,
            read_lines INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE sync_event (
            id TEXT PRIMARY KEY,
            device TEXT NOT NULL,
            seq INTEGER NOT NULL,
            at_ms INTEGER NOT NULL,
            type TEXT NOT NULL,
            card TEXT,
            review_id INTEGER UNIQUE,
            dead INTEGER NOT NULL DEFAULT 0,
            prev INTEGER,
            rules INTEGER,
            data TEXT,
            file INTEGER,
            pos INTEGER
        ) WITHOUT ROWID""",
        "CREATE INDEX sync_event_card ON sync_event(card, type) WHERE card IS NOT NULL",
        "CREATE INDEX sync_event_other ON sync_event(type) WHERE card IS NULL",
        "CREATE INDEX sync_event_unwritten ON sync_event(device, seq) WHERE file IS NULL",
        """CREATE TABLE sync_card (
            key TEXT PRIMARY KEY,
            digest INTEGER NOT NULL DEFAULT 0,
            latest_ms INTEGER,
            suspended INTEGER NOT NULL DEFAULT 0,
            buried_until_day INTEGER
        ) WITHOUT ROWID""",
        "CREATE TABLE sync_undo (target TEXT PRIMARY KEY, event TEXT NOT NULL) WITHOUT ROWID",
        """CREATE TABLE sync_plan (
            run_id INTEGER PRIMARY KEY,
            event TEXT NOT NULL UNIQUE,
            interview_day INTEGER
        )""",
        """CREATE TABLE sync_task (
            event TEXT NOT NULL,
            task TEXT NOT NULL,
            done INTEGER NOT NULL,
            PRIMARY KEY (event, task)
        ) WITHOUT ROWID""",
        "CREATE TABLE sync_setting (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
        "CREATE TABLE sync_parameters (params_id INTEGER PRIMARY KEY, event TEXT NOT NULL UNIQUE)",
        # What the tables forget: a tick taken back, a flag set and cleared again between
        # two syncs. Triggers note them (no code path changes); each sync reads and clears.
        """CREATE TABLE sync_touched (
            what TEXT NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (what, key)
        ) WITHOUT ROWID""",
        # Only in a database that syncs. (NOT EXISTS rather than OR IGNORE: the statement
        # that fires a trigger decides its conflicts, and an upsert's would abort.)
        """CREATE TRIGGER sync_untick AFTER DELETE ON task_done
        WHEN EXISTS (SELECT 1 FROM sync_device) BEGIN
            INSERT INTO sync_touched (what, key)
            SELECT 'untick', old.run_id || char(9) || old.task_id WHERE NOT EXISTS (
                SELECT 1 FROM sync_touched
                WHERE what = 'untick' AND key = old.run_id || char(9) || old.task_id
            );
        END""",
        """CREATE TRIGGER sync_flags AFTER UPDATE OF suspended, buried_until_day ON card
        WHEN (old.suspended IS NOT new.suspended
            OR old.buried_until_day IS NOT new.buried_until_day)
            AND EXISTS (SELECT 1 FROM sync_device) BEGIN
            INSERT INTO sync_touched (what, key) SELECT 'flags', new.key WHERE NOT EXISTS (
                SELECT 1 FROM sync_touched WHERE what = 'flags' AND key = new.key
            );
        END""",
        """CREATE TABLE sync_problem (
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            col INTEGER NOT NULL,
            message TEXT NOT NULL,
            found_ms INTEGER NOT NULL,
            PRIMARY KEY (path, line, col, message)
        ) WITHOUT ROWID""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_STATE_FIELDS = (
    "phase",
    "step",
    "stability",
    "difficulty",
    "due_ms",
    "due_day",
    "last_review_ms",
    "reps",
    "lapses",
    "leech",
)
_CARD_COLUMNS = "key, id, " + ", ".join(_STATE_FIELDS) + ", suspended, buried_until_day"
_REVIEW_COLUMNS = (
    "review.id, card.key, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, "
    "elapsed_days, scheduled_days, r_predicted, "
    + ", ".join(f"b_{f}" for f in _STATE_FIELDS)
    + ", "
    + ", ".join(f"a_{f}" for f in _STATE_FIELDS)
)


_VISIBLE = (
    "NOT suspended AND coalesce(buried_until_day, 0) <= :today"  # neither suspended nor buried
)
_STUDIED = f"{int(Phase.LEARNING)}, {int(Phase.REVIEW)}, {int(Phase.RELEARNING)}"  # not new
#: The setting row that holds the newest review id an import wrote (not a user setting).
_IMPORTED_UP_TO = "(imported up to review id)"
_KEY_SEPARATOR = "\n"  # never in a deck's card key (ids are slugs); see Store._concat_keys


@dataclass(frozen=True)
class KeyGroups:
    """Sets of card keys by what their state says (see Store.key_groups)."""

    studied: frozenset[str]  # answered at least once (not new)
    learning: frozenset[str]  # in (re)learning steps
    hidden: frozenset[str]  # suspended, or buried until after today
    unstudied: frozenset[str]  # new but with a row (forgotten): usually none
    _outside: tuple[frozenset[str], frozenset[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def outside(self, cards: frozenset[str]) -> frozenset[str]:
        """The keys the database knows that are not in `cards`: cards gone from the decks.
        Kept for the last `cards` asked about: the summary, the queue and the planner
        all ask, and each asking walks every studied key."""
        if self._outside is not None and self._outside[0] is cards:
            return self._outside[1]
        found = (self.studied - cards) | (self.hidden - cards) | (self.unstudied - cards)
        object.__setattr__(self, "_outside", (cards, found))  # a cache, not a change
        return found


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

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
        rows = self.db.execute(f"SELECT {_CARD_COLUMNS} FROM card").fetchall()
        return {row[0]: _state_from_row(row) for row in rows}

    def key_groups(self, today: int) -> KeyGroups:
        """Which cards are studied, in learning steps, hidden today, or new with a row (after
        `card forget`), as sets of keys: between them, every card the database knows."""
        return KeyGroups(
            *self._concat_keys(
                f"phase > {int(Phase.NEW)}",
                f"phase IN ({int(Phase.LEARNING)}, {int(Phase.RELEARNING)})",
                f"NOT ({_VISIBLE})",
                f"phase = {int(Phase.NEW)} AND {_VISIBLE}",
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
        studied = f"phase IN ({_STUDIED}) AND NOT suspended"
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
        sep = f"char({ord(_KEY_SEPARATOR)})"
        found = []
        for rule in rules:
            where = f"FROM card WHERE {rule}"
            count, text = self.db.execute(
                f"SELECT count(*), group_concat(key, {sep}) {where}", {"today": today}
            ).fetchone()
            keys = text.split(_KEY_SEPARATOR) if text else []
            if len(keys) != count:
                keys = [row[0] for row in self.db.execute(f"SELECT key {where}", {"today": today})]
            found.append(frozenset(keys))
        return found

    def learning_states(self, today: int, day_end_ms: int) -> list[CardState]:
        """(Re)learning cards due before the study day ends, neither suspended nor buried."""
        rows = self.db.execute(
            f"SELECT {_CARD_COLUMNS} FROM card WHERE {_VISIBLE} "
            f"AND phase IN ({int(Phase.LEARNING)}, {int(Phase.RELEARNING)}) AND due_ms < :end",
            {"today": today, "end": day_end_ms},
        ).fetchall()
        return [_state_from_row(row) for row in rows]

    def due_review_keys(self, today: int) -> list[str]:
        """The keys of the review cards due by today, neither suspended nor buried, most
        overdue first (the queue's order: agenda.review_order). Keys only: the queue reads
        in full just the reviews that fit under the day's limit."""
        rows = self.db.execute(
            f"SELECT key FROM card WHERE {_VISIBLE} AND phase = {int(Phase.REVIEW)} "
            "AND due_day <= :today ORDER BY due_day, coalesce(due_ms, 0), key",
            {"today": today},
        )
        return [row[0] for row in rows]

    def states_of(self, keys: Collection[str]) -> dict[str, CardState]:
        """The states of these cards (those that have one)."""
        found: dict[str, CardState] = {}
        for among, chosen in _key_chunks(keys):
            for row in self.db.execute(f"SELECT {_CARD_COLUMNS} FROM card WHERE {among}", chosen):
                found[row[0]] = _state_from_row(row)
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
            f"phase = {int(Phase.REVIEW)} AND due_day <= :today AND {_VISIBLE}",
            bounds,
            leaving_out,
        )
        learning_now, learning_later = self._counts(
            "coalesce(sum(due_ms <= :now), 0), coalesce(sum(due_ms > :now AND due_ms < :end), 0)",
            f"phase IN ({int(Phase.LEARNING)}, {int(Phase.RELEARNING)}) AND {_VISIBLE}",
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
        for among, chosen in _key_chunks(leaving_out):
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
        row = self.db.execute(f"SELECT {_CARD_COLUMNS} FROM card WHERE key = ?", (key,)).fetchone()
        return _state_from_row(row) if row else None

    def _state_or_new(self, key: str) -> CardState:
        return self.state(key) or CardState(key=key)

    def change(
        self, key: str, decide: Callable[[CardState], LoggedChange], context: AnswerContext
    ) -> tuple[CardState, LoggedChange, int]:
        """Read a card, decide its new state, and log both, atomically.

        `decide` runs inside the write lock, so an answer given in another terminal in the
        meantime is seen, never overwritten. Returns (before, change, review id).
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
                *_snapshot(before),
                *_snapshot(change.after),
            )
            marks = ", ".join("?" for _ in values)
            columns = (
                "card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, "
                "elapsed_days, scheduled_days, r_predicted, desired_retention, reason, "
                + ", ".join(f"b_{f}" for f in _STATE_FIELDS)
                + ", "
                + ", ".join(f"a_{f}" for f in _STATE_FIELDS)
            )
            cursor = self.db.execute(f"INSERT INTO review ({columns}) VALUES ({marks})", values)
            review_id = cursor.lastrowid
            assert review_id is not None
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
                *_snapshot(state)[:-1],
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
                state = _replace(state, suspended=suspended)
            if buried_until_day is not False:
                state = _replace(state, buried_until_day=buried_until_day)
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
                f"SELECT {_REVIEW_COLUMNS} FROM review JOIN card ON card.id = review.card_id "
                "ORDER BY review.id DESC LIMIT 1"
            ).fetchone()
            floor = self.db.execute(
                "SELECT value FROM setting WHERE name = ?", (_IMPORTED_UP_TO,)
            ).fetchone()
            if row is None or (floor is not None and row[0] <= int(floor[0])):
                return None
            review = _review_from_row(row)
            before = review.before
            self.db.execute(
                "UPDATE card SET "
                + ", ".join(f"{f} = ?" for f in _STATE_FIELDS)
                + " WHERE key = ?",
                (*_snapshot(before), review.card_key),
            )
            self.db.execute("DELETE FROM review WHERE id = ?", (review.id,))
        return review

    def history(self, key: str) -> list[Review]:
        rows = self.db.execute(
            f"SELECT {_REVIEW_COLUMNS} FROM review JOIN card ON card.id = review.card_id "
            "WHERE card.key = ? ORDER BY review.id",
            (key,),
        ).fetchall()
        return [_review_from_row(row) for row in rows]

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

    # --- plans -----------------------------------------------------------------------

    def active_plan(self) -> tuple[int, PlanRun] | None:
        row = self.db.execute(
            "SELECT id, plan_id, start_day, interview_day FROM plan_run WHERE active = 1 "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), PlanRun(plan_id=row[1], start_day=row[2], interview_day=row[3])

    def start_plan(self, run: PlanRun, now_ms: int) -> int:
        """Start a plan, retiring any active one (its ticked tasks stay in the database)."""
        with self.transaction():
            self.db.execute("UPDATE plan_run SET active = 0 WHERE active = 1")
            cursor = self.db.execute(
                "INSERT INTO plan_run (plan_id, start_day, interview_day, started_ms) "
                "VALUES (?, ?, ?, ?)",
                (run.plan_id, run.start_day, run.interview_day, now_ms),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def set_interview_day(self, run_id: int, day: int | None) -> None:
        with self.transaction():
            self.db.execute("UPDATE plan_run SET interview_day = ? WHERE id = ?", (day, run_id))

    def mark_task(self, run_id: int, task_id: str, done: bool, now_ms: int) -> bool:
        """Tick or untick a task; False when it already was in that state."""
        with self.transaction():
            if done:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO task_done (run_id, task_id, done_ms) VALUES (?, ?, ?)",
                    (run_id, task_id, now_ms),
                )
            else:
                cursor = self.db.execute(
                    "DELETE FROM task_done WHERE run_id = ? AND task_id = ?", (run_id, task_id)
                )
            return cursor.rowcount > 0

    def done_tasks(self, run_id: int) -> set[str]:
        rows = self.db.execute("SELECT task_id FROM task_done WHERE run_id = ?", (run_id,))
        return {str(r[0]) for r in rows}

    # --- settings --------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        import json  # here, not at the top: start-up reads none while no setting was changed

        return {
            name: json.loads(value)
            for name, value in self.db.execute("SELECT name, value FROM setting")
        }

    def put_setting(self, name: str, value: Any) -> None:
        import json

        with self.transaction():
            self.db.execute(
                "INSERT INTO setting (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, json.dumps(value)),
            )

    def delete_setting(self, name: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM setting WHERE name = ?", (name,))

    # --- stats and quizzes -----------------------------------------------------------

    def log_facts(
        self, decks: tuple[str, ...] = (), *, mature_days: int = 21, calibration_bins: int = 10
    ) -> LogFacts:
        """The review log aggregated for `prepcli stats`: three scans in one read snapshot.

        `decks` limits it to cards under those deck ids or prefixes. Every figure is an
        aggregate, so what comes back stays small however long the log grows.
        """
        from prepcli.core.history import LogFacts

        where, params = _deck_filter(decks)
        # Anki's true retention counts answers whose previous interval was a day or more
        # (review cards, or interday (re)learning steps); mature when that interval,
        # rounded to days, reaches `mature_days`: NULL = not counted, 0 young, 1 mature.
        retention_class = (  # 0 young, 1 mature, 2 not a true-retention review
            "CASE WHEN b_due_ms IS NULL OR b_last_review_ms IS NULL THEN 2 "
            "WHEN b_phase = 2 OR b_due_ms - b_last_review_ms >= 86400000 "
            f"THEN b_due_ms - b_last_review_ms >= {int((mature_days - 0.5) * 86_400_000)} "
            "ELSE 2 END"
        )
        bins = int(calibration_bins)
        calibration_bin = (  # `bins` when the review is not interday or has no prediction
            "CASE WHEN elapsed_days >= 1 AND r_predicted IS NOT NULL THEN "
            f"MIN(CAST(r_predicted * {bins} AS INTEGER), {bins - 1}) ELSE {bins} END"
        )
        # Grouping sorts the rows, and one integer key sorts faster than several columns:
        # each key packs (day or bin, class or seconds, passed).
        self.db.execute("BEGIN")  # one snapshot: a review written meanwhile is in all or none
        try:
            by_day = self.db.execute(
                f"SELECT study_day * 8 + ({retention_class}) * 2 + (rating > 1) AS k, COUNT(*), "
                f"COALESCE(SUM(duration_ms), 0) FROM review WHERE rating > 0{where} GROUP BY k",
                params,
            ).fetchall()
            # The before-state's due day says since when the card had been waiting.
            spans = self.db.execute(
                "SELECT b_due_day, study_day FROM review "
                f"WHERE b_phase != 0 AND b_due_day < study_day{where} GROUP BY 1, 2",
                params,
            ).fetchall()
            by_bin = self.db.execute(
                f"SELECT ({calibration_bin}) * 8192 "
                "+ COALESCE(MIN(duration_ms / 1000, 3600), 4095) * 2 + (rating > 1) AS k, "
                f"COUNT(*), SUM(r_predicted) FROM review WHERE rating > 0{where} GROUP BY k",
                params,
            ).fetchall()
        finally:
            self.db.execute("COMMIT")
        days: dict[int, list[int]] = {}
        retention = []
        for key, count, duration in by_day:
            day, kind, passed = key // 8, (key % 8) // 2, key % 2
            totals = days.setdefault(day, [0, 0])
            totals[0] += count
            totals[1] += duration
            if kind < 2:
                retention.append((day, bool(kind), bool(passed), count))
        calibration: dict[int, list[float]] = {}
        seconds: dict[int, int] = {}
        for key, count, predicted in by_bin:
            bin_, second, passed = key // 8192, (key % 8192) // 2, key % 2
            if bin_ < bins:
                tally = calibration.setdefault(bin_, [0, 0.0, 0])
                tally[0] += count
                tally[1] += predicted or 0.0
                tally[2] += count if passed else 0
            if second != 4095:
                seconds[second] = seconds.get(second, 0) + count
        return LogFacts(
            days=tuple((d, n, ms) for d, (n, ms) in sorted(days.items())),
            overdue_spans=tuple((int(a), int(b)) for a, b in spans),
            retention=tuple(sorted(retention)),
            calibration=tuple(
                (b, int(n), float(total), int(passed))
                for b, (n, total, passed) in sorted(calibration.items())
            ),
            answer_seconds=tuple(sorted(seconds.items())),
        )

    def start_quiz(self, started_ms: int, minutes: int, selection: str) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO quiz (started_ms, minutes, selection) VALUES (?, ?, ?)",
                (started_ms, minutes, selection),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def add_quiz_answer(self, quiz_id: int, answer: QuizAnswer) -> None:
        """Record one marked answer in its own transaction (quitting keeps it)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO quiz_answer (quiz_id, card_key, mark, answered_ms, duration_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    quiz_id,
                    answer.card_key,
                    int(answer.mark),
                    answer.answered_ms,
                    answer.duration_ms,
                ),
            )

    def finish_quiz(self, quiz_id: int, finished_ms: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE quiz SET finished_ms = ? WHERE id = ?", (finished_ms, quiz_id))

    def quizzes(self) -> list[QuizRecord]:
        """Every mock quiz with its answers, oldest first."""
        from prepcli.core.history import QuizAnswer, QuizMark, QuizRecord

        answers: dict[int, list[QuizAnswer]] = {}
        for quiz_id, key, mark, answered_ms, duration_ms in self.db.execute(
            "SELECT quiz_id, card_key, mark, answered_ms, duration_ms FROM quiz_answer "
            "ORDER BY quiz_id, id"
        ):
            answers.setdefault(quiz_id, []).append(
                QuizAnswer(key, QuizMark(mark), answered_ms, duration_ms)
            )
        return [
            QuizRecord(qid, started, finished, minutes, selection, tuple(answers.get(qid, ())))
            for qid, started, finished, minutes, selection in self.db.execute(
                "SELECT id, started_ms, finished_ms, minutes, selection FROM quiz ORDER BY id"
            )
        ]

    # --- backup, check, import/export ------------------------------------------------
    # Methods marked "inside transaction()" write without committing: callers group them.

    def backup_to(self, target: Path) -> Path:
        return copy_database(self.db, target, overwrite=False)

    def integrity_problems(self) -> list[str]:
        """SQLite's full integrity check; empty when the file is sound."""
        messages = [str(row[0]) for row in self.db.execute("PRAGMA integrity_check")]
        return [] if messages == ["ok"] else messages

    def histories(self) -> dict[str, list[Review]]:
        """Every card's review rows in log order."""
        found: dict[str, list[Review]] = {}
        rows = self.db.execute(
            f"SELECT {_REVIEW_COLUMNS} FROM review JOIN card ON card.id = review.card_id "
            "ORDER BY review.card_id, review.id"
        )
        for row in rows:
            review = _review_from_row(row)
            found.setdefault(review.card_key, []).append(review)
        return found

    def dangling_reviews(self) -> list[int]:
        """Ids of review rows whose card row is missing."""
        rows = self.db.execute(
            "SELECT id FROM review WHERE card_id NOT IN (SELECT id FROM card) ORDER BY id"
        )
        return [int(row[0]) for row in rows]

    def _require_transaction(self) -> None:
        if not self.db.in_transaction:
            raise RuntimeError("call this inside Store.transaction()")

    def delete_reviews(self, ids: list[int]) -> None:
        """Inside transaction()."""
        self._require_transaction()
        self.db.executemany("DELETE FROM review WHERE id = ?", [(i,) for i in ids])

    def delete_cards_without_history(self, keys: list[str]) -> int:
        """Inside transaction(). A card with review rows is never deleted here."""
        self._require_transaction()
        deleted = 0
        for key in keys:
            cursor = self.db.execute(
                "DELETE FROM card WHERE key = ? AND NOT EXISTS "
                "(SELECT 1 FROM review WHERE review.card_id = card.id)",
                (key,),
            )
            deleted += cursor.rowcount
        return deleted

    def put_scheduling(self, state: CardState, modified_ms: int) -> None:
        """Inside transaction(): replace a card's scheduling fields, keeping its flags."""
        self._require_transaction()
        self.db.execute(
            "UPDATE card SET "
            + ", ".join(f"{f} = ?" for f in _STATE_FIELDS)
            + ", modified_ms = ? WHERE key = ?",
            (*_snapshot(state), modified_ms, state.key),
        )

    def fsrs_parameters(self) -> ParameterSet | None:
        """The parameter set in use: the newest saved one, or None for the defaults."""
        row = self.db.execute(
            "SELECT params, created_ms, n_items, log_loss, rmse_bins, source FROM fsrs_params "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        import json

        from prepcli.core.history import ParameterSet

        params, created, items, log_loss, rmse, source = row
        return ParameterSet(
            tuple(float(w) for w in json.loads(params)), created, items, log_loss, rmse, source
        )

    def add_parameters(self, chosen: ParameterSet) -> None:
        """Inside transaction()."""
        import json

        self._require_transaction()
        self.db.execute(
            "INSERT INTO fsrs_params (created_ms, params, n_items, log_loss, rmse_bins, source) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                chosen.created_ms,
                json.dumps(list(chosen.params)),
                chosen.n_items,
                chosen.log_loss,
                chosen.rmse_bins,
                chosen.source,
            ),
        )

    def columns(self, table: str) -> list[Column]:
        if table not in ("card", "review"):
            raise ValueError(f"no export of table {table!r}")
        from prepcli.core.history import Column

        return [
            Column(
                name=row[1],
                type=str(row[2]).upper(),
                notnull=bool(row[3]),
                has_default=row[4] is not None or bool(row[5]),
            )
            for row in self.db.execute(f"PRAGMA table_info({table})")
        ]

    def export_cards(self) -> list[ExportedCard]:
        """Every card row with its review rows, column by column, ordered by key."""
        from prepcli.core.history import ExportedCard

        cursor = self.db.execute("SELECT * FROM card ORDER BY key")
        names = [d[0] for d in cursor.description]
        cards = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        cursor = self.db.execute("SELECT * FROM review ORDER BY card_id, id")
        names = [d[0] for d in cursor.description]
        by_card: dict[int, list[dict[str, Any]]] = {}
        for row in cursor:
            review = dict(zip(names, row, strict=True))
            card_id = review.pop("card_id")
            review.pop("id")
            by_card.setdefault(card_id, []).append(review)
        exported = []
        for card in cards:
            card_id = card.pop("id")
            key = card.pop("key")
            card.pop("modified_ms", None)
            exported.append(ExportedCard(key, card, by_card.get(card_id, [])))
        return exported

    def import_card(self, card: ExportedCard, modified_ms: int) -> None:
        """Inside transaction(): create or overwrite a card row and append its review rows.

        Review rows are appended in the order given, which becomes their log order.
        """
        self._require_transaction()
        card_names = {c.name for c in self.columns("card")} - {"id", "key", "modified_ms"}
        review_names = {c.name for c in self.columns("review")} - {"id", "card_id"}
        unknown = (set(card.state) - card_names) | {
            name for review in card.history for name in review if name not in review_names
        }
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        names = sorted(card.state)
        values = [card.state[n] for n in names]
        self.db.execute(
            f"INSERT INTO card (key, modified_ms{''.join(', ' + n for n in names)}) "
            f"VALUES (?, ?{', ?' * len(names)}) ON CONFLICT(key) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in ("modified_ms", *names)),
            (card.key, modified_ms, *values),
        )
        row = self.db.execute("SELECT id FROM card WHERE key = ?", (card.key,)).fetchone()
        card_id = int(row[0])
        for review in card.history:
            columns = sorted(review)
            self.db.execute(
                f"INSERT INTO review (card_id{''.join(', ' + n for n in columns)}) "
                f"VALUES (?{', ?' * len(columns)})",
                (card_id, *(review[n] for n in columns)),
            )

    def mark_log_imported(self) -> None:
        """Inside transaction(): the review rows so far came from an import (see undo_last).
        Kept with the settings, under a name no setting has."""
        self._require_transaction()
        self.db.execute(
            "INSERT INTO setting (name, value) SELECT ?, coalesce(max(id), 0) FROM review "
            "WHERE true ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (_IMPORTED_UP_TO,),
        )

    def put_review_snapshots(self, review_id: int, before: CardState, after: CardState) -> None:
        """Inside transaction(): rewrite a review row's before/after card snapshots."""
        self._require_transaction()
        self.db.execute(
            "UPDATE review SET "
            + ", ".join(f"b_{f} = ?" for f in _STATE_FIELDS)
            + ", "
            + ", ".join(f"a_{f} = ?" for f in _STATE_FIELDS)
            + " WHERE id = ?",
            (*_snapshot(before), *_snapshot(after), review_id),
        )

    def delete_history(self, key: str) -> None:
        """Inside transaction(): remove a card's review rows (used to rewrite a merge)."""
        self._require_transaction()
        self.db.execute(
            "DELETE FROM review WHERE card_id = (SELECT id FROM card WHERE key = ?)", (key,)
        )

    # --- cards no deck defines (`prepcli deck orphans`) ------------------------------

    def card_review_counts(self) -> dict[str, tuple[int, int | None]]:
        """Every card row: (its review-log rows, when it was last answered, in epoch ms)."""
        rows = self.db.execute(
            "SELECT card.key, COUNT(review.id), "
            "MAX(CASE WHEN review.rating > 0 THEN review.reviewed_ms END) "
            "FROM card LEFT JOIN review ON review.card_id = card.id GROUP BY card.id"
        )
        return {str(key): (int(count), last) for key, count, last in rows}

    def delete_cards(self, keys: list[str]) -> tuple[int, int]:
        """Remove cards and all their review-log rows in one transaction.

        Returns (cards removed, review rows removed); an unknown key is skipped.
        """
        cards = reviews = 0
        with self.transaction():
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                reviews += self.db.execute(
                    "DELETE FROM review WHERE card_id IN "
                    f"(SELECT id FROM card WHERE key IN ({marks}))",
                    chunk,
                ).rowcount
                deleted = self.db.execute(f"DELETE FROM card WHERE key IN ({marks})", chunk)
                cards += deleted.rowcount
        return cards, reviews


def _replace(state: CardState, **changes: Any) -> CardState:
    from dataclasses import replace

    return replace(state, **changes)


def _deck_filter(decks: tuple[str, ...]) -> tuple[str, list[Any]]:
    """An SQL condition on review.card_id for cards under the deck ids or prefixes."""
    if not decks:
        return "", []
    tests = " OR ".join("substr(key, 1, ?) IN (?, ?)" for _ in decks)
    params: list[Any] = []
    for deck in decks:
        params += [len(deck) + 1, deck + "/", deck + "."]
    return f" AND card_id IN (SELECT id FROM card WHERE {tests})", params


def _snapshot(state: CardState) -> tuple[Any, ...]:
    return (
        int(state.phase),
        state.step,
        state.stability,
        state.difficulty,
        state.due_ms,
        state.due_day,
        state.last_review_ms,
        state.reps,
        state.lapses,
        int(state.leech),
    )


def _state_from_fields(key: str, card_id: int, values: tuple[Any, ...], **extra: Any) -> CardState:
    phase, step, stability, difficulty, due_ms, due_day, last_ms, reps, lapses, leech = values
    return CardState(
        key=key,
        card_id=card_id,
        phase=Phase(phase),
        step=step,
        stability=stability,
        difficulty=difficulty,
        due_ms=due_ms,
        due_day=due_day,
        last_review_ms=last_ms,
        reps=reps,
        lapses=lapses,
        leech=bool(leech),
        **extra,
    )


_PHASES = tuple(Phase)


def _key_chunks(keys: Collection[str], size: int = 500) -> Iterator[tuple[str, dict[str, str]]]:
    """`key IN (:k0, …)` and its named values, `size` keys at a time (SQLite limits the
    variables in one statement)."""
    listed = list(keys)
    for start in range(0, len(listed), size):
        chosen = {f"k{i}": key for i, key in enumerate(listed[start : start + size])}
        yield f"key IN ({', '.join(':' + name for name in chosen)})", chosen


def _state_from_row(row: tuple[Any, ...]) -> CardState:
    """A CardState from a row of _CARD_COLUMNS, built positionally: the queue and today's
    summary build one per due card, so this is on every start-up's path."""
    (
        key,
        card_id,
        phase,
        step,
        stability,
        difficulty,
        due_ms,
        due_day,
        last_ms,
        reps,
        lapses,
        leech,
        suspended,
        buried,
    ) = row
    return CardState(
        key,
        card_id,
        _PHASES[phase],
        step,
        stability,
        difficulty,
        due_ms,
        due_day,
        last_ms,
        reps,
        lapses,
        bool(suspended),
        buried,
        bool(leech),
    )


def _review_from_row(row: tuple[Any, ...]) -> Review:
    from prepcli.core.history import Review

    (rid, key, reviewed_ms, day, offset, rating, kind, duration, elapsed, scheduled, r_pred) = row[
        :11
    ]
    return Review(
        id=rid,
        card_key=key,
        reviewed_ms=reviewed_ms,
        study_day=day,
        tz_offset_min=offset,
        rating=rating,
        kind=ReviewKind(kind),
        duration_ms=duration,
        elapsed_days=elapsed,
        scheduled_days=scheduled,
        r_predicted=r_pred,
        before=_state_from_fields(key, 0, tuple(row[11:21])),
        after=_state_from_fields(key, 0, tuple(row[21:31])),
    )


# --- opening ---------------------------------------------------------------------------


def open_store(path: Path, *, create_parents: bool = True) -> Store:
    """Open (creating and migrating as needed) the database at `path`, or raise PrepError.

    A file from a newer prepcli, or one that is not a prepcli database, is refused before
    anything is written to it.
    """
    _prepare_file(path, create_parents)
    try:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise PrepError(f"cannot open database {path}: {exc}") from None
    try:
        _configure(connection, path)
        _migrate(connection, path)
        _apply_durability(connection)
    except sqlite3.DatabaseError as exc:
        connection.close()
        if read_only_error(exc):  # WAL needs to create files beside the database
            raise PrepError(
                f"cannot open {path}: the file or its folder is read-only; it was not changed"
            ) from None
        raise PrepError(f"{path} is not a usable prepcli database ({exc})") from None
    except BaseException:
        connection.close()
        raise
    return Store(connection, path)


def _prepare_file(path: Path, create_parents: bool) -> None:
    from prepcli.files.safeio import kind_of, path_problem, private_folder

    problem = path_problem(path)
    if problem is not None:
        raise UsageError(f"database path {path} {problem}")
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise PrepError(f"cannot open database {path}: {exc.strerror or exc}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise PrepError(f"database path {path} is a directory")
        if not stat.S_ISREG(mode):  # SQLite would block on a FIFO, or use /dev/null
            raise UsageError(f"database path {path} is {kind_of(mode)}, not a regular file")
        _check_header(path)
        return
    parent = path.parent
    if not parent.exists():
        if not create_parents:
            raise PrepError(f"cannot create database {path}: folder {parent} does not exist")
        try:
            private_folder(parent)
        except OSError as exc:
            raise PrepError(f"cannot create folder {parent}: {exc.strerror or exc}") from None
    try:  # create it private to the user before SQLite touches it
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise PrepError(f"cannot create database {path}: {exc.strerror or exc}") from None


SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_HEADER_BYTES = 32


def _check_header(path: Path) -> None:
    """Refuse a file that is not a whole SQLite database before SQLite opens it.

    SQLite takes a short or foreign file for an empty database and writes a new one over
    it, and it uses a truncated file until it reaches the missing pages. An empty file is
    a new database: prepcli creates it empty before SQLite first opens it.
    """
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise PrepError(f"cannot read database {path}: {exc.strerror or exc}") from None
    if size == 0:
        return
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise PrepError(
            f"{path} is not a usable prepcli database (not an SQLite file); it was not changed"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is trustworthy when the change counter matches its copy; frames
    # still in the write-ahead log may hold pages the main file does not have yet.
    try:  # another prepcli may close and delete its -wal at any moment
        pending = path.with_name(path.name + "-wal").stat().st_size > WAL_HEADER_BYTES
    except FileNotFoundError:
        pending = False
    counted = header[24:28] == header[92:96] and pages > 0 and not pending
    if page_size < 512 or size % page_size or (counted and size < pages * page_size):
        raise PrepError(
            f"{path} is not a usable prepcli database (truncated: shorter than its header "
            "says); it was not changed"
        )


def _configure(connection: sqlite3.Connection, path: Path) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise PrepError(
            f"{path} was written by a newer prepcli (schema version {version}; this one "
            f"knows up to {SCHEMA_VERSION}). Upgrade prepcli; the file was not changed."
        )
    if version == 0 and _has_foreign_tables(connection):
        raise PrepError(f"{path} is an SQLite file but not a prepcli database; it was not changed")
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA foreign_keys = ON")
    # A read-only location cannot switch to WAL: keep the default journal, writes fail clearly.
    with contextlib.suppress(sqlite3.OperationalError):
        connection.execute("PRAGMA journal_mode = WAL")


def _apply_durability(connection: sqlite3.Connection) -> None:
    """Every commit synced to disk (FULL, as Anki) unless the user chose `durability
    normal`: in WAL mode NORMAL still loses nothing when a process dies and never
    corrupts, but a power cut may drop the last commits."""
    try:
        row = connection.execute("SELECT value FROM setting WHERE name = 'durability'").fetchone()
    except sqlite3.OperationalError:  # a database not yet migrated has no settings
        row = None
    level = "NORMAL" if row is not None and row[0] == '"normal"' else "FULL"
    connection.execute(f"PRAGMA synchronous = {level}")


def _has_foreign_tables(connection: sqlite3.Connection) -> bool:
    row = connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return int(row[0]) > 0


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    if version > 0:
        backup_before_migration(connection, path, version)
    for number, statements in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if current >= number:
                connection.execute("ROLLBACK")
                continue
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def backup_before_migration(connection: sqlite3.Connection, path: Path, version: int) -> Path:
    return copy_database(connection, path.with_name(f"{path.name}.schema-v{version}.bak"))


def copy_database(connection: sqlite3.Connection, target: Path, *, overwrite: bool = True) -> Path:
    """Copy a live database to `target` with SQLite's online backup API.

    The copy is a consistent snapshot even while another process writes (committed WAL
    content included), private to the user, a single file (no -wal beside it), and it
    appears under its name only once complete (without `overwrite`, only if the name is
    free: FileExistsError otherwise).
    """
    from prepcli.files.safeio import new_private_file, partial_path, publish

    partial = partial_path(target)
    os.close(new_private_file(partial))
    try:
        destination = sqlite3.connect(partial)
        try:
            connection.backup(destination)
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()
        publish(partial, target, overwrite=overwrite)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def check_file(path: Path) -> list[str]:
    """Integrity problems of a database file opened read-only (e.g. a fresh backup)."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        messages = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        connection.close()
    return [] if messages == ["ok"] else messages


def read_only_error(exc: sqlite3.Error) -> bool:
    return "readonly" in str(exc).lower()


def run_guarded(action: Callable[[], T], path: Path) -> T:
    """Run a store action, turning SQLite's failures into a clear PrepError."""
    try:
        return action()
    except sqlite3.DatabaseError as exc:
        error = database_error(exc, path)
        assert error is not None
        raise error from None


def database_error(exc: BaseException, path: Path | None = None) -> PrepError | None:
    """The message for an SQLite failure (None for any other exception).

    The CLI also uses it as a last resort for a failure no command wrapped, where the
    file's path is not known.
    """
    name = str(path) if path is not None else "the database"
    if isinstance(exc, sqlite3.OperationalError):
        if read_only_error(exc):
            return PrepError(f"cannot write to {name}: the file or its folder is read-only")
        return PrepError(f"database error on {name}: {exc}")
    if isinstance(exc, sqlite3.DatabaseError):
        subject = f"database {path}" if path is not None else "the database"
        return PrepError(f"{subject} is damaged: {exc}")
    return None
