"""The deck file format (version 1) and its validator: what a deck file may hold, every
problem with its place in the file, and the hints that say how to fix it.

The validator reports every problem in a file; a card with errors is left out of the deck
but kept aside (`DeckValidator.flawed`), so `prepcli deck lint` can still warn about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prepcli.core.cards import CLOZE, CardDef, Deck, Kind, Tier, cloze_items
from prepcli.core.errors import Problem
from prepcli.files.authorhints import comment_hint, did_you_mean, quote_hint, raw_scalar

if TYPE_CHECKING:
    from prepcli.core.errors import Severity
    from prepcli.files.yamlfile import Node


FORMAT_VERSION = 1
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")
MAX_ID_LENGTH = 64

DECK_KEYS = {
    "version": False,
    "deck": True,
    "title": True,
    "description": True,
    "sources": False,  # optional: `prepcli deck lint` warns about cards without any source
    "tags": False,
    "cards": True,
}
CARD_KEYS = {
    "id": True,
    "kind": True,
    "tier": False,
    "front": True,
    "back": False,  # required except on cloze cards, whose front holds the answer
    "explain": False,
    "tags": False,
    "hints": False,
    "points": False,
    "time_limit": False,
    "formerly": False,
    "source": False,
    "starter": False,
    "tests": False,
    "solution": False,
}
_TEXT_KEYS = ("front", "back", "explain", "source", "starter", "tests", "solution")
#: A `formerly` entry naming a card of another deck: `deck.id/card-id`.
OTHER_DECK_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*/[a-z0-9][a-z0-9-]*$")


def cross_deck_problems(decks: Sequence[Deck]) -> list[Problem]:
    """Problems between files: two decks with one id, one card's history claimed twice."""
    problems: list[Problem] = []
    first_by_id: dict[str, Deck] = {}
    for deck in decks:
        if deck.id in first_by_id:
            other = first_by_id[deck.id]
            problems.append(
                Problem(
                    deck.path,
                    deck.line,
                    deck.col,
                    f"deck id {deck.id!r} is also used by {other.path}",
                )
            )
        else:
            first_by_id[deck.id] = deck
    current = {card.key for deck in decks for card in deck.cards}
    claimed: dict[str, CardDef] = {}
    for deck in decks:
        for card in deck.cards:
            for old in card.former_keys():
                if old in claimed and claimed[old].deck != card.deck:
                    problems.append(
                        Problem(
                            card.path,
                            card.line,
                            1,
                            f"card {card.key!r} claims the history of {old!r}, "
                            f"which {claimed[old].key!r} ({claimed[old].path}) claims too",
                        )
                    )
                claimed.setdefault(old, card)
            for old in card.formerly:
                if "/" in old and old in current:
                    problems.append(
                        Problem(
                            card.path,
                            card.line,
                            1,
                            f"formerly key {old!r} is still a card, which keeps its own history",
                            "warning",
                        )
                    )
    return problems


