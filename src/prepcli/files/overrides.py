"""Override decks: the user's own copies of bundled cards, in their data folder.

The bundled decks live inside the installed package, which a reinstall replaces; so a
bundled card edited from the review session is first copied into an override deck,
`<data dir>/decks/overrides/<deck id>.yaml`, and that copy is what the editor opens. The
copy is the card's own text from the bundled file (comments and layout kept), under a
short header. Loaded after the bundled decks, each copy replaces the bundled card with
its key (core/overrides.py says what it may change) until it is removed, here by
`remove_override` (`prepcli deck overrides --remove KEY`) or by deleting it from the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.errors import PrepError
from prepcli.core.overrides import apply_overrides
from prepcli.files.deckfiles import deck_files
from prepcli.files.safeio import private_folder, write_file

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef, DeckSet
    from prepcli.files.yamlfile import Node

_HEADER = """\
# Your copies of cards from the bundled deck {deck}, made when you edited them from
# `prepcli review`. Each card here is shown instead of the bundled card with the same id
# (its history, tags and week in the plan stay the same). To go back to the bundled card,
# delete it here or run `prepcli deck overrides --remove {deck}/ID`.
version: 1
deck: {deck}
title: {title}
description: Your edited copies of cards from the bundled deck {deck}.
cards:
"""


class CopiedCard(NamedTuple):
    """Where a card's override copy is: its file and the line its entry starts on."""

    path: Path
    line: int
    created: bool  # False when the card already had a copy there


def load_overrides(folder: Path | None) -> DeckSet | None:
    """The override decks in `folder`, or None when there are none. A problem in them is
    reported like any deck's (ProblemsError, `path:line:col: message`)."""
    if folder is None or not has_overrides(folder):
        return None
    from prepcli.files.decks import load_decks

    return load_decks([folder])


def has_overrides(folder: Path | None) -> bool:
    """Whether `folder` holds any override deck (without reading one)."""
    return folder is not None and folder.is_dir() and bool(deck_files([folder]))


def with_overrides(decks: DeckSet, folder: Path | None) -> DeckSet:
    """`decks` with the user's copies in place of the bundled cards they copy."""
    overrides = load_overrides(folder)
    return decks if overrides is None else apply_overrides(decks, overrides)


def is_bundled(card: CardDef, bundled: Path) -> bool:
    """Whether `card` comes from the bundled decks (not an own deck, not a copy)."""
    return Path(card.path).resolve().is_relative_to(bundled.resolve())


def copy_card(card: CardDef, deck_title: str, folder: Path) -> CopiedCard:
    """Copy a bundled card's entry into its deck's override file (made if need be)."""
    source = Path(card.path)
    text = _read(source)
    found = _card_entry(source, text, card.note_id)
    if found is None:
        raise PrepError(f"cannot find card {card.note_id!r} in {source} to copy it")
    start, end = found
    entry = _reindented(text.split("\n")[start:end])
    target = folder / f"{card.deck}.yaml"
    if target.exists():
        before = _read(target)
        existing = _card_entry(target, before, card.note_id)
        if existing is not None:
            return CopiedCard(target, existing[0] + 1, created=False)
        after = before.rstrip("\n") + "\n" + entry
    else:
        before = None
        header = _HEADER.format(deck=card.deck, title=_quoted(f"{deck_title} (your copies)"))
        after = header + entry
    line = after.count("\n", 0, len(after) - len(entry)) + 1
    _write(target, after)
    _check_or_restore(target, before)
    return CopiedCard(target, line, created=True)


def remove_override(folder: Path, key: str) -> Path | None:
    """Remove the copy of card `key` (`deck/id`) from the override decks; the file it was
    in, or None when there is no such copy. A file left without cards is deleted."""
    deck, _, card_id = key.partition("/")
    note_id = card_id.rsplit(".c", 1)[0] if ".c" in card_id else card_id
    target = folder / f"{deck}.yaml"
    if not target.is_file():
        return None
    text = _read(target)
    found = _card_entry(target, text, card_id) or _card_entry(target, text, note_id)
    if found is None:
        return None
    lines = text.split("\n")
    start, end = found
    rest = lines[:start] + lines[end:]
    if _card_entry_count(target, "\n".join(rest)) == 0:
        os.unlink(target)
    else:
        _write(target, "\n".join(rest))
    return target


