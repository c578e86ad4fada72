"""Counts gathered by the reliability tests and printed at the end of the run."""

from __future__ import annotations

FIGURES: dict[str, int] = {}


def add(name: str, amount: int = 1) -> None:
    FIGURES[name] = FIGURES.get(name, 0) + amount
