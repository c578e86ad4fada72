"""Today's queue: which cards to show, in what order, under the daily limits (pure)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.models import CardState, Phase

LEARN_AHEAD_MS = 20 * 60 * 1000  # as Anki: learning cards due within 20 minutes may be shown

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef


class DayProgress(NamedTuple):
    """What has already happened on the current study day."""

    answers: int = 0
    new_introduced: int = 0
    reviews_answered: int = 0
    relearning_answered: int = 0

    def with_answer(self, phase_before: Phase) -> DayProgress:
        """The counts after one more answer to a card that was in `phase_before`, as the
        day's log counts it (storage's `ReviewLog.day_counts`, by the phase before)."""
        return DayProgress(
            answers=self.answers + 1,
            new_introduced=self.new_introduced + (phase_before == Phase.NEW),
            reviews_answered=self.reviews_answered + (phase_before == Phase.REVIEW),
            relearning_answered=self.relearning_answered + (phase_before == Phase.RELEARNING),
        )


class Agenda(NamedTuple):
    """Today's queue: the cards to show, in the order they come, and the totals before the
    day's limits."""

    learning_due: tuple[CardState, ...]  # (re)learning cards due by now, earliest first
    learning_later: tuple[CardState, ...]  # (re)learning cards due later today
    reviews: tuple[CardState, ...]  # review cards due today, within the review limit
    reviews_due_total: int  # before the limit
    new: tuple[str, ...]  # keys of new cards to introduce today, within the new-card limit
    new_unseen_total: int  # new cards not yet studied at all (in the selection)

    def next_card(self, now_ms: int) -> str | None:
        """The key of the card to show now, or None when nothing is left for now."""
        if self.learning_due:
            return self.learning_due[0].key
        if self.reviews:
            return self.reviews[0].key
        if self.new:
            return self.new[0]
        soon = [s for s in self.learning_later if (s.due_ms or 0) <= now_ms + LEARN_AHEAD_MS]
        return soon[0].key if soon else None


def select_cards(
    cards: Iterable[CardDef],
    decks: Iterable[str] = (),
    tags: Iterable[str] = (),
    deck_tags: Mapping[str, tuple[str, ...]] | None = None,
) -> list[CardDef]:
    """Cards in a deck (or under a deck prefix such as `llm-quiz`) and/or with a tag."""
    deck_list, tag_set = list(decks), set(tags)
    chosen = []
    for card in cards:
        if deck_list and not any(
            card.deck == d or card.deck.startswith(d + ".") for d in deck_list
        ):
            continue
        if tag_set:
            card_tags = set(card.tags) | set((deck_tags or {}).get(card.deck, ()))
            if not tag_set & card_tags:
                continue
        chosen.append(card)
    return chosen


def build_agenda(
    keys: Iterable[str],
    states: Mapping[str, CardState],
    *,
    now_ms: int,
    today: int,
    day_start_ms: int,
    day_end_ms: int,
    progress: DayProgress,
    new_per_day: int,
    reviews_per_day: int,
    planned: Collection[str] | None = None,
    lapse_steps: int = 0,
    order_new: Callable[[list[str]], list[str]] | None = None,
    admit_new: Callable[[str], bool] | None = None,
) -> Agenda:
    """Today's queue from every card's state in memory (the simulator's; Study reads only
    what it needs from the store and calls `assemble_agenda` itself).

    Order: learning cards due now, then due reviews, then new cards in `keys` order (or
    `order_new`'s). `planned`: the review cards the interview planner chose for today, shown
    instead of the ones FSRS has due (unless already answered today); None: FSRS's.
    `admit_new` leaves out new cards not due to be introduced yet (later weeks of
    the plan); cards already studied are reviewed whatever their week. `lapse_steps`: see
    `assemble_agenda`.
    """
    learning: list[CardState] = []
    reviews: list[CardState] = []
    new: list[str] = []
    for key in keys:
        state = states.get(key)
        if state is not None and not visible(state, today):
            continue
        if state is None or state.phase == Phase.NEW:
            if admit_new is None or admit_new(key):
                new.append(key)
        elif state.phase == Phase.REVIEW:
            if planned is None:
                if state.due_day is not None and state.due_day <= today:
                    reviews.append(state)
            elif key in planned and (state.last_review_ms or 0) < day_start_ms:
                reviews.append(state)
        elif state.due_ms is not None and state.due_ms < day_end_ms:
            learning.append(state)
    reviews.sort(key=review_order)
    by_key = {state.key: state for state in reviews}
    return assemble_agenda(
        learning,
        [state.key for state in reviews],
        lambda _keys: by_key,
        new,
        now_ms=now_ms,
        progress=progress,
        new_per_day=new_per_day,
        reviews_per_day=reviews_per_day,
        lapse_steps=lapse_steps,
        order_new=order_new,
    )


def visible(state: CardState, today: int) -> bool:
    """Neither suspended nor buried until after today."""
    return not state.suspended and (state.buried_until_day or 0) <= today


def review_order(state: CardState) -> tuple[int, int, str]:
    """Due reviews come most overdue first (then by time of day, then by key)."""
    return (state.due_day or 0, state.due_ms or 0, state.key)


