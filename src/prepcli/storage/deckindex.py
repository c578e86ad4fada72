"""What start-up needs from the decks, without the cards' text: their keys, renames, and
each plan's week assignment, kept in a small file beside the parse cache.

`prepcli` (today) only counts cards, so it reads this index instead of unpickling every
card (on 20,000 cards: a few milliseconds instead of a hundred). The index is valid only
while every deck file has the size and modification time it was built from; otherwise
the decks are loaded (and validated) in full and the index is rebuilt. A plan's layout is
added the first time that plan is used with these decks, and invalidated the same way
when the plan file changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.files.deckfiles import cache_name, cache_tag, deck_files, read_cache, write_cache

if TYPE_CHECKING:
    from prepcli.core.cards import DeckSet
    from prepcli.files.plan import PlanLayout

Stamp = tuple[str, int, int]  # path, size, modification time (ns)


@dataclass
class DeckIndex:
    """The deck index: what start-up needs from the decks (see the module docstring)."""

    stamps: tuple[Stamp, ...]
    tag: str
    keys: tuple[str, ...]  # every card, in deck-file order
    deck_ids: tuple[str, ...]
    renames: dict[str, str]
    layouts: dict[str, tuple[Stamp, PlanLayout]] = field(default_factory=dict)
    file: Path | None = None
    dirty: bool = False

    def layout(self, plan_path: Path, build: Callable[[], PlanLayout]) -> PlanLayout:
        """The plan's layout on these decks, built once per plan-file version."""
        stamp = _stamp(plan_path)
        found = self.layouts.get(str(plan_path))
        if found is not None and stamp is not None and found[0] == stamp:
            return found[1]
        layout = build()
        # The same string objects as `keys`: pickle then writes each key once (the file
        # and its load time shrink by ~40 %) and, once loaded, they share cached hashes.
        same = {key: key for key in self.keys}
        layout.by_week = tuple(same.get(key, key) for key in layout.by_week)
        if stamp is not None:
            self.layouts[str(plan_path)] = (stamp, layout)
            self.dirty = True
            self.save()
        return layout

    def save(self) -> None:
        if self.file is None or not self.dirty:
            return
        saved = (self.stamps, self.tag, self.keys, self.deck_ids, self.renames, self.layouts)
        if write_cache(self.file, saved):
            self.dirty = False


def index_of(decks: DeckSet, stamps: tuple[Stamp, ...] = (), file: Path | None = None) -> DeckIndex:
    return DeckIndex(
        stamps=stamps,
        tag=_tag(),
        keys=tuple(card.key for card in decks.cards()),
        deck_ids=tuple(deck.id for deck in decks.decks),
        renames=decks.renames(),
        file=file,
        dirty=file is not None,
    )


def load_index(roots: Iterable[Path], cache_dir: Path) -> tuple[DeckIndex, DeckSet | None]:
    """The index of the decks under `roots`, and the decks themselves if they had to be
    loaded (the index was missing or stale). Bad decks raise ProblemsError as load_decks."""
    roots = tuple(roots)
    name = cache_name(roots)
    file = cache_dir / name.replace(".pickle", ".index.pickle")
    stamps = tuple(s for s in (_stamp(p) for p in deck_files(roots)) if s is not None)
    cached = _read(file)
    if cached is not None and cached.stamps == stamps:
        return cached, None
    from prepcli.files.decks import load_decks  # the validator, only when the index is stale

    decks = load_decks(roots, cache_dir / name)
    index = index_of(decks, stamps, file)
    index.save()
    return index, decks


def _read(file: Path) -> DeckIndex | None:
    try:
        stamps, tag, keys, deck_ids, renames, layouts = read_cache(file)
    except Exception:  # missing, foreign or from another version: rebuilt from the decks
        return None
    if tag != _tag():
        return None
    return DeckIndex(stamps, tag, keys, deck_ids, renames, layouts, file=file)


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _tag() -> str:
    # The plan module's rules decide the layouts, so its version is part of the key too.
    plan_rules = (Path(__file__).parents[1] / "files" / "plan.py").stat().st_mtime_ns
    return f"{cache_tag()}-{plan_rules}"
