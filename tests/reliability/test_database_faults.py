"""A database prepcli cannot use is refused clearly and left exactly as it was.

Faults: a file from a newer prepcli, a truncated file, random bytes, a damaged page, a
read-only file or folder, a missing folder for an explicit --db. Each command gives a
message (exit 1, no traceback) and the file's bytes do not change. A new database and
its folder are private to the user.

Tests run as root here, and root ignores permission bits. The read-only cases therefore
run prepcli with the capabilities that let root bypass them (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH, CAP_FOWNER) dropped, which makes it a user like any other; as a
normal user they run as they are.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pexpect
import pytest
import typer

from prepcli import entry
from prepcli.app.study import Locations, Study
from prepcli.cli.commands import app
from prepcli.core.models import Rating
from prepcli.storage.schema import SCHEMA_VERSION
from tests.command_tree import subcommands
from tests.conftest import DATA, SAMPLE_DECKS
from tests.reliability import figures
from tests.reliability.history import assert_sound

CARD = "sample.basics/kv-cache"
SEED = 20261123
PAGE = 4096

READS: list[list[str]] = [["today"], ["config", "list"], ["card", "show", CARD], ["plan"],
                          ["next", "--json"], ["stats"], ["export", "--format", "json"]]  # fmt: skip
WRITES: list[list[str]] = [["answer", CARD, "good"], ["undo"], ["config", "set", "new_per_day", "5"],
                           ["config", "reset", "new_per_day"], ["card", "suspend", CARD],
                           ["plan", "start", "--plan", "mini", "--force"], ["plan", "done", "read-paper"],
                           ["check"], ["optimize"]]  # fmt: skip


def _exists(argv: list[str]) -> bool:
    command: object = typer.main.get_command(app)
    for depth, word in enumerate(w for w in argv if not w.startswith("-")):
        below = subcommands(command)
        if below is None or (depth > 0 and word not in below):
            return True
        if word not in below:
            return False
        command = below[word]
    return True


def commands() -> list[list[str]]:
    """Every command above that exists in this build."""
    return [argv for argv in READS + WRITES if _exists(argv)]


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def sample_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The database alone in its folder, so anything left beside it shows."""
    db = tmp_path / "faulty" / "prep.sqlite3"
    db.parent.mkdir()
    monkeypatch.setenv("PREPCLI_DB", str(db))
    return db


pytestmark = pytest.mark.usefixtures("typer_tree_built_once")


