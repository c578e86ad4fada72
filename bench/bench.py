"""prepcli's benchmark: a year of study on 2,000, 20,000 and 100,000 cards (about ten
reviews each), each measured side by side in one run.

    python bench/bench.py            # prints the results and writes BENCHMARKS.md
    python bench/bench.py --quick    # 2,000 cards and fewer repeats

Wall times on a shared machine are noisy, so every figure is a median of several runs,
and start-up times are reported as ratios to the floor measured in the same run
(`python -c "import typer, rich"`, the cost of the CLI framework before any work).
Anki's own engine (the `anki` package from PyPI) does the same work on the same collection,
with the same limits and durability (see `report` for what still differs); without that
package those rows are skipped.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fsrs

import prepcli as prepcli_package
from prepcli.app.study import Locations, Study
from prepcli.core.clock import StudyCalendar, to_ms
from prepcli.core.models import CardState, Phase, Rating, Settings
from prepcli.core.scheduler import Scheduler
from prepcli.storage.deckcache import load_cached_decks
from prepcli.storage.store import open_store

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Paris
PYTHON = sys.executable


def build_decks(folder: Path, decks: int, cards_per_deck: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    keys = []
    for d in range(decks):
        lines = [
            "version: 1",
            f"deck: bench.d{d:02d}",
            f"title: Bench deck {d}",
            "description: Synthetic cards for the benchmark.",
            "sources: [synthetic]",
            f"tags: [bench, group-{d % 6}]",
            "cards:",
        ]
        for c in range(cards_per_deck):
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            lines += [
                f"  - id: card-{c:04d}",
                "    kind: concept",
                f"    front: What is {words} (card {c})?",
                "    back: |",
                f"      It is {words}; scaled by $\\frac{{1}}{{\\sqrt{{d_k}}}}$.",
                "      ```python",
                f"      value = {c} * 2",
                "      ```",
            ]
            keys.append(f"bench.d{d:02d}/card-{c:04d}")
        (folder / f"d{d:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return keys


def build_plan(folder: Path, decks: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    weeks = []
    for w in range(6):
        chosen = [d for d in range(decks) if d % 6 == w]
        intro = "\n".join(f"      - deck: bench.d{d:02d}" for d in chosen)
        weeks.append(
            f"  - title: Week {w + 1}\n    introduce:\n{intro}\n"
            f"    tasks:\n      - id: task-{w + 1}\n        title: Task {w + 1}"
        )
    text = "version: 1\nplan: bench\ntitle: Bench plan\nweeks:\n" + "\n".join(weeks) + "\n"
    (folder / "bench.yaml").write_text(text, encoding="utf-8")


def build_history(db: Path, keys: list[str], reviews_target: int, seed: int = 7) -> int:
    """A year of FSRS-scheduled reviews with a simulated learner, written in bulk."""
    calendar = StudyCalendar(UTC, 4)
    scheduler = Scheduler(
        Settings(maximum_interval=45, learning_steps=(), timezone="UTC"), calendar
    )
    rng = random.Random(seed)
    start = NOW - timedelta(days=365)
    per_card = max(1, round(reviews_target * 1.6 / len(keys)))  # some cards stop at "now"
    store = open_store(db)
    store.close()
    connection = sqlite3.connect(db)
    card_rows, review_rows = [], []
    for card_id, key in enumerate(keys, start=1):
        state = CardState(key=key, card_id=card_id)
        moment = start + timedelta(days=rng.uniform(0, 150), hours=rng.uniform(0, 12))
        for _ in range(per_card):
            if moment >= NOW:
                break
            r = scheduler.retrievability(state, moment)
            rating = Rating.GOOD if r is None or rng.random() < r else Rating.AGAIN
            outcome = scheduler.answer(state, rating, moment)
            review_rows.append(
                (
                    card_id,
                    to_ms(moment),
                    calendar.day(moment),
                    0,
                    int(rating),
                    int(outcome.kind),
                    rng.randint(2000, 20000),
                    outcome.elapsed_days,
                    outcome.scheduled_days,
                    outcome.r_predicted,
                    0.9,
                    *_snap(state),
                    *_snap(outcome.after),
                )
            )
            state = outcome.after
            moment = max(moment + timedelta(minutes=1), _instant(state.due_ms))
            moment += timedelta(hours=rng.uniform(0, 8))
        # Last changed by its last answer, as the app records it (a card changed today
        # other than by an answer makes the interview planner work its day out again).
        card_rows.append((card_id, key, *_snap(state), state.last_review_ms or to_ms(start)))
    state_columns = (
        "phase, step, stability, difficulty, due_ms, due_day, last_review_ms, reps, lapses, leech"
    )
    before = ", ".join(f"b_{c.strip()}" for c in state_columns.split(","))
    after = ", ".join(f"a_{c.strip()}" for c in state_columns.split(","))
    with connection:
        connection.executemany(
            f"INSERT INTO card (id, key, {state_columns}, modified_ms) VALUES ({', '.join('?' * 13)})",
            card_rows,
        )
        connection.executemany(
            "INSERT INTO review (card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, "
            "duration_ms, elapsed_days, scheduled_days, r_predicted, desired_retention, "
            f"{before}, {after}) VALUES ({', '.join('?' * 31)})",
            review_rows,
        )
    connection.close()
    return len(review_rows)


def _snap(s: CardState) -> tuple[object, ...]:
    return (
        int(s.phase),
        s.step,
        s.stability,
        s.difficulty,
        s.due_ms,
        s.due_day,
        s.last_review_ms,
        s.reps,
        s.lapses,
        int(s.leech),
    )


def _instant(ms: int | None) -> datetime:
    return datetime.fromtimestamp((ms or 0) / 1000, UTC)


def median_time(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


STARTUP_REPEATS_FACTOR = 3
RICH_FLOOR = "import typer, rich.console, rich.table"
REFERENCE_ROWS = (
    "The two reference rows are not comparisons: the Rich row is the start-up every "
    "screen drawn with Rich pays before any prepcli code runs; the bare engine "
    "(`bare_answers`) does less than either engine on purpose — review cards only, "
    "popped from a kept list (no learning cards, no limits), no load balancing or "
    "fuzz, no undo or queue bookkeeping, 24 of the review row's 32 columns — so it is"
    " a lower bound for a Python engine on py-fsrs at the same durability, not a "
    "rival to Anki."
)


def interleaved(
    commands: dict[str, list[str]], env: dict[str, str], repeats: int
) -> dict[str, float]:
    """Median wall time of each command, run in turn so machine noise hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            started = time.perf_counter()
            result = subprocess.run(argv, env=env, capture_output=True, check=False)
            samples[name].append(time.perf_counter() - started)
            if result.returncode != 0:
                raise SystemExit(f"{name} failed: {result.stderr.decode()[-500:]}")
    return {name: statistics.median(values) for name, values in samples.items()}


