"""The mock quiz in a real pseudo-terminal: a fixed seed and a pinned clock, keys in,
screen out, rows in the database."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect

from tests.conftest import SAMPLE_DECKS, rows

TIMEOUT = 20
STARTED_MS = 1_795_420_800_000  # PREPCLI_NOW, 2026-11-23T09:00+01:00


def spawn(*args: str) -> pexpect.spawn:
    env = dict(os.environ)
    env.update({"PREPCLI_DECKS": str(SAMPLE_DECKS), "TERM": "xterm", "COLUMNS": "100"})
    return pexpect.spawn(
        sys.executable, ["-m", "prepcli", "quiz", *args], env=env, encoding="utf-8",
        timeout=TIMEOUT, dimensions=(40, 100),
    )  # fmt: skip


def test_a_seeded_quiz_marked_and_quit(db_path: Path) -> None:
    child = spawn("--deck", "sample", "--seed", "3", "--count", "3")
    child.expect("Mock quiz · question 1 of 3.*?·  sample.basics")
    child.expect("What does the KV cache store")
    child.expect("Answer aloud, then Space/Enter to reveal")
    child.expect("⏱  4[45]:[0-5][0-9] left")  # the running clock
    child.send(" ")
    child.expect("The keys and values of every past token")
    child.expect("r .*?right")
    child.send("r")
    child.expect("question 2 of 3")
    child.expect("Tell me about a disagreement")  # a behavioral card: no own timer here
    child.send("\r")
    child.expect("Checklist:")
    child.send("2")  # partly
    child.expect("question 3 of 3.*?·  sample.coding")
    child.expect("Write .*?add\\(a, b\\)")
    child.send("q")  # quit before revealing: the unanswered question is not recorded
    child.expect("Quiz over \\(stopped\\) · 2 answered in 0:0")
    child.expect("sample.basics\\s+2\\s+1\\s+1\\s+0\\s+75%")
    child.expect("No topic under 70% in this quiz.")
    child.expect("your review schedule is unchanged")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(db_path, "SELECT card_key, mark FROM quiz_answer ORDER BY id") == [
        ("sample.basics/kv-cache", 2),
        ("sample.basics/conflict-story", 1),
    ]
    ((started, finished, minutes, selection),) = rows(
        db_path, "SELECT started_ms, finished_ms, minutes, selection FROM quiz"
    )
    assert (started, minutes) == (STARTED_MS, 45)
    assert isinstance(finished, int) and 0 <= finished - STARTED_MS < 60_000
    assert json.loads(str(selection)) == {
        "count_as_review": False,
        "decks": ["sample"],
        "questions": ["sample.basics/kv-cache", "sample.basics/conflict-story",
                      "sample.coding/add-two"],
        "seed": 3,
        "tags": [],
    }  # fmt: skip
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(0,)]


def test_count_as_review_and_a_ticking_one_minute_clock(db_path: Path) -> None:
    child = spawn("--deck", "sample", "--seed", "5", "--count", "2", "--minutes", "1",
                  "--count-as-review")  # fmt: skip
    child.expect("Write .*?add\\(a, b\\)")
    child.expect("⏱  1:00 left")
    child.expect("⏱  0:59 left")  # a second later, redrawn in place
    child.send("\r")
    child.expect("Reference solution:")
    child.send("w")
    child.expect("Tell me about a disagreement")
    child.send(" ")
    child.expect("p .*?partly")
    child.send("p")
    child.expect("Quiz over \\(all questions asked\\) · 2 answered")
    child.expect("Work on: sample.coding \\(0%\\), sample.basics \\(50%\\)")
    child.expect("Saved, and recorded as reviews \\(right = Good")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(
        db_path,
        "SELECT card.key, rating FROM review JOIN card ON card.id = card_id ORDER BY review.id",
    ) == [("sample.coding/add-two", 1), ("sample.basics/conflict-story", 2)]
    assert rows(db_path, "SELECT mark FROM quiz_answer ORDER BY id") == [(0,), (1,)]
