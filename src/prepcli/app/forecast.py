"""The interview forecast `prepcli plan` shows: expected recall on the interview morning
for someone who does every review the planner asks for, and if reviewing stopped today.

Only `prepcli plan` shows it; the interview planner itself is app/study_interview.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.clock import to_ms
from prepcli.core.interview import days_to_interview, memory_of
from prepcli.core.models import Phase

if TYPE_CHECKING:
    from prepcli.app.study import Study


class Readiness(NamedTuple):
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
    memories = study.store.due.memory_states()  # no card's full state is built
    studied: list[tuple[str, int, float, float, int]] = []  # key, phase (a Phase), …
    studied_count = unstudied = 0
    for key in study.index.keys:  # the keys are enough: no card's text is read
        found = memories.get(key)
        if found is None or found[0] == Phase.NEW:
            unstudied += not (found is not None and found[1])
        elif not found[1]:
            studied_count += 1
            phase, _suspended, stability, difficulty, last_ms = found
            if stability is not None and difficulty is not None and last_ms is not None:
                studied.append((key, phase, stability, difficulty, last_ms))
    per_deck: dict[str, list[float]] = {}
    floor: list[float] = []
    for key, phase, stability, difficulty, last_ms in studied:
        # A card in (re)learning steps counts with its current memory, as a review card.
        # Were reviewing to stop today, its forgetting curve alone would decide its recall.
        if_stopped = model.recall(stability, days_to_interview(last_ms, interview_ms))
        floor.append(if_stopped)
        reviews: list[int] = []
        if key in plan.today and last_ms < day_start_ms:  # chosen, not yet answered today
            reviews.append(today)
        final = plan.final_day.get(key)
        if final is None and phase != Phase.REVIEW and today <= last:
            final = last  # in learning steps now: the planner takes it up once it graduates
        if final is not None and final > today:
            reviews.append(final)
        recall = if_stopped  # most cards: no review planned before the interview
        if reviews:
            card = memory_of(key, stability, difficulty, last_ms, study.calendar, interview_ms)
            recall = model.expected_recall(card, reviews, policy.interview_day)
        per_deck.setdefault(key.split("/", 1)[0], []).append(recall)  # a key is deck/id
    every = [r for values in per_deck.values() for r in values]
    return Readiness(
        interview_date=study.calendar.date_of(policy.interview_day).isoformat(),
        days_left=policy.interview_day - today,
        mean_recall=sum(every) / len(every) if every else None,
        share_at_90=sum(r >= 0.9 for r in every) / len(every) if every else None,
        per_deck={d: sum(v) / len(v) for d, v in sorted(per_deck.items())},
        studied=studied_count,
        unstudied=unstudied,
        reviews_today=len(plan.today),
        final_reviews=len(plan.final_day),
        at_risk=plan.at_risk,
        if_stopped_now=sum(floor) / len(floor) if floor else None,
    )
