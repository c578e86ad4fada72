"""How events from several devices combine: a card's answers replayed in time order with
the scheduler, and last-writer-wins for flags, plan ticks and settings.

Merging is a function of the set of events alone, never of the order they arrived in:
a card's state is its live answers (neither undone nor duplicates) replayed in time order
(ties broken by event id), or, when the events' own states are known to equal that
replay, those states as they are (app/synccards.py). Every other value is the one of its
latest event, by time and then id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from prepcli.core import syncevents
from prepcli.core.clock import StudyCalendar, from_ms, zone_named
from prepcli.core.models import CardState, Phase, Rating, ReviewKind, Settings

if TYPE_CHECKING:
    from prepcli.core.scheduler import Scheduler

#: Settings that shape a card's schedule when it is replayed. Desired retention is not
#: among them: each answer carries the one it was given with. A change of any of these
#: (or of the FSRS parameters) replays every card on every device, so that all agree.
RULES = (
    "learning_steps",
    "relearning_steps",
    "maximum_interval",
    "fuzz",
    "leech_threshold",
    "timezone",
    "rollover_hour",
)
#: Settings that belong to one device and are never synced.
LOCAL_SETTINGS = frozenset({"sync_dir", "durability"})


class Rules:
    """The scheduling rules in force: settings, calendar and FSRS parameters, and the
    scheduler for each desired retention an answer was given with."""

    def __init__(self, settings: Settings, parameters: tuple[float, ...] | None) -> None:
        self.settings = settings
        self.parameters = parameters
        self.calendar = StudyCalendar(zone_named(settings.timezone), settings.rollover_hour)
        self._schedulers: dict[float, Scheduler] = {}

    @property
    def fingerprint(self) -> int:
        from prepcli.core.scheduler import Scheduler

        chosen = self.parameters or Scheduler.default_parameters()
        return syncevents.fingerprint(
            [[name, getattr(self.settings, name)] for name in RULES] + [list(chosen)]
        )

    def scheduler(self, retention: float | None) -> Scheduler:
        """The scheduler the app uses (core/scheduler.py), with the desired retention the
        answer had (the setting's when the log has none)."""
        from prepcli.core.scheduler import Scheduler

        wanted = self.settings.desired_retention if retention is None else retention
        found = self._schedulers.get(wanted)
        if found is None:
            settings = self.settings._replace(desired_retention=wanted)
            found = Scheduler(settings, self.calendar, parameters=self.parameters)
            self._schedulers[wanted] = found
        return found


class Logged(NamedTuple):
    """One answer or forget of a card, as replay needs it."""

    event: str
    at_ms: int
    rating: int  # 0: a forget
    study_day: int
    tz_offset_min: int
    duration_ms: int | None
    desired_retention: float | None
    reason: str | None
    #: The state the answering device wrote (snapshot order) and the interval it logged:
    #: its due day may be the load balancer's choice within the fuzz range.
    after: tuple[Any, ...] | None = None
    scheduled_days: float | None = None


class Replayed(NamedTuple):
    """A review row as replay makes it."""

    logged: Logged
    before: tuple[Any, ...]
    after: tuple[Any, ...]
    kind: int
    elapsed_days: float | None
    scheduled_days: float | None
    r_predicted: float | None


#: Snapshot positions of what an answer decides apart from the due date: phase, step,
#: stability, difficulty, last review, reps, lapses, leech.
_MEMORY = (0, 1, 2, 3, 6, 7, 8, 9)


def _same_memory(replayed: tuple[Any, ...], logged: tuple[Any, ...]) -> bool:
    return len(logged) == len(replayed) and all(replayed[i] == logged[i] for i in _MEMORY)


def snapshot(state: CardState) -> tuple[Any, ...]:
    return (
        int(state.phase),
        state.step,
        state.stability,
        state.difficulty,
        state.due_ms,
        state.due_day,
        state.last_review_ms,
        state.reps,
        state.lapses,
        int(state.leech),
    )


def state_of(key: str, values: Sequence[Any]) -> CardState:
    phase, step, stability, difficulty, due_ms, due_day, last_ms, reps, lapses, leech = values
    return CardState(
        key=key,
        phase=Phase(phase),
        step=step,
        stability=stability,
        difficulty=difficulty,
        due_ms=due_ms,
        due_day=due_day,
        last_review_ms=last_ms,
        reps=reps,
        lapses=lapses,
        leech=bool(leech),
    )


NEW_STATE = snapshot(CardState(key=""))


def order(logged: Iterable[Logged]) -> tuple[list[Logged], list[str]]:
    """Live answers in time order, and the ids of duplicates left out: the same answer
    (card, instant, rating) logged by two devices, as after an export and import, counts
    once, as the event with the smallest id."""
    ordered = sorted(logged, key=lambda item: (item.at_ms, item.event))
    kept: list[Logged] = []
    duplicates: list[str] = []
    for item in ordered:
        if kept and (kept[-1].at_ms, kept[-1].rating) == (item.at_ms, item.rating):
            duplicates.append(item.event)  # sorted by id within an instant: the first stays
            continue
        kept.append(item)
    return kept, duplicates


def replay(key: str, ordered: Sequence[Logged], rules: Rules) -> list[Replayed]:
    """Each answer's row, re-derived in order as the app derives it when answering:
    the same scheduler step (Scheduler.answer), the same fresh state for a forget."""
    state = CardState(key=key)
    rows = []
    for item in ordered:
        if item.rating == 0:
            after = CardState(key=key)
            kind, elapsed, scheduled, predicted = int(ReviewKind.MANUAL), None, None, None
        else:
            scheduler = rules.scheduler(item.desired_retention)
            outcome = scheduler.answer(state, Rating(item.rating), from_ms(item.at_ms))
            after = outcome.after._replace(last_review_ms=item.at_ms)
            kind = int(outcome.kind)
            elapsed, scheduled = outcome.elapsed_days, outcome.scheduled_days
            predicted = outcome.r_predicted
            if item.after is not None and _same_memory(snapshot(after), item.after):
                # The device balanced the load within the fuzz range, which depends on its
                # other cards: keep its day, as long as the memory it chose it for is this.
                after = after._replace(due_ms=item.after[4], due_day=item.after[5])
                scheduled = item.scheduled_days
        rows.append(
            Replayed(item, snapshot(state), snapshot(after), kind, elapsed, scheduled, predicted)
        )
        state = after
    return rows


# --- last writer wins ----------------------------------------------------------------------


class Change(NamedTuple):
    """One event's value for something decided by the last writer."""

    event: str
    device: str
    at_ms: int
    value: Any


class Decision(NamedTuple):
    """A value two devices set differently: the later one holds."""

    subject: str
    kept: Change
    over: Change


def winner(changes: Iterable[Change]) -> Change | None:
    return max(changes, key=lambda c: (c.at_ms, c.event), default=None)


def decision(subject: str, changes: Sequence[Change]) -> Decision | None:
    """The winner over the latest change from another device with another value, if any."""
    kept = winner(changes)
    if kept is None:
        return None
    over = winner(c for c in changes if c.device != kept.device and c.value != kept.value)
    return None if over is None else Decision(subject, kept, over)


def flags(
    suspends: Iterable[Change], buries: Iterable[Change], last_answer_ms: int | None
) -> tuple[bool, int | None]:
    """A card's (suspended, buried until day): each its latest event's value; an answer
    given after the bury ends it (as answering a buried card does)."""
    suspended = winner(suspends)
    buried = winner(buries)
    until = None
    if (
        buried is not None
        and buried.value is not None
        and (last_answer_ms is None or buried.at_ms > last_answer_ms)
    ):
        until = syncevents.day_of(buried.value)
    return (bool(suspended.value) if suspended is not None else False), until
