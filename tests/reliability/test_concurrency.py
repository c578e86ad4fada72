"""Several prepcli processes on one database at once: no lock error reaches the user, no
answer is lost or counted twice, and the file stays sound.

Two processes answer different cards while a third reads (`today`, `plan` with a started
plan, `stats` when that command exists). Each test is bounded by a number of runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.files.decks import load_decks
from tests.command_tree import root, subcommands
from tests.conftest import DATA, SAMPLE_DECKS, Result
from tests.reliability import figures
from tests.reliability.history import assert_sound

WORKER = Path(__file__).with_name("worker.py")
SEPARATE_ANSWERS = int(os.environ.get("PREPCLI_CONCURRENT_ANSWERS", "6"))
LOOP_ANSWERS = int(os.environ.get("PREPCLI_CONCURRENT_LOOP_ANSWERS", "60"))
TIMEOUT = 300


def _has_command(name: str) -> bool:
    return name in (subcommands(root()) or {})


def _read_commands() -> list[list[str]]:
    commands = [["today"], ["plan"]]
    if _has_command("stats"):  # being added in parallel to this suite; read it when there
        commands.append(["stats"])
    return commands


@pytest.fixture
def shared_home(monkeypatch: pytest.MonkeyPatch, run: Callable[..., Result]) -> list[str]:
    """The sample decks with the mini plan started; returns the card keys."""
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    started = run("plan", "start", "--plan", "mini", "--start", "2026-11-20")
    assert started.code == 0, started.err
    keys = sorted(load_decks([SAMPLE_DECKS]).card_map())
    assert len(keys) >= 4
    return keys


def _assert_clean(code: int, err: str, argv: list[str]) -> None:
    assert "locked" not in err.lower(), (argv, err)
    assert "Traceback" not in err, (argv, err)
    assert code == 0, (argv, code, err)


def test_separate_processes_answer_and_read_together(shared_home: list[str], db_path: Path) -> None:
    """The real `prepcli` entry point, one process per command, three at a time."""
    keys = shared_home
    mine = {"a": keys[0::2], "b": keys[1::2]}
    answered: Counter[str] = Counter()
    failures: list[str] = []
    writers_done = threading.Event()

    def prepcli(argv: list[str]) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "prepcli", *argv],
            capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        try:
            _assert_clean(done.returncode, done.stderr, argv)
        except AssertionError as exc:
            failures.append(str(exc))
            return
        if argv[0] == "answer":
            answered[argv[1]] += 1

    def writer(cards: list[str]) -> None:
        for number in range(SEPARATE_ANSWERS):
            prepcli(["answer", cards[number % len(cards)], str(number % 4 + 1)])

    def reader() -> None:
        commands = _read_commands()
        number = 0
        while not writers_done.is_set() and number < 10 * SEPARATE_ANSWERS:
            prepcli(commands[number % len(commands)])
            number += 1
        figures.add("concurrency: read commands (separate processes)", number)

    threads = [threading.Thread(target=writer, args=(mine[w],)) for w in ("a", "b")]
    reading = threading.Thread(target=reader)
    for thread in (*threads, reading):
        thread.start()
    for thread in threads:
        thread.join()
    writers_done.set()
    reading.join()
    assert failures == []
    logged = Counter(row.key for row in assert_sound(db_path))
    assert logged == answered
    assert sum(answered.values()) == 2 * SEPARATE_ANSWERS
    figures.add("concurrency: answers (separate processes)", sum(answered.values()))


def _worker(
    result: Path, stop: Path, max_runs: int, commands: list[list[str]]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(result), str(stop), str(max_runs),
         *(json.dumps(c) for c in commands)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_long_lived_processes_hammer_one_database(
    shared_home: list[str], db_path: Path, tmp_path: Path
) -> None:
    """Many commands a second from each of three processes, so they really meet."""
    keys = shared_home
    stop = tmp_path / "stop"
    writers = []
    for name, cards in (("a", keys[0::2]), ("b", keys[1::2])):
        commands = [["answer", card, str(rating)] for rating in (3, 1, 4, 2) for card in cards]
        result = tmp_path / f"{name}.json"
        writers.append((result, _worker(result, stop, LOOP_ANSWERS, commands)))
    read_result = tmp_path / "reader.json"
    reader = _worker(read_result, stop, 50 * LOOP_ANSWERS, _read_commands())
    for _result, process in writers:
        assert process.wait(timeout=TIMEOUT) == 0, process.stderr
    stop.touch()
    assert reader.wait(timeout=TIMEOUT) == 0, reader.stderr

    answered: Counter[str] = Counter()
    for result, _process in writers:
        runs = json.loads(result.read_text(encoding="utf-8"))
        assert len(runs) == LOOP_ANSWERS
        for run in runs:
            _assert_clean(run["code"], run["err"], run["argv"])
            answered[run["argv"][1]] += 1
    reads = json.loads(read_result.read_text(encoding="utf-8"))
    for run in reads:
        _assert_clean(run["code"], run["err"], run["argv"])
    assert reads, "the reader never ran"
    logged = Counter(row.key for row in assert_sound(db_path))
    assert logged == answered, "an answer was lost or written twice"
    figures.add("concurrency: answers (long-lived processes)", sum(answered.values()))
    figures.add("concurrency: read commands (long-lived processes)", len(reads))
