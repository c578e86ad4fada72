"""Cards and decks as prepcli works with them: what a deck file defines, once loaded and
checked (the loader is prepcli.files.decks), and how a cloze card becomes its items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

#: A cloze deletion: `{{c1::hidden text}}` or `{{c1::hidden text::hint}}`, as in Anki.
CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::((?:(?!\}\}).)*?))?\}\}", re.DOTALL)


class Kind(StrEnum):
    """How a card is reviewed."""

    CONCEPT = "concept"
    BEHAVIORAL = "behavioral"
    CODING = "coding"
    DESIGN = "design"
    CLOZE = "cloze"


class Tier(StrEnum):
    """Who a card is for: a short runway takes core cards first."""

    CORE = "core"  # every candidate must know it
    EXTENDED = "extended"  # depth, for research roles


#: Seconds on the countdown of timed kinds when a card sets no `time_limit`.
DEFAULT_TIME_LIMITS: dict[Kind, int] = {Kind.BEHAVIORAL: 120, Kind.DESIGN: 600}


class CardDef(NamedTuple):
    """A card as its deck file defines it (text, not progress)."""

    deck: str
    id: str
    kind: Kind
    front: str
    back: str
    path: str
    line: int
    tags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    time_limit: int | None = None
    formerly: tuple[str, ...] = ()
    source: str | None = None
    starter: str | None = None
    tests: str | None = None
    solution: str | None = None
    #: Shown after the answer, set apart: why, a derivation, an example. Not what is rated.
    explain: str | None = None
    tier: Tier = Tier.CORE
    #: For one deletion of a cloze card: its number, and the authored text with every
    #: `{{cN::…}}` in place (the Anki export writes it back as one cloze note).
    cloze: int | None = None
    cloze_text: str | None = None

    @property
    def note_id(self) -> str:
        """The id written in the deck file (a cloze card's deletions share it)."""
        return self.id if self.cloze is None else self.id.rsplit(".", 1)[0]

    @property
    def key(self) -> str:
        """The card's identity everywhere outside its file: `deck/id`."""
        return f"{self.deck}/{self.id}"

    def former_keys(self) -> list[str]:
        """The `deck/id` keys this card's history may have been recorded under: a
        `formerly` entry is an id in this deck, or a `deck/id` key from another deck."""
        return [old if "/" in old else f"{self.deck}/{old}" for old in self.formerly]

    @property
    def timer_seconds(self) -> int | None:
        """The countdown for this card, or None for untimed kinds."""
        if self.time_limit is not None:
            return self.time_limit
        return DEFAULT_TIME_LIMITS.get(self.kind)


class Deck(NamedTuple):
    """A deck file: its metadata and cards, in file order."""

    id: str
    title: str
    description: str
    path: str
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cards: tuple[CardDef, ...] = ()
    line: int = 1  # where the deck id is written, for problems about it
    col: int = 1


@dataclass(frozen=True)
class DeckSet:
    """Every loaded deck, in load order."""

    decks: tuple[Deck, ...]

    def cards(self) -> Iterable[CardDef]:
        for deck in self.decks:
            yield from deck.cards

    @cached_property
    def by_key(self) -> dict[str, CardDef]:
        return {card.key: card for card in self.cards()}

    def card_map(self) -> dict[str, CardDef]:
        return self.by_key

    def renames(self) -> dict[str, str]:
        """Old `deck/id` → current `deck/id` for every `formerly` entry.

        An old id that is still some card's id keeps its own history (lint warns about it).
        """
        current = self.card_map()
        return {
            old_key: card.key
            for card in self.cards()
            for old_key in card.former_keys()
            if old_key not in current
        }


def cloze_items(card: CardDef) -> list[CardDef]:
    """The items a card is scheduled as: itself, or one per deletion number of a cloze card.

    Item `N` of cloze card `x` is `x.cN` (an id no deck can write, so never a clash): its
    front shows deletion N as a blank (with its hint) and the others as text, its back the
    whole text with deletion N in bold. History recorded under the card's own id (before it
    became a cloze card) or its `formerly` ids moves to the first item only.
    """
    if card.kind != Kind.CLOZE:
        return [card]
    numbers = sorted({int(m.group(1)) for m in CLOZE.finditer(card.front)})

    def shown(number: int, *, revealed: bool) -> str:
        def one(match: re.Match[str]) -> str:
            text, hint = match.group(2), match.group(3)
            if int(match.group(1)) != number:
                return text
            if revealed:
                return f"**{text}**"
            return f"**[{hint.strip()}…]**" if hint else "**[…]**"

        return CLOZE.sub(one, card.front)

    items = []
    for position, number in enumerate(numbers):
        back = shown(number, revealed=True)
        if card.back.strip():
            back += "\n\n" + card.back
        items.append(
            card._replace(
                id=f"{card.id}.c{number}",
                front=shown(number, revealed=False),
                back=back,
                # A card turned into a cloze card keeps its history on its first deletion.
                formerly=(*card.formerly, card.id) if position == 0 else (),
                cloze=number,
                cloze_text=card.front,
            )
        )
    return items
