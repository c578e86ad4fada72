"""The other devices' events: read from the folder past each file's cursor, recorded
once (an id seen before is skipped, so reading a file again changes nothing), then
applied: undos, settings, parameters and plans here; cards in app/synccards.py.

An event arriving before the one it refers to (an undo before its answer, a tick before
its plan, as a sync engine may deliver a later segment first) is kept and takes effect
when the other arrives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.app import syncmerge
from prepcli.app.syncmerge import Change, Decision
from prepcli.core import syncevents
from prepcli.core.errors import Problem
from prepcli.core.syncevents import CARD_FLAGS, CARD_LOG, Event
from prepcli.storage import syncdb, synclog, syncrows

if TYPE_CHECKING:
    from prepcli.storage.store import Store


@dataclass
class Incoming:
    """What a read of the folder found."""

    events: list[tuple[Event, int, int, int]] = field(default_factory=list)  # file, pos, line
    paths: dict[int, str] = field(default_factory=dict)  # file id → its path, for messages
    problems: list[Problem] = field(default_factory=list)
    waiting: list[tuple[str, int]] = field(default_factory=list)  # incomplete last lines
    newer: list[tuple[str, int]] = field(default_factory=list)  # files of a newer format


@dataclass
class Applied:
    applied: int = 0
    already: int = 0
    by_card: dict[str, list[Event]] = field(default_factory=dict)
    locations: dict[str, tuple[int, int]] = field(default_factory=dict)  # file, pos
    replay: set[str] = field(default_factory=set)
    flagged: set[str] = field(default_factory=set)
    decisions: list[Decision] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_folder(store: Store, folder: Path, me: syncdb.Device) -> Incoming:
    found = Incoming()
    cursors = syncdb.cursors(store)
    files = synclog.log_files(folder)
    present = {log.path for log in files}
    for known in cursors.values():
        if known.device == me.device and known.path not in present and known.read_bytes:
            syncdb.forget_file(store, known.id)  # ours, gone: what it held is written again
            _leave_segment(store, me, known.path)
    for log in files:
        cursor = cursors.get(log.path)
        file = cursor.id if cursor else syncdb.file_id(store, log.path, log.device)
        offset, line = (cursor.read_bytes, cursor.read_lines) if cursor else (0, 0)
        if log.size < offset:  # replaced rather than appended to: read it again
            syncdb.forget_file(store, file)
            _leave_segment(store, me, log.path)
            offset, line = 0, 0
        if log.size == offset:
            continue
        try:
            batch = synclog.read(folder, log, offset, line, file)
        except synclog.Unreadable as exc:
            found.problems.append(Problem(str(folder / log.path), line + 1, 1, exc.reason))
            continue
        found.problems += batch.problems
        if batch.newer is not None:
            found.newer.append((str(folder / log.path), batch.newer))
            continue
        if batch.tail and log.device != me.device:  # ours: a write cut off, see sync._resume
            found.waiting.append((str(folder / log.path), batch.tail))
        if batch.name is not None:
            syncdb.name_file(store, file, batch.name)
        syncdb.advance(store, file, batch.end, batch.lines)
        found.events += batch.events
        found.paths[file] = str(folder / log.path)
    return found


def _leave_segment(store: Store, me: syncdb.Device, path: str) -> None:
    """Never append again to a file of ours that went missing or shrank (restored from an
    older copy, a `git reset`): another copy of it may be longer, and two versions of one
    file are what a sync engine cannot merge. The next write starts a new segment."""
    if me.segment == path:
        syncdb.set_device(store, segment=None)


def apply(store: Store, me: syncdb.Device, incoming: Incoming, folder: Path) -> Applied:
    """Record the new events and apply all but the cards' (returned for CardMerge)."""
    done = Applied()
    known = syncdb.known(store, [entry[0].id for entry in incoming.events])
    fresh: list[tuple[Event, int, int, int]] = []  # as incoming has them, not copied
    located = []
    seen: set[str] = set()
    for entry in incoming.events:
        event, file, pos, number = entry
        if event.id in seen:
            done.already += 1
            continue
        seen.add(event.id)
        before = known.get(event.id)
        refused = _refused(event)
        if refused is not None:
            done.problems.append(Problem(incoming.paths[file], number, 1, refused))
            continue
        if before is None:
            fresh.append(entry)
            continue
        done.already += 1
        if (before.type, before.card, before.at_ms) != (event.type, event.card, event.at_ms):
            done.problems.append(
                Problem(
                    incoming.paths[file],
                    number,
                    1,
                    f"event {event.id} differs from the one applied under that id: two "
                    f"databases write as device {event.device} (a copied database?); "
                    "it was not applied",
                )
            )
        elif before.file is None:
            located.append((file, pos, event.id))  # ours, found written by an earlier sync
    syncdb.locate(store, located)
    highest = max((e.seq for e, _file, _pos, _n in fresh if e.device == me.device), default=0)
    if highest:  # this database restored from a backup older than its log
        syncdb.raise_next_seq(store, highest + 1)
    # Answers are recorded with their review rows (app/synccards.py), the rest now.
    syncdb.add_events(
        store,
        (
            event_row(e, None, file, pos, syncevents.encode(e))
            for e, file, pos, _number in fresh
            if e.type not in CARD_LOG
        ),
    )
    done.applied = len(fresh)
    events = [entry[0] for entry in fresh]
    _undos(store, [entry for entry in fresh if entry[0].type == "undo"], done, incoming.paths)
    kinds = {event.type for event in events}
    if "setting" in kinds:
        _settings(store, {e.data["name"] for e in events if e.type == "setting" and e.data}, done)
    if "parameters" in kinds:
        _parameters(store)
    if kinds & {"plan", "interview", "task"}:
        _plans(store, done)
    log = [entry for entry in fresh if entry[0].type in CARD_LOG]
    dead = syncdb.undone(store, [entry[0].id for entry in log])
    syncdb.add_events(store, (event_row(e, None, f, p) for e, f, p, _n in log if e.id in dead))
    for event, file, pos, _number in log:
        assert event.card is not None
        if event.id in dead:
            syncdb.set_dead(store, event.id, 1)  # its undo came first
        else:
            done.locations[event.id] = (file, pos)
            done.by_card.setdefault(event.card, []).append(event)
    done.flagged = {event.card for event in events if event.type in CARD_FLAGS and event.card}
    return done


