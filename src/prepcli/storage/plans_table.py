"""The plan runs in the database: which plan is active, its interview day, its ticked tasks."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

from prepcli.core.models import PlanRun


class PlanRecords:
    def __init__(
        self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self.db = db
        self.transaction = transaction

    def active(self) -> tuple[int, PlanRun] | None:
        row = self.db.execute(
            "SELECT id, plan_id, start_day, interview_day FROM plan_run WHERE active = 1 "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), PlanRun(plan_id=row[1], start_day=row[2], interview_day=row[3])

    def start(self, run: PlanRun, now_ms: int) -> int:
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
