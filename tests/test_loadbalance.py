"""The load balancer and easy days: due days drawn within the fuzz range toward lighter
days (Anki 24.11's design), the memory state untouched; a simulated month is flatter,
easy days get fewer reviews, rest days none; end to end through `prepcli next/answer`."""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prepcli.core.clock import StudyCalendar
from prepcli.core.daysoff import weekday_of
from prepcli.core.loadbalance import (
    MAX_BALANCED_INTERVAL,
    DayLoads,
    balanced_interval,
    fuzz_bounds,
)
from prepcli.core.models import CardState, Rating, Settings
from prepcli.core.scheduler import Scheduler
from tests.conftest import Result, rows

Run = Callable[..., Result]
UTC_DAYS = StudyCalendar(UTC, 4)
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
SETTINGS = Settings(fuzz=True, timezone="UTC", learning_steps=(), relearning_steps=())


# --- the draw ------------------------------------------------------------------------------


def test_fuzz_bounds_are_the_fuzz_stretches() -> None:
    assert fuzz_bounds(2, 365) == (2, 2)  # no fuzz under 2.5 days
    assert fuzz_bounds(8, 365) == (6, 10)  # 1 + 0.15·4.5 + 0.1·1 = 1.775
    assert fuzz_bounds(30, 365) == (27, 33)  # 1 + 0.675 + 1.3 + 0.5 = 3.475
    assert fuzz_bounds(30, 31) == (27, 31)  # never past the maximum interval


def test_the_emptiest_day_wins_and_equal_days_leave_plain_fuzz() -> None:
    today = 739_000
    busy = {today + d: 40 for d in range(6, 11)}
    busy[today + 9] = 0
    loads = DayLoads(today, busy)
    assert {balanced_interval(8, 365, loads, seed) for seed in range(50)} == {9}
    # Every day empty and alike: nothing to balance, the caller fuzzes as before.
    assert balanced_interval(8, 365, DayLoads(today, {}), 1) is None
    # Far out, no balancing (Anki's 90 days).
    assert balanced_interval(MAX_BALANCED_INTERVAL + 1, 365, loads, 1) is None


def test_a_rest_day_takes_no_card_while_another_day_can() -> None:
    today = 739_000
    loads = DayLoads(today, {}, rest_days=frozenset({today + 7, today + 8}))
    drawn = {balanced_interval(8, 365, loads, seed) for seed in range(200)}
    assert drawn == {6, 9, 10}


def test_balancing_changes_only_the_due_day_never_the_memory_state() -> None:
    scheduler = Scheduler(SETTINGS, UTC_DAYS)
    state = scheduler.answer(CardState(key="d/a", card_id=1), Rating.GOOD, START).after
    later = START + timedelta(days=6)
    today = UTC_DAYS.day(later)
    loads = DayLoads(today, {today + d: 30 for d in range(1, 40)} | {today + 14: 0})
    plain = scheduler.outcomes(state, later)
    balanced = scheduler.outcomes(state, later, loads)
    for rating in Rating:
        assert balanced[rating].after.stability == plain[rating].after.stability
        assert balanced[rating].after.difficulty == plain[rating].after.difficulty
    good = balanced[Rating.GOOD]
    low, high = fuzz_bounds(round(plain[Rating.GOOD].scheduled_days), 365)
    assert low <= good.scheduled_days <= high
    # The preview is the answer: same state, same loads, same interval.
    assert scheduler.answer(state, Rating.GOOD, later, loads).after.due_ms == good.after.due_ms


# --- a simulated month ---------------------------------------------------------------------


def simulate(
    loads_for: Callable[[int, dict[int, int]], DayLoads | None], seed: int = 1
) -> list[int]:
    """A month of ordinary days: 10 new cards a day, every due card answered each morning
    (Again with a 10% chance, else Good), for 70 days; the review answers on each of the
    last 40 days."""
    scheduler = Scheduler(SETTINGS, UTC_DAYS)
    rng = random.Random(seed)
    states: dict[str, CardState] = {}
    due_count: dict[int, int] = {}  # the balancer's view: review cards due per day
    answers: dict[int, int] = {}
    first = UTC_DAYS.day(START)
    for offset in range(70):
        moment = START + timedelta(days=offset)
        today = first + offset
        due = sorted(k for k, s in states.items() if (s.due_day or 0) <= today)
        for key in due + [f"d/c{offset}-{i}-{seed}" for i in range(10)]:
            before = states.get(key, CardState(key=key, card_id=len(states) + 1))
            rating = Rating.AGAIN if key in due and rng.random() < 0.1 else Rating.GOOD
            after = scheduler.answer(before, rating, moment, loads_for(today, due_count)).after
            if before.due_day is not None:
                due_count[before.due_day] -= 1
            due_count[after.due_day or 0] = due_count.get(after.due_day or 0, 0) + 1
            states[key] = after
            if key in due:
                answers[today] = answers.get(today, 0) + 1
    return [answers.get(day, 0) for day in range(first + 30, first + 70)]


def balanced(easy: tuple[int, ...] = (), share: float = 0.5) -> Callable[..., DayLoads]:
    def loads(today: int, due: dict[int, int]) -> DayLoads:
        return DayLoads(today, dict(due), frozenset(easy), share)

    return loads


def plain(_today: int, _due: dict[int, int]) -> None:
    return None


