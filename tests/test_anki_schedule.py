"""The Anki export carries the schedule: imported into a fresh Anki collection with the
`anki` package (Anki's own engine), every card is due on the day prepcli has it due, with
its interval, FSRS memory state, queue and one revlog row per prepcli review."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import DATA, Result, rows

Run = Callable[..., Result]
PARIS = ZoneInfo("Europe/Paris")  # the isolated home's TZ
# Anki's codes: card types, queues, revlog kinds.
NEW, LEARN, REVIEW, RELEARN = 0, 1, 2, 3
SUSPENDED, Q_LEARN, Q_REVIEW, Q_DAY_LEARN = -1, 1, 2, 3


def _anki() -> Any:
    return pytest.importorskip(
        "anki.collection",
        reason="the `anki` package (in the test extra) is not installed: "
        "cannot open the .apkg the way Anki does",
    )


def answer(run: Run, monkeypatch: pytest.MonkeyPatch, when: str, *args: str) -> None:
    monkeypatch.setenv("PREPCLI_NOW", when)
    result = run(*args)
    assert result.code == 0, result.err


@pytest.fixture
def anki_collection(tmp_path: Path) -> Iterator[Callable[[Path], Any]]:
    """Import a package into a fresh Anki collection, as Anki's File → Import does with
    "Import any learning progress" ticked."""
    opened: list[Any] = []

    def import_package(package: Path) -> Any:
        anki = _anki()
        collection = anki.Collection(str(tmp_path / f"anki{len(opened)}.anki2"))
        opened.append(collection)
        options = anki.ImportAnkiPackageOptions(with_scheduling=True)
        collection.import_anki_package(
            anki.ImportAnkiPackageRequest(package_path=str(package), options=options)
        )
        return collection

    yield import_package
    for collection in opened:
        collection.close()


def study_day_of(ms: int) -> int:
    """prepcli's study day of an instant in the test's zone (04:00 rollover)."""
    local = datetime.fromtimestamp(ms / 1000, UTC).astimezone(PARIS) - timedelta(hours=4)
    return local.date().toordinal()


def anki_day_zero(collection: Any) -> int:
    """The date (ordinal) Anki counts a collection's review days from."""
    west = collection.get_config("creationOffset")
    created = datetime.fromtimestamp(collection.crt, timezone(timedelta(minutes=-west)))
    return created.date().toordinal()


def anki_card(collection: Any, key: str) -> Any:
    """The Anki card of a prepcli card key (`deck/id`, or `deck/id.cN` for a deletion)."""
    note_key, _, deletion = key.partition(".c") if ".c" in key.split("/")[1] else (key, "", "")
    (note_id,) = collection.find_notes(f'"Key:{note_key}"')
    ordinal = int(deletion) - 1 if deletion else 0
    (card,) = [
        collection.get_card(c)
        for c in collection.get_note(note_id).card_ids()
        if collection.get_card(c).ord == ordinal
    ]
    return card


def prepcli_cards(db: Path) -> dict[str, dict[str, Any]]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return {r["key"]: dict(r) for r in connection.execute("SELECT * FROM card")}
    finally:
        connection.close()


def prepcli_reviews(db: Path, key: str) -> list[dict[str, Any]]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        found = connection.execute(
            "SELECT review.* FROM review JOIN card ON card.id = review.card_id "
            "WHERE card.key = ? ORDER BY review.reviewed_ms",
            (key,),
        )
        return [dict(r) for r in found]
    finally:
        connection.close()


