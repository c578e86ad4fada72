"""A simulated learner studying under each scheduling policy, to judge the interview planner.

The simulation drives the real scheduling code — `Scheduler.answer`, `agenda.build_agenda`
and `interview.plan_interview` — on synthetic cards or on the user's own; only the learner
is simulated. The learner's true memory is a second FSRS model (by default the one the
scheduler assumes) and each answer is recalled with that model's probability, drawn from a
seeded generator, so every run is reproducible.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from prepcli.core.agenda import DayProgress, build_agenda
from prepcli.core.clock import StudyCalendar, from_ms, to_ms
from prepcli.core.deadline import MemoryModel
from prepcli.core.interview import FINAL_WEEK, InterviewPolicy, memories, plan_interview
from prepcli.core.models import DEFAULT_SETTINGS, CardState, Phase, Rating, Settings
from prepcli.core.scheduler import Scheduler

ANSWER_SECONDS = 15  # time one answer takes in simulated time
SESSION_HOUR = 5  # sessions start five hours after rollover (09:00 with the default 04:00)
START = date(2026, 1, 5)
AFTER_DAYS = 30  # recall this many days after the interview, if reviewing stopped there


class Scenario(NamedTuple):
    """Research fsrs.md §6.5: 600 cards, 30 new a day for 20 days, interview on day 42."""

    cards: int = 600
    new_per_day: int = 30
    interview_day: int = 42  # days after the first study day
    capacity: int = 120  # review answers a day (learning steps are not capped)
    seeds: int = 5
    seed: int = 0


@dataclass(frozen=True)
class Runway:
    """Where a simulation starts: the cards in the order new ones are introduced, the
    states of those already studied, and the days (study-day numbers) up to the interview.
    The last session is the eve of the interview."""

    keys: tuple[str, ...]
    first_day: int
    interview_day: int
    capacity: int
    new_per_day: int
    new_until: int | None = None  # the last day new cards are introduced (None: any day)
    states: Mapping[str, CardState] = field(default_factory=dict)
    settings: Settings = field(default_factory=lambda: Settings(timezone="UTC"))
    calendar: StudyCalendar = field(default_factory=lambda: StudyCalendar(UTC, 4))

    @classmethod
    def of(cls, scenario: Scenario) -> Runway:
        first = START.toordinal()
        return cls(
            keys=tuple(f"sim/c{i:04d}" for i in range(scenario.cards)),
            first_day=first,
            interview_day=first + scenario.interview_day,
            capacity=scenario.capacity,
            new_per_day=scenario.new_per_day,
        )


class Policy(NamedTuple):
    """Plain FSRS at a desired retention, or the interview planner on top of it."""

    name: str
    desired_retention: float
    planner: bool = False
    price: float = DEFAULT_SETTINGS.interview_price
    retention: float = DEFAULT_SETTINGS.interview_retention
    headroom: float = DEFAULT_SETTINGS.interview_headroom


def fsrs_policy(retention: float) -> Policy:
    return Policy(f"FSRS DR {retention:.2f}", retention)


def planner_policy(
    retention: float,
    price: float,
    planner_retention: float,
    headroom: float,
    *,
    name_retention: bool = False,
) -> Policy:
    """The planner on top of FSRS at `retention`; its name shows the price, and the
    retention and headroom when they are not the defaults (or `name_retention`)."""
    name = f"planner λ={price:g}"
    if name_retention or planner_retention != DEFAULT_SETTINGS.interview_retention:
        name += f" r={planner_retention:g}"
    if headroom != DEFAULT_SETTINGS.interview_headroom:
        name += f" h={headroom:g}"
    return Policy(name, retention, True, price, planner_retention, headroom)


METRICS = (
    "mean_recall",
    "answers",
    "review_answers",
    "eve_answers",
    "largest_review_day",
    "unreviewed",
    "recall_30_days_after",
    "share_at_90",
    "largest_day",
    "largest_final_week_day",
    "at_risk",
)


class PolicyResult(NamedTuple):
    """One policy's figures, means over the seeds (`seeds` holds each run's)."""

    policy: str
    mean_recall: float  # expected share recalled on the interview morning
    answers: float  # answers of every kind (learning and relearning steps included)
    review_answers: float  # answers to cards in the review state, early ones included
    eve_answers: float  # answers of every kind in the last session
    largest_review_day: float  # most review answers in one day (what the capacity limits)
    unreviewed: float  # reviews asked for by the last session that it did not reach
    recall_30_days_after: float  # mean recall 30 days after the interview, no review since
    share_at_90: float  # share of cards with recall ≥ 0.9 on the interview morning
    largest_day: float  # most answers of every kind in one day
    largest_final_week_day: float  # most answers of every kind on one of the last 7 days
    at_risk: float  # cards the planner reported at risk on any day
    answers_per_day: tuple[float, ...] = ()  # from the first day to the eve
    seeds: tuple[dict[str, float], ...] = ()

    @property
    def lowest_recall(self) -> float:
        return min(run["mean_recall"] for run in self.seeds)


def faster_forgetting(parameters: Sequence[float]) -> tuple[float, ...]:
    """A learner who forgets faster than FSRS-6's defaults (research deadline.md): half
    the initial stabilities, a fifth less stability gain per successful review (w8 × 0.8)
    and a steeper forgetting curve (w20 = 0.3)."""
    changed = list(parameters)
    for index in range(4):
        changed[index] *= 0.5
    changed[8] *= 0.8
    changed[20] = 0.3
    return tuple(changed)


def run(
    runway: Runway,
    policies: Sequence[Policy],
    seeds: int,
    seed: int = 0,
    learner_parameters: Sequence[float] | None = None,
    scheduler_parameters: Sequence[float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[PolicyResult]:
    """Each policy over `seeds` runs (seeds seed, seed + 1, …). The scheduler assumes
    `scheduler_parameters` (FSRS-6's defaults if None); the learner's memory follows
    `learner_parameters` (the scheduler's if None)."""
    total = len(policies) * seeds
    done = 0
    results = []
    for policy in policies:
        per_seed = []
        days: list[list[int]] = []
        for index in range(seeds):
            figures, per_day = _one_run(
                runway, policy, learner_parameters, scheduler_parameters, seed + index
            )
            per_seed.append(figures)
            days.append(per_day)
            done += 1
            if progress is not None:
                progress(done, total)
        means = {key: statistics.fmean(run[key] for run in per_seed) for key in METRICS}
        by_day = tuple(statistics.fmean(day) for day in zip(*days, strict=True))
        results.append(
            PolicyResult(policy=policy.name, answers_per_day=by_day, seeds=tuple(per_seed), **means)
        )
    return results


def _one_run(
    runway: Runway,
    policy: Policy,
    learner_parameters: Sequence[float] | None,
    scheduler_parameters: Sequence[float] | None,
    seed: int,
) -> tuple[dict[str, float], list[int]]:
    """One run's figures, and its answers on each day."""
    calendar = runway.calendar
    settings = runway.settings._replace(desired_retention=policy.desired_retention)
    own = tuple(scheduler_parameters) if scheduler_parameters else None
    scheduler = Scheduler(settings, calendar, own)
    truth_parameters = tuple(learner_parameters) if learner_parameters else own
    learner = Scheduler(settings._replace(fuzz=False), calendar, truth_parameters)
    rng = random.Random(seed)
    interview_day = runway.interview_day
    interview_moment = _morning(calendar, interview_day)
    planner = (
        InterviewPolicy(
            interview_day,
            capacity=runway.capacity,
            price=policy.price,
            retention=policy.retention,
            headroom=policy.headroom,
        )
        if policy.planner
        else None
    )
    model = MemoryModel(scheduler.parameters, len(settings.relearning_steps))
    cards = list(runway.keys)
    states: dict[str, CardState] = dict(runway.states)
    truth: dict[str, CardState] = dict(runway.states)  # the model was right until today
    answers_per_day: list[int] = []
    reviews_per_day: list[int] = []
    at_risk: set[str] = set()
    last_session = interview_day - 1
    unreviewed = 0
    for today in range(runway.first_day, interview_day):
        planned: set[str] | None = None
        if planner is not None:
            plan = plan_interview(
                memories(states.values(), calendar, to_ms(interview_moment)),
                planner,
                today,
                model,
            )
            planned = set(plan.today)
            at_risk.update(plan.at_risk)
        now = _morning(calendar, today)
        day_start_ms = to_ms(calendar.day_start(today))
        day_end_ms = to_ms(calendar.day_start(today + 1))
        new_limit = runway.new_per_day
        if runway.new_until is not None and today > runway.new_until:
            new_limit = 0
        answers = new = reviewed = relearned = 0
        lapse_steps = len(settings.relearning_steps) if planner is not None else 0
        while True:
            agenda = build_agenda(
                cards,
                states,
                now_ms=to_ms(now),
                today=today,
                day_start_ms=day_start_ms,
                day_end_ms=day_end_ms,
                progress=DayProgress(answers, new, reviewed, relearned),
                new_per_day=new_limit,
                reviews_per_day=runway.capacity,
                planned=planned,
                lapse_steps=lapse_steps,
            )
            key = agenda.next_card(to_ms(now))
            if key is None:
                if not agenda.learning_later:
                    if today == last_session:
                        unreviewed = agenda.reviews_due_total  # asked for, not reached
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
                relearned += state.phase == Phase.RELEARNING
            states[key] = scheduler.answer(state, rating, now).after
            truth[key] = learner.project(true_state, rating, now)
            answers += 1
            now += timedelta(seconds=ANSWER_SECONDS)
        answers_per_day.append(answers)
        reviews_per_day.append(reviewed)
    later = interview_moment + timedelta(days=AFTER_DAYS)
    recall = [
        learner.recall_at(truth[key], interview_moment) if key in truth else 0.0 for key in cards
    ]
    after = [learner.recall_at(truth[key], later) if key in truth else 0.0 for key in cards]
    figures = {
        "mean_recall": statistics.fmean(recall),
        "answers": float(sum(answers_per_day)),
        "review_answers": float(sum(reviews_per_day)),
        "eve_answers": float(answers_per_day[-1]) if answers_per_day else 0.0,
        "largest_review_day": float(max(reviews_per_day, default=0)),
        "unreviewed": float(unreviewed),
        "recall_30_days_after": statistics.fmean(after),
        "share_at_90": sum(r >= 0.9 for r in recall) / len(recall),
        "largest_day": float(max(answers_per_day, default=0)),
        "largest_final_week_day": float(max(answers_per_day[-FINAL_WEEK:], default=0)),
        "at_risk": float(len(at_risk)),
    }
    return figures, answers_per_day


def _as_instant(ms: int | None) -> datetime:
    return from_ms(ms or 0)


def _morning(calendar: StudyCalendar, day: int) -> datetime:
    return calendar.day_start(day) + timedelta(hours=SESSION_HOUR)
