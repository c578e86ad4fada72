"""The card and review tables' columns, their rows read back as records, and the SQL
pieces several reads share (a key's deck, recall by the forgetting curve, sums per deck)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prepcli.core.forgetting import DAY_MS
from prepcli.core.models import CardState, Phase, ReviewKind

if TYPE_CHECKING:
    from prepcli.core.history import Review


STATE_FIELDS = (
    "phase",
    "step",
    "stability",
    "difficulty",
    "due_ms",
    "due_day",
    "last_review_ms",
    "reps",
    "lapses",
    "leech",
)
CARD_COLUMNS = "key, id, " + ", ".join(STATE_FIELDS) + ", suspended, buried_until_day"
REVIEW_COLUMNS = (
    "review.id, card.key, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, "
    "elapsed_days, scheduled_days, r_predicted, "
    + ", ".join(f"b_{f}" for f in STATE_FIELDS)
    + ", "
    + ", ".join(f"a_{f}" for f in STATE_FIELDS)
)


VISIBLE = (
    "NOT suspended AND coalesce(buried_until_day, 0) <= :today"  # neither suspended nor buried
)
STUDIED = f"{int(Phase.LEARNING)}, {int(Phase.REVIEW)}, {int(Phase.RELEARNING)}"  # not new
#: The setting row that holds the newest review id an import wrote (not a user setting).
IMPORTED_UP_TO = "(imported up to review id)"
KEY_SEPARATOR = "\n"  # never in a deck's card key (ids are slugs); see Store._concat_keys
DECK_OF_KEY = "substr(key, 1, instr(key, '/') - 1)"  # a key is deck/id
#: A card's predicted recall at :instant by the forgetting curve R = (1 + factor · days / S)
#: ^ decay from its last review: core/forgetting.py's arithmetic in the same order (SQLite's
#: pow() and Python's ** are both C's pow), with the values of `recall_params`.
RECALL_AT = "pow(1 + :factor * max((:instant - last_review_ms) / :day_ms, 0.0) / stability, :decay)"


def sums_by_deck(
    db: sqlite3.Connection,
    decks: Sequence[str],
    sums: str,
    where: str,
    params: dict[str, Any],
    leaving_out: Collection[str] = (),
) -> dict[str, list[Any]]:
    """Deck → the `sums` (SQL aggregates) over its cards that `where` holds for, minus
    their values over the `leaving_out` keys (few: the cards no longer in the decks).

    A deck's cards are a range of the key index — every key of deck d lies between "d/"
    and "d0", "0" being the character after "/" — so each deck is one range read, and
    nothing is sorted to group the rows (GROUP BY on the key's deck part sorts them all)."""
    found = {}
    for deck in decks:
        bounds = {"low": deck + "/", "high": deck + "0"}
        query = f"SELECT {sums} FROM card WHERE key >= :low AND key < :high AND ({where})"
        found[deck] = list(db.execute(query, params | bounds).fetchone())
    for among, chosen in key_chunks(leaving_out):
        query = f"SELECT {DECK_OF_KEY}, {sums} FROM card WHERE {among} AND ({where}) GROUP BY 1"
        for deck, *parts in db.execute(query, params | chosen):
            if deck in found:
                found[deck] = [total - part for total, part in zip(found[deck], parts, strict=True)]
    return found


def recall_params(instant_ms: int, factor: float, decay: float) -> dict[str, Any]:
    """RECALL_AT's values for a curve's `factor` and `decay` at `instant_ms`."""
    return {
        "factor": factor,
        "decay": decay,
        "instant": instant_ms,
        "day_ms": float(DAY_MS),  # a float: SQLite then divides as Python's `/` does
    }


def deck_filter(decks: tuple[str, ...]) -> tuple[str, list[Any]]:
    """An SQL condition on review.card_id for cards under the deck ids or prefixes."""
    if not decks:
        return "", []
    tests = " OR ".join("substr(key, 1, ?) IN (?, ?)" for _ in decks)
    params: list[Any] = []
    for deck in decks:
        params += [len(deck) + 1, deck + "/", deck + "."]
    return f" AND card_id IN (SELECT id FROM card WHERE {tests})", params


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


def state_from_fields(key: str, card_id: int, values: tuple[Any, ...], **extra: Any) -> CardState:
    phase, step, stability, difficulty, due_ms, due_day, last_ms, reps, lapses, leech = values
    return CardState(
        key=key,
        card_id=card_id,
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
        **extra,
    )


PHASES = tuple(Phase)


def key_chunks(keys: Collection[str], size: int = 500) -> Iterator[tuple[str, dict[str, str]]]:
    """`key IN (:k0, …)` and its named values, `size` keys at a time (SQLite limits the
    variables in one statement)."""
    listed = list(keys)
    for start in range(0, len(listed), size):
        chosen = {f"k{i}": key for i, key in enumerate(listed[start : start + size])}
        yield f"key IN ({', '.join(':' + name for name in chosen)})", chosen


def state_from_row(row: tuple[Any, ...]) -> CardState:
    """A CardState from a row of CARD_COLUMNS, built positionally: the queue and today's
    summary build one per due card, so this is on every start-up's path."""
    (
        key,
        card_id,
        phase,
        step,
        stability,
        difficulty,
        due_ms,
        due_day,
        last_ms,
        reps,
        lapses,
        leech,
        suspended,
        buried,
    ) = row
    return CardState(
        key,
        card_id,
        PHASES[phase],
        step,
        stability,
        difficulty,
        due_ms,
        due_day,
        last_ms,
        reps,
        lapses,
        bool(suspended),
        buried,
        bool(leech),
    )


def review_from_row(row: tuple[Any, ...]) -> Review:
    from prepcli.core.history import Review  # the log's records: only for commands that read it

    (rid, key, reviewed_ms, day, offset, rating, kind, duration, elapsed, scheduled, r_pred) = row[
        :11
    ]
    return Review(
        id=rid,
        card_key=key,
        reviewed_ms=reviewed_ms,
        study_day=day,
        tz_offset_min=offset,
        rating=rating,
        kind=ReviewKind(kind),
        duration_ms=duration,
        elapsed_days=elapsed,
        scheduled_days=scheduled,
        r_predicted=r_pred,
        before=state_from_fields(key, 0, tuple(row[11:21])),
        after=state_from_fields(key, 0, tuple(row[21:31])),
    )


@dataclass(frozen=True)
class KeyGroups:
    """Sets of card keys by what their state says (see DueCards.key_groups)."""

    studied: frozenset[str]  # answered at least once (not new)
    learning: frozenset[str]  # in (re)learning steps
    hidden: frozenset[str]  # suspended, or buried until after today
    unstudied: frozenset[str]  # new but with a row (forgotten): usually none
    _outside: tuple[frozenset[str], frozenset[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def outside(self, cards: frozenset[str]) -> frozenset[str]:
        """The keys the database knows that are not in `cards`: cards gone from the decks.
        Kept for the last `cards` asked about: the summary, the queue and the planner
        all ask, and each asking walks every studied key."""
        if self._outside is not None and self._outside[0] is cards:
            return self._outside[1]
        found = (self.studied - cards) | (self.hidden - cards) | (self.unstudied - cards)
        object.__setattr__(self, "_outside", (cards, found))  # a cache, not a change
        return found


def require_transaction(db: sqlite3.Connection) -> None:
    """For the writes that leave committing to their caller."""
    if not db.in_transaction:
        raise RuntimeError("call this inside Store.transaction()")
