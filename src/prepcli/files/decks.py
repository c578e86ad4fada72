"""Deck files: the loader (the format and its validator are in deckcheck.py), with a
parse cache, and the skeleton of a new deck file.

Every problem in every file is collected and reported together; a deck set with any
error is refused whole, so a bad deck never reaches the database. Warnings (severity
"warning") never stop a deck from loading; `prepcli deck lint` reports them with the
checks in lint.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.cards import CardDef, Deck, DeckSet
from prepcli.core.errors import Problem, ProblemsError
from prepcli.files.deckcheck import DeckValidator, cross_deck_problems
from prepcli.files.deckfiles import scan_decks

if TYPE_CHECKING:
    from prepcli.files.deckfiles import DeckCache
    from prepcli.files.yamlfile import Node


# PyYAML is imported only by commands that actually parse a file.
def parse_yaml(text: str, name: str) -> tuple[Node | None, list[Problem]]:
    from prepcli.files.yamlfile import parse

    return parse(text, name)


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    from prepcli.files import yamlfile

    return yamlfile.read_text(path)


def load_decks(roots: Iterable[Path], cache: DeckCache | None = None) -> DeckSet:
    """Load every deck under `roots` or raise ProblemsError listing every problem; `cache`
    keeps parsed decks between runs (storage/deckcache.py)."""
    decks, problems = check_decks(roots, cache)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ProblemsError(errors)
    return DeckSet(tuple(decks))


def check_decks(
    roots: Iterable[Path], cache_store: DeckCache | None = None
) -> tuple[list[Deck], list[Problem]]:
    """Parse and validate, returning the good decks and every problem found."""
    scan = scan_decks(roots)
    cache = _ParseCache(cache_store)
    decks: list[Deck] = []
    problems: list[Problem] = list(scan.problems)
    for path in scan.files:
        deck = cache.get(path)
        if deck is None:
            deck, found = parse_deck_file(path)
            if deck is None and not path.exists():
                continue  # removed since the scan found it: no longer a deck
            problems.extend(found)
            if deck is not None:
                cache.put(path, deck)
        if deck is not None:
            decks.append(deck)
    cache.save()
    problems.extend(cross_deck_problems(decks))
    return decks, problems


class ParsedDeck(NamedTuple):
    """One deck file as the validator saw it, for checks that need to know where things are.

    `deck` is None when the file has errors; `cards` holds every card that is valid on its
    own (even in a file with errors elsewhere), each with the YAML node it came from;
    `flawed` the cards with errors that still have a kind and a front (lint warns on them).
    """

    path: Path
    text: str
    root: Node | None
    deck: Deck | None
    cards: tuple[tuple[CardDef, Node], ...]
    problems: tuple[Problem, ...]
    flawed: tuple[tuple[CardDef, Node], ...] = ()


def parse_deck_file(path: Path) -> tuple[Deck | None, list[Problem]]:
    parsed = parse_deck(path)
    return parsed.deck, list(parsed.problems)


def parse_deck(path: Path) -> ParsedDeck:
    text, problems = read_text(path)
    if text is None:
        return ParsedDeck(path, "", None, None, (), tuple(problems))
    root, problems = parse_yaml(text, str(path))
    if root is None:
        return ParsedDeck(path, text, None, None, (), tuple(problems))
    validator = DeckValidator(str(path), problems, text.split("\n"))
    deck = validator.deck(root)
    if any(p.severity == "error" for p in problems):
        deck = None
    accepted, flawed = tuple(validator.accepted), tuple(validator.flawed)
    return ParsedDeck(path, text, root, deck, accepted, tuple(problems), flawed)


_SKELETON = """\
# yaml-language-server: $schema={schema}
# A prepcli deck, format version 1. `prepcli deck lint` checks it; `prepcli deck preview
# FILE#CARD-ID` shows a card as the review session will.
version: 1
deck: {deck}
title: {title}
description: {description}
sources:
{sources}
tags: []
cards:
  # id: a short slug, stable forever: review history is keyed by deck/id (to rename a
  #   card, give it a new id and list the old one under `formerly:`).
  # kind: concept | behavioral | coding | design.
  # Optional: tags, hints, points, time_limit, formerly, source, starter, tests, solution.
  - id: first-card
    kind: concept
    front: |
      The question, in Markdown. Inline math such as $\\sqrt{{d_k}}$ is shown in Unicode.
    back: |
      The answer, in Markdown: at most 20 lines of at most 100 characters.
"""


def new_deck_text(
    deck_id: str, title: str, description: str, sources: Iterable[str], schema: str
) -> str:
    """A new deck file with one example card and the schema modeline for editors.

    Raises ProblemsError if the values given do not make a valid deck.
    """

    def quoted(text: str) -> str:
        """`text` as a YAML scalar: plain when that reads back the same, else double-quoted."""
        root, _problems = parse_yaml(f"value: {text}\n", "")
        if "\n" not in text and root is not None and isinstance(root.value, dict):
            value = root.value.get("value")
            if value is not None and value.value == text:
                return text
        return json.dumps(text, ensure_ascii=False)  # a JSON string is valid YAML

    text = _SKELETON.format(
        schema=schema,
        deck=quoted(deck_id),
        title=quoted(title),
        description=quoted(description),
        sources="\n".join(f"  - {quoted(source)}" for source in sources),
    )
    root, problems = parse_yaml(text, "new deck")
    if root is not None:
        DeckValidator("new deck", problems).deck(root)
    if problems:
        raise ProblemsError(problems)
    return text


class _ParseCache:
    """The loader's side of a DeckCache: each file's size and modification time are read
    before it is parsed, so a deck is kept under the stamp of the file it was parsed from
    (a file changed meanwhile gets a newer stamp, which misses)."""

    def __init__(self, cache: DeckCache | None) -> None:
        self.cache = cache
        self.stamps: dict[Path, tuple[int, int]] = {}

    def get(self, path: Path) -> Deck | None:
        if self.cache is None:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        self.stamps[path] = (stat.st_size, stat.st_mtime_ns)
        return self.cache.get(path, stat.st_size, stat.st_mtime_ns)

    def put(self, path: Path, deck: Deck) -> None:
        stamp = self.stamps.get(path)
        if self.cache is not None and stamp is not None:
            self.cache.put(path, *stamp, deck)

    def save(self) -> None:
        if self.cache is not None:
            self.cache.save()
