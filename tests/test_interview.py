"""The interview-date planner: its invariants, and its effect on the queue and the log."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prepcli.app.study import Locations, Study
from prepcli.core import interview as interview_mod
from prepcli.core.clock import now
from prepcli.core.deadline import Memory, MemoryModel
from prepcli.core.interview import (
    AT_RISK_BELOW,
    REASON_EXTRA,
    REASON_FINAL,
    REASON_KEEP,
    REASONS,
    InterviewPlan,
    InterviewPolicy,
    plan_interview,
    with_outcomes,
)
from prepcli.storage import sqlitefile
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
TODAY = 740_000
MODEL = MemoryModel()


def random_cards(seed: int, count: int = 400) -> list[Memory]:
    """Review cards reviewed 1–60 days ago, stabilities from hours to months."""
    rng = random.Random(seed)
    cards = []
    for index in range(count):
        last_day = TODAY - rng.randint(1, 60)
        cards.append(
            Memory(
                key=f"d/c{index:03d}",
                stability=rng.choice([rng.uniform(0.3, 5), rng.uniform(5, 200)]),
                difficulty=rng.uniform(1, 10),
                last_day=last_day,
                days_to_interview=0.0,  # set per policy below
            )
        )
    return cards


def at_interview(cards: list[Memory], interview_day: int) -> list[Memory]:
    """The cards with their time to the interview (sessions and interview both at 09:00)."""
    return [
        Memory(c.key, c.stability, c.difficulty, c.last_day, float(interview_day - c.last_day))
        for c in cards
    ]


@pytest.mark.parametrize("seed", range(12))
def test_planner_invariants(seed: int) -> None:
    rng = random.Random(seed)
    lead = rng.choice([0, 1])
    policy = InterviewPolicy(
        interview_day=TODAY + rng.randint(1, 30),
        capacity=rng.randint(5, 80),
        lead=lead,
        price=rng.choice([0.005, 0.016, 0.04]),
        retention=rng.choice([0.8, 0.85, 0.9]),
        headroom=rng.choice([0.0, 0.2, 0.4]),
    )
    cards = at_interview(random_cards(seed), policy.interview_day)
    by_key = {c.key: c for c in cards}
    plan = plan_interview(cards, policy, TODAY, MODEL)
    last = policy.last_session_day
    # Every day's choice fits the capacity, relearning steps of expected lapses included.
    assert len(plan.today) <= policy.capacity
    expected = sum(
        1 + (1 - MODEL.pass_chance(by_key[key], TODAY)) for key in plan.today
    )  # one relearning step by default
    assert expected <= policy.capacity
    for key, reason in plan.today.items():
        assert reason in REASONS
        chance = MODEL.pass_chance(by_key[key], TODAY)
        if reason == REASON_KEEP:
            assert chance <= policy.retention
        if reason == REASON_EXTRA:
            assert policy.final_week_start <= TODAY and chance > policy.retention
        if reason == REASON_FINAL:
            assert plan.final_day[key] == TODAY
    # Last review days lie between today and the last session, least stable latest.
    assert all(TODAY <= day <= last for day in plan.final_day.values())
    finals = sorted(plan.final_day.items(), key=lambda item: by_key[item[0]].stability)
    days = [day for _key, day in finals]
    assert days == sorted(days, reverse=True)
    for count in Counter(plan.final_day.values()).values():
        assert count <= policy.capacity * (1 - policy.headroom)
    # Every final review is worth its price where it is placed.
    for key, day in plan.final_day.items():
        card = by_key[key]
        gain = MODEL.expected_recall(card, (day,), policy.interview_day) - MODEL.expected_recall(
            card, (), policy.interview_day
        )
        assert gain >= policy.price
    # At risk: below 90% on the day, neither planned nor shown today.
    for key in plan.at_risk:
        assert key not in plan.final_day and key not in plan.today
        assert MODEL.expected_recall(by_key[key], (), policy.interview_day) < AT_RISK_BELOW
    # Each planned card's outcomes: recall on the day with its planned reviews, and without.
    assert plan.outcomes == {}  # worked out on demand (the simulator plans without them)
    outcomes = with_outcomes(plan, cards, policy, MODEL).outcomes
    assert outcomes.keys() == plan.today.keys() | plan.final_day.keys()
    for key, outcome in outcomes.items():
        final = plan.final_day.get(key, TODAY)
        reviews = [TODAY] * (key in plan.today) + [final] * (final > TODAY)
        assert outcome == (
            MODEL.expected_recall(by_key[key], reviews, policy.interview_day),
            MODEL.expected_recall(by_key[key], (), policy.interview_day),
        )


def test_a_card_reviewed_today_has_no_review_today_in_its_outcome() -> None:
    """As `prepcli plan`'s forecast counts a card answered today (app/forecast.py)."""
    policy = InterviewPolicy(interview_day=TODAY + 1, price=0.0)
    fresh = Memory("d/today", 0.5, 5.0, TODAY, 1.0)  # reviewed this morning
    plan = with_outcomes(plan_interview([fresh], policy, TODAY, MODEL), [fresh], policy, MODEL)
    assert plan.final_day == {"d/today": TODAY}  # a same-day review still lifts it
    without = MODEL.expected_recall(fresh, (), policy.interview_day)
    assert MODEL.expected_recall(fresh, (TODAY,), policy.interview_day) > without
    assert plan.outcomes == {"d/today": (without, without)}


