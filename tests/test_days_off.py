"""The interview day, the days after it, and rest days: nothing is asked on the day (what
is due is optional, `review` still works), the day after says what comes next, and a
rest day breaks no streak (`prepcli` and `prepcli stats` alike). Clock pinned by
PREPCLI_NOW."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pexpect
import pytest

from prepcli.core.daysoff import day_note, parse_dates, show_dates
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
INTERVIEW = "2026-12-02"
KEYS = ("sample.basics/attention-scaling", "sample.basics/kv-cache", "sample.coding/add-two")


def at(monkeypatch: pytest.MonkeyPatch, day: str) -> None:
    monkeypatch.setenv("PREPCLI_NOW", f"{day}T09:00:00+01:00")


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def make_due(db: Path, key: str, day: str) -> None:
    """Move a review card's due day (as if FSRS had scheduled it there)."""
    import sqlite3

    ordinal = date.fromisoformat(day).toordinal()
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("UPDATE card SET due_day = ? WHERE key = ?", (ordinal, key))
    connection.close()


@pytest.fixture
def studied_to_the_eve(run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    """The mini plan with the interview on 2026-12-02; the cards learned, then one answer
    on each of the five days up to the eve (a streak of 5)."""
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    at(monkeypatch, "2026-11-02")
    for key in KEYS:
        assert run("answer", key, "easy").code == 0
    assert (
        run(
            "plan", "start", "--plan", "mini", "--start", "2026-11-02", "--interview", INTERVIEW
        ).code
        == 0
    )
    for day in ("2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"):
        at(monkeypatch, day)
        assert run("answer", KEYS[0], "good").code == 0
    make_due(db_path, KEYS[1], INTERVIEW)  # something due on the interview day


@pytest.mark.usefixtures("sample_decks", "studied_to_the_eve")
def test_the_interview_day_asks_for_nothing(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, INTERVIEW)
    summary = json.loads(run("today", "--json").out)
    assert summary["day"] == {
        "kind": "interview", "reviews_optional": True, "interview_date": INTERVIEW,
        "days_since_interview": None, "rest_until": None, "desired_retention": None,
    }  # fmt: skip
    assert summary["due_reviews"] == 2 and summary["streak"] == 5
    # After the last session (the eve) the planner holds nothing back: FSRS's due stand.
    assert summary["interview"]["held_back"] == 0 and summary["interview"]["days_left"] == 0
    shown = lines(run().out)
    assert shown[3:5] == [
        "Interview day: good luck!",
        "Nothing to review today: the preparation is done.",
    ]
    assert "Due now       2 (2 reviews, 0 learning) — optional today" in shown
    assert shown[-1] == "Nothing asked today; `prepcli review` works if you want to."
    assert not any("Run `prepcli review`" in line for line in shown)
    assert not any(line.startswith("Interview today") for line in shown)  # said once, above
    # Reviewing anyway still works.
    shown_next = json.loads(run("next", "--json").out)["card"]
    assert shown_next in KEYS
    assert run("answer", shown_next, "good").code == 0


@pytest.mark.usefixtures("sample_decks", "studied_to_the_eve")
def test_with_a_morning_session_the_interview_day_asks_for_it(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("config", "set", "interview_lead", "0").code == 0
    at(monkeypatch, INTERVIEW)
    summary = json.loads(run("today", "--json").out)
    assert summary["day"]["kind"] == "interview" and not summary["day"]["reviews_optional"]
    shown = lines(run().out)
    assert "A last short session this morning, as planned, then go." in shown
    assert "optional today" not in run().out


@pytest.mark.usefixtures("sample_decks", "studied_to_the_eve")
def test_the_day_after_keeps_the_streak_and_says_what_next(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, "2026-12-03")
    summary = json.loads(run("today", "--json").out)
    assert summary["streak"] == 5  # the interview day (nothing answered, a card due) is a rest day
    assert summary["interview"] is None  # plain FSRS again
    assert summary["day"] == {
        "kind": "after_interview", "reviews_optional": False, "interview_date": INTERVIEW,
        "days_since_interview": 1, "rest_until": None, "desired_retention": 0.9,
    }  # fmt: skip
    text = " ".join(lines(run().out))
    assert "Interview yesterday (2026-12-02): the plan's work is done, whatever the result." in text
    assert (
        "What next: keep reviewing a few minutes a day to keep what you learned (FSRS at your "
        "desired retention, 90%, from here on), or simply stop: nothing is lost by pausing"
    ) in text
    stats = json.loads(run("stats", "--json").out)["streaks"]
    assert stats["current"] == 5
    # A week on, the day is ordinary again.
    at(monkeypatch, "2026-12-10")
    assert json.loads(run("today", "--json").out)["day"] is None


@pytest.mark.usefixtures("sample_decks", "studied_to_the_eve")
def test_without_the_rest_day_the_same_gap_breaks_the_streak(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same history with the interview moved later: 2026-12-02 is then an
    ordinary day with a card due and no answer, and the streak ends."""
    at(monkeypatch, "2026-12-01")
    assert run("plan", "interview", "2026-12-20").code == 0
    at(monkeypatch, "2026-12-03")
    assert json.loads(run("today", "--json").out)["streak"] == 0
    assert json.loads(run("stats", "--json").out)["streaks"]["current"] == 0


@pytest.mark.usefixtures("sample_decks", "studied_to_the_eve")
def test_a_declared_rest_day_breaks_no_streak(
    run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    at(monkeypatch, "2026-12-01")
    assert run("plan", "interview", "2026-12-20").code == 0
    assert run("config", "set", "rest_days", "2026-12-02..2026-12-03").code == 0
    make_due(db_path, KEYS[2], "2026-12-02")
    at(monkeypatch, "2026-12-02")
    summary = json.loads(run("today", "--json").out)
    assert summary["day"]["kind"] == "rest" and summary["day"]["rest_until"] == "2026-12-03"
    shown = lines(run().out)
    assert (
        "Rest day (until 2026-12-03): nothing is asked and your streak is safe. Enjoy it." in shown
    )
    assert shown[-1] == "Nothing asked today; `prepcli review` works if you want to."
    stats = json.loads(run("stats", "--json").out)["streaks"]
    assert stats["today"] == "rest" and stats["current"] == 5
    at(monkeypatch, "2026-12-04")
    assert json.loads(run("today", "--json").out)["streak"] == 5
    assert json.loads(run("stats", "--json").out)["streaks"]["current"] == 5
    assert run("answer", KEYS[0], "good").code == 0
    assert json.loads(run("today", "--json").out)["streak"] == 6


def test_day_notes_and_dates() -> None:
    day = date(2026, 12, 2).toordinal()
    assert day_note(day, frozenset(), None, interview_lead=1, desired_retention=0.9) is None
    after = day_note(day + 8, frozenset(), day, interview_lead=1, desired_retention=0.9)
    assert after is None  # a week after, nothing special
    assert show_dates(parse_dates("2026-12-24 2026-12-25 2026-12-27")) == (
        "2026-12-24..2026-12-25 2026-12-27"
    )
    assert show_dates(()) == "none" and parse_dates("none") == ()


def test_a_review_on_a_rest_day_says_it_is_optional(run: Run, db_path: Path) -> None:
    env = dict(os.environ)
    env.update({"PREPCLI_DECKS": str(SAMPLE_DECKS), "TERM": "xterm", "COLUMNS": "100"})
    assert run("config", "set", "rest_days", "2026-11-23").code == 0
    child = pexpect.spawn(
        sys.executable, ["-m", "prepcli", "review"], env=env, encoding="utf-8", timeout=20,
        dimensions=(40, 100),
    )  # fmt: skip
    child.expect(r"\d+ left · optional today")
    child.send("q")
    child.expect("Session over")
    child.expect("Today is a rest day: these reviews were optional.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(0,)]
