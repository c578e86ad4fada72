"""The review log aggregated for `prepcli stats`."""

from __future__ import annotations

import sqlite3

from prepcli.core.stats import LogFacts
from prepcli.storage.rows import deck_filter


def read_log_facts(
    db: sqlite3.Connection,
    decks: tuple[str, ...] = (),
    *,
    mature_days: int = 21,
    calibration_bins: int = 10,
) -> LogFacts:
    """The review log aggregated for `prepcli stats`: three scans in one read snapshot.

    `decks` limits it to cards under those deck ids or prefixes. Every figure is an
    aggregate, so what comes back stays small however long the log grows.
    """
    where, params = deck_filter(decks)
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
    db.execute("BEGIN")  # one snapshot: a review written meanwhile is in all or none
    try:
        by_day = db.execute(
            f"SELECT study_day * 8 + ({retention_class}) * 2 + (rating > 1) AS k, COUNT(*), "
            f"COALESCE(SUM(duration_ms), 0) FROM review WHERE rating > 0{where} GROUP BY k",
            params,
        ).fetchall()
        # The before-state's due day says since when the card had been waiting.
        spans = db.execute(
            "SELECT b_due_day, study_day FROM review "
            f"WHERE b_phase != 0 AND b_due_day < study_day{where} GROUP BY 1, 2",
            params,
        ).fetchall()
        by_bin = db.execute(
            f"SELECT ({calibration_bin}) * 8192 "
            "+ COALESCE(MIN(duration_ms / 1000, 3600), 4095) * 2 + (rating > 1) AS k, "
            f"COUNT(*), SUM(r_predicted) FROM review WHERE rating > 0{where} GROUP BY k",
            params,
        ).fetchall()
    finally:
        db.execute("COMMIT")
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
