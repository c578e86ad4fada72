"""The daily commands: today, the review session, next/answer for scripts, undo."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prepcli.cli.common import (
    CardArgument,
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

app = typer.Typer(rich_markup_mode=None)


@app.command()
def today(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Today's summary: cards due, new cards, streak, plan week, interview countdown.

    The same as `prepcli` with no command; --json gives the numbers to scripts.

    \b
    Examples:
      prepcli today
      prepcli today --json
    """
    show_today(locations_of(ctx), as_json)


@app.command()
def review(
    ctx: typer.Context,
    deck: DeckOption = None,
    tag: TagOption = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, metavar="N", help="Stop after N answers."),
    ] = None,
    ahead: Annotated[
        bool, typer.Option("--ahead", help="Also introduce later weeks' cards.")
    ] = False,
) -> None:
    """The daily review session: due reviews, learning steps and today's new cards.

    Keys on the question: Space or Enter shows the answer, h shows a hint (the next one
    each time), b buries the card until tomorrow, s suspends it, e edits it in $EDITOR
    (a bundled card as your own copy: see `prepcli deck overrides`), u undoes the last
    answer, bury or suspend, q or Ctrl-C quits. On the answer: 1 Again, 2 Hard, 3 Good,
    4 Easy (each key shows the interval it gives), the letters beside a rubric's points
    tick them (a rating is suggested), and b, s, e, u, q as on the question. A card
    taller than the terminal scrolls with j/k, the arrows, PgUp/PgDn (and Space on the
    answer). Every answer is saved at once: quitting at any moment keeps them.

    \b
    Examples:
      prepcli review
      prepcli review --deck llm-quiz --limit 30
      prepcli review --tag attention --ahead
    """
    from prepcli.app.daysoff import today_note
    from prepcli.core.daysoff import INTERVIEW
    from prepcli.storage.paths import bundled
    from prepcli.ui import card_view
    from prepcli.ui.keyboard import key_reader
    from prepcli.ui.session import ReviewSession, deck_reloader, moving_clock

    if not sys.stdin.isatty():
        raise UsageError(
            "`prepcli review` needs a terminal; scripts can use `prepcli next` and `prepcli answer`"
        )
    where = locations_of(ctx)
    study = open_study(ctx)
    if study.settings.sync_dir:  # the other devices' answers first (cli/sync.py)
        from prepcli.cli.sync import sync_for_review

        sync_for_review(study.store, "start")
        study.close()  # read again below, with what the sync brought
        study = open_study(ctx)
    selection = (tuple(deck or ()), tuple(tag or ()))
    # An unknown deck is rejected before the session takes over the screen; the index
    # knows the decks, so no card's text is read for it.
    study.check_decks(selection[0])
    day = today_note(study.store, study.settings, study.today, study.plans.interview_day())
    optional = day is not None and day.reviews_optional
    session = ReviewSession(
        study,
        moving_clock(study.now),
        decks=selection[0],
        tags=selection[1],
        limit=limit,
        ahead=ahead,
        reload_decks=deck_reloader(study, where),
        overrides_dir=where.overrides,
        bundled_decks=bundled("decks"),
        note="optional today" if optional else "",
    )
    with key_reader() as keys:
        result = session.run(keys)
    agenda = study.queue.agenda(*selection, now=session.now(), ahead=ahead)
    left = len(agenda.learning_due) + len(agenda.reviews) + len(agenda.new)
    summary = study.queue.summary()
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
    if not result.answered and not left and not agenda.learning_later:
        from prepcli.app.empty_queue import why_empty

        echo(why_empty(study, *selection, ahead=ahead))
    if study.settings.sync_dir:
        from prepcli.cli.sync import sync_for_review

        sync_for_review(study.store, "end")


def _card_json(study: Study, key: str) -> dict[str, Any]:
    from prepcli.cli import jsonout
    from prepcli.core.textfmt import RATING_NAMES, format_interval

    card = study.card(key)
    state = study.state_of(key)
    outcomes = study.answering.outcomes(key)
    return {
        **jsonout.card_definition(card),
        "phase": state.phase,
        "intervals": {
            RATING_NAMES[rating].lower(): {
                "days": round(outcome.scheduled_days, 6),
                "label": format_interval(outcome.scheduled_days),
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
    """Print the next card due, with the interval each rating gives (for scripts).

    For scripts and editor integrations; `prepcli answer` records the answer.

    \b
    Examples:
      prepcli next
      prepcli next --json --deck coding
    """
    from prepcli.core.clock import to_ms

    study = open_study(ctx)
    agenda = study.queue.agenda(tuple(deck or ()), tuple(tag or ()), ahead=ahead)
    key = agenda.next_card(to_ms(study.now))
    if as_json:
        emit_json(_card_json(study, key) if key else {"card": None}, study.calendar.tz)
        return
    if key is None:
        echo("Nothing due now.")
        if deck or tag:  # a selection: say what it holds and when it comes
            from prepcli.app.empty_queue import why_empty

            echo(why_empty(study, tuple(deck or ()), tuple(tag or ()), ahead=ahead))
        return
    from prepcli.ui import card_view  # Rich: only for the text

    card = study.card(key)
    info = _card_json(study, key)
    show(card_view.card_front(card, study.state_of(key)))
    show(card_view.card_back(card))
    labels = " · ".join(f"{name} {value['label']}" for name, value in info["intervals"].items())
    show(labels)


@app.command()
def answer(
    ctx: typer.Context,
    card_id: CardArgument,
    rating: Annotated[
        str, typer.Argument(metavar="RATING", help="1-4 or again, hard, good, easy.")
    ],
    duration_ms: Annotated[
        int | None,
        typer.Option("--duration-ms", min=0, metavar="MS", help="Time taken to answer."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record an answer to a card, as the review session would.

    Prints the interval until the card is due again; `prepcli undo` takes it back.

    \b
    Examples:
      prepcli answer llm-quiz.inference/kv-cache-memory-formula good
      prepcli answer coding.patterns/sliding-window-template 3 --duration-ms 45000
    """
    from prepcli.core.models import Rating
    from prepcli.core.textfmt import RATING_NAMES, format_interval

    value = Rating(parse_rating(rating))
    study = open_study(ctx)
    study.card(card_id)
    _before, outcome = study.answering.answer(card_id, value, duration_ms=duration_ms)
    label = format_interval(outcome.scheduled_days)
    if as_json:
        from prepcli.cli import jsonout

        emit_json(
            {
                "card": card_id,
                "rating": value,
                "next_in_days": outcome.scheduled_days,
                "label": label,
                "phase": outcome.after.phase,
                "after": jsonout.card_state(outcome.after, study.calendar),
            },
            study.calendar.tz,
        )
    else:
        echo(f"{card_id}: {RATING_NAMES[value]} — next in {label}")


@app.command()
def undo(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Undo the last answer (also one given in an earlier session) or `card forget`.

    The card goes back to its state before that answer, and its log entry is removed.

    \b
    Example:
      prepcli undo
    """
    from prepcli.core.models import Rating
    from prepcli.core.textfmt import RATING_NAMES, local_minutes

    study = open_study(ctx)
    undone = study.answering.undo()
    if as_json:
        from prepcli.cli import jsonout

        found = None if undone is None else jsonout.review(undone, study.calendar)
        emit_json({"undone": found}, study.calendar.tz)
        return
    if undone is None:
        echo("Nothing to undo.")
        return
    what = RATING_NAMES[Rating(undone.rating)] if undone.rating else "change"
    when = local_minutes(undone.reviewed_ms, study.calendar.tz)
    echo(f"Undid {what} on {undone.card_key} ({when}).")
