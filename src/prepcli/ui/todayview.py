"""Today's summary as text: the screen of `prepcli` with no command.

Written without Rich on purpose: this is the command people run most, and importing
Rich's console is a large part of the start-up. The few styles it
uses (bold, dim, yellow) are plain ANSI codes, left out when NO_COLOR is set or the
output is not a terminal, as Rich itself would do. Without Rich's console, the text that
comes from files (the plan's title, card keys) has its control characters shown here.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from prepcli.core.daysoff import INTERVIEW, REST
from prepcli.core.textfmt import in_days, number, plural
from prepcli.ui.runway_text import today_pace
from prepcli.ui.safe import visible_line

if TYPE_CHECKING:
    from typing import ClassVar, TextIO

    from prepcli.app.study_interview import InterviewOutlook
    from prepcli.app.study_queue import TodaySummary
    from prepcli.core.daysoff import DayNote
    from prepcli.core.planstatus import PlanStatus

LABEL_WIDTH = 14
AT_RISK_SHOWN = 5


class Styler:
    """ANSI styles when the output is a colour terminal, nothing otherwise."""

    CODES: ClassVar[dict[str, str]] = {"bold": "1", "dim": "2", "yellow": "33"}

    def __init__(self, stream: TextIO) -> None:
        self.enabled = (
            stream.isatty()
            and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM", "") != "dumb"
        )

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{self.CODES[style]}m{text}\x1b[0m"


def plan_line(status: PlanStatus) -> str:
    if status.phase == "not started":
        where = f"starts {status.start_date} ({in_days(1 - status.day)})"
    elif status.phase == "finished":
        where = f"finished {status.end_date}"
    else:
        where = f"week {status.week} of {len(status.weeks)}, day {status.day}"
    text = f"{visible_line(status.title)}: {where}"
    if status.days_to_interview is not None:
        days = status.days_to_interview
        text += f" · interview {in_days(days)} ({status.interview_date})"
    return text


def today_lines(summary: TodaySummary, style: Styler) -> list[str]:
    rows: list[tuple[str, str]] = []
    due_now = summary.due_reviews + summary.learning_due
    optional = summary.day is not None and summary.day.reviews_optional
    due_text = (
        f"{number(due_now)} ({plural(summary.due_reviews, 'review')}, "
        f"{number(summary.learning_due)} learning)"
    )
    rows.append(("Due now", due_text + (" — optional today" if optional and due_now else "")))
    if summary.due_reviews > summary.review_limit_left:
        rows.append(
            (
                "",
                style(
                    f"{number(summary.review_limit_left)} left under today's review limit",
                    "yellow",
                ),
            )
        )
    new = f"{number(summary.new_today)} of {number(summary.new_unseen)} not yet studied"
    rows.append(("New today", new))
    if summary.learning_later:
        rows.append(("Learning", f"{number(summary.learning_later)} due later today"))
    rows.append(
        (
            "Done today",
            f"{plural(summary.answers_today, 'answer')}, {summary.minutes_today:,.0f} min",
        )
    )
    rows.append(("Streak", plural(summary.streak, "day")))
    rows.append(("Due tomorrow", number(summary.due_tomorrow)))
    collection = f"{plural(summary.cards, 'card')} in {plural(summary.decks, 'deck')}"
    if summary.suspended:
        collection += f", {number(summary.suspended)} suspended"
    if summary.leeches:
        collection += f", {plural(summary.leeches, 'leech')}"
    rows.append(("Collection", collection))
    lines = [style(f"prepcli — study day {summary.study_date}", "bold")]
    if summary.plan is not None:
        lines.append(plan_line(summary.plan))
        tasks_left = [task.title for task in summary.plan.tasks_this_week if not task.done]
        earlier = len(summary.plan.open_tasks_before)
        if (tasks_left or earlier) and summary.plan.phase == "running":
            counts = [f"{number(len(tasks_left))} left this week"] if tasks_left else []
            counts += [f"{number(earlier)} open from earlier weeks"] if earlier else []
            rows.append(("Tasks", f"{', '.join(counts)} (`prepcli plan`)"))
        runway = summary.plan.runway
        if runway is not None and runway.left.total:
            rows.append(("Plan pace", today_pace(runway)))
        if summary.plan.new_cards_stopped:
            rows.append(
                (
                    "",
                    style(
                        "No new cards: the last days before the interview are for reviews", "dim"
                    ),
                )
            )
    else:
        lines.append(style("No plan started: `prepcli plan start --interview YYYY-MM-DD`", "dim"))
    if summary.day is not None:
        lines += ["", *day_lines(summary.day, summary, style, terminal_columns())]
    lines.append("")
    # A label is followed by at least one space, however long it is.
    lines += [
        f"{style(label.ljust(LABEL_WIDTH - 1) + ' ', 'bold')}{value}".rstrip()
        for label, value in rows
    ]
    on_the_day = summary.day is not None and summary.day.kind == INTERVIEW
    if summary.interview is not None and not on_the_day:  # the day's own lines say it all
        lines += ["", *interview_lines(summary.interview, terminal_columns())]
    if optional:
        hint = "Nothing asked today; `prepcli review` works if you want to."
    elif due_now or summary.new_today:
        hint = "Run `prepcli review` to start."
    else:
        hint = "Nothing due now."
    lines += ["", style(hint, "dim")]
    return lines


def day_lines(day: DayNote, summary: TodaySummary, style: Styler, width: int = 80) -> list[str]:
    """The interview day, a rest day, or the days after the interview."""
    import textwrap  # only on these days

    if day.kind == INTERVIEW:
        text = [style("Interview day: good luck!", "bold")]
        if day.reviews_optional:
            text.append("Nothing to review today: the preparation is done.")
        else:  # interview_lead 0: the user chose a last session this morning
            text.append("A last short session this morning, as planned, then go.")
    elif day.kind == REST:
        until = "" if day.rest_until == summary.study_date else f" (until {day.rest_until})"
        text = [
            style(f"Rest day{until}:", "bold")
            + " nothing is asked and your streak is safe. Enjoy it."
        ]
    else:
        since = day.days_since_interview or 0
        when = "yesterday" if since == 1 else in_days(-since)
        retention = day.desired_retention or 0.0
        text = [
            style(f"Interview {when} ({day.interview_date}):", "bold")
            + " the plan's work is done, whatever the result.",
            "What next: keep reviewing a few minutes a day to keep what you learned (FSRS "
            f"at your desired retention, {retention:.0%}, from here on), or simply stop: "
            "nothing is lost by pausing, and `prepcli` picks up where you left off.",
        ]
        if summary.new_today:
            text.append("New cards come again; `prepcli config set new_per_day 0` to only review.")
    wrapped: list[str] = []
    for paragraph in text:
        wrapped += textwrap.wrap(paragraph, width) or [""]
    return wrapped


def terminal_columns() -> int:
    """The width to wrap at, by shutil.get_terminal_size's rule (COLUMNS, else the
    terminal, else 80), without importing shutil: it loads the compression modules."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def interview_lines(outlook: InterviewOutlook, width: int = 80) -> list[str]:
    lines = [f"Interview {in_days(outlook.days_left)} ({outlook.interview_date})"]
    today: list[str] = []
    if outlook.early_today:
        today.append(f"{plural(outlook.early_today, 'early review')} so recall peaks on the day")
    if outlook.held_back:
        today.append(f"{number(outlook.held_back)} due held back for later")
    if today:
        lines.append("  Today: " + "; ".join(today))
    if outlook.final_reviews:
        lines.append(
            f"  {plural(outlook.final_reviews, 'last review')} planned before it, "
            "least stable cards last"
        )
    if outlook.at_risk:
        import textwrap  # only for the list of cards at risk

        shown = ", ".join(visible_line(key) for key in outlook.at_risk[:AT_RISK_SHOWN])
        more = ", …" if len(outlook.at_risk) > AT_RISK_SHOWN else ""
        lines += textwrap.wrap(
            f"{plural(len(outlook.at_risk), 'card')} below 90% on the day with no room left "
            "to review them: raise interview_capacity or review ahead",
            width,
            initial_indent="  ",
            subsequent_indent="  ",
        )
        lines += textwrap.wrap(shown + more, width, initial_indent="    ", subsequent_indent="    ")
    lines.append("  `prepcli plan` shows the predicted recall on the day")
    return lines


def print_today(summary: TodaySummary, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write("\n".join(today_lines(summary, Styler(out))) + "\n")
