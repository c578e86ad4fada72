"""A break: `prepcli postpone N`."""

from __future__ import annotations

from typing import Annotated

import typer

from prepcli.cli.common import JsonOption, echo, emit_json, open_study, plural

app = typer.Typer(rich_markup_mode=None)

DAYS_SHOWN = 10  # days after the break listed in the text output


@app.command()
def postpone(
    ctx: typer.Context,
    days: Annotated[int, typer.Argument(metavar="DAYS", help="Days off, from today (or --start).")],
    start: Annotated[
        str | None,
        typer.Option("--start", metavar="YYYY-MM-DD", help="First day off (default: today)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show where the reviews would go; change nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Take a break of DAYS days: nothing is asked on them and no streak breaks.

    The reviews due during the break are spread over as many days after it (least stable
    first, within the daily capacity) instead of piling up on the first; the interview
    date stays.

    \b
    Examples:
      prepcli postpone 3 --dry-run
      prepcli postpone 2 --start 2026-12-24
    """
    from datetime import date

    from prepcli.app.breaks import take_break
    from prepcli.core.daysoff import parse_day, show_dates

    first = None if start is None else parse_day(start, "--start")
    study = open_study(ctx)
    outcome = take_break(study, days, first, dry_run=dry_run)
    plan = outcome.plan

    def iso(day: int) -> str:
        return date.fromordinal(day).isoformat()

    if as_json:
        emit_json(
            {
                "first_day": iso(plan.first_day),
                "last_day": iso(plan.last_day),
                "days": plan.days,
                "moved": len(plan.moves),
                "capacity": outcome.capacity,
                "catch_up_days": [iso(d) for d in plan.catch_up_days],
                "days_after": [
                    {"date": iso(d), "moved": plan.moved_per_day.get(d, 0), "due": n}
                    for d, n in plan.load_after.items()
                ],
                "cards": [
                    {"card": m.key, "from": iso(m.from_day), "to": iso(m.to_day)}
                    for m in plan.moves
                ],
                "interview_date": None
                if outcome.interview_day is None
                else iso(outcome.interview_day),
                "rest_days": [iso(d) for d in sorted(outcome.rest_days)],
                "saved": outcome.saved,
            }
        )
        return
    span = show_dates(range(plan.first_day, plan.last_day + 1))
    echo(
        f"{'Dry run: ' if not outcome.saved else ''}Break {span} "
        f"({plural(plan.days, 'day')} off): nothing is asked, no streak breaks."
    )
    if plan.moves:
        busiest = max(plan.load_after.values())
        echo(
            f"{plural(len(plan.moves), 'review')} due in it "
            f"{'would move' if not outcome.saved else 'moved'} to the "
            f"{plural(len(plan.catch_up_days), 'day')} after it, least stable first: "
            f"at most {busiest} due a day (capacity {outcome.capacity})."
        )
        for day, due in list(plan.load_after.items())[:DAYS_SHOWN]:
            echo(f"  {iso(day)}  {due:4d} due  ({plan.moved_per_day.get(day, 0)} moved)")
    else:
        echo("No reviews are due in it.")
    if outcome.interview_day is not None and outcome.interview_day > plan.last_day:
        echo(
            f"The interview stays on {iso(outcome.interview_day)}: the planner leaves the "
            "break free and plans again each morning."
        )