def swing(loads: list[int]) -> float:
    """How far each day is from its week (a centred 7-day mean): the day-to-day unevenness
    the balancer can remove (a trend across weeks is outside any card's fuzz range)."""
    return statistics.pstdev(
        [loads[i] - statistics.mean(loads[i - 3 : i + 4]) for i in range(3, len(loads) - 3)]
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_a_balanced_month_is_flatter_than_plain_fuzz(seed: int) -> None:
    fuzzed, even = simulate(plain, seed), simulate(balanced(), seed)
    assert abs(sum(even) - sum(fuzzed)) < 0.05 * sum(fuzzed)  # about the same work
    # Figures: seed 1 swing 4.5 → 2.6, sd 5.9 → 4.6; seed 2 swing 3.4 → 2.2, sd 4.5 → 4.1.
    assert swing(even) < 0.75 * swing(fuzzed)
    assert statistics.pstdev(even) < statistics.pstdev(fuzzed)


def test_easy_days_get_fewer_reviews() -> None:
    weekend = (5, 6)
    first = UTC_DAYS.day(START) + 30

    def ratio(loads: list[int]) -> float:
        easy = [n for d, n in enumerate(loads, first) if weekday_of(d) in weekend]
        other = [n for d, n in enumerate(loads, first) if weekday_of(d) not in weekend]
        return statistics.mean(easy) / statistics.mean(other)

    ordinary, half, free = (
        ratio(simulate(loads)) for loads in (plain, balanced(weekend, 0.5), balanced(weekend, 0))
    )
    # Figures: 0.96, 0.73, 0.43 (cards a day or two apart have no range to move in).
    assert 0.85 < ordinary < 1.15  # without easy days, weekends are ordinary
    assert half < 0.8
    assert free < half


# --- end to end ----------------------------------------------------------------------------


def crowd(db: Path, today: int, days: dict[int, int]) -> None:
    """Review cards (of no deck) due on the given days, `count` each."""
    connection = sqlite3.connect(db)
    with connection:
        for offset, count in days.items():
            for n in range(count):
                connection.execute(
                    "INSERT INTO card (key, phase, stability, difficulty, due_ms, due_day, "
                    "last_review_ms, reps, modified_ms) VALUES (?, 2, 10, 5, 0, ?, 0, 1, 0)",
                    (f"other.deck/c{offset}-{n}", today + offset),
                )
    connection.close()


TODAY = datetime(2026, 11, 23).toordinal()
CARD = "sample.basics/attention-scaling"


@pytest.mark.usefixtures("sample_decks")
def test_the_intervals_shown_and_given_follow_the_load(run: Run, db_path: Path) -> None:
    assert run("today").code == 0  # creates the database
    crowd(db_path, TODAY, {6: 30, 7: 30, 8: 30, 10: 30})  # day 9 is the light one
    shown = json.loads(run("next", "--json").out)
    assert shown["card"] == CARD and shown["intervals"]["easy"]["label"] == "9d"
    given = json.loads(run("answer", CARD, "easy", "--json").out)
    assert round(given["next_in_days"]) == 9
    assert rows(db_path, "SELECT due_day, stability FROM card WHERE key = ?", CARD) == [
        (TODAY + 9, pytest.approx(8.2956))  # FSRS's initial stability for Easy: untouched
    ]


@pytest.mark.usefixtures("sample_decks")
def test_without_load_balance_the_interval_is_plain_fuzz(run: Run, db_path: Path) -> None:
    assert run("config", "set", "load_balance", "false").code == 0
    crowd(db_path, TODAY, {6: 30, 7: 30, 8: 30, 10: 30})
    shown = json.loads(run("next", "--json").out)
    assert shown["intervals"]["easy"]["label"] == "8d"  # the seeded fuzz, as before


@pytest.mark.usefixtures("sample_decks")
def test_rest_days_and_easy_days_settings_steer_the_day(run: Run, db_path: Path) -> None:
    assert run("config", "set", "rest_days", "2026-12-02").out == "rest_days = 2026-12-02\n"
    crowd(db_path, TODAY, {6: 30, 7: 30, 8: 30, 10: 30})  # day 9 (2026-12-02) is off
    label = json.loads(run("next", "--json").out)["intervals"]["easy"]["label"]
    assert label in ("6d", "7d", "8d", "10d")
    assert run("config", "set", "rest_days", "none").code == 0
    # 2026-12-02 is a Wednesday: an easy day with no share takes nothing either.
    assert run("config", "set", "easy_days", "wed").out == "easy_days = wed\n"
    assert run("config", "set", "easy_day_share", "0").code == 0
    label = json.loads(run("next", "--json").out)["intervals"]["easy"]["label"]
    assert label in ("6d", "7d", "8d", "10d")


def test_day_settings_are_parsed_and_shown(run: Run) -> None:
    ok = run("config", "set", "rest_days", "2026-12-24, 2026-12-30..2027-01-01")
    assert ok.out == "rest_days = 2026-12-24 2026-12-30..2027-01-01\n"
    assert run("config", "set", "easy_days", "Saturday sun").out == "easy_days = sat sun\n"
    assert run("config", "get", "load_balance").out == "true\n"
    for name, value, message in (
        ("rest_days", "2026-13-01", "bad date '2026-13-01': use YYYY-MM-DD (a range: FROM..TO)"),
        ("rest_days", "2027-01-02..2027-01-01", "bad range '2027-01-02..2027-01-01': it ends "
         "before it starts"),
        ("rest_days", "2026-01-01..2027-06-01", "bad range '2026-01-01..2027-06-01': at most "
         "366 days"),
        ("easy_days", "funday", "bad weekday 'funday': use mon, tue, … sun (or full names)"),
        ("easy_day_share", "1", "expected a number from 0.0 to 0.9, got 1"),
    ):  # fmt: skip
        bad = run("config", "set", name, value)
        assert (bad.code, bad.err) == (2, f"error: {message}\n")
    assert run("config", "reset", "easy_days").out == "easy_days = none\n"
