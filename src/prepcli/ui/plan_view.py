"""The plan on screen: its status, its weeks, the interview forecast and the simulation table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from prepcli.ui.todayview import plan_line

if TYPE_CHECKING:
    from prepcli.app.forecast import Readiness
    from prepcli.app.simulate import PolicyResult
    from prepcli.files.plan import Plan, PlanStatus


STATUS_STYLES = {
    "done": "green",
    "on track": "green",
    "ahead": "cyan",
    "behind": "red",
    "upcoming": "dim",
}


def plan_status_view(status: PlanStatus) -> RenderableType:
    table = Table(box=None, header_style="bold")
    for column in ("week", "starts", "focus", "cards", "learned", "tasks", "status"):
        table.add_column(
            column, justify="right" if column in ("cards", "learned", "tasks") else "left"
        )
    for week in status.weeks:
        marker = "▶ " if week.number == status.week and status.phase == "running" else "  "
        learned = f"{week.cards_learned / week.cards_total:.0%}" if week.cards_total else "—"
        table.add_row(
            f"{marker}{week.number}",
            week.start_date,
            week.title,
            f"{week.cards_introduced}/{week.cards_total}",
            learned,
            f"{week.tasks_done}/{week.tasks_total}",
            Text(week.status, style=STATUS_STYLES.get(week.status, "")),
        )
    parts: list[RenderableType] = [Text(plan_line(status), style="bold"), Text(""), table]
    if status.tasks_this_week:
        parts.append(Text(f"\nThis week's tasks (week {status.week}):", style="bold"))
        tasks = Table(box=None, show_header=False, padding=(0, 1))
        tasks.add_column(no_wrap=True)
        tasks.add_column(ratio=1)
        tasks.add_column(style="dim", no_wrap=True)
        for task_id, title, done in status.tasks_this_week:
            tasks.add_row("✔" if done else "☐", Text(title, style="dim" if done else ""), task_id)
        parts.append(tasks)
    if status.new_cards_stopped:
        parts.append(
            Text(
                "\nNo new cards now: the days before the interview are for reviews "
                f"({status.cards_left_so_far} cards of the weeks so far were not introduced; "
                "`prepcli review --ahead` still shows them).",
                style="yellow",
            )
        )
    elif status.phase == "running" and status.cards_left_so_far:
        days = status.days_left_in_week
        parts.append(
            Text(
                f"\nPace: {status.catch_up_per_day} new cards a day for the next {days} "
                f"day{'s' if days != 1 else ''} introduces the {status.cards_left_so_far} cards "
                "left in this and earlier weeks."
            )
        )
    return Group(*parts)


def plan_view(plan: Plan, counts: Mapping[int, int]) -> RenderableType:
    parts: list[RenderableType] = [Text(plan.title, style="bold")]
    if plan.description:
        parts.append(Text(plan.description, style="dim"))
    for week in plan.weeks:
        cards = counts.get(week.number, 0)
        parts.append(Text(f"\nWeek {week.number}: {week.title}  ({cards} cards)", style="bold"))
        if week.focus:
            parts.append(Text(f"  {week.focus}"))
        for selector in week.introduce:
            what = selector.deck or "any deck"
            if selector.tags:
                what += " — tags " + ", ".join(selector.tags)
            parts.append(Text(f"  • cards: {what}", style="dim"))
        for task in week.tasks:
            parts.append(Text(f"  ☐ {task.title}  ") + Text(task.id, style="dim"))
    return Group(*parts)


def simulation_table(results: Sequence[PolicyResult], title: str) -> Table:
    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    # R@T: expected share recalled on the interview morning; max rev: most review-card
    # answers in a day (what the cap limits); eve: answers on the last day.
    columns = ("policy", "R@T", "R≥0.9", "answers", "max day", "max rev", "eve", "unrev", "at risk")
    for column in columns:
        table.add_column(column, justify="left" if column == "policy" else "right")
    for result in results:
        table.add_row(
            result.policy,
            f"{result.mean_recall:.3f}",
            f"{result.share_at_90:.1%}",
            f"{result.reviews:,.0f}",
            f"{result.largest_day:.0f}",
            f"{result.busiest_review_day:.0f}",
            f"{result.last_day:.0f}",
            f"{result.unreviewed:.0f}",
            f"{result.at_risk:.0f}",
        )
    return table


def readiness_view(readiness: Readiness) -> RenderableType:
    parts: list[RenderableType] = []
    days = readiness.days_left
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    if readiness.mean_recall is None:
        parts.append(Text(f"Interview {when}: no cards studied yet.", style="bold"))
    else:
        share = readiness.share_at_90 or 0.0
        parts.append(
            Text(
                f"Interview {when} ({readiness.interview_date}): predicted recall "
                f"{readiness.mean_recall:.1%} over {readiness.studied} studied cards, "
                f"{share:.0%} of them at 90% or more",
                style="bold",
            )
        )
    if readiness.if_stopped_now is not None:
        sample = ""
        if readiness.sampled < readiness.studied:
            sample = f" (forecast on a sample of {readiness.sampled} cards)"
        parts.append(
            Text(
                f"  If you stopped reviewing now: {readiness.if_stopped_now:.1%}{sample}",
                style="dim",
            )
        )
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column()
    table.add_column(justify="right")
    for deck, recall in readiness.per_deck.items():
        table.add_row(f"  {deck}", f"{recall:.1%}")
    if readiness.per_deck:
        parts.append(table)
    notes = []
    if readiness.early_today:
        notes.append(f"{readiness.early_today} early reviews today for the interview")
    if readiness.planned_early:
        notes.append(f"{readiness.planned_early} planned before it")
    if readiness.unstudied:
        notes.append(f"{readiness.unstudied} cards not studied yet")
    if notes:
        parts.append(Text("  " + "; ".join(notes) + ".", style="dim"))
    if readiness.at_risk:
        shown = ", ".join(readiness.at_risk[:5]) + (" …" if len(readiness.at_risk) > 5 else "")
        parts.append(
            Text(
                f"  At risk: {len(readiness.at_risk)} cards below the "
                f"{readiness.target:.0%} target that no day before the interview has room "
                f"for ({shown}). Raise interview_capacity or review ahead.",
                style="yellow",
            )
        )
    return Group(*parts)
