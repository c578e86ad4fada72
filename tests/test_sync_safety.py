"""Sync with real sync engines: a last line still being copied, segments arriving in any
order, kill -9 in the middle of a sync, and a real run through two git clones."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, rows
from tests.syncing import Device, Run, collection

KV = "sample.basics/kv-cache"
ATTENTION = "sample.basics/attention-scaling"
ADD = "sample.coding/add-two"
SEED = int(os.environ.get("PREPCLI_KILL_SEED", "20261123"))
KILL_TRIALS = int(os.environ.get("PREPCLI_SYNC_KILL_TRIALS", "8"))


@pytest.fixture(autouse=True)
def decks_and_plans(sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))


def _history(device: Device, days: range, cards: list[str]) -> None:
    ratings = ["good", "again", "good", "hard", "easy", "good"]
    for day in days:
        for index, card in enumerate(cards):
            device(f"{day:02d}T{9 + index % 12:02d}:{index // 12:02d}", "answer", card,
                   ratings[(day + index) % len(ratings)])  # fmt: skip


def test_a_line_still_being_copied_waits_and_is_applied_once(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a = Device(run, monkeypatch, tmp_path / "a.sqlite3")
    b = Device(run, monkeypatch, tmp_path / "b.sqlite3")
    reference = Device(run, monkeypatch, tmp_path / "reference.sqlite3")
    folder, copy = tmp_path / "shared", tmp_path / "copy"
    _history(a, range(1, 10, 2), [KV, ATTENTION, ADD])
    a.sync("20T09:00", folder)
    reference.sync("20T09:01", folder)
    (segment,) = folder.glob("*/*.jsonl")
    data = segment.read_bytes()
    lines = data.split(b"\n")
    cut = len(b"\n".join(lines[:6])) + 1 + len(lines[6]) // 2  # halfway through line 7
    target = copy / segment.relative_to(folder)
    target.parent.mkdir(parents=True)
    applied, waiting = [], []
    for end in (cut, cut + 3, len(data)):  # the copy grows, as a sync engine writes it
        target.write_bytes(data[:end])
        report = b.sync("20T09:02", copy)
        applied.append(report["applied"])
        waiting.append([w["bytes"] for w in report["waiting"]])
    half = len(lines[6]) // 2
    assert waiting == [[half], [half + 3], []]  # the incomplete line is never read
    assert applied == [5, 0, 10]  # the events on complete lines, each once
    assert collection(b.db) == collection(reference.db) == collection(a.db)


def test_segments_arriving_in_any_order_give_the_same_database(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A month's segment with an answer, the next month's with its undo: delivered the
    later one first, the undo waits for its answer."""
    a = Device(run, monkeypatch, tmp_path / "a.sqlite3")
    folder = tmp_path / "shared"
    _history(a, range(20, 27, 2), [KV, ATTENTION])
    a.sync("28T09:00", folder)
    monkeypatch.setenv("PREPCLI_NOW", "2026-12-02T09:00:00+01:00")
    assert run("--db", str(a.db), "undo").code == 0
    assert run("--db", str(a.db), "answer", ADD, "good").code == 0
    assert run("--db", str(a.db), "sync", str(folder)).code == 0
    segments = sorted(folder.glob("*/*.jsonl"))
    assert [s.name[:7] for s in segments] == ["2026-11", "2026-12"]  # rotated monthly
    results = []
    for order in (segments, segments[::-1]):
        device = Device(run, monkeypatch, tmp_path / f"b{len(results)}.sqlite3")
        copy = tmp_path / f"copy{len(results)}"
        for segment in order:
            target = copy / segment.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(segment, target)
            device.sync("28T09:10", copy)
        results.append(collection(device.db))
    assert results[0] == results[1] == collection(a.db)


