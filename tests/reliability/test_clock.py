"""Daylight-saving changes, a time zone changed between sessions, and a clock that goes
backwards: no study day is lost or counted twice, and nothing crashes.

Each answer's study day is checked against an independent oracle (the local wall-clock
date, or the day before when it is earlier than the rollover hour); `today --json` must
agree on the date, the answers done today and the streak. When the zone or the clock
moves backwards, a new answer joins the latest study day already in the log instead of
reopening an earlier one: study days in the log never decrease.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import SAMPLE_DECKS, Result
from tests.reliability import figures
from tests.reliability.history import assert_sound, read_log, study_day_of

pytestmark = [
    pytest.mark.usefixtures("typer_tree_built_once", "sample_decks"),
]
PARIS = ZoneInfo("Europe/Paris")
CARDS = ("sample.basics/attention-scaling", "sample.basics/kv-cache",
         "sample.basics/conflict-story", "sample.coding/add-two")  # fmt: skip

Run = Callable[..., Result]


class Session:
    """Command lines at chosen instants, with the checks every step shares."""

    def __init__(self, run: Run, monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
        self.run = run
        self.monkeypatch = monkeypatch
        self.db = db
        self.answered = 0

    def at(self, instant: datetime) -> None:
        self.monkeypatch.setenv("PREPCLI_NOW", instant.isoformat())

    def ok(self, *argv: str) -> str:
        result = self.run(*argv)
        assert result.code == 0, (argv, result)
        return result.out

    def answer(self, card: str | None = None, rating: str = "good") -> int:
        """Answer (cycling through the cards) and return the study day logged."""
        card = card or CARDS[self.answered % len(CARDS)]
        self.answered += 1
        self.ok("answer", card, rating)
        if self.answered % 5 == 1:
            self.reads_work(card)
        figures.add("clock: answers checked")
        return read_log(self.db)[-1].study_day

    def reads_work(self, card: str) -> None:
        self.ok("next", "--json")
        self.ok("card", "show", card)
        if self.run("stats", "--help").code == 0:
            self.ok("stats", "--json")

    def today(self) -> dict[str, Any]:
        data = json.loads(self.ok("today", "--json"))
        assert isinstance(data, dict)
        return data


@pytest.fixture
def session(run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Session:
    return Session(run, monkeypatch, db_path)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


def assert_days_are_consistent(db: Path, session: Session) -> None:
    """Study days in log order never decrease; `today` counts its own and the streak."""
    log = assert_sound(db)
    days = [row.study_day for row in log]
    assert days == sorted(days), "a later answer landed on an earlier study day"
    summary = session.today()
    latest = days[-1]
    assert summary["study_date"] == iso(latest)
    assert summary["answers_today"] == days.count(latest)
    distinct = sorted(set(days))
    run = 1
    while run < len(distinct) and distinct[-run - 1] == distinct[-run] - 1:
        run += 1
    assert summary["streak"] == run, (distinct, summary["streak"])


# --- daylight saving time -------------------------------------------------------------------


FALL_BACK, SPRING_FORWARD = "2026-10-25T01:00", "2026-03-29T01:00"  # UTC, Europe/Paris


@pytest.mark.parametrize(
    ("transition", "rollover"),
    [(FALL_BACK, 4), (FALL_BACK, 2), (SPRING_FORWARD, 4), (SPRING_FORWARD, 2),
     (SPRING_FORWARD, 3)],
)  # fmt: skip
def test_daylight_saving_changes(
    transition: str, rollover: int, session: Session, db_path: Path
) -> None:
    """Europe/Paris changes at 01:00 UTC: back to 02:00 CET in October, on to 03:00 CEST in
    March. Answers every 50 minutes from the evening before to the morning after, with the
    rollover at 04:00 and at the hours the change skips or repeats."""
    if rollover != 4:
        session.ok("config", "set", "rollover_hour", str(rollover))
    moment = utc(transition) - timedelta(hours=7)
    end = utc(transition) + timedelta(hours=29)
    while moment <= end:
        session.at(moment)
        summary = session.today()
        expected = study_day_of(int(moment.timestamp() * 1000), PARIS, rollover)
        assert summary["study_date"] == iso(expected), moment
        assert session.answer() == expected, moment
        moment += timedelta(minutes=50)
    assert_days_are_consistent(db_path, session)
    days = sorted({row.study_day for row in read_log(db_path)})
    assert days == list(range(days[0], days[-1] + 1)), "a study day went missing"


# --- the zone changes between sessions ------------------------------------------------------


def _move(session: Session, how: str, zone: str) -> None:
    if how == "setting":
        session.ok("config", "set", "timezone", zone)
    else:
        session.monkeypatch.setenv("TZ", zone)


@pytest.mark.parametrize("how", ["setting", "TZ"])
def test_a_time_zone_change_between_sessions(how: str, session: Session, db_path: Path) -> None:
    session.at(datetime.fromisoformat("2026-11-23T09:00+01:00"))
    assert session.answer() == date(2026, 11, 23).toordinal()

    # Paris to Los Angeles an hour later: 01:00 on the 23rd there, before its rollover.
    _move(session, how, "America/Los_Angeles")
    session.at(datetime.fromisoformat("2026-11-23T10:00+01:00"))
    assert session.today()["study_date"] == "2026-11-23"
    assert session.answer() == date(2026, 11, 23).toordinal(), "the day must not reopen"
    assert_days_are_consistent(db_path, session)

    session.at(datetime.fromisoformat("2026-11-23T14:00+01:00"))  # 05:00 on the 23rd in LA
    assert session.answer() == date(2026, 11, 23).toordinal()
    session.at(datetime.fromisoformat("2026-11-24T14:00+01:00"))  # 05:00 on the 24th in LA
    assert session.answer() == date(2026, 11, 24).toordinal()
    assert_days_are_consistent(db_path, session)

    # On to Tokyo, where the 25th has begun; back to Paris, where it is still the 24th.
    _move(session, how, "Asia/Tokyo")
    session.at(datetime.fromisoformat("2026-11-24T21:00+01:00"))
    assert session.answer() == date(2026, 11, 25).toordinal()
    _move(session, how, "Europe/Paris")
    session.at(datetime.fromisoformat("2026-11-24T22:00+01:00"))
    assert session.today()["study_date"] == "2026-11-25"
    assert session.answer() == date(2026, 11, 25).toordinal()
    assert_days_are_consistent(db_path, session)
    assert session.today()["streak"] == 3


# --- the clock goes backwards ---------------------------------------------------------------


def test_a_clock_that_goes_backwards(session: Session, db_path: Path) -> None:
    card = CARDS[1]
    session.at(datetime.fromisoformat("2026-11-23T09:00+01:00"))
    session.answer(card)
    session.at(datetime.fromisoformat("2026-11-24T09:00+01:00"))
    session.answer(card)

    # Two days back: earlier than the card's last review.
    session.at(datetime.fromisoformat("2026-11-22T09:00+01:00"))
    assert session.today()["study_date"] == "2026-11-24"
    assert session.answer(card, "again") == date(2026, 11, 24).toordinal()
    assert_days_are_consistent(db_path, session)
    assert session.today()["streak"] == 2

    session.ok("undo")  # the answer given with the wrong clock can be taken back
    log = assert_sound(db_path)
    assert [row.study_day for row in log] == [date(2026, 11, d).toordinal() for d in (23, 24)]

    session.at(datetime.fromisoformat("2026-11-25T09:00+01:00"))  # the clock is right again
    assert session.answer(card) == date(2026, 11, 25).toordinal()
    assert_days_are_consistent(db_path, session)
    assert session.today()["streak"] == 3


def test_sample_decks_are_what_the_clock_tests_answer() -> None:
    from prepcli.files.decks import load_decks

    assert sorted(load_decks([SAMPLE_DECKS]).card_map()) == sorted(CARDS)
