"""`prepcli simulate --for-me`: what each daily capacity would buy on this user's runway.

The simulation starts from the user's own collection as it stands today — their cards
in plan order, the memory states of those studied, their settings, their interview date
and their personal FSRS parameters if `prepcli optimize` fitted some — and runs the
interview planner to the interview at a few daily capacities. The learner's memory is
the scheduler's own model (its best guess of this user), seeded as every simulation is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from prepcli.app.simulate import Runway, planner_policy, run
from prepcli.core.errors import PrepError
from prepcli.core.interview import new_card_cutoff
from prepcli.core.models import Phase

if TYPE_CHECKING:
    from prepcli.app.study import Study


class CapacityOutcome(NamedTuple):
    capacity: int  # review answers a day
    mean_recall: float  # expected share recalled on the interview morning, mean over seeds
    lowest_recall: float  # the lowest seed's
    review_answers_per_day: float  # answers to review cards a day, on average
    eve_answers: float  # answers in the last session


class Recommendation(NamedTuple):
    interview_date: str
    days_left: int
    cards: int  # the cards in the decks (not suspended)
    studied: int  # of which studied already
    parameters: str  # "personal" (fitted by `prepcli optimize`) or "default"
    capacity: int  # the capacity in use now (interview_capacity or reviews_per_day)
    outcomes: tuple[CapacityOutcome, ...]


def default_capacities(capacity: int) -> list[int]:
    """A few capacities around the one in use: a quarter of it to one and a half times."""
    steps = {max(10, round(capacity * share / 10) * 10) for share in (0.25, 0.5, 0.75, 1.5)}
    return sorted(steps | {capacity})


def own_runway(study: Study, capacity: int) -> Runway:
    """The user's collection from today to the interview, at a daily capacity."""
    policy = study.interview.policy()
    if policy is None or study.today > policy.last_session_day:
        raise PrepError(
            "no interview ahead: start the plan with `prepcli plan start --interview "
            "YYYY-MM-DD` or set it with `prepcli plan interview YYYY-MM-DD`"
        )
    states = {
        key: state
        for key, state in study.states().items()
        if key in study.card_keys and not state.suspended
    }
    suspended = {key for key, state in study.states().items() if state.suspended}
    unstudied = [
        key
        for key in study.index.keys
        if key not in suspended and (key not in states or states[key].phase == Phase.NEW)
    ]
    order = study.queue.new_card_order(study.today)
    new_keys = order(unstudied) if order is not None else unstudied
    fresh = set(new_keys)
    studied = [key for key in study.index.keys if key in states and key not in fresh]
    settings = study.settings
    return Runway(
        keys=tuple(studied + list(new_keys)),
        first_day=study.today,
        interview_day=policy.interview_day,
        capacity=capacity,
        new_per_day=settings.new_per_day,
        new_until=new_card_cutoff(policy, settings.interview_buffer),
        states=states,
        settings=settings,
        calendar=study.calendar,
    )


def recommend(
    study: Study,
    capacities: Sequence[int],
    seeds: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Recommendation:
    """Simulate the planner with the user's settings at each capacity."""
    settings = study.settings
    personal = study.store.settings.fsrs_parameters() is not None
    parameters = study.scheduler.parameters if personal else None
    policy = planner_policy(
        settings.desired_retention,
        settings.interview_price,
        settings.interview_retention,
        settings.interview_headroom,
    )
    outcomes = []
    done = 0
    total = len(capacities) * seeds
    runway = own_runway(study, capacities[0])
    for capacity in capacities:
        runway = own_runway(study, capacity)

        def step(finished: int, _of: int, before: int = done) -> None:
            if progress is not None:
                progress(before + finished, total)

        (result,) = run(runway, [policy], seeds, seed, parameters, parameters, step)
        done += seeds
        days = max(1, runway.interview_day - runway.first_day)
        outcomes.append(
            CapacityOutcome(
                capacity=capacity,
                mean_recall=result.mean_recall,
                lowest_recall=result.lowest_recall,
                review_answers_per_day=result.review_answers / days,
                eve_answers=result.eve_answers,
            )
        )
    current = study.interview.policy()
    assert current is not None
    return Recommendation(
        interview_date=study.calendar.date_of(runway.interview_day).isoformat(),
        days_left=runway.interview_day - study.today,
        cards=len(runway.keys),
        studied=sum(1 for state in runway.states.values() if state.phase != Phase.NEW),
        parameters="personal" if personal else "default",
        capacity=current.capacity,
        outcomes=tuple(outcomes),
    )
