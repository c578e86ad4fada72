"""Time `prepcli stats` on 20,000 cards and 200,000 reviews (the speed budget in DESIGN.md).

    python bench/stats_bench.py            # builds the collection in a temporary folder
    python bench/stats_bench.py --keep DIR # or in DIR, reused on later runs

Reports medians: the SQL aggregation alone, the whole report in process (open + decks
from the parse cache + states + recall + aggregation), and the `prepcli stats`,
`prepcli stats --json` and `prepcli` (today) commands end to end, run round-robin with
their ratios to `prepcli` and to the import floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.stats_history import build, today_ordinal  # noqa: E402

from prepcli.app import progress  # noqa: E402
from prepcli.app.study import Locations, Study  # noqa: E402
from prepcli.storage.deckcache import CACHE_FILE  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def median_ms(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="build in (and reuse) this folder")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="prepcli-stats-bench-"))
    db = folder / "synthetic.sqlite3"
    if not db.exists():
        start = time.perf_counter()
        built = build(folder, today=today_ordinal(NOW))
        print(f"built {built.cards} cards, {built.reviews} reviews "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
    env = dict(os.environ, PREPCLI_DB=str(db), PREPCLI_DECKS=str(folder / "decks"),
               PREPCLI_NO_BUNDLED="1",
               PREPCLI_CACHE_DIR=str(folder / "cache"), PREPCLI_NOW=NOW.isoformat(),
               TZ="Europe/Paris", NO_COLOR="1")  # fmt: skip
    os.environ.update(env)
    where = Locations(db=db, deck_roots=(folder / "decks",), cache_dir=folder / "cache")
    study = Study.open(where, NOW)  # also fills the deck parse cache
    assert (folder / "cache" / CACHE_FILE).exists()
    reviews = study.store.log.review_count()
    print(f"collection: {len(study.cards)} cards, {reviews} reviews")
    sql = median_ms(lambda: study.store.log.facts(), args.repeats)
    report = median_ms(lambda: progress.stats_report(study), args.repeats)
    study.close()

    def whole() -> None:
        opened = Study.open(where, NOW)
        try:
            progress.stats_report(opened)
        finally:
            opened.close()

    in_process = median_ms(whole, args.repeats)
    prepcli = [sys.executable, "-m", "prepcli"]

    def command(argv: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)

    print(f"SQL aggregation (store.log.facts)           {sql:8.1f} ms")
    print(f"report on an open Study (stats_report)      {report:8.1f} ms")
    print(f"open + report, in process                   {in_process:8.1f} ms")
    runs: dict[str, list[str]] = {
        "prepcli stats": [*prepcli, "stats"],
        "prepcli stats --json": [*prepcli, "stats", "--json"],
        "prepcli (today)": prepcli,
        "python -c 'import typer, rich' (floor)": [sys.executable, "-c", "import typer, rich"],
    }
    # Round-robin, so a busy machine slows every command alike; ratios are the fair figure.
    samples: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(args.repeats):
        for label, argv in runs.items():
            samples[label].append(median_ms(command(argv), 1))
    medians = {label: statistics.median(times) for label, times in samples.items()}
    today = medians["prepcli (today)"]
    floor = medians["python -c 'import typer, rich' (floor)"]
    for label, value in medians.items():
        print(
            f"{label:<40}{value:8.1f} ms  ×{value / today:4.2f} today  ×{value / floor:4.1f} floor"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
