"""The root of the command tree: the global options; the commands themselves live in one
module per group and are loaded by name (cli/lazy.py). entry.py runs the app and maps
errors to exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prepcli.cli.common import echo
from prepcli.cli.lazy import LazyGroup
from prepcli.cli.options import Options

app = typer.Typer(
    name="prepcli",
    cls=LazyGroup,
    rich_markup_mode=None,  # plain click help: Rich's help formatter costs more than the rest
    # Its help is main_callback's docstring.
    no_args_is_help=False,
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish, pwsh)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="PREPCLI_DB",
            metavar="PATH",
            help="Database file (default: user data dir).",
            dir_okay=False,
        ),
    ] = None,
    decks: Annotated[
        list[Path] | None,
        typer.Option(
            "--decks",
            envvar="PREPCLI_DECKS",
            metavar="PATH",
            help="Your own deck folder or file, beside the bundled decks (repeatable).",
        ),
    ] = None,
    no_bundled: Annotated[
        bool,
        typer.Option(
            "--no-bundled",
            envvar="PREPCLI_NO_BUNDLED",
            help="Only the decks given with --decks: they replace the bundled ones.",
        ),
    ] = False,
    plans: Annotated[
        list[Path] | None,
        typer.Option(
            "--plans",
            envvar="PREPCLI_PLANS",
            metavar="PATH",
            help="Extra folder of plan files (repeatable).",
            file_okay=False,
        ),
    ] = None,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long output (stats, plan show, deck schema...); "
            "paging is only ever on a terminal, with $PREPCLI_PAGER or $PAGER (default less).",
        ),
    ] = False,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    """Spaced repetition and a six-week study plan for LLM-lab interview loops.

    With no command, shows today's summary. `prepcli COMMAND --help` explains each
    command, with examples; docs/COMMANDS.md has them all. Shell completion:
    `prepcli --install-completion` (bash, zsh, fish or PowerShell).

    \b
    Examples:
      prepcli
      prepcli review
      prepcli plan start --interview 2027-01-08
      prepcli --decks my-decks/ deck lint
    """
    if version:
        from prepcli import __version__

        echo(f"prepcli {__version__}")
        raise typer.Exit()
    ctx.obj = Options(
        db=db,
        decks=tuple(decks or ()),
        plans=tuple(plans or ()),
        pager=not no_pager,
        no_bundled=no_bundled,
    )
    if ctx.invoked_subcommand is None:
        from prepcli.cli import study

        study.today(ctx, as_json=False)
