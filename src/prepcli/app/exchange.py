"""Your data out and back in: export to a file that never harms the database or another
file, and an import checked in full before anything is written.

An export is written beside its target and renamed into place once complete and synced,
private to the user (0600): a full disk or a kill leaves the old file as it was. It never
writes over the database in use or its -wal/-shm/-journal (compared by resolved path and
by file identity, so a symlink or a hard link to them is caught too, even with `--force`),
nor over any other existing file unless `--force`. An import lands whole or not at all,
and `undo` never takes back an imported review (Store.undo_last).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from prepcli.core.bounds import DAY_MS
from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, Problem, ProblemsError, UsageError
from prepcli.core.models import CardState
from prepcli.core.scheduler import Scheduler
from prepcli.core.textfmt import plural
from prepcli.files.safeio import (
    FileRefused,
    kind_of,
    path_problem,
    read_regular,
    remove_stale_partials,
    write_by_name,
    write_file,
)
from prepcli.storage.exported import ExportedCard
from prepcli.storage.schema import SCHEMA_VERSION
from prepcli.storage.sqlitefile import run_guarded
from prepcli.storage.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from prepcli.app.study import Study
    from prepcli.storage.ankiexport import AnkiExport
    from prepcli.storage.transfer import ImportDocument

    T = TypeVar("T")

EXPORT_FORMATS = ("anki", "csv", "json")
#: The largest export file read: a collection of 100,000 cards with ten reviews each.
MAX_IMPORT_BYTES = 1 << 30
#: SQLite's files beside a database: never an export's target.
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


# --- where an export may go --------------------------------------------------------------


def database_files(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in DATABASE_SUFFIXES]


def check_target(db: Path, target: Path, *, force: bool) -> None:
    """Refuse a target that is the database or one of its files, or any existing file
    without `force`, or one that is not a regular file; raise UsageError."""
    refuse_database_files(db, target)
    try:
        if os.path.lexists(target):
            mode = os.stat(target).st_mode if os.path.exists(target) else None
            if mode is not None and not stat.S_ISREG(mode):
                raise UsageError(f"{target} is {kind_of(mode)}, not a regular file")
            if not force:
                raise UsageError(
                    f"{target} already exists; name a new file, or add --force to replace it"
                )
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    if not target.parent.is_dir():
        raise PrepError(f"cannot write {target}: folder {target.parent} does not exist")


def refuse_database_files(db: Path, target: Path) -> None:
    """UsageError if `target` is the database or its -wal/-shm/-journal, by name (resolved:
    through symbolic links, and whether the file is there now or not) or by identity (a
    hard link)."""
    problem = path_problem(target)
    if problem is not None:
        raise UsageError(f"{target} {problem}")
    try:
        real = os.path.realpath(target)
        exists = os.path.exists(target)
        for suffix, protected in zip(DATABASE_SUFFIXES, database_files(db), strict=True):
            same = real == os.path.realpath(protected)
            if not same and exists and os.path.exists(protected):
                same = os.path.samefile(target, protected)  # a hard link to it
            if same:
                what = f"the database's {suffix} file" if suffix else "the database"
                raise UsageError(
                    f"{target} is {what} in use ({protected}); nothing is ever written over "
                    "it: name another file"
                )
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None


def _written(target: Path, write: Callable[[], T]) -> T:
    """Run a safe write, with its failures as messages (the old file is left intact)."""
    remove_stale_partials(target.parent)
    try:
        return write()
    except FileExistsError:
        raise UsageError(
            f"{target} already exists; name a new file, or add --force to replace it"
        ) from None
    except OSError as exc:
        raise PrepError(
            f"cannot write {target}: {exc.strerror or exc}; nothing was changed"
        ) from None


# --- export ------------------------------------------------------------------------------


def export_json(study: Study) -> dict[str, Any]:
    from prepcli.storage.transfer import export_document

    store = study.store
    return export_document(
        store.upkeep.export_cards(),
        set(study.cards),
        store.settings.fsrs_parameters(),
        SCHEMA_VERSION,
        to_ms(study.now),
    )


def export_json_file(study: Study, target: Path, *, force: bool) -> tuple[int, int]:
    """Write the JSON export to `target`; returns its (cards, reviews)."""
    import json

    check_target(study.store.path, target, force=force)
    document = export_json(study)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    _written(target, lambda: write_file(target, lambda out: out.write(text), overwrite=force))
    cards = document["cards"]
    return len(cards), sum(len(card["history"]) for card in cards)


def export_csv(study: Study, out: IO[str]) -> int:
    from prepcli.storage.transfer import write_csv

    store = study.store
    return write_csv(
        store.upkeep.export_cards(),
        set(study.cards),
        [c.name for c in store.upkeep.columns("card")],
        [c.name for c in store.upkeep.columns("review")],
        out,
    )


def export_csv_file(study: Study, target: Path, *, force: bool) -> int:
    check_target(study.store.path, target, force=force)
    return _written(
        target, lambda: write_file(target, lambda out: export_csv(study, out), overwrite=force)
    )


def export_anki(study: Study, target: Path, *, force: bool) -> AnkiExport:
    """The decks as an Anki package, each card with its schedule and review log."""
    from prepcli.storage.ankiexport import write_apkg
    from prepcli.storage.ankischedule import Schedule

    check_target(study.store.path, target, force=force)
    settings = study.settings
    schedule = Schedule(
        states=study.store.states(),
        histories=study.store.upkeep.histories(),
        calendar=study.calendar,
        desired_retention=settings.desired_retention,
        decay=study.scheduler.parameters[20],
        learning_steps=settings.learning_steps,
        relearning_steps=settings.relearning_steps,
    )
    made = _written(
        target,
        lambda: write_by_name(
            target,
            lambda path: write_apkg(study.decks.decks, path, study.now, schedule),
            overwrite=force,
        ),
    )
    return made._replace(path=target)


# --- import ------------------------------------------------------------------------------


IMPORT_READS = (
    "`prepcli import` reads the JSON file that `prepcli export --format json` writes "
    "(CSV and Anki exports are for other programs)"
)


def not_an_export_reason(data: bytes) -> str | None:
    """Why a file is plainly not a JSON export (an Anki package, a CSV export, text that
    is not JSON at all), or None when it may be one and the JSON parser should judge."""
    if data.startswith(b"PK\x03\x04"):
        return "this is a zip file (an Anki .apkg?), not a prepcli JSON export"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "this file is empty, not a prepcli JSON export"
    if head.startswith(b"{"):
        return None
    try:
        first_line = head.decode("utf-8").splitlines()[0]
    except UnicodeDecodeError:
        return "this is not a text file, not a prepcli JSON export"
    if first_line.startswith("card,") or first_line.count(",") >= 3:
        return "this looks like a CSV file, not a prepcli JSON export"
    return "this is not a prepcli JSON export (one starts with `{`)"


def read_import(study: Study, path: Path) -> ImportDocument:
    """Read and check an export file; ProblemsError (exit 1) when it cannot be imported."""
    from prepcli.storage.transfer import parse_document

    try:
        data = read_regular(path, MAX_IMPORT_BYTES)
    except FileRefused as exc:
        raise ProblemsError([Problem(str(path), 1, 1, f"file {exc.reason}")]) from None
    not_an_export = not_an_export_reason(data)
    if not_an_export is not None:
        raise ProblemsError([Problem(str(path), 1, 1, f"{not_an_export}; {IMPORT_READS}")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ProblemsError([Problem(str(path), line, col, "not valid UTF-8")]) from None
    store = study.store
    return parse_document(
        text,
        str(path),
        store.upkeep.columns("card"),
        store.upkeep.columns("review"),
        SCHEMA_VERSION,
        Scheduler.parameter_bounds(),
        to_ms(study.now) + DAY_MS,  # another machine's clock may run a little ahead
    )


class ImportOutcome(NamedTuple):
    added: list[str]
    merged: list[str]
    unchanged: list[str]
    reviews_added: int
    parameters_adopted: bool


def _signature(review: dict[str, Any]) -> tuple[Any, ...]:
    return (review.get("reviewed_ms"), review.get("rating"), review.get("kind"))


def import_history(study: Study, document: ImportDocument, *, merge: bool) -> ImportOutcome:
    """Bring an export's cards and history into this database, in one transaction.

    A card with no history here is taken as it is; one whose history here is the same is
    left alone; one with a different history here stops the whole import unless `merge`,
    which keeps both logs (each review once) and replays the card from the combined log.
    Imported cards are replayed with this database's parameters; a database that has none
    of its own adopts the export's (and replays its own cards with them). `undo` then stops
    at the imported rows.
    """
    store = study.store
    now_ms = to_ms(study.now)
    added: list[str] = []
    merged: list[str] = []
    unchanged: list[str] = []
    counts = {"reviews": 0, "adopted": 0}

    def work() -> None:
        with store.transaction():
            local = {card.key: card for card in store.upkeep.export_cards()}
            sorted_out = _sort_out(local, document)
            added.extend(sorted_out[0])
            unchanged.extend(sorted_out[1])
            conflicts = sorted_out[2]
            if conflicts and not merge:
                shown = ", ".join(conflicts[:5]) + (" …" if len(conflicts) > 5 else "")
                raise PrepError(
                    f"{plural(len(conflicts), 'card')} already "
                    f"{'has' if len(conflicts) == 1 else 'have'} a different history in "
                    f"{store.path}: {shown}. Nothing was imported; `--merge` combines both "
                    "histories and replays each card from the combined log."
                )
            if document.parameters is not None and store.settings.fsrs_parameters() is None:
                store.settings.add_parameters(document.parameters._replace(created_ms=now_ms))
                counts["adopted"] = 1
            stored = store.settings.fsrs_parameters()
            scheduler = Scheduler(
                study.settings,
                study.calendar,
                parameters=Scheduler.clamp_parameters(stored.params) if stored else None,
            )
            incoming = {card.key: card for card in document.cards}
            for key in added:
                card = incoming[key]
                store.upkeep.import_card(card, now_ms)
                counts["reviews"] += len(card.history)
                _replay_card(store, scheduler, key, now_ms, rewrite_log=False)
            for key in conflicts:
                here, card = local[key], incoming[key]
                known = {_signature(r) for r in here.history}
                extra = [r for r in card.history if _signature(r) not in known]
                combined = sorted(here.history + extra, key=lambda r: r["reviewed_ms"])
                store.upkeep.delete_history(key)
                store.upkeep.import_card(ExportedCard(key, here.state, combined), now_ms)
                counts["reviews"] += len(extra)
                merged.append(key)
                _replay_card(store, scheduler, key, now_ms, rewrite_log=True)
            if counts["adopted"]:  # the cards already here follow the new parameters too
                replayed = {*added, *conflicts}
                for key, here in local.items():
                    if here.history and key not in replayed:
                        _replay_card(store, scheduler, key, now_ms, rewrite_log=False)
            if added or merged:
                store.upkeep.mark_log_imported()

    run_guarded(work, store.path)
    study.forget_scheduler()
    return ImportOutcome(added, merged, unchanged, counts["reviews"], bool(counts["adopted"]))


def _sort_out(
    local: dict[str, ExportedCard], document: ImportDocument
) -> tuple[list[str], list[str], list[str]]:
    """The document's cards as (added, unchanged, conflicts) against the cards here."""
    added: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    for card in document.cards:
        here = local.get(card.key)
        if here is None or (not here.history and card.history):
            added.append(card.key)
        elif not card.history or (
            sorted(map(_signature, here.history)) == sorted(map(_signature, card.history))
        ):
            unchanged.append(card.key)
        else:
            conflicts.append(card.key)
    return added, unchanged, conflicts


