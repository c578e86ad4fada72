"""The only Rich importer: cards, summaries, tables and error output.

Renderables are built from plain data, so tests print them to a fixed-width console.
Rich honours NO_COLOR and the terminal width by itself.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from prepcli.core.cards import CardDef, Kind
from prepcli.core.history import Review
from prepcli.core.mathtext import render_math_in
from prepcli.core.models import CardState, Phase, Rating, ReviewKind
from prepcli.ui.todayview import plan_line

if TYPE_CHECKING:
    from rich.markdown import Markdown

    from prepcli.app.forecast import Readiness
    from prepcli.app.practice import CheckRun
    from prepcli.app.progress import QuizSummary
    from prepcli.app.simulate import PolicyResult
    from prepcli.core.errors import Problem
    from prepcli.core.history import CardInfo
    from prepcli.core.quiz import TopicScore
    from prepcli.core.stats import DayCount, StatsReport
    from prepcli.files.plan import Plan, PlanStatus

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
PHASE_NAMES = {
    Phase.NEW: "new",
    Phase.LEARNING: "learning",
    Phase.REVIEW: "review",
    Phase.RELEARNING: "relearning",
}
KIND_NAMES = {
    ReviewKind.LEARN: "learn",
    ReviewKind.REVIEW: "review",
    ReviewKind.RELEARN: "relearn",
    ReviewKind.EARLY: "early",
    ReviewKind.MANUAL: "manual",
}


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


def markdown(text: str, style: str = "none") -> Markdown:
    from rich.markdown import Markdown  # markdown-it is slow to import; only cards need it

    prepared = keep_line_breaks(render_math_in(text))
    return Markdown(prepared, code_theme=CODE_THEME, inline_code_theme=CODE_THEME, style=style)


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
    if card.explain:
        # Set apart and dimmed: the rating judges the answer above, not this.
        parts.append(Rule("why", style="dim", characters="┄"))
        parts.append(markdown(card.explain, style="dim"))
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


def rating_keys(labels: Mapping[Rating, str] | None = None) -> Text:
    """The answer side's keys, each with the interval it would give (none in previews)."""
    text = Text()
    for rating in Rating:
        text.append(f" {int(rating)} ", style=f"bold reverse {RATING_STYLES[rating]}")
        label = f" {labels[rating]}" if labels is not None else ""
        text.append(f" {RATING_NAMES[rating]}{label}   ")
    text.append("\n u undo · b bury · s suspend · e edit · q quit", style="dim")
    return text


