"""Your memory model and your data safe: optimize, backup, check (export and import are
in exchange.py).

Application functions over a Study (a bare Store for backups), called by the CLI. Every
change they make to the database is one transaction: parameters and the card states
replayed with them are saved together, a repair lands whole or not at all.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from prepcli.app.exchange import refuse_database_files
from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, UsageError
from prepcli.core.models import CardState, ParameterSet
from prepcli.core.scheduler import Scheduler
from prepcli.files.safeio import path_problem, private_folder, remove_stale_partials
from prepcli.storage.sqlitefile import check_file, run_guarded
from prepcli.storage.store import Store

if TYPE_CHECKING:
    from prepcli.app.optimizer import Fit
    from prepcli.app.study import Study


# --- optimize ----------------------------------------------------------------------------


class OptimizeOutcome(NamedTuple):
    fit: Fit
    saved: bool
    dry_run: bool
    recomputed: int  # cards whose state was replayed with the new parameters


def optimize(study: Study, *, dry_run: bool) -> OptimizeOutcome:
    """Fit parameters to the review log; save them (and replay every card) if they are
    better than the ones in use."""
    from prepcli.app import optimizer

    fit = optimizer.optimize(
        study.store.upkeep.histories(),
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


class ResetOutcome(NamedTuple):
    already_default: bool
    saved: bool
    recomputed: int


def reset_parameters(study: Study, *, dry_run: bool) -> ResetOutcome:
    stored = study.store.settings.fsrs_parameters()
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
            histories = store.upkeep.histories()
            for key, history in histories.items():
                store.upkeep.put_scheduling(
                    scheduler.replay(key, history, states[key].card_id), now_ms
                )
            store.settings.add_parameters(chosen)
        return len(histories)

    count = run_guarded(work, store.path)
    study.forget_scheduler()
    return count


# --- backup ------------------------------------------------------------------------------


class BackupOutcome(NamedTuple):
    path: Path
    size: int
    removed: list[Path]


def database_identity(db: Path) -> str:
    """Eight hex digits that name one database (by its resolved path) in its backups'
    names, so that two databases backed up into one folder (both called prep.sqlite3, say)
    never rotate away each other's copies."""
    return hashlib.sha256(os.fsencode(db.resolve())).hexdigest()[:8]


def backup_name(stem: str, identity: str, now: datetime, counter: int = 1, label: str = "") -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{label}" if label else ""
    return f"{stem}-{identity}-{stamp}{'' if counter == 1 else f'-{counter}'}{suffix}.sqlite3"


def backup(
    store: Store,
    destination: Path | None,
    default_folder: Path,
    now: datetime,
    keep: int,
    *,
    label: str = "",
) -> BackupOutcome:
    """Copy the live database. Into a folder (the default one unless a folder is given) the
    copy gets a timestamped name carrying the database's identity, and only the newest
    `keep` copies of this database stay (another database's are never touched); a file
    path is written as named and never rotated. Either way the copy is private, appears
    only once complete, and the `.partial` files of killed runs in that folder go.

    A `label` ends the name (`…-before-import.sqlite3`, app/safety.py): copies with a label
    are rotated only among those with the same label, so the copies a destructive command
    makes never push out the ones `prepcli backup` made, nor the other way round."""
    if keep < 1:
        raise UsageError("--keep must be at least 1")
    stem = store.path.stem
    identity = database_identity(store.path)
    folder: Path | None = None
    if destination is not None and path_problem(destination) is not None:
        raise UsageError(f"{destination} {path_problem(destination)}")
    if destination is None or destination.is_dir():
        folder = destination or default_folder
        try:
            private_folder(folder)
        except OSError as exc:
            raise PrepError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
        counter = 1
        while (folder / backup_name(stem, identity, now, counter, label)).exists():
            counter += 1
        target = folder / backup_name(stem, identity, now, counter, label)
    else:
        target = destination
        refuse_database_files(store.path, target)  # not even a -journal that is not there now
        if os.path.lexists(target):
            raise UsageError(f"{target} already exists; name a new file or a folder")
        if not target.parent.is_dir():
            raise PrepError(f"cannot write {target}: folder {target.parent} does not exist")
    remove_stale_partials(target.parent)
    try:
        run_guarded(lambda: store.upkeep.backup_to(target), store.path)
    except FileExistsError:
        raise UsageError(f"{target} already exists; name a new file or a folder") from None
    except OSError as exc:
        raise PrepError(f"cannot write backup {target}: {exc.strerror or exc}") from None
    problems = check_file(target)
    if problems:
        raise PrepError(f"the backup {target} failed its integrity check: {problems[0]}")
    removed = _rotate(folder, stem, identity, keep, target, label) if folder is not None else []
    return BackupOutcome(path=target, size=target.stat().st_size, removed=removed)


