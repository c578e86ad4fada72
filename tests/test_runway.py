"""A plan that fits the runway: the weeks fitted to an early interview, a pace that
introduces every planned card before the last day for new cards (or says on day one which
will not be), own decks beside the bundled ones, and the plan's views of past tasks.

The runs drive the real CLI day by day with PREPCLI_NOW, over a small generated six-week
plan (a deck a week, five core and five extended cards each); the bundled plan's arithmetic
is checked once on its own."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pexpect
import pytest

from prepcli.core.runway import StreamCount, Tiers, plan_runway, week_at, week_bounds
from tests.conftest import Result, rows

Run = Callable[..., Result]
START = date(2026, 11, 23)  # the conftest's PREPCLI_NOW
WEEKS, CORE, EXTENDED = 6, 5, 5


def write_deck(path: Path, deck: str, core: int, extended: int) -> list[str]:
    lines = ["version: 1", f"deck: {deck}", f"title: {deck}", "description: Test.", "cards:"]
    keys = []
    for number in range(core + extended):
        tier = "core" if number < core else "extended"
        lines += [f"  - id: c{number:02d}", "    kind: concept", f"    front: Q{number}?",
                  f"    back: A{number}.", f"    tier: {tier}"]  # fmt: skip
        keys.append(f"{deck}/c{number:02d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return keys


@pytest.fixture
def six_weeks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Six decks (t.w1 … t.w6) and a six-week plan `six` that introduces one a week."""
    decks, plans = tmp_path / "decks", tmp_path / "plans"
    decks.mkdir()
    plans.mkdir()
    keys = {}
    plan = ["version: 1", "plan: six", "title: Six", "weeks:"]
    for week in range(1, WEEKS + 1):
        keys[f"t.w{week}"] = write_deck(decks / f"w{week}.yaml", f"t.w{week}", CORE, EXTENDED)
        plan += [f"  - title: Week {week}", "    introduce:", f"      - deck: t.w{week}",
                 "    tasks:", f"      - id: task-{week}", f"        title: Task {week}"]  # fmt: skip
    (plans / "six.yaml").write_text("\n".join(plan) + "\n", encoding="utf-8")
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    monkeypatch.setenv("PREPCLI_PLANS", str(plans))
    return keys


def on(monkeypatch: pytest.MonkeyPatch, day: int) -> None:
    """Day `day` of the run (1: the start), in the morning."""
    monkeypatch.setenv("PREPCLI_NOW", f"{START + timedelta(days=day - 1)}T09:00:00+01:00")


def study_day() -> list[str]:
    """Answer everything the queue offers today, Easy, as `prepcli next` and `prepcli
    answer` would (the same Study calls, without building the command line each time);
    return the new cards introduced."""
    from prepcli.app.study import Study
    from prepcli.cli.options import locations_for
    from prepcli.core import clock
    from prepcli.core.clock import to_ms
    from prepcli.core.models import Phase, Rating
    from prepcli.entry import quick_today

    options = quick_today([])  # the collection the environment names, as `prepcli` reads it
    assert options is not None
    now = clock.now()
    study = Study.open(locations_for(options), now)
    introduced = []
    try:
        while (key := study.queue.agenda().next_card(to_ms(now))) is not None:
            if study.state_of(key).phase == Phase.NEW:
                introduced.append(key)
            study.answering.answer(key, Rating.EASY)
    finally:
        study.close()
    return introduced


