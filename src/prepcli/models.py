"""Plain data shared by every module: deck cards, scheduling state, settings, plan runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Kind(StrEnum):
    """How a card is reviewed."""

    CONCEPT = "concept"
    BEHAVIORAL = "behavioral"
    CODING = "coding"
    DESIGN = "design"


#: Seconds on the countdown of timed kinds when a card sets no `time_limit`.
DEFAULT_TIME_LIMITS: dict[Kind, int] = {Kind.BEHAVIORAL: 120, Kind.DESIGN: 600}


@dataclass(frozen=True)
class CardDef:
    """A card as its deck file defines it (text, not progress)."""

    deck: str
    id: str
    kind: Kind
    front: str
    back: str
    path: str
    line: int
    tags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    time_limit: int | None = None
    formerly: tuple[str, ...] = ()
    source: str | None = None
    starter: str | None = None
    tests: str | None = None
    solution: str | None = None

    @property
    def key(self) -> str:
        """The card's identity everywhere outside its file: `deck/id`."""
        return f"{self.deck}/{self.id}"

    @property
    def timer_seconds(self) -> int | None:
        """The countdown for this card, or None for untimed kinds."""
        if self.time_limit is not None:
            return self.time_limit
        return DEFAULT_TIME_LIMITS.get(self.kind)


@dataclass(frozen=True)
class Deck:
    """A deck file: its metadata and cards, in file order."""

    id: str
    title: str
    description: str
    path: str
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cards: tuple[CardDef, ...] = ()
    line: int = 1  # where the deck id is written, for problems about it
    col: int = 1


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class Phase(IntEnum):
    """Where a card is in its life; 1–3 equal fsrs.State's values."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class ReviewKind(IntEnum):
    """The kind of a review-log row; the codes are Anki's revlog types."""

    LEARN = 0
    REVIEW = 1
    RELEARN = 2
    EARLY = 3
    MANUAL = 4


@dataclass(frozen=True)
class CardState:
    """A card's scheduling state as stored; times are UTC epoch milliseconds."""

    key: str
    card_id: int = 0
    phase: Phase = Phase.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due_ms: int | None = None
    due_day: int | None = None
    last_review_ms: int | None = None
    reps: int = 0
    lapses: int = 0
    suspended: bool = False
    buried_until_day: int | None = None
    leech: bool = False


@dataclass(frozen=True)
class Settings:
    """User settings; every field can be shown and changed with `prepcli config`."""

    desired_retention: float = 0.9
    learning_steps: tuple[int, ...] = (60, 600)  # seconds
    relearning_steps: tuple[int, ...] = (600,)
    maximum_interval: int = 365  # days
    new_per_day: int = 20
    reviews_per_day: int = 200
    rollover_hour: int = 4
    timezone: str = "local"
    fuzz: bool = True
    leech_threshold: int = 8
    interview_target: float = 0.95  # recall at the interview the planner aims for
    interview_capacity: int = 0  # review answers a day before the interview; 0: reviews_per_day
    interview_lead: int = 1  # days before the interview of the last session (0: that morning)
    interview_buffer: int = 4  # days before the last session without new cards


@dataclass(frozen=True)
class PlanRun:
    """A started plan: which plan, its first study day and the interview day (if known)."""

    plan_id: str
    start_day: int
    interview_day: int | None
