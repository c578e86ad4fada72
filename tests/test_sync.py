"""Sync through a shared folder (issue 19): two databases that answer, undo and tick on
their own, synced in either order and repeatedly, end up equal to each other and to one
database that saw every event; conflicts follow their rules; `--status`, `check`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prepcli.app.syncmerge import Logged, Rules, replay
from prepcli.core.models import Settings
from tests.conftest import DATA, rows
from tests.syncing import Device, Run, collection, views

KV = "sample.basics/kv-cache"
ATTENTION = "sample.basics/attention-scaling"
STORY = "sample.basics/conflict-story"
ADD = "sample.coding/add-two"


@pytest.fixture(autouse=True)
def decks_and_plans(sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))


@pytest.fixture
def devices(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Device, Device, Device]:
    """Two devices and one database that sees everything both do."""
    return (
        Device(run, monkeypatch, tmp_path / "a.sqlite3"),
        Device(run, monkeypatch, tmp_path / "b.sqlite3"),
        Device(run, monkeypatch, tmp_path / "single.sqlite3"),
    )


def _sync_all(order: str, when: str, folder: Path, a: Device, b: Device, times: int = 2) -> None:
    first, second = (a, b) if order == "ab" else (b, a)
    for _ in range(times):
        first.sync(when, folder)
        second.sync(when, folder)


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_two_devices_equal_one_database_that_saw_everything(
    devices: tuple[Device, Device, Device], tmp_path: Path, order: str
) -> None:
    a, b, single = devices
    folder = tmp_path / "shared"
    # Day one: a plan started on A reaches B.
    for device in (a, single):
        device("23T09:00", "plan", "start", "--plan", "mini", "--interview", "2026-12-10")
    a.sync("23T09:01", folder)
    b.sync("23T09:02", folder)
    # The same card answered on both before they sync; an answer of A's that B has seen,
    # undone on A; a tick on each. The single database sees it all in time order.
    steps: list[tuple[Device, str, tuple[str, ...]]] = [
        (a, "23T09:10", ("answer", ATTENTION, "good")),
        (b, "23T09:11", ("answer", ATTENTION, "again")),
        (a, "23T09:12", ("answer", KV, "good")),
        (a, "23T09:13", ("sync", str(folder))),
        (b, "23T09:14", ("sync", str(folder))),
        (a, "23T09:15", ("undo",)),
        (b, "23T09:16", ("answer", ADD, "easy")),
        (a, "23T09:17", ("plan", "done", "read-paper")),
        (b, "23T09:20", ("plan", "done", "write-notes")),
        (a, "23T09:21", ("card", "suspend", STORY)),
    ]
    for device, when, args in steps:
        device(when, *args)
        if args[0] != "sync":
            single(when, *args)
    _sync_all(order, "23T09:30", folder, a, b)
    assert collection(a.db) == collection(b.db) == collection(single.db)
    # Day three: the same card again on both, a tick taken back on B, one more on A.
    steps = [
        (a, "25T09:00", ("answer", ATTENTION, "good")),
        (b, "25T09:05", ("answer", ATTENTION, "hard")),
        (b, "25T09:06", ("plan", "undo", "write-notes")),
        (a, "25T09:07", ("plan", "done", "mock-interview")),
        (b, "25T09:08", ("answer", KV, "good")),
        (b, "25T09:09", ("card", "unsuspend", STORY)),
    ]
    for device, when, args in steps:
        device(when, *args)
        single(when, *args)
    _sync_all(order, "25T09:30", folder, a, b, times=3)
    assert collection(a.db) == collection(b.db) == collection(single.db)
    assert views(a, "25T10:00") == views(b, "25T10:00") == views(single, "25T10:00")
    assert len(collection(a.db)["log"][ATTENTION]) == 4  # both devices' answers, twice
    assert KV in collection(a.db)["log"]  # B's answer; A's undone one is not there
    # Syncing again changes nothing, on either device.
    before = (collection(a.db), collection(b.db))
    report = a.sync("25T10:10", folder)
    assert (report["written"], report["applied"], report["cards_changed"]) == (0, 0, 0)
    b.sync("25T10:10", folder)
    assert (collection(a.db), collection(b.db)) == before


def test_an_undo_takes_back_only_its_own_devices_answer(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, b, single = devices
    folder = tmp_path / "shared"
    a("23T09:10", "answer", KV, "good")
    a.sync("23T09:11", folder)
    b.sync("23T09:12", folder)
    b("23T09:13", "answer", KV, "easy")  # built on A's answer
    assert "Undid Good on sample.basics/kv-cache" in a("23T09:14", "undo").out
    b.sync("23T09:20", folder)
    report = a.sync("23T09:21", folder)
    assert report["undone"] == 1
    b.sync("23T09:22", folder)
    single("23T09:13", "answer", KV, "easy")  # what remains: B's answer alone
    assert collection(a.db) == collection(b.db) == collection(single.db)
    # After a sync that brought another device's answers, `undo` never takes them back.
    assert a("23T09:30", "undo").out == "Nothing to undo.\n"


def test_the_first_sync_makes_an_existing_database_the_first_devices_log(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, b, _single = devices
    folder = tmp_path / "shared"
    for when, card, rating in (
        ("20T09:00", KV, "good"),
        ("20T09:10", KV, "good"),
        ("20T09:12", ATTENTION, "again"),
        ("22T21:30", KV, "hard"),
        ("23T08:01", ADD, "good"),
    ):
        a(when, "answer", card, rating)
    a("23T08:30", "card", "forget", ADD, "--yes")
    a("23T08:31", "card", "suspend", STORY)
    a("23T08:32", "plan", "start", "--plan", "mini", "--interview", "2026-12-10")
    a("23T08:33", "plan", "done", "read-paper")
    a("23T08:34", "config", "set", "new_per_day", "7")
    first = a.sync("23T09:00", folder)
    assert first["first_sync"] is True
    # 6 review rows, a suspension, a plan, a tick, a setting
    assert first["written"] == 10
    second = b.sync("23T09:05", folder)
    assert (second["first_sync"], second["applied"], second["written"]) == (True, 10, 0)
    assert collection(a.db) == collection(b.db)
    assert b("23T09:06", "config", "get", "new_per_day").out == "7\n"
    assert views(a, "23T09:10") == views(b, "23T09:10")


def test_replayed_states_equal_the_states_the_app_computed(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    """Every answer of A's conflicts with one of B's, so B replays all of A's answers with
    the scheduler: each replayed row (state before and after, kind, intervals, predicted
    recall) equals the row the app wrote when the same answers were given to one
    database, over a month of reviews."""
    a, b, single = devices
    folder = tmp_path / "shared"
    # A replay cannot balance the load as the single database did (that depends on every
    # other card there): this test is about the memory states, so no balancing anywhere.
    for device in (a, b, single):
        device("01T07:00", "config", "set", "load_balance", "false")
    b("01T08:00", "answer", STORY, "good")  # B's own history on each card: a conflict
    b("01T08:01", "answer", KV, "again")
    b("01T08:02", "answer", ATTENTION, "hard")
    b("01T08:03", "answer", ADD, "easy")
    single_steps = [("01T08:00", STORY, "good"), ("01T08:01", KV, "again"),
                    ("01T08:02", ATTENTION, "hard"), ("01T08:03", ADD, "easy")]  # fmt: skip
    ratings = ["good", "again", "good", "hard", "easy", "good", "good", "again", "good"]
    for day in range(1, 28, 3):
        for index, card in enumerate((KV, ATTENTION, ADD)):
            when = f"{day:02d}T{10 + index}:00"
            rating = ratings[(day + index) % len(ratings)]
            a(when, "answer", card, rating)
            single_steps.append((when, card, rating))
    for when, card, rating in single_steps:
        single(when, "answer", card, rating)
    b.sync("28T09:00", folder)
    a.sync("28T09:01", folder)
    report = b.sync("28T09:02", folder)
    assert report["cards_replayed"] == 3
    assert collection(b.db) == collection(single.db) == collection(a.db)
    assert a("28T09:03", "check").code == 0  # the database equals the replay of the logs


def test_settings_and_ticks_last_writer_wins_with_the_times_shown(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, b, _single = devices
    folder = tmp_path / "shared"
    a("23T09:00", "plan", "start", "--plan", "mini")
    a.sync("23T09:01", folder)
    b.sync("23T09:02", folder)
    a("23T09:10", "plan", "done", "read-paper")
    a("23T09:11", "config", "set", "new_per_day", "5")
    a.sync("23T09:12", folder)
    b("23T09:20", "plan", "done", "read-paper")
    b("23T09:21", "plan", "undo", "read-paper")
    b("23T09:22", "config", "set", "new_per_day", "9")
    shown = b("23T09:23", "sync", str(folder))
    assert "setting new_per_day: 9 (" in shown.out and "over 5 (" in shown.out
    assert "2026-11-23 08:23 UTC) over 5" in shown.out  # when each was set
    assert "task read-paper: not done (" in shown.out
    report = a.sync("23T09:24", folder)
    assert [d["subject"] for d in report["decisions"]] == ["setting new_per_day", "task read-paper"]
    kept = report["decisions"][0]["kept"]
    assert (kept["value"], kept["at"]) == (9, "2026-11-23T08:23:00.000Z")
    for device in (a, b):
        assert device("23T09:30", "config", "get", "new_per_day").out == "9\n"
        assert rows(device.db, "SELECT task_id FROM task_done") == []
    # sync_dir and durability belong to one device: never synced.
    a("23T09:31", "config", "set", "sync_dir", str(folder))
    a.sync("23T09:32", folder)
    b.sync("23T09:33", folder)
    assert b("23T09:34", "config", "get", "sync_dir").out == "(none)\n"


def test_status_shows_devices_pending_events_and_what_was_not_applied(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, b, _single = devices
    folder = tmp_path / "shared"
    assert b("23T09:00", "sync", "--status").out.startswith("This database has not synced")
    a("23T09:00", "answer", KV, "good")
    a.sync("23T09:01", folder)
    b.sync("23T09:02", folder)
    (device_a,) = [p.name for p in folder.iterdir()]
    segment = next((folder / device_a).iterdir())
    with segment.open("a", encoding="utf-8") as log:
        log.write('{"id": "not json\n{"id":"x"}\n{"partial": ')
    result = b("23T09:03", "sync", str(folder), code=1)
    assert f"{segment}:3:8: error: not valid JSON: Unterminated string" in result.err
    assert f"{segment}:4:2: error: id 'x' is not valid here" in result.err
    assert "Traceback" not in result.err
    status = json.loads(b("23T09:04", "sync", "--status", "--json").out)
    assert status["version"] == 1 and status["synced_at"] == "2026-11-23T08:03:00.000Z"
    assert [d["this_device"] for d in status["devices"]] == [True, False]
    other = status["devices"][1]
    assert (other["device"], other["events"], other["missing_events"]) == (device_a, 1, 0)
    assert other["last_event"] == {"at": "2026-11-23T08:00:00.000Z", "type": "answer", "card": KV}
    assert [(p["line"], p["col"]) for p in status["problems"]] == [(3, 8), (4, 2)]
    assert status["not_read"] == [{"path": str(segment), "lines": 0, "partial_bytes": 12}]
    text = b("23T09:05", "sync", "--status").out
    assert "Not applied (2):" in text and "a line still being copied (12 bytes)" in text
    # The problems stay listed, but are reported once; the good lines were applied.
    again = b("23T09:06", "sync", str(folder))
    assert again.err == "" and KV in collection(b.db)["log"]


def test_check_compares_the_database_with_the_replay_of_the_logs(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, _b, _single = devices
    folder = tmp_path / "shared"
    a("23T09:00", "answer", KV, "good")
    a("23T09:01", "config", "set", "sync_dir", str(folder))
    a.sync("23T09:02", folder)
    checked = json.loads(a("23T09:03", "check", "--json").out)
    assert checked["ok"] is True
    assert checked["sync"] == {"folder": str(folder), "compared": True, "not_applied": 0,
                               "not_written": 0, "differences": []}  # fmt: skip
    a("23T09:04", "answer", ATTENTION, "good")  # not synced yet: not compared
    pending = json.loads(a("23T09:05", "check", "--json").out)["sync"]
    assert (pending["compared"], pending["not_written"]) == (False, 1)
    a.sync("23T09:06", folder)
    # A database changed behind sync's back no longer equals the replay.
    import sqlite3

    with sqlite3.connect(a.db) as connection:
        connection.execute("UPDATE review SET a_stability = 9.5 WHERE rating = 3")
    result = a("23T09:07", "check", code=1)
    assert "its review log differs (1 rows here, 1 in the replay); row 1: a_stability 9.5 " in (
        result.out
    )


def test_bad_folders_are_usage_errors(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, _b, _single = devices
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = a("23T09:00", "sync", str(file), code=2)
    assert result.err.startswith("error:") and "Traceback" not in result.err
    result = a("23T09:00", "sync", code=2)
    assert "name the sync folder" in result.err
    missing = tmp_path / "no" / "such"
    assert "does not exist" in a("23T09:00", "sync", str(missing), code=2).err
    assert not (tmp_path / "no").exists()


def test_review_syncs_at_its_start_and_end(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    """With sync_dir set, `prepcli review` brings in the other device's answers before the
    first card and sends its own (an answer, a bury, a suspension) when it ends."""
    import os
    import sys

    import pexpect

    a, b, _single = devices
    folder = tmp_path / "shared"
    b("23T08:00", "answer", ATTENTION, "easy")  # on B: not to be shown on A today
    b.sync("23T08:01", folder)
    a("23T08:02", "config", "set", "sync_dir", str(folder))
    env = dict(os.environ, PREPCLI_DB=str(a.db), PREPCLI_NOW="2026-11-23T09:00:00+01:00",
               TERM="xterm", COLUMNS="100", LINES="40")  # fmt: skip
    child = pexpect.spawn(sys.executable, ["-m", "prepcli", "review"], env=env,
                          encoding="utf-8", timeout=20, dimensions=(40, 100))  # fmt: skip
    child.expect("What does the KV cache store")  # attention-scaling came from B: not due
    child.send("b")
    child.expect("Tell me about a disagreement")
    child.send("s")
    child.expect("Space/Enter show answer")  # the coding card
    child.send(" ")
    child.expect("Good")
    child.send("3")
    child.expect("Space/Enter show answer|Session over")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Synced (end): wrote 3 events" in str(child.before)
    b.sync("23T09:10", folder)
    assert collection(a.db) == collection(b.db)
    flags = rows(b.db, "SELECT key, suspended, buried_until_day IS NOT NULL FROM card "
                       "WHERE suspended OR buried_until_day IS NOT NULL ORDER BY key")  # fmt: skip
    assert flags == [(STORY, 1, 0), (KV, 0, 1)]
    assert [r[0] for r in rows(b.db, "SELECT rating FROM review ORDER BY reviewed_ms")] == [4, 3]


def test_sync_in_a_terminal_shows_that_it_is_working(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    """A first sync of a long history takes seconds: a terminal sees a spinner meanwhile
    (on stderr; a pipe gets only the report)."""
    import os
    import sys

    import pexpect

    a, _b, _single = devices
    a("23T08:00", "answer", ATTENTION, "good")
    folder = tmp_path / "shared"
    env = dict(os.environ, PREPCLI_DB=str(a.db), PREPCLI_NOW="2026-11-23T09:00:00+01:00",
               TERM="xterm", COLUMNS="100", LINES="40")  # fmt: skip
    child = pexpect.spawn(sys.executable, ["-m", "prepcli", "sync", str(folder)], env=env,
                          encoding="utf-8", timeout=20, dimensions=(40, 100))  # fmt: skip
    child.expect(f"Syncing with {folder}")
    child.expect("Wrote 1 event")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    piped = a("23T09:01", "sync", str(folder))
    assert "Syncing" not in piped.out + piped.err


def test_events_that_cannot_be_used_are_reported_once_and_never_applied(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    a, _b, _single = devices
    folder = tmp_path / "shared"
    peer = folder / "aaaaaaaaaaaa"
    peer.mkdir(parents=True)
    header = '{"prepcli_sync":1,"device":"aaaaaaaaaaaa","name":"peer","created":"2026-11-23T08:00:00.000Z"}'
    event = '{{"id":"aaaaaaaaaaaa-{n}","device":"aaaaaaaaaaaa","at":"2026-11-23T08:0{n}:00.000Z",'
    (peer / "2026-11-23-001.jsonl").write_text(
        "\n".join([
            header,
            event.format(n=1) + '"type":"setting","name":"desired_retention","value":5}',
            event.format(n=2) + '"type":"parameters","params":[1,2,3],"created":'
            '"2026-11-23T08:00:00.000Z","n_items":1,"log_loss":null,"rmse_bins":null,'
            '"source":"optimize"}',
            event.format(n=3) + '"type":"setting","name":"new_per_day","value":7}',
            event.format(n=4) + '"type":"undo","target":"bbbbbbbbbbbb-1"}',
            event.format(n=5) + '"type":"teleport"}',
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    (peer / "2026-11-24-001.jsonl").write_text("not a header\n", encoding="utf-8")
    (peer / "2026-11-25-001.jsonl").write_text('{"prepcli_sync":2}\n{"x":1}\n', "utf-8")
    first = a("23T09:00", "sync", str(folder), code=1)
    segment = peer / "2026-11-23-001.jsonl"
    assert first.err.splitlines()[:-1] == [
        f"{segment}:2:1: error: setting desired_retention: 5 is not a value it can take; not applied",
        f"{segment}:3:1: error: parameters: not 21 FSRS parameters within their bounds",
        f"{segment}:5:1: error: event aaaaaaaaaaaa-4 undoes bbbbbbbbbbbb-1, another device's answer: "
        "not applied (an undo undoes only its own device's answers)",
        f"{segment}:6:80: error: unknown event type 'teleport'",
        f"{peer / '2026-11-24-001.jsonl'}:1:1: error: not a prepcli sync log: not valid JSON: "
        "Expecting value",
    ]
    assert "Not read: " in first.out and "is in sync format 2, from a newer prepcli." in first.out
    assert a("23T09:01", "config", "get", "new_per_day").out == "7\n"  # the good one
    assert a("23T09:01", "config", "get", "desired_retention").out == "0.9\n"
    assert rows(a.db, "SELECT count(*) FROM fsrs_params") == [(0,)]
    again = a("23T09:02", "sync", str(folder))  # reported once; listed by --status
    assert again.err == ""
    status = json.loads(a("23T09:03", "sync", "--status", "--json").out)
    assert len(status["problems"]) == 5


def test_a_choice_taken_back_before_a_sync_still_counts_as_the_latest(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    """Suspended and unsuspended again (or ticked and unticked) between two syncs leaves
    the tables as they were, yet it is later than the other device's change."""
    a, b, _single = devices
    folder = tmp_path / "shared"
    a("23T08:00", "plan", "start", "--plan", "mini")
    a.sync("23T08:01", folder)
    b.sync("23T08:02", folder)
    b("23T09:05", "card", "suspend", STORY)
    b("23T09:06", "plan", "done", "read-paper")
    b.sync("23T09:07", folder)
    a("23T09:20", "card", "suspend", STORY)
    a("23T09:21", "card", "unsuspend", STORY)
    a("23T09:22", "plan", "done", "read-paper")
    a("23T09:23", "plan", "undo", "read-paper")
    a.sync("23T09:30", folder)
    b.sync("23T09:31", folder)
    for device in (a, b):
        assert rows(device.db, "SELECT suspended FROM card WHERE key = ?", STORY) == [(0,)]
        assert rows(device.db, "SELECT task_id FROM task_done") == []


