"""The command line: the Typer app, its commands and their arguments (entry.py runs it and
maps errors to exit codes; `run` and `main` are re-exported from there).

Heavy modules (fsrs, yaml, sqlite3, platformdirs, rich) are imported inside the commands
that need them, so `prepcli --help` starts as fast as Typer itself.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prepcli.cli.options import Options, existing, locations_for, print_json, show_today
from prepcli.core.errors import PrepError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from prepcli.app.study import Locations, Study

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


def _options(ctx: typer.Context) -> Options:
    options = ctx.find_root().obj
    assert isinstance(options, Options)
    return options


def _locations(ctx: typer.Context) -> Locations:
    return locations_for(_options(ctx))


def _now() -> datetime:
    from prepcli.core import clock

    return clock.now()


def _open(ctx: typer.Context) -> Study:
    from prepcli.app.study import Study

    return Study.open(_locations(ctx), _now())


def _print(renderable: Any) -> None:
    from prepcli.ui import render

    render.console().print(renderable)


def _json(data: Any) -> None:
    print_json(data)


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
    """Today's summary: cards due, new cards, streak, plan week, interview countdown."""
    show_today(_locations(ctx), as_json)


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
    from prepcli.files.deckfiles import cache_name
    from prepcli.ui import render
    from prepcli.ui.keys import KeyReader
    from prepcli.ui.session import ReviewSession, deck_reloader, moving_clock

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
                result.answered,
                result.again,
                result.seconds,
                summary.due_tomorrow,
                left,
                len(agenda.learning_later),
            )
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
    from prepcli.ui import render

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
    from prepcli.core.models import Rating
    from prepcli.ui import render

    value = Rating(_parse_rating(rating))
    study = _open(ctx)
    try:
        study.card(card_id)
        _before, outcome = study.answer(card_id, value, duration_ms=duration_ms)
    finally:
        study.close()
    label = render.format_interval(outcome.scheduled_days)
    if as_json:
        _json(
            {
                "card": card_id,
                "rating": int(value),
                "next_in_days": outcome.scheduled_days,
                "label": label,
                "state": render.PHASE_NAMES[outcome.after.phase],
            }
        )
    else:
        typer.echo(f"{card_id}: {render.RATING_NAMES[value]} — next in {label}")


@app.command()
def undo(ctx: typer.Context) -> None:
    """Undo the last answer (also one given in an earlier session)."""
    from prepcli.core.models import Rating
    from prepcli.ui import render

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


EARLIEST_DATE, LATEST_DATE = "1970-01-01", "2999-12-31"


def _parse_date(text: str, what: str) -> int:
    """An ISO date (YYYY-MM-DD) as a study-day number."""
    from datetime import date

    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{what} must be a date like 2026-12-14, got {text!r}") from None
    # Far dates overflow the calendar arithmetic (a plan's last day past year 9999).
    if not date.fromisoformat(EARLIEST_DATE) <= value <= date.fromisoformat(LATEST_DATE):
        raise UsageError(f"{what} must be between {EARLIEST_DATE} and {LATEST_DATE}, got {text}")
    return value.toordinal()


