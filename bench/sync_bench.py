"""Sync's benchmark: a history of 200,000 answers through a sync folder, then a day's
answers on top (issue 19's budget: the first in a few seconds, the second in well under
one).

    python bench/sync_bench.py              # 20,000 cards, about 200,000 answers
    python bench/sync_bench.py --cards 2000 # smaller, for a quick look

Device A is an existing database (bench.py's year of FSRS-scheduled reviews, written in
bulk); B is a new device. Each figure is the median of `--repeats` runs on fresh copies,
timed two ways: the sync itself in-process (app.sync.sync), and the whole `prepcli sync`
command (Python's start-up included).

The "floor" rows time, on the same lines and rows, the parts of a first sync that one
JSON event per line makes unavoidable: parsing the folder's lines (as the reader does,
PARSED_AT_ONCE lines a call), checking each event's fields (core/syncread.decode),
writing each answer's line (core/syncevents.encode), and inserting B's review rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import NOW, build_decks, build_history

from prepcli.app.study import Locations, Study
from prepcli.app.sync import sync
from prepcli.core import syncevents, syncread
from prepcli.core.models import Rating
from prepcli.storage import synclog, syncrows
from prepcli.storage.store import open_store


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def in_process(db: Path, folder: Path, minutes: int = 0) -> float:
    store = open_store(db)
    try:
        return timed(lambda: sync(store, folder, NOW + timedelta(minutes=minutes)))
    finally:
        store.close()


def command(db: Path, folder: Path, env: dict[str, str]) -> float:
    argv = [sys.executable, "-m", "prepcli", "--db", str(db), "sync", str(folder)]
    return timed(lambda: subprocess.run(argv, env=env, check=True, capture_output=True))


def answer_a_day(db: Path, work: Path, keys: list[str], answers: int, seed: int) -> None:
    """A day's answers given through the app (each its own transaction, as in review)."""
    where = Locations(db=db, deck_roots=(work / "decks",), cache_dir=work / "cache")
    rng = random.Random(seed)
    study = Study.open(where, NOW + timedelta(hours=1))
    try:
        for index, key in enumerate(rng.sample(keys, answers)):
            moment = NOW + timedelta(hours=1, seconds=8 * index)
            study.answering.answer(
                key, rng.choice([Rating.GOOD, Rating.GOOD, Rating.AGAIN]), moment
            )
    finally:
        study.close()


def floors(folder: Path, b: Path, work: Path) -> dict[str, float]:
    """The unavoidable parts of a first sync with one JSON event per line, timed alone
    (the lines are read from the files first: the reads are not in the figures)."""
    lines = [
        line
        for path in sorted(folder.glob("*/*.jsonl"))
        for line in path.read_bytes().splitlines()[1:]  # after the header
    ]
    # Chunk by chunk, as the reader does: each chunk's parsed objects are freed once its
    # events are made (held all at once, they would slow the garbage collector's passes).
    step = synclog.PARSED_AT_ONCE
    events: list[syncevents.Event] = []
    parse_s = decode_s = 0.0
    for start in range(0, len(lines), step):
        began = time.perf_counter()
        parsed = json.loads(b"[" + b",".join(lines[start : start + step]) + b"]")
        parsed_at = time.perf_counter()
        events += [syncread.decode(item) for item in parsed]
        parse_s += parsed_at - began
        decode_s += time.perf_counter() - parsed_at
    encode_s = timed(lambda: [syncevents.encode(event) for event in events])
    copy = work / "floor.sqlite3"
    shutil.copyfile(b, copy)
    store = open_store(copy)  # prepcli's own settings (WAL, synchronous)
    try:
        rows = store.db.execute(f"SELECT id, {syncrows.REVIEW_COLUMNS} FROM review").fetchall()
        with store.transaction():
            store.db.execute("DELETE FROM review")

        def insert() -> None:  # the statement a sync writes its review rows with
            with store.transaction():
                syncrows.add_reviews(store, rows)

        insert_s = timed(insert)
    finally:
        store.close()
    return {
        f"floor: parsing the {len(lines):,} lines' JSON": parse_s,
        "floor: checking their fields (decode)": decode_s,
        "floor: writing them (encode)": encode_s,
        f"floor: inserting B's {len(rows):,} review rows": insert_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--day", type=int, default=200, help="answers in the incremental day")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="prepcli-sync-bench-"))
    try:
        run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args: argparse.Namespace) -> None:
    per_deck = 500
    keys = build_decks(work / "decks", max(1, args.cards // per_deck), per_deck)
    a0 = work / "a0.sqlite3"
    answers = build_history(a0, keys, 10 * len(keys))
    print(f"history: {len(keys):,} cards, {answers:,} answers")
    env = dict(os.environ, PREPCLI_DECKS=str(work / "decks"), PREPCLI_NOW=NOW.isoformat(),
               PREPCLI_CACHE_DIR=str(work / "cache"), TZ="UTC")  # fmt: skip
    figures: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    for repeat in range(args.repeats):
        trial = work / f"r{repeat}"
        trial.mkdir()
        folder, a, b = trial / "shared", trial / "a.sqlite3", trial / "b.sqlite3"
        shutil.copyfile(a0, a)
        # A's first sync: its whole history becomes its log (written to the folder).
        record(f"A's first sync: {answers:,} answers written (in-process)", in_process(a, folder))
        # B's first sync: every event read and applied.
        shutil.copyfile(a, trial / "a-after.sqlite3")
        record(f"B's first sync: {answers:,} events applied (in-process)", in_process(b, folder))
        for name, seconds in floors(folder, b, trial).items():
            record(name, seconds)
        b_cmd = trial / "b-cmd.sqlite3"
        record(f"B's first sync: {answers:,} events applied (`prepcli sync`)",
               command(b_cmd, folder, env))  # fmt: skip
        # A day's answers on A, then both sync.
        answer_a_day(a, work, keys, args.day, seed=repeat)
        shutil.copyfile(b, trial / "b2.sqlite3")
        record(f"A's sync after {args.day} answers (in-process)", in_process(a, folder, 90))
        record(f"B's sync: {args.day} new events applied (in-process)",
               in_process(b, folder, 91))  # fmt: skip
        record(f"B's sync: {args.day} new events applied (`prepcli sync`)",
               command(trial / "b2.sqlite3", folder, env))  # fmt: skip
        record("a sync with nothing new (in-process)", in_process(b, folder, 92))
        # The same cards answered on both before they sync: B replays them.
        answer_a_day(a, work, keys, args.day, seed=100 + repeat)
        answer_a_day(b, work, keys, args.day, seed=100 + repeat)
        in_process(a, folder, 93)
        record(f"B's sync: {args.day} answers conflicting with its own, replayed (in-process)",
               in_process(b, folder, 94))  # fmt: skip
        shutil.rmtree(trial)
    width = max(len(name) for name in figures)
    print(f"median of {args.repeats} runs, seconds:")
    for name, values in figures.items():
        print(f"  {name:<{width}}  {statistics.median(values):7.3f}")


if __name__ == "__main__":
    main()