def _start_review(db: Path, env: dict[str, str]) -> Any:
    """`prepcli review` on `db` in a real pseudo-terminal (a pexpect child)."""
    import pexpect

    return pexpect.spawn(
        PYTHON,
        ["-m", "prepcli", "--db", str(db), "review"],
        env={**env, "TERM": "xterm"},
        encoding="utf-8",
        dimensions=(40, 100),
        timeout=60,
    )


def session_latency_ms(db: Path, env: dict[str, str], answers: int = 12) -> float | None:
    """Median time from pressing a rating key in `prepcli review` (a real pseudo-terminal)
    to the next card's screen: what DESIGN.md asks to be imperceptible. None without
    pexpect. Runs on a copy of the database so the other figures are not disturbed."""
    try:
        import pexpect
    except ImportError:
        return None
    copy = db.with_name("session.sqlite3")
    shutil.copy(db, copy)
    child = _start_review(copy, env)
    child.delaybeforesend = None  # pexpect waits 50 ms before each send by default
    child.expect("Space")  # the first card's front
    samples = []
    for _ in range(answers):
        child.send(" ")
        child.expect("Good")  # the back, with the rating keys
        started = time.perf_counter()
        child.send("3")
        child.expect("Space")  # the next card's front
        samples.append(time.perf_counter() - started)
    child.send("q")
    child.expect(pexpect.EOF)
    return round(statistics.median(samples) * 1000, 1)


def review_first_card_ms(db: Path, env: dict[str, str], runs: int = 5) -> float | None:
    """Median time from starting `prepcli review` (a real pseudo-terminal) to the first
    card's front on the screen: the wait that opens every day's session. None without
    pexpect. Each run quits on the first card, on a copy of the database."""
    try:
        import pexpect
    except ImportError:
        return None
    copy = db.with_name("first-card.sqlite3")
    shutil.copy(db, copy)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        child = _start_review(copy, env)
        child.expect("Space")  # the first card's front
        samples.append(time.perf_counter() - started)
        child.send("q")
        child.expect(pexpect.EOF)
    return round(statistics.median(samples) * 1000, 1)


