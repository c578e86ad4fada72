"""The command line: parses arguments, reads the clock once, and maps errors to exit codes.

Heavy modules (fsrs, yaml, sqlite3, platformdirs, rich) are imported inside the commands
that need them, so `prepcli --help` starts as fast as Typer itself.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prepcli.errors import PrepError, ProblemsError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from prepcli.study import Locations, Study

app = typer.Typer(
    name="prepcli",
    help="Spaced repetition and a six-week study plan for LLM-lab interview loops.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
plan_app = typer.Typer(
    help="The six-week plan: start it, see where you stand, tick tasks.",
    invoke_without_command=True,
)
card_app = typer.Typer(help="Look at one card or change its status.", no_args_is_help=True)
config_app = typer.Typer(help="Show and change settings.", no_args_is_help=True)
deck_app = typer.Typer(help="List and check deck files.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
app.add_typer(card_app, name="card")
app.add_typer(config_app, name="config")
app.add_typer(deck_app, name="deck")


@dataclass(frozen=True)
class Options:
    db: Path | None
    decks: tuple[Path, ...]
    plans: tuple[Path, ...] = ()


def _options(ctx: typer.Context) -> Options:
    options = ctx.find_root().obj
    assert isinstance(options, Options)
    return options


def _locations(ctx: typer.Context) -> Locations:
    from prepcli import paths
    from prepcli.study import Locations

    options = _options(ctx)
    roots = options.decks or (paths.bundled("decks"),)
    db = options.db or paths.default_db_path()
    plan_dirs = (*options.plans, paths.bundled("plans"))
    return Locations(
        db=db,
        deck_roots=roots,
        cache_dir=paths.cache_dir(),
        plan_dirs=plan_dirs,
        create_db_parents=options.db is None,
    )


def _now() -> datetime:
    from prepcli import clock

    return clock.now()


def _open(ctx: typer.Context) -> Study:
    from prepcli.study import Study

    return Study.open(_locations(ctx), _now())


def _print(renderable: Any) -> None:
    from prepcli import render

    render.console().print(renderable)


def _json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


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

        typer.echo(f"prepcli {__version__}")
        raise typer.Exit()
    ctx.obj = Options(db=db, decks=tuple(decks or ()), plans=tuple(plans or ()))
    if ctx.invoked_subcommand is None:
        today(ctx, as_json=False)


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DeckOption = Annotated[
    list[str] | None,
    typer.Option("--deck", "-d", help="Only this deck or deck prefix (repeatable)."),
]
TagOption = Annotated[
    list[str] | None, typer.Option("--tag", "-t", help="Only cards with this tag (repeatable).")
]


@app.command()
def today(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Today's summary: cards due, new cards, streak."""
    from prepcli import render

    study = _open(ctx)
    try:
        summary = study.summary()
    finally:
        study.close()
    if as_json:
        _json(asdict(summary))
    else:
        _print(render.today_view(summary))


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
    from prepcli import render
    from prepcli.decks import cache_name
    from prepcli.keys import KeyReader
    from prepcli.session import ReviewSession, deck_reloader, moving_clock

    if not sys.stdin.isatty():
        raise UsageError(
            "`prepcli review` needs a terminal; scripts can use `prepcli next` and `prepcli answer`"
        )
    where = _locations(ctx)
    study = _open(ctx)
    try:
        selection = (tuple(deck or ()), tuple(tag or ()))
        study.selection(*selection)  # reject an unknown deck before taking over the screen
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
        )
        with KeyReader() as keys:
            result = session.run(keys)
        agenda = study.agenda(*selection, now=session.now(), ahead=ahead)
        left = len(agenda.learning_due) + len(agenda.reviews) + len(agenda.new)
        summary = study.summary()
        _print(
            render.session_summary(
                result.answered, result.again, result.seconds, summary.due_tomorrow, left,
                len(agenda.learning_later),
            )
        )  # fmt: skip
    finally:
        study.close()