def test_least_stable_cards_go_latest_and_the_eve_is_not_overfilled() -> None:
    cards = at_interview(
        [Memory(f"d/c{s:02d}", float(s), 5.0, TODAY - 40, 0.0) for s in range(1, 31)],
        TODAY + 6,
    )
    policy = InterviewPolicy(TODAY + 6, capacity=10, headroom=0.0, price=0.001)
    plan = plan_interview(cards, policy, TODAY, MODEL)
    days = [plan.final_day[f"d/c{s:02d}"] for s in range(1, 31) if f"d/c{s:02d}" in plan.final_day]
    assert days == sorted(days, reverse=True)
    assert days[0] == TODAY + 5  # the least stable card's last review is on the eve
    per_day = Counter(plan.final_day.values())
    # A day holds what fits: each review, the relearning step and the review again of its
    # expected lapse (cards long unreviewed lapse often, so fewer than ten a day).
    assert all(count < 10 for count in per_day.values())
    assert set(per_day) == set(range(min(per_day), TODAY + 6))  # back from the eve, no gap


def test_last_reviews_spread_over_the_final_week_when_capacity_allows() -> None:
    """With room to spare, the last reviews are not packed into the last two days: they
    are spread over the final week, the least stable still latest."""
    rng = random.Random(3)
    interview = TODAY + 10
    cards = at_interview(
        [
            Memory(f"d/c{i:03d}", rng.uniform(2, 30), 5.0, TODAY - rng.randint(3, 20), 0.0)
            for i in range(300)
        ],
        interview,
    )
    for capacity in (200, 400):
        policy = InterviewPolicy(interview, capacity=capacity)
        plan = plan_interview(cards, policy, TODAY, MODEL)
        per_day = Counter(plan.final_day.values())
        assert set(per_day) == set(range(policy.final_week_start, policy.last_session_day + 1))
        assert max(per_day.values()) <= 2 * min(per_day.values())
        assert len(plan.final_day) == len(cards)


def test_a_card_without_room_leaves_no_day_empty() -> None:
    """More cards than room: the stable ones go without, and only after every day from
    today to the eve has been filled (a card that cannot be placed never pushes out one
    that fits)."""
    cards = at_interview(
        [Memory(f"d/c{i:03d}", 1.0 + i / 10, 5.0, TODAY - 30, 0.0) for i in range(200)],
        TODAY + 4,
    )
    policy = InterviewPolicy(TODAY + 4, capacity=20, headroom=0.2)
    plan = plan_interview(cards, policy, TODAY, MODEL)
    assert plan.at_risk  # not every card fits
    per_day = Counter(plan.final_day.values())
    assert set(per_day) == {TODAY, TODAY + 1, TODAY + 2, TODAY + 3}
    # The least stable cards are planned, the most stable reported.
    planned = {c.key for c in cards[: len(plan.final_day)]}
    assert planned == set(plan.final_day)
    assert set(plan.at_risk) <= {c.key for c in cards[len(plan.final_day) :]}


