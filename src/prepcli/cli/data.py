"""Your memory model and your data: optimize, export, import, backup, check."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import (
    JsonOption,
    echo,
    emit_json,
    now,
    open_store_of,
    open_study,
    plural,
    show,
    show_long,
)
from prepcli.cli.jsonout import fields_of
from prepcli.cli.options import json_document
from prepcli.core.errors import UsageError

if TYPE_CHECKING:
    from prepcli.app.study import Study

app = typer.Typer(rich_markup_mode=None)

# --- your memory model, your data out and safe: optimize, export/import, backup, check -----


def _parameters_label(study: Study) -> str:
    stored = study.store.settings.fsrs_parameters()
    if stored is None or stored.source == "reset":
        return "the defaults"
    from prepcli.core.clock import from_ms

    when = from_ms(stored.created_ms).astimezone(study.calendar.tz).date().isoformat()
    if stored.source == "import":
        return f"personal, imported {when}"
    return f"personal, fitted {when} on {plural(stored.n_items, 'review')}"


@app.command()
def optimize(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the result without saving anything.")
    ] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Go back to the default FSRS parameters.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fit FSRS parameters to your own review history (kept only if they predict it better).

    Needs at least 400 reviews on a later day than the card's previous answer; cards are
    then rescheduled by replaying their history with the new parameters.

    \b
    Examples:
      prepcli optimize --dry-run
      prepcli optimize
      prepcli optimize --reset
    """
    from prepcli.app import maintenance
    from prepcli.ui import collection_view, render

    study = open_study(ctx)
    if reset:
        undone = maintenance.reset_parameters(study, dry_run=dry_run)
        if as_json:
            emit_json(
                {
                    "reset": True,
                    "already_default": undone.already_default,
                    "saved": undone.saved,
                    "recomputed": undone.recomputed,
                }
            )
        elif undone.already_default:
            echo("Already using the default FSRS parameters.")
        elif undone.saved:
            echo(
                f"Back to the default FSRS parameters; {plural(undone.recomputed, 'card')} "
                "rescheduled by replaying their history."
            )
        else:
            echo("Dry run: would go back to the default FSRS parameters.")
        return
    label = _parameters_label(study)
    with render.status("Fitting FSRS parameters to your review history…"):
        outcome = maintenance.optimize(study, dry_run=dry_run)
    if not as_json:
        show(collection_view.optimize_view(outcome, label))
        return
    from prepcli.app.optimizer import MIN_ITEMS

    fit = outcome.fit
    emit_json(
        {
            "items": fit.items,
            "cards": fit.cards,
            "reviews": fit.reviews,
            "minimum_items": MIN_ITEMS,
            "accepted": fit.accepted,
            "saved": outcome.saved,
            "dry_run": outcome.dry_run,
            "reason": fit.reason,
            "recomputed": outcome.recomputed,
            "before": None if fit.current_eval is None else fields_of(fit.current_eval),
            "after": None if fit.fitted_eval is None else fields_of(fit.fitted_eval),
            "current_parameters": list(fit.current),
            "fitted_parameters": None if fit.fitted is None else list(fit.fitted),
            "fit_seconds": round(fit.fit_seconds, 4),
        }
    )


EXPORT_FORMATS = ("anki", "csv", "json")


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="anki (.apkg), csv or json.")
    ] = "json",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            metavar="PATH",
            help="File to write (default: stdout for csv/json, ./prepcli.apkg for anki); "
            "never an existing file unless --force, never the database.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file (never the database).")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Say what was written to the file as JSON (needs a file: -o)."),
    ] = False,
) -> None:
    """Export the decks to Anki, or cards with state and full history as CSV or JSON.

    JSON is what `prepcli import` reads back; CSV (a row per review) is for spreadsheets
    and pandas. Writing to a file says what was written, on stderr (with --json, on
    stdout as a document).

    \b
    Examples:
      prepcli export -o prep.json
      prepcli export --format csv > reviews.csv
      prepcli export --format anki -o prep.apkg
    """
    from prepcli.app import exchange

    if format_ not in EXPORT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {format_!r}")
    if as_json and output is None and format_ != "anki":
        raise UsageError(
            f"--json says what an export to a file wrote: add -o PATH (without it the "
            f"{format_.upper()} export itself is printed)"
        )
    study = open_study(ctx)
    if format_ == "anki":
        target = output or Path("prepcli.apkg")
        made = exchange.export_anki(study, target, force=force)
        what = f"{plural(made.notes, 'note')} in {plural(made.decks, 'deck')}"
        if made.reviews:
            what += f", with {plural(made.reviews, 'review')} of {plural(made.reviewed, 'card')}"
        # Anki imports every card as new unless this box is ticked (off by default).
        how = "an Anki package: in Anki, File → Import, with “Import any learning progress”"
        counts = {
            "notes": made.notes,
            "decks": made.decks,
            "reviews": made.reviews,
            "cards_reviewed": made.reviewed,
        }
        _exported(as_json, format_, made.path, counts, what, f"{how} ticked")
        return
    if format_ == "json":
        if output is None:
            echo(json_document(exchange.export_json(study), indent=1))
        else:
            cards, reviews = exchange.export_json_file(study, output, force=force)
            what = f"{plural(cards, 'card')} with {plural(reviews, 'review')}"
            counts = {"cards": cards, "reviews": reviews}
            _exported(
                as_json, format_, output, counts, what, "JSON: `prepcli import` reads it back"
            )
        return
    if output is None and sys.stdout.isatty():
        shown = io.StringIO()  # read on a screen: keys from an import are shown as echo does
        exchange.export_csv(study, shown)
        echo(shown.getvalue(), nl=False)
        return
    if output is None:
        exchange.export_csv(study, sys.stdout)  # piped: exact
        return
    count = exchange.export_csv_file(study, output, force=force)
    _exported(
        as_json,
        format_,
        output,
        {"rows": count},
        plural(count, "row"),
        "CSV: a row per review, one per card without",
    )