@plan_app.callback()
def plan_status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Where you stand against the plan: this week, every week, the pace to catch up."""
    if ctx.invoked_subcommand is not None:
        return
    from prepcli.app import forecast
    from prepcli.ui import render

    study = _open(ctx)
    try:
        status = study.plan_status()
        readiness = forecast.readiness(study)
    finally:
        study.close()
    if status is None:
        if as_json:
            _json({"plan": None})
            return
        raise PrepError("no plan started yet (`prepcli plan start --interview YYYY-MM-DD`)")
    if as_json:
        _json({**asdict(status), "readiness": None if readiness is None else asdict(readiness)})
    else:
        _print(render.plan_status_view(status))
        if readiness is not None:
            _print(render.readiness_view(readiness))


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
    from prepcli.ui import render

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
    from prepcli.app.study import DEFAULT_PLAN
    from prepcli.files.plan import assign_weeks
    from prepcli.ui import render

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


# --- simulate ----------------------------------------------------------------------------


def _learner_parameters(value: str | None) -> tuple[float, ...] | None:
    """`faster`, a JSON list of 21 FSRS parameters, or a JSON file holding one."""
    from prepcli.app import simulate
    from prepcli.core.scheduler import Scheduler

    if value is None or value == "default":
        return None
    if value == "faster":
        return simulate.faster_forgetting(Scheduler.default_parameters())
    text = value
    if not value.lstrip().startswith("["):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--learner-params: cannot read {value}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--learner-params: {value} is not a UTF-8 text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--learner-params: not JSON ({exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("parameters")
    if not isinstance(data, list) or len(data) != 21:
        raise UsageError("--learner-params: expected a list of 21 FSRS-6 parameters")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in data):
        raise UsageError("--learner-params: every parameter must be a number")
    return tuple(float(x) for x in data)


RetentionOption = Annotated[
    float, typer.Option(min=0.7, max=0.99, help="Desired retention of plain FSRS.")
]


@app.command()
def simulate(
    cards: Annotated[int, typer.Option(min=1, max=100_000, help="Cards to learn.")] = 600,
    new_per_day: Annotated[int, typer.Option(min=1, help="New cards a day.")] = 30,
    interview_day: Annotated[
        int, typer.Option(min=2, max=3650, help="Days from the start to the interview.")
    ] = 42,
    cap: Annotated[int, typer.Option(min=1, help="Review answers a day at most.")] = 120,
    seeds: Annotated[int, typer.Option(min=1, max=1000, help="Runs per policy.")] = 5,
    seed: Annotated[int, typer.Option(help="First random seed.")] = 0,
    retention: RetentionOption = 0.9,
    high_retention: Annotated[
        float, typer.Option(min=0.7, max=0.99, help="The raised retention to compare with.")
    ] = 0.95,
    target: Annotated[
        float, typer.Option(min=0.7, max=0.99, help="The planner's recall target.")
    ] = 0.95,
    learner_params: Annotated[
        str | None,
        typer.Option(help="The learner's true memory: 'faster', a JSON list or a JSON file."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate a learner under plain FSRS, raised retention and the interview planner."""
    from prepcli.app import simulate as sim
    from prepcli.ui import render

    learner = _learner_parameters(learner_params)
    scenario = sim.Scenario(
        cards=cards,
        new_per_day=new_per_day,
        interview_day=interview_day,
        capacity=cap,
        seeds=seeds,
        seed=seed,
    )
    policies = sim.default_policies(retention, high_retention, target)
    try:
        with render.progress_bar("simulating", len(policies) * seeds) as update:
            results = sim.run(scenario, policies, learner, update)
    except ValueError as exc:  # fsrs rejects parameters outside its bounds
        raise UsageError(f"--learner-params: {exc}") from None
    if as_json:
        _json(
            {
                "scenario": asdict(scenario),
                "learner": list(learner) if learner else "default",
                "policies": [asdict(r) for r in results],
            }
        )
        return
    title = (
        f"{cards} cards, {new_per_day} new a day, interview on day {interview_day}, "
        f"at most {cap} reviews a day, {seeds} seeds"
    )
    _print(render.simulation_table(results, title))


# --- stats, quiz, practice ---------------------------------------------------------------

quiz_app = typer.Typer(
    help="A timed mock quiz on your weakest topics; `prepcli quiz history` lists past ones.",
    invoke_without_command=True,
)
app.add_typer(quiz_app, name="quiz")


@app.command()
def stats(ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False) -> None:
    """Progress: heatmap, streaks, true retention, forecast, decks, time, calibration, leeches."""
    from prepcli.app.progress import stats_report
    from prepcli.ui import render

    study = _open(ctx)
    try:
        report = stats_report(study, tuple(deck or ()))
    finally:
        study.close()
    if as_json:
        _json(asdict(report))
    else:
        _print(render.stats_view(report))