def _card_json(study: Study, key: str) -> dict[str, Any]:
    from prepcli import render

    card = study.card(key)
    state = study.state_of(key)
    outcomes = study.outcomes(key)
    return {
        "card": card.key,
        "deck": card.deck,
        "id": card.id,
        "kind": card.kind.value,
        "state": render.PHASE_NAMES[state.phase],
        "front": card.front,
        "back": card.back,
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
    from prepcli import render
    from prepcli.clock import to_ms

    study = _open(ctx)
    try:
        agenda = study.agenda(tuple(deck or ()), tuple(tag or ()), ahead=ahead)
        key = agenda.next_card(to_ms(study.now))
        if as_json:
            _json(_card_json(study, key) if key else {"card": None})
            return
        if key is None:
            typer.echo("Nothing due now.")
            return
        card = study.card(key)
        info = _card_json(study, key)
        _print(render.card_front(card, study.state_of(key)))
        _print(render.card_back(card))
        labels = " · ".join(f"{name} {value['label']}" for name, value in info["intervals"].items())
        _print(labels)
    finally:
        study.close()


RATING_WORDS = {"again": 1, "hard": 2, "good": 3, "easy": 4}


def _parse_rating(text: str) -> int:
    lowered = text.strip().lower()
    if lowered in RATING_WORDS:
        return RATING_WORDS[lowered]
    if lowered in ("1", "2", "3", "4"):
        return int(lowered)
    raise UsageError(f"rating must be 1–4 or again/hard/good/easy, got {text!r}")


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
    from prepcli import render
    from prepcli.models import Rating

    value = Rating(_parse_rating(rating))
    study = _open(ctx)
    try:
        study.card(card_id)
        _before, outcome = study.answer(card_id, value, duration_ms=duration_ms)
    finally:
        study.close()
    label = render.format_interval(outcome.scheduled_days)
    if as_json:
        _json({"card": card_id, "rating": int(value), "next_in_days": outcome.scheduled_days,
               "label": label, "state": render.PHASE_NAMES[outcome.after.phase]})  # fmt: skip
    else:
        typer.echo(f"{card_id}: {render.RATING_NAMES[value]} — next in {label}")


@app.command()
def undo(ctx: typer.Context) -> None:
    """Undo the last answer (also one given in an earlier session)."""
    from prepcli import render
    from prepcli.models import Rating

    study = _open(ctx)
    try:
        undone = study.undo()
    finally:
        study.close()
    if undone is None:
        typer.echo("Nothing to undo.")
        return
    what = render.RATING_NAMES[Rating(undone.rating)] if undone.rating else "change"
    typer.echo(f"Undid {what} on {undone.card_key} ({render.iso_minutes(undone.reviewed_ms)} UTC).")


# --- plan --------------------------------------------------------------------------------


def _parse_date(text: str, what: str) -> int:
    """An ISO date (YYYY-MM-DD) as a study-day number."""
    from datetime import date

    try:
        return date.fromisoformat(text.strip()).toordinal()
    except ValueError:
        raise UsageError(f"{what} must be a date like 2026-12-14, got {text!r}") from None


@plan_app.callback()
def plan_status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Where you stand against the plan: this week, every week, the pace to catch up."""
    if ctx.invoked_subcommand is not None:
        return
    from prepcli import render

    study = _open(ctx)
    try:
        status = study.plan_status()
    finally:
        study.close()
    if status is None:
        if as_json:
            _json({"plan": None})
            return
        raise PrepError("no plan started yet (`prepcli plan start --interview YYYY-MM-DD`)")
    if as_json:
        _json(asdict(status))
    else:
        _print(render.plan_status_view(status))


@plan_app.command("start")
def plan_start(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", help="Which plan.")] = "six-week",
    start: Annotated[
        str | None, typer.Option("--start", help="First day (default: today).")
    ] = None,
    interview: Annotated[str | None, typer.Option("--interview", help="Interview date.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a running plan without asking.")
    ] = False,
) -> None:
    """Start a plan on a date, optionally with the interview date."""
    from prepcli import render

    start_day = None if start is None else _parse_date(start, "--start")
    interview_day = None if interview is None else _parse_date(interview, "--interview")
    study = _open(ctx)
    try:
        running = study.active_plan()
        if running is not None and not force:
            question = f"A plan ({running.plan.id}) is already running. Replace it?"
            if not typer.confirm(question, default=False):
                raise typer.Exit(1)
        study.start_plan(plan, start_day if start_day is not None else study.today, interview_day)
        status = study.plan_status()
    finally:
        study.close()
    assert status is not None
    typer.echo(f"Started {status.title}: {status.start_date} to {status.end_date}.")
    if status.interview_date and status.interview_date < status.end_date:
        typer.echo(
            f"Note: the interview ({status.interview_date}) comes before the plan ends; "
            "later weeks' cards will not all be introduced in time."
        )
    _print(render.plan_status_view(status))


@plan_app.command("interview")
def plan_interview(
    ctx: typer.Context, when: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD.")]
) -> None:
    """Set or move the interview date."""
    day = _parse_date(when, "the interview date")
    study = _open(ctx)
    try:
        study.set_interview(day)
        status = study.plan_status()
    finally:
        study.close()
    assert status is not None
    typer.echo(
        f"Interview on {status.interview_date} ({status.days_to_interview} days from today)."
    )


@plan_app.command("done")
def plan_done(ctx: typer.Context, task_id: Annotated[str, typer.Argument(help="Task id.")]) -> None:
    """Tick a plan task."""
    _mark(ctx, task_id, True)


@plan_app.command("undo")
def plan_undo(ctx: typer.Context, task_id: Annotated[str, typer.Argument(help="Task id.")]) -> None:
    """Untick a plan task."""
    _mark(ctx, task_id, False)


def _mark(ctx: typer.Context, task_id: str, done: bool) -> None:
    study = _open(ctx)
    try:
        changed = study.mark_task(task_id, done)
    finally:
        study.close()
    state = "done" if done else "not done"
    typer.echo(f"{task_id}: {state}" + ("" if changed else " (it already was)"))


@plan_app.command("show")
def plan_show(
    ctx: typer.Context,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Which plan (default: the running one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the whole plan: every week's decks, cards and tasks."""
    from prepcli import render
    from prepcli.plan import assign_weeks
    from prepcli.study import DEFAULT_PLAN

    study = _open(ctx)
    try:
        active = study.active_plan()
        chosen = (
            study.find_plan(plan)
            if plan
            else (active.plan if active else study.find_plan(DEFAULT_PLAN))
        )
        assignment = assign_weeks(chosen, study.decks)
    finally:
        study.close()
    counts = {w.number: sum(1 for n in assignment.values() if n == w.number) for w in chosen.weeks}
    if as_json:
        weeks = [{**asdict(w), "cards": counts[w.number]} for w in chosen.weeks]
        _json({"plan": chosen.id, "title": chosen.title, "weeks": weeks})
    else:
        _print(render.plan_view(chosen, counts))


# --- card --------------------------------------------------------------------------------

CardArgument = Annotated[str, typer.Argument(help="The card, as deck/id.")]


@card_app.command("show")
def card_show(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """State, stability, difficulty, recall now, and the full history of a card."""
    from prepcli import render

    study = _open(ctx)
    try:
        info = study.info(card_id)
    finally:
        study.close()
    if as_json:
        _json({"card": card_id, "state": asdict(info.state), "retrievability": info.retrievability,
               "history": [asdict(r) for r in info.history]})  # fmt: skip
    else:
        _print(render.card_info_view(info, render.iso_minutes(_ms(study.now)) + " UTC"))


def _ms(instant: datetime) -> int:
    from prepcli.clock import to_ms

    return to_ms(instant)


def _set_suspended(ctx: typer.Context, card_id: str, suspended: bool) -> None:
    study = _open(ctx)
    try:
        study.card(card_id)
        study.set_suspended(card_id, suspended)
    finally:
        study.close()
    typer.echo(f"{card_id} {'suspended' if suspended else 'unsuspended'}.")


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
    card_id: CardArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Reset a card to new (its history stays; `prepcli undo` reverts this)."""
    study = _open(ctx)
    try:
        study.card(card_id)
        if not yes and not typer.confirm(f"Reset {card_id} to new?", default=False):
            raise typer.Exit(1)
        study.forget(card_id)
    finally:
        study.close()
    typer.echo(f"{card_id} is new again.")


# --- config ------------------------------------------------------------------------------


def _open_store(ctx: typer.Context) -> Any:
    from prepcli.store import open_store

    where = _locations(ctx)
    return open_store(where.db, create_parents=where.create_db_parents)


@config_app.command("list")
def config_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting with its value."""
    from prepcli import render
    from prepcli.config import SPECS, settings_from, show_setting

    store = _open_store(ctx)
    try:
        settings = settings_from(store.settings())
    finally:
        store.close()
    if as_json:
        _json({name: show_setting(name, settings) for name in SPECS})
    else:
        _print(
            render.settings_table(
                [(n, show_setting(n, settings), s.help) for n, s in SPECS.items()]
            )
        )


@config_app.command("get")
def config_get(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Setting name.")]
) -> None:
    """Print one setting's value."""
    from prepcli.config import SPECS, settings_from, show_setting

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = _open_store(ctx)
    try:
        typer.echo(show_setting(name, settings_from(store.settings())))
    finally:
        store.close()


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Setting name.")],
    value: Annotated[str, typer.Argument(help="New value.")],
) -> None:
    """Change a setting."""
    from prepcli.config import parse_setting, settings_from, show_setting, to_stored

    parsed = parse_setting(name, value)
    store = _open_store(ctx)
    try:
        store.put_setting(name, to_stored(parsed))
        typer.echo(f"{name} = {show_setting(name, settings_from(store.settings()))}")
    finally:
        store.close()


@config_app.command("reset")
def config_reset(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Setting name.")]
) -> None:
    """Return a setting to its default."""
    from prepcli.config import SPECS, settings_from, show_setting

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = _open_store(ctx)
    try:
        store.delete_setting(name)
        typer.echo(f"{name} = {show_setting(name, settings_from(store.settings()))}")
    finally:
        store.close()


# --- decks -------------------------------------------------------------------------------


@deck_app.command("list")
def deck_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The decks with their card counts and files."""
    from prepcli.decks import cache_name, load_decks

    where = _locations(ctx)
    decks = load_decks(where.deck_roots, where.cache_dir / cache_name(where.deck_roots))
    rows = [
        {"deck": d.id, "title": d.title, "cards": len(d.cards), "path": d.path} for d in decks.decks
    ]
    if as_json:
        _json(rows)
        return
    from prepcli import render

    _print(render.deck_table(rows))


@deck_app.command("lint")
def deck_lint(
    ctx: typer.Context,
    paths_: Annotated[
        list[Path] | None, typer.Argument(metavar="[PATH]...", help="Deck files or folders.")
    ] = None,
) -> None:
    """Check deck files and report every problem as path:line:col."""
    from prepcli.decks import check_decks

    roots = tuple(paths_ or ()) or _locations(ctx).deck_roots
    decks, problems = check_decks(roots)
    if problems:
        raise ProblemsError(problems)
    typer.echo(f"{sum(len(d.cards) for d in decks)} cards in {len(decks)} decks: no problems.")


def run(argv: list[str] | None = None) -> int:
    """Run one command line and return its exit status; errors become messages."""
    try:
        app(args=argv, prog_name="prepcli")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except PrepError as exc:
        if os.environ.get("PREPCLI_DEBUG"):
            raise
        from prepcli import render

        if isinstance(exc, ProblemsError):
            render.print_problems(exc.problems)
        else:
            render.print_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    sys.exit(run())
