"""One card: show it, suspend or unsuspend it, forget its history."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import (
    CardArgument,
    JsonOption,
    confirm,
    echo,
    emit_json,
    open_study,
    show,
)

if TYPE_CHECKING:
    from datetime import datetime


card_app = typer.Typer(help="Look at one card or change its status.", no_args_is_help=True)

# --- card --------------------------------------------------------------------------------


@card_app.command("show")
def card_show(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """State, stability, difficulty, recall now, and the full history of a card."""
    from prepcli.ui import card_view, render

    study = open_study(ctx)
    try:
        info = study.info(card_id)
    finally:
        study.close()
    if as_json:
        emit_json(
            {
                "card": card_id,
                "state": asdict(info.state),
                "retrievability": info.retrievability,
                "history": [asdict(r) for r in info.history],
            }
        )
    else:
        show(card_view.card_info_view(info, render.iso_minutes(_ms(study.now)) + " UTC"))


def _ms(instant: datetime) -> int:
    from prepcli.core.clock import to_ms

    return to_ms(instant)


def _set_suspended(ctx: typer.Context, card_id: str, suspended: bool) -> None:
    study = open_study(ctx)
    try:
        study.card(card_id)
        study.set_suspended(card_id, suspended)
    finally:
        study.close()
    echo(f"{card_id} {'suspended' if suspended else 'unsuspended'}.")


@card_app.command("suspend")
def card_suspend(ctx: typer.Context, card_id: CardArgument) -> None:
    """Take a card out of reviews until it is unsuspended."""
    _set_suspended(ctx, card_id, True)


@card_app.command("unsuspend")
def card_unsuspend(ctx: typer.Context, card_id: CardArgument) -> None:
    """Bring a suspended card back."""
    _set_suspended(ctx, card_id, False)


@card_app.command("forget")
def card_forget(
    ctx: typer.Context,
    card_ids: Annotated[list[str], typer.Argument(metavar="CARD...", help="Cards, as deck/id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reset cards to new (their history stays). One card: `prepcli undo` reverts it; more
    than one: the database is backed up first (backups/ beside it, the last 10 kept)."""
    keys = list(dict.fromkeys(card_ids))  # a card named twice is reset once
    backup = None
    study = open_study(ctx)
    try:
        for key in keys:
            study.card(key)
        question = (
            f"Reset {keys[0]} to new?" if len(keys) == 1 else f"Reset {len(keys)} cards to new?"
        )
        if not yes and not confirm(question, err=as_json):
            raise typer.Exit(1)
        if len(keys) > 1:
            from prepcli.app.safety import backup_before

            backup = backup_before(study.store, "card-forget", study.now)
        for key in keys:
            study.forget(key)
    finally:
        study.close()
    if as_json:
        emit_json({"forgotten": keys, "backup": None if backup is None else str(backup)})
        return
    if backup is not None:
        echo(f"Backup: {backup}")  # a path to copy: never wrapped
    echo(f"{keys[0]} is new again." if len(keys) == 1 else f"{len(keys)} cards are new again.")


# --- config ------------------------------------------------------------------------------
