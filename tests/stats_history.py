"""A synthetic collection for statistics at scale: deck files plus a database written
directly with SQL (much faster than answering through the scheduler), with review-log
rows shaped like real ones (before/after snapshots, predicted recall, durations).

Used by tests/test_stats.py (small sizes) and bench/stats_bench.py (20,000 cards, 200,000 reviews).
"""

from __future__ import annotations

import math
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prepcli.storage.store import open_store

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Synthetic:
    decks_dir: Path
    db: Path
    cards: int
    reviews: int


def write_decks(folder: Path, decks: int, cards_per_deck: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for d in range(decks):
        deck = f"synthetic.d{d:02d}"
        lines = [
            "version: 1", f"deck: {deck}", f"title: Synthetic {d}",
            "description: Generated for statistics at scale.", "sources: [generated]",
            "tags: [synthetic]", "cards:",
        ]  # fmt: skip
        for c in range(cards_per_deck):
            lines += [f"  - id: c{c:05d}", "    kind: concept",
                      f"    front: Question {d}.{c}?", f"    back: Answer {d}.{c}."]  # fmt: skip
            keys.append(f"{deck}/c{c:05d}")
        (folder / f"d{d:02d}.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return keys


def build(
    folder: Path,
    *,
    decks: int = 20,
    cards_per_deck: int = 1000,
    target_reviews: int = 200_000,
    today: int,
    seed: int = 1,
) -> Synthetic:
    """Decks and a database whose history ends on study day `today` (Europe/Paris-ish
    timestamps at 08:00 UTC). About 15% of the cards stay new."""
    rng = random.Random(seed)
    keys = write_decks(folder / "decks", decks, cards_per_deck)
    db = folder / "synthetic.sqlite3"
    open_store(db).close()  # create and migrate with the real migrations
    studied = [k for k in keys if rng.random() > 0.15]
    per_card = max(1, round(target_reviews / len(studied)))
    connection = sqlite3.connect(db)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    ordinal_epoch = epoch.date().toordinal()

    def ms_of(day: int, minute: int) -> int:
        return (day - ordinal_epoch) * DAY_MS + 8 * 3_600_000 + minute * 60_000

    card_rows = []
    review_rows = []
    for card_id, key in enumerate(studied, start=1):
        count = max(1, round(rng.gauss(per_card, per_card / 3)))
        day = today - rng.randint(300, 365)
        interval = 0.0
        stability, difficulty = 2.3, rng.uniform(3, 8)
        phase, due_day, due_ms, last_ms, reps, lapses = 0, None, None, None, 0, 0
        for _ in range(count):
            if day > today:
                break
            minute = rng.randint(0, 600)
            now_ms = ms_of(day, minute)
            elapsed = None if last_ms is None else float(day - _day_of(last_ms, ordinal_epoch))
            r_pred = None
            if last_ms is not None:
                r_pred = (1 + 19 / 81 * ((now_ms - last_ms) / DAY_MS) / stability) ** -0.5
            passed = rng.random() < (r_pred if r_pred is not None else 0.8)
            rating = rng.choice((3, 3, 3, 4, 2)) if passed else 1
            before = (phase, None, None if phase == 0 else stability,
                      None if phase == 0 else difficulty, due_ms, due_day, last_ms, reps,
                      lapses, int(lapses >= 8))  # fmt: skip
            if phase == 2 and rating == 1:
                lapses += 1
            stability = max(0.5, stability * (1.6 if passed else 0.4))
            interval = max(1.0, min(30.0, round(stability * rng.uniform(0.9, 1.1))))
            phase = 2 if passed else 3
            if phase == 3:
                interval = 1.0
            reps += 1
            due_day = day + int(interval)
            due_ms = now_ms + int(interval * DAY_MS)
            last_ms = now_ms
            after = (phase, None, stability, difficulty, due_ms, due_day, last_ms, reps, lapses,
                     int(lapses >= 8))  # fmt: skip
            kind = 0 if before[0] == 0 else (1 if before[0] == 2 else 2)
            review_rows.append(
                (card_id, now_ms, day, 60, rating, kind, rng.randint(2_000, 40_000), elapsed,
                 interval, r_pred, 0.9, *before, *after)
            )  # fmt: skip
            day = due_day + (0 if rng.random() < 0.8 else rng.randint(1, 4))
        suspended = int(rng.random() < 0.02)
        card_rows.append((card_id, key, phase, stability, difficulty, due_ms, due_day, last_ms,
                          reps, lapses, suspended, int(lapses >= 8), last_ms or 0))  # fmt: skip
    with connection:
        connection.executemany(
            "INSERT INTO card (id, key, phase, stability, difficulty, due_ms, due_day, "
            "last_review_ms, reps, lapses, suspended, leech, modified_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            card_rows,
        )
        columns = (
            "card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, "
            "elapsed_days, scheduled_days, r_predicted, desired_retention, "
            "b_phase, b_step, b_stability, b_difficulty, b_due_ms, b_due_day, "
            "b_last_review_ms, b_reps, b_lapses, b_leech, "
            "a_phase, a_step, a_stability, a_difficulty, a_due_ms, a_due_day, "
            "a_last_review_ms, a_reps, a_lapses, a_leech"
        )
        marks = ", ".join("?" * 31)
        review_rows.sort(key=lambda row: row[1])
        connection.executemany(f"INSERT INTO review ({columns}) VALUES ({marks})", review_rows)
    connection.execute("ANALYZE")
    connection.close()
    return Synthetic(folder / "decks", db, len(keys), len(review_rows))


def _day_of(ms: int, ordinal_epoch: int) -> int:
    return ordinal_epoch + math.floor(ms / DAY_MS)


def today_ordinal(now: datetime) -> int:
    """The study day of `now` with a 04:00 rollover in UTC+1 (the tests' Europe/Paris)."""
    return (now.astimezone(UTC) + timedelta(hours=1) - timedelta(hours=4)).date().toordinal()
