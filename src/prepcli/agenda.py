"""Today's queue: which cards to show, in what order, under the daily limits (pure)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from prepcli.models import CardDef, CardState, Phase

LEARN_AHEAD_MS = 20 * 60 * 1000  # as Anki: learning cards due within 20 minutes may be shown


@dataclass(frozen=True)
class DayProgress:
    """What has already happened on the current study day."""

    answers: int = 0
    new_introduced: int = 0
    reviews_answered: int = 0


@dataclass(frozen=True)
class Agenda:
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
    cards: Iterable[CardDef], decks: Iterable[str] = (), tags: Iterable[str] = (),
    deck_tags: Mapping[str, tuple[str, ...]] | None = None,
) -> list[CardDef]:  # fmt: skip
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
    early: Collection[str] = (),
    settled: Collection[str] | None = None,
    order_new: Callable[[list[str]], list[str]] | None = None,
    admit_new: Callable[[str], bool] | None = None,
) -> Agenda:
    """Order: learning cards due now, then due reviews, then new cards in `keys` order.

    `early` are review cards brought forward (the interview planner): they count as due
    today, unless already answered today, and come after the cards FSRS itself has due.

    `states` may hold every card's state, or (with `settled`) only the states that can be
    due today: every due review and learning card and every card in `early`; `settled`
    then names the other cards that are not new (studied, suspended or buried), so the
    queue is built without reading the whole collection. `order_new` sorts the new cards
    (the plan's order), so only they are sorted, not every key; `admit_new` leaves out new
    cards that are not due to be introduced yet (later weeks of the plan). Cards already
    studied are reviewed whatever their week.
    """
    learning_due: list[CardState] = []
    learning_later: list[CardState] = []
    reviews: list[CardState] = []
    new: list[str] = []
    unseen = 0
    for key in keys:
        state = states.get(key)
        if state is None:
            if (settled is None or key not in settled) and (admit_new is None or admit_new(key)):
                unseen += 1
                new.append(key)
            continue
        if state.suspended or (
            state.buried_until_day is not None and state.buried_until_day > today
        ):
            continue
        if state.phase == Phase.NEW:
            if admit_new is None or admit_new(key):
                unseen += 1
                new.append(key)
        elif state.phase == Phase.REVIEW:
            if (state.due_day is not None and state.due_day <= today) or (
                key in early and (state.last_review_ms or 0) < day_start_ms
            ):
                reviews.append(state)
        elif state.due_ms is not None and state.due_ms <= now_ms:
            learning_due.append(state)
        elif state.due_ms is not None and state.due_ms < day_end_ms:
            learning_later.append(state)
    learning_due.sort(key=lambda s: (s.due_ms or 0, s.key))
    learning_later.sort(key=lambda s: (s.due_ms or 0, s.key))
    reviews.sort(key=lambda s: (s.due_day or 0, s.due_ms or 0, s.key))
    review_room = max(0, reviews_per_day - progress.reviews_answered)
    new_room = max(0, new_per_day - progress.new_introduced)
    if order_new is not None and new_room:
        new = order_new(new)
    return Agenda(
        learning_due=tuple(learning_due),
        learning_later=tuple(learning_later),
        reviews=tuple(reviews[:review_room]),
        reviews_due_total=len(reviews),
        new=tuple(new[:new_room]),
        new_unseen_total=unseen,
    )
