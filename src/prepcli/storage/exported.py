"""A card as an export carries it and an import restores it, and the columns an import is
checked against."""

from __future__ import annotations

from typing import Any, NamedTuple


class Column(NamedTuple):
    """A column of a table, as PRAGMA table_info describes it (for import checks)."""

    name: str
    type: str  # INTEGER, REAL or TEXT
    notnull: bool
    has_default: bool


class ExportedCard(NamedTuple):
    """A card row and its review rows, as column → value (ids left out)."""

    key: str
    state: dict[str, Any]
    history: list[dict[str, Any]]
