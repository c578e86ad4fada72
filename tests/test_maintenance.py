"""Your data out and safe, end to end: export (Anki, CSV, JSON), import, backup, check."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prepcli.app.maintenance import database_identity
from prepcli.storage.schema import SCHEMA_VERSION
from prepcli.storage.upkeep import Upkeep
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
BACKUPS = ("data", "prepcli", "backups")  # under the isolated home's XDG_DATA_HOME


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def _history(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers over four days, a forget, and a suspended card with no history."""
    for when, card, rating in (
        ("2026-11-20T09:00+01:00", "sample.basics/kv-cache", "good"),
        ("2026-11-20T09:10+01:00", "sample.basics/kv-cache", "good"),
        ("2026-11-20T09:12+01:00", "sample.basics/attention-scaling", "again"),
        ("2026-11-20T09:14+01:00", "sample.basics/attention-scaling", "good"),
        ("2026-11-22T21:30+01:00", "sample.basics/kv-cache", "hard"),
        ("2026-11-23T08:00+01:00", "sample.basics/attention-scaling", "easy"),
        ("2026-11-23T08:01+01:00", "sample.coding/add-two", "good"),
    ):
        monkeypatch.setenv("PREPCLI_NOW", when)
        assert run("answer", card, rating).code == 0
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-23T08:30+01:00")
    assert run("card", "forget", "sample.coding/add-two", "--yes").code == 0
    assert run("card", "suspend", "sample.basics/conflict-story").code == 0
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-23T09:00+01:00")


def _cards(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT key, phase, step, stability, difficulty, due_ms, due_day, "
                    "last_review_ms, reps, lapses, suspended, buried_until_day, leech "
                    "FROM card ORDER BY key")  # fmt: skip


