"""The review screen in a real pseudo-terminal, read as the user sees it (tests/vtscreen.py):
text reflowed to the width, a fixed header over a scrolling card, redraws on resize, the
countdown, rubric ticks, hints, the counter, undoing a bury or suspend, editing a bundled
card."""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.conftest import SAMPLE_DECKS, rows
from tests.vtscreen import Terminal, read_until, settle

TALL = """\
version: 1
deck: t.screen
title: Screen tests
description: Cards for the review screen's tests.
cards:
  - id: tall-design
    kind: design
    time_limit: 1
    front: |
      Design a feature store that serves the same features
      online and offline.
    hints: ["Think about consistency.", "Think about freshness."]
    back: |
      One pipeline feeds two stores: an offline store for training and an
      online store for serving, with point-in-time joins.
    explain: |
{explain}
    points:
      - Point-in-time correctness
      - Online store latency budget
      - Backfills
      - Freshness monitoring
      - Feature versioning
  - id: plain
    kind: concept
    front: What is plain?
    back: Plain is plain.
"""
EXPLAIN = "\n".join(f"      Explanation line {n} ends here." for n in range(1, 31))


def spawn(
    rows_: int, cols: int, *args: str, decks: Path | None = SAMPLE_DECKS, **env: str
) -> tuple[pexpect.spawn, Terminal]:
    environment = dict(os.environ, TERM="xterm", COLUMNS=str(cols), LINES=str(rows_), **env)
    if decks is None:
        environment.pop("PREPCLI_DECKS", None)
    else:
        environment["PREPCLI_DECKS"] = str(decks)
    child = pexpect.spawn(
        sys.executable, ["-m", "prepcli", "review", *args], env=environment, encoding="utf-8",
        timeout=30, dimensions=(rows_, cols),
    )  # fmt: skip
    return child, Terminal(rows_, cols)


def quit_session(child: pexpect.spawn) -> None:
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.fixture
def tall_deck(tmp_path: Path) -> Path:
    folder = tmp_path / "screen-decks"
    folder.mkdir()
    (folder / "screen.yaml").write_text(TALL.format(explain=EXPLAIN), encoding="utf-8")
    return folder


@pytest.mark.parametrize("cols", [60, 200])
def test_text_reflows_to_the_terminal(cols: int) -> None:
    child, screen = spawn(24, cols)
    read_until(child, screen, "Why are attention logits")
    child.send(" ")
    read_until(child, screen, "saturation.")
    answer = (
        screen.lines[screen.lines.index("─" * 26 + " answer " + "─" * 26) + 1 :][:3]
        if (cols == 60)
        else [line for line in screen.lines if line.startswith("The dot product")]
    )
    if cols == 60:  # wrapped once, at the width: no line broken twice
        assert answer == [
            "The dot product of two random vectors with unit-variance",
            "entries has variance dₖ; scaling keeps the softmax out of",
            "saturation.",
        ]
    else:  # the authored ~70-column lines use the width, up to the 100-column measure
        assert answer == [
            "The dot product of two random vectors with unit-variance entries has variance dₖ; "
            "scaling keeps the"
        ]
        assert all(len(line) <= 100 for line in screen.lines)
    quit_session(child)


def test_a_tall_card_keeps_its_header_and_question_and_scrolls(tall_deck: Path) -> None:
    child, screen = spawn(20, 70, decks=tall_deck)
    read_until(child, screen, "Design a feature store")
    child.send(" ")
    read_until(child, screen, "lines 1–")
    top = screen.lines[:4]
    assert top[0].startswith("t.screen/tall-design  ·  design  ·  new")
    assert top[0].endswith("2 left")
    assert top[1].startswith("⏱  took 0:0")
    assert screen.lines[3:5] == [
        "Design a feature store that serves the same features online and",
        "offline.",
    ]
    assert "Rubric:" not in screen.text  # below the fold
    for _ in range(6):
        child.send("\x1b[6~")  # PgDn
    read_until(child, screen, "g ☐ Feature versioning")
    assert screen.lines[0].startswith("t.screen/tall-design")  # the header stayed
    assert screen.lines[3].startswith("Design a feature store")  # and so did the question
    assert "Explanation line 1 ends" not in screen.text  # scrolled away under them
    child.send("k")
    read_until(child, screen, "k/↑/PgUp back")
    child.setwinsize(30, 120)  # a resize is redrawn at the new size
    screen.resize(30, 120)
    read_until(
        child, screen, "Design a feature store that serves the same features online and offline."
    )
    assert screen.lines[0].startswith("t.screen/tall-design")
    quit_session(child)


def test_the_countdown_rings_at_zero_and_shows_the_time_taken(tall_deck: Path) -> None:
    child, screen = spawn(40, 100, decks=tall_deck)
    read_until(child, screen, "⏱  0:0")
    read_until(child, screen, "over time")
    assert screen.bells == 1
    time.sleep(1.2)
    settle(child, screen)
    assert screen.bells == 1  # once, not every second
    child.send(" ")
    read_until(child, screen, "⏱  took 0:0")
    assert "over time" in screen.lines[1]
    quit_session(child)


def test_the_rubric_is_ticked_by_key_and_suggests_a_rating(tall_deck: Path, db_path: Path) -> None:
    child, screen = spawn(60, 100, decks=tall_deck)
    read_until(child, screen, "Design a feature store")
    read_until(child, screen, "over time")  # the suggestion weighs the time taken too
    child.send(" ")
    read_until(child, screen, "Tick the points you made: a–g")
    assert "  a ☐ Point-in-time correctness" in screen.lines
    child.send("a")
    read_until(child, screen, "1/5 points · suggests  1 Again")
    assert "  a ☑ Point-in-time correctness" in screen.lines
    for key in "cdf":
        child.send(key)
    read_until(child, screen, "4/5 points · suggests  3 Good")
    child.send("g")
    read_until(child, screen, "5/5 points · suggests  3 Good")  # all of it, but over time
    child.send("a")
    read_until(child, screen, "4/5 points")
    assert "  a ☐ Point-in-time correctness" in screen.lines
    child.send("3")
    read_until(child, screen, "What is plain?")
    quit_session(child)
    assert rows(db_path, "SELECT rating FROM review") == [(3,)]


