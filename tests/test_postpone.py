"""`prepcli postpone N`: a break of N days re-planned instead of piling up. The reviews due
in it go to as many days after it, least stable first, levelled and within the capacity;
memory states and the interview date stay; the break's days are rest days."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from prepcli.core.breaks import DueCard, plan_break
from prepcli.core.deadline import Memory, MemoryModel
from prepcli.core.interview import InterviewPolicy, plan_interview
from tests.conftest import DATA, Result, rows

Run = Callable[..., Result]
TODAY = date(2026, 11, 23).toordinal()  # PREPCLI_NOW of the isolated home
DAY_MS = 86_400_000


def iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


# --- the rule -------------------------------------------------------------------------------


def test_a_break_levels_the_days_after_it_least_stable_first() -> None:
    due = [DueCard(f"d/c{i}", 100 + i % 7, float(i + 1)) for i in range(70)]
    load = {d: 10 for d in range(107, 130)}
    plan = plan_break(due, 100, 106, load, capacity=200, share_of=lambda _d: 1.0)
    assert plan.catch_up_days == tuple(range(107, 114))  # as many days as the break
    assert plan.load_after == {d: 20 for d in range(107, 114)}  # (7·10 + 70) / 7 each
    assert [m.key for m in plan.moves[:10]] == [f"d/c{i}" for i in range(10)]
    assert all(m.to_day == 107 for m in plan.moves[:10])  # the least stable, first day
    assert all(m.to_day > m.from_day for m in plan.moves)  # never earlier than it was due


def test_capacity_easy_days_and_rest_days_are_kept() -> None:
    due = [DueCard(f"d/c{i}", 50, 1.0 + i) for i in range(60)]

    def share(day: int) -> float:
        return {53: 0.0, 54: 0.5}.get(day, 1.0)  # 53 a rest day, 54 an easy day

    plan = plan_break(due, 50, 51, {52: 5}, capacity=25, share_of=share)
    assert 53 not in plan.load_after  # nothing on a rest day
    assert max(plan.load_after.values()) <= 25  # never above the capacity
    assert plan.load_after[54] < plan.load_after[52]  # the easy day takes less
    assert len(plan.moves) == 60  # none dropped: later days take what the catch-up cannot


def test_the_planner_places_no_last_review_on_a_rest_day() -> None:
    model = MemoryModel()
    interview = TODAY + 10
    cards = [
        Memory(f"d/c{i}", 2.0 + i, 5.0, TODAY - 3, float(interview - TODAY + 3)) for i in range(40)
    ]
    eve = interview - 1
    ordinary = plan_interview(cards, InterviewPolicy(interview, capacity=30), TODAY, model)
    assert eve in ordinary.final_day.values()
    rested = plan_interview(
        cards, InterviewPolicy(interview, capacity=30, rest_days=(eve, eve - 1)), TODAY, model
    )
    assert rested.final_day and not {eve, eve - 1} & set(rested.final_day.values())


# --- the command --------------------------------------------------------------------------


def crowd(db: Path, count: int = 600, seed: int = 3) -> None:
    """Review cards (of no deck) due from 2 days ago to 40 days ahead, stabilities 1–60."""
    rng = random.Random(seed)
    connection = sqlite3.connect(db)
    with connection:
        for i in range(count):
            due = TODAY + rng.randint(-2, 40)
            connection.execute(
                "INSERT INTO card (key, phase, stability, difficulty, due_ms, due_day, "
                "last_review_ms, reps, modified_ms) VALUES (?, 2, ?, 5, ?, ?, 0, 1, 0)",
                (
                    f"x.deck/c{i:03d}",
                    rng.uniform(1, 60),
                    (due - 719163) * DAY_MS + 8 * 3_600_000,
                    due,
                ),
            )
    connection.close()


def due_per_day(db: Path) -> dict[int, int]:
    return dict(rows(db, "SELECT due_day, count(*) FROM card WHERE phase = 2 GROUP BY due_day"))  # type: ignore[arg-type]


@pytest.mark.usefixtures("sample_decks")
def test_postpone_spreads_the_break_over_as_many_days(run: Run, db_path: Path) -> None:
    assert run("today").code == 0
    crowd(db_path)
    before = due_per_day(db_path)
    in_break = sum(n for d, n in before.items() if d <= TODAY + 6)
    untouched = rows(
        db_path, "SELECT key, stability, difficulty, last_review_ms FROM card ORDER BY key"
    )
    # Left alone, the day after the break would carry the whole week.
    assert in_break + before[TODAY + 7] > 4 * max(before[d] for d in range(TODAY + 7, TODAY + 14))

    dry = json.loads(run("postpone", "7", "--dry-run", "--json").out)
    assert dry["saved"] is False and due_per_day(db_path) == before
    result = run("postpone", "7", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report == {**dry, "saved": True}
    assert report["first_day"] == "2026-11-23" and report["last_day"] == "2026-11-29"
    assert report["moved"] == in_break and report["capacity"] == 200
    assert report["catch_up_days"] == [iso(TODAY + d) for d in range(7, 14)]
    after = due_per_day(db_path)
    assert not [d for d in after if d <= TODAY + 6]  # nothing due in the break
    catch_up = [after[TODAY + d] for d in range(7, 14)]
    assert max(catch_up) - min(catch_up) <= 2  # levelled
    assert max(catch_up) < in_break / 3
    assert [d["due"] for d in report["days_after"]][:7] == catch_up
    # Only due days moved: memory states are FSRS's.
    assert (
        rows(db_path, "SELECT key, stability, difficulty, last_review_ms FROM card ORDER BY key")
        == untouched
    )
    # Of the moved cards (those the break changed), the least stable come back first.
    moved = "SELECT {} FROM card WHERE due_day = ? AND modified_ms > 0"
    first_day = rows(db_path, moved.format("max(stability)"), TODAY + 7)
    last_day = rows(db_path, moved.format("min(stability)"), TODAY + 13)
    assert first_day[0][0] < last_day[0][0]  # type: ignore[operator]
    # A moved card keeps its time of day within its new day (here 09:00 Paris, 08:00 UTC).
    times = rows(db_path, "SELECT DISTINCT (due_ms - (due_day - 719163) * 86400000) FROM card "
                 "WHERE modified_ms > 0")  # fmt: skip
    assert times == [(8 * 3_600_000,)]


@pytest.mark.usefixtures("sample_decks")
def test_the_break_is_a_rest_day_run(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("answer", "sample.basics/kv-cache", "good").code == 0
    assert run("postpone", "3", "--start", "2026-11-25").code == 0
    assert run("config", "get", "rest_days").out == "2026-11-25..2026-11-27\n"
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-26T09:00:00+01:00")
    summary = json.loads(run("today", "--json").out)
    assert summary["day"]["kind"] == "rest" and summary["day"]["rest_until"] == "2026-11-27"
    text = run("postpone", "2").out  # a second break joins the first
    assert text.startswith("Break 2026-11-26..2026-11-27 (2 days off)")
    assert run("config", "get", "rest_days").out == "2026-11-25..2026-11-27\n"


@pytest.mark.usefixtures("sample_decks")
def test_the_text_says_where_the_reviews_went(run: Run, db_path: Path) -> None:
    assert run("today").code == 0
    crowd(db_path, count=60)
    out = run("postpone", "2").out.splitlines()
    assert (
        out[0] == "Break 2026-11-23..2026-11-24 (2 days off): nothing is asked, no streak breaks."
    )
    assert out[1].startswith("5 reviews due in it moved to the 2 days after it, least stable")
    assert out[2].startswith("  2026-11-25  ") and "moved)" in out[2]


@pytest.mark.usefixtures("sample_decks")
def test_with_an_interview_the_date_stays_and_the_break_may_not_cover_it(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    assert run("plan", "start", "--plan", "mini", "--interview", "2026-12-20").code == 0
    crowd(db_path, count=100)
    covering = run("postpone", "30")
    assert covering.code == 2
    assert covering.err == (
        "error: the break covers the interview day (2026-12-20); end it before, or move the "
        "interview with `prepcli plan interview DATE`\n"
    )
    assert rows(db_path, "SELECT value FROM setting WHERE name = 'rest_days'") == []
    result = run("postpone", "5")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == (
        "The interview stays on 2026-12-20: the planner leaves the break free and plans "
        "again each morning."
    )
    assert json.loads(run("plan", "--json").out)["interview_date"] == "2026-12-20"
    # On a day of the break the planner's reviews are optional, and none is a last review.
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-25T09:00:00+01:00")
    summary = json.loads(run("today", "--json").out)
    assert summary["day"]["kind"] == "rest" and summary["day"]["reviews_optional"]


def test_bad_breaks_are_refused(run: Run) -> None:
    for args, message in (
        (["postpone", "0"], "a break is 1 to 366 days, got 0"),
        (["postpone", "400"], "a break is 1 to 366 days, got 400"),
        (["postpone", "3", "--start", "2026-11-01"], "a break cannot start in the past"),
        (
            ["postpone", "3", "--start", "soon"],
            "--start must be a date like 2026-12-14, got 'soon'",
        ),
    ):
        result = run(*args)
        assert (result.code, result.err) == (2, f"error: {message}\n")
