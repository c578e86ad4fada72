"""The review log read back: a card's history, a study day's answers and time, the days
with answers, and the statistics' figures (storage/logfacts.py)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from prepcli.storage.rows import REVIEW_COLUMNS, review_from_row

if TYPE_CHECKING:
    from prepcli.core.history import Review
    from prepcli.core.stats import LogFacts


class ReviewLog:
    """The review log's reads (`store.log`); answers and undo write it through the Store."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

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

    def cards_logged_since(self, day: int) -> set[str]:
        """The keys of the cards with a log row (an answer or a logged change) on study day
        `day` or later: through the review_day index, the day's rows only."""
        rows = self.db.execute(
            "SELECT DISTINCT card.key FROM review JOIN card ON card.id = review.card_id "
            "WHERE review.study_day >= ?",
            (day,),
        )
        return {row[0] for row in rows}

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

    def facts(self, decks: tuple[str, ...] = ()) -> LogFacts:
        """The review log aggregated for `prepcli stats` (see logfacts)."""
        from prepcli.storage.logfacts import read_log_facts

        return read_log_facts(self.db, decks)