def _refused(event: Event) -> str | None:
    """Why a setting or parameter set cannot be used here, or None. A setting this
    prepcli does not know (from a newer one) is kept: settings it does not know are
    ignored."""
    if event.type not in ("setting", "parameters"):
        return None  # nearly every event: the imports below are for the few that are
    from prepcli.core.config import SPECS, to_stored
    from prepcli.core.errors import UsageError
    from prepcli.core.scheduler import Scheduler

    data = event.data or {}
    if event.type == "setting":
        name, value = data["name"], data["value"]
        spec = SPECS.get(name)
        if spec is None or value is None:
            return None
        try:
            shown = spec.show(tuple(value) if isinstance(value, list) else value)
            if to_stored(spec.parse(shown)) == value:
                return None
        except (UsageError, TypeError, ValueError):
            pass
        return f"setting {name}: {str(value)[:80]} is not a value it can take; not applied"
    if event.type == "parameters":
        limits = Scheduler.parameter_bounds()
        weights = data["params"]
        if len(weights) != len(limits) or not all(
            low <= w <= high for w, (low, high) in zip(weights, limits, strict=False)
        ):
            return f"parameters: not {len(limits)} FSRS parameters within their bounds"
    return None


def event_row(
    event: Event, review_id: int | None, file: int | None, pos: int | None, data: str | None = None
) -> tuple[object, ...]:
    """An event read from the folder, as syncdb.add_events takes it."""
    return (
        event.id,
        event.device,
        event.seq,
        event.at_ms,
        event.type,
        event.card,
        review_id,
        None,
        None,
        data,
        file,
        pos,
    )


def _undos(
    store: Store, undos: list[tuple[Event, int, int, int]], done: Applied, paths: dict[int, str]
) -> None:
    for event, file, _pos, number in undos:
        if event.data is None:
            continue
        target = str(event.data["target"])
        if not target.startswith(event.device + "-"):
            done.problems.append(
                Problem(
                    paths[file],
                    number,
                    1,
                    f"event {event.id} undoes {target}, another device's answer: not applied "
                    "(an undo undoes only its own device's answers)",
                )
            )
            continue
        syncdb.add_undo(store, target, event.id)
        found = syncdb.event(store, target)
        if found is None or found.dead or found.card is None:
            continue  # not arrived yet: it is undone when it does
        if found.review_id is not None:
            syncrows.delete_review(store, found.review_id)
        syncdb.set_dead(store, target, 1)
        done.replay.add(found.card)