def test_a_fresh_card_is_held_back_and_a_faded_one_kept() -> None:
    """Weeks before the interview: a card still near 99% is not shown even if FSRS has it
    due; one that fell to the planner's retention is, as a keep review (at a low price:
    with only two cards both last reviews fall on the eve, which makes a keep review
    worth little)."""
    interview = TODAY + 30
    fresh = Memory("d/fresh", 40.0, 5.0, TODAY - 3, float(interview - TODAY + 3))
    faded = Memory("d/faded", 3.0, 5.0, TODAY - 8, float(interview - TODAY + 8))
    policy = InterviewPolicy(interview, capacity=50, price=0.001)
    plan = plan_interview([fresh, faded], policy, TODAY, MODEL)
    assert MODEL.pass_chance(faded, TODAY) <= policy.retention
    assert plan.today == {"d/faded": REASON_KEEP}


def test_nothing_after_the_last_session() -> None:
    cards = at_interview([Memory("d/c", 1.0, 5.0, TODAY - 5, 0.0)], TODAY)
    assert plan_interview(cards, InterviewPolicy(TODAY, lead=1), TODAY, MODEL).today == {}
    morning = plan_interview(cards, InterviewPolicy(TODAY, lead=0), TODAY, MODEL)
    assert morning.today == {"d/c": REASON_FINAL}  # lead 0: a session on the morning itself