class DeckValidator:
    """Checks one parsed deck file. `lines`: the file's text by line, for hints that quote
    what was written (`back: yes` is the boolean true, `"yes"` the text)."""

    def __init__(self, path: str, problems: list[Problem], lines: Sequence[str] = ()) -> None:
        self.path = path
        self.problems = problems
        self.lines = lines
        self.accepted: list[tuple[CardDef, Node]] = []
        #: Cards with errors that still have a kind and a front: lint warns about them too.
        self.flawed: list[tuple[CardDef, Node]] = []

    def problem(
        self, node: Node, message: str, *, at_key: bool = False, warning: bool = False
    ) -> None:
        line, col = (
            (node.key_line, node.key_col) if at_key and node.key_line else (node.line, node.col)
        )
        severity: Severity = "warning" if warning else "error"
        self.problems.append(Problem(self.path, line, col, message, severity))

    def error_count(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    def deck(self, root: Node) -> Deck | None:
        if not isinstance(root.value, dict):
            self.problem(root, f"a deck file must be a mapping, not {root.type_name()}")
            return None
        fields = self.keys(root, DECK_KEYS, "deck")
        version = fields.get("version")
        if version is not None and (
            isinstance(version.value, bool) or version.value != FORMAT_VERSION
        ):
            self.problem(version, f"unsupported format version {version.value!r} (expected 1)")
        deck_id = self.text(fields.get("deck"), "deck")
        if deck_id is not None and not DECK_ID.fullmatch(deck_id):
            self.problem(
                fields["deck"],
                f"deck id {deck_id!r} must be dotted lowercase slugs, e.g. 'llm-quiz.inference'",
            )
        title = self.text(fields.get("title"), "title")
        description = self.text(fields.get("description"), "description")
        sources = self.strings(fields.get("sources"), "sources")
        tags = self.slugs(fields.get("tags"), "tags")
        cards_node = fields.get("cards")
        cards: list[CardDef] = []
        if cards_node is not None:
            if not isinstance(cards_node.value, list):
                self.problem(cards_node, f"'cards' must be a list, not {cards_node.type_name()}")
            elif not cards_node.value:
                self.problem(cards_node, "deck has no cards")
            else:
                cards = self.cards(cards_node.value, deck_id or "")
        if deck_id is None or title is None or description is None:
            return None
        return Deck(
            id=deck_id,
            title=title,
            description=description,
            path=self.path,
            sources=sources,
            tags=tags,
            cards=tuple(cards),
            line=fields["deck"].line,
            col=fields["deck"].col,
        )

    def keys(self, node: Node, allowed: dict[str, bool], what: str) -> dict[str, Node]:
        assert isinstance(node.value, dict)
        fields = node.value
        unused = [k for k in allowed if k not in fields]
        for key, value in fields.items():
            if key not in allowed:
                meant = did_you_mean(key, unused) or did_you_mean(key, allowed)
                if meant is None:
                    hint = f"allowed: {', '.join(sorted(allowed))}"
                elif meant in fields:
                    hint = (
                        f"did you mean {meant!r}? It is also set, on line {fields[meant].key_line}"
                    )
                else:
                    hint = f"did you mean {meant!r}?"
                self.problem(value, f"unknown key {key!r} in {what} ({hint})", at_key=True)
        for key, required in allowed.items():
            if required and key not in fields:
                self.problem(node, f"{what} is missing required key {key!r}")
        return {k: v for k, v in fields.items() if k in allowed}

    def text(self, node: Node | None, name: str, label: str | None = None) -> str | None:
        if node is None:
            return None
        what = label or repr(name)
        key = None if label else name  # a list entry has no key of its own
        if node.value is None:
            hint = comment_hint(self.lines, node.key_line, name) if key else ""
            self.problem(node, f"{what} must be a string, not empty{hint}")
            return None
        if not isinstance(node.value, str):
            hint = ""
            collection = isinstance(node.value, dict | list)
            if not collection or node.line == node.key_line:  # a one-line [..] or {..}
                raw = raw_scalar(self.lines, node.line, node.col, collection=collection)
                hint = quote_hint(raw, key, node.value)
            self.problem(node, f"{what} must be a string, not {node.type_name()}{hint}")
            return None
        if not node.value.strip():
            self.problem(node, f"{what} must not be empty")
            return None
        return node.value

    def strings(self, node: Node | None, name: str) -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node.value, list):
            self.problem(node, f"{name!r} must be a list of strings, not {node.type_name()}")
            return ()
        out = []
        for item in node.value:
            value = self.text(item, name, f"{name} entry")
            if value is not None:
                out.append(value)
        return tuple(out)

    def slugs(
        self,
        node: Node | None,
        name: str,
        example: str = "kv-cache",
        also: re.Pattern[str] | None = None,
    ) -> tuple[str, ...]:
        """A list of slugs (or strings matching `also`); only the well-formed ones come back."""
        if node is None or not isinstance(node.value, list):
            self.strings(node, name)
            return ()
        out = []
        for item in node.value:
            value = self.text(item, name, f"{name} entry")
            if value is None:
                continue
            if SLUG.fullmatch(value) or (also is not None and also.fullmatch(value)):
                out.append(value)
            else:
                self.problem(
                    item, f"{name} entry {value!r} must be a lowercase slug like {example!r}"
                )
        return tuple(out)

    def cards(self, items: list[Node], deck_id: str) -> list[CardDef]:
        cards: list[CardDef] = []
        first_line: dict[str, int] = {}
        claimed: dict[str, str] = {}
        for item in items:
            id_node = _field(item, "id") if isinstance(item.value, dict) else None
            if id_node is not None and id_node is not item and isinstance(id_node.value, str):
                if id_node.value in first_line:
                    self.problem(
                        id_node,
                        f"duplicate card id {id_node.value!r} "
                        f"(first at line {first_line[id_node.value]})",
                    )
                    continue
                first_line[id_node.value] = id_node.line
            card = self.card(item, deck_id)
            if card is None:
                continue
            for old, old_node in zip(card.formerly, _items(_field(item, "formerly")), strict=True):
                if old in claimed:
                    self.problem(
                        old_node, f"old id {old!r} is already claimed by card {claimed[old]!r}"
                    )
                else:
                    claimed[old] = card.id
            cards.extend(cloze_items(card))
            self.accepted.append((card, item))
        for card, item in self.accepted:
            for old, old_node in zip(card.formerly, _items(_field(item, "formerly")), strict=True):
                if old in first_line:
                    self.problem(
                        old_node,
                        f"formerly id {old!r} is still the id of the card at line "
                        f"{first_line[old]}, which keeps its own history",
                        warning=True,
                    )
        return cards

    def card(self, node: Node, deck_id: str) -> CardDef | None:
        if not isinstance(node.value, dict):
            self.problem(node, f"a card must be a mapping, not {node.type_name()}")
            return None
        before = self.error_count()
        fields = self.keys(node, CARD_KEYS, "card")
        card_id = self.text(fields.get("id"), "id")
        if card_id is not None and (not SLUG.fullmatch(card_id) or len(card_id) > MAX_ID_LENGTH):
            self.problem(
                fields["id"],
                f"card id {card_id!r} must be a lowercase slug of at most {MAX_ID_LENGTH} "
                "characters, e.g. 'kv-cache-size'",
            )
        kind_text = self.text(fields.get("kind"), "kind")
        kind: Kind | None = None
        if kind_text is not None:
            try:
                kind = Kind(kind_text)
            except ValueError:
                self.problem(fields["kind"], _unknown("kind", kind_text, [k.value for k in Kind]))
        texts = {key: self.text(fields.get(key), key) for key in _TEXT_KEYS}
        lists = {key: self.strings(fields.get(key), key) for key in ("hints", "points")}
        tags = self.slugs(fields.get("tags"), "tags")
        formerly = self.slugs(fields.get("formerly"), "formerly", "kv-cache-size", OTHER_DECK_KEY)
        tier = self.tier(fields.get("tier"))
        if kind == Kind.CLOZE:
            if "front" in fields:  # a missing front is reported by `keys` already
                self.cloze_deletions(fields["front"], texts["front"])
        elif "back" not in fields:
            self.problem(node, "card is missing required key 'back'")
        elif texts["front"] is not None and CLOZE.search(texts["front"]):
            self.problem(
                fields["front"],
                "cloze deletions in a card that is not a cloze card (set 'kind: cloze')",
                warning=True,
            )
        if card_id is not None and card_id in formerly:
            entry = next(n for n in _items(fields.get("formerly")) if n.value == card_id)
            self.problem(entry, f"card {card_id!r} lists its own id in 'formerly'")
        time_limit = self.time_limit(fields.get("time_limit"))
        if fields.get("tests") is not None and texts["tests"] and "solution" not in fields:
            self.problem(fields["tests"], "a card with 'tests' needs a 'solution' to check them")
        if kind is None or texts["front"] is None:
            return None
        card = CardDef(
            deck=deck_id,
            id=card_id or "",
            kind=kind,
            tier=tier,
            front=texts["front"],
            back=texts["back"] or "",
            explain=texts["explain"],
            path=self.path,
            line=node.line,
            tags=tags,
            hints=lists["hints"],
            points=lists["points"],
            time_limit=time_limit,
            formerly=formerly,
            source=texts["source"],
            starter=texts["starter"],
            tests=texts["tests"],
            solution=texts["solution"],
        )
        if self.error_count() > before or card_id is None:
            self.flawed.append((card, node))
            return None
        return card

    def tier(self, node: Node | None) -> Tier:
        if node is None:
            return Tier.CORE
        try:
            return Tier(str(node.value))
        except ValueError:
            self.problem(node, _unknown("tier", node.value, [t.value for t in Tier]))
            return Tier.CORE

    def cloze_deletions(self, node: Node, front: str | None) -> None:
        if front is None:
            return
        deletions = list(CLOZE.finditer(front))
        if not deletions:
            self.problem(node, "a cloze card's front needs a deletion such as {{c1::hidden text}}")
        for deletion in deletions:
            if not deletion.group(2).strip():
                self.problem(node, f"cloze deletion c{deletion.group(1)} hides nothing")
            elif not 1 <= int(deletion.group(1)) <= 99:
                self.problem(
                    node, f"cloze deletions are numbered c1 to c99, not c{deletion.group(1)}"
                )

    def time_limit(self, node: Node | None) -> int | None:
        if node is None:
            return None
        value = node.value
        # A whole float (90.0) is a whole number, as JSON Schema's "integer" has it.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4 * 3600:
            self.problem(node, "'time_limit' must be a whole number of seconds from 1 to 14400")
            return None
        return value


def _unknown(what: str, value: object, names: list[str]) -> str:
    meant = did_you_mean(value, names) if isinstance(value, str) else None
    if meant is not None:
        return f"unknown {what} {value!r} (did you mean {meant!r}?)"
    return f"unknown {what} {value!r} (expected one of: {', '.join(sorted(names))})"


def _items(node: Node | None) -> list[Node]:
    return node.value if node is not None and isinstance(node.value, list) else []


def _field(card: Node, key: str) -> Node:
    assert isinstance(card.value, dict)
    return card.value.get(key, card)
