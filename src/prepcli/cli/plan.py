"""The study plan (`prepcli plan …`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

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
    as_json: JsonOption = False,
) -> None:
    """Start a plan on a date, optionally with the interview date.

    With an interview less than the plan's length away, the plan's weeks are fitted to the
    days there are; new cards come at a pace that introduces them before the last day for
    new cards (interview_buffer), core cards first. What will not fit is said at once.
    """
    from prepcli.ui import plan_view
    from prepcli.ui.runway_text import shortfall_line

    start_day = None if start is None else _parse_date(start, "--start")
    interview_day = None if interview is None else _parse_date(interview, "--interview")
    study = open_study(ctx)
    try:
        running = study.active_plan()
        if running is not None and not force:
            question = f"A plan ({running.plan.id}) is already running. Replace it?"
            if not confirm(question, err=as_json):
                raise typer.Exit(1)
        study.start_plan(plan, start_day if start_day is not None else study.today, interview_day)
        status = study.plan_status()
    finally:
        study.close()
    assert status is not None
    if as_json:
        emit_json(asdict(status))
        return
    echo(f"Started {status.title}: {status.start_date} to {status.end_date}.")
    if status.weeks_scaled:
        echo(
            f"Note: the interview ({status.interview_date}) comes before the plan ends; "
            f"its {len(status.weeks)} weeks are fitted to the days there are, core cards first."
        )
    short = None if status.runway is None else shortfall_line(status.runway)
    if short:
        echo(short)
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
        running = active is not None and chosen.id == active.plan.id
        done = study.store.plans.done_tasks(active.run_id) if running and active else set()
    finally:
        study.close()
    counts = {w.number: sum(1 for n in assignment.values() if n == w.number) for w in chosen.weeks}
    if as_json:
        weeks = [
            {
                **asdict(w),
                "tasks": [{**asdict(t), "done": t.id in done} for t in w.tasks],
                "cards": counts[w.number],
            }
            for w in chosen.weeks
        ]
        emit_json({"plan": chosen.id, "title": chosen.title, "running": running, "weeks": weeks})
    else:
        show(plan_view.plan_view(chosen, counts, done))