def import_needs_backup(study: Study, document: ImportDocument, *, merge: bool) -> bool:
    """Whether `import_history` would change a database that holds cards (app/safety.py
    then backs it up first): a card added or merged, or parameters adopted (which replays
    the cards here). An import into an empty database has nothing to lose, and one that
    stops on a conflict, or finds everything already here, writes nothing. (The backup
    cannot be made inside the import's transaction: SQLite's backup waits for the write
    lock that transaction holds.)"""
    store = study.store
    local = {card.key: card for card in store.upkeep.export_cards()}
    if not local:
        return False
    added, _unchanged, conflicts = _sort_out(local, document)
    if conflicts and not merge:
        return False
    adopts = document.parameters is not None and store.settings.fsrs_parameters() is None
    return bool(added or conflicts or adopts)


def _replay_card(
    store: Store, scheduler: Scheduler, key: str, now_ms: int, *, rewrite_log: bool
) -> None:
    history = store.log.history(key)
    if not history:
        return  # a state without history is taken as it is
    stored = store.state(key)
    assert stored is not None
    state = CardState(key=key)
    for review, (before, after) in zip(
        history, scheduler.replay_steps(key, history, stored.card_id), strict=True
    ):
        if rewrite_log:  # a merged log's snapshots come from two timelines: redo them
            store.upkeep.put_review_snapshots(review.id, before, after)
        state = after
    store.upkeep.put_scheduling(state, now_ms)