def _rotate(
    folder: Path, stem: str, identity: str, keep: int, newest: Path, label: str = ""
) -> list[Path]:
    """Keep the newest `keep` backups of this database with this label; backups named
    without an identity (made by an older prepcli) cannot be told apart by database and
    are never removed."""
    suffix = re.escape(f"-{label}") if label else ""
    pattern = re.compile(
        re.escape(f"{stem}-{identity}-") + r"(\d{8}T\d{6}Z)(?:-(\d+))?" + suffix + r"\.sqlite3"
    )
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


class Mismatch(NamedTuple):
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
    #: values no prepcli writes (core/bounds.py), one message each: removed or replayed
    out_of_range: list[str] = field(default_factory=list)

    @property
    def repairable(self) -> bool:
        return bool(
            self.mismatches or self.empty_orphans or self.dangling_reviews or self.out_of_range
        )

    @property
    def ok(self) -> bool:
        return not self.integrity and (self.fixed or not self.repairable)


_PROGRESS_EVERY = 250  # cards replayed between two reports of check's progress


def check(
    study: Study,
    *,
    fix: bool,
    backup_folder: Path,
    keep: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> CheckReport:
    """Integrity, values out of range, then every card's history replayed and compared with
    its stored state. A card with a value out of range is not replayed (its history may
    not even convert to a date); `fix` removes what is out of range, then replays it.
    `progress` hears (cards replayed, cards with a history) as the replay goes."""
    from prepcli.storage import rowcheck

    store = study.store
    integrity = run_guarded(store.upkeep.integrity_problems, store.path)
    if integrity:
        return CheckReport(integrity, 0, 0, [], [], [], [])
    ranges = run_guarded(lambda: rowcheck.find(store, Scheduler.parameter_bounds()), store.path)
    if ranges.parameter_ids:  # the set in use may be among them: replay with what stays
        kept = rowcheck.valid_parameters(store, ranges)
        scheduler = Scheduler(
            study.settings,
            study.calendar,
            parameters=Scheduler.clamp_parameters(kept) if kept else None,
        )
    else:
        scheduler = study.scheduler
    states = store.states()
    histories = store.upkeep.histories()
    affected = ranges.affected
    mismatches = []
    for done, (key, history) in enumerate(sorted(histories.items())):
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, len(histories))
        if key in affected:
            continue
        stored = states[key]
        replayed = scheduler.replay(key, history, stored.card_id)
        differences = _differences(stored, replayed)
        if differences:
            mismatches.append(Mismatch(key, differences))
    if progress is not None:
        progress(len(histories), len(histories))
    report = CheckReport(
        integrity=[],
        cards=len(states),
        reviews=sum(len(h) for h in histories.values()),
        mismatches=mismatches,
        orphans=sorted(k for k in states if k not in study.card_keys and k in histories),
        empty_orphans=sorted(k for k in states if k not in study.card_keys and k not in histories),
        dangling_reviews=store.upkeep.dangling_reviews(),
        out_of_range=[str(finding) for finding in ranges.found],
    )
    if not fix or not report.repairable:
        return report
    made = backup(store, None, backup_folder, study.now, keep)
    now_ms = to_ms(study.now)

    def replay(key: str) -> None:
        history = store.log.history(key)  # re-read inside the lock
        stored = store.state(key)
        if stored is None:
            return  # removed with a key no deck could define
        if history:
            store.upkeep.put_scheduling(scheduler.replay(key, history, stored.card_id), now_ms)
        elif key in ranges.bad_cards:
            rowcheck.delete_card(store, key)  # nothing but its bad state to keep
        else:
            store.upkeep.put_scheduling(CardState(key=key, card_id=stored.card_id), now_ms)
        rowcheck.reset_flags(store, key)

    def work() -> None:
        with store.transaction():
            rowcheck.remove(store, ranges)
            replayed = set(affected)
            if ranges.parameter_ids:  # other parameters now: every card is replayed
                replayed |= set(histories)
            replayed |= {m.card for m in report.mismatches}
            for key in sorted(replayed):
                replay(key)
            store.upkeep.delete_reviews(report.dangling_reviews)
            store.upkeep.delete_cards_without_history(report.empty_orphans)

    run_guarded(work, store.path)
    study.forget_scheduler()
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