@quiz_app.callback()
def quiz(
    ctx: typer.Context,
    minutes: Annotated[
        int, typer.Option("--minutes", "-m", min=1, max=240, help="Length of the quiz.")
    ] = 45,
    deck: DeckOption = None,
    tag: TagOption = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=1, help="Questions (default: one per 2 minutes)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the draw (default: from the clock).")
    ] = None,
    count_as_review: Annotated[
        bool,
        typer.Option(
            "--count-as-review",
            help="Also record marks as reviews: right = Good, partly = Hard, wrong = Again.",
        ),
    ] = False,
) -> None:
    """A timed mock quiz (default: llm-quiz.* and research.* decks), weighted towards your
    weakest topics: answer aloud, Space/Enter reveals, mark r/p/w (or 1/2/3), q quits."""
    if ctx.invoked_subcommand is not None:
        return
    import random

    from prepcli.app.progress import QuizRecorder, draw_quiz
    from prepcli.core import quiz as quiz_mod
    from prepcli.core.clock import to_ms
    from prepcli.ui import render
    from prepcli.ui.keys import KeyReader
    from prepcli.ui.quiz_session import QuizSession

    if not sys.stdin.isatty():
        raise UsageError("`prepcli quiz` needs a terminal (`prepcli quiz history` does not)")
    decks, tags = tuple(deck or ()), tuple(tag or ())
    study = _open(ctx)
    try:
        chosen_seed = seed if seed is not None else to_ms(study.now)
        wanted = count or quiz_mod.default_count(minutes)
        questions = draw_quiz(study, decks, tags, wanted, random.Random(chosen_seed))
        selection = {
            "decks": list(decks),
            "tags": list(tags),
            "seed": chosen_seed,
            "count_as_review": count_as_review,
            "questions": [q.card.key for q in questions],
        }
        recorder = QuizRecorder(
            study, to_ms(study.now), minutes, selection, count_as_review=count_as_review
        )
        session = QuizSession(questions, recorder, minutes=minutes, start=study.now)
        with KeyReader() as keys:
            result = session.run(keys)
    finally:
        study.close()
    rows, total = quiz_mod.scores((q.topic, mark) for q, mark in result.answers)
    _print(
        render.quiz_summary(
            rows,
            total,
            quiz_mod.to_work_on(rows),
            result.seconds,
            result.ended,
            counted_as_review=count_as_review,
        )
    )


