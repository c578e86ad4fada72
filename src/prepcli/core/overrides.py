"""The user's own copies of bundled cards ("overrides"): which card wins, pure.

Editing a bundled card from the review session copies it into an override deck in the
user's data folder (files/overrides.py): a deck file with the bundled deck's id holding
only the copied cards. Loaded after the bundled decks, an override replaces the bundled
card with the same `deck/id` key, until it is removed.

An override changes what a card says (kind, front, back, explain, hints, points, time
limit, code, source), not which card it is: its key, tags, tier and `formerly` stay the
bundled card's, so its history, the plan's weeks and the deck index are unchanged. An
override whose key no bundled card has (the card was renamed or removed upstream) is not
used; `prepcli deck overrides` shows it as such.
"""

from __future__ import annotations

from prepcli.core.cards import CardDef, DeckSet


def apply_overrides(bundled: DeckSet, overrides: DeckSet) -> DeckSet:
    """`bundled` with each card that `overrides` has a copy of replaced by that copy."""
    mine = {card.key: card for card in overrides.cards()}
    if not mine:
        return bundled
    decks = []
    for deck in bundled.decks:
        if not any(card.key in mine for card in deck.cards):
            decks.append(deck)
            continue
        cards = tuple(
            _copy_in_place(card, mine[card.key]) if card.key in mine else card
            for card in deck.cards
        )
        decks.append(deck._replace(cards=cards))
    return DeckSet(tuple(decks))


def unused_overrides(bundled_keys: frozenset[str], overrides: DeckSet) -> list[CardDef]:
    """The override cards that replace nothing (no bundled card has their key)."""
    return [card for card in overrides.cards() if card.key not in bundled_keys]


def _copy_in_place(bundled: CardDef, copy: CardDef) -> CardDef:
    return copy._replace(
        deck=bundled.deck,
        id=bundled.id,
        tags=bundled.tags,
        tier=bundled.tier,
        formerly=bundled.formerly,
        cloze=bundled.cloze,
    )
