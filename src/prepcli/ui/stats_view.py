"""The statistics screen: heatmap, charts, retention, forecast and leeches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from prepcli.core.textfmt import number, plural, points
from prepcli.ui.render import (
    percent,
    short_date,
)

if TYPE_CHECKING:
    from prepcli.core.stats import DayCount, StatsReport


HEAT_GLYPHS = ("·", "░", "▒", "▓", "█")


HEAT_STYLES = ("dim", "green", "green", "bold green", "bold green")


EIGHTHS = " ▁▂▃▄▅▆▇█"


HBAR_EIGHTHS = " ▏▎▍▌▋▊▉█"


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
    text.append(f"more (busiest day: {number(most)})", style="dim")
    return text


def column_chart(values: Sequence[float], labels: Sequence[str], height: int = 6) -> Text:
    """Vertical bars two columns apart, in eighth-blocks, with the top value on the axis
    and a label under every seventh bar."""
    top = max(values, default=0)
    scale = top if top > 0 else 1
    axis = f"{round(top):,}" if top >= 10 or top == int(top) else f"{top:.1f}"
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
    return "—" if not reviews else f"{rate:.0%} ({number(passed)}/{number(reviews)})"


def stats_view(report: StatsReport) -> RenderableType:
    where = ", ".join(report.selection) if report.selection else "all decks"
    streak = report.streaks
    today_word = {"done": "done", "free": "nothing due", "rest": "rest day", "pending": "not yet"}[
        streak.today
    ]
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row(
        "Streak",
        f"{plural(streak.current, 'day')} (longest {number(streak.longest)}) · "
        f"{plural(streak.days_studied, 'day')} studied · today: {today_word}",
    )
    summary.add_row(
        "Answers",
        f"{number(report.reviews_total)} in {report.time.total_minutes:,.0f} min all time",
    )
    parts: list[RenderableType] = [
        Text(f"Statistics — study day {report.study_date} ({where})", style="bold"),
        summary,
        Text(
            f"\nAnswers per day, last {plural(math.ceil(len(report.heatmap) / 7), 'week')}",
            style="bold",
        ),
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
            f"\nDue in the next 14 days: {number(forecast.next_14)} · "
            f"30 days: {number(forecast.next_30)}"
            + (f" (today includes {number(forecast.overdue)} overdue)" if forecast.overdue else ""),
            style="bold",
        )
    )
    parts.append(
        column_chart([d.due for d in forecast.days], [short_date(d.date) for d in forecast.days])
    )

    time = report.time
    average = time.average_minutes_per_study_day
    parts.append(
        Text(
            f"\nMinutes per day, last {plural(len(time.per_day), 'day')} "
            f"(today {time.minutes_today:,.0f}"
            + (f", {average:,.0f} per study day on average)" if average is not None else ")"),
            style="bold",
        )
    )
    parts.append(
        column_chart([d.minutes for d in time.per_day], [short_date(d.date) for d in time.per_day])
    )

    times = report.answer_times
    median = "" if times.median_seconds is None else f", median {times.median_seconds}s"
    parts.append(
        Text(f"\nTime per answer ({plural(times.answers, 'timed answer')}{median})", style="bold")
    )
    most = max((b.answers for b in times.bins), default=0)
    bars = Table.grid(padding=(0, 1))
    bars.add_column(justify="right")
    bars.add_column(justify="right")
    bars.add_column()
    for time_bin in times.bins:
        bars.add_row(time_bin.label, number(time_bin.answers), hbar(time_bin.answers, most))
    parts.append(bars)

    calibration = report.calibration
    parts.append(
        Text(
            f"\nPredicted recall vs passed ({plural(calibration.reviews, 'interday review')}"
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
            gap = points((cal.actual - cal.predicted) * 100)
        calibration_table.add_row(
            f"{cal.low:.0%}–{cal.high:.0%}",
            number(cal.reviews),
            percent(cal.predicted),
            percent(cal.actual),
            gap,
        )
    parts.append(calibration_table if calibration.reviews else Text("  no interday reviews yet"))

    decks = Table(box=None, header_style="bold", padding=(0, 1, 0, 0))
    for column in ("deck", "cards", "new", "learn", "review", "susp.", "leech", "recall"):
        decks.add_column(column, justify="left" if column == "deck" else "right")
    for row in (*report.decks, report.total):
        decks.add_row(
            row.deck,
            number(row.cards),
            number(row.new),
            number(row.learning),
            number(row.review),
            number(row.suspended),
            number(row.leeches),
            percent(row.average_retrievability),
            style="bold" if row is report.total else "",
        )
    parts += [Text(""), decks]

    parts.append(Text(f"\nLeeches ({number(len(report.leeches))})", style="bold"))
    if not report.leeches:
        parts.append(Text("  none", style="dim"))
    for leech in report.leeches:
        line = Text(f"  {leech.card}")
        line.append(
            f"  {plural(leech.lapses, 'lapse')} · recall now {percent(leech.retrievability)}"
            + (" · suspended" if leech.suspended else ""),
            style="dim",
        )
        parts.append(line)
    return Group(*parts)
