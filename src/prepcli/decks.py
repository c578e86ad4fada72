"""Load and validate deck files (format version 1), with a parse cache.

Every problem in every file is collected and reported together; a deck set with any
error is refused whole, so a bad deck never reaches the database.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prepcli import __version__
from prepcli.errors import Problem, ProblemsError
from prepcli.models import CardDef, Deck, Kind
from prepcli.yamlfile import Node
from prepcli.yamlfile import load as load_yaml

FORMAT_VERSION = 1
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DECK_ID = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")
MAX_ID_LENGTH = 64

DECK_KEYS = {
    "version": False,
    "deck": True,
    "title": True,
    "description": True,
    "sources": True,
    "tags": False,
    "cards": True,
}
CARD_KEYS = {
    "id": True,
    "kind": True,
    "front": True,
    "back": True,
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
_TEXT_KEYS = ("front", "back", "source", "starter", "tests", "solution")
_LIST_KEYS = ("tags", "hints", "points", "formerly")


@dataclass(frozen=True)
class DeckSet:
    decks: tuple[Deck, ...]

    def cards(self) -> Iterable[CardDef]:
        for deck in self.decks:
            yield from deck.cards

    def card_map(self) -> dict[str, CardDef]:
        return {card.key: card for card in self.cards()}

    def renames(self) -> dict[str, str]:
        """Old `deck/id` → current `deck/id` for every `formerly` entry."""
        return {f"{card.deck}/{old}": card.key for card in self.cards() for old in card.formerly}


def deck_files(roots: Iterable[Path]) -> list[Path]:
    """Every *.yaml / *.yml under the given folders (or the files themselves), sorted."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))
    return sorted(found)


def load_decks(roots: Iterable[Path], cache_file: Path | None = None) -> DeckSet:
    """Load every deck under `roots` or raise ProblemsError listing every problem."""
    decks, problems = check_decks(roots, cache_file)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ProblemsError(errors)
    return DeckSet(tuple(decks))


def check_decks(
    roots: Iterable[Path], cache_file: Path | None = None
) -> tuple[list[Deck], list[Problem]]:
    """Parse and validate, returning the good decks and every problem found."""
    paths = deck_files(roots)
    cache = _ParseCache(cache_file)
    decks: list[Deck] = []
    problems: list[Problem] = []
    for path in paths:
        deck = cache.get(path)
        if deck is None:
            deck, found = parse_deck_file(path)
            problems.extend(found)
            if deck is not None and not found:
                cache.put(path, deck)
        if deck is not None:
            decks.append(deck)
    cache.save()
    problems.extend(_cross_deck_problems(decks))
    return decks, problems


def _cross_deck_problems(decks: list[Deck]) -> list[Problem]:
    problems: list[Problem] = []
    first_by_id: dict[str, Deck] = {}
    for deck in decks:
        if deck.id in first_by_id:
            other = first_by_id[deck.id]
            problems.append(
                Problem(deck.path, 1, 1, f"deck id {deck.id!r} is also used by {other.path}")
            )
        else:
            first_by_id[deck.id] = deck
    return problems


def parse_deck_file(path: Path) -> tuple[Deck | None, list[Problem]]:
    root, problems = load_yaml(path)
    if root is None:
        return None, problems
    deck = _DeckValidator(str(path), problems).deck(root)
    return (deck if not problems else None), problems


