"""The only platformdirs importer: where the database, the cache and bundled files live.

platformdirs is imported by the functions that need it, so a run whose locations all
come from the environment (PREPCLI_DB, PREPCLI_CACHE_DIR) does not pay for it."""

from __future__ import annotations

import os
from pathlib import Path

APP = "prepcli"


def default_db_path() -> Path:
    return data_dir() / "prepcli.sqlite3"


def cache_dir() -> Path:
    override = os.environ.get("PREPCLI_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def overrides_dir() -> Path:
    """The user's edited copies of bundled cards (see files/overrides.py)."""
    return data_dir() / "decks" / "overrides"


def bundled(name: str) -> Path:
    """A folder shipped in the package (`decks`, `plans`), or the source tree's own copy."""
    packaged = Path(__file__).parents[1] / name  # a plain package (not a zip): importlib.resources
    # would return this same folder, after importing tempfile and more (and loads more modules)
    if packaged.is_dir():
        return packaged
    # An editable install runs from src/prepcli; the authors' copy is at the repository top.
    return Path(__file__).resolve().parents[3] / name
