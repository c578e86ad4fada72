"""The daily commands: today, the review session, next/answer for scripts, undo."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prepcli.cli.common import (
    DeckOption,
    JsonOption,
    TagOption,
    echo,
    emit_json,
    locations_of,
    open_study,
    parse_rating,
    show,
)
from prepcli.cli.options import show_today
from prepcli.core.errors import UsageError

if TYPE_CHECKING:
    from prepcli.app.study import Study

app = typer.Typer()


@app.command()
def today(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Today's summary: cards due, new cards, streak, plan week, interview countdown."""
    show_today(locations_of(ctx), as_json)


@app.command()
def review(
    ctx: typer.Context,
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Stop after N answers.")
    ] = None,
    ahead: Annotated[
        bool, typer.Option("--ahead", help="Also introduce later weeks' cards.")
    ] = False,
) -> None:
    """The daily review session (Space reveals, 1–4 rate, u undo, q quit)."""
    from prepcli.app.daysoff import today_note
    from prepcli.core.daysoff import INTERVIEW
    from prepcli.files.deckfiles import cache_name
    from prepcli.ui import card_view
    from prepcli.ui.keys import KeyReader
    from prepcli.ui.session import ReviewSession, deck_reloader, moving_clock

    if not sys.stdin.isatty():
        raise UsageError(
            "`prepcli review` needs a terminal; scripts can use `prepcli next` and `prepcli answer`"
        )
    where = locations_of(ctx)
    study = open_study(ctx)
    try:
        selection = (tuple(deck or ()), tuple(tag or ()))
        study.selection(*selection)  # reject an unknown deck before taking over the screen
        day = today_note(study.store, study.settings, study.today, study.planned_interview_day())
        optional = day is not None and day.reviews_optional
        session = ReviewSession(
            study,
            moving_clock(study.now),
            decks=selection[0],
            tags=selection[1],
            limit=limit,
            ahead=ahead,
            reload_decks=deck_reloader(
                study, where.deck_roots, where.cache_dir / cache_name(where.deck_roots)
            ),
            note="optional today" if optional else "",
        )
        with KeyReader() as keys:
            result = session.run(keys)
        agenda = study.agenda(*selection, now=session.now(), ahead=ahead)
        left = len(agenda.learning_due) + len(agenda.reviews) + len(agenda.new)
        summary = study.summary()
        show(
            card_view.session_summary(
                result.answered,
                result.again,
                result.seconds,
                summary.due_tomorrow,
                left,
                len(agenda.learning_later),
            )
        )
        if day is not None and optional:
            what = "your interview day" if day.kind == INTERVIEW else "a rest day"
            echo(
                f"Today is {what}: these reviews were optional."
                + (" Good luck!" if day.kind == INTERVIEW else "")
            )
    finally:
        study.close()


def _card_json(study: Study, key: str) -> dict[str, Any]:
    from prepcli.ui import render

    card = study.card(key)
    state = study.state_of(key)
    outcomes = study.outcomes(key)
    return {
        "card": card.key,
        "deck": card.deck,
        "id": card.id,
        "kind": card.kind.value,
        "tier": card.tier.value,
        "state": render.PHASE_NAMES[state.phase],
        "front": card.front,
        "back": card.back,
        "explain": card.explain,
        "points": list(card.points),
        "hints": list(card.hints),
        "time_limit": card.timer_seconds,
        "path": card.path,
        "line": card.line,
        "intervals": {
            render.RATING_NAMES[rating].lower(): {
                "days": round(outcome.scheduled_days, 6),
                "label": render.format_interval(outcome.scheduled_days),
            }
            for rating, outcome in outcomes.items()
        },
    }


@app.command("next")
def next_card(
    ctx: typer.Context,
    deck: DeckOption = None,
    tag: TagOption = None,
    ahead: Annotated[bool, typer.Option(help="Also introduce later weeks' cards.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Print the next card due (for scripts and editor integrations)."""
    from prepcli.core.clock import to_ms
    from prepcli.ui import card_view

    study = open_study(ctx)
    try:
        agenda = study.agenda(tuple(deck or ()), tuple(tag or ()), ahead=ahead)
        key = agenda.next_card(to_ms(study.now))
        if as_json:
            emit_json(_card_json(study, key) if key else {"card": None})
            return
        if key is None:
            echo("Nothing due now.")
            return
        card = study.card(key)
        info = _card_json(study, key)
        show(card_view.card_front(card, study.state_of(key)))
        show(card_view.card_back(card))
        labels = " · ".join(f"{name} {value['label']}" for name, value in info["intervals"].items())
        show(labels)
    finally:
        study.close()


@app.command()
def answer(
    ctx: typer.Context,
    card_id: Annotated[str, typer.Argument(help="The card, as deck/id.")],
    rating: Annotated[str, typer.Argument(help="1–4 or again, hard, good, easy.")],
    duration_ms: Annotated[
        int | None, typer.Option("--duration-ms", min=0, help="Time taken to answer.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record an answer to a card."""
    from prepcli.core.models import Rating
    from prepcli.ui import render

    value = Rating(parse_rating(rating))
    study = open_study(ctx)
    try:
        study.card(card_id)
        _before, outcome = study.answer(card_id, value, duration_ms=duration_ms)
    finally:
        study.close()
    label = render.format_interval(outcome.scheduled_days)
    if as_json:
        emit_json(
            {
                "card": card_id,
                "rating": int(value),
                "next_in_days": outcome.scheduled_days,
                "label": label,
                "state": render.PHASE_NAMES[outcome.after.phase],
            }
        )
    else:
        echo(f"{card_id}: {render.RATING_NAMES[value]} — next in {label}")


@app.command()
def undo(ctx: typer.Context) -> None:
    """Undo the last answer (also one given in an earlier session)."""
    from prepcli.core.models import Rating
    from prepcli.ui import render

    study = open_study(ctx)
    try:
        undone = study.undo()
    finally:
        study.close()
    if undone is None:
        echo("Nothing to undo.")
        return
    what = render.RATING_NAMES[Rating(undone.rating)] if undone.rating else "change"
    echo(f"Undid {what} on {undone.card_key} ({render.iso_minutes(undone.reviewed_ms)} UTC).")
