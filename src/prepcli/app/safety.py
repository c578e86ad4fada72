"""A backup before each command that removes or replaces history: `deck orphans --forget`,
`card forget` on more than one card, and `import` (the undo log cannot take these back).

The copy is made by `prepcli backup`'s own code (maintenance.backup: SQLite's online
backup API, private, checked for integrity, published only once complete) into a
`backups/` folder beside the database (for the default database, the same folder
`prepcli backup` uses), named `<db>-<identity>-<UTC time>-before-<command>.sqlite3`.
The newest `SAFETY_BACKUPS_KEPT` copies of each command are kept; they never rotate away
the copies `prepcli backup` made, nor those of another command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from prepcli.storage.store import Store

#: Copies kept per command (the README's "Backups before destructive commands" says so).
SAFETY_BACKUPS_KEPT = 10


def backup_folder(db: Path) -> Path:
    return db.absolute().parent / "backups"


def backup_before(store: Store, command: str, now: datetime) -> Path:
    """Back the database up before `command` (a slug: `orphans-forget`, `card-forget`,
    `import`) changes it; returns the copy's path. A copy that cannot be made stops the
    command (PrepError) before anything is changed."""
    from prepcli.app import maintenance

    made = maintenance.backup(
        store,
        None,
        backup_folder(store.path),
        now,
        SAFETY_BACKUPS_KEPT,
        label=f"before-{command}",
    )
    return made.path
