"""Rows no prepcli could have written: found for `prepcli check`, removed by `check --fix`.

An import refuses such values (transfer.py checks against core/bounds.py); this finds the
ones already in a database — changed by hand, or imported by a prepcli that checked only
types — before they break every later command (a study day of 10¹² overflows the date
of every `today`). SQLite stores what it is given, whatever the column's type, so both the
type and the range of each value are tested. Review rows whose card is missing are
`check`'s "dangling" rows and are left to it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prepcli.core import bounds

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from prepcli.storage.store import Store

_SQL_TYPES = {True: ("integer",), False: ("integer", "real")}


@dataclass(frozen=True)
class OutOfRange:
    """One value outside what prepcli writes, and where it is."""

    table: str  # card, review or fsrs_params
    row_id: int
    card: str | None
    column: str
    value: Any
    why: str

    def __str__(self) -> str:
        where = {"card": "", "review": f"review {self.row_id}: ", "fsrs_params": ""}[self.table]
        if self.table == "fsrs_params":
            where = f"FSRS parameter set {self.row_id}: "
        subject = ""
        if self.card is not None and self.column != "key":  # a bad key is the value shown
            plain = bounds.key_problem(self.card) is None
            subject = f"{self.card if plain else ascii(self.card)}: "  # never raw bytes
        return f"{subject}{where}{self.column} = {_shown(self.value)} {self.why}"


@dataclass
class RangeReport:
    found: list[OutOfRange] = field(default_factory=list)

    @property
    def review_ids(self) -> list[int]:
        return sorted({f.row_id for f in self.found if f.table == "review"})

    @property
    def parameter_ids(self) -> list[int]:
        return sorted({f.row_id for f in self.found if f.table == "fsrs_params"})

    @property
    def bad_key_ids(self) -> list[int]:
        """Card rows whose key no deck could define: removed with their history."""
        return sorted({f.row_id for f in self.found if f.table == "card" and f.column == "key"})

    @property
    def bad_cards(self) -> list[str]:
        """Cards with a value out of range in their own row."""
        return sorted({f.card for f in self.found if f.table == "card" and f.card is not None})

    @property
    def affected(self) -> set[str]:
        """Every card a finding touches: not replayed until the finding is repaired."""
        return {f.card for f in self.found if f.card is not None}


def find(store: Store, parameter_bounds: Sequence[tuple[float, float]]) -> RangeReport:
    """Every out-of-range value in the card, review and fsrs_params tables."""
    report = RangeReport()
    db = store.db
    for card_id, key in db.execute("SELECT id, key FROM card"):
        why = bounds.key_problem(key) if isinstance(key, str) else "card key is not text"
        if why is not None:
            report.found.append(OutOfRange("card", card_id, _text(key), "key", key, f"({why})"))
    names = list(bounds.CARD)
    rows = db.execute(
        f"SELECT id, key, {', '.join(names)} FROM card WHERE {_any_outside(bounds.CARD)}"
    )
    for card_id, key, *values in rows:
        report.found += _findings("card", card_id, _text(key), names, values, bounds.CARD)
    names = list(bounds.REVIEW)
    rows = db.execute(
        f"SELECT review.id, card.key, {', '.join(names)} FROM review "
        f"JOIN card ON card.id = review.card_id WHERE {_any_outside(bounds.REVIEW)}"
    )
    for review_id, key, *values in rows:
        report.found += _findings("review", review_id, _text(key), names, values, bounds.REVIEW)
    for row in db.execute(
        "SELECT id, params, created_ms, n_items, log_loss, rmse_bins FROM fsrs_params"
    ):
        report.found += _parameter_findings(row, parameter_bounds)
    return report


def valid_parameters(store: Store, report: RangeReport) -> tuple[float, ...] | None:
    """The newest parameter set that is in range (what stays in use once the bad ones are
    removed), or None for the defaults."""
    bad = set(report.parameter_ids)
    for row_id, params in store.db.execute("SELECT id, params FROM fsrs_params ORDER BY id DESC"):
        if row_id not in bad:
            return tuple(float(w) for w in json.loads(params))
    return None


def remove(store: Store, report: RangeReport) -> None:
    """Inside Store.transaction(): delete the out-of-range review rows, the cards with a key
    no deck defines (and their rows), and the bad parameter sets; the caller then replays
    or resets the affected cards (see maintenance.check)."""
    db = store.db
    db.executemany("DELETE FROM review WHERE id = ?", [(i,) for i in report.review_ids])
    for card_id in report.bad_key_ids:
        db.execute("DELETE FROM review WHERE card_id = ?", (card_id,))
        db.execute("DELETE FROM card WHERE id = ?", (card_id,))
    db.executemany("DELETE FROM fsrs_params WHERE id = ?", [(i,) for i in report.parameter_ids])


def reset_flags(store: Store, key: str) -> None:
    """Inside Store.transaction(): a card's flags (not in its history) back in range."""
    store.db.execute(
        "UPDATE card SET suspended = (suspended IS NOT 0 AND suspended IS NOT NULL), "
        "leech = (leech IS NOT 0 AND leech IS NOT NULL), buried_until_day = CASE "
        f"WHEN typeof(buried_until_day) = 'integer' AND {_between('buried_until_day', bounds.DAY)} "
        "THEN buried_until_day END WHERE key = ?",
        (key,),
    )