# --- the card's entry in a deck file ---------------------------------------------------


def _card_entry(path: Path, text: str, card_id: str) -> tuple[int, int] | None:
    """The lines [start, end) of the `cards:` entry with id `card_id` (0-based), from its
    `-` to its last line of content (comments and blank lines after it are left out)."""
    entries = _entries(path, text)
    lines = text.split("\n")
    for index, (entry_id, first) in enumerate(entries):
        if entry_id != card_id:
            continue
        start = _dash_line(lines, first)
        if index + 1 < len(entries):
            end = _dash_line(lines, entries[index + 1][1])
        else:
            end = _end_of_cards(lines, start)
        while end > start + 1 and _is_filler(lines[end - 1]):
            end -= 1
        return start, end
    return None


def _entries(path: Path, text: str) -> list[tuple[str | None, int]]:
    """Each card entry's id and the 0-based line of its first key, in file order."""
    from prepcli.files.decks import parse_yaml

    root, problems = parse_yaml(text, str(path))
    if root is None:
        raise PrepError(f"{path} does not parse: {problems[0].message if problems else '?'}")
    fields = root.value if isinstance(root.value, dict) else {}
    cards: Node | None = fields.get("cards")
    found: list[tuple[str | None, int]] = []
    if cards is None or not isinstance(cards.value, list):
        return found
    for node in cards.value:
        mapping = node.value if isinstance(node.value, dict) else {}
        id_node = mapping.get("id")
        card_id = id_node.value if id_node is not None and isinstance(id_node.value, str) else None
        found.append((card_id, node.line - 1))
    return found


def _card_entry_count(path: Path, text: str) -> int:
    return len(_entries(path, text))


def _dash_line(lines: list[str], first_key_line: int) -> int:
    """The line holding an entry's `-`: its first key's line, or the one before when the
    `-` stands alone."""
    if lines[first_key_line].lstrip().startswith("-"):
        return first_key_line
    previous = first_key_line - 1
    while previous > 0 and _is_filler(lines[previous]):
        previous -= 1
    return previous


def _end_of_cards(lines: list[str], start: int) -> int:
    """The line after the last card entry: the next top-level key, or the end."""
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            return index
    return len(lines)


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _reindented(lines: list[str]) -> str:
    """An entry moved to two spaces of indentation, as the override file writes them."""
    indent = len(lines[0]) - len(lines[0].lstrip())
    moved = []
    for line in lines:
        spaces = len(line) - len(line.lstrip(" "))
        moved.append("  " + line[min(indent, spaces) :] if line.strip() else "")
    return "\n".join(moved) + "\n"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string too


# --- reading and writing ---------------------------------------------------------------


def _read(path: Path) -> str:
    from prepcli.files.yamlfile import read_text

    text, problems = read_text(path)
    if text is None:
        raise PrepError(f"{path}: {problems[0].message if problems else 'cannot be read'}")
    return text


def _write(target: Path, text: str) -> None:
    try:
        private_folder(target.parent)
        write_file(target, lambda handle: handle.write(text), overwrite=True)
    except OSError as exc:
        raise PrepError(f"cannot write {target}: {exc.strerror or exc}") from None


def _check_or_restore(target: Path, before: str | None) -> None:
    """Undo a copy that made the override file invalid (it never should)."""
    from prepcli.files.decks import parse_deck

    problems = [p for p in parse_deck(target).problems if p.severity == "error"]
    if not problems:
        return
    if before is None:
        os.unlink(target)
    else:
        _write(target, before)
    first = problems[0]
    raise PrepError(f"copying the card made {target} invalid ({first.line}: {first.message})")
