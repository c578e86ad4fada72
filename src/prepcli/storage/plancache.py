"""The interview planner's choice for the day, kept as JSON in a small file in the cache folder.

The plan is a pure function of the review cards as the day began, the planner's
settings, the FSRS parameters and the decks (core/interview.py). Answering the day's
cards changes none of those, so the plan is worked out once a day and read back by every
later command that day. The file holds the plan with the key it was made for; any other
key — another day, a setting or the parameters changed, a deck file edited, a card
changed today other than by answering it, the log before today changed (an undo across
the rollover, an import), or the planner's code changed — and the plan is worked out
again. A file that cannot be read, is not safely this user's, or does not hold what
prepcli writes there is ignored; one that cannot be written only costs that time.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from pathlib import Path

from prepcli import __version__
from prepcli.core.interview import InterviewPlan
from prepcli.files.safeio import open_own, private_folder, write_file
from prepcli.storage.cachecodec import CacheDataError, fields_of
from prepcli.storage.plancodec import decode_interview_plan, encode_interview_plan

FILE_FIELDS = frozenset(("key", "plan"))


def plan_cache_file(cache_dir: Path, db: Path) -> Path:
    """The cache file of one database's plan (a CRC of its path names it)."""
    name = str(db.resolve()).encode("utf-8")
    return cache_dir / f"interview-plan-{zlib.crc32(name):08x}-{len(name)}.json"


def code_tag() -> str:
    """The planner's own files are part of the key, so a changed rule never serves a stale
    plan (as the deck cache does with the validator's)."""
    package = Path(__file__).parents[1]
    stamps = [
        (package / f"core/{name}.py").stat().st_mtime_ns for name in ("interview", "deadline")
    ]
    return f"prepcli-plan-{__version__}-{stamps[0]}-{stamps[1]}"


def load_plan(file: Path, key: object) -> InterviewPlan | None:
    """The plan saved for `key`, or None (no file, another key, a file not safely this
    user's, or not what prepcli writes)."""
    handle = open_own(file)
    if handle is None:
        return None
    try:
        with handle:
            saved = fields_of(json.loads(handle.read()), FILE_FIELDS, "interview plan file")
        if saved["key"] != key_text(key):
            return None
        return decode_interview_plan(saved["plan"])
    except (OSError, ValueError, CacheDataError):  # JSON and UTF-8 errors are ValueErrors
        return None


def save_plan(file: Path, key: object, plan: InterviewPlan) -> None:
    document = {"key": key_text(key), "plan": encode_interview_plan(plan)}
    try:
        private_folder(file.parent)
        write_file(
            file,
            lambda handle: handle.write(json.dumps(document, separators=(",", ":"))),
            overwrite=True,
            durable=False,
        )
    except OSError:
        pass  # only costs the time to work the plan out again


def key_text(key: object) -> str:
    """The key as canonical JSON text: equal keys, equal texts."""
    return json.dumps(_plain(key), sort_keys=True, separators=(",", ":"))


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a record (a NamedTuple)
        return {name: _plain(item) for name, item in zip(value._fields, value, strict=True)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(name): _plain(item) for name, item in value.items()}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"a plan cannot be keyed by a {type(value).__name__}")
