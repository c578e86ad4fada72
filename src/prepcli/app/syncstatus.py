"""Where a database stands with its sync folder: `prepcli sync --status`, and the check
that the database equals the replay of the folder's logs (`prepcli check`).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from prepcli.app.syncmerge import LOCAL_SETTINGS
from prepcli.core.errors import Problem
from prepcli.storage import syncdb, synclog, syncrows

if TYPE_CHECKING:
    from prepcli.storage.store import Store


class DeviceStatus(NamedTuple):
    device: str
    name: str | None
    this_device: bool
    events: int
    missing: int  # numbers below its highest not seen: a segment not arrived yet
    last_ms: int | None
    last_type: str | None
    last_card: str | None


class Unread(NamedTuple):
    path: str
    lines: int  # complete lines the next sync reads
    partial: int  # bytes of a last line still being copied


class SyncStatus(NamedTuple):
    device: str | None  # None: this database never synced
    name: str | None
    folder: str | None
    synced_ms: int | None
    devices: tuple[DeviceStatus, ...]
    unwritten: int  # this device's events not yet in the folder
    unread: tuple[Unread, ...]
    problems: tuple[tuple[Problem, int], ...]  # with when each was found


def status(store: Store, folder: Path | None, now: datetime) -> SyncStatus:
    me = syncdb.device(store)
    if me is None:
        return SyncStatus(None, None, str(folder) if folder else None, None, (), 0, (), ())
    where = folder or (Path(me.folder) if me.folder else None)
    names = syncdb.device_names(store)
    devices = []
    for device, events, highest, _latest in syncdb.per_device(store):
        last = syncdb.latest_of(store, device)
        devices.append(
            DeviceStatus(
                device,
                me.name if device == me.device else names.get(device),
                device == me.device,
                events,
                max(0, highest - events),
                last.at_ms if last else None,
                last.type if last else None,
                last.card if last else None,
            )
        )
    if not any(d.this_device for d in devices):
        devices.append(DeviceStatus(me.device, me.name, True, 0, 0, None, None, None))
    unread = _unread(store, where, me.device) if where is not None and where.is_dir() else []
    problems = tuple(
        (Problem(path, line, col, message), found)
        for path, line, col, message, found in syncdb.problems(store)
    )
    return SyncStatus(
        me.device,
        me.name,
        str(where) if where else None,
        me.synced_ms,
        tuple(sorted(devices, key=lambda d: (not d.this_device, d.device))),
        pending(store, now),
        tuple(unread),
        problems,
    )


def _unread(store: Store, folder: Path, this_device: str) -> list[Unread]:
    """Files with complete lines not read yet, or a last line still being copied. A
    broken last line in this device's own file is a write that was cut off (its events
    were written whole again): nothing to wait for."""
    found = []
    cursors = syncdb.cursors(store)
    try:
        files = synclog.log_files(folder)
    except synclog.Unreadable:
        return []
    for log in files:
        cursor = cursors.get(log.path)
        offset = cursor.read_bytes if cursor else 0
        if log.size <= offset:
            continue
        try:
            data = synclog.read_bytes(folder / log.path, offset)
        except synclog.Unreadable:
            continue
        lines = data.count(b"\n")
        partial = len(data) - (data.rfind(b"\n") + 1) if log.device != this_device else 0
        if lines or partial:
            found.append(Unread(str(folder / log.path), lines, partial))
    return found


class _Nothing(Exception):
    """Raised to roll back a transaction that only looked."""


def pending(store: Store, now: datetime) -> int:
    """This device's events not yet in the folder: those recorded as not written, and
    those the next sync would find in the tables (found in a transaction rolled back)."""
    from prepcli.app.sync import rules_of
    from prepcli.app.syncout import Deriver
    from prepcli.core.clock import to_ms

    me = syncdb.device(store)
    if me is None:
        return 0
    found = len(syncdb.unwritten(store, me.device))
    try:
        with store.transaction():
            fingerprint = rules_of(store).fingerprint
            found += Deriver(store, me, to_ms(now), fingerprint).derive().events
            raise _Nothing
    except _Nothing:
        pass
    return found


# --- the database against the replay of the logs ----------------------------------------


class Verification(NamedTuple):
    folder: str
    compared: bool  # False when the database is not in sync with the folder
    not_applied: int  # events in the folder this database has not applied
    not_written: int  # this device's events not yet in the folder
    differences: tuple[str, ...]


def verify(store: Store, folder: Path, now: datetime) -> Verification:
    """Build a new database from the folder's logs alone (as a new device's first sync
    would) and compare it with this one: cards, review log, flags, plans, settings and
    the parameters in use."""
    from prepcli.app.sync import sync
    from prepcli.storage.store import open_store

    not_written = pending(store, now)
    with tempfile.TemporaryDirectory(prefix="prepcli-verify-") as scratch:
        fresh = open_store(Path(scratch) / "replay.sqlite3")
        try:
            syncrows.scratch(fresh)
            sync(fresh, folder, now, write=False)
            theirs = syncrows.event_ids(fresh)
            mine = syncrows.event_ids(store)
            fresh_device = syncdb.device(fresh)
            assert fresh_device is not None
            not_applied = len(theirs - mine)
            if not_applied or not_written:
                return Verification(str(folder), False, not_applied, not_written, ())
            differences = _differences(store, fresh)
        finally:
            fresh.close()
    return Verification(str(folder), True, 0, 0, tuple(differences))


def _differences(mine: Store, replayed: Store) -> list[str]:
    found: list[str] = []
    here, there = syncrows.card_table(mine), syncrows.card_table(replayed)
    for key in sorted(set(here) | set(there)):
        a, b = here.get(key, syncrows.EMPTY_CARD), there.get(key, syncrows.EMPTY_CARD)
        if a != b:
            found.append(f"card {key}: {_first_difference(syncrows.CARD_FIELDS, a, b)}")
    here_log, there_log = syncrows.review_table(mine), syncrows.review_table(replayed)
    for key in sorted(set(here_log) | set(there_log)):
        a_rows, b_rows = here_log.get(key, []), there_log.get(key, [])
        if a_rows != b_rows:
            found.append(
                f"card {key}: its review log differs ({len(a_rows)} rows here, "
                f"{len(b_rows)} in the replay)" + _row_difference(a_rows, b_rows)
            )
    for name, (a, b) in _compare(syncrows.plan_table(mine), syncrows.plan_table(replayed)).items():
        found.append(f"plan {name}: {a!r} here, {b!r} in the replay")
    for name, (a, b) in _compare(_shared_settings(mine), _shared_settings(replayed)).items():
        found.append(f"setting {name}: {a} here, {b} in the replay")
    a_params, b_params = syncrows.parameters_in_use(mine), syncrows.parameters_in_use(replayed)
    if a_params != b_params:
        found.append("FSRS parameters in use differ from the replay's")
    return found


def _shared_settings(store: Store) -> dict[str, str]:
    return {
        name: value
        for name, value in syncrows.raw_settings(store).items()
        if name not in LOCAL_SETTINGS and not name.startswith("(")
    }


def _compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def _first_difference(names: tuple[str, ...], a: tuple[Any, ...], b: tuple[Any, ...]) -> str:
    for name, x, y in zip(names, a, b, strict=True):
        if x != y:
            return f"{name} {x!r} here, {y!r} in the replay"
    return "differs"


def _row_difference(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> str:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            detail = _first_difference(syncrows.REVIEW_FIELDS, x, y)
            return f"; row {index + 1}: {detail}"
    return ""
