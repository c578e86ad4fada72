"""What every command shares: the collection it works on, the clock, printing, and the
option and argument types used by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prepcli.cli.options import Options, locations_for
from prepcli.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime, tzinfo

    from prepcli.app.study import Locations, Study


def options_of(ctx: typer.Context) -> Options:
    options = ctx.find_root().obj
    assert isinstance(options, Options)
    return options


def locations_of(ctx: typer.Context) -> Locations:
    return locations_for(options_of(ctx))


def now() -> datetime:
    from prepcli.core import clock

    return clock.now()


def open_study(ctx: typer.Context) -> Study:
    """The collection, closed when the command ends (however it ends): one place opens
    and closes it for every command."""
    from prepcli.app.study import Study

    return ctx.with_resource(Study.open(locations_of(ctx), now()))


def show(renderable: Any) -> None:
    from prepcli.ui import render

    render.console().print(renderable)


def show_long(ctx: typer.Context, *renderables: Any) -> None:
    """Show output that can run past a screen: paged on a terminal (ui/pager.py)."""
    from prepcli.ui.pager import page

    page(*renderables, enabled=options_of(ctx).pager)


def echo_long(ctx: typer.Context, text: str) -> None:
    """`echo` for long plain text (a schema, a reference): paged on a terminal."""
    from prepcli.ui.pager import page_text
    from prepcli.ui.safe import visible

    page_text(visible(text), enabled=options_of(ctx).pager)


def emit_json(payload: Mapping[str, Any], zone: tzinfo | None = None) -> None:
    """Print a command's `--json` document (see cli/jsonout.py for the contract)."""
    from prepcli.cli import jsonout

    jsonout.emit(payload, zone)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print plain text. What it holds may come from a file, the database or an argument
    (a path, a card key, a plan title): control characters are shown, not obeyed."""
    from prepcli.ui.safe import visible

    typer.echo(visible(text), err=err, nl=nl)  # noqa: TID251 - the one plain-text printer


def confirm(question: str, *, err: bool = False) -> bool:
    """Ask yes or no (default no), the question shown as `echo` shows text."""
    from prepcli.ui.safe import visible

    return typer.confirm(visible(question), default=False, err=err)  # noqa: TID251


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DeckOption = Annotated[
    list[str] | None,
    typer.Option(
        "--deck", "-d", metavar="DECK", help="Only this deck or deck prefix (repeatable)."
    ),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", metavar="TAG", help="Only cards with this tag (repeatable)."),
]


def complete_card_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of card ids (deck/id) from the deck index of the decks in use."""
    from prepcli.core.errors import PrepError
    from prepcli.storage.deckindex import load_index

    root = ctx.find_root().params
    try:
        # While completing, the root's parameters may still be the words typed (strings).
        db = root.get("db")
        options = Options(
            db=None if db is None else Path(db),
            decks=tuple(Path(d) for d in root.get("decks") or ()),
            no_bundled=bool(root.get("no_bundled")),
        )
        where = locations_for(options)
        index, _decks = load_index(where.deck_roots, where.cache_dir)
    except (PrepError, OSError):  # bad decks or folders: no completions rather than noise
        return []
    index.close()
    return [key for key in index.keys if key.startswith(incomplete)]


CardArgument = Annotated[
    str,
    typer.Argument(
        metavar="CARD_ID",
        help="The card, as deck/id (e.g. llm-quiz.inference/kv-cache).",
        autocompletion=complete_card_id,
    ),
]

RATING_WORDS = {"again": 1, "hard": 2, "good": 3, "easy": 4}


def parse_rating(text: str) -> int:
    lowered = text.strip().lower()
    if lowered in RATING_WORDS:
        return RATING_WORDS[lowered]
    if lowered in ("1", "2", "3", "4"):
        return int(lowered)
    raise UsageError(f"rating must be 1–4 or again/hard/good/easy, got {text!r}")


def open_store_of(ctx: typer.Context) -> Any:
    from prepcli.storage.store import open_store

    where = locations_of(ctx)
    return open_store(where.db, create_parents=where.create_db_parents)


def plural(count: int, word: str) -> str:
    from prepcli.core.textfmt import plural as counted

    return counted(count, word)
