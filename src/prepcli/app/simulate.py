"""A simulated learner studying under each scheduling policy, to judge the interview planner.

The simulation drives the real scheduling code — `Scheduler.answer`, `agenda.build_agenda`
and `interview.plan_early_reviews` — on synthetic cards; only the learner is simulated.
The learner's true memory is a second FSRS model (by default FSRS-6's default
parameters, which is also what the scheduler assumes) and each answer is recalled with
that model's probability, drawn from a seeded generator, so every run is reproducible.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from prepcli.core.agenda import DayProgress, build_agenda
from prepcli.core.clock import StudyCalendar, from_ms, to_ms
from prepcli.core.interview import InterviewPolicy, plan_early_reviews
from prepcli.core.models import CardState, Phase, Rating, Settings
from prepcli.core.scheduler import Scheduler

ANSWER_SECONDS = 15  # time one answer takes in simulated time
SESSION_HOUR = 5  # sessions start five hours after rollover (09:00 with the default 04:00)
START = date(2026, 1, 5)


@dataclass(frozen=True)
class Scenario:
    """Research fsrs.md §6.5: 600 cards, 30 new a day for 20 days, interview on day 42."""

    cards: int = 600
    new_per_day: int = 30
    interview_day: int = 42  # days after the first study day
    capacity: int = 120  # review-card answers a day (learning steps are not capped)
    seeds: int = 5
    seed: int = 0


@dataclass(frozen=True)
class Policy:
    name: str
    desired_retention: float
    planner_target: float | None = None  # None: ignore the interview date


METRICS = (
    "mean_recall",
    "share_at_90",
    "reviews",
    "largest_day",
    "last_day",
    "unreviewed",
    "busiest_review_day",
    "at_risk",
)


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    mean_recall: float  # expected share recalled on the interview morning
    share_at_90: float  # share of cards with true recall ≥ 0.9 then
    reviews: float  # answers of every kind, mean over seeds
    largest_day: float
    last_day: float  # answers on the eve of the interview
    unreviewed: float  # cards due by the eve but never reached
    busiest_review_day: float  # most review-card answers in a day (what the cap limits)
    at_risk: float  # cards below the target the planner found no room for on the eve
    seeds: tuple[dict[str, float], ...] = field(default_factory=tuple)


def default_policies(retention: float, high_retention: float, target: float) -> list[Policy]:
    return [
        Policy(f"FSRS DR {retention:.2f}", retention),
        Policy(f"FSRS DR {high_retention:.2f}", high_retention),
        Policy(f"planner R*={target:.2f}", retention, target),
    ]


def faster_forgetting(parameters: Sequence[float]) -> tuple[float, ...]:
    """A learner who forgets faster than FSRS-6's defaults: half the initial stabilities and
    a smaller stability gain per successful review."""
    changed = list(parameters)
    for index in range(4):
        changed[index] *= 0.5
    changed[8] = max(0.0, changed[8] - 0.4)
    return tuple(changed)


def run(
    scenario: Scenario,
    policies: Sequence[Policy],
    learner_parameters: Sequence[float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[PolicyResult]:
    total = len(policies) * scenario.seeds
    done = 0
    results = []
    for policy in policies:
        per_seed = []
        for index in range(scenario.seeds):
            per_seed.append(_one_run(scenario, policy, learner_parameters, scenario.seed + index))
            done += 1
            if progress is not None:
                progress(done, total)
        results.append(
            PolicyResult(
                policy=policy.name,
                seeds=tuple(per_seed),
                **{key: statistics.fmean(run[key] for run in per_seed) for key in METRICS},
            )
        )
    return results


def _one_run(
    scenario: Scenario, policy: Policy, learner_parameters: Sequence[float] | None, seed: int
) -> dict[str, float]:
    calendar = StudyCalendar(UTC, 4)
    settings = Settings(desired_retention=policy.desired_retention, timezone="UTC")
    scheduler = Scheduler(settings, calendar)
    learner = Scheduler(
        replace(settings, fuzz=False), calendar, tuple(learner_parameters or ()) or None
    )
    rng = random.Random(seed)
    first_day = START.toordinal()
    interview_day = first_day + scenario.interview_day
    planner = (
        None
        if policy.planner_target is None
        else InterviewPolicy(interview_day, policy.planner_target, scenario.capacity, lead=1)
    )
    interview_moment = calendar.day_start(interview_day) + timedelta(hours=SESSION_HOUR)
    cards = [f"sim/c{i:04d}" for i in range(scenario.cards)]
    states: dict[str, CardState] = {}
    truth: dict[str, CardState] = {}
    answers_per_day: list[int] = []
    reviews_per_day: list[int] = []
    at_risk = 0
    last_session = interview_day - 1
    unreviewed = 0
    for today in range(first_day, interview_day):
        early: set[str] = set()
        if planner is not None:
            plan = plan_early_reviews(
                states.values(),
                planner,
                today,
                lambda s: scheduler.recall_at(s, interview_moment),
                lambda s, day: scheduler.project(s, Rating.GOOD, _morning(calendar, day)),
            )
            early = plan.due_today(today)
            at_risk = len(plan.at_risk)
        now = calendar.day_start(today) + timedelta(hours=SESSION_HOUR)
        day_start_ms = to_ms(calendar.day_start(today))
        day_end_ms = to_ms(calendar.day_start(today + 1))
        answers = new = reviewed = 0
        while True:
            agenda = build_agenda(
                cards,
                states,
                now_ms=to_ms(now),
                today=today,
                day_start_ms=day_start_ms,
                day_end_ms=day_end_ms,
                progress=DayProgress(answers, new, reviewed),
                new_per_day=scenario.new_per_day,
                reviews_per_day=scenario.capacity,
                early=early,
            )
            key = agenda.next_card(to_ms(now))
            if key is None:
                if not agenda.learning_later:
                    if today == last_session:
                        unreviewed = len(agenda.reviews) + max(
                            0, agenda.reviews_due_total - scenario.capacity
                        )
                    break
                now = max(now, _as_instant(agenda.learning_later[0].due_ms))
                continue
            state = states.get(key) or CardState(key=key)
            true_state = truth.get(key) or CardState(key=key)
            if state.phase == Phase.NEW:
                rating = Rating.GOOD  # first sight: the card is read and learned
                new += 1
            else:
                recalled = rng.random() < learner.recall_at(true_state, now)
                rating = Rating.GOOD if recalled else Rating.AGAIN
                reviewed += state.phase == Phase.REVIEW
            states[key] = scheduler.answer(state, rating, now).after
            truth[key] = learner.project(true_state, rating, now)
            answers += 1
            now += timedelta(seconds=ANSWER_SECONDS)
        answers_per_day.append(answers)
        reviews_per_day.append(reviewed)
    recall = [
        learner.recall_at(truth[key], interview_moment) if key in truth else 0.0 for key in cards
    ]
    return {
        "mean_recall": statistics.fmean(recall),
        "share_at_90": sum(r >= 0.9 for r in recall) / len(recall),
        "reviews": float(sum(answers_per_day)),
        "largest_day": float(max(answers_per_day)),
        "last_day": float(answers_per_day[-1]),
        "unreviewed": float(unreviewed),
        "busiest_review_day": float(max(reviews_per_day)),
        "at_risk": float(at_risk),
    }


def _as_instant(ms: int | None) -> datetime:
    return from_ms(ms or 0)


def _morning(calendar: StudyCalendar, day: int) -> datetime:
    return calendar.day_start(day) + timedelta(hours=SESSION_HOUR)
