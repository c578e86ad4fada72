"""The study plan (`prepcli plan …`) and the interview planner on a simulated learner."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.arguments import finite
from prepcli.cli.common import (
    JsonOption,
    confirm,
    echo,
    emit_json,
    open_study,
    show,
)
from prepcli.core.errors import PrepError, UsageError

if TYPE_CHECKING:
    pass

plan_app = typer.Typer(
    help="The six-week plan: start it, see where you stand, tick tasks.",
    invoke_without_command=True,
)
app = typer.Typer()  # simulate

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
    from prepcli.ui import plan_view

    study = open_study(ctx)
    try:
        status = study.plan_status()
        readiness = forecast.readiness(study)
    finally:
        study.close()
    if status is None:
        if as_json:
            emit_json({"plan": None})
            return
        raise PrepError("no plan started yet (`prepcli plan start --interview YYYY-MM-DD`)")
    if as_json:
        emit_json({**asdict(status), "readiness": None if readiness is None else asdict(readiness)})
    else:
        show(plan_view.plan_status_view(status))
        if readiness is not None:
            show(plan_view.readiness_view(readiness))


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
    from prepcli.ui import plan_view

    start_day = None if start is None else _parse_date(start, "--start")
    interview_day = None if interview is None else _parse_date(interview, "--interview")
    study = open_study(ctx)
    try:
        running = study.active_plan()
        if running is not None and not force:
            question = f"A plan ({running.plan.id}) is already running. Replace it?"
            if not confirm(question):
                raise typer.Exit(1)
        study.start_plan(plan, start_day if start_day is not None else study.today, interview_day)
        status = study.plan_status()
    finally:
        study.close()
    assert status is not None
    echo(f"Started {status.title}: {status.start_date} to {status.end_date}.")
    if status.interview_date and status.interview_date < status.end_date:
        echo(
            f"Note: the interview ({status.interview_date}) comes before the plan ends; "
            "later weeks' cards will not all be introduced in time."
        )
    show(plan_view.plan_status_view(status))


@plan_app.command("interview")
def plan_interview(
    ctx: typer.Context, when: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD.")]
) -> None:
    """Set or move the interview date."""
    day = _parse_date(when, "the interview date")
    study = open_study(ctx)
    try:
        study.set_interview(day)
        status = study.plan_status()
    finally:
        study.close()
    assert status is not None
    echo(f"Interview on {status.interview_date} ({status.days_to_interview} days from today).")


@plan_app.command("done")
def plan_done(ctx: typer.Context, task_id: Annotated[str, typer.Argument(help="Task id.")]) -> None:
    """Tick a plan task."""
    _mark(ctx, task_id, True)


@plan_app.command("undo")
def plan_undo(ctx: typer.Context, task_id: Annotated[str, typer.Argument(help="Task id.")]) -> None:
    """Untick a plan task."""
    _mark(ctx, task_id, False)


def _mark(ctx: typer.Context, task_id: str, done: bool) -> None:
    study = open_study(ctx)
    try:
        changed = study.mark_task(task_id, done)
    finally:
        study.close()
    state = "done" if done else "not done"
    echo(f"{task_id}: {state}" + ("" if changed else " (it already was)"))


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
    from prepcli.ui import plan_view

    study = open_study(ctx)
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
        emit_json({"plan": chosen.id, "title": chosen.title, "weeks": weeks})
    else:
        show(plan_view.plan_view(chosen, counts))


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
        from prepcli.cli.arguments import checked_path, shown
        from prepcli.files.safeio import FileRefused, read_regular

        path = checked_path(Path(value), "file")  # never a FIFO (it blocks) or /dev/zero
        try:
            text = read_regular(path, 1 << 20).decode("utf-8")
        except FileRefused as exc:
            raise UsageError(f"--learner-params: {shown(value)} {exc.reason}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--learner-params: {shown(value)} is not a UTF-8 text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--learner-params: not JSON ({exc.msg})") from None
    except (RecursionError, ValueError):  # nested thousands deep; a number of 5,000 digits
        raise UsageError("--learner-params: not a list of 21 FSRS-6 parameters") from None
    if isinstance(data, dict):
        data = data.get("parameters")
    if not isinstance(data, list) or len(data) != 21:
        raise UsageError("--learner-params: expected a list of 21 FSRS-6 parameters")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in data):
        raise UsageError("--learner-params: every parameter must be a number")
    if not all(math.isfinite(x) for x in data):
        raise UsageError("--learner-params: every parameter must be a finite number")
    return tuple(float(x) for x in data)


RetentionOption = Annotated[
    float,
    typer.Option(min=0.7, max=0.99, callback=finite, help="Desired retention of plain FSRS."),
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
        float,
        typer.Option(
            min=0.7, max=0.99, callback=finite, help="The raised retention to compare with."
        ),
    ] = 0.95,
    target: Annotated[
        float,
        typer.Option(min=0.7, max=0.99, callback=finite, help="The planner's recall target."),
    ] = 0.95,
    learner_params: Annotated[
        str | None,
        typer.Option(help="The learner's true memory: 'faster', a JSON list or a JSON file."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate a learner under plain FSRS, raised retention and the interview planner."""
    from prepcli.app import simulate as sim
    from prepcli.ui import plan_view, render

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
        emit_json(
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
    show(plan_view.simulation_table(results, title))
