"""`prepcli optimize`: training items built the Anki way, a fit that beats the defaults on
hold-out reviews of a learner simulated from known parameters, float32 bounds, and the
command end to end (save, replay, dry run, reset, too little history)."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fsrs
import fsrs_rs_python as rs
import pytest

from prepcli.app import optimizer
from prepcli.core.clock import StudyCalendar, to_ms
from prepcli.core.history import Review
from prepcli.core.models import CardState, Phase, Rating, ReviewKind, Settings
from prepcli.core.scheduler import Scheduler
from prepcli.files.decks import load_decks
from prepcli.storage import paths
from prepcli.storage.store import open_store
from tests.conftest import Result, rows
from tests.learner import PARIS, TRUE_PARAMETERS, simulate_history

Run = Callable[..., Result]
_PINNED = (Path(__file__).parent / "data" / "bundled_card_ids.txt").read_text().split()
#: The pinned cards the decks still hold under their own key (not merged into another's).
_MERGED_AWAY = load_decks([paths.bundled("decks")]).renames()  # loaded once, not per key
BUNDLED_KEYS = [k for k in _PINNED if k not in _MERGED_AWAY]
CALENDAR = StudyCalendar(PARIS, 4)


def f32(value: float) -> float:
    """What a float32 from fsrs-rs looks like in Python."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


