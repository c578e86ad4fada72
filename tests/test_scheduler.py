"""The FSRS wrapper: golden intervals, Anki's day counting, seeded fuzz, button order, leeches."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prepcli.core.clock import StudyCalendar
from prepcli.core.loadbalance import DayLoads
from prepcli.core.models import CardState, Phase, Rating, ReviewKind, Settings
from prepcli.core.scheduler import Scheduler

UTC_DAYS = StudyCalendar(ZoneInfo("UTC"), 4)
PARIS_DAYS = StudyCalendar(ZoneInfo("Europe/Paris"), 4)


def test_golden_interval_sequence_without_steps_or_fuzz() -> None:
    scheduler = Scheduler(Settings(fuzz=False, learning_steps=(), relearning_steps=()), UTC_DAYS)
    state = CardState(key="g/c")
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    seen = []
    for rating in (3, 3, 3, 1, 3, 4):
        outcome = scheduler.answer(state, Rating(rating), moment)
        state = outcome.after
        seen.append(
            (
                round(state.stability or 0, 4),
                round(state.difficulty or 0, 4),
                outcome.scheduled_days,
            )
        )
        moment += timedelta(days=outcome.scheduled_days)
    assert seen == [
        (2.3065, 2.1181, 2.0),
        (10.9643, 2.1112, 11.0),
        (46.2802, 2.1043, 46.0),
        (2.9326, 7.39, 3.0),
        (7.7782, 7.3778, 8.0),
        (28.3865, 6.4868, 28.0),
    ]
    assert state.reps == 6 and state.lapses == 1


def test_learning_steps_then_graduation() -> None:
    scheduler = Scheduler(Settings(fuzz=False), UTC_DAYS)
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    outcomes = scheduler.outcomes(CardState(key="g/c"), moment)
    minutes = {
        r: round(o.scheduled_days * 1440, 2) for r, o in outcomes.items() if r != Rating.EASY
    }
    assert minutes == {Rating.AGAIN: 1.0, Rating.HARD: 5.5, Rating.GOOD: 10.0}
    assert outcomes[Rating.EASY].after.phase == Phase.REVIEW
    assert outcomes[Rating.EASY].scheduled_days == 8.0
    assert all(o.kind == ReviewKind.LEARN for o in outcomes.values())


def test_evening_then_morning_counts_as_the_next_study_day() -> None:
    """22:00 then 08:00 local: one study-day boundary crossed, as in Anki (S 7.32, 7 days)."""
    scheduler = Scheduler(Settings(fuzz=False), PARIS_DAYS)
    evening = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 22:00 in Paris
    state = scheduler.answer(CardState(key="d/x"), Rating.GOOD, evening).after
    state = scheduler.answer(state, Rating.GOOD, evening + timedelta(minutes=10)).after
    assert state.phase == Phase.REVIEW
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Paris, 10 hours later
    outcome = scheduler.answer(state, Rating.GOOD, morning)
    assert outcome.elapsed_days == 1.0
    assert round(outcome.after.stability or 0, 2) == 7.32
    assert outcome.scheduled_days == 7.0
    # Early: the card was due two days after the evening review.
    assert outcome.kind == ReviewKind.EARLY


def test_a_review_before_the_rollover_hour_belongs_to_the_previous_day() -> None:
    assert PARIS_DAYS.day(datetime(2026, 11, 24, 2, 59, tzinfo=UTC)) == PARIS_DAYS.day(
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    )  # 03:59 Paris is still the 23rd's study day
    assert PARIS_DAYS.day(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)) == PARIS_DAYS.day(
        datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    )


def test_fuzzed_preview_equals_the_interval_given() -> None:
    scheduler = Scheduler(Settings(fuzz=True, learning_steps=()), UTC_DAYS)
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    state = CardState(key="deck/fuzzy")
    for rating in (Rating.GOOD, Rating.GOOD, Rating.EASY, Rating.HARD):
        random.seed(99)  # the global stream must not matter
        preview = scheduler.outcomes(state, moment)[rating]
        random.random()
        given = scheduler.answer(state, rating, moment)
        assert given == preview
        state = given.after
        moment += timedelta(days=given.scheduled_days)


def test_hard_good_easy_are_ordered_a_day_apart() -> None:
    scheduler = Scheduler(Settings(fuzz=True), UTC_DAYS)
    rng = random.Random(7)
    base = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    for index in range(2000):
        stability = rng.uniform(0.1, 300)
        state = CardState(
            key=f"deck/c{index}", phase=Phase.REVIEW, stability=stability,
            difficulty=rng.uniform(1, 10), reps=rng.randint(1, 20),
            last_review_ms=int((base - timedelta(days=rng.uniform(0, stability * 2))).timestamp() * 1000),
            due_ms=int(base.timestamp() * 1000), due_day=UTC_DAYS.day(base),
        )  # fmt: skip
        days = {r: o.scheduled_days for r, o in scheduler.outcomes(state, base).items()}
        assert days[Rating.HARD] >= 1
        cap = scheduler.settings.maximum_interval  # the one bound that may squeeze them together
        assert days[Rating.GOOD] >= min(days[Rating.HARD] + 1, cap)
        assert days[Rating.EASY] >= min(days[Rating.GOOD] + 1, cap)
        assert max(days.values()) <= cap


def test_an_answer_computed_alone_equals_its_preview() -> None:
    """`answer` computes only the ratings its own can be ordered against: in every phase,
    with fuzz, with the load balancer, and at the maximum interval where the order is
    squeezed, it gives exactly what `outcomes` shows for that rating."""
    rng = random.Random(11)
    base = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    today = UTC_DAYS.day(base)
    schedulers = [
        Scheduler(Settings(fuzz=True), UTC_DAYS),
        Scheduler(Settings(fuzz=False, learning_steps=()), UTC_DAYS),
        Scheduler(Settings(fuzz=True, maximum_interval=30), UTC_DAYS),
    ]
    busy = DayLoads(today, {today + d: rng.randint(0, 40) for d in range(1, 400)})
    for index in range(300):
        phase = rng.choice(list(Phase))
        stability = rng.uniform(0.05, 200)
        state = (
            CardState(key=f"deck/c{index}")
            if phase == Phase.NEW
            else CardState(
                key=f"deck/c{index}", phase=phase, step=0 if phase != Phase.REVIEW else None,
                stability=stability, difficulty=rng.uniform(1, 10), reps=rng.randint(1, 20),
                last_review_ms=int((base - timedelta(days=rng.uniform(0, stability * 2))).timestamp() * 1000),
                due_ms=int(base.timestamp() * 1000), due_day=today,
            )
        )  # fmt: skip
        for scheduler in schedulers:
            for loads in (None, busy):
                shown = scheduler.outcomes(state, base, loads)
                for rating in Rating:
                    assert scheduler.answer(state, rating, base, loads) == shown[rating]


@pytest.mark.parametrize(
    ("lapses", "leech"), [(7, False), (8, True), (9, False), (11, False), (12, True), (16, True)]
)
def test_leech_rule_is_ankis(lapses: int, leech: bool) -> None:
    scheduler = Scheduler(Settings(fuzz=False), UTC_DAYS)
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    state = CardState(
        key="d/l", phase=Phase.REVIEW, stability=3.0, difficulty=8.0, reps=30, lapses=lapses - 1,
        last_review_ms=int((now - timedelta(days=3)).timestamp() * 1000),
        due_ms=int(now.timestamp() * 1000), due_day=UTC_DAYS.day(now),
    )  # fmt: skip
    after = scheduler.answer(state, Rating.AGAIN, now).after
    assert after.lapses == lapses
    assert after.leech is leech
    assert scheduler.answer(state._replace(leech=True), Rating.GOOD, now).after.leech


def test_clock_going_backwards_is_a_same_day_review() -> None:
    scheduler = Scheduler(Settings(fuzz=False), UTC_DAYS)
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    state = CardState(
        key="d/b", phase=Phase.REVIEW, stability=5.0, difficulty=5.0, reps=3,
        last_review_ms=int((now + timedelta(hours=5)).timestamp() * 1000),
        due_ms=int((now + timedelta(days=5)).timestamp() * 1000), due_day=UTC_DAYS.day(now) + 5,
    )  # fmt: skip
    outcome = scheduler.answer(state, Rating.GOOD, now)
    assert outcome.elapsed_days == 0.0
    assert outcome.after.stability is not None and outcome.after.stability >= 5.0


def test_retrievability_uses_fractional_days() -> None:
    scheduler = Scheduler(Settings(), UTC_DAYS)
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    state = CardState(
        key="d/r", phase=Phase.REVIEW, stability=10.0, difficulty=5.0,
        last_review_ms=int((now - timedelta(days=10)).timestamp() * 1000),
    )  # fmt: skip
    assert scheduler.retrievability(state, now) == pytest.approx(0.9, abs=1e-9)
    half_day = state._replace(last_review_ms=int((now - timedelta(hours=12)).timestamp() * 1000))
    r = scheduler.retrievability(half_day, now)
    assert r is not None and 0.99 < r < 1.0
    assert scheduler.retrievability(CardState(key="d/new"), now) is None
