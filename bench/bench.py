"""prepcli's benchmark: a year of study on 20,000 cards, measured side by side in one run.

    python bench/bench.py            # prints the results and writes BENCHMARKS.md
    python bench/bench.py --quick    # a smaller collection and fewer repeats

Wall times on a shared machine are noisy, so every figure is a median of several runs,
and start-up times are reported as ratios to the floor measured in the same run
(`python -c "import typer, rich"`, the cost of the CLI framework before any work).
Anki's own engine (the `anki` package from PyPI) builds its queue and answers cards on an
equivalent collection for comparison; without that package those rows are skipped.
"""

from __future__ import annotations

import argparse
import compileall
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

import prepcli as prepcli_package
from prepcli.app.study import Locations, Study
from prepcli.core.clock import StudyCalendar, to_ms
from prepcli.core.models import CardState, Phase, Rating, Settings
from prepcli.core.scheduler import Scheduler
from prepcli.files.deckfiles import cache_name
from prepcli.files.decks import load_decks
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
            "version: 1", f"deck: bench.d{d:02d}", f"title: Bench deck {d}",
            "description: Synthetic cards for the benchmark.", "sources: [synthetic]",
            f"tags: [bench, group-{d % 6}]", "cards:",
        ]  # fmt: skip
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
                (card_id, to_ms(moment), calendar.day(moment), 0, int(rating), int(outcome.kind),
                 rng.randint(2000, 20000), outcome.elapsed_days, outcome.scheduled_days,
                 outcome.r_predicted, 0.9, *_snap(state), *_snap(outcome.after))
            )  # fmt: skip
            state = outcome.after
            moment = max(moment + timedelta(minutes=1), _instant(state.due_ms))
            moment += timedelta(hours=rng.uniform(0, 8))
        card_rows.append((card_id, key, *_snap(state), to_ms(NOW)))
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
    return (int(s.phase), s.step, s.stability, s.difficulty, s.due_ms, s.due_day,
            s.last_review_ms, s.reps, s.lapses, int(s.leech))  # fmt: skip


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
    child = pexpect.spawn(
        PYTHON, ["-m", "prepcli", "--db", str(copy), "review"],
        env={**env, "TERM": "xterm"}, encoding="utf-8", dimensions=(40, 100), timeout=60,
    )  # fmt: skip
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


