"""The interview-date planner: its invariants, its effect on the queue, and the simulator."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.core.interview import InterviewPolicy, plan_early_reviews
from prepcli.core.models import CardState, Phase
from tests.conftest import DATA, Result, rows

Run = Callable[..., Result]
TODAY = 740_000


def random_states(seed: int, count: int = 400) -> list[CardState]:
    rng = random.Random(seed)
    states = []
    for index in range(count):
        phase = rng.choice([Phase.REVIEW] * 6 + [Phase.LEARNING, Phase.RELEARNING, Phase.NEW])
        stability = rng.uniform(0.5, 90)
        states.append(
            CardState(
                key=f"d/c{index}",
                phase=phase,
                stability=None if phase == Phase.NEW else stability,
                difficulty=None if phase == Phase.NEW else rng.uniform(1, 10),
                due_day=None if phase == Phase.NEW else TODAY + rng.randint(-3, 60),
                suspended=rng.random() < 0.05,
            )
        )
    return states


def recall_by_stability(state: CardState) -> float:
    """A stand-in recall at the interview: low stability, low recall."""
    return min(0.999, (state.stability or 0) / 40)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("lead", [0, 1])
def test_planner_invariants(seed: int, lead: int) -> None:
    states = random_states(seed)
    rng = random.Random(seed)
    policy = InterviewPolicy(
        interview_day=TODAY + rng.randint(1, 30),
        target=0.95,
        capacity=rng.randint(5, 60),
        lead=lead,
    )
    plan = plan_early_reviews(states, policy, TODAY, recall_by_stability)
    by_key = {s.key: s for s in states}
    for key, day in plan.planned_day.items():
        state = by_key[key]
        assert state.due_day is not None and day < state.due_day  # only ever earlier
        assert TODAY <= day <= policy.interview_day - lead  # never on the day unless asked
        assert not state.suspended and state.phase == Phase.REVIEW
        assert recall_by_stability(state) < policy.target
    normal = Counter(
        max(TODAY, s.due_day)
        for s in states
        if not s.suspended and s.due_day is not None and s.phase != Phase.NEW
        and s.due_day <= policy.last_session_day
    )  # fmt: skip
    for day, count in Counter(plan.planned_day.values()).items():
        assert count + normal[day] <= policy.capacity  # never above the daily capacity
    below = {
        s.key for s in states
        if s.phase == Phase.REVIEW and not s.suspended and (s.due_day or 0) > policy.last_session_day
        and recall_by_stability(s) < policy.target
    }  # fmt: skip
    assert set(plan.planned_day) | set(plan.at_risk) == below  # each placed or reported
    assert not set(plan.planned_day) & set(plan.at_risk)


def test_least_stable_cards_go_latest() -> None:
    states = [
        CardState(key=f"d/c{s}", phase=Phase.REVIEW, stability=float(s), due_day=TODAY + 90)
        for s in range(1, 11)
    ]
    policy = InterviewPolicy(interview_day=TODAY + 6, target=0.95, capacity=2, headroom=0.0)
    plan = plan_early_reviews(states, policy, TODAY, recall_by_stability)
    days = [plan.planned_day[f"d/c{s}"] for s in range(1, 11)]
    assert days == sorted(days, reverse=True)
    assert days[:2] == [TODAY + 5, TODAY + 5]  # the eve holds the two least stable cards


def test_headroom_keeps_part_of_each_day_free() -> None:
    states = [
        CardState(key=f"d/c{i}", phase=Phase.REVIEW, stability=1.0, due_day=TODAY + 50)
        for i in range(20)
    ]
    policy = InterviewPolicy(interview_day=TODAY + 3, capacity=10, headroom=0.2)
    plan = plan_early_reviews(states, policy, TODAY, recall_by_stability)
    assert Counter(plan.planned_day.values()) == {TODAY + 2: 8, TODAY + 1: 8, TODAY: 4}
    assert plan.at_risk == ()


def test_nothing_after_the_last_session_and_at_risk_when_full() -> None:
    states = [
        CardState(key=f"d/c{i}", phase=Phase.REVIEW, stability=1.0, due_day=TODAY + 50)
        for i in range(5)
    ]
    after = InterviewPolicy(interview_day=TODAY, lead=1)
    assert plan_early_reviews(states, after, TODAY, recall_by_stability).planned_day == {}
    full = InterviewPolicy(interview_day=TODAY + 2, capacity=2, lead=1, headroom=0.0)
    plan = plan_early_reviews(states, full, TODAY, recall_by_stability)
    assert len(plan.planned_day) == 4 and len(plan.at_risk) == 1


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
    assert outlook["days_left"] == 1 and outlook["early_today"] >= 1
    assert summary["plan"]["new_cards_stopped"] is True  # the last days are for reviews
    assert "No new cards now" in run("plan").out
    assert json.loads(run("plan", "--json").out)["readiness"]["mean_recall"] > 0.9
    nxt = json.loads(run("next", "--json").out)
    assert nxt["card"] is not None
    # Planning changed no card's state: due days, stability and difficulty are as FSRS left them.
    assert (
        rows(db_path, "SELECT key, due_day, stability, difficulty FROM card ORDER BY key")
        == due_days
    )
    assert run("answer", nxt["card"], "good").code == 0
    assert rows(db_path, "SELECT kind, reason FROM review ORDER BY id DESC LIMIT 1") == [
        (3, "interview")
    ]
    # On the interview day itself (lead 1) nothing is brought forward.
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-02T09:00:00+01:00")
    assert json.loads(run("today", "--json").out)["interview"]["early_today"] == 0
    # After the interview, the normal schedule simply continues.
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-03T09:00:00+01:00")
    assert json.loads(run("today", "--json").out)["interview"] is None


def test_simulation_is_reproducible_and_the_planner_pays(run: Run) -> None:
    args = ("simulate", "--cards", "100", "--new-per-day", "10", "--interview-day", "20",
            "--cap", "40", "--seeds", "1", "--json")  # fmt: skip
    first = run(*args)
    assert first.code == 0, first.err
    assert run(*args).out == first.out
    results = {r["policy"]: r for r in json.loads(first.out)["policies"]}
    plain, high, planner = (results[k] for k in ("FSRS DR 0.90", "FSRS DR 0.95", "planner R*=0.95"))
    assert planner["mean_recall"] > high["mean_recall"] > plain["mean_recall"]
    assert planner["reviews"] < high["reviews"]
    assert planner["busiest_review_day"] <= 40 and planner["unreviewed"] == 0


def test_simulation_rejects_bad_learner_parameters(run: Run, tmp_path: Path) -> None:
    assert run("simulate", "--learner-params", "[1, 2]").code == 2
    assert run("simulate", "--learner-params", str(tmp_path / "missing.json")).code == 2
    out_of_bounds = json.dumps([500.0] + [1.0] * 20)
    bad = run("simulate", "--seeds", "1", "--cards", "10", "--learner-params", out_of_bounds)
    assert bad.code == 2 and "--learner-params" in bad.err
    assert run("simulate", "--cap", "0").code == 2
