"""The plan on screen: its status, its weeks, the interview forecast and the simulation table."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from prepcli.core.textfmt import in_days, number, plural
from prepcli.ui.runway_text import pace_line, scaled_note, shortfall_line
from prepcli.ui.todayview import plan_line

if TYPE_CHECKING:
    from prepcli.app.forecast import Readiness
    from prepcli.app.recommend import Recommendation
    from prepcli.app.simulate import PolicyResult
    from prepcli.core.plans import Plan
    from prepcli.core.planstatus import PlanStatus


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
            f"{number(week.cards_introduced)}/{number(week.cards_total)}",
            learned,
            f"{week.tasks_done}/{week.tasks_total}",
            Text(week.status, style=STATUS_STYLES.get(week.status, "")),
        )
    parts: list[RenderableType] = [Text(plan_line(status), style="bold")]
    note = scaled_note(status)
    if note:
        parts.append(Text(note, style="dim"))
    parts += [Text(""), table]
    if status.tasks_this_week:
        parts.append(Text(f"\nThis week's tasks (week {status.week}):", style="bold"))
        tasks = Table(box=None, show_header=False, padding=(0, 1))
        tasks.add_column(no_wrap=True)
        tasks.add_column(ratio=1)
        tasks.add_column(style="dim", no_wrap=True)
        for task in status.tasks_this_week:
            task_id, title, done = task.id, task.title, task.done
            tasks.add_row("✔" if done else "☐", Text(title, style="dim" if done else ""), task_id)
        parts.append(tasks)
    if status.open_tasks_before:
        parts.append(Text("\nOpen tasks from earlier weeks:", style="bold"))
        parts.append(_open_tasks(status))
    if status.new_cards_stopped:
        parts.append(
            Text(
                "\nNo new cards now: the days before the interview are for reviews "
                f"({plural(status.cards_left_so_far, 'card')} of the weeks so far "
                f"{'was' if status.cards_left_so_far == 1 else 'were'} not introduced; "
                "`prepcli review --ahead` still shows them).",
                style="yellow",
            )
        )
    else:
        pace = pace_line(status)
        if pace:
            parts.append(Text("\n" + pace))
        short = None if status.runway is None else shortfall_line(status.runway)
        if short:
            parts.append(Text(short, style="yellow"))
    return Group(*parts)


def _open_tasks(status: PlanStatus) -> RenderableType:
    tasks = Table(box=None, show_header=False, padding=(0, 1))
    tasks.add_column(no_wrap=True)
    tasks.add_column(ratio=1)
    tasks.add_column(style="dim", no_wrap=True)
    for task in status.open_tasks_before:
        tasks.add_row("☐", Text(f"{task.title} (week {task.week})"), task.id)
    return tasks


def plan_view(plan: Plan, counts: Mapping[int, int], done: Collection[str] = ()) -> RenderableType:
    """The whole plan; `done`: the ticked tasks when it is the running one."""
    parts: list[RenderableType] = [Text(plan.title, style="bold")]
    if plan.description:
        parts.append(Text(plan.description, style="dim"))
    for week in plan.weeks:
        cards = counts.get(week.number, 0)
        parts.append(
            Text(f"\nWeek {week.number}: {week.title}  ({plural(cards, 'card')})", style="bold")
        )
        if week.focus:
            parts.append(Text(f"  {week.focus}"))
        for selector in week.introduce:
            what = selector.deck or "any deck"
            if selector.tags:
                what += " — tags " + ", ".join(selector.tags)
            parts.append(Text(f"  • cards: {what}", style="dim"))
        for task in week.tasks:
            ticked = task.id in done
            line = Text(f"  {'✔' if ticked else '☐'} {task.title}  ", style="dim" if ticked else "")
            parts.append(line + Text(task.id, style="dim"))
    return Group(*parts)


def simulation_table(results: Sequence[PolicyResult], title: str) -> RenderableType:
    """One row per policy (means over the seeds), then each planner's lowest seed."""
    table = Table(title=title, title_justify="left", box=None, header_style="bold")
    # recall: expected share recalled on the interview morning; reviews: answers to review
    # cards (× the first row's); eve: answers in the last session; max/day: most review
    # answers in a day; unrev: reviews asked for by the eve and not reached; +30 d: recall
    # 30 days after the interview with no review since.
    columns = ("policy", "recall", "answers", "reviews", "×", "eve", "max/day", "unrev", "+30 d")
    for column in columns:
        table.add_column(column, justify="left" if column == "policy" else "right", no_wrap=True)
    base = results[0].review_answers if results else 0.0
    for result in results:
        table.add_row(
            result.policy,
            f"{result.mean_recall:.3f}",
            f"{result.answers:,.0f}",
            f"{result.review_answers:,.0f}",
            f"{result.review_answers / base:.2f}" if base else "—",
            f"{result.eve_answers:.0f}",
            f"{result.largest_review_day:.0f}",
            f"{result.unreviewed:.0f}",
            f"{result.recall_30_days_after:.3f}",
        )
    notes = [
        f"{r.policy}: lowest seed {r.lowest_recall:.3f}, {plural(round(r.at_risk), 'card')} at risk"
        for r in results
        if r.policy.startswith("planner")
    ]
    return Group(table, *(Text(note, style="dim") for note in notes))


