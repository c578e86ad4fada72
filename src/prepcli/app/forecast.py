"""The interview forecast `prepcli plan` shows: expected recall on the interview morning
for someone who does every review the planner asks for, and if reviewing stopped today.

Only `prepcli plan` shows it; the interview planner itself is app/study_interview.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.clock import to_ms
from prepcli.core.interview import InterviewPlan, InterviewPolicy, memory_of, planned_reviews
from prepcli.core.models import Phase

if TYPE_CHECKING:
    from prepcli.app.study import Study
    from prepcli.storage.rows import KeyGroups


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


def readiness(study: Study, groups: KeyGroups | None = None) -> Readiness | None:
    """Expected recall on the interview morning, two ways: if every review the planner has
    chosen is done (today's, and each card's last review before the interview; a card
    still in learning steps is counted with a last review on the last session), each
    passing with the model's probability — the level to aim at; and if reviewing stopped
    today — the floor. Both come from the value model the planner uses (deadline.py).

    Most cards have no review planned before the interview: their recall is the
    forgetting curve's alone, which SQLite works out and sums per deck. The cards with a
    planned review were valued by the planner when it made the day's plan
    (InterviewPlan.outcomes); only those changed since the day began (answered today) and
    those in learning steps are read and valued here.
    `groups`: the key groups the caller already read, if any."""
    policy = study.interview.policy()
    if policy is None:
        return None
    plan = study.interview.plan()
    today, last = study.today, policy.last_session_day
    in_decks = study.card_keys
    groups = groups or study.key_groups(today)
    gone = groups.outside(in_decks)  # rows of cards no longer in the decks: left out
    due = study.store.due
    studied, known = due.studied_and_known(gone)
    model = study.interview.memory_model
    interview_ms = to_ms(study.interview.instant(policy))
    by_deck = due.recall_by_deck(
        study.index.deck_ids, interview_ms, model.curve.factor, model.curve.decay, gone
    )
    # Deck → [cards, recall summed with the planned reviews, how many at 90% or more].
    per_deck = {deck: [cards, total, high] for deck, (cards, total, high) in by_deck.items()}
    if_stopped_total = sum(total for _cards, total, _high in by_deck.values())
    candidates = (set(plan.today) | set(plan.final_day)) & in_decks
    if today <= last:
        candidates |= groups.learning & in_decks  # in learning steps: taken up once it graduates
    changed = study.store.log.cards_logged_since(today) | (candidates - plan.outcomes.keys())
    outcomes = [plan.outcomes[key] + (key,) for key in candidates - changed]
    outcomes += _valued_now(study, changed & candidates, plan, policy, interview_ms)
    for recall, if_stopped, key in outcomes:
        sums = per_deck[key.split("/", 1)[0]]  # a key is deck/id
        sums[1] += recall - if_stopped
        sums[2] += (recall >= 0.9) - (if_stopped >= 0.9)
    counted = sum(cards for cards, _total, _high in per_deck.values())
    return Readiness(
        interview_date=study.calendar.date_of(policy.interview_day).isoformat(),
        days_left=policy.interview_day - today,
        mean_recall=sum(s[1] for s in per_deck.values()) / counted if counted else None,
        share_at_90=sum(s[2] for s in per_deck.values()) / counted if counted else None,
        per_deck={d: total / cards for d, (cards, total, _high) in sorted(per_deck.items())},
        studied=studied,
        unstudied=len(in_decks) - known,
        reviews_today=len(plan.today),
        final_reviews=len(plan.final_day),
        at_risk=plan.at_risk,
        if_stopped_now=if_stopped_total / counted if counted else None,
    )


def _valued_now(
    study: Study, keys: set[str], plan: InterviewPlan, policy: InterviewPolicy, interview_ms: int
) -> list[tuple[float, float, str]]:
    """(expected recall on the interview morning with the planned reviews still to come,
    without any, key) of those of the cards that have a memory and a review to come,
    from their states now."""
    today, last = study.today, policy.last_session_day
    day_start_ms = to_ms(study.calendar.day_start(today))
    model = study.interview.memory_model
    valued = []
    for key, state in study.store.states_of(keys).items():
        stability, difficulty, last_ms = state.stability, state.difficulty, state.last_review_ms
        if state.phase == Phase.NEW or state.suspended or stability is None:
            continue  # not among the studied cards with a memory (nor in the sums)
        if difficulty is None or last_ms is None:
            continue
        final_day = plan.final_day
        if key not in final_day and state.phase != Phase.REVIEW and today <= last:
            final_day = {key: last}  # in learning steps now: taken up once it graduates
        not_yet = plan.today if last_ms < day_start_ms else ()  # today's review still to do
        reviews = planned_reviews(key, not_yet, final_day, today)
        if not reviews:
            continue
        # A card in (re)learning steps counts with its current memory, as a review card.
        card = memory_of(key, stability, difficulty, last_ms, study.calendar, interview_ms)
        valued.append(
            (
                model.expected_recall(card, reviews, policy.interview_day),
                model.expected_recall(card, (), policy.interview_day),
                key,
            )
        )
    return valued
