"""For deck authors: list, lint, preview, schema, new deck files, orphaned history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from prepcli.cli.common import (
    JsonOption,
    confirm,
    echo,
    echo_long,
    emit_json,
    locations_of,
    open_study,
    plural,
    show,
    show_long,
)
from prepcli.cli.deck_overrides import deck_overrides
from prepcli.cli.options import existing
from prepcli.core.errors import PrepError, UsageError

deck_app = typer.Typer(
    rich_markup_mode=None,
    help="""For deck authors: list, check, preview and start deck files.

    Decks are YAML files (`prepcli deck schema` prints their JSON Schema); --decks PATH or
    PREPCLI_DECKS uses your own instead of the bundled ones.

    \b
    Examples:
      prepcli deck list
      prepcli deck lint my-decks/
      prepcli deck preview my-decks/rag.yaml#chunking
    """,
    no_args_is_help=True,
)

deck_app.command("overrides")(deck_overrides)

# --- decks -------------------------------------------------------------------------------


@deck_app.command("list")
def deck_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The decks with their card counts and files.

    Paths start from your home folder (~); a narrow terminal cuts them from the start.

    \b
    Examples:
      prepcli deck list
      prepcli --decks my-decks/ deck list --json
    """
    from prepcli.storage.deckindex import load_index

    where = locations_of(ctx)
    index, decks = load_index(where.deck_roots, where.cache_dir)  # decks: when it was stale
    try:
        listed = index.deck_list() if decks is None else None
        if listed is None:
            if decks is None:
                from prepcli.files.decks import load_decks

                decks = load_decks(where.deck_roots, index.cache)
            listed = [(d.id, d.title, len(d.cards), d.path) for d in decks.decks]
    finally:
        index.close()
    rows = [{"deck": i, "title": t, "cards": n, "path": p} for i, t, n, p in listed]
    if as_json:
        emit_json({"decks": rows})
        return
    from prepcli.ui import collection_view

    show_long(ctx, collection_view.deck_table(rows))


@deck_app.command("lint")
def deck_lint(
    ctx: typer.Context,
    paths_: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH...", help="Deck files or folders (default: the decks)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    output: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="text (path:line:col lines) or json.")
    ] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Check deck files: every error and warning in every file, as path:line:col.

    Exits 1 when there are errors (or, with --strict, warnings); 0 otherwise.

    \b
    Examples:
      prepcli deck lint
      prepcli deck lint my-decks/ --strict
      prepcli deck lint my-decks/rag.yaml --format json
    """
    from prepcli.files.lint import lint

    if output not in ("text", "json"):
        raise UsageError(f"--format must be text or json, got {output!r}")
    roots = existing(paths_) or locations_of(ctx).deck_roots
    report = lint(roots)
    if as_json or output == "json":
        emit_json(
            {
                "files": report.files,
                "decks": report.decks,
                "cards": report.cards,
                "errors": report.errors,
                "warnings": report.warnings,
                "problems": [
                    {
                        "path": p.path,
                        "line": p.line,
                        "col": p.col,
                        "severity": p.severity,
                        "message": p.message,
                    }
                    for p in report.problems
                ],
            }
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
        cards = plural(report.cards, "card")
        if report.flawed_cards:  # read, but kept out of the decks until fixed
            cards += f" ({report.flawed_cards} with errors)"
        counts = ", ".join((plural(report.files, "file"), plural(report.decks, "deck"), cards))
        echo(f"{counts}: {found}.")
    if report.files == 0:
        raise PrepError("no deck files (*.yaml, *.yml) found")
    if report.errors or (strict and report.warnings):
        raise typer.Exit(1)


@deck_app.command("preview")
def deck_preview(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="PATH[#CARD_ID]", help="A deck file or folder, optionally with #card-id."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Show cards as the review session draws them, front then back (no database).

    PATH#CARD_ID shows one card. Long output goes through your pager on a terminal;
    --json gives each card's fields as its deck file defines them.

    \b
    Examples:
      prepcli deck preview my-decks/rag.yaml
      prepcli deck preview my-decks/rag.yaml#chunking
      prepcli deck preview my-decks/rag.yaml --json
    """
    from prepcli.files.decks import load_decks
    from prepcli.files.safeio import path_problem
    from prepcli.ui import card_view

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
    if as_json:
        from prepcli.cli.jsonout import card_definition

        emit_json({"cards": [card_definition(card) for card in cards]})
        return
    shown: list[object] = []
    for card in cards:
        shown += [*([""] if shown else []), card_view.card_preview(card)]
    show_long(ctx, *shown)


