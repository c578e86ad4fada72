"""The user's approvals of third-party deck code: one private file per approved SHA-256.

`<user data dir>/approved-code/<sha256>` exists once the user has read that code and
agreed to run it (its content says which card and deck, and when, for a person looking).

Why files in the user data dir rather than a table in the database: an approval is the
user's trust in a piece of code, not part of a study collection, so it holds for every
`--db`, survives starting a new database, and never travels with an export or a backup
that someone else may import. One file per approval is written whole with O_EXCL (no
read-modify-write that two terminals could interleave, no format to parse: looking an
approval up is one `stat`), as direnv keeps its `allow` list. The folder is created 0700
and each file 0600; a folder that another user could write to (who could plant an
approval) is not trusted and not written to.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from prepcli.core.errors import PrepError
from prepcli.storage import paths

FOLDER = "approved-code"
DIGEST = re.compile(r"[0-9a-f]{64}")


def folder() -> Path:
    return paths.data_dir() / FOLDER


def _private(path: Path) -> bool:
    """A folder only this user can change (owner, not writable by group or others)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == (os.getuid() if hasattr(os, "getuid") else info.st_uid)  # Windows
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def is_approved(digest: str) -> bool:
    if not DIGEST.fullmatch(digest):
        return False
    where = folder()
    return _private(where) and _private(where.parent) and (where / digest).is_file()


def approve(digest: str, *, card: str, deck: str, when: str) -> None:
    """Remember that the user approved the code with this digest."""
    if not DIGEST.fullmatch(digest):
        raise ValueError(f"not a SHA-256: {digest!r}")
    where = folder()
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise PrepError(f"cannot remember the approval in {where}: {exc.strerror or exc}") from None
    if not (_private(where) and _private(where.parent)):
        raise PrepError(
            f"cannot remember the approval: {where} or its folder can be changed by other "
            "users (make them yours and not writable by others)"
        )
    record = json.dumps({"card": card, "deck": deck, "approved": when}, ensure_ascii=True)
    try:
        descriptor = os.open(where / digest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # approved already (in another terminal, say)
    except OSError as exc:
        raise PrepError(f"cannot remember the approval in {where}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(record + "\n")
