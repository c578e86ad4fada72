"""The only Rich importer: cards, summaries, tables and error output.

Renderables are built from plain data, so tests print them to a fixed-width console.
Rich honours NO_COLOR and the terminal width by itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from prepcli.mathtext import render_math_in
from prepcli.models import CardDef, CardState, Kind, Phase, Rating, Review, ReviewKind

if TYPE_CHECKING:
    from prepcli.errors import Problem
    from prepcli.plan import Plan, PlanStatus
    from prepcli.study import CardInfo, TodaySummary

CODE_THEME = "monokai"
RATING_NAMES = {
    Rating.AGAIN: "Again",
    Rating.HARD: "Hard",
    Rating.GOOD: "Good",
    Rating.EASY: "Easy",
}
RATING_STYLES = {
    Rating.AGAIN: "red",
    Rating.HARD: "yellow",
    Rating.GOOD: "green",
    Rating.EASY: "cyan",
}
PHASE_NAMES = {Phase.NEW: "new", Phase.LEARNING: "learning", Phase.REVIEW: "review",
               Phase.RELEARNING: "relearning"}  # fmt: skip
KIND_NAMES = {ReviewKind.LEARN: "learn", ReviewKind.REVIEW: "review", ReviewKind.RELEARN: "relearn",
              ReviewKind.EARLY: "early", ReviewKind.MANUAL: "manual"}  # fmt: skip


def console(
    *, stderr: bool = False, file: IO[str] | None = None, width: int | None = None
) -> Console:
    return Console(stderr=stderr, file=file, width=width, highlight=False, soft_wrap=False)


def print_problems(problems: Iterable[Problem], *, with_severity: bool = False) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
    for problem in problems:
        if with_severity:
            where = f"{problem.path}:{problem.line}:{problem.col}"
            err.print(f"{where}: {problem.severity}: {problem.message}")
        else:
            err.print(str(problem))


def print_error(message: str) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(Text("error: ", style="bold red") + Text(message))


def format_interval(days: float) -> str:
    """A compact interval like Anki's buttons: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = days * 86400
    if seconds < 60:
        return f"{max(1, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if days < 1:
        return f"{round(seconds / 3600)}h"
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def markdown(text: str) -> Markdown:
    prepared = keep_line_breaks(render_math_in(text))
    return Markdown(prepared, code_theme=CODE_THEME, inline_code_theme=CODE_THEME)


_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def keep_line_breaks(text: str) -> str:
    """Keep the author's line layout: card text is laid out line by line on purpose.

    Each line break outside code becomes a hard break, and an unindented line after a
    list ends the list instead of being folded into its last item.
    """
    out: list[str] = []
    in_fence = False
    in_list = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue
        if not line.strip():
            in_list = False
        elif _LIST_ITEM.match(line):
            in_list = True
        elif in_list and not line.startswith((" ", "\t")):
            out.append("")  # end the list here
            in_list = False
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and following.strip() and not following.lstrip().startswith(("```", "~~~")):
            line = line.rstrip() + "  "
        out.append(line)
    return "\n".join(out)


def _code(source: str) -> Markdown:
    return markdown(f"```python\n{source.rstrip()}\n```")


def card_header(card: CardDef, state: CardState, remaining: str) -> Text:
    text = Text()
    text.append(card.key, style="bold")
    text.append(f"  ·  {card.kind.value}  ·  {PHASE_NAMES[state.phase]}", style="dim")
    if state.leech:
        text.append("  ·  leech", style="bold red")
    if remaining:
        text.append(f"  ·  {remaining}", style="dim")
    return text


def card_front(card: CardDef, state: CardState, remaining: str = "") -> RenderableType:
    parts: list[RenderableType] = [card_header(card, state, remaining), Rule(style="dim")]
    parts.append(markdown(card.front))
    if card.starter and card.kind == Kind.CODING:
        parts.append(Text("Starter:", style="dim"))
        parts.append(_code(card.starter))
    return Group(*parts)


