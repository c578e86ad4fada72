"""The database: creation, migrations, refusal of files it must not touch, atomic answers."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.core.errors import PrepError
from prepcli.core.history import AnswerContext, LoggedChange
from prepcli.core.models import CardState, Phase, ReviewKind
from prepcli.storage.schema import MIGRATIONS, SCHEMA_VERSION
from prepcli.storage.store import open_store
from tests.conftest import Result, rows

CONTEXT = AnswerContext(reviewed_ms=1_800_000_000_000, study_day=740_000, tz_offset_min=60,
                        duration_ms=4200, desired_retention=0.9)  # fmt: skip


def _learned(state: CardState) -> LoggedChange:
    after = CardState(key=state.key, phase=Phase.REVIEW, stability=2.3, difficulty=5.0,
                      due_ms=1_800_200_000_000, due_day=740_002,
                      last_review_ms=CONTEXT.reviewed_ms, reps=state.reps + 1)  # fmt: skip
    return LoggedChange(after=after, rating=3, kind=ReviewKind.LEARN, scheduled_days=2.0)


def test_a_new_database_is_private_and_current(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "prep.sqlite3"
    store = open_store(path)
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]


def test_explicit_path_with_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "prep.sqlite3"
    with pytest.raises(PrepError, match=r"folder .*missing does not exist"):
        open_store(path, create_parents=False)
    assert not path.parent.exists()


def test_migrations_from_blank_and_from_every_version_with_rows(tmp_path: Path) -> None:
    for start in range(0, SCHEMA_VERSION + 1):
        path = tmp_path / f"v{start}.sqlite3"
        connection = sqlite3.connect(path)
        for statements in MIGRATIONS[:start]:
            for statement in statements:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {start}")
        if start >= 1:
            connection.execute("INSERT INTO card (key, phase, modified_ms) VALUES ('d/a', 0, 1)")
            connection.execute("INSERT INTO setting VALUES ('new_per_day', '7')")
        connection.commit()
        connection.close()
        store = open_store(path)
        try:
            assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
            if start >= 1:
                assert store.state("d/a") is not None
                assert store.settings.all() == {"new_per_day": 7}
        finally:
            store.close()


def test_a_newer_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE future (x)")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.commit()
    connection.close()
    before = path.read_bytes()
    with pytest.raises(PrepError, match="written by a newer prepcli"):
        open_store(path)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("content", [b"", b"SQLite format 3\x00" + b"\x00" * 50, os.urandom(4096)])
def test_damaged_or_foreign_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(content)
    if not content:  # an empty file is a new database, as SQLite itself treats it
        open_store(path).close()
        return
    before = path.read_bytes()
    with pytest.raises(PrepError, match="not a usable prepcli database"):
        open_store(path)
    assert path.read_bytes() == before


def test_someone_elses_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id)")
    connection.commit()
    connection.close()
    with pytest.raises(PrepError, match="not a prepcli database"):
        open_store(path)


def test_an_answer_and_its_undo_are_single_transactions(db_path: Path) -> None:
    store = open_store(db_path)
    try:
        before, _change, review_id = store.change("d/a", _learned, CONTEXT)
        assert before == CardState(key="d/a")
        assert store.state("d/a") == CardState(
            key="d/a", card_id=1, phase=Phase.REVIEW, stability=2.3, difficulty=5.0,
            due_ms=1_800_200_000_000, due_day=740_002, last_review_ms=CONTEXT.reviewed_ms, reps=1,
        )  # fmt: skip
        history = store.log.history("d/a")
        assert [(r.id, r.rating, r.kind, r.duration_ms) for r in history] == [
            (review_id, 3, ReviewKind.LEARN, 4200)
        ]
        assert history[0].before.phase == Phase.NEW and history[0].after.phase == Phase.REVIEW

        def explode(state: CardState) -> LoggedChange:
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            store.change("d/a", explode, CONTEXT)
        assert len(store.log.history("d/a")) == 1  # nothing half-written

        undone = store.undo_last()
        assert undone is not None and undone.id == review_id
        state = store.state("d/a")
        assert state is not None and state.phase == Phase.NEW and state.reps == 0
        assert store.log.history("d/a") == []
        assert store.undo_last() is None
    finally:
        store.close()


def test_renames_move_history(db_path: Path) -> None:
    store = open_store(db_path)
    try:
        store.change("d/old", _learned, CONTEXT)
        assert store.apply_renames({"d/old": "d/new"}) == 1
        assert store.state("d/old") is None
        assert len(store.log.history("d/new")) == 1
        assert store.apply_renames({"d/old": "d/new"}) == 0  # idempotent
    finally:
        store.close()


def test_key_groups_read_a_key_holding_the_separator_whole(db_path: Path) -> None:
    """Keys are joined with a newline in SQL; an imported key holding one must neither
    vanish nor split into other cards' keys."""
    store = open_store(db_path)
    try:
        odd = "llm-quiz.basics/attention\nllm-quiz.basics/kv-cache"
        with store.db:
            store.db.executemany(
                "INSERT INTO card (key, phase, due_day, modified_ms) VALUES (?, ?, 1, 0)",
                [(odd, int(Phase.REVIEW)), ("llm-quiz.basics/rope", int(Phase.REVIEW))],
            )
        groups = store.due.key_groups(today=1)
        assert groups.studied == {odd, "llm-quiz.basics/rope"}
        assert not groups.learning and not groups.hidden and not groups.unstudied
    finally:
        store.close()


def test_answers_are_synced_to_disk_unless_the_user_chooses_speed(
    run: Callable[..., Result], db_path: Path
) -> None:
    """FULL (an fsync per commit, as Anki) by default; `durability normal` opts out."""
    store = open_store(db_path)
    try:
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        store.close()
    assert run("config", "set", "durability", "normal").code == 0
    store = open_store(db_path)
    try:
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        store.close()
    refused = run("config", "set", "durability", "off")
    assert (refused.code, refused.err) == (2, "error: expected one of full, normal, got 'off'\n")