@pytest.fixture(scope="session")
def learner_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~4,500 answers over 69 days by a learner who forgets faster than the defaults say."""
    db = tmp_path_factory.mktemp("learner") / "learner.sqlite3"
    log = simulate_history(
        db, BUNDLED_KEYS, start=datetime(2026, 9, 14, 8, tzinfo=PARIS), days=69,
        new_per_day=16, seed=2026,
    )  # fmt: skip
    assert log.answers > 4000
    return db


@pytest.fixture
def history_db(learner_db: Path, db_path: Path) -> Path:
    shutil.copy(learner_db, db_path)
    return db_path


# --- training items ----------------------------------------------------------------------


def _review(n: int, when: datetime, rating: int, kind: ReviewKind, before: Phase,
            after: Phase = Phase.REVIEW) -> Review:  # fmt: skip
    return Review(
        id=n, card_key="d/c", reviewed_ms=to_ms(when), study_day=CALENDAR.day(when),
        tz_offset_min=60, rating=rating, kind=kind, duration_ms=None, elapsed_days=None,
        scheduled_days=None, r_predicted=None, before=CardState("d/c", phase=before),
        after=CardState("d/c", phase=after),
    )  # fmt: skip


def test_items_use_study_days_keep_same_day_history_and_drop_manual_rows() -> None:
    day1 = datetime(2026, 11, 2, 21, 0, tzinfo=UTC)  # 22:00 in Paris
    log = [
        _review(1, day1, 3, ReviewKind.LEARN, Phase.NEW, Phase.LEARNING),
        _review(2, day1 + timedelta(minutes=10), 3, ReviewKind.LEARN, Phase.LEARNING),
        # 08:00 the next morning: ten hours later, but one study day
        _review(3, day1 + timedelta(hours=10), 1, ReviewKind.REVIEW, Phase.REVIEW),
        _review(4, day1 + timedelta(hours=10, minutes=10), 3, ReviewKind.RELEARN, Phase.RELEARNING),
        _review(5, day1 + timedelta(days=4), 3, ReviewKind.REVIEW, Phase.REVIEW),
    ]
    items = optimizer.training_items({"d/c": log})
    assert [item.reviews for item in items] == [
        ((3, 0), (3, 0), (1, 1)),  # the same-day learning step is history, not a target
        ((3, 0), (3, 0), (1, 1), (3, 0), (3, 3)),
    ]
    assert [item.target_ms for item in items] == [log[2].reviewed_ms, log[4].reviewed_ms]

    # A `forget` (manual, back to new) starts the card again; what came before is dropped.
    forget = _review(6, day1 + timedelta(days=5), 0, ReviewKind.MANUAL, Phase.REVIEW, Phase.NEW)
    again = [
        _review(7, day1 + timedelta(days=5, hours=1), 4, ReviewKind.LEARN, Phase.NEW),
        _review(8, day1 + timedelta(days=9), 3, ReviewKind.REVIEW, Phase.REVIEW),
    ]
    items = optimizer.training_items({"d/c": [*log, forget, *again]})
    assert [item.reviews for item in items] == [((4, 0), (3, 4))]

    # A history that does not start with the first answer cannot be replayed: no items.
    assert optimizer.training_items({"d/c": log[2:]}) == []


# --- the fit -----------------------------------------------------------------------------


def test_fitted_parameters_beat_the_defaults_on_held_out_reviews(history_db: Path) -> None:
    store = open_store(history_db)
    try:
        items = optimizer.training_items(store.upkeep.histories())
    finally:
        store.close()
    assert len(items) > 2000
    cut = int(len(items) * 0.75)  # train on the past, test on the future
    train, held_out = items[:cut], items[cut:]
    fitted = optimizer.fit(train, relearning_steps=1)
    defaults = optimizer.evaluate(Scheduler.default_parameters(), held_out)
    personal = optimizer.evaluate(fitted, held_out)
    oracle = optimizer.evaluate(Scheduler.clamp_parameters(TRUE_PARAMETERS), held_out)
    assert personal.log_loss < defaults.log_loss - 0.01
    assert personal.rmse_bins < defaults.rmse_bins
    assert oracle.log_loss <= personal.log_loss + 0.01  # close to the truth
    # Deterministic: the same history gives the same parameters.
    assert optimizer.fit(train, relearning_steps=1) == fitted


def test_float32_values_at_a_py_fsrs_bound_are_accepted() -> None:
    upper = fsrs.scheduler.UPPER_BOUNDS_PARAMETERS
    lower = fsrs.scheduler.LOWER_BOUNDS_PARAMETERS
    raw = list(Scheduler.default_parameters())
    raw[20] = f32(upper[20])  # 0.800000011920929: rejected by py-fsrs as it is
    raw[9] = f32(upper[9])
    raw[7] = f32(lower[7])
    raw[0] = f32(0.212)  # plain float32 noise
    assert raw[20] > upper[20]
    with pytest.raises(ValueError):
        fsrs.Scheduler(parameters=raw)
    clamped = Scheduler.clamp_parameters(raw)
    assert (clamped[20], clamped[9], clamped[7], clamped[0]) == (0.8, 0.8, 0.001, 0.212)
    scheduler = Scheduler(Settings(fuzz=False), CALENDAR, parameters=clamped)
    moment = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert scheduler.answer(CardState("d/c"), Rating.GOOD, moment).after.phase == Phase.LEARNING
    with pytest.raises(ValueError, match="expected 21"):
        Scheduler.clamp_parameters(raw[:19])


class _BoundaryFit:
    """fsrs-rs, except that the fit returns float32 values with w9 at its bound of 0.8."""

    FSRSItem = rs.FSRSItem
    FSRSReview = rs.FSRSReview
    TrainingConfig = rs.TrainingConfig
    DEFAULT_PARAMETERS = rs.DEFAULT_PARAMETERS

    class FSRS:
        def __init__(self, parameters: list[float]) -> None:
            self.real = rs.FSRS(parameters)

        def compute_parameters(self, items: Any, **options: Any) -> list[float]:
            fitted = [f32(w) for w in self.real.compute_parameters(items, **options)]
            fitted[9] = f32(0.8)
            return fitted

        def evaluate(self, items: Any) -> Any:
            return self.real.evaluate(items)


def test_a_fit_at_a_bound_is_saved_and_used(
    run: Run, history_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optimizer, "rs", _BoundaryFit)
    result = run("optimize", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["accepted"] and report["saved"]
    assert report["fitted_parameters"][9] == 0.8
    (params,) = rows(history_db, "SELECT params FROM fsrs_params")[0]
    assert json.loads(str(params))[9] == 0.8
    assert run("next", "--json").code == 0  # Study builds its scheduler from them


# --- the command -------------------------------------------------------------------------


def _card_rows(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT key, phase, step, stability, difficulty, due_day, last_review_ms, "
                    "reps, lapses, leech, suspended FROM card ORDER BY key")  # fmt: skip


def test_optimize_saves_better_parameters_and_replays_every_card(
    run: Run, history_db: Path
) -> None:
    original = _card_rows(history_db)
    dry = run("optimize", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    preview = json.loads(dry.out)
    assert preview["accepted"] and not preview["saved"] and preview["dry_run"]
    assert rows(history_db, "SELECT COUNT(*) FROM fsrs_params") == [(0,)]
    assert _card_rows(history_db) == original

    result = run("optimize")
    assert result.code == 0, result.err
    assert "Parameters in use: the defaults" in result.out
    assert "predict your reviews better: saved." in result.out
    report = json.loads(run("optimize", "--json").out)  # again: nothing better to find
    assert not report["accepted"] and not report["saved"]
    assert report["before"]["log_loss"] < preview["before"]["log_loss"]
    assert report["before"] == pytest.approx(preview["after"], rel=1e-5)
    assert report["items"] == preview["items"] > 2000

    saved = rows(history_db, "SELECT n_items, log_loss, rmse_bins, source FROM fsrs_params")
    assert saved == [(preview["items"], pytest.approx(preview["after"]["log_loss"], rel=1e-5),
                      pytest.approx(preview["after"]["rmse_bins"], rel=1e-5), "optimize")]  # fmt: skip
    changed = _card_rows(history_db)
    assert changed != original
    assert [r[0] for r in changed] == [r[0] for r in original]
    assert [r[7:] for r in changed] == [r[7:] for r in original]  # reps, lapses, flags kept
    check = json.loads(run("check", "--json").out)
    assert check["mismatches"] == [] and check["ok"]

    # Back to the defaults: replaying with them gives back exactly the states the answers
    # produced in the first place.
    reset = run("optimize", "--reset")
    assert reset.out.startswith("Back to the default FSRS parameters; ")
    assert _card_rows(history_db) == original
    assert run("optimize", "--reset").out == "Already using the default FSRS parameters.\n"
    assert rows(history_db, "SELECT source FROM fsrs_params ORDER BY id") == [
        ("optimize",),
        ("reset",),
    ]


@pytest.mark.usefixtures("sample_decks")
def test_too_little_history_keeps_the_defaults_and_says_why(run: Run, db_path: Path) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    result = run("optimize")
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "Training data: 0 reviews of 0 cards (1 answer in the log)" in text
    assert (
        "below 400 a fit follows noise more than your memory, so the default parameters stay"
        in text
    )
    assert rows(db_path, "SELECT COUNT(*) FROM fsrs_params") == [(0,)]
