"""The start-up paths that avoid reading the whole collection give the same answers as
reading it: the queue, today's counts and the interview planner's inputs, on random
collections."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prepcli.app.forecast import readiness
from prepcli.app.progress import stats_report
from prepcli.app.study import Locations, Study
from prepcli.core.agenda import build_agenda
from prepcli.core.clock import to_ms
from prepcli.core.forgetting import DEFAULT_PARAMETERS, DEFAULT_W20
from prepcli.core.interview import (
    InterviewPlan,
    InterviewPolicy,
    memories,
    memory_of,
    plan_interview,
    with_outcomes,
)
from prepcli.core.models import CardState, Phase, Rating
from prepcli.core.planlayout import plan_order
from prepcli.core.planstatus import current_week
from prepcli.core.stats import FORECAST_DAYS, DeckCounts, cards_per_deck
from prepcli.storage.cardfacts import card_tallies
from prepcli.storage.deckindex import load_index
from prepcli.storage.store import open_store
from tests.conftest import Result

Run = Callable[..., Result]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DECKS, CARDS = 3, 30


def write_collection(root: Path) -> list[str]:
    """Three decks of tagged cards and a three-week plan that picks them by deck and tag."""
    keys = []
    (root / "decks").mkdir(parents=True)
    for d in range(DECKS):
        lines = [
            "version: 1",
            f"deck: fast.d{d}",
            f"title: Deck {d}",
            "description: Test.",
            "cards:",
        ]
        for c in range(CARDS):
            tag = "odd" if c % 2 else "even"
            lines += [f"  - id: c{c:02d}", "    kind: concept", f"    front: Q{c}?",
                      f"    back: A{c}.", f"    tags: [{tag}]"]  # fmt: skip
            keys.append(f"fast.d{d}/c{c:02d}")
        (root / "decks" / f"d{d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "plans").mkdir()
    (root / "plans" / "fast.yaml").write_text(
        "version: 1\nplan: fast\ntitle: Fast plan\nweeks:\n"
        "  - title: One\n    introduce:\n      - deck: fast.d0\n      - tags: [even]\n"
        "  - title: Two\n    introduce:\n      - deck: fast.d1\n"
        "  - title: Three\n    introduce:\n      - deck: fast.d2\n",
        encoding="utf-8",
    )
    return keys


def random_states(db: Path, keys: list[str], seed: int, today: int) -> None:
    """Card rows in every phase and flag, due around today, plus rows of deleted cards
    (of a deleted deck, and deleted from the decks that remain)."""
    rng = random.Random(seed)
    connection = sqlite3.connect(db)
    rows = []
    day_ms = 86_400_000
    start_ms = to_ms(NOW)
    chosen = rng.sample(keys, rng.randint(0, len(keys)))
    orphans = [f"fast.gone/c{i}" for i in range(rng.randint(0, 6))]  # a deck gone too
    orphans += [f"fast.d{rng.randrange(DECKS)}/gone{i}" for i in range(rng.randint(0, 4))]
    for index, key in enumerate(chosen + orphans, start=1):
        phase = rng.choice(list(Phase))
        due_day = None if phase == Phase.NEW else today + rng.randint(-5, 30)
        due_ms = None if phase == Phase.NEW else start_ms + rng.randint(-2, 20) * 3_600_000
        last = None if phase == Phase.NEW else start_ms - rng.randint(0, 40) * day_ms
        rows.append((
            index, key, int(phase), None, rng.uniform(0.5, 60) if phase else None,
            rng.uniform(1, 10) if phase else None, due_ms, due_day, last,
            rng.randint(0, 9), rng.randint(0, 3), int(rng.random() < 0.1),
            int(rng.random() < 0.1), rng.choice([None, today, today + 1]), start_ms,
        ))  # fmt: skip
    with connection:
        connection.executemany(
            "INSERT INTO card (id, key, phase, step, stability, difficulty, due_ms, due_day, "
            "last_review_ms, reps, lapses, leech, suspended, buried_until_day, modified_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    connection.close()


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("fast")
    return root, write_collection(root)


def open_study(root: Path, db: Path) -> Study:
    where = Locations(db=db, deck_roots=(root / "decks",), cache_dir=root / "cache",
                      plan_dirs=(root / "plans",))  # fmt: skip
    return Study.open(where, NOW)


def planned_collection(
    collection: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory,
    seed: int, week: int, interview_in: int, review_limit: int | None = None,
) -> Path:  # fmt: skip
    """A new database for the collection: the plan started `week` weeks ago with the
    interview `interview_in` days ahead, then random card states (every phase and flag,
    and rows of cards gone from the decks)."""
    root, keys = collection
    db = tmp_path_factory.mktemp("db") / "prep.sqlite3"
    open_store(db).close()
    study = open_study(root, db)
    today = study.today
    study.plans.start("fast", today - 7 * week, today + interview_in)
    if review_limit is not None:
        study.store.settings.put("reviews_per_day", review_limit)
    study.close()
    random_states(db, keys, seed, today)
    return db


def full_read_plan(study: Study, states: list[CardState], policy: InterviewPolicy) -> InterviewPlan:
    """The planner run over every card's state read in full (the reference for the inputs
    Study gathers from the database: no card was answered today, so the day began with
    the states as they are)."""
    instant = to_ms(study.interview.instant(policy))
    cards = memories(states, study.calendar, instant)
    model = study.interview.memory_model
    return with_outcomes(plan_interview(cards, policy, study.today, model), cards, policy, model)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000), week=st.integers(0, 2), interview_in=st.integers(1, 25),
    review_limit=st.sampled_from([3, 200]),
)  # fmt: skip
def test_queue_counts_and_planner_match_a_full_read(
    collection: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory,
    seed: int, week: int, interview_in: int, review_limit: int,
) -> None:  # fmt: skip
    root, keys = collection
    db = planned_collection(collection, tmp_path_factory, seed, week, interview_in, review_limit)
    study = open_study(root, db)
    today = study.today
    try:
        active = study.plans.active()
        policy = study.interview.policy()
        assert active is not None and policy is not None
        states = study.store.states()
        in_decks = [s for k, s in states.items() if k in set(keys)]
        reference_plan = full_read_plan(study, in_decks, policy)
        assert study.interview.plan(today) == reference_plan
        planned = set(reference_plan.today)

        agenda = study.queue.agenda()
        summary = study.queue.summary()
        # The plan's weeks are fitted to an interview that comes before they end.
        week_now = current_week(active.plan, active.run, today)
        assert week_now == active.plan.weeks[0].number + week or interview_in < 21
        order = plan_order(keys, active.assignment, week_now, active.ranks)
        runway = study.plans.runway(today)
        held_back = active.layout.introduced_after(week_now) if runway is None else runway.held_back
        reference = build_agenda(
            order, states, now_ms=to_ms(NOW), today=today,
            day_start_ms=to_ms(study.calendar.day_start(today)),
            day_end_ms=to_ms(study.calendar.day_start(today + 1)),
            progress=study.progress(), new_per_day=len(agenda.new),
            reviews_per_day=policy.capacity, planned=planned,
            lapse_steps=len(study.settings.relearning_steps),
            admit_new=lambda key: key not in held_back,
        )  # fmt: skip
        assert agenda == reference
        assert (summary.due_reviews, summary.learning_due, summary.learning_later) == (
            reference.reviews_due_total,
            len(reference.learning_due),
            len(reference.learning_later),
        )
        assert summary.new_unseen == reference.new_unseen_total == agenda.new_unseen_total
        assert summary.new_today == len(agenda.new)
        assert summary.suspended == sum(s.suspended for s in in_decks)
        assert summary.leeches == sum(s.leech for s in in_decks)
        assert summary.due_tomorrow == sum(
            1 for s in in_decks
            if not s.suspended and s.phase != Phase.NEW and (s.due_day or 0) <= today + 1
        )  # fmt: skip
        assert summary.cards == len(keys) and summary.decks == DECKS

        one_deck = [k for k in order if k.startswith("fast.d1/")]
        reference = build_agenda(
            one_deck, states, now_ms=to_ms(NOW), today=today,
            day_start_ms=to_ms(study.calendar.day_start(today)),
            day_end_ms=to_ms(study.calendar.day_start(today + 1)),
            progress=study.progress(), new_per_day=len(study.queue.agenda(("fast.d1",)).new),
            reviews_per_day=policy.capacity, planned=planned,
            lapse_steps=len(study.settings.relearning_steps),
            admit_new=lambda key: key not in held_back,
        )  # fmt: skip
        assert study.queue.agenda(("fast.d1",)) == reference
    finally:
        study.close()


def test_the_index_follows_changed_decks_and_plans(collection: tuple[Path, list[str]]) -> None:
    root, keys = collection
    index, _ = load_index((root / "decks",), root / "cache")
    again, reloaded = load_index((root / "decks",), root / "cache")
    assert again.keys == index.keys == tuple(keys) and reloaded is None  # served from the file
    deck = root / "decks" / "d2.yaml"
    original = deck.read_text(encoding="utf-8")
    try:
        deck.write_text(original.replace("id: c29", "id: c99"), encoding="utf-8")
        changed, reloaded = load_index((root / "decks",), root / "cache")
        assert reloaded is not None and "fast.d2/c99" in changed.keys
    finally:
        deck.write_text(original, encoding="utf-8")


def test_a_changed_plan_file_is_laid_out_again(tmp_path: Path) -> None:
    keys = write_collection(tmp_path)
    db = tmp_path / "prep.sqlite3"
    study = open_study(tmp_path, db)
    study.plans.start("fast", study.today, None)
    active = study.plans.active()
    assert active is not None and active.assignment["fast.d1/c01"] == 2
    study.close()
    plan = tmp_path / "plans" / "fast.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("deck: fast.d1", "deck: fast.d2"))
    study = open_study(tmp_path, db)
    active = study.plans.active()
    assert active is not None and "fast.d1/c01" not in active.assignment
    assert active.assignment["fast.d2/c01"] == 2 and len(keys) == DECKS * CARDS
    study.close()


@pytest.mark.usefixtures("sample_decks")
def test_reviews_of_cards_studied_ahead_stay_in_the_queue(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card of a later week, learned early with `review --ahead`, is reviewed when due."""
    from tests.conftest import DATA

    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    assert run("plan", "start", "--plan", "mini", "--start", "2026-11-23").code == 0
    later = "sample.basics/kv-cache"  # week 2 of the mini plan (no `attention` tag)
    assert later not in run("next", "--json").out
    assert run("answer", later, "good").code == 0
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-27T09:00:00+01:00")
    summary = json.loads(run("today", "--json").out)
    assert summary["plan"]["week"] == 1
    assert summary["due_reviews"] + summary["learning_due"] == 1
    assert json.loads(run("next", "--json").out)["card"] == later


