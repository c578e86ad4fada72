"""The study database as one object: the cards' scheduling states, answers and undo, and
the parts it hands the rest to — the due cards' reads (`due`), the review log's reads
(`log`), plans, settings, quizzes and upkeep. The only module that opens the database
(through sqlitefile).

One file per user. Each answer is its own committed transaction, written with
BEGIN IMMEDIATE so two prepcli processes never interleave a read-modify-write; WAL
lets readers run beside a writer. Times are UTC epoch milliseconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.core.models import CardState
from prepcli.storage import sqlitefile
from prepcli.storage.duecards import DueCards
from prepcli.storage.plans_table import PlanRecords
from prepcli.storage.reviewlog import ReviewLog
from prepcli.storage.rows import (
    CARD_COLUMNS,
    IMPORTED_UP_TO,
    REVIEW_COLUMNS,
    STATE_FIELDS,
    key_chunks,
    review_from_row,
    snapshot,
    state_from_row,
)
from prepcli.storage.settings_table import SettingRecords

if TYPE_CHECKING:
    from prepcli.core.history import AnswerContext, LoggedChange, Review
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
        self.due = DueCards(connection)
        self.log = ReviewLog(connection)
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

    def version(self) -> tuple[int, int]:
        """Changes as this connection sees them: SQLite's data_version (moves when another
        connection commits) and the rows this connection has changed. Equal values: the
        database is as it was."""
        other = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        return other, self.db.total_changes

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

    def states_of(self, keys: Collection[str]) -> dict[str, CardState]:
        """The states of these cards (those that have one)."""
        found: dict[str, CardState] = {}
        for among, chosen in key_chunks(keys):
            for row in self.db.execute(f"SELECT {CARD_COLUMNS} FROM card WHERE {among}", chosen):
                found[row[0]] = state_from_row(row)
        return found

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
            change = change._replace(after=change.after._replace(card_id=card_id))
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
        if state.card_id:  # read from this table in the same transaction: its row id
            return state.card_id
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
                state = state._replace(suspended=suspended)
            if buried_until_day is not False:
                state = state._replace(buried_until_day=buried_until_day)
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