def timer(seconds_left: int) -> str:
    sign = "-" if seconds_left < 0 else ""
    minutes, seconds = divmod(abs(seconds_left), 60)
    label = "over time" if seconds_left < 0 else "left"
    return f"⏱  {sign}{minutes}:{seconds:02d} {label}"


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


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields a callback taking (done, total)."""
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)

        def update(done: int, of: int) -> None:
            progress.update(task, completed=done, total=of)

        yield update


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


# --- deck authoring ----------------------------------------------------------------------


def card_preview(card: CardDef) -> RenderableType:
    """A new card's two screens as `prepcli review` draws them: the front with its keys
    (and countdown and hints), then the back with the rating keys."""
    parts: list[RenderableType] = [card_front(card, CardState(key=card.key)), front_keys(card)]
    if card.timer_seconds is not None:
        parts.append(Text(timer(card.timer_seconds)))
    if card.hints:
        parts.append(hints(card))
    parts.extend([card_back(card), rating_keys()])
    return Group(*parts)


def orphans_table(rows: Sequence[tuple[str, int, int | None]]) -> Table:
    """(card key, review-log rows, last answer in epoch ms) for cards no deck defines."""
    table = Table(box=None, header_style="bold")
    table.add_column("card")
    table.add_column("reviews", justify="right")
    table.add_column("last answer (UTC)")
    for key, reviews, last_ms in rows:
        table.add_row(key, str(reviews), "—" if last_ms is None else iso_minutes(last_ms))
    return table


# --- statistics, mock quiz, coding practice ------------------------------------------------

HEAT_GLYPHS = ("·", "░", "▒", "▓", "█")
HEAT_STYLES = ("dim", "green", "green", "bold green", "bold green")
EIGHTHS = " ▁▂▃▄▅▆▇█"
HBAR_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def _short_date(iso_date: str) -> str:
    from datetime import date

    return date.fromisoformat(iso_date).strftime("%d %b").lstrip("0")


def heat_level(count: int, most: int) -> int:
    """0 for none, then 1–4 by quarters of the busiest day (which gets 4)."""
    if count <= 0 or most <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * count / most)))


def heatmap_grid(days: Sequence[DayCount]) -> Text:
    """A week-per-column calendar of answers per day (Monday at the top), month labels above."""
    from datetime import date

    if not days:
        return Text("")
    first = date.fromisoformat(days[0].date)
    most = max(d.reviews for d in days)
    weeks = (len(days) + first.weekday() + 6) // 7
    cells: list[list[DayCount | None]] = [[None] * weeks for _ in range(7)]
    for index, day in enumerate(days):
        offset = index + first.weekday()
        cells[offset % 7][offset // 7] = day
    months = [" "] * (2 * weeks + 2)
    last_month = None
    for week in range(weeks):
        monday = date.fromordinal(first.toordinal() - first.weekday() + 7 * week)
        if monday.month != last_month:
            label = monday.strftime("%b")
            if all(c == " " for c in months[2 * week : 2 * week + len(label) + 1]):
                months[2 * week : 2 * week + len(label)] = label
            last_month = monday.month
    text = Text("     " + "".join(months).rstrip() + "\n")
    for weekday, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        text.append(f"{name}  ", style="dim")
        for cell in cells[weekday]:
            if cell is None:
                text.append("  ")
                continue
            level = heat_level(cell.reviews, most)
            text.append(HEAT_GLYPHS[level], style=HEAT_STYLES[level])
            text.append(" ")
        text.append("\n")
    text.append("     less ", style="dim")
    for level, glyph in enumerate(HEAT_GLYPHS):
        text.append(glyph + " ", style=HEAT_STYLES[level])
    text.append(f"more (busiest day: {most})", style="dim")
    return text


def column_chart(values: Sequence[float], labels: Sequence[str], height: int = 6) -> Text:
    """Vertical bars two columns apart, in eighth-blocks, with the top value on the axis
    and a label under every seventh bar."""
    top = max(values, default=0)
    scale = top if top > 0 else 1
    axis = str(round(top)) if top >= 10 or top == int(top) else f"{top:.1f}"
    pad = max(len(axis), 1)
    text = Text()
    for row in range(height, 0, -1):
        text.append((axis if row == height else "").rjust(pad) + " ┤", style="dim")
        for value in values:
            eighths = round(value / scale * height * 8) - (row - 1) * 8
            text.append(EIGHTHS[max(0, min(8, eighths))] + " ", style="cyan")
        text.append("\n")
    text.append(" " * pad + " └" + "─" * (2 * len(values)) + "\n", style="dim")
    line = [" "] * (2 * len(values) + 12)
    for index in range(0, len(values), 7):
        label = labels[index]
        start = 2 * index
        line[start : start + len(label)] = label
    text.append(" " * (pad + 2) + "".join(line).rstrip(), style="dim")
    return text


def hbar(value: float, most: float, width: int = 24) -> str:
    if most <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / most * width * 8))
    return "█" * (eighths // 8) + (HBAR_EIGHTHS[eighths % 8] if eighths % 8 else "")


def _retention_cell(passed: int, reviews: int, rate: float | None) -> str:
    return "—" if not reviews else f"{rate:.0%} ({passed}/{reviews})"


def stats_view(report: StatsReport) -> RenderableType:
    where = ", ".join(report.selection) if report.selection else "all decks"
    streak = report.streaks
    today_word = {"done": "done", "free": "nothing due", "pending": "not yet"}[streak.today]
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row(
        "Streak",
        f"{streak.current} days (longest {streak.longest}) · {streak.days_studied} days "
        f"studied · today: {today_word}",
    )
    summary.add_row(
        "Answers", f"{report.reviews_total} in {report.time.total_minutes:.0f} min all time"
    )
    parts: list[RenderableType] = [
        Text(f"Statistics — study day {report.study_date} ({where})", style="bold"),
        summary,
        Text(f"\nAnswers per day, last {math.ceil(len(report.heatmap) / 7)} weeks", style="bold"),
        heatmap_grid(report.heatmap),
    ]

    retention = Table(box=None, header_style="bold", title_justify="left", padding=(0, 2, 0, 0))
    for column in ("true retention", "young", "mature", "all"):
        retention.add_column(column, justify="left" if column == "true retention" else "right")
    for period in report.retention:
        retention.add_row(
            period.period,
            *(
                _retention_cell(r.passed, r.reviews, r.rate)
                for r in (period.young, period.mature, period.all)
            ),
        )
    parts += [Text(""), retention]

    forecast = report.forecast
    parts.append(
        Text(
            f"\nDue in the next 14 days: {forecast.next_14} · 30 days: {forecast.next_30}"
            + (f" (today includes {forecast.overdue} overdue)" if forecast.overdue else ""),
            style="bold",
        )
    )
    parts.append(
        column_chart([d.due for d in forecast.days], [_short_date(d.date) for d in forecast.days])
    )

    time = report.time
    average = time.average_minutes_per_study_day
    parts.append(
        Text(
            f"\nMinutes per day, last {len(time.per_day)} days (today {time.minutes_today:.0f}"
            + (f", {average:.0f} per study day on average)" if average is not None else ")"),
            style="bold",
        )
    )
    parts.append(
        column_chart([d.minutes for d in time.per_day], [_short_date(d.date) for d in time.per_day])
    )

    times = report.answer_times
    median = "" if times.median_seconds is None else f", median {times.median_seconds}s"
    parts.append(Text(f"\nTime per answer ({times.answers} timed answers{median})", style="bold"))
    most = max((b.answers for b in times.bins), default=0)
    bars = Table.grid(padding=(0, 1))
    bars.add_column(justify="right")
    bars.add_column(justify="right")
    bars.add_column()
    for time_bin in times.bins:
        bars.add_row(time_bin.label, str(time_bin.answers), hbar(time_bin.answers, most))
    parts.append(bars)

    calibration = report.calibration
    parts.append(
        Text(
            f"\nPredicted recall vs passed ({calibration.reviews} interday reviews"
            + (
                f"; RMSE {calibration.rmse_bins:.1%})" if calibration.rmse_bins is not None else ")"
            ),
            style="bold",
        )
    )
    calibration_table = Table(box=None, header_style="bold", padding=(0, 2, 0, 0))
    for column in ("predicted", "reviews", "expected", "passed", ""):
        calibration_table.add_column(
            column, justify="left" if column in ("", "predicted") else "right"
        )
    for cal in calibration.bins:
        if not cal.reviews:
            continue
        gap = ""
        if cal.actual is not None and cal.predicted is not None:
            gap = f"{(cal.actual - cal.predicted) * 100:+.0f} pts"
        calibration_table.add_row(
            f"{cal.low:.0%}–{cal.high:.0%}",
            str(cal.reviews),
            _percent(cal.predicted),
            _percent(cal.actual),
            gap,
        )
    parts.append(calibration_table if calibration.reviews else Text("  no interday reviews yet"))

    decks = Table(box=None, header_style="bold", padding=(0, 1, 0, 0))
    for column in ("deck", "cards", "new", "learn", "review", "susp.", "leech", "recall"):
        decks.add_column(column, justify="left" if column == "deck" else "right")
    for row in (*report.decks, report.total):
        decks.add_row(
            row.deck,
            str(row.cards),
            str(row.new),
            str(row.learning),
            str(row.review),
            str(row.suspended),
            str(row.leeches),
            _percent(row.average_retrievability),
            style="bold" if row is report.total else "",
        )
    parts += [Text(""), decks]

    parts.append(Text(f"\nLeeches ({len(report.leeches)})", style="bold"))
    if not report.leeches:
        parts.append(Text("  none", style="dim"))
    for leech in report.leeches:
        line = Text(f"  {leech.card}")
        line.append(
            f"  {leech.lapses} lapses · recall now {_percent(leech.retrievability)}"
            + (" · suspended" if leech.suspended else ""),
            style="dim",
        )
        parts.append(line)
    return Group(*parts)


def quiz_clock(seconds_left: float) -> str:
    if seconds_left <= 0:
        return "⏱  time's up"
    minutes, seconds = divmod(math.ceil(seconds_left), 60)
    return f"⏱  {minutes}:{seconds:02d} left"


def quiz_question(card: CardDef, number: int, total: int, topic: str) -> RenderableType:
    header = Text(f"Mock quiz · question {number} of {total}", style="bold")
    header.append(f"  ·  {topic}", style="dim")
    return Group(header, Rule(style="dim"), markdown(card.front))


def quiz_front_keys() -> Text:
    return Text("Answer aloud, then Space/Enter to reveal · q quit", style="dim")


def quiz_mark_keys() -> Text:
    text = Text()
    for key, name, style in (
        ("r", "right", "green"),
        ("p", "partly", "yellow"),
        ("w", "wrong", "red"),
    ):
        text.append(f" {key} ", style=f"bold reverse {style}")
        text.append(f" {name}   ")
    text.append("(or 1 / 2 / 3) · q quit", style="dim")
    return text


def topic_scores_table(rows: Sequence[TopicScore], total: TopicScore) -> Table:
    table = Table(box=None, header_style="bold", padding=(0, 2, 0, 0))
    for column in ("topic", "asked", "right", "partly", "wrong", "score"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for row in (*rows, total):
        table.add_row(
            row.topic,
            str(row.asked),
            str(row.right),
            str(row.partly),
            str(row.wrong),
            f"{row.score:.0%}",
            style="bold" if row is total else "",
        )
    return table


def quiz_summary(
    rows: Sequence[TopicScore],
    total: TopicScore,
    work_on: Sequence[TopicScore],
    seconds: float,
    ended: str,
    *,
    counted_as_review: bool = False,
) -> RenderableType:
    minutes, secs = divmod(round(seconds), 60)
    why = {"finished": "all questions asked", "time": "time's up", "quit": "stopped"}[ended]
    parts: list[RenderableType] = [
        Text(""),
        Text(f"Quiz over ({why}) · {total.asked} answered in {minutes}:{secs:02d}", style="bold"),
    ]
    if not total.asked:
        parts.append(Text("Nothing was marked, so nothing was recorded.", style="dim"))
        return Group(*parts)
    parts += [Text(""), topic_scores_table(rows, total), Text("")]
    if work_on:
        parts.append(Text("Work on: " + ", ".join(f"{s.topic} ({s.score:.0%})" for s in work_on)))
    else:
        parts.append(Text("No topic under 70% in this quiz."))
    if counted_as_review:
        note = "Saved, and recorded as reviews (right = Good, partly = Hard, wrong = Again)."
    else:
        note = "Saved; your review schedule is unchanged."
    parts.append(Text(note, style="dim"))
    parts.append(Text("Past quizzes: `prepcli quiz history`.", style="dim"))
    return Group(*parts)


def quiz_history_view(summaries: Sequence[QuizSummary]) -> RenderableType:
    if not summaries:
        return Text("No quizzes yet: `prepcli quiz` starts one.")
    table = Table(box=None, header_style="bold", padding=(0, 2, 0, 0))
    for column in ("#", "started", "took", "answered", "score", "work on"):
        table.add_column(
            column, justify="right" if column in ("#", "answered", "score") else "left"
        )
    for quiz in summaries:
        took = "—"
        if quiz.took_seconds is not None:
            minutes, secs = divmod(round(quiz.took_seconds), 60)
            took = f"{minutes}:{secs:02d} of {quiz.minutes}:00"
        table.add_row(
            str(quiz.id),
            quiz.started.replace("T", " ")[:16],
            took,
            str(quiz.answered),
            f"{quiz.score:.0%}",
            ", ".join(quiz.work_on) or "—",
        )
    return table


PRACTICE_MARKS = {
    "pass": ("✔", "green"),
    "fail": ("✘", "red"),
    "error": ("✘", "red"),
    "timeout": ("⏱", "red"),
    "not run": ("·", "dim"),
}


def practice_view(run: CheckRun) -> RenderableType:
    """Each check's result (the caller prints the card and the file path above it)."""
    parts: list[RenderableType] = []
    if run.load_error is not None:
        parts.append(
            Padding(Text(f"✘ your file did not load: {run.load_error}", style="red"), (0, 0, 0, 2))
        )
    for result in run.results:
        glyph, style = PRACTICE_MARKS.get(result.status, ("?", ""))
        source = result.step.source.splitlines()[0] if result.step.source else ""
        if len(source) > 64 or "\n" in result.step.source:
            source = source[:63] + "…"
        line = Text(f"  {glyph} ", style=style)
        label = "set-up " if not result.step.is_check else ""
        line.append(f"{label}line {result.step.line}  ", style="dim")
        line.append(source)
        parts.append(line)
        if result.message:
            parts.append(Padding(Text(result.message, style=style), (0, 0, 0, 6)))
    if not run.all_passed and run.output.strip():
        parts.append(Text("What your code printed (last lines):", style="dim"))
        parts.append(Text("\n".join(run.output.rstrip().splitlines()[-10:]), style="dim"))
    verdict = f"{run.passed} of {run.total} checks pass"
    if run.timed_out:
        verdict += f" (stopped at the {run.timeout_seconds:g} s timeout)"
    parts.append(Text(verdict + ".", style="bold green" if run.all_passed else "bold red"))
    return Group(*parts)


