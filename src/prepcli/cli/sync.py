"""Sync between devices through a folder: `prepcli sync [DIR]`, `prepcli sync --status`,
and the sync `prepcli review` runs at its start and end when `sync_dir` is set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prepcli.cli.common import JsonOption, echo, emit_json, now, open_store_of, plural
from prepcli.core.errors import PrepError, UsageError

if TYPE_CHECKING:
    from prepcli.app.sync import SyncReport
    from prepcli.app.syncmerge import Change
    from prepcli.app.syncstatus import SyncStatus, Verification
    from prepcli.core.errors import Problem
    from prepcli.storage.store import Store

app = typer.Typer(rich_markup_mode=None)


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    folder: Annotated[
        str | None,
        typer.Argument(
            help="The folder your devices share (default: the sync_dir setting).",
            metavar="DIR",
        ),
    ] = None,
    show_status: Annotated[
        bool,
        typer.Option("--status", help="Show the devices, what is pending and what failed."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Sync your history with your other devices through a folder that git, Syncthing or a
    cloud drive syncs: each device appends to its own files there and reads the others'.

    With the sync_dir setting, `prepcli review` syncs at its start and end too.

    \b
    Examples:
      prepcli sync ~/Sync/prepcli
      prepcli config set sync_dir ~/Sync/prepcli
      prepcli sync --status
    """
    from prepcli.app import sync, syncstatus
    from prepcli.cli.arguments import checked_path

    if folder is not None:
        if not folder.strip():  # not the current folder by accident
            raise UsageError("the sync folder cannot be empty")
        checked_path(Path(folder), "folder or nothing")
    store = open_store_of(ctx)
    try:
        if show_status:
            chosen = _chosen(store, Path(folder) if folder is not None else None)
            found = syncstatus.status(store, chosen, now())
            _print_status(found, as_json)
            return
        chosen = _chosen(store, Path(folder) if folder is not None else None)
        if chosen is None:
            raise UsageError(
                "name the sync folder: `prepcli sync DIR` (or `prepcli config set sync_dir DIR`)"
            )
        from prepcli.ui import render

        with render.status(f"Syncing with {chosen}…"):  # a first sync takes seconds
            report = sync.sync(store, chosen, now())
    finally:
        store.close()
    _print_report(report, as_json)
    if report.problems:
        raise typer.Exit(1)


def _chosen(store: Store, folder: Path | None) -> Path | None:
    """The folder named, else the sync_dir setting's, else None."""
    if folder is not None:
        return folder.expanduser().absolute()
    from prepcli.core.models import settings_from

    setting = settings_from(store.settings.all()).sync_dir
    return Path(setting) if setting else None


def sync_for_review(store: Store, moment: str) -> None:
    """The sync `prepcli review` runs at its `moment` (start, end) when sync_dir is set.
    A sync that cannot run is reported and the session goes on: studying never waits for
    a folder that is offline."""
    from prepcli.app import sync
    from prepcli.core.models import settings_from

    folder = settings_from(store.settings.all()).sync_dir
    if not folder:
        return
    from prepcli.ui import render

    try:
        with render.status(f"Syncing with {folder}…"):
            report = sync.sync(store, Path(folder), now())
    except PrepError as exc:
        echo(f"sync at the {moment} of the session: {exc}", err=True)
        return
    _print_problems(report.problems)
    echo(f"Synced ({moment}): {_counts(report)}.", err=True)


def verify_for_check(store: Store) -> Verification | None:
    """`prepcli check`'s comparison of the database with the replay of the sync folder's
    logs; None when this database has never synced."""
    from prepcli.app import syncstatus
    from prepcli.storage import syncdb

    me = syncdb.device(store)
    folder = _chosen(store, None) or (Path(me.folder) if me and me.folder else None)
    if me is None or folder is None:
        return None
    if not folder.is_dir():
        raise PrepError(f"sync folder {folder} is not there: it cannot be compared")
    from prepcli.ui import render

    with render.status(f"Comparing with the logs in {folder}…"):
        return syncstatus.verify(store, folder, now())


def verification_json(found: Verification | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "folder": found.folder,
        "compared": found.compared,
        "not_applied": found.not_applied,
        "not_written": found.not_written,
        "differences": list(found.differences),
    }


def print_verification(found: Verification | None) -> None:
    if found is None:
        return
    if not found.compared:
        echo(
            f"Sync: not compared with {found.folder}: {found.not_applied} events there not "
            f"applied here, {found.not_written} of this device's not written there; "
            "`prepcli sync` first."
        )
    elif not found.differences:
        echo(f"Sync: the database equals the replay of the logs in {found.folder}.")
    else:
        echo(
            f"Sync: {plural(len(found.differences), 'difference')} with the replay of the "
            f"logs in {found.folder}:"
        )
        for line in found.differences[:20]:
            echo(f"  {line}")
        if len(found.differences) > 20:
            echo(f"  … and {len(found.differences) - 20} more")


# --- printing ------------------------------------------------------------------------------


def _iso(ms: int | None) -> str | None:
    from prepcli.core.syncevents import iso_ms

    return None if ms is None else iso_ms(ms)


def _when(ms: int | None) -> str:
    text = _iso(ms)
    return "never" if text is None else text[:16].replace("T", " ") + " UTC"


