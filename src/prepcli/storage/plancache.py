"""The interview planner's choice for the day, kept in a small file in the cache folder.

The plan is a pure function of the review cards as the day began, the planner's
settings, the FSRS parameters and the decks (core/interview.py). Answering the day's
cards changes none of those, so the plan is worked out once a day and read back by every
later command that day (on 20,000 cards, a few milliseconds instead of a few hundred).
The file holds the plan with the key it was made for; any other key — another day, a
setting or the parameters changed, a deck file edited, a card changed today other than
by answering it, the log before today changed (an undo across the rollover, an import),
or the planner's code changed — and the plan is worked out again. A file that cannot be
read or written only costs that time.
"""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli import __version__
from prepcli.files.deckfiles import write_cache

if TYPE_CHECKING:
    from prepcli.core.interview import InterviewPlan


def plan_cache_file(cache_dir: Path, db: Path) -> Path:
    """The cache file of one database's plan (a CRC of its path names it)."""
    name = str(db.resolve()).encode("utf-8")
    return cache_dir / f"interview-plan-{zlib.crc32(name):08x}-{len(name)}.pickle"


def code_tag() -> str:
    """The planner's own files are part of the key, so a changed rule never serves a stale
    plan (as the deck cache does with the validator's)."""
    package = Path(__file__).parents[1]
    stamps = [
        (package / f"core/{name}.py").stat().st_mtime_ns for name in ("interview", "deadline")
    ]
    return f"prepcli-plan-{__version__}-{stamps[0]}-{stamps[1]}"


def load_plan(file: Path, key: object) -> InterviewPlan | None:
    """The plan saved for `key`, or None (no file, another key, an unreadable file)."""
    try:
        with open(file, "rb") as handle:
            saved_key, plan = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    return plan if saved_key == key else None


def save_plan(file: Path, key: object, plan: InterviewPlan) -> None:
    write_cache(file, (key, plan))