def plan_json(run: Run) -> dict:  # type: ignore[type-arg]
    result = run("plan", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_a_42_day_run_introduces_every_planned_card_before_the_cut_off(
    run: Run, monkeypatch: pytest.MonkeyPatch, six_weeks: dict[str, list[str]]
) -> None:
    """Interview on day 42: new cards stop after day 37 (interview_buffer 4, lead 1). At 2
    new cards a day the 60 cards fit (74 places); seven-day weeks would leave week 6's ten
    cards two days (four places)."""
    assert run("config", "set", "new_per_day", "2").code == 0
    interview = START + timedelta(days=41)
    started = run("plan", "start", "--plan", "six", "--interview", str(interview), "--json")
    assert started.code == 0, started.err
    runway = json.loads(started.out)["runway"]
    assert runway["last_new_date"] == str(START + timedelta(days=36))
    assert runway["left"] == {"core": 30, "extended": 30}
    assert runway["will_not_fit"] == {"core": 0, "extended": 0}
    assert json.loads(started.out)["weeks_scaled"] is False
    introduced: dict[int, list[str]] = {}
    for day in range(1, 43):
        on(monkeypatch, day)
        if day == 1:
            assert "Plan pace     2 new cards a day until 2026-12-29" in run().out
        introduced[day] = study_day()
        assert len(introduced[day]) <= 2  # new_per_day holds every day
    every = [key for day in introduced.values() for key in day]
    assert sorted(every) == sorted(k for keys in six_weeks.values() for k in keys)
    assert not any(introduced[day] for day in range(38, 43))  # none after the cut-off
    # Each week's cards in plan order, core before extended: week 1 opens, week 6 closes.
    assert all(key.startswith("t.w1/") for key in introduced[1])
    assert all(key.startswith("t.w6/") for key in introduced[37])


def test_the_pace_line_says_what_prepcli_will_introduce(
    run: Run, monkeypatch: pytest.MonkeyPatch, six_weeks: dict[str, list[str]]
) -> None:
    """Day 36 of a run whose cards were never studied: two days for sixty cards. The pace
    is new_per_day's, the shortfall is said with the setting that would fit, and `next`
    gives exactly that many."""
    assert run("config", "set", "new_per_day", "6").code == 0
    interview = START + timedelta(days=41)
    run("plan", "start", "--plan", "six", "--interview", str(interview))
    on(monkeypatch, 36)
    status = plan_json(run)
    assert status["runway"]["pace_today"] == status["catch_up_per_day"] == 6
    text = run("plan").out
    assert "Pace: 6 new cards a day (new_per_day) until 2026-12-29, the last day for new" in text
    assert (
        "Will not fit by 2026-12-29: 18 of the 30 core cards and all 30 extended cards (the "
        "last ones of weeks 1–6). Raise new_per_day to 30 to fit them all (15 fits every "
        "core card)." in " ".join(text.split())
    )
    assert len(study_day()) == 6


def test_a_14_day_runway_introduces_every_core_card(
    run: Run, monkeypatch: pytest.MonkeyPatch, six_weeks: dict[str, list[str]]
) -> None:
    """Interview on day 14: the six weeks share its 14 days, new cards stop after day 9;
    at 4 a day there is room for 36: every core card and one extended card a week."""
    assert run("config", "set", "new_per_day", "4").code == 0
    interview = START + timedelta(days=13)
    started = run("plan", "start", "--plan", "six", "--interview", str(interview))
    assert started.code == 0, started.err
    assert (
        "Note: the interview (2026-12-06) comes before the plan ends; its 6 weeks are "
        "fitted to the days there are, core cards first." in started.out
    )
    assert (
        "Will not fit by 2026-12-01: 24 of the 30 extended cards (the last ones of weeks "
        "1–6). Raise new_per_day to 7 to fit them all." in started.out
    )
    status = plan_json(run)
    starts = [date.fromisoformat(w["start_date"]) for w in status["weeks"]]
    ends = [*starts[1:], interview + timedelta(1)]
    assert [(b - a).days for a, b in zip(starts, ends, strict=True)] == [2, 2, 3, 2, 2, 3]
    assert status["end_date"] == str(interview) and status["weeks_scaled"] is True
    fits = [s["fit"] for s in status["runway"]["streams"] if s["week"] is not None]
    assert fits == [{"core": 5, "extended": 1}] * 6
    introduced = []
    weeks = []
    for day in range(1, 15):
        on(monkeypatch, day)
        weeks.append(plan_json(run)["week"])
        introduced += study_day()
    assert weeks == [1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 6]
    core = {k for keys in six_weeks.values() for k in keys[:CORE]}
    assert core <= set(introduced) and len(introduced) == 36
    assert {k.split("/")[0] for k in set(introduced) - core} == set(six_weeks)  # one a week


def test_the_bundled_plans_arithmetic(run: Run) -> None:
    """The bundled plan over the bundled decks, interview on day 42: 790 core and 961
    extended cards against 37 days for new cards."""
    from prepcli.app.runway import runway_today
    from prepcli.core.planlayout import PlanLayout
    from prepcli.files.decks import load_decks
    from prepcli.files.plan import load_plan
    from prepcli.storage import paths

    decks = load_decks([paths.bundled("decks")])
    layout = PlanLayout.build(load_plan(paths.bundled("plans") / "six-week.yaml", decks), decks)
    start = START.toordinal()

    def day_one(new_per_day: int):  # type: ignore[no-untyped-def]
        found = runway_today(
            layout, start, start + 41, today=start, studied=frozenset(), hidden=frozenset(),
            new_per_day=new_per_day, introduced_today=frozenset(), interview_cutoff=start + 36,
        )  # fmt: skip
        assert found is not None
        return found.runway

    default = day_one(20)
    assert (default.left, default.days_left) == (Tiers(790, 961), 37)
    assert default.will_not_fit == Tiers(790 - 740, 961)  # 50 core, every extended
    assert (default.per_day_to_fit_core, default.per_day_to_fit_all) == (22, 48)
    assert all(s.fit.core for s in default.streams[:-1])  # every week keeps core cards
    assert default.pace_today == 20
    core_only = day_one(22)
    assert core_only.will_not_fit.core == 0 and core_only.will_not_fit.extended == 961 - (
        22 * 37 - 790
    )
    assert day_one(48).will_not_fit == Tiers()


def test_own_decks_join_the_bundled_ones(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--decks adds; the bundled plan runs with an own deck beside it, without errors, and
    introduces its cards from the first day; --no-bundled (or the variable) replaces."""
    own = tmp_path / "own"
    own.mkdir()
    mine = write_deck(own / "my.yaml", "my.notes", 4, 0)
    monkeypatch.delenv("PREPCLI_NO_BUNDLED")
    monkeypatch.setenv("PREPCLI_DECKS", str(own))
    listed = {d["deck"] for d in json.loads(run("deck", "list", "--json").out)["decks"]}
    assert "my.notes" in listed and "llm-quiz.inference" in listed
    replaced = run("--no-bundled", "deck", "list", "--json")
    assert [d["deck"] for d in json.loads(replaced.out)["decks"]] == ["my.notes"]
    assert run("config", "set", "new_per_day", "48").code == 0
    started = run("plan", "start", "--interview", str(START + timedelta(days=41)))
    assert started.code == 0, started.err
    assert "(4 of them outside the plan, in your own decks)" in " ".join(started.out.split())
    assert json.loads(run("next", "--json", "--deck", "my").out)["card"] == mine[0]
    assert json.loads(run("today", "--json").out)["plan"]["runway"]["outside_plan_today"] == 1
    # The quick path and the parsed one see the same decks.
    assert run().out == run("--db", os.environ["PREPCLI_DB"]).out
    # The bundled plan keeps running when the bundled decks are left out: no "no deck" errors.
    monkeypatch.setenv("PREPCLI_NO_BUNDLED", "1")
    alone = run("plan", "--json")
    assert alone.code == 0 and alone.err == ""
    assert run("next", "--json").code == 0


def test_a_running_plan_introduces_own_deck_cards_day_by_day(
    run: Run, monkeypatch: pytest.MonkeyPatch, six_weeks: dict[str, list[str]], tmp_path: Path
) -> None:
    """An own deck beside the plan's decks: its cards are spread over the days for new cards
    with the plan's, and every card of both is introduced by the cut-off."""
    own = tmp_path / "own"
    own.mkdir()
    mine = write_deck(own / "my.yaml", "my.notes", 6, 2)
    monkeypatch.setenv("PREPCLI_DECKS", os.pathsep.join([os.environ["PREPCLI_DECKS"], str(own)]))
    assert run("config", "set", "new_per_day", "3").code == 0
    started = run("plan", "start", "--plan", "six", "--interview", str(START + timedelta(41)))
    assert started.code == 0, started.err
    assert "(8 of them outside the plan, in your own decks)" in " ".join(started.out.split())
    days_with_own = 0
    introduced = []
    for day in range(1, 43):
        on(monkeypatch, day)
        today = study_day()
        introduced += today
        days_with_own += any(key.startswith("my.notes/") for key in today)
    assert set(mine) <= set(introduced)
    assert sorted(introduced) == sorted([*mine, *(k for ks in six_weeks.values() for k in ks)])
    assert days_with_own == 8  # one a day from the start, not after every planned card


def test_an_empty_selection_says_why(
    run: Run, monkeypatch: pytest.MonkeyPatch, six_weeks: dict[str, list[str]]
) -> None:
    assert run("config", "set", "new_per_day", "2").code == 0
    run("plan", "start", "--plan", "six", "--interview", str(START + timedelta(41)))
    later = run("next", "--deck", "t.w3")
    assert later.out == (
        "Nothing due now.\nNo card of deck t.w3 is due or new today: 10 new cards come in "
        "later weeks of the plan; `--ahead` introduces them now.\n"
    )
    study_day()
    done = run("next", "--deck", "t.w1")
    assert done.out == (
        "Nothing due now.\nNo card of deck t.w1 is due or new today: 8 new cards wait for "
        "tomorrow: today's 2 new cards are introduced; next due 2026-12-02 (1 card).\n"
    )


def test_review_of_a_deck_with_nothing_today_explains(
    run: Run, six_weeks: dict[str, list[str]]
) -> None:
    assert run("plan", "start", "--plan", "six").code == 0
    env = dict(os.environ, TERM="xterm", COLUMNS="100", LINES="40")
    child = pexpect.spawn(
        sys.executable, ["-m", "prepcli", "review", "--deck", "t.w2"], env=env,
        encoding="utf-8", timeout=20, dimensions=(40, 100),
    )  # fmt: skip
    child.expect("Session over")
    child.expect("0 answers")
    child.expect("No card of deck t.w2 is due or new today")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_past_weeks_open_tasks_and_ticks_in_plan_show(
    run: Run, monkeypatch: pytest.MonkeyPatch, six_weeks: dict[str, list[str]], db_path: Path
) -> None:
    run("plan", "start", "--plan", "six")
    assert run("plan", "done", "task-2").code == 0
    on(monkeypatch, 17)  # week 3
    status = plan_json(run)
    assert status["open_tasks_before"] == [{"week": 1, "id": "task-1", "title": "Task 1"}]
    text = run("plan").out
    assert "Open tasks from earlier weeks:" in text and "Task 1 (week 1)" in text
    assert "Task 2 (week 2)" not in text
    assert "1 left this week, 1 open from earlier weeks" in run().out
    shown = run("plan", "show").out
    assert "✔ Task 2" in shown and "☐ Task 1" in shown
    weeks = json.loads(run("plan", "show", "--json").out)["weeks"]
    assert [t["done"] for w in weeks for t in w["tasks"]] == [
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert rows(db_path, "SELECT task_id FROM task_done") == [("task-2",)]


def test_week_bounds_and_the_share_of_a_short_runway() -> None:
    assert week_bounds(100, 6, None) == tuple(100 + 7 * w for w in range(7))
    assert week_bounds(100, 6, 141) == tuple(100 + 7 * w for w in range(7))  # six weeks
    assert week_bounds(100, 6, 113) == (100, 102, 104, 107, 109, 111, 114)
    tiny = week_bounds(100, 6, 102)  # three days for six weeks: some weeks get none
    assert tiny == (100, 100, 101, 101, 102, 102, 103)
    assert [week_at(tiny, day) for day in (99, 100, 101, 102, 103)] == [1, 2, 4, 6, 6]
    # Shares of the whole stream: a week half introduced keeps its place tomorrow.
    weeks = [StreamCount(Tiers(10, 0)), StreamCount(Tiers(20, 0)), StreamCount(Tiers(10, 0))]
    first = plan_runway(
        today=100, bounds=week_bounds(100, 3, None), last_new_day=109, new_per_day=2,
        weeks=weeks, outside_plan=StreamCount(Tiers()),
    )  # fmt: skip
    assert [s.fit.core for s in first.streams] == [5, 10, 5, 0]
    assert first.pace_today == 2 and first.will_not_fit == Tiers(20, 0)
    after = [StreamCount(Tiers(8, 0), Tiers(2, 0)), *weeks[1:]]
    second = plan_runway(
        today=101, bounds=week_bounds(100, 3, None), last_new_day=109, new_per_day=2,
        weeks=after, outside_plan=StreamCount(Tiers()),
    )  # fmt: skip
    assert [s.fit.core for s in second.streams] == [3, 10, 5, 0]
    assert second.per_day_to_fit_all == 5 and second.per_day_to_fit_core == 5