def test_hints_come_one_at_a_time(tall_deck: Path) -> None:
    child, screen = spawn(40, 100, decks=tall_deck)
    read_until(child, screen, "h hint")
    assert "hint 1/2" not in screen.text
    child.send("h")
    read_until(child, screen, "hint 1/2: Think about consistency.")
    assert "hint 2/2" not in screen.text
    child.send("h")
    read_until(child, screen, "hint 2/2: Think about freshness.")
    assert screen.text.count("hint 1/2") == 1
    child.send("h")
    read_until(child, screen, "no more hints")
    assert screen.text.count("hint 2/2") == 1
    quit_session(child)


def test_suspend_then_undo_restores_the_card(db_path: Path) -> None:
    child, screen = spawn(40, 100)
    read_until(child, screen, "Why are attention logits")
    child.send(" ")
    read_until(child, screen, "Good")
    child.send("3")  # an answer first: undo takes back the newest action first
    read_until(child, screen, "What does the KV cache store")
    child.send("s")
    read_until(child, screen, "Suspended sample.basics/kv-cache · u brings it back")
    assert rows(db_path, "SELECT suspended FROM card WHERE key = 'sample.basics/kv-cache'") == [
        (1,)
    ]
    child.send("b")
    read_until(child, screen, "Buried sample.basics/conflict-story until tomorrow")
    child.send("u")
    read_until(child, screen, "Tell me about a disagreement")
    read_until(child, screen, "Brought back sample.basics/conflict-story")
    child.send("u")
    read_until(child, screen, "What does the KV cache store")
    read_until(child, screen, "Brought back sample.basics/kv-cache")
    assert rows(db_path, "SELECT key, suspended, buried_until_day FROM card ORDER BY key") == [
        ("sample.basics/attention-scaling", 0, None),
        ("sample.basics/conflict-story", 0, None),
        ("sample.basics/kv-cache", 0, None),
    ]
    child.send("u")  # then the answer
    read_until(child, screen, "Undid Good on sample.basics/attention-scaling")
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(0,)]
    quit_session(child)


def test_the_counter_honours_the_limit_and_counts_learning_cards(tall_deck: Path) -> None:
    child, screen = spawn(40, 100, "--limit", "3")
    read_until(child, screen, "Why are attention logits")
    assert screen.lines[0].endswith("  3 left")  # 4 cards, a limit of 3
    child.send(" ")
    read_until(child, screen, "Again")
    child.send("3")
    read_until(child, screen, "What does the KV cache store")
    assert screen.lines[0].endswith("  2 left")
    quit_session(child)

    child, screen = spawn(40, 100, "--deck", "t.screen", decks=tall_deck)
    read_until(child, screen, "2 left")
    child.send("b")
    read_until(child, screen, "What is plain?")
    assert screen.lines[0].endswith("  1 left")
    child.send(" ")
    read_until(child, screen, "Again")
    child.send("1")  # back in a minute: still to come in this session
    read_until(child, screen, "What is plain?")
    assert screen.lines[0].endswith("  1 left")
    quit_session(child)


def test_coding_cards_name_their_practice_command() -> None:
    child, screen = spawn(40, 100, "--deck", "sample.coding")
    read_until(child, screen, "Practise it for real: prepcli practice sample.coding/add-two")
    quit_session(child)


def test_edit_on_a_bundled_card_edits_a_copy_in_the_data_folder(
    tmp_path: Path, isolated_home: Path
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "line, path = int(sys.argv[1][1:]), pathlib.Path(sys.argv[2])\n"
        "lines = path.read_text('utf-8').split('\\n')\n"
        "assert lines[line - 1].lstrip().startswith('- id:'), lines[line - 1]\n"
        "index = next(i for i in range(line, len(lines)) if lines[i].strip().startswith('front:'))\n"
        "indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]\n"
        "end = index + 1\n"
        "while end < len(lines) and (lines[end].startswith(indent + ' ') or not lines[end].strip()):\n"
        "    end += 1\n"
        "lines[index:end] = [indent + 'front: EDITED in my own copy?']\n"
        "path.write_text('\\n'.join(lines), 'utf-8')\n",
        encoding="utf-8",
    )
    editor = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    child, screen = spawn(40, 100, decks=None, EDITOR=editor, VISUAL="")
    read_until(child, screen, "h hint · Space/Enter")
    key = screen.lines[0].split()[0]
    deck = key.split("/")[0]
    bundled = next(Path(__file__).parents[1].joinpath("decks").rglob("*.yaml"))
    before = {path: path.read_bytes() for path in bundled.parent.parent.rglob("*.yaml")}
    child.send("e")
    read_until(child, screen, "EDITED in my own copy?")
    copy = isolated_home / "data" / "prepcli" / "decks" / "overrides" / f"{deck}.yaml"
    read_until(child, screen, f"Editing your copy of {key} in")
    shown = f"~/data/prepcli/decks/overrides/{deck}.yaml"  # the home folder written ~
    assert f"{shown}: it replaces the bundled card" in "".join(screen.lines)
    assert screen.lines[0].split()[0] == key  # the same card, as edited
    quit_session(child)
    assert "front: EDITED in my own copy?" in copy.read_text("utf-8")
    assert {path: path.read_bytes() for path in before} == before  # the bundle is untouched