def delete_card(store: Store, key: str) -> None:
    """Inside Store.transaction(): remove a card row that has no history."""
    store.db.execute(
        "DELETE FROM card WHERE key = ? AND NOT EXISTS "
        "(SELECT 1 FROM review WHERE review.card_id = card.id)",
        (key,),
    )


# --- the tests, in SQL and in Python ---------------------------------------------------


def _between(column: str, bound: bounds.Bound) -> str:
    return f"{column} BETWEEN {bound.low!r} AND {bound.high!r}"


def _outside(column: str, bound: bounds.Bound) -> str:
    if bound.text:
        test = f"NOT (typeof({column}) = 'text' AND length({column}) <= {int(bound.high)})"
    else:
        types = ", ".join(f"'{t}'" for t in _SQL_TYPES[bound.whole])
        test = f"NOT (typeof({column}) IN ({types}) AND {_between(column, bound)})"
    return f"({column} IS NOT NULL AND {test})" if bound.nullable else f"({test})"


def _any_outside(columns: Mapping[str, bounds.Bound]) -> str:
    return " OR ".join(_outside(name, bound) for name, bound in columns.items())


def _findings(
    table: str,
    row_id: int,
    card: str | None,
    names: list[str],
    values: list[Any],
    columns: Mapping[str, bounds.Bound],
) -> list[OutOfRange]:
    found = []
    for name, value in zip(names, values, strict=True):
        why = _problem(columns[name], value)
        if why is not None:
            found.append(OutOfRange(table, row_id, card, name, value, why))
    return found


def _problem(bound: bounds.Bound, value: Any) -> str | None:
    if value is None:
        return None if bound.nullable else "cannot be null"
    if bound.text:
        return None if isinstance(value, str) else "must be text"
    if isinstance(value, str | bytes) or (bound.whole and not isinstance(value, int)):
        return "must be a whole number" if bound.whole else "must be a number"
    return bound.problem(value)


def _parameter_findings(
    row: tuple[Any, ...], parameter_bounds: Sequence[tuple[float, float]]
) -> list[OutOfRange]:
    row_id, params, *numbers = row
    found = []
    try:
        weights = json.loads(params) if isinstance(params, str) else None
    except ValueError:
        weights = None
    if (
        not isinstance(weights, list)
        or len(weights) != len(parameter_bounds)
        or not all(isinstance(w, int | float) and not isinstance(w, bool) for w in weights)
    ):
        why = f"is not a list of {len(parameter_bounds)} numbers"
        return [OutOfRange("fsrs_params", row_id, None, "params", params, why)]
    outside = [
        f"w[{number}] = {weight!r} (bounds {low:g} to {high:g})"
        for number, (weight, (low, high)) in enumerate(zip(weights, parameter_bounds, strict=True))
        if not math.isfinite(weight) or not low <= round(float(weight), 6) <= high
    ]
    if outside:
        why = f"has {len(outside)} outside FSRS's bounds: {', '.join(outside[:2])}"
        why += ", …" if len(outside) > 2 else ""
        found.append(OutOfRange("fsrs_params", row_id, None, "params", params, why))
    for name, value in zip(
        ("created_ms", "n_items", "log_loss", "rmse_bins"), numbers, strict=True
    ):
        problem = _problem(bounds.PARAMETER_SET[name], value)
        if problem is not None:
            found.append(OutOfRange("fsrs_params", row_id, None, name, value, problem))
    return found


def _text(key: Any) -> str | None:
    return key if isinstance(key, str) else None


def _shown(value: Any) -> str:
    text = ascii(value) if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "…"