@pytest.mark.usefixtures("sample_decks")
def test_the_quick_today_matches_the_parsed_one(run: Run, tmp_path: Path) -> None:
    assert run("answer", "sample.basics/kv-cache", "good").code == 0
    quick = run("today", "--json")
    parsed = run("--db", str(tmp_path / "prep.sqlite3"), "today", "--json")
    assert quick.code == parsed.code == 0 and json.loads(quick.out) == json.loads(parsed.out)
    assert run().out == run("--db", str(tmp_path / "prep.sqlite3")).out


def test_the_forgetting_curve_uses_fsrs_default_decay() -> None:
    import fsrs

    assert fsrs.scheduler.DEFAULT_PARAMETERS[20] == DEFAULT_W20
    assert tuple(fsrs.scheduler.DEFAULT_PARAMETERS) == DEFAULT_PARAMETERS


def test_days_until_is_where_recall_crosses_the_target() -> None:
    from prepcli.core.forgetting import ForgettingCurve

    curve = ForgettingCurve()
    days = curve.days_until(0.95) * 10
    assert curve.recall(10, days * 0.999) > 0.95 > curve.recall(10, days * 1.001)
    assert curve.recall(10, 10) == pytest.approx(0.9)


def test_a_card_outside_the_decks_is_never_due_whatever_its_key(
    collection: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An imported card whose key holds a newline (the separator SQLite joins keys with)
    is no deck's card: neither it nor the deck card its key seems to name is counted."""
    root, _keys = collection
    db = tmp_path_factory.mktemp("db") / "prep.sqlite3"
    open_store(db).close()
    study = open_study(root, db)
    today = study.today
    study.close()
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "INSERT INTO card (key, phase, stability, difficulty, due_ms, due_day, "
            "last_review_ms, reps, modified_ms) VALUES (?, ?, 5, 5, 0, ?, 0, 1, 0)",
            ("fast.gone/x\nfast.d0/c00", int(Phase.REVIEW), today - 1),
        )
    connection.close()
    study = open_study(root, db)
    try:
        summary = study.queue.summary()
        assert summary.due_reviews == 0 and summary.due_tomorrow == 0
        assert summary.new_unseen == summary.cards  # fast.d0/c00 is still new
    finally:
        study.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000), interview_in=st.sampled_from([None, 3, 20]),
    review_limit=st.sampled_from([4, 200]), answers=st.integers(1, 25),
)  # fmt: skip
def test_the_queue_kept_after_an_answer_equals_a_fresh_one(
    collection: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory,
    seed: int, interview_in: int | None, review_limit: int, answers: int,
) -> None:  # fmt: skip
    """A session updates its queue after each answer instead of building it again; the
    updated queue is the one a fresh start would build at that moment."""
    root, _keys = collection
    db = tmp_path_factory.mktemp("db") / "prep.sqlite3"
    open_store(db).close()
    study = open_study(root, db)
    today = study.today
    study.plans.start("fast", today - 8, None if interview_in is None else today + interview_in)
    study.store.settings.put("reviews_per_day", review_limit)
    study.store.settings.put("new_per_day", 6)
    study.close()
    rng = random.Random(seed)
    where = Locations(db=db, deck_roots=(root / "decks",), cache_dir=root / "cache",
                      plan_dirs=(root / "plans",))  # fmt: skip
    for days_ago in range(8, 0, -1):  # a week of study: cards in every phase, really answered
        moment = NOW - timedelta(days=days_ago)
        past = Study.open(where, moment)
        try:
            for _ in range(rng.randint(0, 12)):
                key = past.queue.agenda(now=moment, ahead=True).next_card(to_ms(moment))
                if key is None:
                    break
                past.answering.answer(key, Rating(rng.choice([1, 1, 2, 3, 3, 4])), moment)
                moment += timedelta(minutes=rng.randint(1, 20))
        finally:
            past.close()
    study = Study.open(where, NOW)
    try:
        moment = NOW
        kept = study.queue.agenda(now=moment)
        for _ in range(answers):
            key = kept.next_card(to_ms(moment))
            if key is None:
                break
            study.answering.answer(key, Rating(rng.choice([1, 1, 2, 3, 3, 4])), moment)
            moment += timedelta(minutes=rng.randint(0, 15))
            kept = study.queue.agenda(now=moment)
            fresh_study = Study.open(where, moment)
            try:
                fresh = fresh_study.queue.agenda(now=moment)
            finally:
                fresh_study.close()
            assert kept == fresh
    finally:
        study.close()


