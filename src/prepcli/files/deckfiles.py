"""Which files are decks, and the cache files kept for them: their names, the tag that
ties a cache to the validator's rules, and the atomic writer both caches use.

Apart from decks.py (the validator) so that start-up finds and checks its deck index
without importing the validator and its records.
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path

from prepcli import __version__


def deck_files(roots: Iterable[Path]) -> list[Path]:
    """Every *.yaml / *.yml under the given folders (or the files themselves), sorted."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(
                p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
            )
    return sorted(found)


def write_cache(file: Path, data: object) -> bool:
    """Pickle `data` to a cache file, whole or not at all (written beside it, then renamed,
    so a reader never meets half a file); False when it could not be written, which only
    costs speed."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, file)
    except OSError:
        return False
    return True


def cache_tag() -> str:
    # The validator's own files are part of the key so a changed rule never serves stale decks.
    package = Path(__file__).parents[1]
    rules = "-".join(
        str((package / name).stat().st_mtime_ns)
        for name in ("files/decks.py", "files/yamlfile.py", "core/cards.py", "core/controls.py")
    )
    return f"prepcli-decks-{__version__}-{rules}"


def cache_name(roots: Iterable[Path]) -> str:
    """A file name for the cache of one set of deck folders.

    A CRC is enough here (no security depends on it): two sets of
    folders sharing a name would only share a file whose entries are checked per path."""
    joined = "\n".join(str(Path(r).resolve()) for r in roots).encode("utf-8")
    return f"decks-{zlib.crc32(joined):08x}-{len(joined)}.pickle"
