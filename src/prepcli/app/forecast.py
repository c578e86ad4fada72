"""The interview forecast `prepcli plan` shows: expected recall on the interview morning
for someone who does every review the planner asks for, and if reviewing stopped today.

Only `prepcli plan` shows it; the interview planner itself is app/study_interview.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from prepcli.core.clock import to_ms
from prepcli.core.interview import memories
from prepcli.core.models import CardState, Phase

if TYPE_CHECKING:
    from prepcli.app.study import Study


@dataclass(frozen=True)
class Readiness:
    """The interview forecast `prepcli plan` shows."""

    interview_date: str
    days_left: int
    mean_recall: float | None  # over studied cards, if the planned reviews are done
    share_at_90: float | None
    per_deck: dict[str, float]
    studied: int
    unstudied: int
    reviews_today: int  # the planner's choice for today, done or not
    final_reviews: int  # cards whose last review before the interview is planned
    at_risk: tuple[str, ...]
    if_stopped_now: float | None = None  # mean recall then if no card were reviewed again


def readiness(study: Study) -> Readiness | None:
    """Expected recall on the interview morning, two ways: if every review the planner has
    chosen is done (today's, and each card's last review before the interview; a card
    still in learning steps is counted with a last review on the last session), each
    passing with the model's probability — the level to aim at; and if reviewing stopped
    today — the floor. Both come from the value model the planner uses (deadline.py)."""
    policy = study.interview.policy()
    if policy is None:
        return None
    plan = study.interview.plan()
    model = study.interview.memory_model
    interview_ms = to_ms(study.interview.instant(policy))
    today, last = study.today, policy.last_session_day
    day_start_ms = to_ms(study.calendar.day_start(today))
    states = study.states()
    studied: dict[str, tuple[str, CardState]] = {}  # key: (deck, state)
    unstudied = 0
    for key in study.index.keys:  # the keys are enough: no card's text is read
        state = states.get(key)
        if state is None or state.phase == Phase.NEW:
            unstudied += not (state is not None and state.suspended)
        elif not state.suspended:
            studied[key] = (key.split("/", 1)[0], state)  # a key is deck/id
    per_deck: dict[str, list[float]] = {}
    floor: list[float] = []
    reviewed = (_as_review(state) for _deck, state in studied.values())
    for card in memories(reviewed, study.calendar, interview_ms):
        deck, state = studied[card.key]
        floor.append(model.expected_recall(card, (), policy.interview_day))
        reviews: list[int] = []
        if _chosen_today(plan.today, state, day_start_ms):
            reviews.append(today)
        final = plan.final_day.get(state.key)
        if final is None and state.phase != Phase.REVIEW and today <= last:
            final = last  # in learning steps now: the planner takes it up once it graduates
        if final is not None and final > today:
            reviews.append(final)
        recall = model.expected_recall(card, reviews, policy.interview_day)
        per_deck.setdefault(deck, []).append(recall)
    every = [r for values in per_deck.values() for r in values]
    return Readiness(
        interview_date=study.calendar.date_of(policy.interview_day).isoformat(),
        days_left=policy.interview_day - today,
        mean_recall=sum(every) / len(every) if every else None,
        share_at_90=sum(r >= 0.9 for r in every) / len(every) if every else None,
        per_deck={d: sum(v) / len(v) for d, v in sorted(per_deck.items())},
        studied=len(studied),
        unstudied=unstudied,
        reviews_today=len(plan.today),
        final_reviews=len(plan.final_day),
        at_risk=plan.at_risk,
        if_stopped_now=sum(floor) / len(floor) if floor else None,
    )


def _chosen_today(chosen: dict[str, str], state: CardState, day_start_ms: int) -> bool:
    """Chosen for today and not answered yet today."""
    return state.key in chosen and (state.last_review_ms or 0) < day_start_ms


def _as_review(state: CardState) -> CardState:
    """A card in (re)learning steps counted with its current memory, as a review card."""
    return state if state.phase == Phase.REVIEW else replace(state, phase=Phase.REVIEW)
