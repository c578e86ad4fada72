"""Your memory model, your data out and safe: optimize, backup, check, export and import.

Application functions over a Study (a bare Store for backups), called by the CLI. Every
change they make to the database is one transaction: parameters and the card states
replayed with them are saved together, an import lands whole or not at all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, UsageError
from prepcli.core.history import ExportedCard, ParameterSet
from prepcli.core.models import CardState
from prepcli.core.scheduler import Scheduler
from prepcli.storage.store import SCHEMA_VERSION, Store, check_file, run_guarded

if TYPE_CHECKING:
    from prepcli.app.optimizer import Fit
    from prepcli.app.study import Study
    from prepcli.storage.ankiexport import AnkiExport
    from prepcli.storage.transfer import ImportDocument


# --- optimize ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeOutcome:
    fit: Fit
    saved: bool
    dry_run: bool
    recomputed: int  # cards whose state was replayed with the new parameters


def optimize(study: Study, *, dry_run: bool) -> OptimizeOutcome:
    """Fit parameters to the review log; save them (and replay every card) if they are
    better than the ones in use."""
    from prepcli.app import optimizer

    fit = optimizer.optimize(
        study.store.histories(),
        study.scheduler.parameters,
        len(study.settings.relearning_steps),
    )
    if dry_run or not fit.accepted or fit.fitted is None or fit.fitted_eval is None:
        return OptimizeOutcome(fit, saved=False, dry_run=dry_run, recomputed=0)
    chosen = ParameterSet(
        params=fit.fitted,
        created_ms=to_ms(study.now),
        n_items=fit.items,
        log_loss=fit.fitted_eval.log_loss,
        rmse_bins=fit.fitted_eval.rmse_bins,
        source="optimize",
    )
    return OptimizeOutcome(fit, saved=True, dry_run=False, recomputed=use_parameters(study, chosen))


@dataclass(frozen=True)
class ResetOutcome:
    already_default: bool
    saved: bool
    recomputed: int


def reset_parameters(study: Study, *, dry_run: bool) -> ResetOutcome:
    stored = study.store.fsrs_parameters()
    defaults = Scheduler.default_parameters()
    if stored is None or stored.params == defaults:
        return ResetOutcome(already_default=True, saved=False, recomputed=0)
    if dry_run:
        return ResetOutcome(already_default=False, saved=False, recomputed=0)
    chosen = ParameterSet(defaults, to_ms(study.now), 0, None, None, "reset")
    return ResetOutcome(already_default=False, saved=True, recomputed=use_parameters(study, chosen))


def use_parameters(study: Study, chosen: ParameterSet) -> int:
    """Save a parameter set and replay every card's history with it, atomically.

    The replay runs inside the write lock, so an answer given in another terminal
    meanwhile is part of it rather than overwritten.
    """
    scheduler = Scheduler(study.settings, study.calendar, parameters=chosen.params)
    store = study.store
    now_ms = to_ms(study.now)

    def work() -> int:
        with store.transaction():
            states = store.states()
            histories = store.histories()
            for key, history in histories.items():
                store.put_scheduling(scheduler.replay(key, history, states[key].card_id), now_ms)
            store.add_parameters(chosen)
        return len(histories)

    count = run_guarded(work, store.path)
    study.__dict__.pop("scheduler", None)  # the cached scheduler had the old parameters
    return count


# --- backup ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupOutcome:
    path: Path
    size: int
    removed: list[Path]


def backup_name(stem: str, now: datetime, counter: int = 1) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stem}-{stamp}{'' if counter == 1 else f'-{counter}'}.sqlite3"


def backup(
    store: Store, destination: Path | None, default_folder: Path, now: datetime, keep: int
) -> BackupOutcome:
    """Copy the live database. Into a folder (the default one unless a folder is given) the
    copy gets a timestamped name and only the newest `keep` copies of this database stay;
    a file path is written as named and never rotated."""
    if keep < 1:
        raise UsageError("--keep must be at least 1")
    stem = store.path.stem
    folder: Path | None = None
    if destination is None or destination.is_dir():
        folder = destination or default_folder
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise PrepError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
        counter = 1
        while (folder / backup_name(stem, now, counter)).exists():
            counter += 1
        target = folder / backup_name(stem, now, counter)
    else:
        target = destination
        if target.exists():
            raise UsageError(f"{target} already exists; name a new file or a folder")
        if not target.parent.is_dir():
            raise PrepError(f"cannot write {target}: folder {target.parent} does not exist")
    try:
        run_guarded(lambda: store.backup_to(target), store.path)
    except OSError as exc:
        raise PrepError(f"cannot write backup {target}: {exc.strerror or exc}") from None
    problems = check_file(target)
    if problems:
        raise PrepError(f"the backup {target} failed its integrity check: {problems[0]}")
    removed = _rotate(folder, stem, keep, target) if folder is not None else []
    return BackupOutcome(path=target, size=target.stat().st_size, removed=removed)


def _rotate(folder: Path, stem: str, keep: int, newest: Path) -> list[Path]:
    pattern = re.compile(re.escape(stem) + r"-(\d{8}T\d{6}Z)(?:-(\d+))?\.sqlite3")
    found = []
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if match and path != newest:
            found.append(((match.group(1), int(match.group(2) or 1)), path))
    found.sort(reverse=True)
    removed = [path for _key, path in found[keep - 1 :]]
    for path in removed:
        path.unlink(missing_ok=True)
    return sorted(removed)


# --- check -------------------------------------------------------------------------------

COMPARED = ("stability", "difficulty", "reps", "lapses", "last_review_ms")


@dataclass(frozen=True)
class Mismatch:
    card: str
    differences: dict[str, tuple[Any, Any]]  # field → (stored, replayed)


@dataclass(frozen=True)
class CheckReport:
    integrity: list[str]
    cards: int
    reviews: int
    mismatches: list[Mismatch]
    orphans: list[str]  # cards with history that no loaded deck has: kept, only reported
    empty_orphans: list[str]  # the same without history (only flags): removable
    dangling_reviews: list[int]  # review rows whose card row is missing
    fixed: bool = False
    backup: str | None = None

    @property
    def repairable(self) -> bool:
        return bool(self.mismatches or self.empty_orphans or self.dangling_reviews)

    @property
    def ok(self) -> bool:
        return not self.integrity and (self.fixed or not self.repairable)


def check(study: Study, *, fix: bool, backup_folder: Path, keep: int = 10) -> CheckReport:
    """Integrity, then every card's history replayed and compared with its stored state."""
    store = study.store
    integrity = run_guarded(store.integrity_problems, store.path)
    if integrity:
        return CheckReport(integrity, 0, 0, [], [], [], [])
    states = store.states()
    histories = store.histories()
    mismatches = []
    for key, history in sorted(histories.items()):
        stored = states[key]
        replayed = study.scheduler.replay(key, history, stored.card_id)
        differences = _differences(stored, replayed)
        if differences:
            mismatches.append(Mismatch(key, differences))
    report = CheckReport(
        integrity=[],
        cards=len(states),
        reviews=sum(len(h) for h in histories.values()),
        mismatches=mismatches,
        orphans=sorted(k for k in states if k not in study.cards and k in histories),
        empty_orphans=sorted(k for k in states if k not in study.cards and k not in histories),
        dangling_reviews=store.dangling_reviews(),
    )
    if not fix or not report.repairable:
        return report
    made = backup(store, None, backup_folder, study.now, keep)
    now_ms = to_ms(study.now)

    def work() -> None:
        with store.transaction():
            for mismatch in report.mismatches:
                history = store.history(mismatch.card)  # re-read inside the lock
                stored = store.state(mismatch.card)
                assert stored is not None
                replayed = study.scheduler.replay(mismatch.card, history, stored.card_id)
                store.put_scheduling(replayed, now_ms)
            store.delete_reviews(report.dangling_reviews)
            store.delete_cards_without_history(report.empty_orphans)

    run_guarded(work, store.path)
    return replace(report, fixed=True, backup=str(made.path))


