"""Sync through a folder that git, Syncthing or a cloud drive already syncs.

Each device appends its own events to its own files in the folder and reads everyone
else's (storage/synclog.py holds the format of the files, core/syncevents.py that of the
events). One sync is two transactions:

1. merge: this device's new events are found in its tables (app/syncout.py) and
   recorded as not yet written; the folder's new lines are read and applied
   (app/syncin.py, app/synccards.py). All of it lands at once or not at all.
2. publish: the events not yet written are appended to this device's file and synced to
   disk, then recorded as written. A kill between the two leaves them recorded as not
   written: the next sync writes them (and first looks in the file for a write that was
   cut off, so nothing is written twice; a line cut in half is left behind in its
   segment and written whole in a new one).

A merge is a function of the set of events: syncing in any order, repeatedly, gives the
same database on every device.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from prepcli.app import syncin
from prepcli.app.synccards import CardMerge
from prepcli.app.syncmerge import Decision, Rules
from prepcli.app.syncout import Deriver, answer_of
from prepcli.core import syncevents
from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, Problem, UsageError
from prepcli.core.models import settings_from
from prepcli.storage import syncdb, synclog, syncrows
from prepcli.storage.sqlitefile import run_guarded
from prepcli.storage.store import Store

#: This device's answers' lines as the merge made them: id → (line, prev, rules).
Lines = dict[str, tuple[str, int | None, int | None]]
#: The version of `prepcli sync --json` and `sync --status --json` documents.
JSON_VERSION = 1


class SyncReport(NamedTuple):
    folder: str
    device: str
    name: str
    first: bool  # this sync made the database's history this device's log
    written: int  # this device's events written to the folder
    applied: int  # other events read and applied
    already_known: int  # lines read again (a file replaced, a write repeated): skipped
    cards_changed: int
    cards_replayed: int
    concurrent: tuple[str, ...]  # cards answered on two devices before they synced
    undone: int  # this device's answers undone since the last sync
    restored: int  # answers deleted here that other devices still have, put back
    decisions: tuple[Decision, ...]  # values two devices set differently
    problems: tuple[Problem, ...]  # lines that could not be applied, found this time
    waiting: tuple[tuple[str, int], ...]  # files whose last line is still being copied
    newer: tuple[tuple[str, int], ...]  # files written by a newer prepcli (not read)
    synced_ms: int


def rules_of(store: Store) -> Rules:
    """The scheduling rules of a database, as Study.scheduler builds them."""
    from prepcli.core.scheduler import Scheduler

    stored = store.settings.fsrs_parameters()
    if stored is not None and not all(w == w and abs(w) != float("inf") for w in stored.params):
        raise PrepError(
            f"the FSRS parameters in {store.path} are not numbers; "
            "`prepcli check --fix` removes them"
        )
    parameters = Scheduler.clamp_parameters(stored.params) if stored else None
    return Rules(settings_from(store.settings.all()), parameters)


def prepare_folder(folder: Path) -> Path:
    """The sync folder, created when only its last part is missing; PrepError otherwise."""
    problem = synclog.check_folder(folder)
    if problem == "does not exist" and folder.parent.is_dir():
        try:
            os.mkdir(folder, 0o700)
        except OSError as exc:
            raise PrepError(f"cannot create sync folder {folder}: {exc.strerror or exc}") from None
        return folder
    if problem is not None:
        raise UsageError(f"sync folder {folder} {problem}")
    return folder


def sync(store: Store, folder: Path, now: datetime, *, write: bool = True) -> SyncReport:
    """Merge the folder's events into the database and write this device's new ones."""
    prepare_folder(folder)
    now_ms = to_ms(now)
    report, made = run_guarded(lambda: _merge(store, folder, now_ms), store.path)
    if not write:
        return report
    written = run_guarded(lambda: _publish(store, folder, now_ms, made), store.path)
    return _with(report, written=written)


def _with(report: SyncReport, **changes: object) -> SyncReport:
    return report._replace(**changes)  # type: ignore[arg-type]


def _host_name() -> str:
    name = socket.gethostname().split(".")[0][:64]
    return name or "device"


def _merge(store: Store, folder: Path, now_ms: int) -> tuple[SyncReport, Lines]:
    with store.transaction():
        me = syncdb.device(store)
        first = me is None
        if me is None:
            me = syncdb.create_device(store, secrets.token_hex(6), _host_name())
        rules_before = rules_of(store)
        fingerprint = rules_before.fingerprint
        own_change = me.rules is not None and me.rules != fingerprint
        out = Deriver(store, me, now_ms, None if own_change else fingerprint).derive()
        try:
            incoming = syncin.read_folder(store, folder, me)
        except synclog.Unreadable as exc:
            raise PrepError(f"sync folder {folder} {exc.reason}") from None
        applied = syncin.apply(store, me, incoming, folder)
        rules = rules_of(store)
        replay = out.replay | applied.replay
        if own_change or rules.fingerprint != fingerprint:
            replay |= set(syncdb.cards_with_history(store))  # every card follows the new rules
        cards = CardMerge(store, rules, folder, now_ms)
        cards.apply(applied.by_card, replay, applied.flagged, applied.locations)
        if cards.outcome.rows_written:
            store.upkeep.mark_log_imported()  # `undo` never takes back another device's answer
        problems = incoming.problems + applied.problems
        problems += [
            Problem(str(folder), 0, 0, f"event {lost} could not be read back to replay its card")
            for lost in cards.outcome.lost
        ]
        new = syncdb.add_problems(
            store, ((p.path, p.line, p.col, p.message) for p in problems), now_ms
        )  # a file that stays bad (a header, a newer format) is reported the first time
        problems = [Problem(*found) for found in new]
        syncdb.clear_touched(store)
        syncdb.set_device(
            store,
            review_mark=syncrows.newest_review(store),
            rules=rules.fingerprint,
            folder=str(folder),
            synced_ms=now_ms,
        )
    outcome = cards.outcome
    report = SyncReport(
        folder=str(folder),
        device=me.device,
        name=me.name,
        first=first,
        written=0,
        applied=applied.applied,
        already_known=applied.already,
        cards_changed=len(outcome.changed),
        cards_replayed=len(outcome.replayed),
        concurrent=tuple(sorted(outcome.concurrent)),
        undone=out.undone,
        restored=out.restored,
        decisions=tuple(applied.decisions),
        problems=tuple(sorted(problems)),
        waiting=tuple(incoming.waiting),
        newer=tuple(incoming.newer),
        synced_ms=now_ms,
    )
    return report, out.lines


# --- publishing this device's events ------------------------------------------------------


def _publish(store: Store, folder: Path, now_ms: int, made: Lines) -> int:
    """Append the events not yet written to this device's segments. A long history (a
    first sync) is split into segments of SEGMENT_BYTES, as sync engines and git hosts
    want files: one write per segment, each synced to disk before the next starts."""
    day = syncevents.iso_day(datetime.fromtimestamp(now_ms / 1000, UTC).date().toordinal())
    with store.transaction():
        me = syncdb.device(store)
        assert me is not None
        segment = _resume(store, folder, me)
        lines = _lines(store, me.device, made)
        written, full = 0, False
        while written < len(lines):
            if (
                full
                or segment is None
                or synclog.needs_new_segment(segment, _size(folder / segment), day)
            ):
                segment = _new_segment(store, folder, me.device, day)
            written += _write_segment(store, folder, me, segment, lines[written:], now_ms)
            full = True  # a write stops where its segment has no room for the next line
    return written


def _new_segment(store: Store, folder: Path, device: str, day: str) -> str:
    taken = set(os.listdir(folder / device)) if (folder / device).is_dir() else set()
    taken |= {path.rsplit("/", 1)[-1] for path in syncdb.cursors(store)}  # even if gone
    segment = f"{device}/{synclog.segment_name(day, taken)}"
    syncdb.set_device(store, segment=segment)
    return segment


def _write_segment(
    store: Store,
    folder: Path,
    me: syncdb.Device,
    segment: str,
    lines: list[tuple[str, str]],
    now_ms: int,
) -> int:
    """Append as many of `lines` as fit in the segment and record where each went.
    Returns how many were written: none when the segment has no room for the first; a new
    segment takes at least one (a line is far shorter than a segment)."""
    size = _size(folder / segment)
    header = "" if size else synclog.header(me.device, me.name, now_ms) + "\n"
    room = synclog.SEGMENT_BYTES - size - len(header.encode("utf-8"))
    chosen: list[str] = []
    lengths: list[int] = []
    for _id, line in lines:
        length = len(line.encode("utf-8")) + 1
        if length > room and (chosen or size):
            break
        chosen.append(line)
        lengths.append(length)
        room -= length
    if not chosen:
        return 0
    try:
        start = synclog.append(folder, segment, header + "\n".join(chosen) + "\n")
    except OSError as exc:
        raise PrepError(
            f"cannot write to sync folder {folder}: {exc.strerror or exc}; this device's "
            "events stay in the database and the next sync writes them"
        ) from None
    file = syncdb.file_id(store, segment, me.device)
    position = start + len(header.encode("utf-8"))
    located = []
    for (identifier, _line), length in zip(lines, lengths, strict=False):
        located.append((file, position, identifier))
        position += length
    syncdb.locate(store, located)
    cursor = syncdb.cursors(store)[segment]
    syncdb.advance(store, file, position, cursor.read_lines + bool(header) + len(chosen))
    if header:
        syncdb.name_file(store, file, me.name)
    return len(chosen)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _resume(store: Store, folder: Path, me: syncdb.Device) -> str | None:
    """This device's segment to append to, after taking note of the lines an interrupted
    write left in it; None when a new segment must start (it was cut off or is gone)."""
    segment = me.segment
    if segment is None:
        return None
    cursor = syncdb.cursors(store).get(segment)
    path = folder / segment
    if cursor is None or not path.is_file():
        return None
    log = synclog.LogFile(segment, me.device, path.stat().st_size)
    if log.size == cursor.read_bytes:
        return segment
    try:
        batch = synclog.read(folder, log, cursor.read_bytes, cursor.read_lines, cursor.id)
    except synclog.Unreadable:
        return None
    syncdb.locate(store, [(file, pos, event.id) for event, file, pos, _line in batch.events])
    syncdb.advance(store, cursor.id, batch.end, batch.lines)
    if batch.tail or batch.problems or batch.newer is not None:
        return None  # a write cut off mid-line: its events go whole into a new segment
    return segment


def _lines(store: Store, device: str, made: Lines) -> list[tuple[str, str]]:
    """Each event's line: as recorded when it was found, or, for an answer, as made then
    (when what its state was built on is still what the line says: a replay in the merge
    takes that claim back), else made from its review row. An answer whose row is not
    there now waits for the next sync (an import --merge may be writing it again)."""
    pending = syncdb.unwritten(store, device)
    remade = syncdb.known(
        store,
        [
            identifier
            for identifier, review_id, prev, rules, line in pending
            if line is None
            and review_id is not None
            and made.get(identifier, ("", -1, -1))[1:] != (prev, rules)
        ],
    )
    rows = syncrows.review_rows(
        store, [item.review_id for item in remade.values() if item.review_id is not None]
    )
    lines = []
    for identifier, _review_id, prev, rules, line in pending:
        if line is not None:
            lines.append((identifier, line))
            continue
        kept = made.get(identifier)
        if kept is not None and kept[1:] == (prev, rules):
            lines.append((identifier, kept[0]))
            continue
        item = remade.get(identifier)
        row = rows.get(item.review_id) if item is not None and item.review_id is not None else None
        if item is None or row is None or item.card is None:
            continue
        answer = answer_of(row, item.prev, item.rules)
        event = syncevents.Event(
            item.id, item.device, item.seq, item.at_ms, item.type, item.card, answer
        )
        lines.append((identifier, syncevents.encode(event)))
    return lines
