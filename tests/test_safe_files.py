"""Files prepcli writes and reads at the edge: export never over the database or another
file, writes whole or not at all, everything private, backups per database, caches only
trusted when they are the user's own, deck scans that stay in their folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prepcli.app.maintenance import database_identity
from prepcli.files import deckfiles, safeio, yamlfile
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
CARD = "sample.basics/kv-cache"
BACKUPS = ("data", "prepcli", "backups")


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.fixture
def answered(run: Run, sample_decks: Path, db_path: Path) -> Path:
    assert run("answer", CARD, "good").code == 0
    assert run("answer", "sample.basics/attention-scaling", "again").code == 0
    return db_path


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""

    def ring(_signum: int, _frame: object) -> None:
        raise AssertionError("still running after 60 s: a hang")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- export: never over the database, never over a file without --force --------------------


@pytest.mark.parametrize("format_", ["csv", "json", "anki"])
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("force", [False, True])
def test_export_onto_the_database_or_its_files_is_refused(
    run: Run, answered: Path, format_: str, suffix: str, force: bool
) -> None:
    target = Path(f"{answered}{suffix}")
    before = _digest(answered)
    result = run("export", "-f", format_, "-o", str(target), *(["--force"] if force else []))
    assert result.code == 2, result
    assert result.err.startswith(f"error: {target} is the database") and "in use" in result.err
    assert _digest(answered) == before
    assert run("today").code == 0
    assert rows(answered, "SELECT COUNT(*) FROM review") == [(2,)]


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_link_to_the_database_is_the_database(
    run: Run, answered: Path, tmp_path: Path, link: str
) -> None:
    target = tmp_path / "innocent.csv"
    if link == "symbolic":
        target.symlink_to(answered)
    else:
        os.link(answered, target)
    before = _digest(answered)
    result = run("export", "-f", "csv", "-o", str(target), "--force")
    assert result.code == 2 and "is the database in use" in result.err
    assert _digest(answered) == before
    assert rows(answered, "SELECT COUNT(*) FROM review") == [(2,)]


def test_export_never_replaces_a_file_without_force(
    run: Run, answered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "notes.json"
    target.write_text("my own notes\n", encoding="utf-8")
    for format_ in ("json", "csv", "anki"):
        result = run("export", "-f", format_, "-o", str(target))
        assert (result.code, result.err) == (
            2,
            f"error: {target} already exists; name a new file, or add --force to replace it\n",
        )
        assert target.read_text(encoding="utf-8") == "my own notes\n"
    default = Path("prepcli.apkg")  # the Anki default, in the current folder
    monkeypatch.chdir(tmp_path)
    default.write_bytes(b"an older package")
    assert run("export", "-f", "anki").code == 2
    assert default.read_bytes() == b"an older package"


def test_force_replaces_an_ordinary_file_only(run: Run, answered: Path, tmp_path: Path) -> None:
    target = tmp_path / "old.json"
    target.write_text("old\n", encoding="utf-8")
    result = run("export", "-f", "json", "-o", str(target), "--force")
    assert result.code == 0, result.err
    assert '"format": "prepcli-export"' in target.read_text(encoding="utf-8")
    # A symbolic link is replaced by the export, never written through.
    kept = tmp_path / "kept.txt"
    kept.write_text("kept\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(kept)
    assert run("export", "-f", "csv", "-o", str(link), "--force").code == 0
    assert kept.read_text(encoding="utf-8") == "kept\n" and not link.is_symlink()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for special in (fifo, Path("/dev/null")):
        result = run("export", "-f", "csv", "-o", str(special), "--force")
        assert result.code == 2 and "not a regular file" in result.err, result


def _fail_midway(monkeypatch: pytest.MonkeyPatch, format_: str) -> None:
    """Make the export fail as a full disk would, after part of the file was written."""
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if format_ == "csv":
        from prepcli.storage import transfer

        def half(*args: Any) -> int:
            args[-1].write("card,in_decks\nsample.basics/kv-cache,1\n")
            raise full

        monkeypatch.setattr(transfer, "write_csv", half)
    elif format_ == "json":

        def fsync(_descriptor: int) -> None:
            raise full

        monkeypatch.setattr(safeio.os, "fsync", fsync)
    else:
        from prepcli.storage import ankiexport

        def partial(_decks: Any, path: Path, _now: Any, _schedule: Any) -> Any:
            path.write_bytes(b"PK\x03\x04 half a zip")
            raise full

        monkeypatch.setattr(ankiexport, "write_apkg", partial)


@pytest.mark.parametrize("format_", ["csv", "json", "anki"])
def test_a_failed_export_leaves_the_old_file_intact(
    run: Run, answered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, format_: str
) -> None:
    target = tmp_path / "out" / f"export.{format_}"
    target.parent.mkdir()
    assert run("export", "-f", format_, "-o", str(target)).code == 0
    good = target.read_bytes()
    _fail_midway(monkeypatch, format_)
    result = run("export", "-f", format_, "-o", str(target), "--force")
    assert result.code == 1
    assert result.err == (
        f"error: cannot write {target}: No space left on device; nothing was changed\n"
    )
    assert target.read_bytes() == good
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no .partial


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_leftovers_of_killed_runs_are_removed_by_the_next_export_and_backup(
    run: Run, answered: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    dead = folder / f".export.json.prepcli-{_dead_pid()}-0123abcd.partial"
    old = folder / ".export.json.prepcli-1-0123abcd.partial"  # pid 1 runs, but a day ago
    live = folder / f".other.json.prepcli-{os.getpid()}-0123abcd.partial"  # still writing
    mine = folder / ".notes.partial"  # not prepcli's
    for path in (dead, old, live, mine):
        path.write_bytes(b"half")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert run("export", "-o", str(folder / "export.json")).code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted([live.name, mine.name, "export.json"])

    backups = tmp_path / "backups"
    backups.mkdir()
    killed = backups / f".prep-x-20261123T080000Z.sqlite3.prepcli-{_dead_pid()}-0123abcd.partial"
    killed.write_bytes(b"half a database")
    assert run("backup", str(backups)).code == 0
    assert not killed.exists()


@pytest.mark.parametrize("suffix", ["-journal", "-wal"])
def test_a_backup_is_never_written_as_the_databases_own_files(
    run: Run, answered: Path, suffix: str
) -> None:
    target = Path(f"{answered}{suffix}")
    target.unlink(missing_ok=True)  # not there now: SQLite would still take it for its own
    result = run("backup", str(target))
    assert result.code == 2 and "is the database's" in result.err, result
    assert not target.exists()
    assert run("today").code == 0


def test_a_failed_backup_leaves_nothing_behind(
    run: Run, answered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def publish(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(safeio, "publish", publish)
    folder = tmp_path / "backups"
    folder.mkdir()
    result = run("backup", str(folder))
    assert result.code == 1 and "No space left on device" in result.err
    assert list(folder.iterdir()) == []


# --- private files ---------------------------------------------------------------------------


@pytest.fixture
def umask_000() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, tuple[int, bool]]:
    """Every file and folder under `root` (itself included): its mode and whether a folder."""
    return {
        str(path): (path.stat().st_mode & 0o777, path.is_dir())
        for path in [root, *root.rglob("*")]
        if not path.is_symlink()
    }


@pytest.mark.usefixtures("umask_000", "sample_decks")
def test_everything_prepcli_creates_is_private_under_umask_000(
    run: Run, tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = tmp_path / "made"
    made.mkdir(mode=0o700)  # the folder of an explicit --db: the user's own
    made.chmod(0o700)
    monkeypatch.setenv("PREPCLI_CACHE_DIR", str(made / "cache" / "deep"))
    monkeypatch.setenv("PREPCLI_DB", str(made / "prep.sqlite3"))
    assert run("answer", CARD, "good").code == 0
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    assert run("plan", "start", "--plan", "mini", "--interview", "2026-12-10").code == 0
    assert run("today").code == 0  # the interview planner's day, kept in the cache
    for format_, name in (("json", "e.json"), ("csv", "e.csv"), ("anki", "e.apkg")):
        assert run("export", "-f", format_, "-o", str(made / name)).code == 0
    assert run("backup").code == 0  # into the data dir's backups/, created here
    assert run("backup", str(made / "copy.sqlite3")).code == 0
    practice = run(
        "practice",
        "sample.coding/add-two",
        "--no-editor",
        "--dir",
        str(made / "practice" / "deeper"),
    )
    assert practice.code == 0, practice.err
    new = run("deck", "new", str(made / "decks" / "new.yaml"), "--deck", "a.b", "--title", "T")
    assert new.code == 0, new.err
    modes = {**_modes(made), **_modes(isolated_home / "data")}
    wrong = {
        path: oct(mode)
        for path, (mode, folder) in modes.items()
        if mode != (0o700 if folder else 0o600)
    }
    assert wrong == {}
    names = [Path(path).name for path in modes]
    assert len(modes) >= 20, names
    assert "decks.sqlite3" in names, "the deck cache was written"
    assert any(name.startswith("interview-plan-") for name in names), "the plan cache too"
    assert any(name.startswith("prep-") and name.endswith(".sqlite3") for name in names)
    assert {"e.json", "e.csv", "e.apkg", "copy.sqlite3", "add-two.py", "new.yaml"} <= set(names)


# --- backups per database ------------------------------------------------------------------


@pytest.mark.usefixtures("sample_decks")
def test_two_databases_in_one_backup_folder_keep_each_others_backups(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a" / "prep.sqlite3", tmp_path / "b" / "prep.sqlite3"
    folder = tmp_path / "backups"
    folder.mkdir()
    legacy = folder / "prep-20200101T000000Z.sqlite3"  # named by an older prepcli
    legacy.write_bytes(b"an old backup")
    for db in (first, second):
        db.parent.mkdir()
        assert run("--db", str(db), "answer", CARD, "good").code == 0
    for day in ("2026-11-24", "2026-11-25", "2026-11-26"):
        monkeypatch.setenv("PREPCLI_NOW", f"{day}T09:00+01:00")
        for db in (first, second):
            assert run("--db", str(db), "backup", str(folder), "--keep", "1").code == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            legacy.name,
            f"prep-{database_identity(first)}-20261126T080000Z.sqlite3",
            f"prep-{database_identity(second)}-20261126T080000Z.sqlite3",
        ]
    )
    assert database_identity(first) != database_identity(second)


# --- caches --------------------------------------------------------------------------------


class _Planted:
    """A pickle that, when loaded, leaves a mark: what a planted cache would run."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.mark, "ran"))