def _differences(stored: CardState, replayed: CardState) -> dict[str, tuple[Any, Any]]:
    found = {}
    for name in COMPARED:
        mine, theirs = getattr(stored, name), getattr(replayed, name)
        if isinstance(mine, float) and isinstance(theirs, float):
            if math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-12):
                continue
        elif mine == theirs:
            continue
        found[name] = (mine, theirs)
    return found


# --- export and import -------------------------------------------------------------------


def export_json(study: Study) -> dict[str, Any]:
    from prepcli.storage.transfer import export_document

    store = study.store
    return export_document(
        store.export_cards(),
        set(study.cards),
        store.fsrs_parameters(),
        SCHEMA_VERSION,
        to_ms(study.now),
    )


def export_csv(study: Study, out: IO[str]) -> int:
    from prepcli.storage.transfer import write_csv

    store = study.store
    return write_csv(
        store.export_cards(),
        set(study.cards),
        [c.name for c in store.columns("card")],
        [c.name for c in store.columns("review")],
        out,
    )


def export_anki(study: Study, path: Path) -> AnkiExport:
    from prepcli.storage.ankiexport import write_apkg

    if path.is_dir():
        raise UsageError(f"{path} is a folder; name the .apkg file to write")
    if not path.parent.is_dir():
        raise PrepError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        return write_apkg(study.decks.decks, path, study.now)
    except OSError as exc:
        raise PrepError(f"cannot write {path}: {exc.strerror or exc}") from None