def _reviews(db: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        cursor = connection.execute(
            "SELECT card.key, review.* FROM review JOIN card ON card.id = review.card_id "
            "ORDER BY card.key, review.id"
        )
        names = [d[0] for d in cursor.description]
        skip = {names.index("id"), names.index("card_id")}
        return [tuple(v for i, v in enumerate(row) if i not in skip) for row in cursor]
    finally:
        connection.close()


# --- export ------------------------------------------------------------------------------


def _anki() -> Any:
    return pytest.importorskip(
        "anki.collection",
        reason="the `anki` package (in the test extra) is not installed: "
        "cannot open the .apkg the way Anki does",
    )


@pytest.mark.usefixtures("sample_decks")
def test_anki_export_imports_into_anki(run: Run, tmp_path: Path) -> None:
    anki = _anki()
    package = tmp_path / "prep.apkg"
    result = run("export", "--format", "anki", "--output", str(package))
    assert (result.code, result.out, result.err) == (
        0, "", f"Exported 4 notes in 2 decks to {package} (an Anki "
        "package: in Anki, File → Import, with “Import any learning progress” ticked).\n",
    )  # fmt: skip
    collection = anki.Collection(str(tmp_path / "collection.anki2"))
    try:
        request = anki.ImportAnkiPackageRequest(
            package_path=str(package), options=anki.ImportAnkiPackageOptions()
        )
        collection.import_anki_package(request)
        assert collection.note_count() == 4
        names = {d.name for d in collection.decks.all_names_and_ids()}
        assert {"prepcli::sample::basics", "prepcli::sample::coding"} <= names

        def note(key: str) -> Any:
            (found,) = collection.find_notes(f'"Key:{key}"')
            return collection.get_note(found)

        scaling = note("sample.basics/attention-scaling")
        assert scaling["Front"] == "<p>Why are attention logits divided by \\(\\sqrt{d_k}\\)?</p>"
        assert scaling["Hints"] == "Think about the variance of a dot product."
        assert sorted(scaling.tags) == ["attention", "concept", "core", "prepcli", "sample"]
        deck_of_card = collection.get_card(scaling.card_ids()[0]).did
        assert collection.decks.name(deck_of_card) == "prepcli::sample::basics"
        add_two = note("sample.coding/add-two")
        assert '<code class="language-python">' in add_two["Front"]  # the starter, highlighted
        assert "<b>Reference solution:</b>" in add_two["Back"] and "return" in add_two["Back"]
        assert "<code>add(a, b)</code>" in add_two["Front"]
        story = note("sample.basics/conflict-story")
        assert "<li>Your action, in the first person</li>" in story["Back"]
        assert "Time limit: 1 min 30 s." in story["Front"]

        # A second export of the same cards updates the notes instead of duplicating them.
        again = tmp_path / "again.apkg"
        run("export", "--format", "anki", "-o", str(again))
        collection.import_anki_package(
            anki.ImportAnkiPackageRequest(
                package_path=str(again), options=anki.ImportAnkiPackageOptions()
            )
        )
        assert collection.note_count() == 4
    finally:
        collection.close()


def test_all_bundled_decks_export_to_anki(run: Run, tmp_path: Path) -> None:
    anki = _anki()
    expected = sum(d["cards"] for d in json.loads(run("deck", "list", "--json").out)["decks"])
    package = tmp_path / "all.apkg"
    assert run("export", "-f", "anki", "-o", str(package)).code == 0
    collection = anki.Collection(str(tmp_path / "all.anki2"))
    try:
        collection.import_anki_package(
            anki.ImportAnkiPackageRequest(
                package_path=str(package), options=anki.ImportAnkiPackageOptions()
            )
        )
        assert 300 < collection.note_count() <= expected  # a cloze note holds several items
    finally:
        collection.close()


@pytest.mark.usefixtures("sample_decks")
def test_csv_export_has_a_row_per_review_with_the_card_state(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _history(run, monkeypatch)
    result = run("export", "--format", "csv")
    assert result.code == 0, result.err
    table = list(csv.DictReader(io.StringIO(result.out)))
    assert len(table) == 9  # 8 log rows + one row for the suspended card without history
    first = table[0]
    assert (first["card"], first["reviewed_at"], first["rating"], first["kind"]) == (
        "sample.basics/attention-scaling", "2026-11-20T08:12:00.000Z", "1", "0"
    )  # fmt: skip
    assert first["card_reps"] == "3" and first["in_decks"] == "1"
    suspended = [r for r in table if r["card"] == "sample.basics/conflict-story"]
    assert [(r["reviewed_at"], r["card_suspended"]) for r in suspended] == [("", "1")]
    target = tmp_path / "out.csv"
    written = run("export", "-f", "csv", "-o", str(target))
    assert written.err == (
        f"Exported 9 rows to {target} (CSV: a row per review, one per card without).\n"
    )
    assert target.read_text(encoding="utf-8") == result.out


def test_unknown_export_format_is_a_usage_error(run: Run) -> None:
    result = run("export", "--format", "xml")
    assert result.code == 2
    assert "--format must be one of anki, csv, json" in result.err


# --- import ------------------------------------------------------------------------------


@pytest.mark.usefixtures("sample_decks")
def test_json_round_trip_restores_every_row(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(run, monkeypatch)
    exported = tmp_path / "history.json"
    assert run("export", "--format", "json", "-o", str(exported)).code == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["format"] == "prepcli-export" and document["schema"] == SCHEMA_VERSION
    assert [c["card"] for c in document["cards"]] == [
        "sample.basics/attention-scaling", "sample.basics/conflict-story",
        "sample.basics/kv-cache", "sample.coding/add-two",
    ]  # fmt: skip

    other = tmp_path / "other.sqlite3"
    result = run("--db", str(other), "import", str(exported))
    assert (result.code, result.out) == (
        0, f"Imported 4 cards and 8 reviews from {exported}; merged 0, already here 0.\n"
    )  # fmt: skip
    assert _cards(other) == _cards(db_path)
    assert _reviews(other) == _reviews(db_path)
    assert json.loads(run("--db", str(other), "check", "--json").out)["ok"]

    # Importing the same file again changes nothing.
    again = run("--db", str(other), "import", str(exported), "--json")
    assert json.loads(again.out) == {
        "version": 1,
        "added": [], "merged": [], "reviews_added": 0, "parameters_adopted": False,
        "unchanged": [c["card"] for c in document["cards"]], "backup": None,
    }  # fmt: skip
    assert _reviews(other) == _reviews(db_path)


@pytest.mark.usefixtures("sample_decks")
def test_a_different_history_is_refused_whole_or_merged_on_request(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(run, monkeypatch)
    first = tmp_path / "first.json"
    run("export", "-o", str(first))
    other = tmp_path / "other.sqlite3"
    run("--db", str(other), "import", str(first))
    # Both databases go on separately: one more (different) answer on each side.
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-25T09:00+01:00")
    run("--db", str(other), "answer", "sample.basics/kv-cache", "good")
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-26T09:00+01:00")
    run("answer", "sample.basics/kv-cache", "again")
    run("card", "unsuspend", "sample.basics/conflict-story")  # no history on either side yet
    run("answer", "sample.basics/conflict-story", "easy")
    second = tmp_path / "second.json"
    run("export", "-o", str(second))

    before = (_cards(other), _reviews(other))
    refused = run("--db", str(other), "import", str(second))
    assert refused.code == 1
    assert lines(refused.err) == [
        f"error: 1 card already has a different history in {other}: "
        "sample.basics/kv-cache. Nothing was imported; `--merge` combines both histories "
        "and replays each card from the combined log."
    ]
    assert (_cards(other), _reviews(other)) == before  # conflict-story was not imported either

    merged = run("--db", str(other), "import", str(second), "--merge", "--json")
    assert merged.code == 0, merged.err
    report = json.loads(merged.out)
    assert report["merged"] == ["sample.basics/kv-cache"]
    assert report["added"] == ["sample.basics/conflict-story"] and report["reviews_added"] == 2
    kv = rows(other, "SELECT rating, reviewed_ms, b_reps, a_reps FROM review JOIN card "
                     "ON card.id = card_id WHERE key = 'sample.basics/kv-cache' ORDER BY review.id")  # fmt: skip
    assert [(r[0], r[2], r[3]) for r in kv] == [
        (3, 0, 1),
        (3, 1, 2),
        (2, 2, 3),
        (3, 3, 4),
        (1, 4, 5),
    ]
    assert [r[1] for r in kv] == sorted(r[1] for r in kv)
    assert rows(other, "SELECT reps, lapses FROM card WHERE key = 'sample.basics/kv-cache'") == [
        (5, 1)
    ]
    assert json.loads(run("--db", str(other), "check", "--json").out)["ok"]


@pytest.mark.usefixtures("sample_decks")
def test_import_problems_are_located_and_nothing_is_written(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    review = {
        "reviewed_ms": 1, "study_day": 1, "tz_offset_min": 0, "rating": 7, "kind": 0,
        "b_phase": 0, "b_reps": 0, "b_lapses": 0, "b_leech": 0, "a_phase": 1, "a_reps": 1,
        "a_lapses": 0, "a_leech": 0,
    }  # fmt: skip
    text = (
        f'{{"format": "prepcli-export", "version": 1, "schema": {SCHEMA_VERSION},\n'
        ' "parameters": null,\n'
        ' "cards": [\n'
        '  {"card": "d/a", "state": {"phase": 9, "reps": "x"}, "history": []},\n'
        '  {"card": "nodeck", "state": {}},\n'
        '  {"card": "d/b", "state": {"colour": 1}, "history": [\n'
        f"   {json.dumps(review)}\n"
        "  ]}\n"
        " ]}\n"
    )
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")

    def at(fragment: str) -> str:
        offset = text.index(fragment)
        line = text.count("\n", 0, offset) + 1
        return f"{bad}:{line}:{offset - text.rfind(chr(10), 0, offset)}"

    state_a, card_b, state_b, review_1 = (at('{"phase"'), at('{"card": "nodeck'),
                                          at('{"colour"'), at('{"reviewed_ms"'))  # fmt: skip
    result = run("import", str(bad))
    assert result.code == 1
    assert lines(result.err) == [
        f"{state_a}: error: d/a: state: phase = 9 is not a valid phase",
        f"{state_a}: error: d/a: state: reps must be a whole number, got 'x'",
        f'{card_b}: error: "card" must be a card id like deck/id',
        f"{state_b}: error: d/b: state: unknown field 'colour'",
        f"{review_1}: error: d/b: review 1: rating = 7 is not a valid rating",
        f"{review_1}: error: d/b: review 1: study_day = 1 is out of range "
        "(a study day from 1969-12-31 to 2999-12-31)",
    ]
    assert not db_path.exists() or rows(db_path, "SELECT COUNT(*) FROM card") == [(0,)]

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "prepcli-export",\n "cards": [}', encoding="utf-8")
    result = run("import", str(broken))
    assert (result.code, lines(result.err)) == (
        1, [f"{broken}:2:12: error: Expecting value"]
    )  # fmt: skip
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"format": "prepcli-export", "version": 1,
                                 "schema": SCHEMA_VERSION + 1, "cards": []}), encoding="utf-8")  # fmt: skip
    assert "written by a newer prepcli" in run("import", str(newer)).err


@pytest.mark.usefixtures("sample_decks")
def test_an_import_that_fails_midway_leaves_nothing_behind(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(run, monkeypatch)
    exported = tmp_path / "history.json"
    run("export", "-o", str(exported))
    other = tmp_path / "other.sqlite3"
    real = Upkeep.import_card
    calls: list[str] = []

    def flaky(self: Upkeep, card: Any, modified_ms: int) -> None:
        calls.append(card.key)
        if len(calls) == 3:
            raise OSError("disk full")
        real(self, card, modified_ms)

    monkeypatch.setattr(Upkeep, "import_card", flaky)
    with pytest.raises(OSError):
        run("--db", str(other), "import", str(exported))
    assert len(calls) == 3
    assert rows(other, "SELECT COUNT(*) FROM card") == [(0,)]
    assert rows(other, "SELECT COUNT(*) FROM review") == [(0,)]


# --- backup ------------------------------------------------------------------------------


@pytest.mark.usefixtures("sample_decks")
def test_backup_into_the_data_dir_keeps_the_newest(
    run: Run, db_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    folder = isolated_home.joinpath(*BACKUPS)
    result = run("backup")
    named = f"prep-{database_identity(db_path)}"  # backups carry their database's identity
    first = folder / f"{named}-20261123T080000Z.sqlite3"
    assert result.code == 0, result.err
    assert result.out.startswith(f"Backed up to {first} (")
    assert rows(first, "SELECT COUNT(*) FROM review") == [(1,)]
    assert (first.stat().st_mode & 0o777) == 0o600
    assert not Path(f"{first}-wal").exists()

    (folder / "other-20200101T000000Z.sqlite3").write_bytes(b"another database's backup")
    run("backup")  # the same second: a numbered name
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-24T09:00+01:00")
    made = json.loads(run("backup", "--keep", "2", "--json").out)
    assert made["path"] == str(folder / f"{named}-20261124T080000Z.sqlite3")
    assert made["removed"] == [str(first)]
    assert sorted(p.name for p in folder.iterdir()) == [
        "other-20200101T000000Z.sqlite3",
        f"{named}-20261123T080000Z-2.sqlite3",
        f"{named}-20261124T080000Z.sqlite3",
    ]


@pytest.mark.usefixtures("sample_decks")
def test_backup_to_a_named_file_and_refusals(run: Run, tmp_path: Path) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    target = tmp_path / "copy.sqlite3"
    assert run("backup", str(target)).code == 0
    assert rows(target, "SELECT COUNT(*) FROM review") == [(1,)]
    again = run("backup", str(target))
    assert (again.code, lines(again.err)) == (
        2, [f"error: {target} already exists; name a new file or a folder"]
    )  # fmt: skip
    missing = run("backup", str(tmp_path / "nope" / "copy.sqlite3"))
    assert missing.code == 1 and "does not exist" in missing.err


@pytest.mark.usefixtures("sample_decks")
def test_backup_is_consistent_while_another_process_writes(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("SELECT 1 FROM card").fetchall()  # an open connection keeps the WAL
        run("answer", "sample.basics/attention-scaling", "good")  # committed, in the WAL only
        assert Path(f"{db_path}-wal").stat().st_size > 0
        writer.execute("BEGIN IMMEDIATE")  # another prepcli in the middle of an answer
        writer.execute("UPDATE card SET reps = 99")
        target = tmp_path / "during.sqlite3"
        result = run("backup", str(target))
        assert result.code == 0, result.err
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "SELECT reps FROM card") == [(1,), (1,)]  # the committed state only
    assert rows(target, "SELECT COUNT(*) FROM review") == [(2,)]


# --- check -------------------------------------------------------------------------------


@pytest.mark.usefixtures("sample_decks")
def test_check_finds_and_repairs_mismatches_dangling_rows_and_empty_orphans(
    run: Run, db_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(run, monkeypatch)
    clean = run("check")
    assert (clean.code, lines(clean.out)) == (0, [
        "Integrity   ok",
        "Replayed    4 cards, 8 reviews",
        "Mismatches  0",
        "Dangling    0 review rows without a card",
        "Orphans     0 with history, 0 without (cards no deck defines)",
        "",
        "No problems.",
    ])  # fmt: skip
    good = _cards(db_path)
    ((kv,),) = rows(db_path, "SELECT stability FROM card WHERE key = 'sample.basics/kv-cache'")
    assert isinstance(kv, float) and round(kv, 2) == 7.52  # good, good, then hard 2 days on

    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE card SET stability = 42.0, reps = 7 "
                       "WHERE key = 'sample.basics/kv-cache'")  # fmt: skip
    connection.execute("INSERT INTO card (key, suspended, modified_ms) VALUES ('gone/x', 1, 0)")
    dangling = connection.execute(
        "INSERT INTO review (card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, "
        "b_phase, b_reps, b_lapses, b_leech, a_phase, a_reps, a_lapses, a_leech) "
        "VALUES (999, 1, 1, 0, 3, 0, 0, 0, 0, 0, 1, 1, 0, 0)"
    ).lastrowid
    connection.commit()
    connection.close()

    found = run("check")
    assert found.code == 1
    assert lines(found.out) == [
        "Integrity   ok",
        "Replayed    5 cards, 8 reviews",
        "Mismatches  1",
        "Dangling    1 review row without a card",
        "Orphans     0 with history, 1 without (cards no deck defines)",
        "",
        "Stored state ≠ replayed history",
        "card                    field      stored  replayed",
        f"sample.basics/kv-cache  stability  42      {kv:.6g}",
        "sample.basics/kv-cache  reps       7       3",
        "",
        "`prepcli check --fix` repairs these (it makes a backup first).",
    ]
    report = json.loads(run("check", "--json").out)
    assert report["mismatches"] == [{"card": "sample.basics/kv-cache",
                                     "differences": {"stability": [42.0, kv],
                                                     "reps": [7, 3]}}]  # fmt: skip
    assert report["dangling_reviews"] == [dangling] and report["empty_orphans"] == ["gone/x"]
    assert not report["ok"]

    fixed = run("check", "--fix")
    assert fixed.code == 0, fixed.out
    named = f"prep-{database_identity(db_path)}-20261123T080000Z.sqlite3"
    backup = isolated_home.joinpath(*BACKUPS) / named
    assert lines(fixed.out)[-2:] == [
        "Repaired; the backup made first is named below.",
        f"Backup: {backup}",
    ]
    assert rows(backup, "SELECT stability FROM card WHERE key = 'sample.basics/kv-cache'") == [
        (42.0,)
    ]
    assert _cards(db_path) == good
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(8,)]
    assert run("check").code == 0


@pytest.mark.usefixtures("sample_decks")
def test_check_reports_its_progress_through_the_replay(
    run: Run, db_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long history takes a while to replay: check says how far it is, from the first
    card (so a bar shows at once) to the last, and reports as it does without listening."""
    from datetime import datetime

    from prepcli.app import maintenance
    from prepcli.app.study import Locations, Study

    _history(run, monkeypatch)
    monkeypatch.setattr(maintenance, "_PROGRESS_EVERY", 2)
    where = Locations(db=db_path, deck_roots=(SAMPLE_DECKS,), cache_dir=isolated_home / "c")
    study = Study.open(where, datetime.fromisoformat("2026-11-23T09:00+01:00"))
    heard: list[tuple[int, int]] = []
    try:
        report = maintenance.check(
            study, fix=False, backup_folder=isolated_home, progress=lambda *seen: heard.append(seen)
        )
    finally:
        study.close()
    assert heard == [(0, 3), (2, 3), (3, 3)]  # three cards have a history; every second one
    assert report.ok and report.cards == 4 and report.reviews == 8


@pytest.mark.usefixtures("sample_decks")
def test_check_keeps_the_history_of_cards_no_deck_has(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(run, monkeypatch)
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS / "coding.yaml"))
    result = run("check", "--fix")
    assert result.code == 0
    assert "Orphans     2 with history, 1 without" in result.out
    assert "2 cards with history are in no loaded deck; their history is kept" in " ".join(
        result.out.split()
    )
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(8,)]
    assert [r[0] for r in _cards(db_path)] == [
        "sample.basics/attention-scaling", "sample.basics/kv-cache", "sample.coding/add-two"
    ]  # fmt: skip


def test_a_cloze_card_exports_as_one_anki_cloze_note_with_a_card_per_deletion(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anki = _anki()
    decks = tmp_path / "decks"
    decks.mkdir()
    atomic = DATA / "atomic_decks" / "flashcards.yaml"
    (decks / "flashcards.yaml").write_text(atomic.read_text("utf-8"), "utf-8")
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    package = tmp_path / "cloze.apkg"
    assert run("export", "-f", "anki", "-o", str(package)).code == 0
    collection = anki.Collection(str(tmp_path / "cloze.anki2"))
    try:
        collection.import_anki_package(
            anki.ImportAnkiPackageRequest(
                package_path=str(package), options=anki.ImportAnkiPackageOptions()
            )
        )
        (found,) = collection.find_notes('"Key:lint.atomic/softmax-scaling"')
        note = collection.get_note(found)
        assert note.note_type()["type"] == 1  # Anki's cloze note type
        assert "{{c1::\\(\\sqrt{d_k}\\)::a square root}}" in note["Text"]
        assert "{{c2::1}}" in note["Text"]
        assert "unit-variance" in note["Back Extra"]
        assert len(note.card_ids()) == 2
        assert "core" in note.tags
        explained = collection.get_note(
            collection.find_notes('"Key:lint.atomic/answer-and-why"')[0]
        )
        assert "Past queries are never read again." in explained["Back"]
        assert "extended" in explained.tags
    finally:
        collection.close()
