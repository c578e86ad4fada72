"""The planner's value model: FSRS-6's memory update in closed form, checked against fsrs
itself (through prepcli's scheduler), and the recall on the day it predicts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from prepcli.app.simulate import faster_forgetting
from prepcli.core.clock import StudyCalendar, to_ms
from prepcli.core.deadline import Memory, MemoryModel
from prepcli.core.models import CardState, Phase, Rating, Settings
from prepcli.core.scheduler import Scheduler

CALENDAR = StudyCalendar(UTC, 4)
BASE = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize("faster", [False, True])
def test_the_model_matches_fsrs_on_a_pass_and_a_lapse(faster: bool) -> None:
    """Random review states and gaps (same day included): a Good answer, and an Again
    followed by the relearning step passed ten minutes later, as fsrs computes them."""
    parameters = faster_forgetting(Scheduler.default_parameters()) if faster else None
    scheduler = Scheduler(Settings(fuzz=False, timezone="UTC"), CALENDAR, parameters)
    model = MemoryModel(scheduler.parameters, relearning_steps=1)
    rng = random.Random(7)
    for index in range(500):
        stability, difficulty = rng.uniform(0.05, 300), rng.uniform(1, 10)
        state = CardState(
            key=f"k{index}", phase=Phase.REVIEW, stability=stability, difficulty=difficulty,
            due_ms=to_ms(BASE), due_day=CALENDAR.day(BASE), last_review_ms=to_ms(BASE), reps=3,
        )  # fmt: skip
        moment = BASE + timedelta(days=rng.randint(0, 90), hours=rng.uniform(0, 12))
        elapsed = CALENDAR.day(moment) - CALENDAR.day(BASE)
        passed = scheduler.project(state, Rating.GOOD, moment)
        lapsed = scheduler.project(state, Rating.AGAIN, moment)
        relearned = scheduler.project(lapsed, Rating.GOOD, moment + timedelta(minutes=10))
        assert model.passed(stability, difficulty, elapsed) == pytest.approx(
            (passed.stability, passed.difficulty), rel=1e-9
        )
        assert model.lapsed(stability, difficulty, elapsed) == pytest.approx(
            (relearned.stability, relearned.difficulty), rel=1e-9
        )


def test_without_relearning_steps_a_lapse_is_the_forget_stability() -> None:
    scheduler = Scheduler(Settings(fuzz=False, relearning_steps=()), CALENDAR)
    model = MemoryModel(scheduler.parameters, relearning_steps=0)
    state = CardState(
        key="k", phase=Phase.REVIEW, stability=20.0, difficulty=6.0,
        due_ms=to_ms(BASE), due_day=CALENDAR.day(BASE), last_review_ms=to_ms(BASE), reps=3,
    )  # fmt: skip
    after = scheduler.project(state, Rating.AGAIN, BASE + timedelta(days=30))
    assert model.lapsed(20.0, 6.0, 30) == pytest.approx((after.stability, after.difficulty))


def test_expected_recall_weighs_both_outcomes_of_each_review() -> None:
    model = MemoryModel()
    card = Memory("d/c", stability=5.0, difficulty=6.0, last_day=100, days_to_interview=20.0)
    interview = 120
    assert model.expected_recall(card, (), interview) == pytest.approx(model.recall(5.0, 20))
    p = model.recall(5.0, 15)
    passed, _ = model.passed(5.0, 6.0, 15)
    lapsed, _ = model.lapsed(5.0, 6.0, 15)
    by_hand = p * model.recall(passed, 5) + (1 - p) * model.recall(lapsed, 5)
    assert model.expected_recall(card, (115,), interview) == pytest.approx(by_hand)
    # A review nearer the interview buys more recall on the day, and two buy more than one.
    one = [model.expected_recall(card, (day,), interview) for day in range(101, 120)]
    assert one == sorted(one)
    assert model.expected_recall(card, (108, 119), interview) > one[-1]


def test_a_wrong_number_of_parameters_is_refused() -> None:
    with pytest.raises(ValueError, match="21"):
        MemoryModel((0.1,) * 20)
