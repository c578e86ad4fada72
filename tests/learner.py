"""A simulated learner for optimizer tests: a review log generated from known parameters.

A hidden "true" FSRS memory (TRUE_PARAMETERS: harder material than the defaults assume)
decides each recall as Bernoulli(R_true) with a seeded RNG; prepcli's own scheduler, with
the default parameters, decides when cards come back. Answers go through Store.change,
so the rows are exactly what real answers write.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from prepcli.core.clock import StudyCalendar, from_ms, to_ms
from prepcli.core.history import AnswerContext, LoggedChange
from prepcli.core.models import CardState, Phase, Rating, Settings
from prepcli.core.scheduler import Scheduler
from prepcli.storage.store import open_store

DEFAULTS = Scheduler.default_parameters()
# Faster forgetting than the defaults: lower initial stabilities, slower growth, a
# steeper forgetting curve.
TRUE_PARAMETERS = (
    DEFAULTS[0] * 0.2, DEFAULTS[1] * 0.2, DEFAULTS[2] * 0.2, DEFAULTS[3] * 0.25,
    *DEFAULTS[4:8], 1.1, *DEFAULTS[9:20], 0.45,
)  # fmt: skip
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class SimulatedLog:
    answers: int
    cards: int
    last_ms: int


def simulate_history(
    db: Path,
    keys: list[str],
    *,
    start: datetime,
    days: int,
    new_per_day: int,
    seed: int,
    true_parameters: tuple[float, ...] = TRUE_PARAMETERS,
) -> SimulatedLog:
    """Study `keys` for `days` days from `start`, one session a day, writing to `db`."""
    rng = random.Random(seed)
    settings = Settings()
    calendar = StudyCalendar(PARIS, settings.rollover_hour)
    app = Scheduler(settings, calendar)
    truth = Scheduler(Settings(fuzz=False), calendar, parameters=true_parameters)
    store = open_store(db)
    states: dict[str, CardState] = {}
    hidden: dict[str, CardState] = {}
    answers = 0
    last_ms = 0
    try:
        unseen = list(keys)
        for day in range(days):
            session = (start + timedelta(days=day, hours=rng.uniform(0, 12))).astimezone(UTC)
            today = calendar.day(session)
            due = [k for k, s in states.items() if s.due_day is not None and s.due_day <= today]
            fresh = [unseen.pop(0) for _ in range(min(new_per_day, len(unseen)))]
            queue = [(to_ms(session), k) for k in due + fresh]
            moment = session
            while queue:
                queue.sort()
                at_ms, key = queue.pop(0)
                moment = max(moment, from_ms(at_ms)) + timedelta(seconds=rng.uniform(5, 40))
                if calendar.day(moment) != today:
                    break  # the session ran past the rollover; the rest waits for tomorrow
                before = states.get(key, CardState(key=key))
                truth_before = hidden.get(key, CardState(key=key))
                rating = _rating(rng, truth, truth_before, moment)
                outcome = app.answer(before, rating, moment)
                hidden[key] = truth.answer(truth_before, rating, moment).after
                change = LoggedChange(
                    after=outcome.after, rating=int(rating), kind=outcome.kind,
                    elapsed_days=outcome.elapsed_days, scheduled_days=outcome.scheduled_days,
                    r_predicted=outcome.r_predicted,
                )  # fmt: skip
                context = AnswerContext(
                    reviewed_ms=to_ms(moment), study_day=today,
                    tz_offset_min=calendar.offset_minutes(moment),
                    duration_ms=rng.randint(3000, 20000), desired_retention=0.9,
                )  # fmt: skip
                store.change(key, lambda _state, c=change: c, context)
                states[key] = outcome.after
                answers += 1
                last_ms = context.reviewed_ms
                after = outcome.after
                if after.phase in (Phase.LEARNING, Phase.RELEARNING) and after.due_day == today:
                    queue.append((after.due_ms or at_ms, key))
    finally:
        store.close()
    return SimulatedLog(answers=answers, cards=len(states), last_ms=last_ms)


def _rating(rng: random.Random, truth: Scheduler, state: CardState, moment: datetime) -> Rating:
    if state.phase == Phase.NEW:  # a first answer is not a recall test
        return rng.choices(list(Rating), weights=(0.25, 0.1, 0.55, 0.1))[0]
    recall = truth.retrievability(state, moment)
    if recall is None or rng.random() >= recall:
        return Rating.AGAIN
    return rng.choices((Rating.HARD, Rating.GOOD, Rating.EASY), weights=(0.15, 0.75, 0.1))[0]
