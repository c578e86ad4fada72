"""The only fsrs_rs_python importer: fit personal FSRS parameters to the review log.

Training items are built the way Anki builds them (rslib scheduler/fsrs/params.rs):
elapsed time counts study days crossed, as the scheduler counts them; same-day reviews
stay in a card's history (FSRS-6 uses them for short-term stability) but are never a
target; manual rows (rating 0, such as `forget`) are left out, and a reset to new
starts the card's history again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import fsrs_rs_python as rs

from prepcli.core.history import Review
from prepcli.core.models import Phase, ReviewKind
from prepcli.core.scheduler import Scheduler, card_seed
from prepcli.core.textfmt import plural

#: Below this many training items personal parameters are not trusted (fsrs-rs's own
#: advice to callers; it fits only the initial stabilities below 64 and nothing below 8).
MIN_ITEMS = 400
#: Anki trains for 8 epochs.
EPOCHS = 8


class TrainingItem(NamedTuple):
    """One target review with the history before it: (rating, study days since previous)."""

    card: str
    target_ms: int
    reviews: tuple[tuple[int, int], ...]


class Evaluation(NamedTuple):
    log_loss: float
    rmse_bins: float


class Fit(NamedTuple):
    """What `optimize` found; `accepted` only when the fit predicts the log better."""

    items: int
    cards: int
    reviews: int
    current: tuple[float, ...]
    current_eval: Evaluation | None
    fitted: tuple[float, ...] | None
    fitted_eval: Evaluation | None
    accepted: bool
    reason: str
    fit_seconds: float


def trainable(history: Sequence[Review]) -> list[Review]:
    """The part of one card's log that trains FSRS: from its first learning answer after
    the last reset to new, without manual rows. Empty when the log has no first answer
    (e.g. imported mid-life), since such a history cannot be replayed from the start."""
    start = 0
    for index, review in enumerate(history):
        if _is_manual(review) and review.after.phase == Phase.NEW:
            start = index + 1
    answers = [r for r in history[start:] if not _is_manual(r)]
    for index, review in enumerate(answers):
        if review.kind == ReviewKind.LEARN and review.before.phase == Phase.NEW:
            return answers[index:]
    return []


def training_items(histories: Mapping[str, Sequence[Review]]) -> list[TrainingItem]:
    """Every target review of every card, ordered by the target's time."""
    items: list[TrainingItem] = []
    for key, history in histories.items():
        pairs: list[tuple[int, int]] = []
        previous_day: int | None = None
        for review in trainable(history):
            delta = 0 if previous_day is None else max(0, review.study_day - previous_day)
            previous_day = review.study_day
            pairs.append((review.rating, delta))
            if len(pairs) > 1 and delta > 0:
                items.append(TrainingItem(key, review.reviewed_ms, tuple(pairs)))
    items.sort(key=lambda item: (item.target_ms, item.card))
    return items


def _is_manual(review: Review) -> bool:
    return review.rating == 0 or review.kind == ReviewKind.MANUAL


def _rs_items(items: Sequence[TrainingItem]) -> list[rs.FSRSItem]:
    return [
        rs.FSRSItem([rs.FSRSReview(rating, delta) for rating, delta in item.reviews])
        for item in items
    ]


def evaluate(parameters: Sequence[float], items: Sequence[TrainingItem]) -> Evaluation:
    """Log loss and RMSE(bins) of parameters' predictions on the items' target reviews."""
    result = rs.FSRS(list(parameters)).evaluate(_rs_items(items))
    return Evaluation(log_loss=float(result.log_loss), rmse_bins=float(result.rmse_bins))


def fit(items: Sequence[TrainingItem], relearning_steps: int) -> tuple[float, ...]:
    """Parameters fitted to the items (recency-weighted, deterministic), clamped so py-fsrs
    accepts them."""
    raw = rs.FSRS(list(rs.DEFAULT_PARAMETERS)).compute_parameters(
        _rs_items(items),
        card_ids=[card_seed(item.card) for item in items],
        enable_short_term=True,
        num_relearning_steps=relearning_steps,
        training_config=rs.TrainingConfig(num_epochs=EPOCHS),
    )
    return Scheduler.clamp_parameters(raw)


def optimize(
    histories: Mapping[str, Sequence[Review]],
    current: Sequence[float],
    relearning_steps: int,
    *,
    minimum_items: int = MIN_ITEMS,
) -> Fit:
    """Fit, and accept only parameters whose log loss on the same items beats the current
    ones (Anki's rule: a fit never makes predictions on your own history worse)."""
    items = training_items(histories)
    reviews = sum(1 for h in histories.values() for r in h if not _is_manual(r))
    cards = len({item.card for item in items})
    current = tuple(current)
    if len(items) < max(minimum_items, 1):
        which = "default" if current == Scheduler.default_parameters() else "current"
        reason = (
            f"only {plural(len(items), 'review')} can train FSRS (answers on a later study "
            f"day than the card's previous answer); below {minimum_items} a fit follows noise more "
            f"than your memory, so the {which} parameters stay"
        )
        current_eval = evaluate(current, items) if items else None
        return Fit(
            len(items), cards, reviews, current, current_eval, None, None, False, reason, 0.0
        )
    started = time.perf_counter()
    fitted = fit(items, relearning_steps)
    seconds = time.perf_counter() - started
    before, after = evaluate(current, items), evaluate(fitted, items)
    accepted = after.log_loss < before.log_loss
    reason = (
        "the fitted parameters predict your reviews better"
        if accepted
        else "the fitted parameters do not predict your reviews better; the current ones stay"
    )
    return Fit(
        len(items), cards, reviews, current, before, fitted, after, accepted, reason, seconds
    )
