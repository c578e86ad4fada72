"""One card: show it, suspend or unsuspend it, forget its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import (
    CardArgument,
    JsonOption,
    confirm,
    echo,
    emit_json,
    open_study,
    show_long,
)

if TYPE_CHECKING:
    from datetime import datetime


card_app = typer.Typer(
    rich_markup_mode=None,
    help="""Look at one card or change its status.

    Cards are named deck/id, as `prepcli next`, `prepcli card show` and the review screen
    show them.

    \b
    Examples:
      prepcli card show llm-quiz.inference/kv-cache-memory-formula
      prepcli card suspend behavioral.values/star-structure
    """,
    no_args_is_help=True,
)

# --- card --------------------------------------------------------------------------------


@card_app.command("show")
def card_show(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """A card's front and back, state, stability, difficulty, recall now, and history.

    Times are in your time zone (the `timezone` setting), with its name.

    \b
    Examples:
      prepcli card show llm-quiz.inference/kv-cache-memory-formula
      prepcli card show llm-quiz.inference/kv-cache-memory-formula --json
    """
    from prepcli.ui import card_view

    study = open_study(ctx)
    info = study.answering.info(card_id)
    if as_json:
        from prepcli.cli import jsonout

        calendar = study.calendar
        emit_json(
            {
                "card": card_id,
                "state": jsonout.card_state(info.state, calendar),
                "retrievability": info.retrievability,
                "history": [jsonout.review(r, calendar) for r in info.history],
            },
            calendar.tz,
        )
    else:
        show_long(ctx, card_view.card_info_view(info, _ms(study.now), study.calendar.tz))


def _ms(instant: datetime) -> int:
    from prepcli.core.clock import to_ms

    return to_ms(instant)


def _set_suspended(ctx: typer.Context, card_id: str, suspended: bool, as_json: bool) -> None:
    study = open_study(ctx)
    study.card(card_id)
    study.answering.set_suspended(card_id, suspended)
    if as_json:
        emit_json({"card": card_id, "suspended": suspended}, study.calendar.tz)
    else:
        echo(f"{card_id} {'suspended' if suspended else 'unsuspended'}.")


@card_app.command("suspend")
def card_suspend(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """Take a card out of reviews until it is unsuspended.

    A suspended new card is left out of the plan's counts too.

    \b
    Example:
      prepcli card suspend llm-quiz.inference/kv-cache-memory-formula
    """
    _set_suspended(ctx, card_id, True, as_json)


@card_app.command("unsuspend")
def card_unsuspend(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """Bring a suspended card back.

    It is due again as it was before it was suspended.

    \b
    Example:
      prepcli card unsuspend llm-quiz.inference/kv-cache-memory-formula
    """
    _set_suspended(ctx, card_id, False, as_json)


@card_app.command("forget")
def card_forget(
    ctx: typer.Context,
    card_ids: Annotated[list[str], typer.Argument(metavar="CARD...", help="Cards, as deck/id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reset cards to new (their history stays).

    Asks first unless --yes. One card: `prepcli undo` reverts it; more than one: the
    database is backed up first (backups/ beside it, the last 10 kept).

    \b
    Examples:
      prepcli card forget llm-quiz.inference/kv-cache-memory-formula --yes
      prepcli card forget llm-quiz.inference/kv-cache-mla llm-quiz.inference/gqa
    """
    keys = list(dict.fromkeys(card_ids))  # a card named twice is reset once
    backup = None
    study = open_study(ctx)
    for key in keys:
        study.card(key)
    question = f"Reset {keys[0]} to new?" if len(keys) == 1 else f"Reset {len(keys)} cards to new?"
    if not yes and not confirm(question, err=as_json):
        raise typer.Exit(1)
    if len(keys) > 1:
        from prepcli.app.safety import backup_before

        backup = backup_before(study.store, "card-forget", study.now)
    for key in keys:
        study.answering.forget(key)
    if as_json:
        emit_json(
            {"cards": keys, "phase": "new", "backup": None if backup is None else str(backup)},
            study.calendar.tz,
        )
        return
    if backup is not None:
        echo(f"Backup: {backup}")  # a path to copy: never wrapped
    echo(f"{keys[0]} is new again." if len(keys) == 1 else f"{len(keys):,} cards are new again.")


# --- config ------------------------------------------------------------------------------
