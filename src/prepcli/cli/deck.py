"""For deck authors: list, lint, preview, schema, new deck files, orphaned history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import (
    JsonOption,
    confirm,
    echo,
    emit_json,
    locations_of,
    open_study,
    plural,
    show,
)
from prepcli.cli.options import existing
from prepcli.core.errors import PrepError, UsageError

if TYPE_CHECKING:
    pass

deck_app = typer.Typer(help="List and check deck files.", no_args_is_help=True)

# --- decks -------------------------------------------------------------------------------


@deck_app.command("list")
def deck_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The decks with their card counts and files."""
    from prepcli.files.deckfiles import cache_name
    from prepcli.files.decks import load_decks

    where = locations_of(ctx)
    decks = load_decks(where.deck_roots, where.cache_dir / cache_name(where.deck_roots))
    rows = [
        {"deck": d.id, "title": d.title, "cards": len(d.cards), "path": d.path} for d in decks.decks
    ]
    if as_json:
        emit_json(rows)
        return
    from prepcli.ui import collection_view

    show(collection_view.deck_table(rows))


@deck_app.command("lint")
def deck_lint(
    ctx: typer.Context,
    paths_: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[PATH]...", help="Deck files or folders (default: the decks)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    output: Annotated[
        str, typer.Option("--format", metavar="[text|json]", help="path:line:col lines or JSON.")
    ] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Check deck files: every error and warning in every file, as path:line:col.

    Exits 1 when there are errors (or, with --strict, warnings); 0 otherwise.
    """
    from prepcli.files.lint import lint

    if output not in ("text", "json"):
        raise UsageError(f"--format must be text or json, got {output!r}")
    roots = existing(paths_) or locations_of(ctx).deck_roots
    report = lint(roots)
    if as_json or output == "json":
        emit_json(
            [
                {
                    "path": p.path,
                    "line": p.line,
                    "col": p.col,
                    "severity": p.severity,
                    "message": p.message,
                }
                for p in report.problems
            ]
        )
    else:
        from prepcli.ui.safe import visible_line  # one problem per line, whatever the name

        for p in report.problems:
            echo(
                f"{visible_line(p.path)}:{p.line}:{p.col}: {p.severity}: {visible_line(p.message)}"
            )
        found = (
            f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}"
            if report.problems
            else "no problems"
        )
        counts = ", ".join(
            (
                plural(report.files, "file"),
                plural(report.decks, "deck"),
                plural(report.cards, "card"),
            )
        )
        echo(f"{counts}: {found}.")
    if report.files == 0:
        raise PrepError("no deck files (*.yaml, *.yml) found")
    if report.errors or (strict and report.warnings):
        raise typer.Exit(1)


@deck_app.command("preview")
def deck_preview(
    target: Annotated[
        str,
        typer.Argument(
            metavar="PATH[#CARD_ID]", help="A deck file or folder, optionally with #card-id."
        ),
    ],
) -> None:
    """Show cards as the review session draws them, front then back (no database)."""
    from prepcli.files.decks import load_decks
    from prepcli.files.safeio import path_problem
    from prepcli.ui import card_view, render

    path, card_id = Path(target), None
    if "#" in target and (path_problem(path) is not None or not os.path.lexists(path)):
        where, _, card_id = target.rpartition("#")
        path = Path(where)
    existing([path])
    decks = load_decks([path])  # no cache, no database: a preview writes nothing
    cards = [c for c in decks.cards() if card_id is None or card_id in (c.id, c.key, c.note_id)]
    if not cards:
        known = ", ".join(c.id for c in decks.cards())
        raise UsageError(f"no card {card_id!r} in {path} (cards: {known or 'none'})")
    console = render.console()
    for number, card in enumerate(cards):
        if number:
            console.print()
        console.print(card_view.card_preview(card))


@deck_app.command("schema")
def deck_schema() -> None:
    """Print the JSON Schema (draft 2020-12) of deck files, for editors and CI."""
    from importlib import resources

    echo(resources.files("prepcli").joinpath("deck.schema.json").read_text("utf-8"), nl=False)


@deck_app.command("new")
def deck_new(
    path: Annotated[Path, typer.Argument(help="The new deck file (.yaml).", dir_okay=False)],
    deck: Annotated[str, typer.Option("--deck", help="Deck id, e.g. llm-quiz.inference.")],
    title: Annotated[str, typer.Option("--title", help="Deck title.")],
    description: Annotated[
        str, typer.Option("--description", help="What the deck covers.")
    ] = "TODO: what this deck covers.",
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Where the material comes from (repeatable)."),
    ] = None,
) -> None:
    """Write a new deck file with one example card; never overwrites a file."""
    from prepcli.cli.arguments import checked_path
    from prepcli.files.decks import DECK_ID, new_deck_text
    from prepcli.files.safeio import private_folder, write_file

    checked_path(path, "file or nothing")
    if not DECK_ID.fullmatch(deck):
        raise UsageError(f"--deck {deck!r} must be dotted lowercase slugs, e.g. llm-quiz.inference")
    if not title.strip():
        raise UsageError("--title must not be empty")
    if path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{path}: deck files end in .yaml or .yml")
    schema = Path(__file__).resolve().parents[1] / "deck.schema.json"
    try:  # relative, as in the bundled decks, so the modeline survives moving the repository
        schema_ref = Path(os.path.relpath(schema, path.parent.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        schema_ref = schema.as_uri()
    sources = source or ["TODO: the documents or references this deck is written from"]
    text = new_deck_text(deck, title, description, sources, schema_ref)
    try:
        private_folder(path.parent)
        write_file(path, lambda handle: handle.write(text))  # never over an existing file
    except FileExistsError:
        raise PrepError(f"{path} already exists; `deck new` never overwrites a file") from None
    except OSError as exc:
        raise PrepError(f"cannot write {path}: {exc.strerror or exc}") from None
    echo(f"Wrote {path} (deck {deck}, one example card).")
    echo(
        f"Preview it with `prepcli deck preview {path}`; check it with `prepcli deck lint {path}`."
    )


@deck_app.command("orphans")
def deck_orphans(
    ctx: typer.Context,
    forget: Annotated[
        bool, typer.Option("--forget", help="Remove them and their review history.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Cards in the database that no deck defines any more, with their review counts.

    `--forget` backs the database up first (backups/ beside it, the last 10 kept).
    """
    from prepcli.storage.sqlitefile import run_guarded
    from prepcli.ui import collection_view

    study = open_study(ctx)
    backup: Path | None = None
    try:
        counts = study.store.upkeep.card_review_counts()
        orphans = [(key, *counts[key]) for key in sorted(counts) if key not in study.cards]
        removed: tuple[int, int] | None = None
        if forget and orphans:
            reviews = sum(row[1] for row in orphans)
            question = (
                f"Remove {plural(len(orphans), 'card')} and {plural(reviews, 'review')} "
                "from the database? This cannot be undone."
            )
            if not as_json:
                show(collection_view.orphans_table(orphans))
            if not yes and not confirm(question, err=as_json):
                raise typer.Exit(1)
            keys = [row[0] for row in orphans]
            from prepcli.app.safety import backup_before

            backup = backup_before(study.store, "orphans-forget", study.now)
            removed = run_guarded(lambda: study.store.upkeep.delete_cards(keys), study.store.path)
    finally:
        study.close()
    if as_json:
        rows = [{"card": k, "reviews": n, "last_answer_ms": last} for k, n, last in orphans]
        gone = None if removed is None else {"cards": removed[0], "reviews": removed[1]}
        emit_json(
            {"orphans": rows, "removed": gone, "backup": None if backup is None else str(backup)}
        )
    elif not orphans:
        echo("No orphans: every card in the database is in a deck.")
    elif removed is not None:
        echo(f"Backup: {backup}")  # a path to copy: never wrapped
        echo(f"Removed {plural(removed[0], 'card')} and {plural(removed[1], 'review')}.")
    else:
        echo(f"{plural(len(orphans), 'card')} in the database that no deck defines:")
        show(collection_view.orphans_table(orphans))
        echo("`prepcli deck orphans --forget` removes them and their reviews.")
