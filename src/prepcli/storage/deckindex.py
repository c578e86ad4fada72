"""What start-up needs from the decks, without the cards' text: their keys, renames, and
each plan's week assignment, kept in the deck cache (storage/deckcache.py).

`prepcli` (today) only counts cards, and `answer` only checks that a card exists, so they
read this index instead of loading every card; a command that shows one card reads that
card's row of the cache. The index is valid only while every deck file has the size and
modification time it was built from; otherwise the decks are loaded (and validated) in
full and the index is rebuilt. A plan's layout is added the first time that plan is used
with these decks, and invalidated the same way when the plan file changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prepcli.core.errors import ProblemsError
from prepcli.files.deckfiles import cache_tag, deck_files
from prepcli.storage.cachecodec import (
    CacheDataError,
    decode_problems,
    encode_problems,
    fields_of,
    text,
    text_map,
    texts,
    whole,
)
from prepcli.storage.deckcache import DeckCache

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef, DeckSet
    from prepcli.core.planlayout import PlanLayout

Stamp = tuple[str, int, int]  # path, size, modification time (ns)


@dataclass
class DeckIndex:
    """The deck index: what start-up needs from the decks (see the module docstring)."""

    stamps: tuple[Stamp, ...]
    tag: str
    keys: tuple[str, ...]  # every card, in deck-file order
    deck_ids: tuple[str, ...]
    renames: dict[str, str]
    cache: DeckCache | None = None  # where it is kept, with the cards and layouts
    name: str = ""  # the deck folders it indexes, as the cache names them
    _layouts: dict[str, tuple[Stamp, PlanLayout | ProblemsError]] = field(
        default_factory=dict, repr=False
    )

    def layout(self, plan_path: Path, build: Callable[[], PlanLayout]) -> PlanLayout:
        """The plan's layout on these decks, built once per plan-file version. A plan file
        with problems (ProblemsError) is kept too, so that a command does not read every
        card again to find them."""
        stamp = _stamp(plan_path)
        found = self._layouts.get(str(plan_path))
        outcome: PlanLayout | ProblemsError
        if found is not None and stamp is not None and found[0] == stamp:
            outcome = found[1]
        else:
            saved = None if stamp is None else self._saved_layout(plan_path, stamp)
            outcome = saved or _built(build)
            if stamp is not None:
                if saved is None:
                    self._save_layout(plan_path, stamp, outcome)
                self._layouts[str(plan_path)] = (stamp, outcome)
        if isinstance(outcome, ProblemsError):
            raise ProblemsError(outcome.problems)
        return outcome

    def plan_id(self, plan_path: Path, read: Callable[[Path], str | None]) -> str | None:
        """The `plan:` id a plan file declares, `read` from it once per file version (an
        exception from `read` is not kept: the file is read again next time)."""
        stamp = _stamp(plan_path)
        if stamp is None or self.cache is None:
            return read(plan_path)
        path, size, mtime_ns = stamp
        saved = self.cache.plan_id(path, size, mtime_ns)
        if saved is not None:
            return saved[0]
        found = read(plan_path)
        self.cache.put_plan_id(path, size, mtime_ns, found)
        return found

    def _save_layout(
        self, plan_path: Path, stamp: Stamp, outcome: PlanLayout | ProblemsError
    ) -> None:
        if self.cache is None:
            return
        if isinstance(outcome, ProblemsError):
            if not _about_its_text(outcome, plan_path):
                return  # an unreadable file may be readable next time, unchanged
            saved: dict[str, Any] = {"problems": encode_problems(outcome.problems)}
        else:
            from prepcli.storage.plancodec import encode_layout  # a plan's: see _saved_layout

            positions = {key: index for index, key in enumerate(self.keys)}
            saved = {"layout": encode_layout(outcome, positions)}
        self.cache.put_layout(self.name, str(plan_path), self._decks_id, json.dumps(stamp), saved)

    def _saved_layout(self, plan_path: Path, stamp: Stamp) -> PlanLayout | ProblemsError | None:
        found = None if self.cache is None else self.cache.layout(self.name, str(plan_path))
        if found is None:
            return None
        decks, saved_stamp, saved = found
        if decks != self._decks_id or saved_stamp != json.dumps(stamp):
            return None  # made on other decks (another process's index) or another plan file
        # The plans' codec and records load with the first layout read: a command that
        # reads no plan (stats, card show) does without them.
        from prepcli.storage.plancodec import decode_layout

        try:
            data = json.loads(text(saved))
            if isinstance(data, dict) and data.keys() == {"problems"}:
                return ProblemsError(decode_problems(data["problems"]))
            return decode_layout(fields_of(data, LAYOUT_OUTCOME, "layout")["layout"], self.keys)
        except (CacheDataError, ValueError):
            return None

    @cached_property
    def _decks_id(self) -> str:
        """Which deck files, in which versions, a layout was made on."""
        return json.dumps([self.tag, self.stamps])

    def card(self, key: str) -> CardDef | None:
        """The card `key` from the cache, without loading the decks; None when the cache
        does not hold it for these deck files (then the decks must be loaded)."""
        if self.cache is None:
            return None
        return self.cache.card(key, self._stamp_set)

    def deck_list(self) -> list[tuple[str, str, int, str]] | None:
        """(deck id, title, card count, path) of each deck, from the cache without reading
        a card; None when the cache cannot tell (then the decks must be loaded)."""
        headers = None if self.cache is None else self.cache.deck_headers(self.stamps)
        if headers is None or tuple(deck.id for deck, _ in headers) != self.deck_ids:
            return None
        return [(deck.id, deck.title, count, deck.path) for deck, count in headers]

    @cached_property
    def _stamp_set(self) -> frozenset[Stamp]:
        return frozenset(self.stamps)

    def save(self) -> None:
        if self.cache is not None:
            self.cache.put_deck_set(self.name, self.tag, _encode(self))

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()


LAYOUT_OUTCOME = frozenset(("layout",))


def _built(build: Callable[[], PlanLayout]) -> PlanLayout | ProblemsError:
    try:
        return build()
    except ProblemsError as exc:
        return exc


def _about_its_text(error: ProblemsError, plan_path: Path) -> bool:
    """Whether every problem is in what the plan file says (not that it cannot be read:
    those messages start with "file")."""
    return all(
        p.path == str(plan_path) and not p.message.startswith("file ") for p in error.problems
    )


def index_of(
    decks: DeckSet,
    stamps: tuple[Stamp, ...] = (),
    cache: DeckCache | None = None,
    name: str = "",
) -> DeckIndex:
    return DeckIndex(
        stamps=stamps,
        tag=_tag(),
        keys=tuple(card.key for card in decks.cards()),
        deck_ids=tuple(deck.id for deck in decks.decks),
        renames=decks.renames(),
        cache=cache,
        name=name,
    )


def load_index(roots: Iterable[Path], cache_dir: Path) -> tuple[DeckIndex, DeckSet | None]:
    """The index of the decks under `roots`, and the decks themselves if they had to be
    loaded (the index was missing or stale). Bad decks raise ProblemsError as load_decks.
    The index keeps the cache open for the cards and layouts: `close` it when done."""
    roots = tuple(roots)
    name = deck_set_name(roots)
    stamps = tuple(s for s in (_stamp(p) for p in deck_files(roots)) if s is not None)
    cache = DeckCache.in_folder(cache_dir)
    try:
        saved = _read(cache, name)
        if saved is not None and saved.stamps == stamps:
            return saved, None
        from prepcli.files.decks import load_decks  # the validator, only when the index is stale

        decks = load_decks(roots, cache)
    except BaseException:
        cache.close()
        raise
    index = index_of(decks, stamps, cache, name)
    index.save()
    return index, decks


def deck_set_name(roots: Iterable[Path]) -> str:
    """The deck folders as the cache names their index: resolved, one per line."""
    return "\n".join(str(Path(root).resolve()) for root in roots)


INDEX_FIELDS = frozenset(("stamps", "keys", "deck_ids", "renames"))


def _encode(index: DeckIndex) -> dict[str, Any]:
    return {
        "stamps": [list(stamp) for stamp in index.stamps],
        "keys": list(index.keys),
        "deck_ids": list(index.deck_ids),
        "renames": index.renames,
    }


def _read(cache: DeckCache, name: str) -> DeckIndex | None:
    found = cache.deck_set(name)
    tag = _tag()
    if found is None or found[0] != tag:
        return None  # never indexed, or by another version's rules
    try:
        data = fields_of(json.loads(text(found[1])), INDEX_FIELDS, "deck index")
        stamps = tuple(_decode_stamp(stamp) for stamp in data["stamps"])
        return DeckIndex(
            stamps=stamps,
            tag=tag,
            keys=texts(data["keys"]),
            deck_ids=texts(data["deck_ids"]),
            renames=text_map(data["renames"]),
            cache=cache,
            name=name,
        )
    except (CacheDataError, ValueError, TypeError):
        return None  # rebuilt from the decks


def _decode_stamp(value: object) -> Stamp:
    if not isinstance(value, list) or len(value) != 3:
        raise CacheDataError("not a file stamp")
    return (text(value[0]), whole(value[1]), whole(value[2]))


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
