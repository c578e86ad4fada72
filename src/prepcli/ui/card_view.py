"""A card on screen: its front and back as the review session and `deck preview` draw them,
the keys, the session summary, and `card show`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from prepcli.core.cards import CardDef, Kind
from prepcli.core.history import Review
from prepcli.core.mathtext import render_math_in
from prepcli.core.models import CardState, Phase, Rating
from prepcli.core.textfmt import (
    RATING_NAMES,
    format_interval,
    local_minutes,
    noun,
    number,
    plural,
)
from prepcli.ui.render import (
    KIND_NAMES,
    PHASE_NAMES,
    RATING_STYLES,
    code_block,
    markdown,
    path_cell,
)

if TYPE_CHECKING:
    from datetime import tzinfo

    from prepcli.core.history import CardInfo


def card_header(card: CardDef, state: CardState, remaining: str) -> RenderableType:
    """The card's id, kind and state; with `remaining` (the session's count of cards
    left), that count at the right, never split over two lines."""
    text = Text()
    text.append(card.key, style="bold")
    text.append(f"  ·  {card.kind.value}  ·  {PHASE_NAMES[state.phase]}", style="dim")
    if state.leech:
        text.append("  ·  leech", style="bold red")
    if not remaining:
        return text
    grid = Table.grid(expand=True, padding=(0, 0, 0, 2))
    grid.add_column(ratio=1)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(text, Text(remaining, style="dim"))
    return grid


def card_front(card: CardDef, state: CardState, remaining: str = "") -> RenderableType:
    return Group(card_header(card, state, remaining), Rule(style="dim"), question(card))


def question(card: CardDef) -> RenderableType:
    """The front: the question, and a coding card's starter code."""
    parts: list[RenderableType] = [markdown(card.front)]
    if card.starter and card.kind == Kind.CODING:
        parts.append(Text("Starter:", style="dim"))
        parts.append(code_block(card.starter))
    return Group(*parts)


def card_back(card: CardDef, ticked: Collection[int] | None = None) -> RenderableType:
    """The answer side. With `ticked` (the review session), the rubric's points carry the
    keys that tick them and show which are ticked."""
    parts: list[RenderableType] = [Rule("answer", style="dim"), markdown(card.back)]
    if card.explain:
        # Set apart and dimmed: the rating judges the answer above, not this.
        parts.append(Rule("why", style="dim", characters="┄"))
        parts.append(markdown(card.explain, style="dim"))
    if card.points:
        title = "Rubric" if card.kind == Kind.DESIGN else "Checklist"
        parts.append(Text(f"{title}:", style="bold"))
        parts.extend(checklist(card, ticked))
    if card.solution:
        parts.append(Text("Reference solution:", style="bold"))
        parts.append(code_block(card.solution))
    if card.source:
        parts.append(Text(f"Source: {card.source}", style="dim"))
    return Group(*parts)


#: The keys that tick a rubric's points, in order: letters no other review key uses
#: (b bury, e edit, h hint, j/k scroll, q quit, s suspend, u undo; 1-4 rate).
POINT_KEYS = "acdfgilmnoprtvwxyz"


def checklist(card: CardDef, ticked: Collection[int] | None) -> list[Text]:
    lines = []
    for index, point in enumerate(card.points):
        text = Text("  ")
        if ticked is not None:
            key = POINT_KEYS[index] if index < len(POINT_KEYS) else " "
            text.append(f"{key} ", style="bold")
        done = ticked is not None and index in ticked
        style = "green" if done else ""
        text.append("☑ " if done else "☐ ", style=style)
        text.append(render_math_in(point), style=style)
        lines.append(text)
    return lines


def tick_summary(ticked: int, total: int, suggested: Rating | None) -> Text:
    """How much of the rubric was hit, and the rating that suggests."""
    text = Text()
    if not ticked:
        last = POINT_KEYS[min(total, len(POINT_KEYS)) - 1]
        text.append(f"Tick the points you made: a–{last}", style="dim")
        return text
    text.append(f"{ticked}/{total} points", style="bold")
    if suggested is not None:
        text.append(" · suggests ")
        text.append(
            f" {int(suggested)} {RATING_NAMES[suggested]} ",
            style=f"bold reverse {RATING_STYLES[suggested]}",
        )
    return text


def hints(card: CardDef, shown: int | None = None) -> RenderableType:
    """The card's hints: all of them (previews), or the first `shown` (the session)."""
    count = len(card.hints) if shown is None else min(shown, len(card.hints))
    lines = []
    for position, hint in enumerate(card.hints[:count], start=1):
        label = "hint" if len(card.hints) == 1 else f"hint {position}/{len(card.hints)}"
        lines.append(Text(f"{label}: {render_math_in(hint)}", style="italic"))
    return Group(*lines)