@deck_app.command("schema")
def deck_schema(
    ctx: typer.Context,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            metavar="DIR",
            help="Write it as DIR/deck.schema.json (refreshing an older copy) for editors.",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema (draft-07) of deck files, for editors and CI.

    Paged on a terminal; --write DIR puts it beside your decks instead.

    \b
    Examples:
      prepcli deck schema > deck.schema.json
      prepcli deck schema --write my-decks
    """
    from prepcli.files import deckschema

    if write is None:
        echo_long(ctx, deckschema.schema_text())
        return
    from prepcli.cli.arguments import checked_path

    checked_path(write, "folder")
    target = write / deckschema.SCHEMA_NAME
    written = deckschema.write_schema(write, refresh=True)
    echo(f"Wrote {target}." if written else f"{target} is up to date.")
    echo(f"A deck file in {write} uses it with this first line:")
    echo(deckschema.modeline())


@deck_app.command("new")
def deck_new(
    path: Annotated[
        Path,
        typer.Argument(metavar="PATH", help="The new deck file (.yaml).", dir_okay=False),
    ],
    deck: Annotated[
        str, typer.Option("--deck", metavar="DECK", help="Deck id, e.g. llm-quiz.inference.")
    ],
    title: Annotated[str, typer.Option("--title", metavar="TEXT", help="Deck title.")],
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="What the deck covers.")
    ] = "TODO: what this deck covers.",
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source", metavar="TEXT", help="Where the material comes from (repeatable)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a new deck file with one example card; never overwrites a file.

    Then edit it, and check it with `prepcli deck lint PATH`.

    \b
    Example:
      prepcli deck new my-decks/rag.yaml --deck mine.rag --title "RAG in practice"
    """
    from prepcli.cli.arguments import checked_path
    from prepcli.files import deckschema
    from prepcli.files.deckcheck import DECK_ID
    from prepcli.files.decks import new_deck_text
    from prepcli.files.safeio import private_folder, write_file

    checked_path(path, "file or nothing")
    if not DECK_ID.fullmatch(deck):
        raise UsageError(f"--deck {deck!r} must be dotted lowercase slugs, e.g. llm-quiz.inference")
    if not title.strip():
        raise UsageError("--title must not be empty")
    if path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{path}: deck files end in .yaml or .yml")
    sources = source or ["TODO: the documents or references this deck is written from"]
    # The modeline names a schema file beside the deck (written if missing): it survives
    # reinstalls and moving the folder, which a path into the installed package does not.
    text = new_deck_text(deck, title, description, sources, deckschema.SCHEMA_NAME)
    try:
        private_folder(path.parent)
        write_file(path, lambda handle: handle.write(text))  # never over an existing file
    except FileExistsError:
        raise PrepError(f"{path} already exists; `deck new` never overwrites a file") from None
    except OSError as exc:
        raise PrepError(f"cannot write {path}: {exc.strerror or exc}") from None
    schema = path.parent / deckschema.SCHEMA_NAME
    problem = None
    try:
        wrote_schema = deckschema.write_schema(path.parent, refresh=False)
    except PrepError as exc:  # the deck is written; only the editor's help is missing
        wrote_schema, problem = False, str(exc)
    if as_json:
        emit_json(
            {
                "path": str(path),
                "deck": deck,
                "cards": 1,
                "schema": None if problem else str(schema),
                "schema_written": wrote_schema,
                "schema_problem": problem,
            }
        )
        return
    if problem:
        echo(f"Wrote {path} (deck {deck}, one example card); no editor schema: {problem}")
    else:
        also = f" and {schema} for editors" if wrote_schema else ""
        echo(f"Wrote {path} (deck {deck}, one example card){also}.")
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

    Their history is kept until --forget removes it (a renamed card keeps its history
    through `formerly:` in its deck instead); --forget backs the database up first
    (backups/ beside it, the last 10 kept).

    \b
    Examples:
      prepcli deck orphans
      prepcli deck orphans --forget --yes
    """
    from prepcli.storage.sqlitefile import run_guarded
    from prepcli.ui import collection_view

    backup: Path | None = None
    study = open_study(ctx)
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
            show(collection_view.orphans_table(orphans, study.calendar.tz))
        if not yes and not confirm(question, err=as_json):
            raise typer.Exit(1)
        keys = [row[0] for row in orphans]
        from prepcli.app.safety import backup_before

        backup = backup_before(study.store, "orphans-forget", study.now)
        removed = run_guarded(lambda: study.store.upkeep.delete_cards(keys), study.store.path)
    if as_json:
        from prepcli.core.clock import from_ms

        rows = [
            {"card": k, "reviews": n, "last_answer": None if last is None else from_ms(last)}
            for k, n, last in orphans
        ]
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
        show(collection_view.orphans_table(orphans, study.calendar.tz))
        echo("`prepcli deck orphans --forget` removes them and their reviews.")
