"""Study plans as records: a plan is a list of weeks, each naming the cards it introduces
(by deck and/or tag) and the tasks that are not cards. files/plan.py reads them from YAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.runway import DAYS_PER_WEEK

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef


class Selector(NamedTuple):
    """Which cards a week introduces: one deck (or any), optionally narrowed by tags."""

    deck: str | None
    tags: tuple[str, ...] = ()

    def matches(self, card: CardDef, deck_tags: tuple[str, ...]) -> bool:
        if self.deck is not None and card.deck != self.deck:
            return False
        return not self.tags or bool(set(self.tags) & (set(card.tags) | set(deck_tags)))


class Task(NamedTuple):
    """A non-card task of a plan week (e.g. a mock system-design round)."""

    id: str
    title: str
    week: int


class Week(NamedTuple):
    """One week of a plan: its cards to introduce and its tasks."""

    number: int
    title: str
    focus: str
    introduce: tuple[Selector, ...]
    tasks: tuple[Task, ...]


class Plan(NamedTuple):
    """A study plan as its YAML file defines it."""

    id: str
    title: str
    description: str
    path: str
    weeks: tuple[Week, ...]

    @property
    def days(self) -> int:
        return len(self.weeks) * DAYS_PER_WEEK

    def task(self, task_id: str) -> Task | None:
        return next((t for w in self.weeks for t in w.tasks if t.id == task_id), None)
