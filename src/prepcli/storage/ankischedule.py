"""prepcli's schedule in Anki's terms: a card's state as the scheduling columns of an Anki
card row, its review log as Anki revlog rows (the .apkg writer is ankiexport.py).

Anki keeps a review card's due date as a day number counted from its collection's creation
day, and on import moves it by the number of days between the package's collection and the
one it lands in. The package's collection is therefore described exactly (created on
`CREATED`, in UTC, with Anki's default 04:00 day start), and a due day is written as the
days from `CREATED` to the card's due date: after the import the card is due on the same
calendar day as in prepcli. Learning cards keep their due time in epoch seconds, which
Anki never moves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.models import CardState, Phase, ReviewKind

if TYPE_CHECKING:
    from prepcli.core.clock import StudyCalendar
    from prepcli.core.history import Review

#: The creation day of genanki's collection (its `crt` is 2014-09-19 11:00 UTC).
CREATED = date(2014, 9, 19)
#: Anki's default start of day. The package's collection and the user's must share one
#: for the import to shift due days exactly; 4 is what a new Anki profile uses.
ANKI_ROLLOVER = 4
#: The collection settings that make the package's day numbers mean what we write.
COLLECTION_CONFIG = {"schedVer": 2, "rollover": ANKI_ROLLOVER, "creationOffset": 0}
#: Anki's starting ease (250%), used by its SM-2 scheduler when FSRS is off.
STARTING_EASE = 2500

# Anki's codes (rslib/src/card/mod.rs: CardType, CardQueue).
TYPE_NEW, TYPE_LEARN, TYPE_REVIEW, TYPE_RELEARN = 0, 1, 2, 3
QUEUE_SUSPENDED, QUEUE_NEW, QUEUE_LEARN, QUEUE_REVIEW, QUEUE_DAY_LEARN = -1, 0, 1, 2, 3
_TYPES = {
    Phase.NEW: TYPE_NEW,
    Phase.LEARNING: TYPE_LEARN,
    Phase.REVIEW: TYPE_REVIEW,
    Phase.RELEARNING: TYPE_RELEARN,
}


class Schedule(NamedTuple):
    """What the export carries besides the notes: every card's state and review log."""

    states: Mapping[str, CardState]
    histories: Mapping[str, Sequence[Review]]
    calendar: StudyCalendar
    desired_retention: float
    decay: float  # FSRS-6's w20, which Anki keeps on each card beside its memory state
    learning_steps: tuple[int, ...]
    relearning_steps: tuple[int, ...]


class AnkiCard(NamedTuple):
    """The scheduling columns of one row of Anki's `cards` table."""

    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int
    left: int
    data: str


class AnkiReview(NamedTuple):
    """One row of Anki's `revlog` table (without the card id and usn)."""

    id: int
    ease: int
    ivl: int
    last_ivl: int
    factor: int
    time: int
    type: int


@dataclass
class ReviewIds:
    """Revlog ids are the review's epoch milliseconds and must be unique in a collection
    (Anki skips a row whose id is taken): two answers in one millisecond get the next free
    one."""

    taken: set[int] = field(default_factory=set)

    def claim(self, ms: int) -> int:
        while ms in self.taken:
            ms += 1
        self.taken.add(ms)
        return ms


def anki_day(day: int) -> int:
    """A study day (a date's ordinal) as a day number of the package's collection."""
    return day - CREATED.toordinal()


def anki_card(state: CardState, schedule: Schedule, new_position: int) -> AnkiCard:
    """A card's state as Anki stores it; `new_position` orders new cards as prepcli would."""
    kind = _TYPES[state.phase]
    if state.phase == Phase.NEW:
        queue, due, ivl, factor, left = QUEUE_NEW, new_position, 0, 0, 0
    elif state.phase == Phase.REVIEW:
        queue, due, factor, left = QUEUE_REVIEW, anki_day(state.due_day or 0), STARTING_EASE, 0
        ivl = _review_interval(state, schedule.calendar)
    else:
        steps = (
            schedule.learning_steps if state.phase == Phase.LEARNING else schedule.relearning_steps
        )
        queue, due = _learning_due(state, schedule.calendar)
        # Anki counts the steps still to go; prepcli the index of the current one.
        left = max(len(steps) - (state.step or 0), 1)
        ivl = 0 if state.phase == Phase.LEARNING else 1  # a relearning card's next interval
        factor = STARTING_EASE
    if state.suspended:
        queue = QUEUE_SUSPENDED
    return AnkiCard(
        type=kind,
        queue=queue,
        due=due,
        ivl=ivl,
        factor=factor,
        reps=state.reps,
        lapses=state.lapses,
        left=left,
        data=_memory_data(state, schedule),
    )