def test_an_answer_updates_the_kept_queue_without_building_it_again(
    collection: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prepcli.app.study_queue import Queue
    from prepcli.core.models import Rating

    root, _keys = collection
    db = tmp_path / "prep.sqlite3"
    study = open_study(root, db)
    try:
        study.plans.start("fast", study.today, None)
        first = study.queue.agenda()
        key = first.next_card(to_ms(NOW))
        assert key is not None
        builds: list[int] = []
        real = Queue._build
        monkeypatch.setattr(Queue, "_build", lambda *a: builds.append(1) or real(*a))
        study.answering.answer(key, Rating.GOOD, NOW)
        after = study.queue.agenda()
        assert builds == [] and key not in after.new
        study.answering.set_suspended(after.new[0], True)  # any other write: built afresh
        study.queue.agenda()
        assert builds == [1]
    finally:
        study.close()


def test_todays_counts_are_carried_by_own_answers_and_counted_again_after_any_other_change(
    collection: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session does not count the day's log again after each answer: its own answers
    carry the counts forward. Anything else (another process's answer, an undo) makes the
    next read count again, so the counts always equal a fresh count."""
    from prepcli.core.models import Rating
    from prepcli.storage.reviewlog import ReviewLog

    root, keys = collection
    db = tmp_path / "prep.sqlite3"
    here, elsewhere = open_study(root, db), open_study(root, db)
    counted: list[int] = []
    real = ReviewLog.day_counts
    monkeypatch.setattr(
        ReviewLog, "day_counts", lambda log, day: counted.append(day) or real(log, day)
    )

    def fresh() -> tuple[int, int, int, int]:
        return real(here.store.log, here.today)

    try:
        ratings = [Rating.AGAIN, Rating.GOOD, Rating.EASY, Rating.GOOD, Rating.AGAIN, Rating.HARD]
        for index, rating in enumerate(ratings * 2):  # new, then (re)learning and review cards
            here.progress()
            here.answering.answer(keys[index % 4], rating, NOW + timedelta(minutes=index))
            assert tuple(here.progress()) == fresh()
        assert len(counted) == 1  # counted once, then carried by each answer
        elsewhere.answering.answer(keys[5], Rating.GOOD, NOW + timedelta(minutes=30))
        assert tuple(here.progress()) == fresh()  # another connection wrote
        assert len(counted) == 2
        here.answering.undo()
        assert tuple(here.progress()) == fresh()
        assert len(counted) == 3
    finally:
        here.close()
        elsewhere.close()


def test_a_kept_queue_is_built_again_after_another_terminal_answers(
    collection: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """Two sessions on one database: a card answered in one leaves the other's queue too
    (the kept queue notices another connection's commit), and the rebuilt queue is the
    one a fresh start would build."""
    from prepcli.core.models import Rating

    root, _keys = collection
    db = tmp_path / "prep.sqlite3"
    here, elsewhere = open_study(root, db), open_study(root, db)
    try:
        here.plans.start("fast", here.today, None)
        first = here.queue.agenda()
        key = first.next_card(to_ms(NOW))
        assert key is not None and here.queue.agenda() == first  # kept
        elsewhere.answering.answer(key, Rating.GOOD, NOW)
        after = here.queue.agenda()
        assert key not in after.new and after != first
        fresh = open_study(root, db)
        try:
            assert after == fresh.queue.agenda()
        finally:
            fresh.close()
    finally:
        here.close()
        elsewhere.close()


def card_by_card_readiness(study: Study, keys: list[str]) -> dict[str, object]:
    """The interview forecast worked out card by card from every card's full state (the
    reference for the per-deck sums SQLite makes)."""
    policy = study.interview.policy()
    assert policy is not None
    plan = study.interview.plan()
    model = study.interview.memory_model
    interview_ms = to_ms(study.interview.instant(policy))
    today, last = study.today, policy.last_session_day
    day_start_ms = to_ms(study.calendar.day_start(today))
    states = study.store.states()
    per_deck: dict[str, list[float]] = {}
    floor, studied, unstudied = [], 0, 0
    for key in keys:
        state = states.get(key)
        if state is None or state.phase == Phase.NEW:
            unstudied += not (state is not None and state.suspended)
            continue
        if state.suspended:
            continue
        studied += 1
        s, d, last_ms = state.stability, state.difficulty, state.last_review_ms
        if s is None or d is None or last_ms is None:
            continue
        if_stopped = model.recall(s, (interview_ms - last_ms) / 86_400_000)
        floor.append(if_stopped)
        reviews = [today] if key in plan.today and last_ms < day_start_ms else []
        final = plan.final_day.get(key)
        if final is None and state.phase != Phase.REVIEW and today <= last:
            final = last
        if final is not None and final > today:
            reviews.append(final)
        recall = if_stopped
        if reviews:
            card = memory_of(key, s, d, last_ms, study.calendar, interview_ms)
            recall = model.expected_recall(card, reviews, policy.interview_day)
        per_deck.setdefault(key.split("/", 1)[0], []).append(recall)
    every = [r for values in per_deck.values() for r in values]
    return {
        "studied": studied,
        "unstudied": unstudied,
        "mean_recall": sum(every) / len(every) if every else None,
        "share_at_90": sum(r >= 0.9 for r in every) / len(every) if every else None,
        "per_deck": {deck: sum(v) / len(v) for deck, v in sorted(per_deck.items())},
        "if_stopped_now": sum(floor) / len(floor) if floor else None,
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000), week=st.integers(0, 2), interview_in=st.integers(1, 25),
    answered=st.integers(0, 4),
)  # fmt: skip
def test_the_forecast_summed_by_sqlite_matches_one_worked_out_card_by_card(
    collection: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory,
    seed: int, week: int, interview_in: int, answered: int,
) -> None:  # fmt: skip
    """Also after `answered` of the planned cards are answered today: the planner valued
    them as the day began, so the forecast values them again from their states now."""
    root, keys = collection
    db = planned_collection(collection, tmp_path_factory, seed, week, interview_in)
    study = open_study(root, db)
    try:
        plan = study.interview.plan()
        planned = sorted(set(plan.today) | set(plan.final_day))
        rng = random.Random(seed)
        for key in rng.sample(planned, min(answered, len(planned))):
            study.answering.answer(key, Rating(rng.choice([1, 3])), NOW + timedelta(minutes=5))
        found = readiness(study)
        assert found is not None
        expected = card_by_card_readiness(study, keys)
        assert (found.studied, found.unstudied) == (expected["studied"], expected["unstudied"])
        assert found.share_at_90 == expected["share_at_90"]  # the same values compared with 0.9
        for name in ("mean_recall", "if_stopped_now"):
            value, wanted = getattr(found, name), expected[name]
            assert value == wanted if wanted is None else value == pytest.approx(wanted, abs=1e-12)
        assert found.per_deck == pytest.approx(expected["per_deck"], abs=1e-12)
    finally:
        study.close()


def card_by_card_stats(study: Study, keys: list[str]) -> dict[str, object]:
    """The card figures of `prepcli stats` counted card by card from every selected card's
    full state (the reference for the per-deck counts SQLite makes)."""
    states = study.store.states()
    now_ms, today = to_ms(NOW), study.today
    decks: dict[str, list[float]] = {}  # cards, new, learning, review, suspended, leeches, Σr, n
    forecast = [0] * FORECAST_DAYS
    overdue, leeches = 0, []
    due: dict[tuple[int, int | None], int] = {}  # (due day, buried until) → cards
    for key in keys:
        tally = decks.setdefault(key.split("/")[0], [0, 0, 0, 0, 0, 0, 0.0, 0])
        state = states.get(key)
        tally[0] += 1
        if state is None:
            tally[1] += 1
            continue
        column = {Phase.NEW: 1, Phase.LEARNING: 2, Phase.RELEARNING: 2, Phase.REVIEW: 3}
        tally[4 if state.suspended else column[state.phase]] += 1
        tally[5] += state.leech
        recall = None
        if state.stability is not None and state.last_review_ms is not None:
            recall = study.curve.recall_at_ms(state.stability, state.last_review_ms, now_ms)
            tally[6] += recall
            tally[7] += 1
        if state.leech:
            leeches.append((key, state.lapses, state.suspended, recall))
        if state.suspended or state.phase == Phase.NEW or state.due_day is None:
            continue
        shown = max(state.due_day, state.buried_until_day or state.due_day)
        overdue += shown < today
        if shown - today < FORECAST_DAYS:
            forecast[max(shown - today, 0)] += 1
        if state.due_day < today + FORECAST_DAYS:
            group = (state.due_day, state.buried_until_day)
            due[group] = due.get(group, 0) + 1
    return {
        "decks": decks,
        "forecast": forecast,
        "overdue": overdue,
        "due": due,
        "leeches": sorted(leeches, key=lambda leech: (-leech[1], leech[0])),
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), selection=st.sampled_from([(), ("fast.d1",), ("fast",)]))
def test_the_stats_counted_by_sqlite_match_a_card_by_card_count(
    collection: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory,
    seed: int, selection: tuple[str, ...],
) -> None:  # fmt: skip
    root, _keys = collection
    db = planned_collection(collection, tmp_path_factory, seed, 0, 20)
    study = open_study(root, db)
    try:
        report = stats_report(study, selection)
        keys = study.selected_keys(selection)
        expected = card_by_card_stats(study, keys)
        counted = card_tallies(
            study.store.db, decks=tuple(cards_per_deck(keys)), now_ms=to_ms(NOW),
            horizon=study.today + FORECAST_DAYS - 1, factor=study.curve.factor,
            decay=study.curve.decay, leaving_out=study.key_groups().outside(study.card_keys),
        )  # fmt: skip
    finally:
        study.close()
    tallies = expected["decks"]
    assert isinstance(tallies, dict)
    assert [row.deck for row in report.decks] == list(tallies)
    for row in (*report.decks, report.total):
        cards, new, learning, review, suspended, leeches, recall, recalled = (
            [sum(t[i] for t in tallies.values()) for i in range(8)]
            if row.deck == "all"
            else tallies[row.deck]
        )
        assert row._replace(average_retrievability=None) == DeckCounts(
            row.deck, cards, new, learning, review, suspended, leeches, None
        )
        average = recall / recalled if recalled else None
        assert row.average_retrievability == (
            None if average is None else pytest.approx(average, abs=5e-5 + 1e-12)
        )  # rounded to 4 places after sums in another order
    assert [day.due for day in report.forecast.days] == expected["forecast"]
    assert report.forecast.overdue == expected["overdue"]
    assert {(day, buried): n for day, buried, n in counted.due} == expected["due"]
    leeches = expected["leeches"]
    assert isinstance(leeches, list)
    assert [(leech.card, leech.lapses, leech.suspended) for leech in report.leeches] == [
        leech[:3] for leech in leeches
    ]
    for leech, (*_, recall) in zip(report.leeches, leeches, strict=True):
        assert leech.retrievability == (None if recall is None else round(recall, 4))