# --- optimize, backup, check -----------------------------------------------------------

if TYPE_CHECKING:
    from prepcli.app.maintenance import CheckReport, OptimizeOutcome


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on stderr while something slow runs (nothing is drawn when not a terminal)."""
    with Console(stderr=True).status(message, spinner="dots"):
        yield


def optimize_view(outcome: OptimizeOutcome, parameters_label: str) -> RenderableType:
    fit = outcome.fit
    parts: list[RenderableType] = [
        Text(f"Parameters in use: {parameters_label}"),
        Text(
            f"Training data: {fit.items:,} reviews of {fit.cards:,} cards "
            f"({fit.reviews:,} answer{'' if fit.reviews == 1 else 's'} in the log)"
        ),
    ]
    if fit.current_eval is not None:
        table = Table(box=None, header_style="bold", pad_edge=False)
        table.add_column("parameters")
        table.add_column("log loss", justify="right")
        table.add_column("RMSE(bins)", justify="right")
        for label, scores in (("in use", fit.current_eval), ("fitted", fit.fitted_eval)):
            if scores is not None:
                table.add_row(label, f"{scores.log_loss:.4f}", f"{scores.rmse_bins:.4f}")
        parts += [Text(""), table]
    parts.append(Text(""))
    reason = fit.reason[0].upper() + fit.reason[1:]
    if outcome.saved:
        parts.append(
            Text(
                f"{reason}: saved. {outcome.recomputed:,} cards rescheduled "
                "by replaying their history.",
                style="bold green",
            )
        )
    elif outcome.dry_run and fit.accepted:
        parts.append(Text(f"{reason}. Dry run: nothing saved (run without --dry-run to use them)."))
    else:
        parts.append(Text(reason + "."))
    return Group(*parts)


def check_view(report: CheckReport) -> RenderableType:
    if report.integrity:
        lines = [Text("Integrity check failed:", style="bold red")]
        lines += [Text(f"  {message}") for message in report.integrity[:20]]
        lines.append(Text("Nothing was changed. Restore a copy made by `prepcli backup`."))
        return Group(*lines)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Integrity", "ok")
    grid.add_row("Replayed", f"{report.cards:,} cards, {report.reviews:,} reviews")
    grid.add_row("Mismatches", str(len(report.mismatches)))
    grid.add_row("Dangling", f"{len(report.dangling_reviews)} review rows without a card")
    grid.add_row(
        "Orphans",
        f"{len(report.orphans)} with history, {len(report.empty_orphans)} "
        "without (cards no deck defines)",
    )
    parts: list[RenderableType] = [grid]
    if report.mismatches:
        table = Table(
            box=None,
            header_style="bold",
            title="Stored state ≠ replayed history",
            pad_edge=False,
            title_justify="left",
        )
        for column in ("card", "field", "stored", "replayed"):
            table.add_column(column)
        for mismatch in report.mismatches[:50]:
            for name, (stored, replayed) in mismatch.differences.items():
                table.add_row(mismatch.card, name, _value(stored), _value(replayed))
        parts += [Text(""), table]
        if len(report.mismatches) > 50:
            parts.append(Text(f"… and {len(report.mismatches) - 50} more (see --json)"))
    parts.append(Text(""))
    if report.fixed:
        parts.append(Text("Repaired; the backup made first is named below.", style="bold green"))
    elif report.repairable:
        parts.append(Text("`prepcli check --fix` repairs these (it makes a backup first)."))
    else:
        parts.append(Text("No problems.", style="bold green"))
    if report.orphans:
        parts.append(
            Text(
                f"{len(report.orphans)} card(s) with history are in no loaded deck; "
                "their history is kept (see `prepcli deck orphans`)."
            )
        )
    return Group(*parts)


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
