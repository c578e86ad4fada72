"""Every test runs in an isolated home: its own database, cache and pinned clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from prepcli import entry

DATA = Path(__file__).parent / "data"
SAMPLE_DECKS = DATA / "decks"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("PREPCLI_DB", str(tmp_path / "prep.sqlite3"))
    monkeypatch.setenv("PREPCLI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-23T09:00:00+01:00")
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PREPCLI_DECKS", raising=False)
    # A test's own decks (PREPCLI_DECKS, --decks) replace the bundled ones; the tests of
    # own decks joining the bundled ones (the default) clear this.
    monkeypatch.setenv("PREPCLI_NO_BUNDLED", "1")
    monkeypatch.delenv("PREPCLI_DEBUG", raising=False)
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run a prepcli command line in-process, as `prepcli ARGS…` would."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = entry.run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def sample_decks(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    return SAMPLE_DECKS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "prep.sqlite3"


def rows(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()