def _big_decks(folder: Path, cards: int) -> list[str]:
    folder.mkdir()
    lines = ["version: 1", "deck: bulk.cards", "title: Bulk", "description: Many cards.",
             "sources: [synthetic]", "tags: [bulk]", "cards:"]  # fmt: skip
    for index in range(cards):
        lines += [f"  - id: card-{index:03d}", "    kind: concept",
                  f"    front: Question {index}?", f"    back: Answer {index}."]  # fmt: skip
    (folder / "bulk.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [f"bulk.cards/card-{index:03d}" for index in range(cards)]


def _sync_process(db: Path, folder: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PREPCLI_NOW="2026-11-30T09:00:00+01:00")
    return subprocess.Popen(
        [sys.executable, "-m", "prepcli", "--db", str(db), "sync", str(folder)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _events(folder: Path, device: str) -> dict[str, str]:
    """A device's events in the folder, by id; every copy of an id must be the same line."""
    found: dict[str, str] = {}
    for segment in sorted((folder / device).glob("*.jsonl")):
        for line in segment.read_text("utf-8").split("\n")[1:]:
            if not line.endswith("}"):
                continue  # a line cut off by the kill, left behind
            identifier = json.loads(line)["id"]
            assert found.setdefault(identifier, line) == line, "one id, two different lines"
    return found


def test_kill_9_during_sync_loses_nothing_and_applies_nothing_twice(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = _big_decks(tmp_path / "decks", 150)
    monkeypatch.setenv("PREPCLI_DECKS", str(tmp_path / "decks"))
    a = Device(run, monkeypatch, tmp_path / "a.sqlite3")
    b = Device(run, monkeypatch, tmp_path / "b.sqlite3")
    folder = tmp_path / "shared"
    b.sync("01T08:00", folder)  # B is a device already (its id is fixed for every copy)
    rng = random.Random(SEED)
    for day in (2, 5, 9):
        for key in keys:
            a(f"{day:02d}T09:00", "answer", key, rng.choice(["good", "again", "hard"]))
    for key in keys[:40]:
        b("09T10:00", "answer", key, "easy")  # the same cards, unsynced: replayed
    a("09T11:00", "undo")
    a.sync("09T12:00", folder)
    device_b = _device(b.db)
    reference_db, reference_folder = tmp_path / "reference.sqlite3", tmp_path / "reference"
    shutil.copyfile(b.db, reference_db)
    shutil.copytree(folder, reference_folder)
    started = time.monotonic()
    clean = _sync_process(reference_db, reference_folder)
    assert clean.wait(timeout=120) == 0, clean.communicate()
    whole = time.monotonic() - started
    expected = collection(reference_db)
    expected_events = _events(reference_folder, device_b)
    outcomes = set()
    for trial in range(KILL_TRIALS):
        db, shared = tmp_path / f"t{trial}.sqlite3", tmp_path / f"t{trial}"
        shutil.copyfile(b.db, db)
        shutil.copytree(folder, shared)
        process = _sync_process(db, shared)
        try:
            process.wait(timeout=whole * rng.uniform(0.3, 1.1))
            outcomes.add("finished")
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
            outcomes.add("killed")
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
        finish = _sync_process(db, shared)  # then it syncs normally
        assert finish.wait(timeout=120) == 0, (trial, finish.communicate())
        assert collection(db) == expected, f"trial {trial}"
        assert _events(shared, device_b) == expected_events, f"trial {trial}"
    assert "killed" in outcomes


@pytest.mark.parametrize("fault", ["before the write", "mid-line", "after the write"])
def test_a_write_cut_off_anywhere_is_finished_by_the_next_sync(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fault: str
) -> None:
    """The three places a kill can cut the publishing of events: after they are recorded
    and before the file is touched, halfway through a line, and after the lines are
    synced to disk but before the database records them as written."""
    from prepcli.storage import syncdb, synclog

    a = Device(run, monkeypatch, tmp_path / "a.sqlite3")
    b = Device(run, monkeypatch, tmp_path / "b.sqlite3")
    folder = tmp_path / "shared"
    a("23T09:00", "answer", KV, "good")
    a.sync("23T09:01", folder)
    a("23T09:02", "answer", ATTENTION, "good")
    a("23T09:03", "answer", ADD, "easy")
    real_append, real_locate = synclog.append, syncdb.locate

    def append(folder: Path, relative: str, text: str) -> int:
        if fault == "before the write":
            raise KeyboardInterrupt
        if fault == "mid-line":
            real_append(folder, relative, text[: len(text) - 40])
            raise KeyboardInterrupt
        return real_append(folder, relative, text)

    def locate(store: object, located: object) -> None:
        if fault == "after the write" and located:
            raise KeyboardInterrupt
        real_locate(store, located)  # type: ignore[arg-type]

    monkeypatch.setattr(synclog, "append", append)
    monkeypatch.setattr(syncdb, "locate", locate)
    a("23T09:04", "sync", str(folder), code=130)  # as Ctrl-C, or a kill, would stop it
    monkeypatch.setattr(synclog, "append", real_append)
    monkeypatch.setattr(syncdb, "locate", real_locate)
    report = a.sync("23T09:05", folder)
    # What the cut-off write left whole counts as written; the rest is written now.
    assert report["written"] == {"before the write": 2, "mid-line": 1, "after the write": 0}[fault]
    assert a.sync("23T09:06", folder)["written"] == 0
    b.sync("23T09:07", folder)
    assert collection(b.db) == collection(a.db)
    events = _events(folder, _device(a.db))
    assert sorted(events) == [f"{_device(a.db)}-{n}" for n in (1, 2, 3)]
    segments = sorted(folder.glob("*/*.jsonl"))
    assert len(segments) == (2 if fault == "mid-line" else 1)  # a cut line: a new segment
    status = json.loads(b("23T09:08", "sync", "--status", "--json").out)
    assert status["problems"] == []


def _device(db: Path) -> str:
    return str(rows(db, "SELECT device FROM sync_device")[0][0])


def _git(folder: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")  # fmt: skip
    done = subprocess.run(["git", "-C", str(folder), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_real_run_through_two_git_clones(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """README's git recipe: `sync`, commit, pull, push, `sync` on each clone; the pulls
    never conflict, and both end with the same `stats --json`."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", "-b", "main", str(remote)], check=True)
    clones = [tmp_path / "laptop", tmp_path / "desktop"]
    # Set up once on the first device, then cloned on the other (README, git recipe).
    subprocess.run(["git", "clone", "-q", str(remote), str(clones[0])], check=True,
                   capture_output=True)  # fmt: skip
    (clones[0] / ".gitattributes").write_text("* -text\n", encoding="utf-8")
    _git(clones[0], "add", ".gitattributes")
    _git(clones[0], "commit", "-q", "-m", "prepcli sync folder")
    _git(clones[0], "push", "-q", "origin", "HEAD:main")
    subprocess.run(["git", "clone", "-q", str(remote), str(clones[1])], check=True,
                   capture_output=True)  # fmt: skip
    laptop = Device(run, monkeypatch, tmp_path / "laptop.sqlite3")
    desktop = Device(run, monkeypatch, tmp_path / "desktop.sqlite3")

    def round_trip(device: Device, clone: Path, when: str) -> None:
        device.sync(when, clone)
        _git(clone, "add", "-A")
        if _git(clone, "status", "--porcelain"):
            _git(clone, "commit", "-q", "-m", "prepcli sync")
        _git(clone, "pull", "-q", "--no-rebase", "origin", "main")
        device.sync(when, clone)
        _git(clone, "add", "-A")
        if _git(clone, "status", "--porcelain"):
            _git(clone, "commit", "-q", "-m", "prepcli sync")
        _git(clone, "push", "-q", "origin", "HEAD:main")

    laptop("23T09:00", "plan", "start", "--plan", "mini", "--interview", "2026-12-10")
    laptop("23T09:05", "answer", KV, "good")
    desktop("23T09:06", "answer", KV, "again")  # the same card, before they synced
    desktop("23T09:07", "answer", ADD, "easy")
    for when in ("23T10:00", "23T10:01", "23T10:02"):
        round_trip(laptop, clones[0], when)
        round_trip(desktop, clones[1], when)
    laptop("24T09:00", "plan", "done", "read-paper")
    desktop("24T09:05", "answer", ATTENTION, "good")
    for when in ("24T10:00", "24T10:01"):
        round_trip(laptop, clones[0], when)
        round_trip(desktop, clones[1], when)
    stats = [json.loads(d("24T11:00", "stats", "--json").out) for d in (laptop, desktop)]
    assert stats[0] == stats[1] and stats[0]["reviews_total"] == 4
    assert collection(laptop.db) == collection(desktop.db)
    assert _git(clones[0], "log", "--merges", "--oneline")  # real merges, none conflicted


@pytest.mark.parametrize("loss", ["deleted", "an older copy"])
def test_a_log_lost_from_the_folder_is_written_again(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, loss: str
) -> None:
    """This device's file gone from the folder, or put back as an older copy (a `git
    reset`, a restored backup): its events are written again, into a new segment (the
    old one is never appended to again), and a new device still gets everything."""
    a = Device(run, monkeypatch, tmp_path / "a.sqlite3")
    folder = tmp_path / "shared"
    a("23T09:00", "answer", KV, "good")
    a.sync("23T09:01", folder)
    (segment,) = folder.glob("*/*.jsonl")
    older = segment.read_bytes()
    a("23T09:02", "answer", ATTENTION, "good")
    a("23T09:03", "card", "suspend", ADD)
    a.sync("23T09:04", folder)
    if loss == "deleted":
        segment.unlink()
    else:
        segment.write_bytes(older)
    report = a.sync("23T09:05", folder)
    assert report["written"] == (3 if loss == "deleted" else 2)
    assert len(list(folder.glob("*/*.jsonl"))) == (1 if loss == "deleted" else 2)
    if loss != "deleted":
        assert segment.read_bytes() == older  # never appended to again
    b = Device(run, monkeypatch, tmp_path / "b.sqlite3")
    b.sync("23T09:06", folder)
    assert collection(b.db) == collection(a.db)
    assert a.sync("23T09:07", folder)["written"] == 0


@pytest.mark.parametrize("cut", [False, True])
def test_a_long_history_is_written_in_segments_a_sync_engine_can_carry(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cut: bool
) -> None:
    """A first sync of a long history writes it in segments of at most SEGMENT_BYTES (a
    git host refuses a file over 100 MB; a year of answers makes one), each whole. With
    `cut`, a kill leaves the second segment's last line half written: the next sync
    writes the rest, nothing twice, and no file of this device is left waiting."""
    from prepcli.storage import synclog

    limit = 3_000
    monkeypatch.setattr(synclog, "SEGMENT_BYTES", limit)
    a = Device(run, monkeypatch, tmp_path / "a.sqlite3")
    b = Device(run, monkeypatch, tmp_path / "b.sqlite3")
    folder = tmp_path / "shared"
    _history(a, range(1, 12), [KV, ATTENTION, ADD])
    real_append, appends = synclog.append, []

    def append(folder: Path, relative: str, text: str) -> int:
        appends.append(relative)
        if cut and len(appends) == 2:
            real_append(folder, relative, text[: len(text) - 40])
            raise KeyboardInterrupt
        return real_append(folder, relative, text)

    monkeypatch.setattr(synclog, "append", append)
    left_whole = 0
    if cut:
        a("20T09:00", "sync", str(folder), code=130)
        monkeypatch.setattr(synclog, "append", real_append)
        left_whole = len(_events(folder, _device(a.db)))
        assert left_whole > 0  # the first segment, and the second's lines before the cut
    assert a.sync("20T09:01", folder)["written"] == 33 - left_whole
    assert a.sync("20T09:02", folder)["written"] == 0
    device = _device(a.db)
    segments = sorted((folder / device).glob("*.jsonl"))
    assert len(segments) >= 33 * 450 // limit
    for segment in segments:
        data = segment.read_bytes()
        assert len(data) <= limit or data.count(b"\n") <= 2  # a header and one long line
        if not (cut and segment == segments[1]):
            assert data.endswith(b"\n")
    assert len(_events(folder, device)) == 33  # every answer, each once
    _history(a, range(21, 23), [KV, ATTENTION, ADD])  # later syncs fill the last segment
    assert a.sync("22T23:00", folder)["written"] == 6
    for minute in range(3):
        a(f"23T09:0{minute}", "answer", KV, "good")
        assert a.sync(f"23T09:1{minute}", folder)["written"] == 1
    for segment in sorted((folder / device).glob("*.jsonl")):
        assert len(segment.read_bytes()) <= limit or segment.read_bytes().count(b"\n") <= 2
    assert len(_events(folder, device)) == 42
    b.sync("20T09:03", folder)
    assert collection(b.db) == collection(a.db)
    for who in (a, b):
        status = json.loads(who("20T09:04", "sync", "--status", "--json").out)
        assert status["problems"] == []
        if who is a or not cut:  # B cannot tell A's cut line from one still being copied
            assert status["not_read"] == []
