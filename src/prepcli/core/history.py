"""The logs as records: review-log rows read back, what an answer writes to the log, the
log reduced for the statistics, mock quizzes, fitted FSRS parameters, a card with its
history, and the rows of an export.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from prepcli.core.models import CardState, ReviewKind

if TYPE_CHECKING:
    from typing import Any

    from prepcli.core.cards import CardDef


@dataclass(frozen=True)
class Review:
    """One row of the append-only review log, with the card before and after it."""

    id: int
    card_key: str
    reviewed_ms: int
    study_day: int
    tz_offset_min: int
    rating: int  # 1–4, or 0 for a manual change such as `forget`
    kind: ReviewKind
    duration_ms: int | None
    elapsed_days: float | None
    scheduled_days: float | None
    r_predicted: float | None
    before: CardState
    after: CardState


@dataclass(frozen=True)
class AnswerContext:
    """Where and when an answer happened, for its review-log row."""

    reviewed_ms: int
    study_day: int
    tz_offset_min: int
    duration_ms: int | None
    desired_retention: float


@dataclass(frozen=True)
class LoggedChange:
    """A state change to write: the new state plus its review-log facts."""

    after: CardState
    rating: int
    kind: ReviewKind
    elapsed_days: float | None = None
    scheduled_days: float | None = None
    r_predicted: float | None = None
    reason: str | None = None  # why it happened, e.g. 'interview' for a planned early review


@dataclass(frozen=True)
class LogFacts:
    """The review log reduced in SQL to what the statistics need (see stats.py).

    days: (study day, answers, milliseconds answering) for every day with answers.
    overdue_spans: [from, to) study days a card sat due before its next answer came.
    retention: (study day, mature, passed, reviews) for Anki's true-retention reviews.
    calibration: (bin, reviews, sum of predicted recall, passed) for interday reviews.
    answer_seconds: (whole seconds taken, answers), seconds capped at one hour.
    """

    days: tuple[tuple[int, int, int], ...] = ()
    overdue_spans: tuple[tuple[int, int], ...] = ()
    retention: tuple[tuple[int, bool, bool, int], ...] = ()
    calibration: tuple[tuple[int, int, float, int], ...] = ()
    answer_seconds: tuple[tuple[int, int], ...] = ()


class QuizMark(IntEnum):
    """How a mock-quiz answer was marked; the stored codes."""

    WRONG = 0
    PARTLY = 1
    RIGHT = 2


@dataclass(frozen=True)
class QuizAnswer:
    card_key: str
    mark: QuizMark
    answered_ms: int
    duration_ms: int | None = None


@dataclass(frozen=True)
class QuizRecord:
    """A mock quiz as stored: `selection` is the JSON of how its questions were drawn."""

    id: int
    started_ms: int
    finished_ms: int | None
    minutes: int
    selection: str
    answers: tuple[QuizAnswer, ...] = ()


@dataclass(frozen=True)
class ParameterSet:
    """One row of fsrs_params: FSRS parameters and how well they fitted when saved."""

    params: tuple[float, ...]
    created_ms: int
    n_items: int
    log_loss: float | None
    rmse_bins: float | None
    source: str  # 'optimize' or 'reset'


@dataclass(frozen=True)
class Column:
    """A column of a table, as PRAGMA table_info describes it (for import checks)."""

    name: str
    type: str  # INTEGER, REAL or TEXT
    notnull: bool
    has_default: bool


@dataclass(frozen=True)
class ExportedCard:
    """A card row and its review rows, as column → value (ids left out)."""

    key: str
    state: dict[str, Any]
    history: list[dict[str, Any]]


@dataclass(frozen=True)
class CardInfo:
    """A card with its state and review history (`prepcli card info`)."""

    card: CardDef | None
    state: CardState
    retrievability: float | None
    history: list[Review]