def _learned_deck_history(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Learn the sample cards three weeks before 'today' so they are due long after."""
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-02T09:00:00+01:00")
    for key in (
        "sample.basics/attention-scaling",
        "sample.basics/kv-cache",
        "sample.coding/add-two",
    ):
        assert run("answer", key, "easy").code == 0
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-10T09:00:00+01:00")
    for key in (
        "sample.basics/attention-scaling",
        "sample.basics/kv-cache",
        "sample.coding/add-two",
    ):
        assert run("answer", key, "good").code == 0


@pytest.mark.usefixtures("sample_decks")
def test_without_an_interview_date_nothing_moves(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    _learned_deck_history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-30T09:00:00+01:00")
    run("plan", "start", "--plan", "mini", "--start", "2026-11-02")
    assert json.loads(run("next", "--json").out)["card"] != "sample.basics/attention-scaling"
    assert json.loads(run("today", "--json").out)["interview"] is None


@pytest.mark.usefixtures("sample_decks")
def test_the_eve_brings_weak_cards_forward_and_logs_them(
    run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    _learned_deck_history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    due_days = rows(db_path, "SELECT key, due_day, stability, difficulty FROM card ORDER BY key")
    run("plan", "start", "--plan", "mini", "--start", "2026-11-02", "--interview", "2026-12-02")
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-01T09:00:00+01:00")  # the eve
    summary = json.loads(run("today", "--json").out)
    outlook = summary["interview"]
    assert outlook["days_left"] == 1 and outlook["early_today"] == 3
    assert outlook["reviews_today"] == summary["due_reviews"] == 3
    assert summary["plan"]["new_cards_stopped"] is True  # the last days are for reviews
    assert "No new cards now" in run("plan").out
    readiness = json.loads(run("plan", "--json").out)["readiness"]
    assert readiness["mean_recall"] > readiness["if_stopped_now"]
    nxt = json.loads(run("next", "--json").out)
    assert nxt["card"] is not None
    # Planning changed no card's state: due days, stability and difficulty are as FSRS left them.
    assert (
        rows(db_path, "SELECT key, due_day, stability, difficulty FROM card ORDER BY key")
        == due_days
    )
    assert run("answer", nxt["card"], "good").code == 0
    assert rows(db_path, "SELECT kind, reason FROM review ORDER BY id DESC LIMIT 1") == [
        (3, REASON_FINAL)  # early (Anki's code 3), the card's last review before the day
    ]
    assert json.loads(run("today", "--json").out)["interview"]["reviews_today"] == 2
    # On the interview day itself (lead 1) nothing is brought forward.
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-02T09:00:00+01:00")
    assert json.loads(run("today", "--json").out)["interview"]["early_today"] == 0
    # After the interview, the normal schedule simply continues.
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-03T09:00:00+01:00")
    assert json.loads(run("today", "--json").out)["interview"] is None


@pytest.mark.usefixtures("sample_decks")
def test_a_due_card_worth_little_is_held_back_until_the_planner_wants_it(
    run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    """With FSRS at 97% retention a card is due long before its recall matters: weeks
    before the interview the planner holds it back (its recall is far above the planner's
    retention); without an interview date the same card is due as FSRS says."""
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    assert run("config", "set", "desired_retention", "0.97").code == 0
    key = "sample.basics/kv-cache"
    assert run("answer", key, "good").code == 0
    assert run("answer", key, "good").code == 0  # 10 minutes later: graduates
    (due_day,) = rows(db_path, "SELECT due_day FROM card WHERE key = ?", key)[0]
    run("plan", "start", "--plan", "mini", "--start", "2026-11-23")
    from datetime import date

    on_due = date.fromordinal(int(str(due_day))).isoformat()
    monkeypatch.setenv("PREPCLI_NOW", f"{on_due}T09:00:00+01:00")
    assert json.loads(run("today", "--json").out)["due_reviews"] >= 1  # FSRS: due today
    assert run("plan", "interview", "2027-01-20").code == 0
    summary = json.loads(run("today", "--json").out)
    assert summary["due_reviews"] == 0 and summary["interview"]["held_back"] == 1
    assert json.loads(run("next", "--json").out)["card"] != key


@pytest.mark.usefixtures("sample_decks")
def test_the_day_plan_holds_while_the_day_is_answered(
    run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    """The plan is made from the cards as the day began: answering today's cards (and
    lapsing one) leaves the rest of today's choice as it was."""
    _learned_deck_history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    run("plan", "start", "--plan", "mini", "--start", "2026-11-02", "--interview", "2026-12-02")
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-01T09:00:00+01:00")
    first = json.loads(run("next", "--json").out)["card"]
    assert run("answer", first, "again").code == 0
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-01T09:20:00+01:00")
    assert run("answer", first, "good").code == 0  # relearned: a review card again
    shown = []
    for _ in range(3):
        key = json.loads(run("next", "--json").out)["card"]
        if key is None:
            break
        shown.append(key)
        assert run("answer", key, "good").code == 0
    assert first not in shown and len(shown) == 2  # the other two, once each
    reasons = rows(
        db_path,
        "SELECT reason FROM review WHERE study_day = (SELECT max(study_day) FROM review) ORDER BY id",
    )
    assert reasons == [(REASON_FINAL,), (None,), (REASON_FINAL,), (REASON_FINAL,)]


def _study(tmp_path: Path, db_path: Path, cache: bool = True) -> Study:
    where = Locations(
        db=db_path,
        deck_roots=(SAMPLE_DECKS,),
        cache_dir=tmp_path / "cache",
        plan_dirs=(DATA / "plans",),
    )
    study = Study.open(where, now())
    if not cache:
        study.cache_dir = None
    return study