def anki_reviews(
    history: Sequence[Review], calendar: StudyCalendar, ids: ReviewIds
) -> Iterator[AnkiReview]:
    """One revlog row per prepcli review-log row: the rating as Anki's ease (0 for a manual
    change such as `forget`), the interval after and before it (days, or negative seconds
    while learning), the difficulty in Anki's FSRS revlog form, and the kind's code (prepcli
    stores Anki's)."""
    for review in history:
        after = review.after
        factor = 0 if after.difficulty is None else _revlog_difficulty(after.difficulty)
        yield AnkiReview(
            id=ids.claim(review.reviewed_ms),
            ease=review.rating,
            ivl=_interval_after(review),
            last_ivl=_interval_before(review, calendar),
            factor=factor,
            time=max(review.duration_ms or 0, 0),
            type=int(ReviewKind(review.kind)),
        )


def collection_config(stored: str) -> str:
    """genanki's collection settings with ours laid over them."""
    config = json.loads(stored)
    config.update(COLLECTION_CONFIG)
    return json.dumps(config)


# --- helpers ----------------------------------------------------------------------------


def _review_interval(state: CardState, calendar: StudyCalendar) -> int:
    if state.due_day is None or state.last_review_ms is None:
        return 1
    return max(state.due_day - calendar.day_of_ms(state.last_review_ms), 1)


def _learning_due(state: CardState, calendar: StudyCalendar) -> tuple[int, int]:
    """A step within a day is due at its second; a step that ends on a later study day
    than the answer is due on that day, in Anki's day-learning queue."""
    due_ms = state.due_ms or 0
    last_ms, due_day = state.last_review_ms, state.due_day
    if last_ms is not None and due_day is not None and due_day > calendar.day_of_ms(last_ms):
        return QUEUE_DAY_LEARN, anki_day(due_day)
    return QUEUE_LEARN, due_ms // 1000


def _memory_data(state: CardState, schedule: Schedule) -> str:
    """Anki's card `data` JSON: FSRS stability and difficulty, desired retention, decay and
    the last review's time (what Anki's FSRS reads to go on from here)."""
    if state.stability is None or state.difficulty is None:
        return ""
    data: dict[str, float | int] = {
        "s": round(state.stability, 4),
        "d": round(state.difficulty, 3),  # as Anki keeps it
        "dr": schedule.desired_retention,
        "decay": round(schedule.decay, 4),
    }
    if state.last_review_ms is not None:
        data["lrt"] = state.last_review_ms // 1000
    return json.dumps(data, separators=(",", ":"))


def _revlog_difficulty(difficulty: float) -> int:
    # Anki's FSRS revlog keeps difficulty 1–10 as 100–1100 (FsrsMemoryState's
    # difficulty_shifted × 1000, truncated).
    return int(((difficulty - 1.0) / 9.0 + 0.1) * 1000)


def _interval_after(review: Review) -> int:
    after = review.after
    if after.phase == Phase.REVIEW and after.due_day is not None:
        return max(after.due_day - review.study_day, 1)
    if after.phase in (Phase.LEARNING, Phase.RELEARNING) and after.due_ms is not None:
        return -max((after.due_ms - review.reviewed_ms) // 1000, 1)
    return 0


def _interval_before(review: Review, calendar: StudyCalendar) -> int:
    before = review.before
    if before.last_review_ms is None:
        return 0
    if before.phase == Phase.REVIEW:
        return _review_interval(before, calendar)
    if before.phase in (Phase.LEARNING, Phase.RELEARNING) and before.due_ms is not None:
        return -max((before.due_ms - before.last_review_ms) // 1000, 1)
    return 0