# --- load balancing: a due day chosen on one device stays on every device ------------------


def _logged(after: tuple[Any, ...] | None, at_ms: int, scheduled: float | None) -> Logged:
    return Logged("e-1", at_ms, 3, 0, 60, None, 0.9, None, after, scheduled)


def test_a_replay_keeps_the_due_day_the_device_chose_for_the_same_memory() -> None:
    """The load balancer picks a day within the fuzz range from the device's other cards,
    which a replay elsewhere cannot see: a replayed answer whose memory state is the one
    the device logged keeps the device's day; another memory gets the scheduler's day."""
    rules = Rules(Settings(), None)
    at_ms = 1_795_420_800_000
    plain = replay(KV, [_logged(None, at_ms, None)], rules)[0]
    moved = list(plain.after)
    moved[4], moved[5] = plain.after[4] + 86_400_000, plain.after[5] + 1  # a day later
    kept = replay(KV, [_logged(tuple(moved), at_ms, 9.0)], rules)[0]
    assert kept.after == tuple(moved) and kept.scheduled_days == 9.0
    other = list(moved)
    other[2] = plain.after[2] * 2  # another stability: the device's day is not this answer's
    fresh = replay(KV, [_logged(tuple(other), at_ms, 9.0)], rules)[0]
    assert fresh.after == plain.after and fresh.scheduled_days == plain.scheduled_days


def test_with_load_balancing_check_agrees_with_the_folder_after_a_conflict(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    """Load balancing is on by default: A's balanced days reach B as they are, a card
    answered on both is replayed, and `check` on each finds the database equal to the
    replay of the logs."""
    a, b, _single = devices
    folder = tmp_path / "shared"
    for day in range(1, 25, 2):
        for index, card in enumerate((KV, ATTENTION, ADD, STORY)):
            a(f"{day:02d}T{10 + index}:00", "answer", card, "good")
    b("20T08:00", "answer", KV, "again")  # before B has seen A's answers: a conflict
    a.sync("25T09:00", folder)
    b.sync("25T09:01", folder)
    a.sync("25T09:02", folder)
    for device in (a, b):
        assert device("25T09:03", "check").code == 0
    assert collection(a.db) == collection(b.db)