def _counts(report: SyncReport) -> str:
    return (
        f"wrote {plural(report.written, 'event')}, applied {report.applied} from other "
        f"devices; {plural(report.cards_changed, 'card')} updated"
        + (f" ({report.cards_replayed} replayed)" if report.cards_replayed else "")
    )


def _problem_text(problem: Problem) -> str:
    if problem.line == 0:
        return f"{problem.path}: {problem.message}"
    return str(problem)


def _print_problems(problems: tuple[Problem, ...]) -> None:
    for problem in problems:
        echo(_problem_text(problem), err=True)
    if problems:
        echo(
            f"{plural(len(problems), 'line')} not applied (the rest was); "
            "`prepcli sync --status` lists them.",
            err=True,
        )


def _change_json(change: Change) -> dict[str, Any]:
    return {"value": change.value, "device": change.device, "at": _iso(change.at_ms)}


def _print_report(report: SyncReport, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "version": 1,
                "folder": report.folder,
                "device": report.device,
                "name": report.name,
                "first_sync": report.first,
                "written": report.written,
                "applied": report.applied,
                "already_known": report.already_known,
                "cards_changed": report.cards_changed,
                "cards_replayed": report.cards_replayed,
                "answered_on_two_devices": list(report.concurrent),
                "undone": report.undone,
                "restored": report.restored,
                "decisions": [
                    {
                        "subject": d.subject,
                        "kept": _change_json(d.kept),
                        "over": _change_json(d.over),
                    }
                    for d in report.decisions
                ],
                "problems": [_problem_json(p) for p in report.problems],
                "waiting": [{"path": p, "bytes": n} for p, n in report.waiting],
                "newer_format": [{"path": p, "format": n} for p, n in report.newer],
                "synced_at": _iso(report.synced_ms),
            }
        )
        _print_problems(report.problems)
        return
    echo(f"Synced with {report.folder} as device {report.device} ({report.name}).")
    if report.first:
        echo("First sync: this database's whole history is now this device's log.")
    echo(_counts(report).capitalize() + ".")
    if report.undone or report.restored:
        echo(
            f"Undone here since the last sync: {report.undone}; answers deleted here but "
            f"kept by other devices, put back: {report.restored}."
        )
    if report.concurrent:
        shown = ", ".join(report.concurrent[:5]) + (" …" if len(report.concurrent) > 5 else "")
        echo(
            f"Answered on two devices before they synced (both answers count, in time "
            f"order): {shown}"
        )
    for made in report.decisions:
        echo(
            f"{made.subject}: {_value(made.kept.value)} ({made.kept.device}, "
            f"{_when(made.kept.at_ms)}) over {_value(made.over.value)} ({made.over.device}, "
            f"{_when(made.over.at_ms)}): the later one holds"
        )
    for path, size in report.waiting:
        echo(f"Waiting for a line still being copied: {path} ({plural(size, 'byte')}).")
    for path, version in report.newer:
        echo(f"Not read: {path} is in sync format {version}, from a newer prepcli.")
    _print_problems(report.problems)


def _value(value: Any) -> str:
    if value is True:
        return "done"
    if value is False:
        return "not done"
    if value is None:
        return "none"
    return str(value)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "line": problem.line or None,
        "col": problem.col or None,
        "message": problem.message,
    }


def _print_status(found: SyncStatus, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "version": 1,
                "device": found.device,
                "name": found.name,
                "folder": found.folder,
                "synced_at": _iso(found.synced_ms),
                "devices": [
                    {
                        "device": d.device,
                        "name": d.name,
                        "this_device": d.this_device,
                        "events": d.events,
                        "missing_events": d.missing,
                        "last_event": None
                        if d.last_ms is None
                        else {"at": _iso(d.last_ms), "type": d.last_type, "card": d.last_card},
                    }
                    for d in found.devices
                ],
                "not_written": found.unwritten,
                "not_read": [
                    {"path": u.path, "lines": u.lines, "partial_bytes": u.partial}
                    for u in found.unread
                ],
                "problems": [
                    {**_problem_json(p), "found_at": _iso(at)} for p, at in found.problems
                ],
            }
        )
        return
    if found.device is None:
        echo("This database has not synced yet: `prepcli sync DIR` starts.")
        return
    echo(f"This device: {found.device} ({found.name}), last synced {_when(found.synced_ms)}")
    echo(f"Folder: {found.folder or 'none'}")
    for d in found.devices:
        last = (
            "no events"
            if d.last_ms is None
            else f"last event {d.last_type}{' ' + d.last_card if d.last_card else ''} at "
            f"{_when(d.last_ms)}"
        )
        missing = f", {d.missing} not arrived yet" if d.missing else ""
        mark = " (this device)" if d.this_device else ""
        echo(f"  {d.device} {d.name or ''}{mark}: {plural(d.events, 'event')}{missing}, {last}")
    if found.unwritten:
        echo(f"Not yet in the folder: {plural(found.unwritten, 'change')} made here.")
    for u in found.unread:
        partial = f", and a line still being copied ({u.partial} bytes)" if u.partial else ""
        echo(f"Not read yet: {u.path}: {plural(u.lines, 'line')}{partial}")
    if found.problems:
        echo(f"Not applied ({len(found.problems)}):")
        for problem, at in found.problems:
            echo(f"  {_problem_text(problem)} (found {_when(at)})")
