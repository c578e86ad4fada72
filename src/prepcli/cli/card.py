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
    show,
)

if TYPE_CHECKING:
    from datetime import datetime


card_app = typer.Typer(
    rich_markup_mode=None, help="Look at one card or change its status.", no_args_is_help=True
)

# --- card --------------------------------------------------------------------------------


@card_app.command("show")
def card_show(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """State, stability, difficulty, recall now, and the full history of a card."""
    from prepcli.ui import card_view, render

    study = open_study(ctx)
    try:
        info = study.answering.info(card_id)
    finally:
        study.close()
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
        show(card_view.card_info_view(info, render.iso_minutes(_ms(study.now)) + " UTC"))


def _ms(instant: datetime) -> int:
    from prepcli.core.clock import to_ms

    return to_ms(instant)


def _set_suspended(ctx: typer.Context, card_id: str, suspended: bool, as_json: bool) -> None:
    study = open_study(ctx)
    try:
        study.card(card_id)
        study.answering.set_suspended(card_id, suspended)
    finally:
        study.close()
    if as_json:
        emit_json({"card": card_id, "suspended": suspended}, study.calendar.tz)
    else:
        echo(f"{card_id} {'suspended' if suspended else 'unsuspended'}.")


@card_app.command("suspend")
def card_suspend(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """Take a card out of reviews until it is unsuspended."""
    _set_suspended(ctx, card_id, True, as_json)


@card_app.command("unsuspend")
def card_unsuspend(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """Bring a suspended card back."""
    _set_suspended(ctx, card_id, False, as_json)


@card_app.command("forget")
def card_forget(
    ctx: typer.Context,
    card_id: CardArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reset a card to new (its history stays; `prepcli undo` reverts this)."""
    study = open_study(ctx)
    try:
        study.card(card_id)
        if not yes and not confirm(f"Reset {card_id} to new?", err=as_json):
            raise typer.Exit(1)
        study.answering.forget(card_id)
    finally:
        study.close()
    if as_json:
        emit_json({"card": card_id, "phase": "new"}, study.calendar.tz)
    else:
        echo(f"{card_id} is new again.")


# --- config ------------------------------------------------------------------------------
