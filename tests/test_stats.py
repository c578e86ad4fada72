"""`prepcli stats`: every figure computed on a hand-built review history with known answers,
the pure aggregations' edge cases, and the SQL cross-checked against a plain recount."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from prepcli.core import stats
from prepcli.core.clock import StudyCalendar
from prepcli.core.history import AnswerContext, LoggedChange
from prepcli.core.models import CardState, Phase, ReviewKind
from prepcli.storage import syncrows
from prepcli.storage.store import open_store
from tests.conftest import Result
from tests.stats_history import build

Run = Callable[..., Result]
CAL = StudyCalendar(ZoneInfo("Europe/Paris"), 4)
T = date(2026, 11, 23).toordinal()  # the pinned "today" (a Monday)
HOUR, MINUTE, DAY = 3_600_000, 60_000, 86_400_000
A, B, C = (
    "sample.basics/attention-scaling",
    "sample.basics/kv-cache",
    "sample.basics/conflict-story",
)


def at(day: int, hour: int, minute: int = 0) -> int:
    """UTC ms of a local wall time on a study day (04:00 rollover, Europe/Paris)."""
    return int(CAL.day_start(day).timestamp() * 1000) + (hour - 4) * HOUR + minute * MINUTE


def answer(
    db: Path, key: str, day: int, hour: int, minute: int, rating: int, *, phase: Phase,
    due_in_ms: int, r: float | None, elapsed: float | None, duration: int,
    lapses: int = 0, leech: bool = False, kind: ReviewKind = ReviewKind.REVIEW,
) -> None:  # fmt: skip
    now = at(day, hour, minute)
    store = open_store(db)
    try:

        def decide(before: CardState) -> LoggedChange:
            after = before._replace(
                phase=phase, stability=3.0, difficulty=5.0, due_ms=now + due_in_ms,
                due_day=CAL.day_of_ms(now + due_in_ms), last_review_ms=now,
                reps=before.reps + 1, lapses=lapses, leech=leech,
            )  # fmt: skip
            return LoggedChange(after, rating, kind, elapsed, due_in_ms / DAY, r)

        store.change(key, decide, AnswerContext(now, day, 60, duration, 0.9))
    finally:
        store.close()


def hand_built_history(db: Path) -> None:
    """Three cards; the fourth (sample.coding/add-two) stays new.

    A: learnt T-40 (2 d), passed T-38 (young, 28 d), failed T-8 two days late (mature;
       overdue T-10 and T-9), relearnt T-8 (10 min step: not counted), passed T-5 (young).
    B: learnt T-6 (5 d), Hard T-1 (young pass, 4 d), Again today, early (young fail).
    C: learnt T-20 (17 d), Again T-3 (young fail), the 9th lapse: a leech; suspended.
    """
    R, L = Phase.REVIEW, Phase.RELEARNING
    answer(
        db,
        A,
        T - 40,
        9,
        0,
        3,
        phase=R,
        due_in_ms=2 * DAY,
        r=None,
        elapsed=None,
        duration=3000,
        kind=ReviewKind.LEARN,
    )
    answer(db, A, T - 38, 9, 0, 3, phase=R, due_in_ms=28 * DAY, r=0.95, elapsed=2, duration=12000)
    answer(
        db,
        A,
        T - 8,
        9,
        0,
        1,
        phase=L,
        due_in_ms=10 * MINUTE,
        r=0.72,
        elapsed=30,
        duration=65000,
        lapses=1,
    )
    answer(
        db,
        A,
        T - 8,
        9,
        10,
        3,
        phase=R,
        due_in_ms=3 * DAY,
        r=0.99,
        elapsed=0,
        duration=4000,
        lapses=1,
        kind=ReviewKind.RELEARN,
    )
    answer(
        db,
        A,
        T - 5,
        9,
        0,
        3,
        phase=R,
        due_in_ms=15 * DAY,
        r=0.91,
        elapsed=3,
        duration=8000,
        lapses=1,
    )
    answer(
        db,
        B,
        T - 6,
        9,
        0,
        4,
        phase=R,
        due_in_ms=5 * DAY,
        r=None,
        elapsed=None,
        duration=9000,
        kind=ReviewKind.LEARN,
    )
    answer(db, B, T - 1, 9, 0, 2, phase=R, due_in_ms=4 * DAY, r=0.85, elapsed=5, duration=25000)
    answer(
        db,
        B,
        T,
        8,
        0,
        1,
        phase=L,
        due_in_ms=10 * MINUTE,
        r=0.97,
        elapsed=1,
        duration=400000,
        lapses=1,
        kind=ReviewKind.EARLY,
    )
    answer(
        db,
        C,
        T - 20,
        9,
        0,
        3,
        phase=R,
        due_in_ms=17 * DAY,
        r=None,
        elapsed=None,
        duration=31000,
        kind=ReviewKind.LEARN,
    )
    answer(db, C, T - 3, 9, 0, 1, phase=L, due_in_ms=10 * MINUTE, r=0.60, elapsed=17,
           duration=7000, lapses=9, leech=True)  # fmt: skip
    store = open_store(db)
    try:
        store.set_flags(C, at(T - 3, 10), suspended=True)
    finally:
        store.close()


def iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


@pytest.mark.usefixtures("sample_decks")
def test_every_figure_on_a_hand_built_history(run: Run, db_path: Path) -> None:
    hand_built_history(db_path)
    result = run("stats", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["study_date"] == "2026-11-23"
    assert report["reviews_total"] == 10

    # Answers on T-40, -38, -20 | -8, -6, -5, -3, -1, T; A sat overdue on T-10 and T-9
    # (a break); every other day without answers had nothing due (a bridge).
    assert report["streaks"] == {"current": 6, "longest": 6, "days_studied": 9, "today": "done"}

    heat = {d["date"]: (d["reviews"], d["minutes"]) for d in report["heatmap"]}
    assert report["heatmap"][0]["date"] == iso(T - 105)  # a Monday, 15 weeks before this one
    assert report["heatmap"][-1]["date"] == iso(T)
    assert heat[iso(T - 8)] == (2, round(69000 / 60000, 2))
    assert heat[iso(T - 9)] == (0, 0.0)
    assert sum(n for n, _ in heat.values()) == 10

    def rates(period: dict[str, dict[str, object]]) -> tuple[object, ...]:
        return tuple(
            (period[k]["passed"], period[k]["reviews"]) for k in ("young", "mature", "all")
        )

    retention = {p["period"]: p for p in report["retention"]}
    assert rates(retention["today"]) == ((0, 1), (0, 0), (0, 1))
    assert rates(retention["7 days"]) == ((2, 4), (0, 0), (2, 4))
    assert rates(retention["30 days"]) == ((2, 4), (0, 1), (2, 5))
    assert rates(retention["all time"]) == ((3, 5), (0, 1), (3, 6))
    assert retention["all time"]["all"]["rate"] == 0.5
    assert retention["30 days"]["mature"]["rate"] == 0.0
    assert retention["today"]["mature"]["rate"] is None

    forecast = report["forecast"]
    assert [d["due"] for d in forecast["days"][:11]] == [1] + [0] * 9 + [1]  # B now, A in 10 d
    assert (forecast["overdue"], forecast["next_14"], forecast["next_30"]) == (0, 2, 2)
    assert len(forecast["days"]) == 30 and forecast["days"][0]["date"] == iso(T)

    decks = {d["deck"]: d for d in report["decks"]}
    fields = ("cards", "new", "learning", "review", "suspended", "leeches")
    assert [decks["sample.basics"][f] for f in fields] == [3, 0, 1, 1, 1, 1]
    assert [decks["sample.coding"][f] for f in fields] == [1, 1, 0, 0, 0, 0]
    assert [report["total"][f] for f in fields] == [4, 1, 1, 1, 1, 1]
    assert 0 < decks["sample.basics"]["average_retrievability"] < 1
    assert decks["sample.coding"]["average_retrievability"] is None

    time = report["time"]
    assert time["total_minutes"] == round(564000 / 60000, 2)
    assert time["minutes_today"] == round(400000 / 60000, 2)
    assert time["average_minutes_per_study_day"] == round(564000 / 60000 / 9, 2)
    assert len(time["per_day"]) == 30 and time["per_day"][-1]["date"] == iso(T)

    answer_times = report["answer_times"]
    assert [(b["label"], b["answers"]) for b in answer_times["bins"]] == [
        ("<5s", 2), ("5s–10s", 3), ("10s–20s", 1), ("20s–30s", 1), ("30s–1m", 1),
        ("1m–2m", 1), ("2m–5m", 0), ("≥5m", 1),
    ]  # fmt: skip
    assert answer_times["median_seconds"] == 9

    calibration = report["calibration"]
    by_bin = {round(b["low"], 1): b for b in calibration["bins"] if b["reviews"]}
    assert {k: (b["reviews"], b["predicted"], b["actual"]) for k, b in by_bin.items()} == {
        0.6: (1, 0.6, 0.0), 0.7: (1, 0.72, 0.0), 0.8: (1, 0.85, 1.0),
        0.9: (3, round((0.95 + 0.91 + 0.97) / 3, 4), round(2 / 3, 4)),
    }  # fmt: skip
    assert calibration["reviews"] == 6 and calibration["actual"] == 0.5
    assert calibration["predicted"] == pytest.approx(5.0 / 6, abs=1e-4)
    squares = 3 * ((0.95 + 0.91 + 0.97) / 3 - 2 / 3) ** 2 + 0.15**2 + 0.72**2 + 0.6**2
    assert calibration["rmse_bins"] == pytest.approx(math.sqrt(squares / 6), abs=1e-4)

    assert report["leeches"] == [
        {"card": C, "lapses": 9, "suspended": True, "retrievability": pytest.approx(
            report["leeches"][0]["retrievability"])}
    ]  # fmt: skip


@pytest.mark.usefixtures("sample_decks")
def test_a_card_still_due_breaks_the_streak_once_it_counts_again(run: Run, db_path: Path) -> None:
    hand_built_history(db_path)
    # Unsuspended, C has been waiting since T-3: T-2 had something due and no answers.
    assert run("card", "unsuspend", C).code == 0
    report = json.loads(run("stats", "--json").out)
    assert report["streaks"]["current"] == 2
    assert report["forecast"]["overdue"] == 1  # C, due on T-3


@pytest.mark.usefixtures("sample_decks")
def test_the_screen_and_a_deck_filter(run: Run, db_path: Path) -> None:
    hand_built_history(db_path)
    text = run("stats").out
    assert "Streak   6 days (longest 6) · 9 days studied · today: done" in text
    screen = [line.rstrip() for line in text.splitlines()]
    assert screen[screen.index("true retention      young    mature        all") + 1 :][:4] == [
        "today            0% (0/1)         —   0% (0/1)",
        "7 days          50% (2/4)         —  50% (2/4)",
        "30 days         50% (2/4)  0% (0/1)  40% (2/5)",
        "all time        60% (3/5)  0% (0/1)  50% (3/6)",
    ]
    heat_rows = screen[screen.index("Answers per day, last 16 weeks") + 2 :][:7]
    assert heat_rows[0] == "Mon  · · · · · · · · · · · · · · · ▒"  # today: 1 of 2
    assert heat_rows[6] == "Sun  · · · · · · · · · · · · · █ ▒"  # T-8 is the busiest day
    assert "Due in the next 14 days: 2 · 30 days: 2" in text
    assert f"  {C}  9 lapses · recall now" in text and "· suspended" in text
    assert "less · ░ ▒ ▓ █ more (busiest day: 2)" in text
    assert "90%–100%         3       94%     67%  -28 pts" in screen

    coding = json.loads(run("stats", "--deck", "sample.coding", "--json").out)
    assert coding["reviews_total"] == 0 and coding["selection"] == ["sample.coding"]
    assert coding["streaks"] == {"current": 0, "longest": 0, "days_studied": 0, "today": "free"}
    assert [d["deck"] for d in coding["decks"]] == ["sample.coding"]
    basics = json.loads(run("stats", "--deck", "sample.basics", "--json").out)
    assert basics["reviews_total"] == 10 and basics["total"]["cards"] == 3
    missing = run("stats", "--deck", "nope")
    assert missing.code == 2 and "no deck 'nope'" in missing.err


def test_stats_on_an_empty_collection(run: Run, sample_decks: Path) -> None:
    result = run("stats")
    assert result.code == 0, result.err
    assert "Streak   0 days (longest 0) · 0 days studied" in result.out
    assert "no interday reviews yet" in result.out and "Leeches (0)" in result.out


# --- the pure parts -----------------------------------------------------------------------


def test_streaks_free_days_bridge_and_due_days_break() -> None:
    days = [10, 11, 13, 14]
    assert stats.streaks(days, [], [], 14) == stats.Streaks(4, 4, 4, "done")  # 12: nothing due
    assert stats.streaks(days, [(12, 13)], [], 14) == stats.Streaks(2, 2, 4, "done")
    assert stats.streaks(days, [(9, 10)], [], 14) == stats.Streaks(4, 4, 4, "done")  # before
    # Today with something due and no answers yet: the streak so far still stands...
    assert stats.streaks(days, [], [15], 15) == stats.Streaks(4, 4, 4, "pending")
    # ...but yesterday's unanswered due card broke it.
    assert stats.streaks(days, [], [15], 16) == stats.Streaks(0, 4, 4, "pending")
    # Idle days with nothing due keep it, without lengthening it.
    assert stats.streaks(days, [], [], 16) == stats.Streaks(4, 4, 4, "free")
    assert stats.streaks([1, 2, 3, 7], [(4, 5)], [], 7) == stats.Streaks(1, 3, 4, "done")
    assert stats.streaks([], [], [3], 5) == stats.Streaks(0, 0, 0, "free")


def test_heatmap_answer_times_and_calibration_edges() -> None:
    monday = date(2026, 11, 23).toordinal()
    grid = stats.heatmap([(monday + 2, 4, 60_000)], monday + 2, weeks=2)
    assert grid[0].date == "2026-11-16" and grid[-1] == stats.DayCount("2026-11-25", 4, 1.0)
    assert len(grid) == 10
    times = stats.answer_times([(0, 1), (4, 1), (5, 2), (3600, 1)])
    assert [b.answers for b in times.bins] == [2, 2, 0, 0, 0, 0, 0, 1]
    assert times.median_seconds == 5
    empty = stats.calibration([])
    assert empty.reviews == 0 and empty.rmse_bins is None and len(empty.bins) == 10
    assert stats.answer_times([]).median_seconds is None


# --- the SQL against a plain recount --------------------------------------------------------


@pytest.mark.parametrize("decks", [("synthetic.d01",), ()], ids=["a deck", "every deck"])
def test_sql_aggregates_match_a_plain_recount(tmp_path: Path, decks: tuple[str, ...]) -> None:
    """A deck's figures are counted from the log; the whole collection's from the tallies."""
    built = build(tmp_path / "synthetic", decks=2, cards_per_deck=40, target_reviews=1500,
                  today=T, seed=7)  # fmt: skip
    store = open_store(built.db)
    try:
        assert_facts_recounted(store.log.facts(decks), built.db, decks)
    finally:
        store.close()


def test_the_tallies_follow_every_change_to_the_log(tmp_path: Path) -> None:
    """Rows added after the tallies were counted are added to them; a counted row deleted
    or rewritten makes them count the log again."""
    built = build(tmp_path / "synthetic", decks=2, cards_per_deck=40, target_reviews=1500,
                  today=T, seed=11)  # fmt: skip
    store = open_store(built.db)
    db = store.db

    def check() -> None:
        assert_facts_recounted(store.log.facts(), built.db, ())

    def marked() -> bool:
        return db.execute("SELECT count(*) FROM review_tally_mark").fetchone()[0] == 1

    try:
        assert not marked()  # never counted yet
        check()
        assert marked()
        for key, rating in (("synthetic.d00/c00001", 1), ("synthetic.d01/c00002", 3)):
            answer(built.db, key, T + 1, 9, rating, rating, phase=Phase.REVIEW,
                   due_in_ms=3 * DAY, r=0.8, elapsed=4.0, duration=7_000 * rating)  # fmt: skip
        assert marked()  # new rows above the mark: added on the next read
        check()
        store.undo_last()  # deletes the newest row: counted by now, so the mark goes
        assert not marked()
        check()
        oldest = db.execute("SELECT min(id) FROM review").fetchone()[0]
        db.execute("UPDATE review SET b_due_day = b_due_day - 3, rating = 1 WHERE id = ?",
                   (oldest,))  # fmt: skip
        assert not marked()
        check()
        db.execute(f"DELETE FROM review WHERE id = {oldest}")
        assert not marked()
        check()
        # A new row never takes a deleted row's id, not even sync's numbered rows: so a
        # row written after the mark is above it.
        newest = db.execute("SELECT max(id) FROM review").fetchone()[0]
        db.execute(f"DELETE FROM review WHERE id = {newest}")
        check()
        assert syncrows.next_review_id(store) > newest
        answer(built.db, "synthetic.d00/c00003", T + 1, 10, 0, 2, phase=Phase.REVIEW,
               due_in_ms=2 * DAY, r=0.7, elapsed=2.0, duration=3_000)  # fmt: skip
        assert db.execute("SELECT max(id) FROM review").fetchone()[0] > newest
        assert marked()
        check()
    finally:
        store.close()


def assert_facts_recounted(facts: stats.LogFacts, db: Path, decks: tuple[str, ...]) -> None:
    connection = sqlite3.connect(db)
    rows = connection.execute(
        "SELECT study_day, rating, duration_ms, elapsed_days, r_predicted, b_phase, b_due_day,"
        " b_due_ms, b_last_review_ms FROM review JOIN card ON card.id = card_id"
        " WHERE card.key LIKE ?",
        (f"{decks[0]}/%" if decks else "%",),
    ).fetchall()
    connection.close()
    assert rows, "the generator made no reviews for the deck"
    days: dict[int, list[int]] = {}
    retention: dict[tuple[int, bool, bool], int] = {}
    calibration: dict[int, list[float]] = {}
    seconds: dict[int, int] = {}
    spans = set()
    for day, rating, duration, elapsed, r, b_phase, b_due_day, b_due_ms, b_last in rows:
        if b_phase != 0 and b_due_day is not None and b_due_day < day:
            spans.add((b_due_day, day))
        if rating == 0:
            continue
        days.setdefault(day, [0, 0])
        days[day][0] += 1
        days[day][1] += duration or 0
        if b_due_ms is not None and b_last is not None:
            interval = b_due_ms - b_last
            if b_phase == 2 or interval >= DAY:
                mature = round(interval / DAY) >= 21
                key = (day, mature, rating > 1)
                retention[key] = retention.get(key, 0) + 1
        if r is not None and elapsed is not None and elapsed >= 1:
            tally = calibration.setdefault(min(int(r * 10), 9), [0, 0.0, 0])
            tally[0] += 1
            tally[1] += r
            tally[2] += rating > 1
        if duration is not None:
            second = min(duration // 1000, 3600)
            seconds[second] = seconds.get(second, 0) + 1
    assert facts.days == tuple((d, n, ms) for d, (n, ms) in sorted(days.items()))
    assert facts.retention == tuple(sorted((d, m, p, n) for (d, m, p), n in retention.items()))
    assert sorted(facts.overdue_spans) == sorted(spans)
    assert [(b, n, p) for b, n, _s, p in facts.calibration] == [
        (b, t[0], t[2]) for b, t in sorted(calibration.items())
    ]
    for (_b, _n, total, _p), (_b2, t) in zip(
        facts.calibration, sorted(calibration.items()), strict=True
    ):
        assert total == pytest.approx(t[1])
    assert facts.answer_seconds == tuple(sorted(seconds.items()))


@pytest.mark.parametrize(
    "args",
    [
        ["stats", "--help"],
        ["quiz", "--help"],
        ["quiz", "history", "--help"],
        ["practice", "--help"],
    ],
)
def test_the_new_commands_help_imports_no_heavy_module(args: list[str]) -> None:
    from tests.test_startup import loaded_after

    assert loaded_after(args) == set()


@pytest.mark.usefixtures("sample_decks")
@pytest.mark.parametrize("days_later", [0, 1, 2, 5])
def test_today_counts_the_streak_as_stats_does(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch, days_later: int
) -> None:
    """`prepcli` walks back day by day; `prepcli stats` scans the whole log: same rule."""
    hand_built_history(db_path)
    when = date.fromordinal(T + days_later).isoformat()
    monkeypatch.setenv("PREPCLI_NOW", f"{when}T09:00:00+01:00")
    stats = json.loads(run("stats", "--json").out)["streaks"]["current"]
    assert json.loads(run("today", "--json").out)["streak"] == stats
    assert run("card", "unsuspend", C).code == 0  # a card waiting since T-3 breaks the run
    stats = json.loads(run("stats", "--json").out)["streaks"]["current"]
    assert json.loads(run("today", "--json").out)["streak"] == stats