def _tampered_copy(file: Path, planted: Path) -> None:
    """A copy of a cache file whose content, if it were trusted, would show: every card's
    front (deck cache), or a card at risk (the interview plan)."""
    if file.suffix == ".sqlite3":
        shutil.copyfile(file, planted)
        connection = sqlite3.connect(planted)
        with connection:
            connection.execute(
                "UPDATE card SET definition = json_set(definition, '$.front', 'PLANTED')"
            )
        connection.close()
    else:
        document = json.loads(file.read_text("utf-8"))
        document["plan"]["at_risk"] = ["PLANTED/card"]
        planted.write_text(json.dumps(document), "utf-8")


@pytest.mark.usefixtures("sample_decks")
@pytest.mark.parametrize("how", ["writable by others", "a symbolic link", "another owner"])
def test_a_cache_file_that_is_not_safely_the_users_own_is_never_loaded(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    assert run("plan", "start", "--plan", "mini", "--interview", "2026-12-10").code == 0
    assert run("today").code == 0  # writes the caches
    files = sorted(cache.iterdir())
    assert [f.name.split("-")[0] for f in files] == ["decks.sqlite3", "interview"]
    mark = tmp_path / "ran"
    for file in files:
        planted = tmp_path / f"planted-{file.name}"
        _tampered_copy(file, planted)
        file.unlink()
        if how == "writable by others":
            planted.rename(file)
            file.chmod(0o666)
        elif how == "a symbolic link":
            file.symlink_to(planted)
        else:
            planted.rename(file)
            if os.geteuid() != 0:
                pytest.skip("only root can give a file to another user")
            os.chown(file, 65534, 65534)
    # Pickles where older versions kept their caches: never loaded now.
    for name in ("decks-0-0.pickle", "decks-0-0.index.pickle", "interview-plan-0-0.pickle"):
        (cache / name).write_bytes(pickle.dumps(_Planted(mark)))
    shown = [run("today", "--json"), run("deck", "list"), run("next", "--json")]
    assert [result.code for result in shown] == [0, 0, 0]
    assert not any("PLANTED" in result.out for result in shown)
    assert json.loads(shown[2].out)["front"] != "PLANTED"
    assert not mark.exists()
    if how == "a symbolic link":  # the link was replaced, never written through
        assert "PLANTED" in (tmp_path / "planted-decks.sqlite3").read_bytes().decode("latin-1")
        assert not (cache / "decks.sqlite3").is_symlink()


# --- deck scans ------------------------------------------------------------------------------


def test_symbolic_links_out_of_a_deck_folder_are_refused_with_a_warning(
    run: Run, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "basics.yaml").write_bytes((SAMPLE_DECKS / "basics.yaml").read_bytes())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "coding.yaml").write_bytes((SAMPLE_DECKS / "coding.yaml").read_bytes())
    (decks / "passwd.yaml").symlink_to("/etc/passwd")
    (decks / "more").symlink_to(outside)
    result = run("deck", "lint", str(decks))
    assert result.code == 0
    assert (
        f"{decks / 'passwd.yaml'}:1:1: warning: symbolic link to /etc/passwd, outside the "
        "deck folder: not followed" in result.out
    )
    assert f"{decks / 'more'}:1:1: warning: symbolic link to {outside.resolve()}" in result.out
    assert "1 file, 1 deck" in result.out
    listed = run("--decks", str(decks), "deck", "list", "--json")
    assert listed.code == 0 and '"sample.coding"' not in listed.out


