"""Which files are decks, what the loader needs of a cache of parsed decks, and the tag
that ties such a cache to the validator's rules.

Apart from decks.py (the validator) so that start-up finds and checks its deck index
without importing the validator.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from prepcli import __version__
from prepcli.core.errors import Problem
from prepcli.files.safeio import kind_of

if TYPE_CHECKING:
    from prepcli.core.cards import Deck

DECK_SUFFIXES = (".yaml", ".yml")
#: Files and folders looked at under one deck folder before the scan stops: a folder of
#: decks holds hundreds; more means a wrong folder (`deck lint /`), not a deck collection.
MAX_SCAN_ENTRIES = 50_000


@dataclass
class DeckScan:
    """The deck files under some folders, and what the scan refused or could not read."""

    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def deck_files(roots: Iterable[Path]) -> list[Path]:
    """Every *.yaml / *.yml under the given folders (or the files themselves), sorted."""
    return scan_decks(roots).files


def scan_decks(roots: Iterable[Path]) -> DeckScan:
    """Find the deck files under `roots` without leaving them.

    Hidden files and folders (`.git`, `.github`) are skipped. A symbolic link is followed
    only to a file inside its deck folder; one that leads out of it is refused with a
    warning (a shared deck must not make prepcli read `/etc/passwd`). Files and folders
    that vanish during the scan are skipped; a folder with more than MAX_SCAN_ENTRIES
    entries stops the scan with an error instead of walking a whole disk.
    """
    scan = DeckScan()
    for root in roots:
        try:
            info = os.stat(root)
        except OSError:
            continue  # the CLI reports a missing path; one gone since is no deck
        if stat.S_ISREG(info.st_mode):
            scan.files.append(root)
        elif stat.S_ISDIR(info.st_mode):
            _scan_folder(root, scan)
        else:
            scan.problems.append(
                Problem(str(root), 1, 1, f"is {kind_of(info.st_mode)}, not a deck file or folder")
            )
    scan.files.sort()
    return scan


def _scan_folder(root: Path, scan: DeckScan) -> None:
    base = os.path.realpath(root)
    pending = [os.fspath(root)]
    seen = 0
    found_before, problems_before = len(scan.files), len(scan.problems)
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except FileNotFoundError:
            continue  # removed while the scan ran
        except OSError as exc:
            scan.problems.append(
                Problem(folder, 1, 1, f"cannot read folder: {exc.strerror or exc}", "warning")
            )
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_SCAN_ENTRIES:  # not a deck folder: none of it is read
                del scan.files[found_before:], scan.problems[problems_before:]
                scan.problems.append(
                    Problem(
                        str(root),
                        1,
                        1,
                        f"more than {MAX_SCAN_ENTRIES:,} files and folders: stopped looking "
                        "for decks here; name the folder that holds the deck files",
                    )
                )
                return
            if entry.name.startswith("."):
                continue
            _scan_entry(entry, base, scan, pending)


def _scan_entry(entry: os.DirEntry[str], base: str, scan: DeckScan, pending: list[str]) -> None:
    is_deck_name = entry.name.endswith(DECK_SUFFIXES)
    try:
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            inside = os.path.commonpath([base, target]) == base
            is_dir = os.path.isdir(target)
            if not inside and (is_deck_name or is_dir):
                scan.problems.append(
                    Problem(
                        entry.path,
                        1,
                        1,
                        f"symbolic link to {target}, outside the deck folder: not followed",
                        "warning",
                    )
                )
            elif inside and is_deck_name and os.path.isfile(target):
                scan.files.append(Path(entry.path))
            return  # a link to a folder inside is scanned there, and links can loop
        if entry.is_dir(follow_symlinks=False):
            pending.append(entry.path)
            return
        if not is_deck_name:
            return
        mode = entry.stat(follow_symlinks=False).st_mode
    except (OSError, ValueError):
        return  # vanished meanwhile (or a name the platform cannot compare)
    if stat.S_ISREG(mode):
        scan.files.append(Path(entry.path))
    else:
        scan.problems.append(
            Problem(entry.path, 1, 1, f"is {kind_of(mode)}, not a deck file: skipped", "warning")
        )


class DeckCache(Protocol):
    """Where the loader keeps decks it has parsed, by file (storage/deckcache.py keeps them
    in SQLite; files/ only needs this much of it)."""

    def get(self, path: Path, size: int, mtime_ns: int) -> Deck | None:
        """The deck parsed from `path` when it had this size and modification time."""
        ...

    def put(self, path: Path, size: int, mtime_ns: int, deck: Deck) -> None:
        """Keep `deck`, parsed from `path` as it was with this size and modification time."""
        ...

    def save(self) -> None:
        """Write what was put, all together."""
        ...


def cache_tag() -> str:
    # The validator's own files are part of the key so a changed rule never serves stale decks.
    package = Path(__file__).parents[1]
    rules = "-".join(
        str((package / name).stat().st_mtime_ns)
        for name in ("files/decks.py", "files/yamlfile.py", "core/cards.py", "core/controls.py")
    )
    return f"prepcli-decks-{__version__}-{rules}"