def card_back(card: CardDef) -> RenderableType:
    parts: list[RenderableType] = [Rule("answer", style="dim"), markdown(card.back)]
    if card.points:
        title = "Rubric" if card.kind == Kind.DESIGN else "Checklist"
        parts.append(Text(f"{title}:", style="bold"))
        parts.extend(Text(f"  ☐ {render_math_in(p)}") for p in card.points)
    if card.solution:
        parts.append(Text("Reference solution:", style="bold"))
        parts.append(_code(card.solution))
    if card.source:
        parts.append(Text(f"Source: {card.source}", style="dim"))
    return Group(*parts)


def hints(card: CardDef) -> RenderableType:
    return Group(*(Text(f"hint: {render_math_in(h)}", style="italic") for h in card.hints))


def front_keys(card: CardDef) -> Text:
    keys = "Space/Enter show answer · b bury · s suspend · e edit · u undo · q quit"
    if card.hints:
        keys = "h hint · " + keys
    return Text(keys, style="dim")


def rating_keys(labels: Mapping[Rating, str]) -> Text:
    text = Text()
    for rating in Rating:
        text.append(f" {int(rating)} ", style=f"bold reverse {RATING_STYLES[rating]}")
        text.append(f" {RATING_NAMES[rating]} {labels[rating]}   ")
    text.append("\n u undo · b bury · s suspend · e edit · q quit", style="dim")
    return text


def timer(seconds_left: int) -> str:
    sign = "-" if seconds_left < 0 else ""
    minutes, seconds = divmod(abs(seconds_left), 60)
    label = "over time" if seconds_left < 0 else "left"
    return f"⏱  {sign}{minutes}:{seconds:02d} {label}"


def today_view(summary: TodaySummary, extra: Sequence[RenderableType] = ()) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    due_now = summary.due_reviews + summary.learning_due
    table.add_row(
        "Due now", f"{due_now} ({summary.due_reviews} reviews, {summary.learning_due} learning)"
    )
    if summary.due_reviews > summary.review_limit_left:
        table.add_row("", f"[yellow]{summary.review_limit_left} left under today's review limit[/]")
    table.add_row("New today", f"{summary.new_today} of {summary.new_unseen} not yet studied")
    if summary.learning_later:
        table.add_row("Learning later", f"{summary.learning_later} due later today")
    table.add_row("Done today", f"{summary.answers_today} answers, {summary.minutes_today:.0f} min")
    table.add_row("Streak", f"{summary.streak} days (longest {summary.longest_streak})")
    table.add_row("Due tomorrow", str(summary.due_tomorrow))
    table.add_row(
        "Collection",
        f"{summary.cards} cards in {summary.decks} decks"
        + (f", {summary.suspended} suspended" if summary.suspended else "")
        + (f", {summary.leeches} leeches" if summary.leeches else ""),
    )
    hint = "Run `prepcli review` to start." if due_now or summary.new_today else "Nothing due now."
    heading: list[RenderableType] = [
        Text(f"prepcli — study day {summary.study_date}", style="bold")
    ]
    if summary.plan is not None:
        heading.append(Text(plan_line(summary.plan)))
        tasks_left = [title for _id, title, done in summary.plan.tasks_this_week if not done]
        if tasks_left and summary.plan.phase == "running":
            table.add_row("Tasks", f"{len(tasks_left)} left this week (`prepcli plan`)")
    else:
        heading.append(
            Text("No plan started: `prepcli plan start --interview YYYY-MM-DD`", style="dim")
        )
    return Group(
        *heading,
        Padding(table, (1, 0, 0, 0)),
        *extra,
        Text(""),
        Text(hint, style="dim"),
    )


