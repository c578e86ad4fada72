"""SIGKILL at seeded random moments while prepcli answers cards: nothing acknowledged is lost.

Two ways of answering are killed: the interactive session in a pseudo-terminal (an answer
is acknowledged once the next card's screen has appeared) and `prepcli answer` processes
(acknowledged once the process printed its line and exited 0). After every kill the file
passes SQLite's integrity check, holds every acknowledged answer in order, at most one
more (the answer in flight, whole or not at all), every card's chain of states is intact,
and `prepcli undo` still removes exactly the last answer.
"""

from __future__ import annotations

import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect
import pytest

from prepcli import entry
from prepcli.files.decks import load_decks
from tests.conftest import SAMPLE_DECKS
from tests.reliability import figures
from tests.reliability.history import assert_sound, assert_undo_works, read_log

SEED = int(os.environ.get("PREPCLI_KILL_SEED", "20261123"))
PTY_TRIALS = int(os.environ.get("PREPCLI_KILL_PTY_TRIALS", "25"))
ANSWER_TRIALS = int(os.environ.get("PREPCLI_KILL_ANSWER_TRIALS", "30"))
PARIS = ZoneInfo("Europe/Paris")
TIMEOUT = 30

ANSI = r"(?:\x1b\[[0-9;]*m)*"
# A card's screen starts by clearing the terminal, then its bold `deck/id` header.
CARD_SCREEN = re.compile(
    r"\x1b\[2J\x1b\[H" + ANSI + r"([a-z0-9][a-z0-9.-]*/[a-z0-9-]+(?:\.c[0-9]+)?)" + ANSI
)
FRONT_KEYS = "show answer"
RATING_KEYS = re.compile(r"Easy [^\r\n]*\r?\n" + ANSI + r" u undo")
SESSION_OVER = "Session over"


def _env(now: datetime, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PREPCLI_NOW": now.isoformat(), "TERM": "xterm", "COLUMNS": "100"})
    env.update(extra)
    return env


# --- `prepcli answer` processes ----------------------------------------------------------


def _answer(key: str, rating: int, now: datetime) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "prepcli", "answer", key, str(rating)],
        env=_env(now), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_kill_answer_processes(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    rng = random.Random(SEED)
    keys = sorted(load_decks([SAMPLE_DECKS]).card_map())
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    acknowledged: list[tuple[str, int]] = []
    durations: list[float] = []

    # One undisturbed answer first: how long a whole `prepcli answer` takes on this machine.
    started = time.monotonic()
    warm_up = _answer(keys[0], 3, now)
    out, err = warm_up.communicate(timeout=TIMEOUT)
    assert warm_up.returncode == 0, err
    durations.append(time.monotonic() - started)
    acknowledged.append((keys[0], 3))

    for trial in range(ANSWER_TRIALS):
        now += timedelta(minutes=rng.uniform(1, 36 * 60))
        key, rating = rng.choice(keys), rng.randint(1, 4)
        # Anywhere from mid-import to just after the commit, biased to the end where it writes.
        delay = statistics.median(durations) * rng.uniform(0.4, 1.15)
        started = time.monotonic()
        process = _answer(key, rating, now)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=TIMEOUT)
        logged = [(row.key, row.rating) for row in assert_sound(db_path, PARIS)]
        if process.returncode == 0:
            assert out.startswith(f"{key}: "), (trial, out, err)
            durations.append(time.monotonic() - started)
            acknowledged.append((key, rating))
            assert logged == acknowledged, f"trial {trial}: an acknowledged answer is missing"
            figures.add("kill -9 answer: finished before the kill")
        else:
            assert process.returncode == -signal.SIGKILL, (trial, process.returncode, err)
            assert logged in (acknowledged, [*acknowledged, (key, rating)]), f"trial {trial}"
            if logged != acknowledged:  # killed after its commit: whole, so it counts
                acknowledged.append((key, rating))
                figures.add("kill -9 answer: killed after commit, answer whole")
            else:
                figures.add("kill -9 answer: killed before commit, nothing written")
        assert_undo_works(db_path, tmp_path / "undo")
        figures.add("kill -9 trials")


# --- the review session in a pseudo-terminal --------------------------------------------


def _spawn(now: datetime) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable, ["-m", "prepcli", "review"], env=_env(now, LINES="40"),
        encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 100),
    )  # fmt: skip
    # Keys go in as soon as the screen is there (pexpect's default pauses 50 ms first).
    child.delaybeforesend = None
    child.delayafterclose = 0
    return child


def _kill(child: pexpect.spawn, delay: float) -> str:
    """SIGKILL after `delay` seconds; everything the screen showed until then."""
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    rest = str(child.before)
    child.close(force=True)
    assert child.signalstatus == signal.SIGKILL
    return rest


def test_kill_review_session(
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Keys arrive as fast as screens appear; the kill comes after a random key, a random
    few milliseconds later: during the reveal, the scheduling, the commit or the redraw."""
    monkeypatch.delenv("PREPCLI_DECKS", raising=False)  # the bundled decks: plenty of cards
    assert entry.run(["config", "set", "new_per_day", "9999"]) == 0
    capsys.readouterr()
    rng = random.Random(SEED + 1)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    acknowledged: list[tuple[str, int]] = []
    for trial in range(PTY_TRIALS):
        now += timedelta(minutes=rng.uniform(10, 20 * 60))
        kill_after_key = rng.randint(1, 12)  # two keys per card: reveal, then rate
        delay = rng.uniform(0.0, 0.08)
        child = _spawn(now)
        child.expect(CARD_SCREEN)
        key = child.match.group(1)
        child.expect(FRONT_KEYS)
        pending: tuple[str, int] | None = None
        pressed = 0
        while True:
            child.send(" ")
            pressed += 1
            if pressed == kill_after_key:
                _kill(child, delay)
                break
            child.expect(RATING_KEYS)
            rating = rng.randint(1, 4)
            child.send(str(rating))
            pressed += 1
            pending = (key, rating)
            if pressed == kill_after_key:
                rest = _kill(child, delay)
                if CARD_SCREEN.search(rest) or SESSION_OVER in rest:
                    acknowledged.append(pending)  # the next screen was on the terminal
                    pending = None
                break
            index = child.expect([CARD_SCREEN, SESSION_OVER])
            acknowledged.append(pending)
            pending = None
            if index == 1:
                child.expect(pexpect.EOF)
                child.close()
                break
            key = child.match.group(1)
            child.expect(FRONT_KEYS)
        logged = [(row.key, row.rating) for row in assert_sound(db_path, PARIS)]
        if pending is not None and logged == [*acknowledged, pending]:
            acknowledged.append(pending)  # committed, killed before the next screen: whole
            figures.add("kill -9 review: killed after commit, before the next screen")
        assert logged == acknowledged, f"trial {trial}: the log differs from what was answered"
        assert_undo_works(db_path, tmp_path / "undo")
        figures.add("kill -9 trials")
    figures.add("kill -9 review: answers acknowledged", len(acknowledged))
    assert len(read_log(db_path)) == len(acknowledged) > PTY_TRIALS
