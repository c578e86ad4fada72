"""A plan applied to a deck set: the week that introduces each card (a card belongs to the
first week whose selector matches it, so a later catch-all `deck: X` picks up the rest of a
deck), its place among the week's streams, and the order new cards come in."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from prepcli.core.cards import Tier

if TYPE_CHECKING:
    from prepcli.core.cards import DeckSet
    from prepcli.core.plans import Plan


def assign_weeks(plan: Plan, decks: DeckSet) -> dict[str, int]:
    """Card key → the week that introduces it (first matching selector wins)."""
    return {key: week for key, (week, _stream) in _first_streams(plan, decks).items()}


def _first_streams(plan: Plan, decks: DeckSet) -> dict[str, tuple[int, int]]:
    """Card key → (week, index of the first `introduce` entry of that week matching it).

    Runs on every start-up with a plan, over every card: the selectors are tried per deck
    first, so a card only meets the entries that name its deck (or no deck).
    """
    entries = [
        (week.number, index, selector, frozenset(selector.tags))
        for week in plan.weeks
        for index, selector in enumerate(week.introduce)
    ]
    found: dict[str, tuple[int, int]] = {}
    for deck in decks.decks:
        relevant = [e for e in entries if e[2].deck in (None, deck.id)]
        if not relevant:
            continue
        deck_tags = frozenset(deck.tags)
        for card in deck.cards:
            tags = deck_tags.union(card.tags) if card.tags else deck_tags
            for week, index, _selector, wanted in relevant:
                if not wanted or not wanted.isdisjoint(tags):
                    found[card.key] = (week, index)
                    break
    return found


#: Added to an extended card's place in its stream: after every core card of its week.
EXTENDED_PLACES = 1 << 20


def interleaving(plan: Plan, decks: DeckSet) -> dict[str, tuple[int, int]]:
    """Card key → (its place in its stream, the stream's place in the week).

    Each `introduce` entry of a week is a stream (transformer cards, coding, stories…);
    sorting a week's cards by this key takes one card from each stream in turn, so every
    day mixes the week's material instead of finishing one deck before the next. A week's
    core cards all come before its extended ones, so a candidate who cannot keep up with
    every card still meets everything every candidate must know.
    """
    counts: dict[tuple[int, int, Tier], int] = {}
    ranks: dict[str, tuple[int, int]] = {}
    cards = decks.by_key
    for key, (week, stream) in _first_streams(plan, decks).items():
        tier = cards[key].tier
        place = counts.get((week, stream, tier), 0)
        counts[(week, stream, tier)] = place + 1
        ranks[key] = (place + (EXTENDED_PLACES if tier == Tier.EXTENDED else 0), stream)
    return ranks


class PlanLayout:
    """A plan applied to one deck set: the week that introduces each card and its place in
    that week's streams. Kept in the deck cache between runs (storage/plancodec.py) as flat
    sequences — the keys grouped by week, each week a slice — which read back far faster
    than dictionaries; the lookups are built from them when first used."""

    def __init__(
        self,
        plan: Plan,
        by_week: tuple[str, ...],
        starts: tuple[int, ...],
        places: array[int],
        streams: array[int],
    ) -> None:
        self.plan = plan
        self.by_week = by_week  # unplanned cards first, then week 1's, week 2's… (each in order)
        self.starts = starts  # by_week[starts[w]:starts[w + 1]] are week w's (0: unplanned)
        self.places, self.streams = places, streams  # aligned with by_week

    @classmethod
    def build(cls, plan: Plan, decks: DeckSet) -> PlanLayout:
        streams = _first_streams(plan, decks)
        ranks = interleaving(plan, decks)
        # Within a week, the cards in the order they are introduced (core first, the
        # streams taking turns): the runway counts tiers and finds the last cards by slicing.
        # A card no week selects keeps its tier in its place (the cards outside the plan are
        # a stream of their own, core cards first).
        keyed = sorted(
            (
                streams.get(card.key, (0, 0))[0],
                *(ranks.get(card.key) or (EXTENDED_PLACES if card.tier == Tier.EXTENDED else 0, 0)),
                index,
                card.key,
            )
            for index, card in enumerate(decks.cards())
        )
        weeks = [week for week, *_ in keyed]
        return cls(
            plan,
            tuple(key for *_, key in keyed),
            tuple(bisect_left(weeks, w) for w in range(len(plan.weeks) + 2)),
            array("I", (place for _, place, *_ in keyed)),
            array("I", (stream for _, _, stream, *_ in keyed)),
        )

    def _week_slice(self, week: int) -> slice:
        return slice(self.starts[week], self.starts[week + 1])

    def cards_by_week(self) -> dict[int, tuple[str, ...]]:
        """Week → the keys of the cards it introduces (slices: no set to build)."""
        return {w.number: self.by_week[self._week_slice(w.number)] for w in self.plan.weeks}

    def introduced_after(self, week: int) -> frozenset[str]:
        """The cards later weeks introduce: not new cards yet in `week`."""
        return frozenset(self.by_week[self.starts[min(week + 1, len(self.starts) - 1)] :])

    @cached_property
    def assignment(self) -> dict[str, int]:
        """Card key → the week that introduces it (cards no week selects are left out)."""
        return {
            key: week.number
            for week in self.plan.weeks
            for key in self.by_week[self._week_slice(week.number)]
        }

    @cached_property
    def ranks(self) -> dict[str, tuple[int, int]]:
        """Card key → (its place in its stream, the stream): see `interleaving`."""
        first = self.starts[1]
        return {
            key: (place, stream)
            for key, place, stream in zip(
                self.by_week[first:], self.places[first:], self.streams[first:], strict=True
            )
        }


def plan_order(
    keys: Iterable[str],
    assignment: Mapping[str, int],
    current_week: int,
    ranks: Mapping[str, tuple[int, int]] | None = None,
) -> list[str]:
    """New-card order: this week's cards, then earlier weeks', then later ones, then unplanned;
    within a week, the week's streams interleaved (see `interleaving`)."""
    ranks = ranks or {}

    def rank(item: tuple[int, str]) -> tuple[int, int, tuple[int, int], int]:
        index, key = item
        week = assignment.get(key)
        mix = ranks.get(key, (0, 0))
        if week is None:
            return (3, 0, mix, index)
        if week == current_week:
            return (0, 0, mix, index)
        if week < current_week:
            return (1, week, mix, index)
        return (2, week, mix, index)

    return [key for _, key in sorted(enumerate(keys), key=rank)]
