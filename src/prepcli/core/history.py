"""The review log as records: a row read back, what an answer writes to it, and a card
with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.models import CardState, ReviewKind

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef


class Review(NamedTuple):
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


class AnswerContext(NamedTuple):
    """Where and when an answer happened, for its review-log row."""

    reviewed_ms: int
    study_day: int
    tz_offset_min: int
    duration_ms: int | None
    desired_retention: float


class LoggedChange(NamedTuple):
    """A state change to write: the new state plus its review-log facts."""

    after: CardState
    rating: int
    kind: ReviewKind
    elapsed_days: float | None = None
    scheduled_days: float | None = None
    r_predicted: float | None = None
    reason: str | None = None  # why it happened, e.g. 'interview' for a planned early review


class CardInfo(NamedTuple):
    """A card with its state and review history (`prepcli card info`)."""

    card: CardDef | None
    state: CardState
    retrievability: float | None
    history: list[Review]
