"""The load on the days ahead, for the scheduler's load balancer (core/loadbalance.py).

Read once per Study (one walk of an index range: the review cards due on each of the next
99 days), then kept up to date with this Study's own answers, as Anki's LoadBalancer
adds each answered card to its day: a review session does not read it again after every
answer. An answer given meanwhile in another terminal is not counted until the next
command; the balancer only ever chooses within the fuzz range, so that costs nothing
but a little evenness. The preview of a card's intervals and its answer read the same
counts, so the interval shown on a key is the interval given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepcli.app.daysoff import days_off
from prepcli.core.loadbalance import LOAD_DAYS, DayLoads
from prepcli.core.models import CardState, Phase, Settings
from prepcli.storage import dayload

if TYPE_CHECKING:
    from prepcli.storage.store import Store


class LoadBalance:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._today: int | None = None
        self._due: dict[int, int] = {}
        self._off: frozenset[int] | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.load_balance and self.settings.fuzz

    def loads_for(self, state: CardState, today: int) -> DayLoads | None:
        """The days ahead as the balancer sees them for this card (which is not counted on
        its own due day: it is leaving it), or None when balancing is off."""
        if not self.enabled:
            return None
        if self._today != today:
            self._due = dayload.review_load(self.store, today + 1, today + LOAD_DAYS)
            self._today = today
        if self._off is None:
            self._off = days_off(self.store, self.settings)
        due = self._due
        if _counted(state) and due.get(state.due_day or 0, 0) > 0:
            due = dict(due)
            due[state.due_day or 0] -= 1
        return DayLoads(
            today=today,
            due=due,
            easy_days=frozenset(self.settings.easy_days),
            easy_share=self.settings.easy_day_share,
            rest_days=self._off,
        )

    def moved(self, before: CardState, after: CardState) -> None:
        """Count an answer: the card leaves its old due day and joins its new one."""
        if self._today is None:
            return
        if _counted(before) and self._due.get(before.due_day or 0, 0) > 0:
            self._due[before.due_day or 0] -= 1
        day = after.due_day
        if _counted(after) and day is not None and self._today < day <= self._today + LOAD_DAYS:
            self._due[day] = self._due.get(day, 0) + 1


def _counted(state: CardState) -> bool:
    return state.phase == Phase.REVIEW and not state.suspended and state.due_day is not None