def session_summary(
    answered: int, again: int, seconds: float, due_tomorrow: int, left_now: int, learning_later: int
) -> RenderableType:
    rate = f"{again / answered:.0%}" if answered else "—"
    minutes, secs = divmod(round(seconds), 60)
    lines = [
        Text("Session over", style="bold"),
        Text(f"  {answered} answers · again rate {rate} · {minutes}m {secs:02d}s"),
        Text(f"  due tomorrow: {due_tomorrow}"),
    ]
    if learning_later:
        lines.append(Text(f"  {learning_later} learning cards come back later today"))
    if left_now:
        lines.append(Text(f"  {left_now} cards still due now (`prepcli review` to go on)"))
    return Group(*lines)


def card_info_view(info: CardInfo, when: str) -> RenderableType:
    state = info.state
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Card", state.key + ("" if info.card else "  (no longer in any deck)"))
    if info.card:
        grid.add_row("Kind", info.card.kind.value)
        grid.add_row("File", f"{info.card.path}:{info.card.line}")
    status = PHASE_NAMES[state.phase] + (" · suspended" if state.suspended else "")
    status += " · leech" if state.leech else ""
    grid.add_row("State", status)
    if state.stability is not None:
        grid.add_row("Stability", f"{state.stability:.2f} days")
    if state.difficulty is not None:
        grid.add_row("Difficulty", f"{state.difficulty:.2f} (1–10)")
    if info.retrievability is not None:
        grid.add_row("Retrievability", f"{info.retrievability:.1%} at {when}")
    if state.due_ms is not None and state.phase != Phase.NEW:
        grid.add_row("Due", iso_minutes(state.due_ms))
    grid.add_row("Reviews", f"{state.reps} ({state.lapses} lapses)")
    parts: list[RenderableType] = [grid]
    if info.history:
        parts.append(Text(""))
        parts.append(history_table(info.history))
    return Group(*parts)


def history_table(history: Sequence[Review]) -> Table:
    table = Table(title="History", title_justify="left", box=None, header_style="bold")
    for column in ("when (UTC)", "rating", "kind", "interval", "S", "D", "R before"):
        table.add_column(column)
    for review in history:
        rating = RATING_NAMES[Rating(review.rating)] if review.rating else "—"
        interval = "" if review.scheduled_days is None else format_interval(review.scheduled_days)
        stability = review.after.stability
        difficulty = review.after.difficulty
        table.add_row(
            iso_minutes(review.reviewed_ms),
            rating,
            KIND_NAMES[review.kind],
            interval,
            "" if stability is None else f"{stability:.2f}",
            "" if difficulty is None else f"{difficulty:.2f}",
            "" if review.r_predicted is None else f"{review.r_predicted:.0%}",
        )
    return table


def settings_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table(box=None, header_style="bold")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("meaning", style="dim")
    for row in rows:
        table.add_row(*row)
    return table


def iso_minutes(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def write_raw(text: str) -> None:
    """Write control sequences (cursor moves) straight to the terminal."""
    sys.stdout.write(text)
    sys.stdout.flush()


def deck_table(rows: Sequence[Mapping[str, object]]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("deck", "title", "cards", "path"):
        table.add_column(column, justify="right" if column == "cards" else "left")
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("deck", "title", "cards", "path")))
    return table


STATUS_STYLES = {"done": "green", "on track": "green", "ahead": "cyan", "behind": "red",
                 "upcoming": "dim"}  # fmt: skip


def plan_line(status: PlanStatus) -> str:
    if status.phase == "not started":
        where = f"starts {status.start_date} (in {1 - status.day} days)"
    elif status.phase == "finished":
        where = f"finished {status.end_date}"
    else:
        where = f"week {status.week} of {len(status.weeks)}, day {status.day}"
    text = f"{status.title}: {where}"
    if status.days_to_interview is not None:
        days = status.days_to_interview
        when = "today" if days == 0 else (f"in {days} days" if days > 0 else f"{-days} days ago")
        text += f" · interview {when} ({status.interview_date})"
    return text


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
    if status.phase == "running" and status.cards_left_so_far:
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