@pytest.fixture
def prepcli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run a command line in this process; an exception escaping it fails the test."""

    def invoke(*argv: str) -> Outcome:
        capsys.readouterr()
        code = entry.run(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


def make_history(db: Path, cache: Path, answers: int = 240) -> None:
    """A real database: a started plan, a setting and a few hundred answers over weeks."""
    rng = random.Random(SEED)
    where = Locations(db=db, deck_roots=(SAMPLE_DECKS,), cache_dir=cache,
                      plan_dirs=(DATA / "plans",))  # fmt: skip
    now = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    study = Study.open(where, now)
    try:
        study.plans.start("mini", study.today, None)
        study.store.settings.put("new_per_day", 30)
        keys = sorted(study.cards)
        for _ in range(answers):
            now += timedelta(hours=rng.uniform(1, 9))
            study.answering.answer(
                rng.choice(keys), Rating(rng.randint(1, 4)), now, rng.randint(500, 60_000)
            )
    finally:
        study.close()
    assert not Path(f"{db}-wal").exists()


@pytest.fixture(scope="module")
def real_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("real")
    db = folder / "real.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Europe/Paris")  # the zone the tests read it in (see conftest)
        make_history(db, folder / "cache")
    assert db.stat().st_size >= 16 * PAGE
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_refused_unchanged(
    prepcli: Callable[..., Outcome], db: Path, words: tuple[str, ...]
) -> None:
    """Every command exits 1 with a message naming the file and one of `words`; the file
    and its folder are exactly as before."""
    before, files = digest(db), listing(db.parent)
    for argv in commands():
        result = prepcli(*argv)
        assert result.code == 1, (argv, result)
        assert str(db) in result.err and any(w in result.err for w in words), (argv, result.err)
        assert "Traceback" not in result.err
        assert digest(db) == before, f"{argv} changed the file"
        assert listing(db.parent) == files, f"{argv} left files behind"
        figures.add("database faults: commands refused cleanly")


# --- files prepcli must not use -------------------------------------------------------------


def test_a_newer_database_is_refused_unchanged(
    real_database: Path, db_path: Path, prepcli: Callable[..., Outcome]
) -> None:
    shutil.copyfile(real_database, db_path)
    connection = sqlite3.connect(db_path)
    connection.execute("CREATE TABLE from_the_future (x)")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    assert_refused_unchanged(prepcli, db_path, ("newer prepcli",))


@pytest.mark.parametrize("cut", ["one-byte", "mid-page", "half", "page-boundary", "header"])
def test_a_truncated_database_is_refused_unchanged(
    cut: str, real_database: Path, db_path: Path, prepcli: Callable[..., Outcome]
) -> None:
    data = real_database.read_bytes()
    rng = random.Random(f"{SEED}-{cut}")
    size = {
        "one-byte": len(data) - 1,
        "mid-page": rng.randrange(PAGE + 1, len(data) - 1),
        "half": len(data) // 2,
        "page-boundary": PAGE * rng.randrange(2, len(data) // PAGE),
        "header": rng.randrange(1, 100),
    }[cut]
    db_path.write_bytes(data[:size])
    assert_refused_unchanged(prepcli, db_path, ("truncated", "damaged", "not a"))


@pytest.mark.parametrize("size", [1, 100, 4096, 65536])
def test_random_bytes_are_refused_unchanged(
    size: int, db_path: Path, prepcli: Callable[..., Outcome]
) -> None:
    db_path.write_bytes(random.Random(size).randbytes(size))
    assert_refused_unchanged(prepcli, db_path, ("not a", "damaged"))


@pytest.mark.parametrize("page", range(2, 8))
def test_a_damaged_page_never_crashes(
    page: int, real_database: Path, db_path: Path, prepcli: Callable[..., Outcome]
) -> None:
    """A page of garbage inside a sound-looking file: commands that read it say the file is
    damaged; none crashes; `check`, where it exists, finds it."""
    data = bytearray(real_database.read_bytes())
    data[(page - 1) * PAGE : page * PAGE] = random.Random(page).randbytes(PAGE)
    db_path.write_bytes(bytes(data))
    for argv in commands():
        result = prepcli(*argv)
        assert result.code in (0, 1), (argv, result)
        assert "Traceback" not in result.err
        if result.code == 1 and argv[0] != "check":
            assert result.err.strip(), argv
        figures.add("database faults: commands on a damaged page")
    if _exists(["check"]):
        assert prepcli("check").code == 1


# --- places prepcli cannot write ------------------------------------------------------------

_CAPABILITIES_THAT_IGNORE_PERMISSIONS = (1, 2, 3)  # DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
_PR_CAPBSET_DROP = 24


def _as_plain_user() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _CAPABILITIES_THAT_IGNORE_PERMISSIONS:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop root's permission override")


def run_as_user(*argv: str) -> Outcome:
    """prepcli in a child process that permission bits apply to, even when we are root."""
    done = subprocess.run(
        [sys.executable, "-m", "prepcli", *argv], capture_output=True, text=True, timeout=120,
        preexec_fn=_as_plain_user if os.geteuid() == 0 else None, check=False,
    )  # fmt: skip
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def plain_user() -> Callable[..., Outcome]:
    if os.geteuid() == 0:
        probe = subprocess.run(["true"], preexec_fn=_as_plain_user, check=False)
        if probe.returncode != 0:
            pytest.skip("running as root without the right to drop CAP_DAC_OVERRIDE")
    return run_as_user


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Callable[[Path, int], None]]:
    """chmod that is undone afterwards, so pytest can clean up."""
    changed: list[tuple[Path, int]] = []

    def chmod(path: Path, mode: int) -> None:
        changed.append((path, stat.S_IMODE(path.stat().st_mode)))
        path.chmod(mode)

    yield chmod
    for path, mode in reversed(changed):
        path.chmod(mode)


# A few of each in separate processes (each costs a Python start-up): what a user runs most.
AS_USER_READS = [["today"], ["card", "show", CARD], ["stats"]]
AS_USER_WRITES = [["answer", CARD, "good"], ["undo"], ["config", "set", "new_per_day", "5"],
                  ["plan", "done", "read-paper"]]  # fmt: skip


def _writes_and_reads() -> tuple[list[list[str]], list[list[str]]]:
    return [c for c in AS_USER_WRITES if _exists(c)], [c for c in AS_USER_READS if _exists(c)]


def test_a_read_only_file_reads_but_refuses_writes(
    real_database: Path, tmp_path: Path, plain_user: Callable[..., Outcome],
    locked: Callable[[Path, int], None],
) -> None:  # fmt: skip
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "prep.sqlite3"
    shutil.copyfile(real_database, db)
    locked(db, 0o400)
    before = digest(db)
    writes, reads = _writes_and_reads()
    for argv in reads:
        result = plain_user("--db", str(db), *argv)
        assert result.code == 0, (argv, result.err)
    for argv in writes:
        result = plain_user("--db", str(db), *argv)
        assert result.code == 1, (argv, result)
        assert "read-only" in result.err and "Traceback" not in result.err, (argv, result.err)
        figures.add("database faults: commands refused cleanly")
    assert digest(db) == before


def test_a_read_only_folder_is_refused_unchanged(
    real_database: Path, tmp_path: Path, plain_user: Callable[..., Outcome],
    locked: Callable[[Path, int], None],
) -> None:  # fmt: skip
    """SQLite needs to create its -wal and -shm files beside the database."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "prep.sqlite3"
    shutil.copyfile(real_database, db)
    locked(folder, 0o500)
    before, files = digest(db), listing(folder)
    writes, reads = _writes_and_reads()
    for argv in reads + writes:
        result = plain_user("--db", str(db), *argv)
        assert result.code == 1, (argv, result)
        assert "read-only" in result.err and "Traceback" not in result.err, (argv, result.err)
        assert "not a usable" not in result.err, "the file is fine; the folder is the problem"
        figures.add("database faults: commands refused cleanly")
    assert (digest(db), listing(folder)) == (before, files)