def read_import(study: Study, path: Path) -> ImportDocument:
    from prepcli.storage.transfer import parse_document

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PrepError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    store = study.store
    return parse_document(
        text, str(path), store.columns("card"), store.columns("review"), SCHEMA_VERSION
    )


@dataclass(frozen=True)
class ImportOutcome:
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
    of its own adopts the export's.
    """
    store = study.store
    now_ms = to_ms(study.now)
    added: list[str] = []
    merged: list[str] = []
    unchanged: list[str] = []
    counts = {"reviews": 0, "adopted": 0}

    def work() -> None:
        with store.transaction():
            local = {card.key: card for card in store.export_cards()}
            conflicts = []
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
            if conflicts and not merge:
                shown = ", ".join(conflicts[:5]) + (" …" if len(conflicts) > 5 else "")
                raise PrepError(
                    f"{len(conflicts)} card(s) already have a different history in "
                    f"{store.path}: {shown}. Nothing was imported; `--merge` combines both "
                    "histories and replays each card from the combined log."
                )
            if document.parameters is not None and store.fsrs_parameters() is None:
                store.add_parameters(replace(document.parameters, created_ms=now_ms))
                counts["adopted"] = 1
            stored = store.fsrs_parameters()
            scheduler = Scheduler(
                study.settings,
                study.calendar,
                parameters=Scheduler.clamp_parameters(stored.params) if stored else None,
            )
            incoming = {card.key: card for card in document.cards}
            for key in added:
                card = incoming[key]
                store.import_card(card, now_ms)
                counts["reviews"] += len(card.history)
                _replay_card(store, scheduler, key, now_ms, rewrite_log=False)
            for key in conflicts:
                here, card = local[key], incoming[key]
                known = {_signature(r) for r in here.history}
                extra = [r for r in card.history if _signature(r) not in known]
                combined = sorted(here.history + extra, key=lambda r: r["reviewed_ms"])
                store.delete_history(key)
                store.import_card(ExportedCard(key, here.state, combined), now_ms)
                counts["reviews"] += len(extra)
                merged.append(key)
                _replay_card(store, scheduler, key, now_ms, rewrite_log=True)

    run_guarded(work, store.path)
    study.__dict__.pop("scheduler", None)
    return ImportOutcome(added, merged, unchanged, counts["reviews"], bool(counts["adopted"]))


def _replay_card(
    store: Store, scheduler: Scheduler, key: str, now_ms: int, *, rewrite_log: bool
) -> None:
    history = store.history(key)
    if not history:
        return  # a state without history is taken as it is
    stored = store.state(key)
    assert stored is not None
    state = CardState(key=key)
    for review, (before, after) in zip(
        history, scheduler.replay_steps(key, history, stored.card_id), strict=True
    ):
        if rewrite_log:  # a merged log's snapshots come from two timelines: redo them
            store.put_review_snapshots(review.id, before, after)
        state = after
    store.put_scheduling(state, now_ms)
