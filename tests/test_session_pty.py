"""The review session in a real pseudo-terminal: keys in, screen out, rows in the database."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import SAMPLE_DECKS, rows

TIMEOUT = 20


def spawn(env_overrides: dict[str, str] | None = None, *args: str) -> pexpect.spawn:
    env = dict(os.environ)
    env.update(
        {"PREPCLI_DECKS": str(SAMPLE_DECKS), "TERM": "xterm", "COLUMNS": "100", "LINES": "40"}
    )
    env.update(env_overrides or {})
    child = pexpect.spawn(
        sys.executable, ["-m", "prepcli", "review", *args], env=env, encoding="utf-8",
        timeout=TIMEOUT, dimensions=(40, 100),
    )  # fmt: skip
    return child


def test_reveal_rate_undo_and_quit_with_ctrl_c(db_path: Path) -> None:
    child = spawn()
    child.expect("Why are attention logits divided by √dₖ")
    child.expect("Space/Enter show answer")
    child.send(" ")
    child.expect("unit-variance")
    child.expect(r"Again 1m.*Hard 6m.*Good 10m.*Easy 8d")
    child.send("3")
    child.expect("What does the KV cache store")
    child.send("\r")
    child.expect(r"Easy \d+d")
    child.send("4")
    child.expect("Tell me about a disagreement")  # behavioral: a countdown runs
    child.expect("⏱  1:2[0-9] left")
    child.send("u")  # undo the Easy on kv-cache: the card comes back
    child.expect("What does the KV cache store")
    child.send("\x03")  # Ctrl-C quits at once
    child.expect("Session over")
    child.expect("1 answer ·")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(db_path, "SELECT card.key, rating FROM review JOIN card ON card.id = card_id") == [
        ("sample.basics/attention-scaling", 3)
    ]
    assert rows(db_path, "SELECT key, phase FROM card ORDER BY key") == [
        ("sample.basics/attention-scaling", 1),
        ("sample.basics/kv-cache", 0),
    ]


def test_quit_keys_keep_every_answer(db_path: Path) -> None:
    for quit_key in ("q", "\x04"):
        child = spawn()
        child.expect("Space/Enter show answer")
        child.send(" ")
        child.expect("Good")
        child.send("1")
        child.expect("Space/Enter show answer")
        child.send(quit_key)
        child.expect("Session over")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(2,)]


def test_bury_suspend_limit_and_checklist(db_path: Path) -> None:
    child = spawn(None, "--limit", "1")
    child.expect("Why are attention logits")
    child.send("b")  # bury until tomorrow
    child.expect("What does the KV cache store")
    child.send("s")  # suspend
    child.expect("Tell me about a disagreement")
    child.send(" ")
    child.expect("Checklist:")
    child.expect("☐ Situation in two sentences")
    child.send("2")
    child.expect("Session over")  # --limit 1
    child.expect(pexpect.EOF)
    child.close()
    assert rows(
        db_path, "SELECT key, suspended, buried_until_day IS NOT NULL FROM card ORDER BY key"
    ) == [
        ("sample.basics/attention-scaling", 0, 1),
        ("sample.basics/conflict-story", 0, 0),
        ("sample.basics/kv-cache", 1, 0),
    ]


def test_a_session_reads_the_cards_it_shows_not_every_deck(db_path: Path) -> None:
    """Once the deck cache is written, a session reads each card it shows from it: the
    decks are not loaded whole (on a big collection that was half the wait for the first
    card), neither to check `--deck` nor to show a card."""
    env = {**os.environ, "PREPCLI_DECKS": str(SAMPLE_DECKS)}
    cached = subprocess.run(
        [sys.executable, "-m", "prepcli", "next", "--json"], env=env, capture_output=True
    )
    assert cached.returncode == 0, cached.stderr
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('DECKS LOADED', 'prepcli.files.decks' in sys.modules))\n"
        "from prepcli import entry\n"
        "entry.run(['review', '--deck', 'sample', '--limit', '1'])\n"
    )
    child = pexpect.spawn(
        sys.executable, ["-c", code], env={**env, "TERM": "xterm"}, encoding="utf-8",
        timeout=TIMEOUT, dimensions=(40, 100),
    )  # fmt: skip
    child.expect("Why are attention logits")
    child.send(" ")
    child.expect("Good")
    child.send("3")
    child.expect("Session over")
    child.expect(r"DECKS LOADED (True|False)")
    loaded = child.match.group(1)
    child.expect(pexpect.EOF)
    child.close()
    assert loaded == "False"
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(1,)]


def test_edit_opens_the_editor_at_the_card_without_a_shell(tmp_path: Path, db_path: Path) -> None:
    record = tmp_path / "editor-args.txt"
    script = f"import sys; open({str(record)!r}, 'w').write(repr(sys.argv[1:]))"
    editor = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    child = spawn({"EDITOR": editor, "VISUAL": ""})
    child.expect("Why are attention logits")
    child.send("e")
    child.expect("Why are attention logits")  # the same card again after the editor closes
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert record.read_text() == repr(["+10", str(SAMPLE_DECKS / "basics.yaml")])


@pytest.mark.parametrize("key", ["\r", " "])
def test_coding_card_shows_starter_and_solution(key: str) -> None:
    child = spawn(None, "--deck", "sample.coding")
    child.expect("Starter:")
    child.expect("raise NotImplementedError")
    child.send(key)
    child.expect("Reference solution:")
    child.expect("return a \\+ b")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