def practice_line(card: CardDef) -> Text | None:
    """Coding cards that can be practised for real say how (their tests run on your code)."""
    if card.kind != Kind.CODING or not (card.starter and card.tests):
        return None
    text = Text("Practise it for real: ", style="dim")
    text.append(f"prepcli practice {card.key}", style="bold")
    text.append(" (runs the card's tests on your code)", style="dim")
    return text


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
    label = "over time" if seconds_left < 0 else "left"
    return f"⏱  {sign}{clock_time(abs(seconds_left))} {label}"


def countdown(seconds_left: int) -> Text:
    """The countdown line: red once the time is up."""
    style = "bold red" if seconds_left < 0 else "yellow" if seconds_left < 10 else ""
    return Text(timer(seconds_left), style=style)


def time_taken(seconds: int, limit: int) -> Text:
    """After the reveal: how long the answer took, against the card's time limit."""
    text = Text(f"⏱  took {clock_time(seconds)} of {clock_time(limit)}")
    if seconds > limit:
        text.append(f" · {clock_time(seconds - limit)} over time", style="bold red")
    return text


def clock_time(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


def session_summary(
    answered: int, again: int, seconds: float, due_tomorrow: int, left_now: int, learning_later: int
) -> RenderableType:
    rate = f"{again / answered:.0%}" if answered else "—"
    minutes, secs = divmod(round(seconds), 60)
    lines = [
        Text("Session over", style="bold"),
        Text(f"  {plural(answered, 'answer')} · again rate {rate} · {minutes}m {secs:02d}s"),
        Text(f"  due tomorrow: {number(due_tomorrow)}"),
    ]
    if learning_later:
        lines.append(
            Text(
                f"  {plural(learning_later, 'learning card')} "
                f"{'comes' if learning_later == 1 else 'come'} back later today"
            )
        )
    if left_now:
        lines.append(
            Text(f"  {plural(left_now, 'card')} still due now (`prepcli review` to go on)")
        )
    return Group(*lines)


def card_info_view(info: CardInfo, now_ms: int, tz: tzinfo) -> RenderableType:
    """`card show`: the card's state, its front and back, and its history; every time in
    the user's zone (`tz`), with the zone's name."""
    state = info.state
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Card", state.key + ("" if info.card else "  (no longer in any deck)"))
    if info.card:
        grid.add_row("Kind", info.card.kind.value)
        grid.add_row("File", path_cell(f"{info.card.path}:{info.card.line}"))
    status = PHASE_NAMES[state.phase] + (" · suspended" if state.suspended else "")
    status += " · leech" if state.leech else ""
    grid.add_row("State", status)
    if state.stability is not None:
        grid.add_row("Stability", f"{state.stability:.2f} {noun(state.stability, 'day')}")
    if state.difficulty is not None:
        grid.add_row("Difficulty", f"{state.difficulty:.2f} (1–10)")
    if info.retrievability is not None:
        grid.add_row("Retrievability", f"{info.retrievability:.1%} at {local_minutes(now_ms, tz)}")
    if state.due_ms is not None and state.phase != Phase.NEW:
        grid.add_row("Due", local_minutes(state.due_ms, tz))
    grid.add_row("Reviews", f"{number(state.reps)} ({plural(state.lapses, 'lapse')})")
    parts: list[RenderableType] = [grid]
    if info.card:
        parts += [Text(""), Rule("front", style="dim"), markdown(info.card.front)]
        if info.card.starter and info.card.kind == Kind.CODING:
            parts += [Text("Starter:", style="dim"), code_block(info.card.starter)]
        parts.append(card_back(info.card))
    if info.history:
        parts.append(Text(""))
        parts.append(history_table(info.history, tz))
    return Group(*parts)


def history_table(history: Sequence[Review], tz: tzinfo) -> Table:
    table = Table(title="History", title_justify="left", box=None, header_style="bold")
    for column in ("when", "rating", "kind", "interval", "S", "D", "R before"):
        table.add_column(column)
    for review in history:
        rating = RATING_NAMES[Rating(review.rating)] if review.rating else "—"
        interval = "" if review.scheduled_days is None else format_interval(review.scheduled_days)
        stability = review.after.stability
        difficulty = review.after.difficulty
        table.add_row(
            local_minutes(review.reviewed_ms, tz),
            rating,
            KIND_NAMES[review.kind],
            interval,
            "" if stability is None else f"{stability:.2f}",
            "" if difficulty is None else f"{difficulty:.2f}",
            "" if review.r_predicted is None else f"{review.r_predicted:.0%}",
        )
    return table


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