def peak_memory_kib(argv: list[str], env: dict[str, str]) -> int:
    code = (
        "import resource, subprocess, sys\n"
        f"subprocess.run({argv!r}, capture_output=True, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


#: prepcli's defaults (core.models.Settings), given to Anki too so both build the same queue.
NEW_PER_DAY, REVIEWS_PER_DAY = 20, 200
LEARNING_PHASES = {Phase.LEARNING: 1, Phase.RELEARNING: 3}  # Anki's card types


def build_anki(keys: list[str], states: dict[str, CardState], work: Path) -> Path | None:
    """The same collection in Anki's engine (the `anki` package), or None without it: the
    same cards in the same decks, each review card due on the same day with its FSRS memory
    state, each (re)learning card in Anki's intraday learning queue at the same moment, and
    the same daily limits (prepcli's defaults)."""
    try:
        from anki.collection import AddNoteRequest, Collection
    except ImportError:
        return None
    path = work / "anki" / "collection.anki2"
    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    model = col.models.by_name("Basic")
    assert model is not None
    requests = []
    for index, key in enumerate(keys):
        deck_id = col.decks.id(f"bench::{key.split('/')[0]}")
        note = col.new_note(model)
        note["Front"], note["Back"] = f"front {index}", f"back {index}"
        requests.append(AddNoteRequest(note=note, deck_id=deck_id))
    col.add_notes(requests)
    for deck in col.decks.all_names_and_ids():
        conf = col.decks.config_dict_for_deck_id(deck.id)
        conf["rev"]["perDay"] = REVIEWS_PER_DAY
        conf["new"]["perDay"] = NEW_PER_DAY
        col.decks.update_config(conf)
    col.set_config("fsrs", True)
    today = col.sched.today
    now_day = StudyCalendar(UTC, 4).day(NOW)
    rows = []
    for cid, key in zip(col.find_cards(""), keys, strict=False):
        state = states.get(key)
        if state is None or state.phase == Phase.NEW or state.stability is None:
            continue
        memory = json.dumps({"s": state.stability, "d": state.difficulty})
        if state.phase in LEARNING_PHASES and state.due_ms is not None:
            kind = LEARNING_PHASES[state.phase]
            rows.append((kind, 1, state.due_ms // 1000, 1, 1, memory, cid))
        elif state.due_day is not None:
            ivl = max(1, round(state.stability))
            rows.append((2, 2, today + (state.due_day - now_day), ivl, 0, memory, cid))
    col.db.transact(
        lambda: col.db.executemany(
            "update cards set type=?, queue=?, due=?, ivl=?, left=?, data=? where id=?", rows
        )
    )
    col.decks.select(col.decks.id("bench"))  # study the whole collection, as prepcli does
    col.close()
    return path


def anki_synchronous(path: Path) -> int:
    """Anki's own `PRAGMA synchronous` (2 = FULL: an fsync per commit)."""
    from anki.collection import Collection

    col = Collection(str(path))
    value = int(col.db.scalar("pragma synchronous"))
    col.close()
    return value


def anki_queue(path: Path) -> tuple[float, int]:
    """Anki building today's queue on a freshly opened collection until the first card is
    ready with its four next states (the opening not timed), and the queue's size."""
    from anki.collection import Collection

    reopened = Collection(str(path))
    started = time.perf_counter()
    queued = reopened.sched.get_queued_cards(fetch_limit=1)
    elapsed = time.perf_counter() - started
    size = queued.review_count + queued.learning_count + queued.new_count
    reopened.close()
    return elapsed, size


def anki_answers(path: Path, answers: int) -> list[float]:
    """Anki answering Good, then having the next card ready with its four next states."""
    from anki.collection import Collection
    from anki.scheduler.v3 import CardAnswer

    col = Collection(str(path))
    samples = []
    queued = col.sched.get_queued_cards(fetch_limit=1)
    for _ in range(answers):
        if not queued.cards:
            break
        top = queued.cards[0]
        started = time.perf_counter()
        card = col.get_card(top.card.id)
        card.start_timer()
        answer = col.sched.build_answer(card=card, states=top.states, rating=CardAnswer.GOOD)
        col.sched.answer_card(answer)
        queued = col.sched.get_queued_cards(fetch_limit=1)  # the next card and its states
        samples.append(time.perf_counter() - started)
    col.close()
    if not samples:
        raise SystemExit("Anki's queue was empty: the comparison collection was not built right")
    return samples


def bare_answers(path: Path, answers: int, synchronous: int) -> list[float]:
    """A reference, not a competitor: the least any Python engine built on py-fsrs does
    for the engine rows' work, in prepcli's own schema at prepcli's durability. Answering
    Good reads the card's row, has py-fsrs review it as Hard and as Good (prepcli orders
    the intervals, so Good needs both), updates the card's row and inserts its review row,
    and commits; the next card (popped from a kept list of due reviews) has its row read
    and its four ratings reviewed. Nothing else: no load balancing, no records per
    rating, no undo or queue bookkeeping. What prepcli takes beyond this is its own code."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    calendar = StudyCalendar(UTC, 4)
    today = calendar.day(NOW)
    now_ms = to_ms(NOW)
    columns = "key, id, phase, step, stability, difficulty, due_ms, due_day, last_review_ms"
    due = [
        row[0]
        for row in db.execute(
            f"SELECT key FROM card WHERE phase = {int(Phase.REVIEW)} AND due_day <= ? "
            "AND NOT suspended AND buried_until_day IS NULL "
            "ORDER BY due_day, coalesce(due_ms, 0), key LIMIT ?",
            (today, answers + 1),
        )
    ]

    def read(key: str) -> tuple[int, fsrs.Card]:
        row = db.execute(f"SELECT {columns} FROM card WHERE key = ?", (key,)).fetchone()
        card = fsrs.Card(
            card_id=row[1],
            state=fsrs.State.Review,
            step=None,
            stability=row[4],
            difficulty=row[5],
            due=NOW,
            last_review=_instant(row[8]),
        )
        return row[1], card

    def four_ratings(card: fsrs.Card) -> None:
        for rating in fsrs.Rating:
            scheduler.review_card(card, rating, NOW)

    four_ratings(read(due[0])[1])
    samples = []
    for key, following in itertools.pairwise(due):  # `due` holds answers + 1 keys
        started = time.perf_counter()
        card_id, card = read(key)
        scheduler.review_card(card, fsrs.Rating.Hard, NOW)
        after, _log = scheduler.review_card(card, fsrs.Rating.Good, NOW)
        due_ms = to_ms(after.due)
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "UPDATE card SET phase = ?, stability = ?, difficulty = ?, due_ms = ?, due_day = ?, "
            "last_review_ms = ?, reps = reps + 1, modified_ms = ? WHERE id = ?",
            (
                int(Phase.REVIEW),
                after.stability,
                after.difficulty,
                due_ms,
                calendar.day(after.due),
                now_ms,
                now_ms,
                card_id,
            ),
        )
        db.execute(
            "INSERT INTO review (card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, "
            "elapsed_days, scheduled_days, r_predicted, desired_retention, "
            "b_phase, b_stability, b_difficulty, b_reps, b_lapses, b_leech, "
            "a_phase, a_stability, a_difficulty, a_due_ms, a_last_review_ms, "
            "a_reps, a_lapses, a_leech) "
            f"VALUES ({', '.join('?' * 24)})",
            (
                card_id,
                now_ms,
                today,
                0,
                int(Rating.GOOD),
                1,
                1.0,
                1.0,
                0.9,
                0.9,
                int(Phase.REVIEW),
                card.stability,
                card.difficulty,
                1,
                0,
                0,
                int(Phase.REVIEW),
                after.stability,
                after.difficulty,
                due_ms,
                now_ms,
                2,
                0,
                0,
            ),
        )
        db.execute("COMMIT")
        four_ratings(read(following)[1])
        samples.append(time.perf_counter() - started)
    db.close()
    return samples


WORDS = [
    "attention",
    "head",
    "cache",
    "token",
    "layer",
    "norm",
    "rotary",
    "expert",
    "router",
    "batch",
    "decode",
    "prefill",
    "quantise",
    "scale",
    "group",
    "outlier",
    "adapter",
    "rank",
    "reward",
    "policy",
    "chunk",
    "index",
]


SIZES = {2_000: (10, 200), 20_000: (40, 500), 100_000: (100, 1_000)}  # cards: decks × cards
REVIEWS_PER_CARD = 10
ANSWERS = 200


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 cards only, fewer repeats")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    sizes = [2_000] if args.quick else list(SIZES)
    repeats = args.repeats if not args.quick else 3
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    for cards in sizes:
        work = Path(tempfile.mkdtemp(prefix="prepcli-bench-"))
        try:
            decks, per_deck = SIZES[cards]
            results["sizes"][str(cards)] = run(work, decks, per_deck, repeats)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(json.dumps(results["sizes"][str(cards)], indent=2), flush=True)
    if not args.no_write:
        args.out.write_text(report(results, args), encoding="utf-8")
        print(f"wrote {args.out}")


def run(work: Path, decks: int, per_deck: int, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    # Installed packages carry their bytecode; an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise recompile every changed module on every run.
    compileall.compile_dir(str(Path(prepcli_package.__file__).parent), quiet=1)
    keys = build_decks(work / "decks", decks, per_deck)
    build_plan(work / "plans", decks)
    db = work / "prep.sqlite3"
    written = build_history(db, keys, REVIEWS_PER_CARD * len(keys))
    setup_s = time.perf_counter() - started
    env = dict(os.environ)
    env.update(
        {
            "PREPCLI_DB": str(db),
            "PREPCLI_DECKS": str(work / "decks"),
            "PREPCLI_NO_BUNDLED": "1",  # the generated decks alone
            "PREPCLI_PLANS": str(work / "plans"),
            "PREPCLI_NOW": NOW.isoformat(),
            "PREPCLI_CACHE_DIR": str(work / "cache"),
            "TZ": "UTC",
            "NO_COLOR": "1",
            "COLUMNS": "100",
        }
    )
    prepcli = [PYTHON, "-m", "prepcli"]
    # Anki's engine has neither the six-week plan nor the interview planner: the engine
    # comparison runs on the collection before a plan starts (plain FSRS, the same limits).
    plain = work / "plain.sqlite3"
    shutil.copyfile(db, plain)
    bare = work / "bare.sqlite3"  # the reference engine's own copy (bare_answers)
    shutil.copyfile(db, bare)
    start_plan = ["plan", "start", "--plan", "bench", "--start", "2026-11-02"]
    subprocess.run(
        [*prepcli, *start_plan, "--interview", "2026-12-14"],
        env=env,
        check=True,
        capture_output=True,
    )
    # The final fortnight, when the planner also projects the final week's reviews: the
    # same collection with the interview five days away.
    closing = work / "closing.sqlite3"
    shutil.copyfile(db, closing)
    near = ["env", f"PREPCLI_DB={closing}", *prepcli]
    subprocess.run(
        [*near, "plan", "interview", "2026-11-28"], env=env, check=True, capture_output=True
    )
    due_key = json.loads(
        subprocess.run(
            [*prepcli, "next", "--json"], env=env, check=True, capture_output=True, text=True
        ).stdout
    )["card"]
    commands = {
        "floor": [PYTHON, "-c", "import typer, rich"],
        # What every screen drawn with Rich imports beyond the floor (`import rich` alone
        # does not load the console): the share of each ratio no prepcli code can remove.
        RICH_FLOOR: [PYTHON, "-c", RICH_FLOOR],
        "prepcli --help": [*prepcli, "--help"],
        "prepcli (today)": prepcli,
        "prepcli (today, interview in 5 days)": near,
        "prepcli next --json": [*prepcli, "next", "--json"],
        "prepcli answer": [*prepcli, "answer", due_key, "good"],
        "prepcli plan": [*prepcli, "plan"],
        "prepcli stats": [*prepcli, "stats"],
    }
    # One start-up on a shared machine varies by a third either way: three times the
    # repeats keep the medians' ratio steady.
    wall = interleaved(commands, env, STARTUP_REPEATS_FACTOR * repeats)

    # In-process: deck loading cold and warm.
    roots = (work / "decks",)
    cache = work / "cache-inproc"

    def cold() -> object:
        shutil.rmtree(cache, ignore_errors=True)
        return load_cached_decks(roots, cache)

    cold_s = median_time(cold, max(3, repeats // 2))
    load_cached_decks(roots, cache)
    warm_s = median_time(lambda: load_cached_decks(roots, cache), repeats)
    os.environ["TZ"] = "UTC"
    where = Locations(
        db=plain, deck_roots=roots, cache_dir=work / "cache", plan_dirs=(work / "plans",)
    )
    session_ms = session_latency_ms(db, env)
    first_card_ms = review_first_card_ms(db, env)
    session_near_ms = session_latency_ms(closing, env)

    # Like for like with Anki's engine: the same cards and states, limits and durability,
    # and the same work — today's queue up to the first card with its four intervals;
    # then answer Good and have the next card ready with its four intervals.
    opened = Study.open(where, NOW)
    anki_path = build_anki(keys, opened.store.states(), work)
    synchronous = int(opened.store.db.execute("PRAGMA synchronous").fetchone()[0])
    opened.close()

    def queue() -> tuple[float, int]:
        opened = Study.open(where, NOW)  # as Anki's: the collection open, today not computed
        began = time.perf_counter()
        agenda = opened.queue.agenda()
        first = agenda.next_card(to_ms(NOW))
        if first is not None:
            opened.answering.outcomes(first)
        elapsed = time.perf_counter() - began
        size = len(agenda.learning_due) + len(agenda.reviews) + len(agenda.new)
        opened.close()
        return elapsed, size

    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(queue())
        if anki_path is not None:
            theirs.append(anki_queue(anki_path))
    study = Study.open(where, NOW)
    now_ms = to_ms(NOW)
    key = study.queue.agenda().next_card(now_ms)
    answer_samples = []
    while key is not None and len(answer_samples) < ANSWERS:
        began = time.perf_counter()
        study.answering.answer(key, Rating.GOOD)
        key = study.queue.agenda().next_card(now_ms)  # what the session does before the next card
        if key is not None:
            study.answering.outcomes(key)
        answer_samples.append(time.perf_counter() - began)
    study.close()
    bare_samples = bare_answers(bare, ANSWERS, synchronous)
    anki: dict[str, Any] | None = None
    if anki_path is not None:
        anki_samples = anki_answers(anki_path, ANSWERS)
        anki = {
            "synchronous": anki_synchronous(anki_path),
            "queue_to_first_card_ms": round(statistics.median(t for t, _ in theirs) * 1000, 2),
            "queue_size": theirs[0][1],
            "answer_and_next_card_ms_median": round(statistics.median(anki_samples) * 1000, 3),
            "answers_measured": len(anki_samples),
        }
    queue_s = statistics.median(t for t, _ in ours)
    answer_s = statistics.median(answer_samples)
    floor = wall["floor"]
    return {
        "collection": {
            "decks": decks,
            "cards": len(keys),
            "reviews": written,
            "setup_s": round(setup_s, 1),
        },
        "wall_s": {k: round(v, 4) for k, v in wall.items()},
        "ratio_to_floor": {k: round(v / floor, 2) for k, v in wall.items() if k != "floor"},
        "startup_runs": STARTUP_REPEATS_FACTOR * repeats,
        "deck_load_s": {
            "cold": round(cold_s, 4),
            "warm": round(warm_s, 5),
            "warm_over_cold": round(warm_s / cold_s, 3),
        },
        "review_start_to_first_card_ms_median": first_card_ms,
        "review_session_key_to_next_card_ms_median": session_ms,
        "review_session_key_to_next_card_ms_median_interview_in_5_days": session_near_ms,
        "peak_memory_mib": {"prepcli (today)": round(peak_memory_kib(prepcli, env) / 1024, 1)},
        "prepcli": {
            "synchronous": synchronous,
            "queue_to_first_card_ms": round(queue_s * 1000, 2),
            "queue_size": ours[0][1],
            "answer_and_next_card_ms_median": round(answer_s * 1000, 3),
            "answers_measured": len(answer_samples),
        },
        "bare_python_engine": {
            "synchronous": synchronous,
            "answer_and_next_card_ms_median": round(statistics.median(bare_samples) * 1000, 3),
            "answers_measured": len(bare_samples),
        },
        "anki": anki,
        "prepcli_over_anki": None
        if anki is None
        else {
            "queue_to_first_card": round(queue_s * 1000 / anki["queue_to_first_card_ms"], 2),
            "answer_and_next_card": round(
                answer_s * 1000 / anki["answer_and_next_card_ms_median"], 2
            ),
        },
    }


def machine() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
        "processor": platform.processor() or platform.machine(),
        "peak_rss_now_mib": str(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)),
    }


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    command = "python bench/bench.py" + (" --quick" if args.quick else "")
    sizes = results["sizes"]
    names = list(next(iter(sizes.values()))["ratio_to_floor"])
    header = "| | " + " | ".join(f"{int(n):,} cards" for n in sizes) + " |"
    rule = "|---|" + "---|" * len(sizes)
    lines = [header, rule]
    for name in names:
        cells = [
            f"{r['ratio_to_floor'][name]}× ({r['wall_s'][name]:.3f} s)" for r in sizes.values()
        ]
        label = f'`python -c "{name}"` (reference)' if name == RICH_FLOOR else f"`{name}`"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(
        "| `prepcli review` start → first card on screen (pty) | "
        + " | ".join(f"{r['review_start_to_first_card_ms_median']} ms" for r in sizes.values())
        + " |"
    )
    lines.append(
        "| key press → next card in `prepcli review` (pty) | "
        + " | ".join(f"{r['review_session_key_to_next_card_ms_median']} ms" for r in sizes.values())
        + " |"
    )
    lines.append(
        "| …the same, interview in 5 days | "
        + " | ".join(
            f"{r['review_session_key_to_next_card_ms_median_interview_in_5_days']} ms"
            for r in sizes.values()
        )
        + " |"
    )
    for label, field in (
        ("today's queue to the first card with its intervals", "queue_to_first_card_ms"),
        ("answer Good + next card ready with its intervals", "answer_and_next_card_ms_median"),
    ):
        cells = []
        for r in sizes.values():
            ours = r["prepcli"][field]
            if r["anki"] is None:
                cells.append(f"prepcli {ours} ms (no Anki)")
            else:
                theirs = r["anki"][field]
                cells.append(f"prepcli {ours} ms, Anki {theirs} ms: {ours / theirs:.2f}×")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    bare_cells = []
    for r in sizes.values():
        ours = r["bare_python_engine"]["answer_and_next_card_ms_median"]
        theirs = None if r["anki"] is None else r["anki"]["answer_and_next_card_ms_median"]
        bare_cells.append(f"{ours} ms" + ("" if theirs is None else f": {ours / theirs:.2f}× Anki"))
    lines.append(
        "| …the same, the least a Python engine on py-fsrs does (reference, `bare_answers`) | "
        + " | ".join(bare_cells)
        + " |"
    )
    growth = ""
    if "20000" in sizes and "100000" in sizes:
        small, big = sizes["20000"]["wall_s"], sizes["100000"]["wall_s"]
        grown = ", ".join(
            f"`{n}` {big[n] / small[n]:.1f}×" for n in names if n not in ("floor", RICH_FLOOR)
        )
        growth = f"\nFrom 20,000 to 100,000 cards (5× the collection): {grown}.\n"
    machine = results["machine"]
    return (
        "# Benchmarks\n\n"
        f"Produced by `{command}` on {machine['cpus']} CPUs ({machine['processor']}, "
        f"{machine['platform']}, Python {machine['python']}). Start-up figures are medians of "
        'interleaved runs, shown as ratios to `python -c "import typer, rich"` measured '
        "side by side in the same run. Each collection has about ten FSRS-scheduled "
        "reviews per card over a year (each card last changed by its last answer, as the "
        "app records it) and a plan started with the interview three weeks ahead.\n\n"
        "Against Anki's engine (the `anki` package), like for like: the same cards in the "
        "same decks, each review card due the same day with the same FSRS memory state, "
        "each relearning card in Anki's intraday learning queue at the same moment, the "
        f"same limits ({NEW_PER_DAY} new and {REVIEWS_PER_DAY} reviews a day), both "
        "databases syncing every commit to disk (`synchronous` is in the figures: 2 = "
        "FULL), and the same work: today's queue until the first card is ready with its "
        "four intervals; then answer Good and have the next card ready with its four "
        "intervals; both keep today's queue between answers and update it. The engine "
        "rows run on the collection before the plan starts (plain FSRS on both sides: Anki "
        "has no plan pace and no interview planner); the queue sizes are in the figures. "
        "What still differs: Anki counts intraday learning cards due within its 20-minute "
        "learn-ahead in its queue size, prepcli only those due now; Anki's (re)learning cards "
        "carry one remaining step (`left` = 1), a close match to prepcli's one relearning "
        "step; Anki's notes have plain text, prepcli's cards are read from YAML decks. "
        f"{REFERENCE_ROWS}\n\n"
        + "\n".join(lines)
        + "\n"
        + growth
        + "\nAll figures:\n\n```json\n"
        + json.dumps(results, indent=2)
        + "\n```\n"
    )


if __name__ == "__main__":
    main()