def frontier_table(results: Sequence[PolicyResult], title: str, setting: str) -> RenderableType:
    """The planner's recall against its review answers as `setting` varies, beside the
    plain FSRS policies it is compared with."""
    table = simulation_table(results, title)
    note = Text(
        f"Each planner row is one {setting}; its review answers are compared with "
        f"{results[0].policy if results else 'the first row'}'s.",
        style="dim",
    )
    return Group(table, note)


def recommendation_view(advice: Recommendation) -> RenderableType:
    when = in_days(advice.days_left)
    parts: list[RenderableType] = [
        Text(
            f"Interview {when} ({advice.interview_date}): {plural(advice.cards, 'card')}, "
            f"{number(advice.studied)} studied so far; {advice.parameters} FSRS parameters.",
            style="bold",
        )
    ]
    table = Table(box=None, header_style="bold")
    for column in ("reviews a day", "expected recall", "lowest run", "review answers/day", "eve"):
        table.add_column(column, justify="right")
    for outcome in advice.outcomes:
        marker = " (now)" if outcome.capacity == advice.capacity else ""
        table.add_row(
            f"{number(outcome.capacity)}{marker}",
            f"{outcome.mean_recall:.3f}",
            f"{outcome.lowest_recall:.3f}",
            f"{outcome.review_answers_per_day:,.0f}",
            f"{outcome.eve_answers:,.0f}",
        )
    parts.append(table)
    sentence = "; ".join(
        f"with {plural(o.capacity, 'review')} a day, {o.mean_recall:.3f}" for o in advice.outcomes
    )
    parts.append(Text(f"Expected recall on the day {sentence}.", style="dim"))
    parts.append(
        Text(
            "Set the one you can keep with `prepcli config set interview_capacity N`.",
            style="dim",
        )
    )
    return Group(*parts)


def readiness_view(readiness: Readiness) -> RenderableType:
    parts: list[RenderableType] = []
    days = readiness.days_left
    when = in_days(days)
    if readiness.mean_recall is None:
        parts.append(Text(f"Interview {when}: no cards studied yet.", style="bold"))
    else:
        share = readiness.share_at_90 or 0.0
        parts.append(
            Text(
                f"Interview {when} ({readiness.interview_date}): predicted recall "
                f"{readiness.mean_recall:.1%} over {plural(readiness.studied, 'studied card')}, "
                f"{share:.0%} of them at 90% or more",
                style="bold",
            )
        )
    if readiness.if_stopped_now is not None:
        parts.append(
            Text(f"  If you stopped reviewing now: {readiness.if_stopped_now:.1%}", style="dim")
        )
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column()
    table.add_column(justify="right")
    for deck, recall in readiness.per_deck.items():
        table.add_row(f"  {deck}", f"{recall:.1%}")
    if readiness.per_deck:
        parts.append(table)
    notes = []
    if readiness.reviews_today:
        notes.append(f"{plural(readiness.reviews_today, 'review')} chosen for today")
    if readiness.final_reviews:
        notes.append(
            f"{plural(readiness.final_reviews, 'last review')} planned before the interview"
        )
    if readiness.unstudied:
        notes.append(f"{plural(readiness.unstudied, 'card')} not studied yet")
    if notes:
        parts.append(Text("  " + "; ".join(notes) + ".", style="dim"))
    if readiness.at_risk:
        shown = ", ".join(readiness.at_risk[:5]) + (" …" if len(readiness.at_risk) > 5 else "")
        parts.append(
            Text(
                f"  At risk: {plural(len(readiness.at_risk), 'card')} below 90% on the day "
                "that no day "
                f"before the interview has room to review ({shown}). Raise interview_capacity "
                "or review ahead.",
                style="yellow",
            )
        )
    return Group(*parts)