def _eve_with_history(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    _learned_deck_history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    run("plan", "start", "--plan", "mini", "--start", "2026-11-02", "--interview", "2026-12-02")
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-01T09:00:00+01:00")


@pytest.mark.usefixtures("sample_decks")
def test_the_plan_is_made_from_the_cards_as_the_day_began(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path
) -> None:
    """Worked out afresh (no cache) after some of the day's cards were answered, one of
    them lapsed and relearned, the plan is the morning's: the log's before-states stand
    in for the cards answered since the day began."""
    _eve_with_history(run, monkeypatch)
    morning = _study(tmp_path, db_path, cache=False)
    before = morning.interview.plan()
    morning.close()
    assert len(before.today) == 3
    first, second, _third = sorted(before.today)
    assert run("answer", first, "again").code == 0
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-01T09:20:00+01:00")
    assert run("answer", first, "good").code == 0
    assert run("answer", second, "good").code == 0
    later = _study(tmp_path, db_path, cache=False)
    try:
        assert later.interview.plan() == before
    finally:
        later.close()


@pytest.mark.usefixtures("sample_decks")
def test_the_days_plan_is_kept_until_something_it_depends_on_changes(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path
) -> None:
    _eve_with_history(run, monkeypatch)
    made: list[int] = []
    original = interview_mod.plan_interview

    def counting(*args: Any, **kwargs: Any) -> InterviewPlan:
        made.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(interview_mod, "plan_interview", counting)

    def plan() -> InterviewPlan:
        study = _study(tmp_path, db_path)
        try:
            return study.interview.plan()
        finally:
            study.close()

    first = plan()
    assert len(made) == 1 and plan() == first and len(made) == 1  # read back
    key = sorted(first.today)[0]
    assert run("answer", key, "good").code == 0
    assert plan() == first and len(made) == 1  # an answer changes nothing it depends on
    assert run("card", "suspend", sorted(first.today)[1]).code == 0
    suspended = plan()
    assert len(made) == 2 and len(suspended.today) == 2  # a suspended card drops out
    assert run("config", "set", "interview_capacity", "1").code == 0
    assert plan().today == {} and len(made) == 3  # a setting changed: worked out again


@pytest.mark.usefixtures("sample_decks")
def test_plan_and_stats_do_without_sqlites_math_functions(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some SQLite builds leave pow() out (Python's on Windows, SQLite before 3.35): then
    prepcli brings Python's, and `plan` and `stats` show the same figures."""
    _learned_deck_history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    run("plan", "start", "--plan", "mini", "--start", "2026-11-02", "--interview", "2026-12-02")
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-25T09:00:00+01:00")
    with_sqlites = [run(*command).out for command in (("plan", "--json"), ("stats", "--json"))]
    calls = []
    pythons_pow = sqlitefile.sql_pow

    def counted_pow(base: float | None, exponent: float | None) -> float | None:
        calls.append(base)
        return pythons_pow(base, exponent)

    monkeypatch.setattr(sqlitefile, "has_pow", lambda connection: False)
    monkeypatch.setattr(sqlitefile, "sql_pow", counted_pow)
    with_pythons = [run(*command).out for command in (("plan", "--json"), ("stats", "--json"))]
    assert calls  # Python's pow did the work
    assert with_pythons == with_sqlites
    assert json.loads(with_pythons[0])["readiness"]["mean_recall"] is not None


def test_pow_for_sql_is_sqlites() -> None:
    connection = sqlite3.connect(":memory:")
    if not sqlitefile.has_pow(connection):
        pytest.skip("this SQLite has no math functions to compare with")
    rng = random.Random(3)
    for _ in range(2000):
        base, exponent = rng.uniform(1, 50), rng.uniform(-3, 3)
        (found,) = connection.execute("SELECT pow(?, ?)", (base, exponent)).fetchone()
        assert sqlitefile.sql_pow(base, exponent) == found  # the same C pow()
    assert sqlitefile.sql_pow(None, 2.0) is None and sqlitefile.sql_pow(-8.0, 0.5) is None


@pytest.mark.usefixtures("sample_decks")
def test_the_forecast_counts_studied_cards_and_leaves_suspended_ones_out(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _learned_deck_history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    run("plan", "start", "--plan", "mini", "--start", "2026-11-02", "--interview", "2026-12-02")
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-25T09:00:00+01:00")

    def counted() -> tuple[int, int, int]:
        readiness = json.loads(run("plan", "--json").out)["readiness"]
        return readiness["studied"], readiness["unstudied"], len(readiness["per_deck"])

    assert counted() == (3, 1, 2)  # conflict-story is still new
    assert run("card", "suspend", "sample.coding/add-two").code == 0
    assert counted() == (2, 1, 1)  # a suspended card is neither studied nor to learn
    assert run("card", "suspend", "sample.basics/conflict-story").code == 0
    assert counted() == (2, 0, 1)
    assert run("answer", "sample.basics/kv-cache", "again").code == 0  # back to relearning
    assert counted() == (2, 0, 1)  # still counted, as a card the planner takes up again
