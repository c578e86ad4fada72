"""The interview-date planner: the best recall on the day, without a pile-up the day before.

It only ever moves reviews *earlier* (research fsrs.md §4.1, §6.5): the FSRS memory model,
its parameters and the user's ratings are never touched. Each study day it finds the
cards FSRS would not show again before the interview and whose predicted recall at the
interview is below the target, and gives each one extra review before it, filled from
the eve of the interview backwards within a daily capacity, the least stable cards
latest. Cards the capacity cannot fit are reported as at risk.

One refinement over the research design: a card FSRS still shows before the interview
can come out of that review needing one more (its next due falls after the interview and
its recall there is below the target). The planner foresees those by projecting the
normal review and keeps a slot free for each after its due day; without that reserve,
the late arrivals crowd the last days and cards are left unreviewed.

The plan is a pure function of today's card states: it is recomputed whenever it is
needed and never goes stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prepcli.core.models import CardState, Phase

RESERVE_WINDOW = 7  # days before the last session whose normal reviews are projected

#: R at the interview of a card in a given state: the caller supplies the scheduler's formula.
RecallAt = Callable[[CardState], float]
#: The state after a normal (Good) review on a given study day.
ProjectReview = Callable[[CardState, int], CardState]


@dataclass(frozen=True)
class InterviewPolicy:
    """The interview-date planner's settings while an interview lies ahead."""

    interview_day: int
    target: float = 0.95  # recall at the interview the planner aims for
    capacity: int = 200  # review answers a day, normal and early together
    lead: int = 1  # 1: the last session is the eve; 0: a session on the morning itself
    # Share of each day's capacity the plan leaves free for cards that turn up later (lapses
    # in the final days, answers that did not stick). In simulation (research scenario,
    # 5 seeds) 0.2 kept recall at the interview (0.978) and cut the eve's answers from 127,
    # above a 120 cap once relearning steps count, to 103.
    headroom: float = 0.2

    @property
    def last_session_day(self) -> int:
        return self.interview_day - self.lead


@dataclass(frozen=True)
class EarlyPlan:
    """Which cards get an early review, and on which study day."""

    planned_day: dict[str, int]
    at_risk: tuple[str, ...]  # below target, but no capacity was left for them
    candidates: int
    reserved: int = 0  # slots kept for cards expected to need one after a normal review

    def due_today(self, today: int) -> set[str]:
        return {key for key, day in self.planned_day.items() if day <= today}


EMPTY = EarlyPlan({}, (), 0)


@dataclass(frozen=True)
class Need:
    """A card that needs one extra review before the interview."""

    stability: float
    key: str
    earliest: int  # the first day the extra review may happen
    recall: float  # R at the interview without it
    real: bool  # False: foreseen after a normal review, not yet a candidate


def foresees(policy: InterviewPolicy, today: int) -> bool:
    """Whether the planner projects normal reviews: only once today is near the final
    week, where the slots it reserves change today's placements (projecting is costly)."""
    return today >= policy.last_session_day - 2 * RESERVE_WINDOW


def in_reserve_window(policy: InterviewPolicy, state: CardState, review_day: int) -> bool:
    """A normal review in the final week can leave a card needing one more before the
    interview; earlier ones get further FSRS reviews."""
    last = policy.last_session_day
    return state.phase == Phase.REVIEW and last - RESERVE_WINDOW <= review_day < last


def foreseen_need(
    state: CardState,
    review_day: int,
    policy: InterviewPolicy,
    recall_at: RecallAt,
    project: ProjectReview,
) -> Need | None:
    after = project(state, review_day)
    if (after.due_day or 0) > policy.last_session_day:
        recall = recall_at(after)
        if recall < policy.target:
            return Need(after.stability or 0.0, state.key, review_day + 1, recall, False)
    return None


def plan_early_reviews(
    states: Iterable[CardState],
    policy: InterviewPolicy,
    today: int,
    recall_at: RecallAt,
    project: ProjectReview | None = None,
) -> EarlyPlan:
    """Place one extra review before the interview for each card that needs one."""
    last = policy.last_session_day
    if today > last:
        return EMPTY
    load = {day: 0 for day in range(today, last + 1)}
    foresee = project if foresees(policy, today) else None
    needs: list[Need] = []
    for state in states:
        if state.suspended or state.phase == Phase.NEW or state.due_day is None:
            continue
        if state.due_day <= last:
            review_day = max(today, state.due_day)
            load[review_day] += 1  # FSRS shows it before the interview anyway
            if foresee is not None and in_reserve_window(policy, state, review_day):
                need = foreseen_need(state, review_day, policy, recall_at, foresee)
                if need is not None:
                    needs.append(need)
            continue
        if state.phase == Phase.REVIEW and (recall := recall_at(state)) < policy.target:
            needs.append(Need(state.stability or 0.0, state.key, today, recall, True))
    return place_early_reviews(load, needs, policy)


def _least_stable_first(need: Need) -> tuple[float, str, int, float, bool]:
    return (need.stability, need.key, need.earliest, need.recall, need.real)


def place_early_reviews(
    load: dict[int, int], needs: list[Need], policy: InterviewPolicy
) -> EarlyPlan:
    """Fill each need into a day with room, from the eve backwards; `load` counts the
    normal reviews of each day from today to the last session."""
    usable = int(policy.capacity * (1 - policy.headroom))
    free = {day: max(usable - count, 0) for day, count in load.items()}
    # When there is not room for every need, the ones closest to the target give way.
    room = sum(free.values())
    by_deficit = sorted(needs, key=lambda n: (n.recall, n.key))
    fitting, overflow = by_deficit[:room], by_deficit[room:]
    # Least stable latest: reviewing them nearest the interview loses the least recall.
    planned: dict[str, int] = {}
    at_risk = [n.key for n in overflow if n.real]
    last = policy.last_session_day
    for need in sorted(fitting, key=_least_stable_first):
        day = next((d for d in range(last, need.earliest - 1, -1) if free.get(d, 0) > 0), None)
        if day is None:
            if need.real:
                at_risk.append(need.key)
            continue
        free[day] -= 1
        if need.real:
            planned[need.key] = day
    real = sum(n.real for n in needs)
    return EarlyPlan(planned, tuple(sorted(at_risk)), real, reserved=len(needs) - real)


def new_card_cutoff(policy: InterviewPolicy, buffer_days: int) -> int:
    """The last study day on which new cards are introduced, leaving a buffer of reviews."""
    return policy.last_session_day - buffer_days
