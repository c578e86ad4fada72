"""Plain data shared by every module: scheduling state, ratings, settings, plan runs.

The cards as deck files define them are in decks.py, with their loader."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any


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


class CardState(NamedTuple):
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


class Settings(NamedTuple):
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
    # The interview planner (core/interview.py): the recall on the interview day a review
    # must buy, its retention before a card's last review, and the share of each day its
    # final reviews leave free (research and figures: README, "The interview date").
    interview_price: float = 0.016
    interview_retention: float = 0.85
    interview_headroom: float = 0.2
    interview_capacity: int = 0  # review answers a day before the interview; 0: reviews_per_day
    interview_lead: int = 1  # days before the interview of the last session (0: that morning)
    interview_buffer: int = 4  # days before the last session without new cards
    durability: str = "full"  # "full": each answer synced to disk (as Anki); "normal": faster
    sync_dir: str = ""  # the folder `prepcli sync` and `prepcli review` sync through ("": none)
    # Days off and lighter days (core/daysoff.py, core/loadbalance.py).
    load_balance: bool = True  # review due days drawn toward the lighter days (Anki 24.11)
    easy_days: tuple[int, ...] = ()  # weekdays with a lighter load, 0 for Monday
    easy_day_share: float = 0.5  # an easy day's share of an ordinary day's reviews
    rest_days: tuple[int, ...] = ()  # study days off (date ordinals): nothing asked on them


#: What a new user starts with (a record's class attribute is not its default value).
DEFAULT_SETTINGS = Settings()


def settings_from(stored: Mapping[str, Any]) -> Settings:
    """Build Settings from stored values; unknown or malformed entries fall back to defaults."""
    defaults = DEFAULT_SETTINGS
    changes: dict[str, Any] = {}
    for name in Settings._fields:
        if name not in stored:
            continue
        value = stored[name]
        default = getattr(defaults, name)
        if isinstance(default, tuple):
            if isinstance(value, list) and all(isinstance(v, int) for v in value):
                changes[name] = tuple(value)
        elif type(value) is type(default) or (
            isinstance(default, float) and isinstance(value, int)
        ):
            changes[name] = value
    return defaults._replace(**changes)


class PlanRun(NamedTuple):
    """A started plan: which plan, its first study day and the interview day (if known)."""

    plan_id: str
    start_day: int
    interview_day: int | None


class ParameterSet(NamedTuple):
    """One row of fsrs_params: FSRS parameters and how well they fitted when saved."""

    params: tuple[float, ...]
    created_ms: int
    n_items: int
    log_loss: float | None
    rmse_bins: float | None
    source: str  # 'optimize' or 'reset'
