"""The collection on screen: settings, decks, orphaned history, fitted parameters and the
check report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from prepcli.core.textfmt import local_minutes, number, plural
from prepcli.ui.render import path_cell

if TYPE_CHECKING:
    from datetime import tzinfo

    from prepcli.app.maintenance import CheckReport, OptimizeOutcome


def settings_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table(box=None, header_style="bold")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("meaning", style="dim")
    for row in rows:
        table.add_row(*row)
    return table


def deck_table(rows: Sequence[Mapping[str, object]]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("deck", "title", "cards", "path"):
        table.add_column(column, justify="right" if column == "cards" else "left")
    for row in rows:
        cards = row["cards"]
        table.add_row(
            str(row["deck"]),
            str(row["title"]),
            number(cards) if isinstance(cards, int) else str(cards),
            path_cell(str(row["path"])),
        )
    return table


def orphans_table(rows: Sequence[tuple[str, int, int | None]], tz: tzinfo) -> Table:
    """(card key, review-log rows, last answer in epoch ms) for cards no deck defines;
    times in the user's zone `tz`."""
    table = Table(box=None, header_style="bold")
    table.add_column("card")
    table.add_column("reviews", justify="right")
    table.add_column("last answer")
    for key, reviews, last_ms in rows:
        table.add_row(key, number(reviews), "—" if last_ms is None else local_minutes(last_ms, tz))
    return table


def optimize_view(outcome: OptimizeOutcome, parameters_label: str) -> RenderableType:
    fit = outcome.fit
    parts: list[RenderableType] = [
        Text(f"Parameters in use: {parameters_label}"),
        Text(
            f"Training data: {plural(fit.items, 'review')} of {plural(fit.cards, 'card')} "
            f"({plural(fit.reviews, 'answer')} in the log)"
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
                f"{reason}: saved. {plural(outcome.recomputed, 'card')} rescheduled "
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
    grid.add_row("Replayed", f"{plural(report.cards, 'card')}, {plural(report.reviews, 'review')}")
    grid.add_row("Mismatches", number(len(report.mismatches)))
    grid.add_row("Dangling", f"{plural(len(report.dangling_reviews), 'review row')} without a card")
    grid.add_row(
        "Orphans",
        f"{number(len(report.orphans))} with history, {number(len(report.empty_orphans))} "
        "without (cards no deck defines)",
    )
    if report.out_of_range:
        grid.add_row(
            "Out of range", f"{plural(len(report.out_of_range), 'value')} no prepcli writes"
        )
    parts: list[RenderableType] = [grid]
    if report.out_of_range:
        parts += [Text(""), Text("Values out of range (removed, or replayed, by --fix)")]
        parts += [Text(f"  {message}") for message in report.out_of_range[:50]]
        if len(report.out_of_range) > 50:
            parts.append(Text(f"… and {number(len(report.out_of_range) - 50)} more (see --json)"))
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
            parts.append(Text(f"… and {number(len(report.mismatches) - 50)} more (see --json)"))
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
                f"{plural(len(report.orphans), 'card')} with history "
                f"{'is' if len(report.orphans) == 1 else 'are'} in no loaded deck; "
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