def expected_revlog_interval(review: dict[str, Any]) -> int:
    """Anki's revlog interval after an answer: days for a review card, negative seconds for
    a learning step, 0 once reset to new."""
    if review["a_phase"] == REVIEW:
        return int(review["a_due_day"] - review["study_day"])
    if review["a_phase"] in (LEARN, RELEARN):
        return -((review["a_due_ms"] - review["reviewed_ms"]) // 1000)
    return 0


def check_card(collection: Any, db: Path, key: str) -> Any:
    """Compare one card's Anki state and revlog with prepcli's; returns the Anki card."""
    state = prepcli_cards(db)[key]
    card = anki_card(collection, key)
    assert (card.type, card.reps, card.lapses) == (state["phase"], state["reps"], state["lapses"])
    if state["phase"] == REVIEW:
        assert card.due == state["due_day"] - anki_day_zero(collection), key  # same date
        assert card.ivl == state["due_day"] - study_day_of(state["last_review_ms"])
    elif state["phase"] in (LEARN, RELEARN) and card.queue in (Q_LEARN, SUSPENDED):
        assert card.due == state["due_ms"] // 1000, key  # the step's second
    elif state["phase"] in (LEARN, RELEARN):
        assert card.queue == Q_DAY_LEARN and card.due == state["due_day"] - anki_day_zero(
            collection
        )
    if state["stability"] is None:
        assert card.memory_state is None
    else:
        assert card.memory_state.stability == pytest.approx(state["stability"], rel=1e-4)
        # Anki keeps difficulty (1–10) to three decimals.
        assert card.memory_state.difficulty == pytest.approx(state["difficulty"], abs=6e-4)
        assert card.desired_retention == pytest.approx(0.9)
        assert card.last_review_time == state["last_review_ms"] // 1000
    reviews = prepcli_reviews(db, key)
    revlog = collection.db.all(
        "SELECT id, ease, ivl, type, time FROM revlog WHERE cid = ? ORDER BY id", card.id
    )
    assert len(revlog) == len(reviews), key  # one Anki revlog row per prepcli review
    for (ms, ease, ivl, kind, took), review in zip(revlog, reviews, strict=True):
        assert (ms, ease, kind) == (review["reviewed_ms"], review["rating"], review["kind"])
        assert ivl == expected_revlog_interval(review), (key, review)
        assert took == (review["duration_ms"] or 0)
    return card


@pytest.mark.usefixtures("sample_decks")
def test_anki_continues_where_prepcli_left_off(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path, anki_collection: Any
) -> None:
    assert run("config", "set", "relearning_steps", "1d").code == 0  # a step into tomorrow
    for when, card, rating in (
        ("2026-11-20T09:00+01:00", "sample.basics/kv-cache", "good"),
        ("2026-11-20T09:10+01:00", "sample.basics/kv-cache", "good"),
        ("2026-11-20T09:12+01:00", "sample.basics/attention-scaling", "again"),
        ("2026-11-20T09:14+01:00", "sample.basics/attention-scaling", "good"),
        ("2026-11-22T21:30+01:00", "sample.basics/kv-cache", "hard"),
        ("2026-11-23T08:00+01:00", "sample.basics/attention-scaling", "easy"),
        ("2026-11-30T08:00+01:00", "sample.basics/attention-scaling", "again"),  # a lapse
        ("2026-11-30T08:01+01:00", "sample.coding/add-two", "good"),  # a learning step
        ("2026-11-30T08:02+01:00", "sample.basics/conflict-story", "good"),
    ):
        answer(run, monkeypatch, when, "answer", card, rating, "--duration-ms", "7500")
    answer(run, monkeypatch, "2026-11-30T08:05+01:00", "card", "forget",
           "sample.basics/conflict-story", "--yes")  # fmt: skip
    answer(run, monkeypatch, "2026-11-30T08:06+01:00", "card", "suspend", "sample.basics/kv-cache")
    package = tmp_path / "scheduled.apkg"
    result = run("export", "-f", "anki", "-o", str(package))
    assert (result.code, result.out, result.err) == (
        0,
        "",
        f"Exported 4 notes in 2 decks, with 10 reviews of 4 cards to {package} (an Anki "
        "package: in Anki, File → Import, with “Import any learning progress” ticked).\n",
    )

    collection = anki_collection(package)
    scaling = check_card(collection, db_path, "sample.basics/attention-scaling")
    assert (scaling.type, scaling.queue, scaling.left) == (RELEARN, Q_DAY_LEARN, 1)
    kv = check_card(collection, db_path, "sample.basics/kv-cache")
    assert (kv.type, kv.queue, kv.ivl) == (REVIEW, SUSPENDED, 10)  # suspended, schedule kept
    add_two = check_card(collection, db_path, "sample.coding/add-two")
    assert (add_two.type, add_two.queue, add_two.left) == (LEARN, Q_LEARN, 1)  # 1 of 2 steps left
    story = check_card(collection, db_path, "sample.basics/conflict-story")
    assert (story.type, story.queue) == (NEW, 0)
    assert collection.db.list("SELECT ease FROM revlog WHERE cid = ? ORDER BY id", story.id) == [
        3, 0  # the answer, then `forget` as Anki's manual entry
    ]  # fmt: skip
    assert collection.db.scalar("SELECT COUNT(*) FROM revlog") == 10
    # The FSRS revlog keeps difficulty 1–10 as 100–1100, as Anki writes it.
    last = prepcli_reviews(db_path, "sample.basics/attention-scaling")[-1]
    factor = collection.db.scalar("SELECT factor FROM revlog WHERE id = ?", last["reviewed_ms"])
    assert factor == int(((last["a_difficulty"] - 1) / 9 + 0.1) * 1000)

    # Anki's own queue: today it shows the due learning card and the relearning card due
    # today (the suspended card stays out), and Anki's check finds nothing to repair.
    collection.decks.select(collection.decks.id_for_name("prepcli"))
    queued = collection.sched.get_queued_cards(fetch_limit=10)
    shown = {collection.get_card(q.card.id).note()["Key"] for q in queued.cards}
    assert "sample.basics/kv-cache" not in shown
    assert "sample.coding/add-two" in shown
    cards_before = collection.db.all("SELECT * FROM cards ORDER BY id")
    collection.fix_integrity()
    assert collection.db.all("SELECT * FROM cards ORDER BY id") == cards_before


def test_cloze_deletions_keep_their_own_schedule_on_their_anki_card(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path, anki_collection: Any
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    atomic = DATA / "atomic_decks" / "flashcards.yaml"
    (decks / "flashcards.yaml").write_text(atomic.read_text("utf-8"), "utf-8")
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    for when, rating in (("2026-11-20T09:00+01:00", "good"), ("2026-11-20T09:10+01:00", "good")):
        answer(run, monkeypatch, when, "answer", "lint.atomic/softmax-scaling.c2", rating)
    answer(run, monkeypatch, "2026-11-20T09:20+01:00", "answer",
           "lint.atomic/softmax-scaling.c1", "again")  # fmt: skip
    package = tmp_path / "cloze.apkg"
    assert run("export", "-f", "anki", "-o", str(package)).code == 0

    collection = anki_collection(package)
    second = check_card(collection, db_path, "lint.atomic/softmax-scaling.c2")
    assert (second.ord, second.type, second.queue) == (1, REVIEW, Q_REVIEW)
    first = check_card(collection, db_path, "lint.atomic/softmax-scaling.c1")
    assert (first.ord, first.type, first.queue) == (0, LEARN, Q_LEARN)
    assert first.nid == second.nid  # one cloze note, a card per deletion


@pytest.mark.usefixtures("sample_decks")
def test_leeches_are_tagged_and_new_cards_keep_their_order(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, anki_collection: Any
) -> None:
    assert run("config", "set", "leech_threshold", "1").code == 0
    for when, rating in (
        ("2026-11-20T09:00+01:00", "good"),
        ("2026-11-20T09:10+01:00", "good"),
        ("2026-11-23T09:00+01:00", "again"),  # a lapse: a leech at threshold 1
    ):
        answer(run, monkeypatch, when, "answer", "sample.basics/kv-cache", rating)
    package = tmp_path / "leech.apkg"
    assert run("export", "-f", "anki", "-o", str(package)).code == 0
    collection = anki_collection(package)
    assert "leech" in anki_card(collection, "sample.basics/kv-cache").note().tags
    assert "leech" not in anki_card(collection, "sample.basics/attention-scaling").note().tags
    new_positions = [
        anki_card(collection, key).due
        for key in ("sample.basics/attention-scaling", "sample.basics/conflict-story",
                    "sample.coding/add-two")
    ]  # fmt: skip
    assert new_positions == sorted(new_positions)  # deck order, as prepcli introduces them


@pytest.mark.usefixtures("sample_decks")
def test_the_package_describes_its_collection_for_anki_to_shift_due_days(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path
) -> None:
    """Anki shifts review due days by the days between the package's collection and the
    user's: the package's creation day, zone and day start must be exact (and the scheduler
    version 2, or Anki would upgrade the log from v1's three buttons)."""
    import zipfile

    answer(run, monkeypatch, "2026-11-20T09:00+01:00", "answer", "sample.basics/kv-cache", "easy")
    package = tmp_path / "p.apkg"
    assert run("export", "-f", "anki", "-o", str(package)).code == 0
    with zipfile.ZipFile(package) as archive:
        archive.extract("collection.anki2", tmp_path)
    (crt, conf), = rows(tmp_path / "collection.anki2", "SELECT crt, conf FROM col")  # fmt: skip
    config = json.loads(str(conf))
    assert (config["schedVer"], config["rollover"], config["creationOffset"]) == (2, 4, 0)
    assert datetime.fromtimestamp(int(str(crt)), UTC).date() == date(2014, 9, 19)
    ((due_day,),) = rows(db_path, "SELECT due_day FROM card")
    anki_due = rows(tmp_path / "collection.anki2", "SELECT due FROM cards WHERE type = 2")
    assert anki_due == [(int(str(due_day)) - date(2014, 9, 19).toordinal(),)]
