"""The interview forecast `prepcli plan` shows: predicted recall on the interview morning
for someone who keeps up with every review asked for, and if reviewing stopped today.

Apart from study.py because only `prepcli plan` needs it (start-up stays lean).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from prepcli.app.study import MORNING, Study
from prepcli.core.models import CardState, Phase, Rating

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef
    from prepcli.core.interview import InterviewPolicy

READINESS_SAMPLE = 600  # cards the keep-up forecast replays at most (about ±1 point)


@dataclass(frozen=True)
class Readiness:
    """The interview forecast `prepcli plan` shows."""

    interview_date: str
    days_left: int
    target: float
    mean_recall: float | None  # over studied cards, if the planned reviews are done
    share_at_90: float | None
    per_deck: dict[str, float]
    studied: int
    unstudied: int
    planned_early: int
    early_today: int
    at_risk: tuple[str, ...]
    if_stopped_now: float | None = None  # mean recall then if no card were reviewed again
    sampled: int = 0  # cards the forecasts were computed on


def readiness(study: Study) -> Readiness | None:
    """Predicted recall on the interview morning, two ways: for someone who keeps up
    (every review FSRS and the planner ask for is done and answered Good: the level to
    aim at) and if reviewing stopped today (the floor). The keep-up forecast replays a
    few reviews per card, so on big collections it uses a fixed sample of cards."""
    policy = study.interview_policy()
    if policy is None:
        return None
    states = study.states()
    plan = study.early_plan()
    moment = study.interview_instant(policy)
    studied: list[tuple[CardDef, CardState]] = []
    unstudied = 0
    for key, card in study.cards.items():
        state = states.get(key)
        if state is None or state.phase == Phase.NEW:
            unstudied += not (state is not None and state.suspended)
        elif not state.suspended:
            studied.append((card, state))
    if len(studied) > READINESS_SAMPLE:  # the same sample every time: stable figures
        from prepcli.core.scheduler import card_seed

        studied = sorted(studied, key=lambda pair: card_seed(pair[0].key))[:READINESS_SAMPLE]
    per_deck: dict[str, list[float]] = {}
    floor: list[float] = []
    for card, state in studied:
        floor.append(study.scheduler.recall_at(state, moment))
        forecast = _keep_up(study, state, plan.planned_day.get(card.key), policy)
        per_deck.setdefault(card.deck, []).append(study.scheduler.recall_at(forecast, moment))
    every = [r for values in per_deck.values() for r in values]
    return Readiness(
        interview_date=study.calendar.date_of(policy.interview_day).isoformat(),
        days_left=policy.interview_day - study.today,
        target=policy.target,
        mean_recall=sum(every) / len(every) if every else None,
        share_at_90=sum(r >= 0.9 for r in every) / len(every) if every else None,
        per_deck={d: sum(v) / len(v) for d, v in sorted(per_deck.items())},
        studied=sum(
            1
            for s in states.values()
            if s.phase != Phase.NEW and not s.suspended and s.key in study.cards
        ),
        unstudied=unstudied,
        planned_early=len(plan.planned_day),
        early_today=len(plan.due_today(study.today)),
        at_risk=plan.at_risk,
        if_stopped_now=sum(floor) / len(floor) if floor else None,
        sampled=len(every),
    )


def _keep_up(
    study: Study, state: CardState, planned: int | None, policy: InterviewPolicy, steps: int = 8
) -> CardState:
    """The card on the interview morning if every review FSRS (or the planner) asks for
    before it is done and answered Good: the forecast of someone who keeps up."""
    last = policy.last_session_day
    target_moment = study.interview_instant(policy)
    for _ in range(steps):
        due = state.due_day
        if due is None:
            break
        if due > last:
            day = planned
            if day is None and study.scheduler.recall_at(state, target_moment) < policy.target:
                day = last  # the planner will give it one more review if there is room
            if day is None or day < study.today:
                break
            planned = None
            due = day
        when = max(study.now, study.calendar.day_start(max(due, study.today)) + MORNING)
        state = study.scheduler.project(state, Rating.GOOD, when)
        if due == last:
            break
    return state