@quiz_app.command("history")
def quiz_history(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Past mock quizzes: when, how long, score, and the topics to work on."""
    from prepcli.app import progress
    from prepcli.ui import render

    study = _open(ctx)
    try:
        summaries = progress.quiz_history(study)
    finally:
        study.close()
    if as_json:
        _json([asdict(s) for s in summaries])
    else:
        _print(render.quiz_history_view(summaries))


@app.command()
def practice(
    ctx: typer.Context,
    card_id: Annotated[str, typer.Argument(help="A coding card with starter and tests.")],
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            file_okay=False,
            help="Practice folder (default: practice/ in the user data dir); "
            "the file is DIR/<deck>/<id>.py.",
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Run the card's tests on your file, then rate it.")
    ] = False,
    no_editor: Annotated[
        bool, typer.Option("--no-editor", help="Do not open $EDITOR; print the path.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.5, max=3600, help="Seconds before --check stops a run."),
    ] = 10.0,
    rating: Annotated[
        str | None,
        typer.Option("--rating", help="With --check: record this rating (1–4) without asking."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Practise a coding card for real: its starter in a file, your editor, its tests.

    The first run writes the starter (never over an existing file) and opens $EDITOR;
    `--check` runs the tests in a separate Python with a timeout, shows each assert's
    result, and records your rating as a review. Exit status 1 when a check fails.
    """
    from prepcli.app import practice as practice_mod
    from prepcli.core.models import Rating
    from prepcli.storage import paths
    from prepcli.ui import editor

    chosen = None if rating is None else Rating(_parse_rating(rating))
    if rating is not None and not check:
        raise UsageError("--rating goes with --check")
    study = _open(ctx)
    try:
        card = study.card(card_id)
    finally:
        study.close()
    practice_mod.require_practicable(card)
    root = folder if folder is not None else paths.data_dir() / "practice"
    path = practice_mod.practice_file(root, card)
    if not check:
        created, line = practice_mod.create_practice_file(path, card)
        if as_json:
            _json({"card": card.key, "path": str(path), "created": created})
            return
        typer.echo(
            f"Wrote the starter to {path}"
            if created
            else f"Your practice file is already there (left as it is): {path}"
        )
        if not no_editor and sys.stdin.isatty():
            status = editor.open_at(path, line)
            if status != 0:
                typer.echo(f"The editor exited with status {status}.")
        typer.echo(f"Check it with: prepcli practice {card.key} --check")
        return
    run = practice_mod.run_checks(card, path, timeout)
    if not as_json:
        from prepcli.ui import render

        typer.echo(f"{run.card}\n  {run.path}")  # a path on a line of its own, never wrapped
        _print(render.practice_view(run))
        if chosen is None and sys.stdin.isatty():
            chosen = _ask_rating(3 if run.all_passed else 1)
    outcome = None
    if chosen is not None:
        study = _open(ctx)
        try:
            _before, outcome = study.answer(card.key, chosen)
        finally:
            study.close()
    if as_json:
        data = run.as_dict()
        data["rating"] = None if chosen is None else int(chosen)
        data["next_in_days"] = None if outcome is None else outcome.scheduled_days
        _json(data)
    elif outcome is not None and chosen is not None:
        from prepcli.ui import render

        label = render.format_interval(outcome.scheduled_days)
        typer.echo(f"{card.key}: {render.RATING_NAMES[chosen]} — next in {label}")
    else:
        typer.echo("No rating recorded (`--rating 1–4` records one without asking).")
    if not run.all_passed:
        raise typer.Exit(1)


def _ask_rating(suggested: int) -> Any:
    from prepcli.core.models import Rating

    while True:
        text = typer.prompt("Rate it: 1 Again · 2 Hard · 3 Good · 4 Easy", default=str(suggested))
        try:
            return Rating(_parse_rating(text))
        except UsageError as exc:
            typer.echo(str(exc))


# --- card --------------------------------------------------------------------------------

CardArgument = Annotated[str, typer.Argument(help="The card, as deck/id.")]


@card_app.command("show")
def card_show(ctx: typer.Context, card_id: CardArgument, as_json: JsonOption = False) -> None:
    """State, stability, difficulty, recall now, and the full history of a card."""
    from prepcli.ui import render

    study = _open(ctx)
    try:
        info = study.info(card_id)
    finally:
        study.close()
    if as_json:
        _json(
            {
                "card": card_id,
                "state": asdict(info.state),
                "retrievability": info.retrievability,
                "history": [asdict(r) for r in info.history],
            }
        )
    else:
        _print(render.card_info_view(info, render.iso_minutes(_ms(study.now)) + " UTC"))


def _ms(instant: datetime) -> int:
    from prepcli.core.clock import to_ms

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
    from prepcli.storage.store import open_store

    where = _locations(ctx)
    return open_store(where.db, create_parents=where.create_db_parents)


@config_app.command("list")
def config_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting with its value."""
    from prepcli.core.config import SPECS, show_setting
    from prepcli.core.models import settings_from
    from prepcli.ui import render

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
    from prepcli.core.config import SPECS, show_setting
    from prepcli.core.models import settings_from

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
    from prepcli.core.config import parse_setting, show_setting, to_stored
    from prepcli.core.models import settings_from
    from prepcli.storage.store import run_guarded

    parsed = parse_setting(name, value)
    store = _open_store(ctx)
    try:
        run_guarded(lambda: store.put_setting(name, to_stored(parsed)), store.path)
        typer.echo(f"{name} = {show_setting(name, settings_from(store.settings()))}")
    finally:
        store.close()


@config_app.command("reset")
def config_reset(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Setting name.")]
) -> None:
    """Return a setting to its default."""
    from prepcli.core.config import SPECS, show_setting
    from prepcli.core.models import settings_from
    from prepcli.storage.store import run_guarded

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = _open_store(ctx)
    try:
        run_guarded(lambda: store.delete_setting(name), store.path)
        typer.echo(f"{name} = {show_setting(name, settings_from(store.settings()))}")
    finally:
        store.close()


# --- decks -------------------------------------------------------------------------------


@deck_app.command("list")
def deck_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The decks with their card counts and files."""
    from prepcli.files.deckfiles import cache_name
    from prepcli.files.decks import load_decks

    where = _locations(ctx)
    decks = load_decks(where.deck_roots, where.cache_dir / cache_name(where.deck_roots))
    rows = [
        {"deck": d.id, "title": d.title, "cards": len(d.cards), "path": d.path} for d in decks.decks
    ]
    if as_json:
        _json(rows)
        return
    from prepcli.ui import render

    _print(render.deck_table(rows))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@deck_app.command("lint")
def deck_lint(
    ctx: typer.Context,
    paths_: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[PATH]...", help="Deck files or folders (default: the decks)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    output: Annotated[
        str, typer.Option("--format", metavar="[text|json]", help="path:line:col lines or JSON.")
    ] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Check deck files: every error and warning in every file, as path:line:col.

    Exits 1 when there are errors (or, with --strict, warnings); 0 otherwise.
    """
    from prepcli.files.lint import lint

    if output not in ("text", "json"):
        raise UsageError(f"--format must be text or json, got {output!r}")
    roots = existing(paths_) or _locations(ctx).deck_roots
    report = lint(roots)
    if as_json or output == "json":
        _json(
            [
                {
                    "path": p.path,
                    "line": p.line,
                    "col": p.col,
                    "severity": p.severity,
                    "message": p.message,
                }
                for p in report.problems
            ]
        )
    else:
        for p in report.problems:
            typer.echo(f"{p.path}:{p.line}:{p.col}: {p.severity}: {p.message}")
        found = (
            f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
            if report.problems
            else "no problems"
        )
        counts = ", ".join(
            (
                _plural(report.files, "file"),
                _plural(report.decks, "deck"),
                _plural(report.cards, "card"),
            )
        )
        typer.echo(f"{counts}: {found}.")
    if report.files == 0:
        raise PrepError("no deck files (*.yaml, *.yml) found")
    if report.errors or (strict and report.warnings):
        raise typer.Exit(1)


@deck_app.command("preview")
def deck_preview(
    target: Annotated[
        str,
        typer.Argument(
            metavar="PATH[#CARD_ID]", help="A deck file or folder, optionally with #card-id."
        ),
    ],
) -> None:
    """Show cards as the review session draws them, front then back (no database)."""
    from prepcli.files.decks import load_decks
    from prepcli.ui import render

    path, card_id = Path(target), None
    if "#" in target and not path.exists():
        where, _, card_id = target.rpartition("#")
        path = Path(where)
    existing([path])
    decks = load_decks([path])  # no cache, no database: a preview writes nothing
    cards = [c for c in decks.cards() if card_id is None or card_id in (c.id, c.key, c.note_id)]
    if not cards:
        known = ", ".join(c.id for c in decks.cards())
        raise UsageError(f"no card {card_id!r} in {path} (cards: {known or 'none'})")
    console = render.console()
    for number, card in enumerate(cards):
        if number:
            console.print()
        console.print(render.card_preview(card))


@deck_app.command("schema")
def deck_schema() -> None:
    """Print the JSON Schema (draft 2020-12) of deck files, for editors and CI."""
    from importlib import resources

    typer.echo(resources.files("prepcli").joinpath("deck.schema.json").read_text("utf-8"), nl=False)


@deck_app.command("new")
def deck_new(
    path: Annotated[Path, typer.Argument(help="The new deck file (.yaml).", dir_okay=False)],
    deck: Annotated[str, typer.Option("--deck", help="Deck id, e.g. llm-quiz.inference.")],
    title: Annotated[str, typer.Option("--title", help="Deck title.")],
    description: Annotated[
        str, typer.Option("--description", help="What the deck covers.")
    ] = "TODO: what this deck covers.",
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Where the material comes from (repeatable)."),
    ] = None,
) -> None:
    """Write a new deck file with one example card; never overwrites a file."""
    from prepcli.files.decks import DECK_ID, new_deck_text

    if not DECK_ID.fullmatch(deck):
        raise UsageError(f"--deck {deck!r} must be dotted lowercase slugs, e.g. llm-quiz.inference")
    if not title.strip():
        raise UsageError("--title must not be empty")
    if path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{path}: deck files end in .yaml or .yml")
    schema = Path(__file__).resolve().parents[1] / "deck.schema.json"
    try:  # relative, as in the bundled decks, so the modeline survives moving the repository
        schema_ref = Path(os.path.relpath(schema, path.parent.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        schema_ref = schema.as_uri()
    sources = source or ["TODO: the documents or references this deck is written from"]
    text = new_deck_text(deck, title, description, sources, schema_ref)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise PrepError(f"{path} already exists; `deck new` never overwrites a file") from None
    except OSError as exc:
        raise PrepError(f"cannot write {path}: {exc.strerror or exc}") from None
    typer.echo(f"Wrote {path} (deck {deck}, one example card).")
    typer.echo(
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
    """Cards in the database that no deck defines any more, with their review counts."""
    from prepcli.storage.store import run_guarded
    from prepcli.ui import render

    study = _open(ctx)
    try:
        counts = study.store.card_review_counts()
        orphans = [(key, *counts[key]) for key in sorted(counts) if key not in study.cards]
        removed: tuple[int, int] | None = None
        if forget and orphans:
            reviews = sum(row[1] for row in orphans)
            question = (
                f"Remove {_plural(len(orphans), 'card')} and {_plural(reviews, 'review')} "
                "from the database? This cannot be undone."
            )
            if not as_json:
                _print(render.orphans_table(orphans))
            if not yes and not typer.confirm(question, default=False, err=as_json):
                raise typer.Exit(1)
            keys = [row[0] for row in orphans]
            removed = run_guarded(lambda: study.store.delete_cards(keys), study.store.path)
    finally:
        study.close()
    if as_json:
        rows = [{"card": k, "reviews": n, "last_answer_ms": last} for k, n, last in orphans]
        gone = None if removed is None else {"cards": removed[0], "reviews": removed[1]}
        _json({"orphans": rows, "removed": gone})
    elif not orphans:
        typer.echo("No orphans: every card in the database is in a deck.")
    elif removed is not None:
        typer.echo(f"Removed {_plural(removed[0], 'card')} and {_plural(removed[1], 'review')}.")
    else:
        typer.echo(f"{_plural(len(orphans), 'card')} in the database that no deck defines:")
        _print(render.orphans_table(orphans))
        typer.echo("`prepcli deck orphans --forget` removes them and their reviews.")


# --- your memory model, your data out and safe: optimize, export/import, backup, check -----


def _parameters_label(study: Study) -> str:
    stored = study.store.fsrs_parameters()
    if stored is None or stored.source == "reset":
        return "the defaults"
    from prepcli.storage.transfer import iso_ms

    when = iso_ms(stored.created_ms)[:10]
    if stored.source == "import":
        return f"personal, imported {when}"
    return f"personal, fitted {when} on {stored.n_items:,} reviews"


@app.command()
def optimize(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the result without saving anything.")
    ] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Go back to the default FSRS parameters.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fit FSRS parameters to your own review history (kept only if they predict it better)."""
    from prepcli.app import maintenance
    from prepcli.ui import render

    study = _open(ctx)
    try:
        if reset:
            undone = maintenance.reset_parameters(study, dry_run=dry_run)
            if as_json:
                _json(
                    {
                        "reset": True,
                        "already_default": undone.already_default,
                        "saved": undone.saved,
                        "recomputed": undone.recomputed,
                    }
                )
            elif undone.already_default:
                typer.echo("Already using the default FSRS parameters.")
            elif undone.saved:
                typer.echo(
                    f"Back to the default FSRS parameters; {undone.recomputed} cards "
                    "rescheduled by replaying their history."
                )
            else:
                typer.echo("Dry run: would go back to the default FSRS parameters.")
            return
        label = _parameters_label(study)
        with render.status("Fitting FSRS parameters to your review history…"):
            outcome = maintenance.optimize(study, dry_run=dry_run)
    finally:
        study.close()
    if not as_json:
        _print(render.optimize_view(outcome, label))
        return
    from prepcli.app.optimizer import MIN_ITEMS

    fit = outcome.fit
    _json(
        {
            "items": fit.items,
            "cards": fit.cards,
            "reviews": fit.reviews,
            "minimum_items": MIN_ITEMS,
            "accepted": fit.accepted,
            "saved": outcome.saved,
            "dry_run": outcome.dry_run,
            "reason": fit.reason,
            "recomputed": outcome.recomputed,
            "before": None if fit.current_eval is None else asdict(fit.current_eval),
            "after": None if fit.fitted_eval is None else asdict(fit.fitted_eval),
            "current_parameters": list(fit.current),
            "fitted_parameters": None if fit.fitted is None else list(fit.fitted),
            "fit_seconds": round(fit.fit_seconds, 4),
        }
    )


EXPORT_FORMATS = ("anki", "csv", "json")


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[
        str, typer.Option("--format", "-f", help="anki (.apkg), csv or json.")
    ] = "json",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="File to write (default: stdout for csv/json, ./prepcli.apkg for anki).",
        ),
    ] = None,
) -> None:
    """Export the decks to Anki, or cards with state and full history as CSV or JSON."""
    from prepcli.app import maintenance

    if format_ not in EXPORT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {format_!r}")
    study = _open(ctx)
    try:
        if format_ == "anki":
            target = output or Path("prepcli.apkg")
            made = maintenance.export_anki(study, target)
            typer.echo(
                f"Wrote {_plural(made.notes, 'note')} in {_plural(made.decks, 'deck')} "
                f"to {made.path} (Anki: File → Import)."
            )
            return
        if format_ == "json":
            text = json.dumps(maintenance.export_json(study), indent=1, ensure_ascii=False)
            if output is None:
                typer.echo(text)
            else:
                _write_text(output, text + "\n")
                typer.echo(f"Wrote {output}.", err=True)
            return
        if output is None:
            maintenance.export_csv(study, sys.stdout)
            return
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = maintenance.export_csv(study, handle)
        except OSError as exc:
            raise PrepError(f"cannot write {output}: {exc.strerror or exc}") from None
        typer.echo(f"Wrote {_plural(count, 'row')} to {output}.", err=True)
    finally:
        study.close()


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PrepError(f"cannot write {path}: {exc.strerror or exc}") from None


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="A `prepcli export --format json` file.", exists=True, dir_okay=False),
    ],
    merge: Annotated[
        bool,
        typer.Option("--merge", help="Combine with history already here instead of refusing."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Restore cards and their history from a JSON export (all or nothing)."""
    from prepcli.app import maintenance
    from prepcli.ui import render

    study = _open(ctx)
    try:
        document = maintenance.read_import(study, file)
        with render.status(f"Importing {len(document.cards):,} cards…"):
            done = maintenance.import_history(study, document, merge=merge)
    finally:
        study.close()
    if as_json:
        _json(asdict(done))
        return
    typer.echo(
        f"Imported {len(done.added):,} card{'' if len(done.added) == 1 else 's'} and "
        f"{done.reviews_added:,} review{'' if done.reviews_added == 1 else 's'} from {file}; "
        f"merged {len(done.merged)}, already here {len(done.unchanged)}."
    )
    if done.parameters_adopted:
        typer.echo("This database had no personal FSRS parameters: it now uses the export's.")


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="A folder, or a new file (default: backups/ in the user data dir)."),
    ] = None,
    keep: Annotated[
        int, typer.Option("--keep", min=1, help="Backups of this database kept in the folder.")
    ] = 10,
    as_json: JsonOption = False,
) -> None:
    """Copy the database safely, even while another prepcli is using it."""
    from prepcli.app import maintenance
    from prepcli.storage import paths

    store = _open_store(ctx)
    try:
        made = maintenance.backup(store, path, paths.data_dir() / "backups", _now(), keep)
    finally:
        store.close()
    if as_json:
        _json(
            {"path": str(made.path), "bytes": made.size, "removed": [str(p) for p in made.removed]}
        )
        return
    typer.echo(f"Backed up to {made.path} ({made.size / 1024:.0f} KiB).")
    if made.removed:
        typer.echo(f"Removed {_plural(len(made.removed), 'older backup')} (keeping {keep}).")


@app.command()
def check(
    ctx: typer.Context,
    fix: Annotated[
        bool, typer.Option("--fix", help="Repair what is found (after making a backup).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check the database: integrity, and every card's state against its replayed history."""
    from prepcli.app import maintenance
    from prepcli.storage import paths
    from prepcli.ui import render

    study = _open(ctx)
    try:
        with render.status("Checking: replaying every card's history…"):
            report = maintenance.check(study, fix=fix, backup_folder=paths.data_dir() / "backups")
    finally:
        study.close()
    if as_json:
        _json({**asdict(report), "ok": report.ok})
    else:
        _print(render.check_view(report))
        if report.backup:
            typer.echo(f"Backup: {report.backup}")  # a path to copy: never wrapped
    if not report.ok:
        raise typer.Exit(1)