def _settings(store: Store, names: set[str], done: Applied) -> None:
    views = syncrows.setting_views(store)
    events = syncdb.other_events(store, "setting")
    for name in sorted(names):
        if name in syncmerge.LOCAL_SETTINGS:
            continue
        changes = []
        for item in events:
            data = json.loads(item.data or "{}")
            if data.get("name") == name:
                changes.append(Change(item.id, item.device, item.at_ms, data.get("value")))
        kept = syncmerge.winner(changes)
        if kept is None:
            continue
        value = None if kept.value is None else json.dumps(kept.value)
        if value != views.get(name, None) or name not in views:
            syncrows.write_setting(store, name, value)
            syncrows.put_setting_view(store, name, value)
        made = syncmerge.decision(f"setting {name}", changes)
        if made is not None:
            done.decisions.append(made)


def _parameters(store: Store) -> None:
    """The latest parameter set (by when it was fitted) is the one in use."""
    changes = []
    for item in syncdb.other_events(store, "parameters"):
        changes.append(Change(item.id, item.device, item.at_ms, json.loads(item.data or "{}")))
    kept = syncmerge.winner(changes)
    if kept is None:
        return
    rows = syncrows.parameter_rows(store)
    links = syncrows.parameter_links(store)
    if rows and links.get(rows[-1][0]) == kept.event:
        return  # already the one in use
    data = kept.value
    made = syncrows.add_parameters(
        store,
        kept.at_ms,
        json.dumps(data["params"]),
        data["n_items"],
        data["log_loss"],
        data["rmse_bins"],
        data["source"],
    )
    syncrows.link_parameters(store, made, kept.event)


def _plans(store: Store, done: Applied) -> None:
    """Plan runs, their interview dates and ticks, each decided by its latest event."""
    starts = syncdb.other_events(store, "plan")
    links = syncrows.plan_links(store)
    run_of = {event: run for run, (event, _day) in links.items()}
    data = {item.id: json.loads(item.data or "{}") for item in starts}
    for item in sorted(starts, key=lambda s: (s.at_ms, s.id)):
        if item.id not in run_of:
            fields = data[item.id]
            run_of[item.id] = syncrows.add_plan_run(
                store,
                fields["plan"],
                syncevents.day_of(fields["start"]),
                _day(fields["interview"]),
                item.at_ms,
            )
            syncrows.link_plan(store, run_of[item.id], item.id, _day(fields["interview"]))
    active = syncmerge.winner(Change(s.id, s.device, s.at_ms, s.id) for s in starts)
    dates: dict[str, list[Change]] = {}
    for item in syncdb.other_events(store, "interview"):
        fields = json.loads(item.data or "{}")
        dates.setdefault(fields["run"], []).append(
            Change(item.id, item.device, item.at_ms, fields["interview"])
        )
    for item in starts:
        interview = _day(data[item.id]["interview"])
        chosen = syncmerge.winner(dates.get(item.id, []))
        if chosen is not None:
            interview = _day(chosen.value)
        made = syncmerge.decision("the interview date", dates.get(item.id, []))
        if made is not None and active is not None and item.id == active.event:
            done.decisions.append(made)
        run_id = run_of[item.id]
        syncrows.set_plan_run(
            store, run_id, interview, active is not None and active.event == item.id
        )
        syncrows.link_plan(store, run_id, item.id, interview)
    ticks: dict[tuple[str, str], list[Change]] = {}
    for item in syncdb.other_events(store, "task"):
        fields = json.loads(item.data or "{}")
        ticks.setdefault((fields["run"], fields["task"]), []).append(
            Change(item.id, item.device, item.at_ms, bool(fields["done"]))
        )
    views = syncrows.task_views(store)
    for (run_event, task), changes in sorted(ticks.items()):
        ticked_run = run_of.get(run_event)
        kept = syncmerge.winner(changes)
        if ticked_run is None or kept is None:
            continue  # its plan has not arrived yet
        if views.get((run_event, task)) != kept.value:
            syncrows.set_task(store, ticked_run, task, kept.at_ms if kept.value else None)
            syncrows.put_task_view(store, run_event, task, bool(kept.value))
        made = syncmerge.decision(f"task {task}", changes)
        if made is not None:
            done.decisions.append(made)


def _day(text: str | None) -> int | None:
    return None if text is None else syncevents.day_of(text)
