"""Every screen reads alike: no "1 answers" or "2 day", thousands separators, and every time
shown in the user's zone with the zone's name (never a bare UTC time beside local ones).

The plural test builds one collection where each countable thing (answers today, lapses,
suspended cards, orphaned cards, tasks done, days to the interview, quizzes, …) is 0, 1 or
2, and reads the output of every command that prints text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from prepcli.core.quiz import QuizAnswer, QuizMark
from prepcli.storage.store import open_store
from tests.conftest import Result

Run = Callable[..., Result]

NOUNS = (
    "answer|card|day|review|deck|lapse|leech|pt|week|note|row|file|error|warning|check|seed"
    "|question|task|value|minute|hour|problem|orphan|backup|item|quiz|step"
)
#: "1 answers", "1 new cards", "+1 pts": a plural noun (after at most two words) after 1.
ONE_WITH_PLURAL = re.compile(rf"(?<![\d.,/:])1 (?:[a-z]+ ){{0,2}}(?:{NOUNS})(?:s|es|zes)\b")
#: "0 card", "2 day", "2 new card": a singular noun after another count.
MANY_WITH_SINGULAR = re.compile(
    rf"(?<![\d.,/:-])(?:0|[2-9]|[1-9](?:,?\d)+) (?:[a-z]+ )?(?:{NOUNS})\b(?![a-z-]| (?:{NOUNS}))"
)

START = date(2026, 11, 23)  # the pinned day of conftest's PREPCLI_NOW


def deck_text(deck: str, ids: list[str]) -> str:
    lines = ["version: 1", f"deck: {deck}", f"title: Deck {deck}", "description: For tests.",
             "sources: [tests]", "cards:"]  # fmt: skip
    for card in ids:
        lines += [f"  - id: {card}", "    kind: concept", f"    front: What is {card}?",
                  f"    back: It is {card}."]  # fmt: skip
    return "\n".join(lines) + "\n"


PLAN = """version: 1
plan: counted
title: Counted plan
description: Two weeks over the test deck.
weeks:
  - title: First
    introduce:
      - deck: t.main
    tasks:
      - {id: task-a, title: Task A}
      - {id: task-b, title: Task B}
  - title: Second
    introduce:
      - deck: t.main
    tasks:
      - {id: task-c, title: Task C}
