"""The mock quiz and coding practice on screen."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from prepcli.core.cards import CardDef
from prepcli.core.textfmt import local_time, number, plural
from prepcli.ui.render import (
    markdown,
)

if TYPE_CHECKING:
    from datetime import tzinfo

    from prepcli.app.practice import CheckRun
    from prepcli.app.quiz import QuizSummary
    from prepcli.core.quiz import TopicScore


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
            number(row.asked),
            number(row.right),
            number(row.partly),
            number(row.wrong),
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
        Text(
            f"Quiz over ({why}) · {number(total.asked)} answered in {minutes}:{secs:02d}",
            style="bold",
        ),
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


def quiz_history_view(summaries: Sequence[QuizSummary], tz: tzinfo) -> RenderableType:
    """Past quizzes; start times in the user's zone `tz`, with its name."""
    from datetime import datetime

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
            local_time(datetime.fromisoformat(quiz.started), tz),
            took,
            number(quiz.answered),
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
    verdict = f"{number(run.passed)} of {plural(run.total, 'check')} passed"
    if run.timed_out:
        verdict += f" (stopped at the {run.timeout_seconds:g} s timeout)"
    elif run.stopped is not None:
        verdict += " (stopped: it started too many processes)"
    parts.append(Text(verdict + ".", style="bold green" if run.all_passed else "bold red"))
    return Group(*parts)