class _DeckValidator:
    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def problem(self, node: Node, message: str, *, at_key: bool = False) -> None:
        line, col = (
            (node.key_line, node.key_col) if at_key and node.key_line else (node.line, node.col)
        )
        self.problems.append(Problem(self.path, line, col, message))

    def deck(self, root: Node) -> Deck | None:
        if not isinstance(root.value, dict):
            self.problem(root, f"a deck file must be a mapping, not {root.type_name()}")
            return None
        fields = self.keys(root, DECK_KEYS, "deck")
        version = fields.get("version")
        if version is not None and version.value != FORMAT_VERSION:
            self.problem(version, f"unsupported format version {version.value!r} (expected 1)")
        deck_id = self.text(fields.get("deck"), "deck")
        if deck_id is not None and not DECK_ID.match(deck_id):
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
        )

    def keys(self, node: Node, allowed: dict[str, bool], what: str) -> dict[str, Node]:
        assert isinstance(node.value, dict)
        fields = node.value
        for key, value in fields.items():
            if key not in allowed:
                names = ", ".join(sorted(allowed))
                self.problem(
                    value, f"unknown key {key!r} in {what} (allowed: {names})", at_key=True
                )
        for key, required in allowed.items():
            if required and key not in fields:
                self.problem(node, f"{what} is missing required key {key!r}")
        return {k: v for k, v in fields.items() if k in allowed}

    def text(self, node: Node | None, name: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node.value, str):
            self.problem(node, f"{name!r} must be a string, not {node.type_name()}")
            return None
        if not node.value.strip():
            self.problem(node, f"{name!r} must not be empty")
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
            value = self.text(item, f"each entry of {name}")
            if value is not None:
                out.append(value)
        return tuple(out)

    def slugs(self, node: Node | None, name: str) -> tuple[str, ...]:
        values = self.strings(node, name)
        for value, item in zip(values, _items(node), strict=False):
            if not SLUG.match(value):
                self.problem(
                    item, f"{name} entry {value!r} must be a lowercase slug like 'kv-cache'"
                )
        return values

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
            for old in card.formerly:
                if old in claimed:
                    self.problem(
                        _field(item, "formerly"),
                        f"old id {old!r} is already claimed by card {claimed[old]!r}",
                    )
                claimed[old] = card.id
            cards.append(card)
        for card in cards:
            for old in card.formerly:
                if old in first_line:
                    self.problem(
                        _field_by_line(items, card.line, "formerly"),
                        f"formerly id {old!r} is still the id of another card",
                    )
        return cards

    def card(self, node: Node, deck_id: str) -> CardDef | None:
        if not isinstance(node.value, dict):
            self.problem(node, f"a card must be a mapping, not {node.type_name()}")
            return None
        before = len(self.problems)
        fields = self.keys(node, CARD_KEYS, "card")
        card_id = self.text(fields.get("id"), "id")
        if card_id is not None and (not SLUG.match(card_id) or len(card_id) > MAX_ID_LENGTH):
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
                names = ", ".join(sorted(k.value for k in Kind))
                self.problem(
                    fields["kind"], f"unknown kind {kind_text!r} (expected one of: {names})"
                )
        texts = {key: self.text(fields.get(key), key) for key in _TEXT_KEYS}
        lists = {key: self.strings(fields.get(key), key) for key in _LIST_KEYS}
        for tag, tag_node in zip(lists["tags"], _items(fields.get("tags")), strict=False):
            if not SLUG.match(tag):
                self.problem(
                    tag_node, f"tags entry {tag!r} must be a lowercase slug like 'kv-cache'"
                )
        time_limit = self.time_limit(fields.get("time_limit"))
        if fields.get("tests") is not None and texts["tests"] and not texts["solution"]:
            self.problem(fields["tests"], "a card with 'tests' needs a 'solution' to check them")
        if len(self.problems) > before or card_id is None or kind is None:
            return None
        assert texts["front"] is not None and texts["back"] is not None
        return CardDef(
            deck=deck_id,
            id=card_id,
            kind=kind,
            front=texts["front"],
            back=texts["back"],
            path=self.path,
            line=node.line,
            tags=lists["tags"],
            hints=lists["hints"],
            points=lists["points"],
            time_limit=time_limit,
            formerly=lists["formerly"],
            source=texts["source"],
            starter=texts["starter"],
            tests=texts["tests"],
            solution=texts["solution"],
        )

    def time_limit(self, node: Node | None) -> int | None:
        if node is None:
            return None
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4 * 3600:
            self.problem(node, "'time_limit' must be a whole number of seconds from 1 to 14400")
            return None
        return value


def _items(node: Node | None) -> list[Node]:
    return node.value if node is not None and isinstance(node.value, list) else []


def _field(card: Node, key: str) -> Node:
    assert isinstance(card.value, dict)
    return card.value.get(key, card)


def _field_by_line(items: list[Node], line: int, key: str) -> Node:
    card = next(item for item in items if item.line == line)
    return _field(card, key)


class _ParseCache:
    """Parsed decks keyed by (path, size, mtime), in one pickle file per deck set.

    The file lives in the user's cache directory and is only ever written by prepcli;
    a stale, foreign or unreadable cache is ignored and rebuilt.
    """

    def __init__(self, cache_file: Path | None) -> None:
        self.file = cache_file
        self.entries: dict[str, tuple[int, int, Deck]] = {}
        self.dirty = False
        if cache_file is None:
            return
        try:
            with open(cache_file, "rb") as handle:
                tag, entries = pickle.load(handle)
            if tag == _cache_tag():
                self.entries = entries
        except Exception:  # any unreadable cache is simply rebuilt
            self.entries = {}

    def get(self, path: Path) -> Deck | None:
        entry = self.entries.get(str(path))
        if entry is None:
            return None
        size, mtime_ns, deck = entry
        try:
            stat = path.stat()
        except OSError:
            return None
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
            return None
        return deck

    def put(self, path: Path, deck: Deck) -> None:
        try:
            stat = path.stat()
        except OSError:
            return
        self.entries[str(path)] = (stat.st_size, stat.st_mtime_ns, deck)
        self.dirty = True

    def save(self) -> None:
        if self.file is None or not self.dirty:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                pickle.dump((_cache_tag(), self.entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.file)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def _cache_tag() -> str:
    # The validator's own file is part of the key so a changed rule never serves stale decks.
    rules = Path(__file__).stat().st_mtime_ns
    return f"prepcli-decks-{__version__}-{FORMAT_VERSION}-{rules}"


def cache_name(roots: Iterable[Path]) -> str:
    """A file name for the cache of one set of deck folders."""
    joined = "\n".join(str(Path(r).resolve()) for r in roots)
    return "decks-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16] + ".pickle"
