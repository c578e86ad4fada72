"""The root of the command tree: the global options, and each command group's module
(entry.py runs the app and maps errors to exit codes).

Heavy modules (fsrs, yaml, sqlite3, platformdirs, rich) are imported inside the commands
that need them, so `prepcli --help` starts as fast as Typer itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepcli.cli import breaks, card, config, data, deck, plan, progress, simulate, study
from prepcli.cli.common import echo
from prepcli.cli.options import Options

app = typer.Typer(
    name="prepcli",
    help="Spaced repetition and a six-week study plan for LLM-lab interview loops.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(study.app)
app.add_typer(breaks.app)
app.add_typer(plan.plan_app, name="plan")
app.add_typer(simulate.app)
app.add_typer(progress.app)
app.add_typer(progress.quiz_app, name="quiz")
app.add_typer(card.card_app, name="card")
app.add_typer(config.config_app, name="config")
app.add_typer(deck.deck_app, name="deck")
app.add_typer(data.app)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="PREPCLI_DB",
            help="Database file (default: user data dir).",
            dir_okay=False,
        ),
    ] = None,
    decks: Annotated[
        list[Path] | None,
        typer.Option(
            "--decks",
            envvar="PREPCLI_DECKS",
            help="Deck folder or file instead of the bundled decks (repeatable).",
        ),
    ] = None,
    plans: Annotated[
        list[Path] | None,
        typer.Option(
            "--plans",
            envvar="PREPCLI_PLANS",
            help="Extra folder of plan files (repeatable).",
            file_okay=False,
        ),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    """Spaced repetition and a six-week study plan for LLM-lab interview loops.

    With no command, shows today's summary.
    """
    if version:
        from prepcli import __version__

        echo(f"prepcli {__version__}")
        raise typer.Exit()
    ctx.obj = Options(db=db, decks=tuple(decks or ()), plans=tuple(plans or ()))
    if ctx.invoked_subcommand is None:
        study.today(ctx, as_json=False)