def test_a_deck_folder_removed_during_the_scan_is_skipped(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decks = tmp_path / "decks"
    (decks / "gone").mkdir(parents=True)
    (decks / "basics.yaml").write_bytes((SAMPLE_DECKS / "basics.yaml").read_bytes())
    (decks / "gone" / "coding.yaml").write_bytes((SAMPLE_DECKS / "coding.yaml").read_bytes())
    real = os.scandir

    def scandir(path: Any) -> Any:
        if str(path).endswith("gone"):
            for file in Path(path).iterdir():
                file.unlink()
            Path(path).rmdir()  # removed between the listing of its parent and its own
        return real(path)

    monkeypatch.setattr(deckfiles.os, "scandir", scandir)
    result = run("--decks", str(decks), "deck", "list", "--json")
    assert result.code == 0, result.err
    assert '"sample.basics"' in result.out and '"sample.coding"' not in result.out


def test_a_deck_file_removed_after_the_scan_is_skipped(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prepcli.files import decks as decks_module

    real = decks_module.scan_decks

    def scan(roots: Any) -> Any:
        found = real(roots)
        found.files.append(tmp_path / "vanished.yaml")
        return found

    monkeypatch.setattr(decks_module, "scan_decks", scan)
    result = run("--decks", str(SAMPLE_DECKS), "deck", "list")
    assert result.code == 0, result.err


@pytest.mark.usefixtures("alarm")
@pytest.mark.parametrize(
    "command", [["deck", "lint", "/"], ["deck", "preview", "/"], ["--decks", "/", "deck", "list"]]
)
def test_a_scan_of_a_whole_disk_stops_with_a_message(run: Run, command: list[str]) -> None:
    started = time.monotonic()
    result = run(*command)
    assert result.code == 1
    assert "more than 50,000 files and folders: stopped looking for decks here" in (
        result.out + result.err
    )
    assert "Traceback" not in result.err
    assert time.monotonic() - started < 30


def test_a_50000_card_deck_is_not_an_alias_bomb(tmp_path: Path) -> None:
    lines = ["version: 1", "deck: big", "title: Big", "description: Big.", "cards:"]
    for number in range(50_000):
        lines += [
            f"  - id: c{number}",
            "    kind: concept",
            f"    front: Q{number}?",
            f"    back: A{number}.",
        ]
    big = tmp_path / "big.yaml"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    node, problems = yamlfile.load(big)
    assert problems == [] and node is not None
    assert isinstance(node.value, dict)
    cards = node.value["cards"].value
    assert isinstance(cards, list) and len(cards) == 50_000
    bomb = DATA / "bad_decks" / "alias-bomb.yaml"
    assert "an alias bomb?" in str(yamlfile.load(bomb)[1][0])


# --- special files as arguments ----------------------------------------------------------------


@pytest.mark.usefixtures("alarm", "sample_decks")
def test_special_files_are_refused_at_once(run: Run, tmp_path: Path, answered: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for argv in (
        ["--db", str(fifo), "today"],
        ["--db", str(fifo)],
        ["import", str(fifo)],
        ["import", "/dev/zero"],
        ["simulate", "--learner-params", str(fifo)],
        ["simulate", "--learner-params", "/dev/zero"],
        ["--decks", str(fifo), "deck", "list"],
        ["deck", "lint", str(fifo)],
        ["--db", "/dev/null", "answer", CARD, "good"],
        ["--db", "/dev/null"],
        ["backup", "/dev/null"],
    ):
        result = run(*argv)
        assert result.code == 2, (argv, result)
        assert len(result.err.strip().splitlines()) == 1, result.err
    assert not Path("/dev/null-journal").exists()


@pytest.mark.usefixtures("sample_decks")
def test_learner_parameters_that_are_not_a_list_are_refused(run: Run, tmp_path: Path) -> None:
    binary = tmp_path / "junk.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    for value in ("[" * 100_000, "[" + "1e999, " * 20 + "1]", str(binary), str(deep)):
        result = run("simulate", "--learner-params", value, "--cards", "5", "--seeds", "1")
        assert result.code == 2, (value[:40], result)
        assert result.err.startswith("error: --learner-params: ")


def test_now_outside_the_years_prepcli_works_with_is_refused(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for value in ("0001-01-01T00:00+05:00", "0001-01-01", "9999-12-31T23:59-05:00", "3000-01-02"):
        monkeypatch.setenv("PREPCLI_NOW", value)
        result = run()
        assert result.code == 1
        assert result.err.startswith(f"error: PREPCLI_NOW={value!r} is "), result.err