def test_no_database_in_a_read_only_folder(
    tmp_path: Path, plain_user: Callable[..., Outcome], locked: Callable[[Path, int], None]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    locked(folder, 0o500)
    result = plain_user("--db", str(folder / "prep.sqlite3"), "answer", CARD, "good")
    assert result.code == 1 and "cannot create database" in result.err, result
    assert "Traceback" not in result.err
    assert listing(folder) == []


def test_a_missing_folder_for_an_explicit_db(
    tmp_path: Path, prepcli: Callable[..., Outcome]
) -> None:
    db = tmp_path / "no" / "such" / "folder" / "prep.sqlite3"
    for argv in commands():
        result = prepcli("--db", str(db), *argv)
        assert result.code == 1, (argv, result)
        assert f"folder {db.parent} does not exist" in result.err, (argv, result.err)
    assert not (tmp_path / "no").exists()


# --- a new database is private ---------------------------------------------------------------


def test_the_default_database_and_its_folder_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even under a permissive umask, and the files SQLite adds while it is open."""
    monkeypatch.delenv("PREPCLI_DB")
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    env = {**os.environ, "TERM": "xterm"}
    child = pexpect.spawn(
        sys.executable, ["-m", "prepcli", "review"], env=env, encoding="utf-8", timeout=30,
        dimensions=(40, 100), preexec_fn=lambda: os.umask(0),
    )  # fmt: skip
    child.expect("show answer")  # the session holds the database open here
    db = data_home / "prepcli" / "prepcli.sqlite3"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in db.parent.iterdir()}
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert modes == {name: 0o600 for name in ("prepcli.sqlite3", "prepcli.sqlite3-wal",
                                               "prepcli.sqlite3-shm")}  # fmt: skip
    assert_sound(db)
