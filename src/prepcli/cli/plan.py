"""The study plan (`prepcli plan …`)."""

from __future__ import annotations

from typing import Annotated

import typer

from prepcli.cli.common import (
    JsonOption,
    confirm,
    echo,
    emit_json,
    open_study,
    show,
    show_long,
)
from prepcli.cli.jsonout import fields_of
from prepcli.core.errors import PrepError, UsageError

plan_app = typer.Typer(
    rich_markup_mode=None, invoke_without_command=True
)  # its help: plan_status's docstring

# --- plan --------------------------------------------------------------------------------


EARLIEST_DATE, LATEST_DATE = "1970-01-01", "2999-12-31"

TaskArgument = Annotated[
    str, typer.Argument(metavar="TASK_ID", help="The task, as `prepcli plan` lists it.")
]


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
    """The six-week plan: where you stand; start it, tick tasks, move the interview.

    With no command: this week, every week, the pace to catch up and, with an interview
    date, the predicted recall on the day.

    \b
    Examples:
      prepcli plan
      prepcli plan start --interview 2027-01-08
      prepcli plan done implement-attention
    """
    if ctx.invoked_subcommand is not None:
        return
    from prepcli.app import forecast
    from prepcli.ui import plan_view

    study = open_study(ctx)
    groups = study.key_groups()  # read once for the status and the forecast
    status = study.plans.status(groups)
    readiness = forecast.readiness(study, groups)
    zone = study.calendar.tz
    if status is None:
        if as_json:
            emit_json({"plan": None}, zone)
            return
        raise PrepError("no plan started yet (`prepcli plan start --interview YYYY-MM-DD`)")
    if as_json:
        emit_json({**fields_of(status), "readiness": readiness}, zone)
    else:
        shown = [plan_view.plan_status_view(status)]
        if readiness is not None:
            shown.append(plan_view.readiness_view(readiness))
        show_long(ctx, *shown)


@plan_app.command("start")
def plan_start(
    ctx: typer.Context,
    plan: Annotated[
        str, typer.Option("--plan", metavar="PLAN", help="Which plan (see `prepcli plan show`).")
    ] = "six-week",
    start: Annotated[
        str | None,
        typer.Option("--start", metavar="DATE", help="First day, YYYY-MM-DD (default: today)."),
    ] = None,
    interview: Annotated[
        str | None,
        typer.Option(
            "--interview", metavar="DATE", help="Interview date, YYYY-MM-DD (e.g. 2027-01-08)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a running plan without asking.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Start a plan on a date, optionally with the interview date.

    With an interview less than the plan's length away, the plan's weeks are fitted to the
    days there are; new cards come at a pace that introduces them before the last day for
    new cards (interview_buffer), core cards first. What will not fit is said at once.

    Dates are YYYY-MM-DD. The interview date can be set or moved later with
    `prepcli plan interview DATE`.

    \b
    Examples:
      prepcli plan start --interview 2027-01-08
      prepcli plan start --start 2026-11-30 --interview 2027-01-12
    """
    from prepcli.ui import plan_view
    from prepcli.ui.runway_text import shortfall_line

    start_day = None if start is None else _parse_date(start, "--start")
    interview_day = None if interview is None else _parse_date(interview, "--interview")
    study = open_study(ctx)
    running = study.plans.active()
    if running is not None and not force:
        question = f"A plan ({running.plan.id}) is already running. Replace it?"
        if not confirm(question, err=as_json):
            raise typer.Exit(1)
    study.plans.start(plan, start_day if start_day is not None else study.today, interview_day)
    status = study.plans.status()
    assert status is not None
    if as_json:
        emit_json(fields_of(status), study.calendar.tz)
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
    ctx: typer.Context,
    when: Annotated[str, typer.Argument(metavar="DATE", help="The interview date, YYYY-MM-DD.")],
    as_json: JsonOption = False,
) -> None:
    """Set or move the interview date.

    From then on, reviews aim at your recall on that day.

    \b
    Example:
      prepcli plan interview 2027-01-12
    """
    day = _parse_date(when, "the interview date")
    study = open_study(ctx)
    study.plans.set_interview(day)
    status = study.plans.status()
    assert status is not None
    if as_json:
        emit_json(
            {
                "interview_date": status.interview_date,
                "days_to_interview": status.days_to_interview,
            },
            study.calendar.tz,
        )
        return
    from prepcli.core.textfmt import in_days

    days = status.days_to_interview
    when = "" if days is None else f" ({in_days(days)})"
    echo(f"Interview on {status.interview_date}{when}.")


@plan_app.command("done")
def plan_done(ctx: typer.Context, task_id: TaskArgument, as_json: JsonOption = False) -> None:
    """Tick a plan task.

    Task ids are listed by `prepcli plan` (this week's) and `prepcli plan show`.

    \b
    Example:
      prepcli plan done implement-attention
    """
    _mark(ctx, task_id, True, as_json)


@plan_app.command("undo")
def plan_undo(ctx: typer.Context, task_id: TaskArgument, as_json: JsonOption = False) -> None:
    """Untick a plan task.

    Task ids are listed by `prepcli plan` (this week's) and `prepcli plan show`.

    \b
    Example:
      prepcli plan undo implement-attention
    """
    _mark(ctx, task_id, False, as_json)


def _mark(ctx: typer.Context, task_id: str, done: bool, as_json: bool) -> None:
    study = open_study(ctx)
    changed = study.plans.mark_task(task_id, done)
    if as_json:
        emit_json({"task": task_id, "done": done, "changed": changed}, study.calendar.tz)
        return
    state = "done" if done else "not done"
    echo(f"{task_id}: {state}" + ("" if changed else " (it already was)"))


@plan_app.command("show")
def plan_show(
    ctx: typer.Context,
    plan: Annotated[
        str | None,
        typer.Option("--plan", metavar="PLAN", help="Which plan (default: the running one)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the whole plan: every week's decks, cards and tasks.

    Long output goes through your pager on a terminal (`prepcli --no-pager` turns it off).

    \b
    Examples:
      prepcli plan show
      prepcli plan show --json
    """
    from prepcli.app.study_plans import DEFAULT_PLAN
    from prepcli.core.planlayout import assign_weeks
    from prepcli.ui import plan_view

    study = open_study(ctx)
    active = study.plans.active()
    chosen = (
        study.plans.find(plan)
        if plan
        else (active.plan if active else study.plans.find(DEFAULT_PLAN))
    )
    assignment = assign_weeks(chosen, study.decks)
    running = active is not None and chosen.id == active.plan.id
    done = study.store.plans.done_tasks(active.run_id) if running and active else set()
    counts = {w.number: sum(1 for n in assignment.values() if n == w.number) for w in chosen.weeks}
    if as_json:
        weeks = [
            {
                **fields_of(w),
                "tasks": [{**fields_of(t), "done": t.id in done} for t in w.tasks],
                "cards": counts[w.number],
            }
            for w in chosen.weeks
        ]
        emit_json({"plan": chosen.id, "title": chosen.title, "running": running, "weeks": weeks})
    else:
        show_long(ctx, plan_view.plan_view(chosen, counts, done))
