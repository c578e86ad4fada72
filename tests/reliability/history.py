"""What a sound review log looks like, checked straight from the SQLite file.

Every reliability test ends here: the file passes `PRAGMA integrity_check`, each card's
review rows form an unbroken chain of states (each row's before-state is the previous
row's after-state, the first starts from a new card, the card's stored state is the last
row's after-state) and no row or card is half-written.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from prepcli import entry

STATE_FIELDS = (
    "phase", "step", "stability", "difficulty", "due_ms", "due_day",
    "last_review_ms", "reps", "lapses", "leech",
)  # fmt: skip
NEW_STATE: tuple[Any, ...] = (0, None, None, None, None, None, None, 0, 0, 0)
REVIEW_PHASE = 2


@dataclass(frozen=True)
class Row:
    id: int
    key: str
    rating: int
    reviewed_ms: int
    study_day: int
    before: tuple[Any, ...]
    after: tuple[Any, ...]


def connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, timeout=30)


def read_log(db: Path) -> list[Row]:
    """Every review row, in log order."""
    columns = ", ".join(
        ["review.id", "card.key", "rating", "reviewed_ms", "study_day"]
        + [f"b_{f}" for f in STATE_FIELDS]
        + [f"a_{f}" for f in STATE_FIELDS]
    )
    connection = connect(db)
    try:
        found = connection.execute(
            f"SELECT {columns} FROM review JOIN card ON card.id = review.card_id ORDER BY review.id"
        ).fetchall()
    finally:
        connection.close()
    n = len(STATE_FIELDS)
    return [
        Row(r[0], r[1], r[2], r[3], r[4], tuple(r[5 : 5 + n]), tuple(r[5 + n :])) for r in found
    ]


def card_states(db: Path) -> dict[str, tuple[Any, ...]]:
    connection = connect(db)
    try:
        found = connection.execute(f"SELECT key, {', '.join(STATE_FIELDS)} FROM card").fetchall()
    finally:
        connection.close()
    return {row[0]: tuple(row[1:]) for row in found}


def integrity(db: Path) -> list[str]:
    connection = connect(db)
    try:
        return [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def study_day_of(ms: int, zone: tzinfo, rollover_hour: int = 4) -> int:
    """An independent oracle: the local date, or the day before when before the rollover."""
    local = datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)
    day = local.date()
    if local.hour < rollover_hour:
        day -= timedelta(days=1)
    return day.toordinal()


def assert_sound(db: Path, zone: tzinfo | None = None) -> list[Row]:
    """Check the whole file and every card's chain; return the log for further checks."""
    assert integrity(db) == ["ok"]
    log = read_log(db)
    states = card_states(db)
    by_card: dict[str, list[Row]] = {}
    for row in log:
        by_card.setdefault(row.key, []).append(row)
    for key, rows in by_card.items():
        previous = NEW_STATE
        for row in rows:
            where = f"{key} review {row.id}"
            assert 1 <= row.rating <= 4, where
            assert row.before == previous, f"{where}: before-state breaks the chain"
            after = dict(zip(STATE_FIELDS, row.after, strict=True))
            before = dict(zip(STATE_FIELDS, row.before, strict=True))
            assert after["reps"] == before["reps"] + 1, where
            lapse = before["phase"] == REVIEW_PHASE and row.rating == 1
            assert after["lapses"] == before["lapses"] + lapse, where
            assert after["last_review_ms"] == row.reviewed_ms, where
            assert after["phase"] in (1, 2, 3) and after["due_ms"] is not None, where
            if zone is not None:
                assert row.study_day == study_day_of(row.reviewed_ms, zone), where
            previous = row.after
        assert states[key] == previous, f"{key}: stored state is not its last review's after-state"
        assert states[key][STATE_FIELDS.index("reps")] == len(rows), key
    for key, state in states.items():
        if key not in by_card:
            assert state == NEW_STATE, f"{key} changed state without a review row"
    return log


def copy_database(db: Path, target: Path) -> Path:
    """A copy of a database as it lies on disk, with its write-ahead log (no process open)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        source = Path(str(db) + suffix)
        destination = Path(str(target) + suffix)
        destination.unlink(missing_ok=True)
        if source.exists():
            shutil.copyfile(source, destination)
    Path(str(target) + "-shm").unlink(missing_ok=True)
    return target


def assert_undo_works(db: Path, scratch: Path) -> None:
    """`prepcli undo` on a copy removes exactly the last row and restores its before-state."""
    copy = copy_database(db, scratch / "undo-check.sqlite3")
    log = read_log(copy)
    code = entry.run(["--db", str(copy), "undo"])
    assert code == 0
    after = assert_sound(copy)
    if not log:
        assert after == []
        return
    last = log[-1]
    assert after == log[:-1], "undo must remove exactly the newest row"
    assert card_states(copy)[last.key] == last.before, "undo must restore the before-state"