def _exported(
    as_json: bool, format_: str, path: Path, counts: dict[str, int], what: str, kind: str
) -> None:
    """What an export to a file says it wrote: a line on stderr (stdout may be the data),
    or with --json a document on stdout."""
    if not as_json:
        echo(f"Exported {what} to {path} ({kind}).", err=True)
        return
    size = path.stat().st_size
    emit_json({"format": format_, "path": str(path), "bytes": size, "written": counts})


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="A `prepcli export --format json` file.",
            exists=True,
            dir_okay=False,
        ),
    ],
    merge: Annotated[
        bool,
        typer.Option("--merge", help="Combine with history already here instead of refusing."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Restore cards and their history from a JSON export (all or nothing).

    It reads the JSON file that `prepcli export --format json` writes (not CSV or .apkg);
    every value is checked against what prepcli itself writes before anything is. An
    import that changes a database holding cards backs it up first (backups/ beside it,
    the last 10 kept).

    \b
    Examples:
      prepcli import prep.json
      prepcli --db other.sqlite3 import prep.json --merge
    """
    from prepcli.app import exchange
    from prepcli.app.safety import backup_before
    from prepcli.cli.arguments import checked_path
    from prepcli.ui import render

    checked_path(file, "file")  # a FIFO would block, /dev/zero would never end
    backup = None
    study = open_study(ctx)
    document = exchange.read_import(study, file)
    if exchange.import_needs_backup(study, document, merge=merge):
        backup = backup_before(study.store, "import", study.now)
    with render.status(f"Importing {plural(len(document.cards), 'card')}…"):
        done = exchange.import_history(study, document, merge=merge)
    if as_json:
        emit_json({**fields_of(done), "backup": None if backup is None else str(backup)})
        return
    if backup is not None:
        echo(f"Backup: {backup}")  # a path to copy: never wrapped
    echo(
        f"Imported {plural(len(done.added), 'card')} and "
        f"{plural(done.reviews_added, 'review')} from {file}; "
        f"merged {len(done.merged):,}, already here {len(done.unchanged):,}."
    )
    if done.parameters_adopted:
        echo("This database had no personal FSRS parameters: it now uses the export's.")


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help="A folder, or a new file (default: backups/ in the user data dir).",
        ),
    ] = None,
    keep: Annotated[
        int,
        typer.Option(
            "--keep", min=1, metavar="N", help="Backups of this database kept in the folder."
        ),
    ] = 10,
    as_json: JsonOption = False,
) -> None:
    """Copy the database safely, even while another prepcli is using it.

    Old backups of this database beyond --keep are removed from the folder.

    \b
    Examples:
      prepcli backup
      prepcli backup ~/Dropbox/prepcli/ --keep 30
    """
    from prepcli.app import maintenance
    from prepcli.storage import paths

    store = open_store_of(ctx)
    try:
        made = maintenance.backup(store, path, paths.data_dir() / "backups", now(), keep)
    finally:
        store.close()
    if as_json:
        emit_json(
            {"path": str(made.path), "bytes": made.size, "removed": [str(p) for p in made.removed]}
        )
        return
    echo(f"Backed up to {made.path} ({made.size / 1024:.0f} KiB).")
    if made.removed:
        echo(f"Removed {plural(len(made.removed), 'older backup')} (keeping {keep}).")


@app.command()
def check(
    ctx: typer.Context,
    fix: Annotated[
        bool, typer.Option("--fix", help="Repair what is found (after making a backup).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the database: integrity, and every card's state against its replayed history.

    Exits 1 when something is wrong; --fix repairs it after making a backup.

    \b
    Examples:
      prepcli check
      prepcli check --fix
    """
    from prepcli.app import maintenance
    from prepcli.cli import sync
    from prepcli.storage import paths
    from prepcli.ui import collection_view, render

    study = open_study(ctx)
    with render.progress_bar("Checking: replaying every card's history", 0) as progress:
        report = maintenance.check(
            study, fix=fix, backup_folder=paths.data_dir() / "backups", progress=progress
        )
    synced = sync.verify_for_check(study.store)  # None: this database does not sync
    ok = report.ok and (synced is None or not synced.differences)
    if as_json:
        emit_json({**fields_of(report), "ok": ok, "sync": sync.verification_json(synced)})
    else:
        show_long(ctx, collection_view.check_view(report))
        if report.backup:
            echo(f"Backup: {report.backup}")  # a path to copy: never wrapped
        sync.print_verification(synced)
    if not ok:
        raise typer.Exit(1)
