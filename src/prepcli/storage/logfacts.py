"""The review log aggregated for `prepcli stats`, and the tallies that keep it cheap.

Every figure the statistics need from the log is a count or a sum over groups of rows
(a day, a calibration bin, an overdue span). The whole log's groups are kept in three
tally tables (storage/schema.py) covering the review rows up to the id in
review_tally_mark; `stats` adds the rows written since then, so it reads the log once,
not on every run. A new row's id is above every id the table ever held (AUTOINCREMENT;
sync numbers its rows the same way), so "since" is a range of ids. A counted row
deleted or rewritten (undo, import, repair, a sync replay) makes a trigger delete the
mark, and the next `stats` counts the whole log again.

With a deck selection the groups are counted from the log directly (the tallies hold
the whole collection only), and so they are on a database the user may read but not
write.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from prepcli.core.stats import CALIBRATION_BINS, MATURE_DAYS, LogFacts
from prepcli.storage.rows import deck_filter
from prepcli.storage.sqlitefile import read_only_error

# Anki's true retention counts answers whose previous interval was a day or more
# (review cards, or interday (re)learning steps); mature when that interval, rounded to
# days, reaches MATURE_DAYS: 0 young, 1 mature, 2 not a true-retention review.
_RETENTION_CLASS = (
    "CASE WHEN b_due_ms IS NULL OR b_last_review_ms IS NULL THEN 2 "
    "WHEN b_phase = 2 OR b_due_ms - b_last_review_ms >= 86400000 "
    f"THEN b_due_ms - b_last_review_ms >= {int((MATURE_DAYS - 0.5) * 86_400_000)} "
    "ELSE 2 END"
)
# CALIBRATION_BINS when the review is not interday or has no prediction.
_CALIBRATION_BIN = (
    "CASE WHEN elapsed_days >= 1 AND r_predicted IS NOT NULL THEN "
    f"MIN(CAST(r_predicted * {CALIBRATION_BINS} AS INTEGER), {CALIBRATION_BINS - 1}) "
    f"ELSE {CALIBRATION_BINS} END"
)
_NO_SECONDS = 4095  # the answer-time group of answers without a duration

# Each grouping as (tally table, its group columns, its sums, the query over the log).
# The query's placeholders: {where} a condition on the rows, ahead of the grouping.
_GROUPINGS = (
    (
        "review_tally_day",
        ("study_day", "retention_class", "passed"),
        ("answers", "duration_ms"),
        f"SELECT study_day, {_RETENTION_CLASS}, rating > 1, COUNT(*), "
        "COALESCE(SUM(duration_ms), 0) FROM review WHERE rating > 0{where} GROUP BY 1, 2, 3",
    ),
    (
        "review_tally_bin",
        ("bin", "seconds", "passed"),
        ("answers", "predicted"),
        f"SELECT {_CALIBRATION_BIN}, COALESCE(MIN(duration_ms / 1000, 3600), {_NO_SECONDS}), "
        "rating > 1, COUNT(*), COALESCE(SUM(r_predicted), 0.0) FROM review "
        "WHERE rating > 0{where} GROUP BY 1, 2, 3",
    ),
    (  # the before-state's due day says since when the card had been waiting
        "review_tally_span",
        ("from_day", "to_day"),
        ("answers",),
        "SELECT b_due_day, study_day, COUNT(*) FROM review "
        "WHERE b_phase != 0 AND b_due_day < study_day{where} GROUP BY 1, 2",
    ),
)


def read_log_facts(db: sqlite3.Connection, decks: tuple[str, ...] = ()) -> LogFacts:
    """The review log aggregated for `prepcli stats`, in one read snapshot. `decks` limits
    it to cards under those deck ids or prefixes. What comes back stays small however long
    the log grows."""
    if decks:
        return _facts(*_counted_from_the_log(db, *deck_filter(decks)))
    try:
        db.execute("BEGIN IMMEDIATE")  # bringing the tallies up to date writes them
        try:
            _bring_tallies_up_to_date(db)
            groups = [
                db.execute(f"SELECT {', '.join((*keys, *sums))} FROM {table}").fetchall()
                for table, keys, sums, _query in _GROUPINGS
            ]
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if not read_only_error(exc):
            raise
        # A database the user may read but not write: the log is counted each time.
        groups = _counted_from_the_log(db, "", [])
    return _facts(*groups)


def _counted_from_the_log(db: sqlite3.Connection, where: str, params: list[Any]) -> list[Any]:
    db.execute("BEGIN")  # one snapshot: a review written meanwhile is in all or none
    try:
        return [
            db.execute(query.format(where=where), params).fetchall() for *_, query in _GROUPINGS
        ]
    finally:
        db.execute("COMMIT")


def _bring_tallies_up_to_date(db: sqlite3.Connection) -> None:
    """Inside a write transaction: add the review rows above the mark to the tallies, or,
    with no mark (never counted, or a row at or below it changed), count them all again."""
    mark = db.execute("SELECT upto_id FROM review_tally_mark").fetchone()
    newest = db.execute("SELECT COALESCE(MAX(id), 0) FROM review").fetchone()[0]
    if mark is not None and mark[0] == newest:
        return
    if mark is None:
        for table, *_ in _GROUPINGS:
            db.execute(f"DELETE FROM {table}")
    since = 0 if mark is None else int(mark[0])
    for table, keys, sums, query in _GROUPINGS:
        columns = (*keys, *sums)
        added = ", ".join(f"{s} = {s} + excluded.{s}" for s in sums)
        db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"{query.format(where=' AND id > :since AND id <= :newest')} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}",
            {"since": since, "newest": newest},
        )
    db.execute("DELETE FROM review_tally_mark")
    db.execute("INSERT INTO review_tally_mark (upto_id) VALUES (?)", (newest,))


def _facts(
    by_day: list[tuple[int, int, int, int, int]],
    by_bin: list[tuple[int, int, int, int, float]],
    spans: list[tuple[int, int, int]],
) -> LogFacts:
    days: dict[int, list[int]] = {}
    retention = []
    for day, kind, passed, count, duration in by_day:
        totals = days.setdefault(day, [0, 0])
        totals[0] += count
        totals[1] += duration
        if kind < 2:
            retention.append((day, bool(kind), bool(passed), count))
    calibration: dict[int, list[float]] = {}
    seconds: dict[int, int] = {}
    for bin_, second, passed, count, predicted in by_bin:
        if bin_ < CALIBRATION_BINS:
            tally = calibration.setdefault(bin_, [0, 0.0, 0])
            tally[0] += count
            tally[1] += predicted
            tally[2] += count if passed else 0
        if second != _NO_SECONDS:
            seconds[second] = seconds.get(second, 0) + count
    return LogFacts(
        days=tuple((d, n, ms) for d, (n, ms) in sorted(days.items())),
        overdue_spans=tuple(sorted((int(a), int(b)) for a, b, _count in spans)),
        retention=tuple(sorted(retention)),
        calibration=tuple(
            (b, int(n), float(total), int(passed))
            for b, (n, total, passed) in sorted(calibration.items())
        ),
        answer_seconds=tuple(sorted(seconds.items())),
    )