def peak_memory_kib(argv: list[str], env: dict[str, str]) -> int:
    code = (
        "import resource, subprocess, sys\n"
        f"subprocess.run({argv!r}, capture_output=True, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def build_anki(keys: list[str], due_states: dict[str, CardState], work: Path) -> Path | None:
    """The same collection in Anki's engine (the `anki` package), or None without it."""
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
        conf["rev"]["perDay"] = 9999
        conf["new"]["perDay"] = 20
        col.decks.update_config(conf)
    col.set_config("fsrs", True)
    today = col.sched.today
    # The same review states as prepcli's collection: due days relative to today.
    now_day = StudyCalendar(UTC, 4).day(NOW)
    rows = []
    for cid, key in zip(col.find_cards(""), keys, strict=False):
        state = due_states.get(key)
        if state is None or state.phase == Phase.NEW or state.due_day is None:
            continue
        ivl = max(1, round(state.stability or 1))
        rows.append((today + (state.due_day - now_day), ivl, cid))
    col.db.transact(
        lambda: col.db.executemany(
            "update cards set type=2, queue=2, due=?, ivl=? where id=?", rows
        )
    )
    col.decks.select(col.decks.id("bench"))  # study the whole collection, as prepcli does
    col.close()
    return path


def anki_queue(path: Path) -> float:
    """Anki building today's queue on a freshly opened collection (the opening not timed)."""
    from anki.collection import Collection

    reopened = Collection(str(path))
    started = time.perf_counter()
    reopened.sched.get_queued_cards(fetch_limit=200)
    elapsed = time.perf_counter() - started
    reopened.close()
    return elapsed


def anki_answers(path: Path) -> float:
    """Anki's median time to answer a card (Good), over up to 200 due cards."""
    from anki.collection import Collection
    from anki.scheduler.v3 import CardAnswer

    col = Collection(str(path))
    answers = []
    for _ in range(200):
        queued = col.sched.get_queued_cards(fetch_limit=1)
        if not queued.cards:
            break
        top = queued.cards[0]
        started = time.perf_counter()
        card = col.get_card(top.card.id)
        card.start_timer()
        answer = col.sched.build_answer(card=card, states=top.states, rating=CardAnswer.GOOD)
        col.sched.answer_card(answer)
        answers.append(time.perf_counter() - started)
    col.close()
    if not answers:
        raise SystemExit("Anki's queue was empty: the comparison collection was not built right")
    return statistics.median(answers)


WORDS = ["attention", "head", "cache", "token", "layer", "norm", "rotary", "expert", "router", "batch", "decode", "prefill", "quantise", "scale", "group", "outlier", "adapter", "rank", "reward", "policy", "chunk", "index"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 cards, fewer repeats")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    decks, per_deck, reviews = (40, 500, 200_000) if not args.quick else (10, 200, 20_000)
    repeats = args.repeats if not args.quick else 3
    work = Path(tempfile.mkdtemp(prefix="prepcli-bench-"))
    try:
        results = run(work, decks, per_deck, reviews, repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if not args.no_write:
        args.out.write_text(report(results, args), encoding="utf-8")
        print(f"wrote {args.out}")


def run(work: Path, decks: int, per_deck: int, reviews: int, repeats: int) -> dict[str, object]:
    started = time.perf_counter()
    # Installed packages carry their bytecode; an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise recompile every changed module on every run.
    compileall.compile_dir(str(Path(prepcli_package.__file__).parent), quiet=1)
    keys = build_decks(work / "decks", decks, per_deck)
    build_plan(work / "plans", decks)
    db = work / "prep.sqlite3"
    written = build_history(db, keys, reviews)
    setup_s = time.perf_counter() - started
    env = dict(os.environ)
    env.update({
        "PREPCLI_DB": str(db), "PREPCLI_DECKS": str(work / "decks"), "PREPCLI_PLANS": str(work / "plans"),
        "PREPCLI_NOW": NOW.isoformat(), "PREPCLI_CACHE_DIR": str(work / "cache"), "TZ": "UTC",
        "NO_COLOR": "1", "COLUMNS": "100",
    })  # fmt: skip
    prepcli = [PYTHON, "-m", "prepcli"]
    subprocess.run([*prepcli, "plan", "start", "--plan", "bench", "--start", "2026-11-02",
                    "--interview", "2026-12-14"], env=env, check=True, capture_output=True)  # fmt: skip
    # For scale: the bundled decks (a few hundred cards) on a fresh database with a plan.
    bundled = ["env", "-u", "PREPCLI_DECKS", "-u", "PREPCLI_PLANS",
               f"PREPCLI_DB={work / 'bundled.sqlite3'}", *prepcli]  # fmt: skip
    subprocess.run([*bundled, "plan", "start", "--interview", "2026-12-14"], env=env,
                   check=True, capture_output=True)  # fmt: skip
    # The final fortnight, when the planner also projects the final week's reviews: the
    # same collection with the interview five days away.
    closing = work / "closing.sqlite3"
    shutil.copyfile(db, closing)
    near = ["env", f"PREPCLI_DB={closing}", *prepcli]
    subprocess.run([*near, "plan", "interview", "2026-11-28"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    commands = {
        "floor": [PYTHON, "-c", "import typer, rich"],
        "prepcli --help": [*prepcli, "--help"],
        "prepcli (today)": prepcli,
        "prepcli (today, bundled decks)": bundled,
        "prepcli (today, interview in 5 days)": near,
        "prepcli plan": [*prepcli, "plan"],
    }
    stats_available = (
        subprocess.run([*prepcli, "stats", "--help"], env=env, capture_output=True).returncode == 0
    )
    if stats_available:
        commands["prepcli stats"] = [*prepcli, "stats"]
    # One start-up on a shared machine varies by a third either way (the floor alone by
    # 80-125 ms within a minute): three times the repeats keep the medians' ratio steady.
    wall = interleaved(commands, env, STARTUP_REPEATS_FACTOR * repeats)

    # In-process: deck loading cold and warm, today's queue, one answer.
    roots = (work / "decks",)
    cache = work / "cache-inproc" / cache_name(roots)

    def cold() -> object:
        cache.unlink(missing_ok=True)
        return load_decks(roots, cache)

    cold_s = median_time(cold, max(3, repeats // 2))
    load_decks(roots, cache)
    warm_s = median_time(lambda: load_decks(roots, cache), repeats)
    os.environ["TZ"] = "UTC"
    where = Locations(
        db=db, deck_roots=roots, cache_dir=work / "cache", plan_dirs=(work / "plans",)
    )

    def queue() -> float:
        # As Anki's figure: the collection is open, nothing about today is computed yet.
        opened = Study.open(where, NOW)
        began = time.perf_counter()
        opened.agenda()
        elapsed = time.perf_counter() - began
        opened.close()
        return elapsed

    session_ms = session_latency_ms(db, env)
    # Today's queue in both engines, measured in turn so machine noise hits both alike.
    opened = Study.open(where, NOW)
    anki_path = build_anki(keys, opened.store.states(), work)
    opened.close()
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(queue())
        if anki_path is not None:
            theirs.append(anki_queue(anki_path))
    queue_s = statistics.median(ours)
    study = Study.open(where, NOW)
    agenda = study.agenda()
    due = [s.key for s in agenda.reviews][:200] or list(agenda.new)[:200]
    answer_samples, next_samples = [], []
    for key in due:
        began = time.perf_counter()
        study.answer(key, Rating.GOOD)
        answered = time.perf_counter()
        study.agenda().next_card(to_ms(NOW))  # what the session does before the next card
        answer_samples.append(answered - began)
        next_samples.append(time.perf_counter() - answered)
    study.close()
    anki = (
        None
        if anki_path is None
        else {"queue_s": statistics.median(theirs), "answer_s": anki_answers(anki_path)}
    )
    floor = wall["floor"]
    return {
        "machine": machine(),
        "collection": {
            "decks": decks,
            "cards": len(keys),
            "reviews": written,
            "due_today": agenda.reviews_due_total,
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
        "queue_build_ms": round(queue_s * 1000, 2),
        "answer_ms_median": round(statistics.median(answer_samples) * 1000, 3),
        "next_card_after_answer_ms_median": round(statistics.median(next_samples) * 1000, 2),
        "review_session_key_to_next_card_ms_median": session_ms,
        "answers_measured": len(answer_samples),
        "peak_memory_mib": {"prepcli (today)": round(peak_memory_kib(prepcli, env) / 1024, 1)},
        "anki": None
        if anki is None
        else {
            "queue_build_ms": round(anki["queue_s"] * 1000, 2),
            "answer_ms_median": round(anki["answer_s"] * 1000, 3),
            "prepcli_over_anki_queue": round(queue_s / anki["queue_s"], 2),
            "prepcli_over_anki_answer": round(
                statistics.median(answer_samples) / anki["answer_s"], 2
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
    ratio = results["ratio_to_floor"]
    loads = results["deck_load_s"]
    anki = results["anki"]
    rows = [
        ("`prepcli` (today) within 1.5x the import floor", f"{ratio['prepcli (today)']}x",
         ratio["prepcli (today)"] <= 1.5),
        ("warm deck load at most a tenth of a cold one", f"{loads['warm_over_cold']}",
         loads["warm_over_cold"] <= 0.1),
        ("one answer under 2 ms (median)", f"{results['answer_ms_median']} ms",
         results["answer_ms_median"] < 2),
        ("today's queue no slower than Anki's", "n/a" if anki is None else
         f"{anki['prepcli_over_anki_queue']}x Anki", anki is not None
         and anki["prepcli_over_anki_queue"] <= 1),
    ]  # fmt: skip
    table = "\n".join(
        f"| {name} | {value} | {'met' if ok else 'missed'} |" for name, value, ok in rows
    )
    machine = results["machine"]
    return (
        "# Benchmarks\n\n"
        f"Produced by `{command}` on {machine['cpus']} CPUs ({machine['processor']}, "
        f"{machine['platform']}, Python {machine['python']}); medians of repeated runs "
        f"({results['startup_runs']} interleaved runs of each command for start-up), "
        'start-up figures as ratios to `python -c "import typer, rich"` measured side by '
        "side in the same run. The collection: "
        f"{results['collection']['cards']:,} cards in {results['collection']['decks']} decks, "
        f"{results['collection']['reviews']:,} reviews over a year, a plan started with an "
        "interview date three weeks ahead.\n\n"
        "| bar | measured | |\n|---|---|---|\n" + table + "\n\n"
        "All figures:\n\n```json\n" + json.dumps(results, indent=2) + "\n```\n"
    )


if __name__ == "__main__":
    main()