"""


def collection_with(n: int, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection with n of each countable thing; returns the deck folder left loaded."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "main.yaml").write_text(deck_text("t.main", ["a", "b", "c", "d", "e", "f"]), "utf-8")
    gone = tmp_path / "gone.yaml"
    gone.write_text(deck_text("t.gone", ["x", "y"]), "utf-8")
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "counted.yaml").write_text(PLAN, "utf-8")
    monkeypatch.setenv("PREPCLI_DECKS", f"{decks}:{gone}")
    monkeypatch.setenv("PREPCLI_PLANS", str(plans))

    def on(day: date, *args: str) -> None:
        monkeypatch.setenv("PREPCLI_NOW", f"{day.isoformat()}T09:00:00+01:00")
        result = run(*args)
        assert result.code == 0, (args, result.err)

    early, later = START - timedelta(days=21), START - timedelta(days=9)
    for card in ["t.main/a", "t.main/b"][:n]:  # n cards with one lapse each
        on(early, "answer", card, "easy")
        on(later, "answer", card, "again")
        on(later, "answer", card, "good")
    for card in ["t.gone/x", "t.gone/y"][:n]:  # n cards with history, orphaned below
        on(early, "answer", card, "good")
    for card in ["t.main/c", "t.main/d"][:n]:  # n answers today
        on(START, "answer", card, "good")
    for card in ["t.main/e", "t.main/f"][:n]:  # n suspended cards
        on(START, "card", "suspend", card)
    interview = START + timedelta(days=n)
    on(START, "plan", "start", "--plan", "counted", "--interview", interview.isoformat())
    for task in ["task-a", "task-b"][:n]:
        on(START, "plan", "done", task)
    monkeypatch.setenv("PREPCLI_NOW", f"{START.isoformat()}T09:00:00+01:00")
    store = open_store(tmp_path / "prep.sqlite3")
    try:
        for number in range(n):  # n mock quizzes of n answers each
            started = 1795420800000 + number * 3_600_000
            quiz = store.quizzes.start(started, 45, "{}")
            for answer in range(n):
                mark = QuizMark.RIGHT if answer else QuizMark.WRONG
                store.quizzes.add_answer(
                    quiz, QuizAnswer("t.main/c", mark, started + 60_000 * (answer + 1))
                )
            store.quizzes.finish(quiz, started + 600_000)
    finally:
        store.close()
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))  # t.gone's cards become orphans
    return decks


def every_output(run: Run, tmp_path: Path, decks: Path) -> dict[str, str]:
    """The text each command prints (stdout and stderr), by command line."""
    lines = [
        [],
        ["plan"],
        ["plan", "show"],
        ["stats"],
        ["card", "show", "t.main/a"],
        ["card", "show", "t.main/e"],
        ["deck", "list"],
        ["deck", "lint", str(decks)],
        ["deck", "orphans"],
        ["config", "list"],
        ["quiz", "history"],
        ["check"],
        ["optimize", "--dry-run"],
        ["next"],
        ["export", "-f", "csv", "-o", str(tmp_path / "out.csv")],
        ["export", "-f", "json", "-o", str(tmp_path / "out.json")],
        ["export", "-f", "anki", "-o", str(tmp_path / "out.apkg")],
        ["--db", str(tmp_path / "other.sqlite3"), "import", str(tmp_path / "out.json")],
        ["backup", str(tmp_path / "backups"), "--keep", "1"],
        ["simulate", "--cards", "30", "--new-per-day", "5", "--interview-day", "8",
         "--seeds", "1"],
        ["plan", "interview", (START + timedelta(days=1)).isoformat()],
        ["plan", "interview", (START + timedelta(days=2)).isoformat()],
        ["undo"],
        ["answer", "t.main/b", "good"],
    ]  # fmt: skip
    shown = {}
    for args in lines:
        result = run(*args)
        assert result.code in (0, 1), (args, result.err)
        shown[" ".join(["prepcli", *args])] = result.out + result.err
    return shown


@pytest.mark.parametrize("n", [0, 1, 2])
def test_no_command_says_1_answers_or_2_day(
    n: int, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decks = collection_with(n, run, tmp_path, monkeypatch)
    outputs = every_output(run, tmp_path, decks)
    wrong = {
        command: [
            m.group(0)
            for m in (*ONE_WITH_PLURAL.finditer(text), *MANY_WITH_SINGULAR.finditer(text))
        ]
        for command, text in outputs.items()
    }
    assert {command: found for command, found in wrong.items() if found} == {}
    # The collection really has n of the things counted (so the test can fail).
    today = outputs["prepcli"]
    assert f"{n} suspended" in today or n == 0
    assert ("1 answer," in today) == (n == 1)
    assert f"interview {'today' if n == 0 else f'in {n} day'}" in today
    assert ("(1 lapse)" if n else "(0 lapses)") in outputs["prepcli card show t.main/a"]


def test_the_checks_catch_the_old_wordings() -> None:
    for wrong in ("1 answers", "1 learning cards", "interview in 1 days", "+1 pts",
                  "Streak 1 days", "0 card", "2 day", "due: 2 new card"):  # fmt: skip
        assert ONE_WITH_PLURAL.search(wrong) or MANY_WITH_SINGULAR.search(wrong), wrong
    for right in ("1 answer", "2 answers", "0 cards", "1 of 2 checks passed", "in 1 day",
                  "+1 pt", "2026-11-23 09:00", "1.00 days", "12 reviews", "1,234 cards",
                  "0 review rows"):  # fmt: skip
        assert not ONE_WITH_PLURAL.search(right) and not MANY_WITH_SINGULAR.search(right), right


def test_counts_have_thousands_separators_everywhere(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.stats_history import build

    built = build(tmp_path / "synthetic", decks=1, cards_per_deck=1200, target_reviews=2500,
                  today=START.toordinal(), seed=3)  # fmt: skip
    monkeypatch.setenv("PREPCLI_DB", str(built.db))
    monkeypatch.setenv("PREPCLI_DECKS", str(built.decks_dir))
    assert built.reviews >= 1000
    for args in (["stats"], [], ["deck", "list"]):
        result = run(*args)
        assert result.code == 0, result.err
        # A count of four or more digits without a separator (dates and times aside).
        bare = re.findall(r"(?<![\w,.:-])\d{4,}(?![\d-])", result.out)
        assert bare == [], (args, bare)
    assert f"Answers  {built.reviews:,} in" in run("stats").out


#: A time of day after its date, and what follows it.
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}\b( [A-Z][A-Za-z+:\d]*)?")


@pytest.mark.parametrize(
    ("machine_zone", "setting", "zone_name", "clock"),
    [
        ("America/New_York", "local", "EST", "03:00"),  # PREPCLI_NOW 09:00+01:00
        ("America/New_York", "Asia/Tokyo", "JST", "17:00"),  # the setting wins
        ("UTC", "Europe/Paris", "CET", "09:00"),
    ],
)
def test_every_time_shown_is_in_the_users_zone_with_its_name(
    machine_zone: str,
    setting: str,
    zone_name: str,
    clock: str,
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", machine_zone)
    decks = collection_with(2, run, tmp_path, monkeypatch)
    assert run("config", "set", "timezone", setting).code == 0
    run("answer", "t.main/b", "good")
    outputs = {
        "card show": run("card", "show", "t.main/a").out + run("card", "show", "t.main/b").out,
        "orphans": run("deck", "orphans").out,
        "quiz history": run("quiz", "history").out,
        "undo": run("undo").out,
    }
    del decks
    for command, text in outputs.items():
        times = [m.group(0) for m in TIME.finditer(text)]
        assert times, (command, text)  # each of these shows times
        for shown in times:
            assert shown.endswith(" " + zone_name), (command, shown, text)
        if zone_name != "UTC":
            assert "UTC" not in text, (command, text)
    assert f"{clock} {zone_name}" in outputs["undo"]
