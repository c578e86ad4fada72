"""The interview-date planner: which review cards to show today so that recall peaks on
the interview day, for the fewest reviews, within a daily capacity (pure).

It never edits FSRS memory state or ratings: it only chooses *when* review cards are
shown. While an interview lies ahead, a review card is shown on a study day if and only
if the planner chose it that morning, whatever its FSRS due date; each morning the plan
is made again from the cards' states at the start of the day, so lapses count at once.
A review is worth doing when it raises the card's expected recall on the interview
morning by at least the price λ (`interview_price`), predicted with FSRS-6's own memory
model (deadline.py). Three kinds of review are chosen, each logged with its reason:

- `interview:final` — each card's last review before the interview. Cards are given
  last review days from the last session backwards, least stable first, so the least
  stable (the latest introduced, the lapsed) come latest and the most stable earliest
  (reviewing a card k days earlier costs it less recall on the day the more stable it
  is); each day takes at most (1 − `interview_headroom`) of the capacity; a card is
  given a day only if its review there is worth λ; the most stable go without when no
  day from today has room.
- `interview:keep` — before that, a card is reviewed when its recall falls to the
  planner's retention (`interview_retention`, below FSRS's desired retention: reviewing
  less often in the middle weeks is where the final reviews' budget comes from) and a
  review today, before its last review, is worth λ. FSRS-due cards above that retention
  are held back: they come later than FSRS would show them.
- `interview:extra` — in the final week, capacity left over goes to the cards with the
  largest gain worth λ (mostly lapsed ones, reviewed again before their last day).

Rest days (`rest_days`, a break from `prepcli postpone`) take no last review: those go to
the days around them. On a rest day itself the keep and extra reviews are still offered,
as optional: skipped, they are planned again the next morning.

A day's choice stops when its reviews and the relearning steps their expected lapses
bring (with a margin of two standard deviations) fill the capacity; the queue then
counts relearning answers against the capacity too (agenda.assemble_agenda), so no day —
the eve included — asks for more answers than the capacity, even when cards lapse more
than the model expects. After the last session nothing is planned and the FSRS schedule
continues as it stands.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from prepcli.core.clock import StudyCalendar, from_ms
from prepcli.core.deadline import Memory, MemoryModel
from prepcli.core.forgetting import DAY_MS
from prepcli.core.models import DEFAULT_SETTINGS, CardState, Phase

FINAL_WEEK = 7  # study days up to the last session in which spare capacity goes to extra reviews
AT_RISK_BELOW = 0.9  # recall on the day below which a card left without a final review is at risk

REASON_FINAL = "interview:final"
REASON_KEEP = "interview:keep"
REASON_EXTRA = "interview:extra"
REASONS = (REASON_FINAL, REASON_KEEP, REASON_EXTRA)


class InterviewPolicy(NamedTuple):
    """The interview-date planner's settings while an interview lies ahead."""

    interview_day: int
    capacity: int = DEFAULT_SETTINGS.reviews_per_day  # review answers a day, with their relearning
    lead: int = 1  # 1: the last session is the eve; 0: a session on the morning itself
    price: float = DEFAULT_SETTINGS.interview_price  # recall on the interview day a review must buy
    retention: float = DEFAULT_SETTINGS.interview_retention  # below it: a keep review is due
    headroom: float = DEFAULT_SETTINGS.interview_headroom  # share of a day final reviews leave free
    rest_days: tuple[int, ...] = ()  # days off (core/daysoff.py): no last review goes there

    @property
    def last_session_day(self) -> int:
        return self.interview_day - self.lead

    @property
    def final_week_start(self) -> int:
        return self.last_session_day - FINAL_WEEK + 1


