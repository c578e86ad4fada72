"""Helpers for the sync tests: devices as databases answering at pinned times, and what
two databases must share after syncing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, rows

Run = Callable[..., Result]

STATE = "phase, step, stability, difficulty, due_ms, due_day, last_review_ms, reps, lapses, leech"
NEW_UNFLAGGED = (0, None, None, None, None, None, None, 0, 0, 0, 0, None)
REVIEW = (
    "reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, elapsed_days, "
    "scheduled_days, r_predicted, desired_retention, reason, "
    + ", ".join(f"b_{c.strip()}" for c in STATE.split(","))
    + ", "
    + ", ".join(f"a_{c.strip()}" for c in STATE.split(","))
)


class Device:
    """One database: commands run against it at a pinned time of 2026-11."""

    def __init__(self, run: Run, monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
        self.run = run
        self.monkeypatch = monkeypatch
        self.db = db

    def __call__(self, when: str, *args: str, code: int = 0) -> Result:
        """`when` is day and time, e.g. "23T09:10" (Paris time)."""
        self.monkeypatch.setenv("PREPCLI_NOW", f"2026-11-{when}:00+01:00")
        result = self.run("--db", str(self.db), *args)
        assert result.code == code, (args, result.out, result.err)
        return result

    def sync(self, when: str, folder: Path, *args: str, code: int = 0) -> dict[str, Any]:
        result = self(when, "sync", str(folder), "--json", *args, code=code)
        return json.loads(result.out)  # type: ignore[no-any-return]


def collection(db: Path) -> dict[str, Any]:
    """Everything two synced databases must agree on: card states and flags, each card's
    review log (facts and snapshots, in log order), plan runs and their ticks."""
    cards = [
        row
        for row in rows(
            db, f"SELECT key, {STATE}, suspended, buried_until_day FROM card ORDER BY key"
        )
        if row[1:] != NEW_UNFLAGGED  # an undone first answer leaves a new card's row
    ]
    log: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows(
        db, f"SELECT card.key, {REVIEW} FROM review JOIN card ON card.id = review.card_id "
        "ORDER BY review.id"
    ):  # fmt: skip
        log.setdefault(str(row[0]), []).append(row[1:])
    runs = rows(
        db, "SELECT plan_id, start_day, interview_day, started_ms, active FROM plan_run "
        "ORDER BY started_ms"
    )  # fmt: skip
    ticks = rows(
        db, "SELECT plan_id, started_ms, task_id, done_ms FROM task_done "
        "JOIN plan_run ON plan_run.id = run_id ORDER BY started_ms, task_id"
    )  # fmt: skip
    return {"cards": cards, "log": log, "runs": runs, "ticks": ticks}


def views(device: Device, when: str) -> dict[str, Any]:
    """What the commands show: the plan's status and the statistics."""
    plan = json.loads(device(when, "plan", "--json").out)
    stats = json.loads(device(when, "stats", "--json").out)
    return {"plan": plan, "stats": stats}
