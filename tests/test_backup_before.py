"""A backup before every command that removes or replaces history: `deck orphans --forget`,
`card forget` on more than one card, and an import that changes a database holding cards.
Each copy exists, opens, and holds the rows the command then removed or replaced."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.app.maintenance import database_identity
from prepcli.app.safety import SAFETY_BACKUPS_KEPT
from tests.conftest import Result, rows

Run = Callable[..., Result]
STAMP = "20261123T080000Z"  # PREPCLI_NOW of the isolated home, in UTC


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def expected_backup(db: Path, command: str, counter: int = 1) -> Path:
    number = "" if counter == 1 else f"-{counter}"
    name = f"{db.stem}-{database_identity(db)}-{STAMP}{number}-before-{command}.sqlite3"
    return db.parent / "backups" / name


def opened(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a backup, opened read-only (a damaged or partial copy fails here)."""
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# --- deck orphans --forget -------------------------------------------------------------


@pytest.fixture
def orphaned(run: Run, sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    run("answer", "sample.coding/add-two", "good")
    run("answer", "sample.coding/add-two", "good")
    monkeypatch.setenv("PREPCLI_DECKS", str(sample_decks / "basics.yaml"))


@pytest.mark.usefixtures("orphaned")
def test_orphans_forget_backs_up_first_and_says_where(run: Run, db_path: Path) -> None:
    result = run("deck", "orphans", "--forget", "--yes")
    assert result.code == 0, result.err
    backup = expected_backup(db_path, "orphans-forget")
    assert lines(result.out)[-2:] == [f"Backup: {backup}", "Removed 1 card and 2 reviews."]
    assert rows(db_path, "SELECT key FROM card") == [("sample.basics/kv-cache",)]
    # The copy holds the card and the two reviews that were removed.
    assert opened(backup, "SELECT key FROM card ORDER BY key") == [
        ("sample.basics/kv-cache",),
        ("sample.coding/add-two",),
    ]
    assert opened(
        backup,
        "SELECT count(*) FROM review JOIN card ON card.id = card_id "
        "WHERE key = 'sample.coding/add-two'",
    ) == [(2,)]


@pytest.mark.usefixtures("orphaned")
def test_orphans_forget_json_names_the_backup(run: Run, db_path: Path) -> None:
    result = run("deck", "orphans", "--forget", "--yes", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["removed"] == {"cards": 1, "reviews": 2}
    assert report["backup"] == str(expected_backup(db_path, "orphans-forget"))
    assert Path(report["backup"]).is_file()


@pytest.mark.usefixtures("orphaned")
def test_no_backup_when_nothing_is_removed(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert run("deck", "orphans", "--forget").code == 1  # declined: nothing changes
    assert json.loads(run("deck", "orphans", "--json").out)["backup"] is None  # only listed
    assert not (db_path.parent / "backups").exists()


@pytest.mark.usefixtures("orphaned")
def test_a_backup_that_cannot_be_made_stops_the_removal(run: Run, db_path: Path) -> None:
    (db_path.parent / "backups").write_text("a file where the folder goes", encoding="utf-8")
    result = run("deck", "orphans", "--forget", "--yes")
    assert result.code == 1
    assert result.err.startswith("error: cannot create folder ")
    assert rows(db_path, "SELECT count(*) FROM review") == [(3,)]  # nothing was removed


# --- card forget -----------------------------------------------------------------------


@pytest.mark.usefixtures("sample_decks")
def test_forgetting_several_cards_backs_up_first(run: Run, db_path: Path) -> None:
    for key in ("sample.basics/kv-cache", "sample.coding/add-two"):
        assert run("answer", key, "good").code == 0
        assert run("answer", key, "good").code == 0
    before = rows(db_path, "SELECT key, phase, stability FROM card ORDER BY key")
    assert all(phase == 2 for _key, phase, _s in before)

    result = run("card", "forget", "sample.basics/kv-cache", "sample.coding/add-two", "--yes")
    assert result.code == 0, result.err
    backup = expected_backup(db_path, "card-forget")
    assert lines(result.out) == [f"Backup: {backup}", "2 cards are new again."]
    assert rows(db_path, "SELECT key, phase, stability FROM card ORDER BY key") == [
        ("sample.basics/kv-cache", 0, None),
        ("sample.coding/add-two", 0, None),
    ]
    # The copy holds the states the reset replaced.
    assert opened(backup, "SELECT key, phase, stability FROM card ORDER BY key") == before

    again = run(
        "card", "forget", "sample.basics/kv-cache", "sample.coding/add-two", "--yes", "--json"
    )
    assert json.loads(again.out) == {
        "version": 1,
        "cards": ["sample.basics/kv-cache", "sample.coding/add-two"],
        "phase": "new",
        "backup": str(expected_backup(db_path, "card-forget", counter=2)),
    }


@pytest.mark.usefixtures("sample_decks")
def test_forgetting_one_card_needs_no_backup(run: Run, db_path: Path) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    result = run("card", "forget", "sample.basics/kv-cache", "--yes", "--json")
    assert json.loads(result.out) == {
        "version": 1,
        "cards": ["sample.basics/kv-cache"],
        "phase": "new",
        "backup": None,
    }
    assert not (db_path.parent / "backups").exists()  # `prepcli undo` takes this one back


@pytest.mark.usefixtures("sample_decks")
def test_forget_checks_every_card_before_changing_any(run: Run, db_path: Path) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    result = run("card", "forget", "sample.basics/kv-cache", "sample.basics/nope", "--yes")
    assert result.code == 2
    assert "no card 'sample.basics/nope'" in result.err
    assert rows(db_path, "SELECT phase FROM card") == [(1,)]
    assert not (db_path.parent / "backups").exists()


@pytest.mark.usefixtures("sample_decks")
def test_only_the_newest_backups_of_a_command_are_kept(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    keys = ("sample.basics/kv-cache", "sample.coding/add-two")
    folder = db_path.parent / "backups"
    folder.mkdir()
    manual = json.loads(run("backup", str(folder), "--keep", "1", "--json").out)["path"]
    for minute in range(SAFETY_BACKUPS_KEPT + 2):
        monkeypatch.setenv("PREPCLI_NOW", f"2026-11-23T09:{minute:02d}:00+01:00")
        assert run("card", "forget", *keys, "--yes").code == 0
    kept = sorted(p.name for p in folder.glob("*-before-card-forget.sqlite3"))
    assert len(kept) == SAFETY_BACKUPS_KEPT
    assert kept[0].endswith("T080200Z-before-card-forget.sqlite3")  # the two oldest went
    assert Path(manual).is_file()  # `prepcli backup`'s own copy is never rotated away here
    run("backup", str(folder), "--keep", "1")  # nor does its rotation touch these
    assert len(list(folder.glob("*-before-card-forget.sqlite3"))) == SAFETY_BACKUPS_KEPT


# --- import ------------------------------------------------------------------------------


@pytest.mark.usefixtures("sample_decks")
def test_an_import_that_replaces_rows_backs_up_first(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    # The export: kv-cache answered twice.
    source = tmp_path / "source.sqlite3"
    run("--db", str(source), "answer", "sample.basics/kv-cache", "good")
    run("--db", str(source), "answer", "sample.basics/kv-cache", "good")
    exported = tmp_path / "export.json"
    assert run("--db", str(source), "export", "-o", str(exported)).code == 0
    # Here: kv-cache suspended, no history; the import replaces that row.
    run("card", "suspend", "sample.basics/kv-cache")
    run("answer", "sample.coding/add-two", "good")
    before = rows(db_path, "SELECT key, phase, suspended FROM card ORDER BY key")

    result = run("import", str(exported))
    assert result.code == 0, result.err
    backup = expected_backup(db_path, "import")
    assert lines(result.out)[0] == f"Backup: {backup}"
    assert rows(
        db_path, "SELECT phase, suspended FROM card WHERE key = 'sample.basics/kv-cache'"
    ) == [(2, 0)]  # the export's state, in review
    assert opened(backup, "SELECT key, phase, suspended FROM card ORDER BY key") == before

    # The same file again changes nothing: no backup.
    again = json.loads(run("import", str(exported), "--json").out)
    assert again["backup"] is None and again["unchanged"] == ["sample.basics/kv-cache"]
    assert len(list((db_path.parent / "backups").iterdir())) == 1


@pytest.mark.usefixtures("sample_decks")
def test_an_import_into_an_empty_database_or_a_refused_one_makes_no_backup(
    run: Run, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    exported = tmp_path / "export.json"
    run("export", "-o", str(exported))
    other = tmp_path / "other.sqlite3"
    first = json.loads(run("--db", str(other), "import", str(exported), "--json").out)
    assert first["added"] == ["sample.basics/kv-cache"] and first["backup"] is None
    # A different history on each side: refused without --merge (nothing written).
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-24T09:00+01:00")
    run("--db", str(other), "answer", "sample.basics/kv-cache", "again")
    run("answer", "sample.basics/kv-cache", "good")
    run("export", "-o", str(tmp_path / "second.json"), "--force")
    refused = run("--db", str(other), "import", str(tmp_path / "second.json"))
    assert refused.code == 1
    assert not (tmp_path / "backups").exists()
    merged = json.loads(
        run("--db", str(other), "import", str(tmp_path / "second.json"), "--merge", "--json").out
    )
    assert merged["merged"] == ["sample.basics/kv-cache"]
    backup = Path(merged["backup"])
    assert backup == tmp_path / "backups" / (
        f"other-{database_identity(other)}-20261124T080000Z-before-import.sqlite3"
    )
    # The copy holds the log as it was before the merge rewrote it.
    assert opened(backup, "SELECT rating FROM review ORDER BY id") == [(3,), (1,)]