@dataclass(frozen=True)
class InterviewPlan:
    """The planner's choice on one morning."""

    day: int
    today: dict[str, str]  # key → reason: the review cards to show today
    final_day: dict[str, int] = field(default_factory=dict)  # each card's last review day
    at_risk: tuple[str, ...] = ()  # below AT_RISK_BELOW on the day, with no room for a review
    # Key → expected recall on the interview morning if the card's planned reviews (today's,
    # its last) are done, and if it is not reviewed again: for every card with a planned
    # review, from its state as the day began (`prepcli plan`'s forecast reads them).
    outcomes: dict[str, tuple[float, float]] = field(default_factory=dict)

    def reason(self, key: str) -> str | None:
        return self.today.get(key)

    def finals_per_day(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for day in self.final_day.values():
            counts[day] = counts.get(day, 0) + 1
        return dict(sorted(counts.items()))


def empty_plan(day: int) -> InterviewPlan:
    return InterviewPlan(day, {})


@dataclass
class _DayBudget:
    """A day's answers: each review counts once, plus the relearning steps its lapse would
    bring (expected); with `margin`, the variance of those lapses sets a margin of two
    standard deviations so that a bad day still fits."""

    capacity: float
    relearning_steps: float
    margin: bool = True
    expected: float = 0.0
    variance: float = 0.0

    def admits(self, pass_chance: float) -> bool:
        steps = self.relearning_steps
        expected = self.expected + 1 + steps * (1 - pass_chance)
        if self.margin:
            variance = self.variance + pass_chance * (1 - pass_chance)
            expected += 2 * steps * math.sqrt(variance)
        return expected <= self.capacity

    def spend(self, pass_chance: float) -> None:
        self.expected += 1 + self.relearning_steps * (1 - pass_chance)
        self.variance += pass_chance * (1 - pass_chance)


def memories(
    states: Iterable[CardState], calendar: StudyCalendar, interview_ms: int
) -> list[Memory]:
    """The review cards among `states` (not suspended), as the planner sees them."""
    return [
        memory_of(
            state.key,
            state.stability,
            state.difficulty,
            state.last_review_ms,
            calendar,
            interview_ms,
        )
        for state in states
        if state.phase == Phase.REVIEW
        and not state.suspended
        and state.stability is not None
        and state.difficulty is not None
        and state.last_review_ms is not None
    ]


def memory_of(
    key: str,
    stability: float,
    difficulty: float,
    last_review_ms: int,
    calendar: StudyCalendar,
    interview_ms: int,
) -> Memory:
    """A review card as the planner sees it, from its memory state and last review."""
    last_day = calendar.day(from_ms(last_review_ms))
    return Memory(
        key, stability, difficulty, last_day, days_to_interview(last_review_ms, interview_ms)
    )


def days_to_interview(last_review_ms: int, interview_ms: int) -> float:
    """The days from a card's last review to the interview, as its forgetting curve counts."""
    return (interview_ms - last_review_ms) / DAY_MS


def plan_interview(
    cards: Iterable[Memory], policy: InterviewPolicy, today: int, model: MemoryModel
) -> InterviewPlan:
    """The review cards to show on `today`, from every review card's state at its start."""
    if today > policy.last_session_day:
        return empty_plan(today)
    ordered = sorted(cards, key=lambda c: (c.stability, c.key))
    final_day = _last_review_days(ordered, policy, today, model)
    chosen = _todays_reviews(ordered, final_day, policy, today, model)
    at_risk = tuple(
        sorted(
            card.key
            for card in ordered
            if card.key not in final_day
            and card.key not in chosen
            and model.expected_recall(card, (), policy.interview_day) < AT_RISK_BELOW
        )
    )
    return InterviewPlan(today, chosen, final_day, at_risk)


def with_outcomes(
    plan: InterviewPlan, cards: Iterable[Memory], policy: InterviewPolicy, model: MemoryModel
) -> InterviewPlan:
    """The plan with each planned card's outcomes (InterviewPlan.outcomes), from `cards`,
    the review cards it was made from: worked out once with the day's plan, for
    `prepcli plan`'s forecast (the simulator, which plans every day, does without)."""
    interview, today = policy.interview_day, plan.day
    outcomes = {}
    for card in cards:
        if card.key in plan.today or card.key in plan.final_day:
            # Today's review counts for a card not reviewed yet today (as app/forecast.py
            # counts the cards answered since the day began).
            not_yet = plan.today if card.last_day < today else ()
            reviews = planned_reviews(card.key, not_yet, plan.final_day, today)
            outcomes[card.key] = (
                model.expected_recall(card, reviews, interview),
                model.expected_recall(card, (), interview),
            )
    return replace(plan, outcomes=outcomes)


def planned_reviews(
    key: str, today_reviews: Collection[str], final_day: dict[str, int], today: int
) -> tuple[int, ...]:
    """The days a card's planned reviews fall on from `today`: today's if it is among
    `today_reviews`, and its last one if that comes later."""
    final = final_day.get(key)
    return ((today,) if key in today_reviews else ()) + (
        (final,) if final is not None and final > today else ()
    )


def _last_review_days(
    ordered: list[Memory], policy: InterviewPolicy, today: int, model: MemoryModel
) -> dict[str, int]:
    """Each card's last review day: from the last session backwards, least stable first,
    for the cards whose review there is worth its price.

    A day's room is counted in answers: each final review with the relearning steps its
    lapse would bring that day, and once more for the review a lapsed card then needs
    again before the interview (without that, lapses in the final week push the most
    stable cards out of it). The headroom is left for keep and extra reviews. When the
    last reviews fit in what is left of the final week at less than that share a day,
    they are spread evenly over it instead of filling its last days: the load steps up a
    week before the interview rather than on its eve."""
    final_day, cost = _fill(ordered, policy, today, model, policy.capacity * (1 - policy.headroom))
    first = max(today, policy.final_week_start)
    window = sum(1 for d in range(first, policy.last_session_day + 1) if d not in policy.rest_days)
    if final_day and window > 1:
        even = max(sum(cost.values()) / window, 1.0) * 1.05  # a little slack for rounding
        if even < policy.capacity * (1 - policy.headroom):
            final_day, _ = _fill(ordered, policy, today, model, even)
    return final_day


def _fill(
    ordered: list[Memory], policy: InterviewPolicy, today: int, model: MemoryModel, room: float
) -> tuple[dict[str, int], dict[str, float]]:
    """Last review days from the last session backwards, least stable first, each day
    holding `room` answers; returns the days and each placed card's answers."""
    interview = policy.interview_day
    last = policy.last_session_day
    days = {
        d: _DayBudget(room, model.relearning_steps + 1, margin=False)
        for d in range(today, last + 1)
        if d not in policy.rest_days  # a day off has no room: its reviews go to the days around
    }
    final_day: dict[str, int] = {}
    cost: dict[str, float] = {}
    day = last
    for card in ordered:
        while day >= today and (
            day not in days or not days[day].admits(model.pass_chance(card, day))
        ):
            day -= 1
        if day < today:
            break  # no room left: the most stable cards go without
        gain = model.expected_recall(card, (day,), interview) - model.expected_recall(
            card, (), interview
        )
        if gain >= policy.price:
            final_day[card.key] = day
            before = days[day].expected
            days[day].spend(model.pass_chance(card, day))
            cost[card.key] = days[day].expected - before
    return final_day, cost


def _todays_reviews(
    ordered: list[Memory],
    final_day: dict[str, int],
    policy: InterviewPolicy,
    today: int,
    model: MemoryModel,
) -> dict[str, str]:
    """Today's final reviews; then keep reviews (cards at the planner's retention) and, in
    the final week, extra ones with what room is left, each kind largest gain first,
    while the day's answers fit the capacity. Gains are worked out only while there is
    room: on a full day nothing more is priced."""
    budget = _DayBudget(policy.capacity, model.relearning_steps)
    chosen: dict[str, str] = {}
    for card in ordered:
        if final_day.get(card.key) == today:
            chosen[card.key] = REASON_FINAL
            budget.spend(model.pass_chance(card, today))
    final_week = today >= policy.final_week_start
    for reason in (REASON_KEEP, REASON_EXTRA):
        if not budget.admits(1.0) or (reason == REASON_EXTRA and not final_week):
            break
        offers: list[tuple[float, str, float]] = []
        for card in ordered:
            if card.key in chosen:
                continue
            chance = model.pass_chance(card, today)
            if (chance <= policy.retention) != (reason == REASON_KEEP):
                continue
            gain = _gain_of_reviewing_today(card, final_day.get(card.key), today, policy, model)
            if gain >= policy.price:
                offers.append((gain, card.key, chance))
        for _gain, key, chance in sorted(offers, key=lambda o: (-o[0], o[1])):
            if budget.admits(chance):
                chosen[key] = reason
                budget.spend(chance)
    return chosen


def _gain_of_reviewing_today(
    card: Memory, final: int | None, today: int, policy: InterviewPolicy, model: MemoryModel
) -> float:
    """Recall on the day bought by a review today, on top of the card's last review if one
    is planned later. When today's review makes that last one not worth its price, the
    price it saves counts as part of the gain."""
    interview = policy.interview_day
    if final is None or final <= today:
        return model.expected_recall(card, (today,), interview) - model.expected_recall(
            card, (), interview
        )
    without = model.expected_recall(card, (final,), interview)
    with_final = model.expected_recall(card, (today, final), interview)
    alone = model.expected_recall(card, (today,), interview)
    return max(with_final - without, alone - without + policy.price)


def new_card_cutoff(policy: InterviewPolicy, buffer_days: int) -> int:
    """The last study day on which new cards are introduced, leaving a buffer of reviews."""
    return policy.last_session_day - buffer_days