def assemble_agenda(
    learning: Iterable[CardState],
    reviews: Sequence[str],
    states_of: Callable[[Sequence[str]], Mapping[str, CardState]],
    new: list[str],
    *,
    now_ms: int,
    progress: DayProgress,
    new_per_day: int,
    reviews_per_day: int,
    lapse_steps: int = 0,
    order_new: Callable[[list[str]], list[str]] | None = None,
) -> Agenda:
    """The queue from today's candidates, under the daily limits.

    `learning`: (re)learning cards due before the day ends; `reviews`: the keys of the
    reviews due today in `review_order`; `states_of` gives the states of
    the reviews that fit under the limit (only those are read in full); `new`: the new
    cards that may come today, which `order_new` sorts (only they are sorted).

    `lapse_steps` > 0 (the interview planner's days; the relearning steps a lapse brings):
    the review limit counts the relearning answers of lapsed reviews too, those done and
    those still to come, and a review is shown only while a lapse of it would still fit,
    so the day never asks for more of those answers than the limit."""
    learning = list(learning)
    learning_due, learning_later = _split_learning(learning, now_ms)
    shown = reviews[: review_room(progress, learning, reviews_per_day, lapse_steps)]
    found = states_of(shown) if shown else {}
    new_room = max(0, new_per_day - progress.new_introduced)
    ordered = order_new(new) if order_new is not None and new_room else new
    return Agenda(
        learning_due=tuple(learning_due),
        learning_later=tuple(learning_later),
        reviews=tuple(found[key] for key in shown),
        reviews_due_total=len(reviews),
        new=tuple(ordered[:new_room]),
        new_unseen_total=len(new),
    )


def review_room(
    progress: DayProgress, learning: Iterable[CardState], reviews_per_day: int, lapse_steps: int
) -> int:
    """How many more reviews today's limit lets the queue show (see `assemble_agenda`)."""
    room = max(0, reviews_per_day - progress.reviews_answered)
    if lapse_steps:
        pending = sum(
            max(1, lapse_steps - (s.step or 0)) for s in learning if s.phase == Phase.RELEARNING
        )
        room = max(0, room - progress.relearning_answered - pending - lapse_steps)
    return room


def _split_learning(
    learning: Iterable[CardState], now_ms: int
) -> tuple[tuple[CardState, ...], tuple[CardState, ...]]:
    """(Re)learning cards due by `now_ms` and due later today, each earliest first."""
    ordered = sorted((s for s in learning if s.due_ms is not None), key=_due_order)
    return _split_ordered(ordered, now_ms)


def _due_order(state: CardState) -> tuple[int, str]:
    return state.due_ms or 0, state.key


def _split_ordered(
    ordered: Sequence[CardState], now_ms: int
) -> tuple[tuple[CardState, ...], tuple[CardState, ...]]:
    """`_split_learning` of cards already in due order (a kept queue's: no sort needed)."""
    cut = bisect.bisect_right(ordered, now_ms, key=lambda s: s.due_ms or 0)
    return tuple(ordered[:cut]), tuple(ordered[cut:])


def queue_at(agenda: Agenda, now_ms: int) -> Agenda:
    """The same queue a little later: learning cards that fell due move up."""
    due, later = _split_ordered((*agenda.learning_due, *agenda.learning_later), now_ms)
    return agenda._replace(learning_due=due, learning_later=later)


def after_answer(
    agenda: Agenda,
    after: CardState,
    *,
    now_ms: int,
    today: int,
    day_end_ms: int,
    progress: DayProgress,
    reviews_per_day: int,
    lapse_steps: int = 0,
) -> Agenda | None:
    """The queue after one of its cards was answered (`after`: its new state), without
    reading the collection again — as Anki updates its queues instead of rebuilding them.

    The card leaves the queue and comes back among the learning cards when its next step
    falls today. None when only a fresh build can tell: the card was not in this queue, or
    the review limit grew (a relearning card graduated) while due reviews wait beyond it.
    `progress` is the day's counts after the answer."""
    key = after.key
    # In due order, as the queue keeps them: the answered card leaves, its next step (if
    # today) goes in at its place, with no sort.
    learning = [s for s in (*agenda.learning_due, *agenda.learning_later) if s.key != key]
    reviews = [s for s in agenda.reviews if s.key != key]
    new = tuple(k for k in agenda.new if k != key)
    was_review, was_new = len(reviews) < len(agenda.reviews), len(new) < len(agenda.new)
    was_learning = len(learning) < len(agenda.learning_due) + len(agenda.learning_later)
    if not (was_review or was_new or was_learning):
        return None
    if (
        after.phase in (Phase.LEARNING, Phase.RELEARNING)
        and visible(after, today)
        and after.due_ms is not None
        and after.due_ms < day_end_ms
    ):
        bisect.insort(learning, after, key=_due_order)
    due_total = agenda.reviews_due_total - was_review
    room = review_room(progress, learning, reviews_per_day, lapse_steps)
    if room > len(reviews) and due_total > len(reviews):
        return None
    learning_due, learning_later = _split_ordered(learning, now_ms)
    return Agenda(
        learning_due=learning_due,
        learning_later=learning_later,
        reviews=tuple(reviews[:room]),
        reviews_due_total=due_total,
        new=new,
        new_unseen_total=agenda.new_unseen_total - was_new,
    )
