"""The study plan: start it, follow it over simulated days, see the status reflect it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.core.models import PlanRun
from prepcli.core.plans import Plan, Selector, Task, Week
from prepcli.core.planstatus import plan_status
from tests.conftest import DATA, Result, rows

Run = Callable[..., Result]
PLANS = DATA / "plans"


@pytest.fixture(autouse=True)
def mini_plan(sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(PLANS))


def status(run: Run) -> dict:  # type: ignore[type-arg]
    result = run("plan", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("PREPCLI_NOW", when)


def test_no_plan_yet(run: Run) -> None:
    assert json.loads(run("plan", "--json").out) == {"version": 1, "plan": None}
    result = run("plan")
    assert result.code == 1 and "no plan started yet" in result.err


def test_start_follow_and_tick(run: Run, monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    started = run("plan", "start", "--plan", "mini", "--interview", "2026-12-10")
    assert started.code == 0, started.err
    assert started.out.startswith("Started Mini plan: 2026-11-23 to 2026-12-06.\n")
    first = status(run)
    assert (first["week"], first["day"], first["phase"]) == (1, 1, "running")
    assert first["days_to_interview"] == 17
    assert [(w["cards_total"], w["tasks_total"], w["status"]) for w in first["weeks"]] == [
        (2, 2, "on track"),
        (2, 1, "upcoming"),
    ]
    # Week 1's cards come first, at the plan's pace (2 cards over 7 days: 1 a day).
    assert json.loads(run("next", "--json").out)["card"] == "sample.basics/attention-scaling"
    run("answer", "sample.basics/attention-scaling", "easy")
    assert json.loads(run("next", "--json").out) == {"version": 1, "card": None}
    # --ahead goes past today's share, this week's cards still first, then later weeks'.
    assert json.loads(run("next", "--json", "--ahead").out)["card"] == "sample.coding/add-two"
    run("answer", "sample.coding/add-two", "easy")
    assert json.loads(run("next", "--json", "--ahead").out)["card"] == "sample.basics/kv-cache"

    assert run("plan", "done", "read-paper").out == "read-paper: done\n"
    assert run("plan", "done", "read-paper").out == "read-paper: done (it already was)\n"
    run("plan", "done", "write-notes")
    after = status(run)
    assert after["weeks"][0] == {
        "number": 1, "title": "Basics first", "start_date": "2026-11-23", "cards_total": 2,
        "cards_introduced": 2, "cards_learned": 2, "tasks_total": 2, "tasks_done": 2,
        "status": "done",
    }  # fmt: skip
    assert after["tasks_this_week"] == [
        {"id": "read-paper", "title": "Read the attention paper", "done": True},
        {"id": "write-notes", "title": "Write one page of notes", "done": True},
    ]
    assert run("plan", "undo", "write-notes").out == "write-notes: not done\n"
    assert status(run)["weeks"][0]["tasks_done"] == 1
    bad = run("plan", "done", "nope")
    assert bad.code == 2 and "no task 'nope' in plan 'mini'" in bad.err
    assert rows(db_path, "SELECT task_id FROM task_done") == [("read-paper",)]


def test_week_boundaries_follow_study_days(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    run("plan", "start", "--plan", "mini", "--start", "2026-11-23")
    at(monkeypatch, "2026-11-29T23:00:00+01:00")  # day 7, evening
    assert (status(run)["week"], status(run)["day"]) == (1, 7)
    at(monkeypatch, "2026-11-30T03:59:00+01:00")  # before the 04:00 rollover: still day 7
    assert status(run)["day"] == 7
    at(monkeypatch, "2026-11-30T04:00:00+01:00")
    assert (status(run)["week"], status(run)["day"]) == (2, 8)
    at(monkeypatch, "2026-12-07T09:00:00+01:00")  # after the last week
    final = status(run)
    assert (final["phase"], final["week"]) == ("finished", 2)


def test_a_start_in_the_future(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    run("plan", "start", "--plan", "mini", "--start", "2026-11-26")
    future = status(run)
    assert (future["phase"], future["day"], future["week"]) == ("not started", -2, 1)
    assert [w["status"] for w in future["weeks"]] == ["upcoming", "upcoming"]
    text = run("plan").out
    assert "starts 2026-11-26 (in 3 days)" in text


def test_interview_before_the_plan_ends(run: Run) -> None:
    started = run("plan", "start", "--plan", "mini", "--interview", "2026-12-01")
    assert "Note: the interview (2026-12-01) comes before the plan ends" in started.out
    assert run("plan", "interview", "2026-12-20").out == "Interview on 2026-12-20 (in 27 days).\n"
    assert status(run)["interview_date"] == "2026-12-20"
    past = run("plan", "interview", "2026-11-01")
    assert past.code == 2 and "in the past" in past.err
    assert run("plan", "interview", "tomorrow").code == 2


def test_a_skipped_week_is_behind_and_the_pace_catches_up(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("plan", "start", "--plan", "mini", "--start", "2026-11-23")
    at(monkeypatch, "2026-12-01T09:00:00+01:00")  # day 9: week 1 went by untouched
    behind = status(run)
    assert [w["status"] for w in behind["weeks"]] == ["behind", "behind"]
    # 2 cards from week 1 and 2 from week 2 remain; 6 days are left in week 2.
    assert (
        behind["cards_left_so_far"],
        behind["days_left_in_week"],
        behind["catch_up_per_day"],
    ) == (4, 6, 1)
    assert "Pace: 1 new card a day for the next 6 days" in run("plan").out
    # The leftover week-1 cards come after this week's, and today's new limit is the pace.
    assert json.loads(run("next", "--json").out)["card"] == "sample.basics/kv-cache"
    run("answer", "sample.basics/kv-cache", "easy")
    assert json.loads(run("next", "--json").out) == {"version": 1, "card": None}
    assert json.loads(run("today", "--json").out)["plan"]["cards_left_so_far"] == 3


def test_starting_again_asks_first(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    run("plan", "start", "--plan", "mini")
    again = run("plan", "start", "--plan", "mini", "--start", "2026-12-01")
    assert again.code == 1  # no answer on stdin: not replaced
    assert status(run)["start_date"] == "2026-11-23"
    assert run("plan", "start", "--plan", "mini", "--start", "2026-12-01", "--force").code == 0
    assert status(run)["start_date"] == "2026-12-01"


def test_bad_plan_values_are_usage_errors(run: Run) -> None:
    assert run("plan", "start", "--plan", "nope").code == 2
    assert run("plan", "start", "--plan", "mini", "--start", "23/11/2026").code == 2
    bad = run(
        "plan", "start", "--plan", "mini", "--start", "2026-12-01", "--interview", "2026-11-30"
    )
    assert bad.code == 2 and "before the plan's start" in bad.err


def test_plans_are_validated_against_the_decks(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    bad = plans / "broken.yaml"
    bad.write_text(
        "plan: broken\ntitle: B\nweeks:\n  - title: W\n    introduce:\n"
        "      - deck: sample.nope\n      - deck: sample.basics\n        tags: [missing]\n"
        "    tasks:\n      - id: t\n        title: T\n      - id: t\n        title: again\n"
        "    colour: red\n",
        "utf-8",
    )
    monkeypatch.setenv("PREPCLI_PLANS", str(plans))
    result = run("plan", "start", "--plan", "broken")
    assert result.code == 1
    assert [line for line in result.err.splitlines()] == [
        f"{bad}:6:15: error: no deck 'sample.nope' in the decks",
        f"{bad}:8:16: error: no card in deck 'sample.basics' has the tag 'missing'",
        f"{bad}:12:13: error: duplicate task id 't' (first in week 1)",
        f"{bad}:14:5: error: unknown key 'colour' in week (allowed: focus, introduce, tasks, title)",
    ]


def test_plan_show(run: Run) -> None:
    shown = json.loads(run("plan", "show", "--plan", "mini", "--json").out)
    assert [w["cards"] for w in shown["weeks"]] == [2, 2]
    text = run("plan", "show", "--plan", "mini").out
    assert "Week 1: Basics first  (2 cards)" in text and "read-paper" in text


def test_bundled_plan_covers_every_bundled_card(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from prepcli.core.planlayout import assign_weeks
    from prepcli.files.decks import load_decks
    from prepcli.files.plan import load_plan
    from prepcli.storage import paths

    decks = load_decks([paths.bundled("decks")])
    plan = load_plan(paths.bundled("plans") / "six-week.yaml", decks)
    assignment = assign_weeks(plan, decks)
    assert len(plan.weeks) == 6 and all(len(w.tasks) >= 3 for w in plan.weeks)
    assert set(assignment) == {c.key for c in decks.cards()}
    per_week = [sum(1 for n in assignment.values() if n == w) for w in range(1, 7)]
    assert all(count > 0 for count in per_week)


def _plan(weeks: int) -> Plan:
    return Plan(
        id="p", title="P", description="", path="p.yaml",
        weeks=tuple(
            Week(n, f"W{n}", "", (Selector(f"d{n}"),), (Task(f"t{n}", "T", n),))
            for n in range(1, weeks + 1)
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("today_offset", "introduced", "expected"),
    [
        (0, 0, (20, 7, 3)),  # day 1: 20 cards over 7 days
        (3, 8, (12, 4, 3)),  # day 4: 12 left over 4 days
        (6, 19, (1, 1, 1)),  # the last day of week 1
        (7, 20, (20, 7, 3)),  # week 2 starts fresh
        (9, 5, (35, 5, 7)),  # day 10, week 1 mostly skipped: 15 + 20 over 5 days
    ],
)
def test_catch_up_pace_arithmetic(
    today_offset: int, introduced: int, expected: tuple[int, int, int]
) -> None:
    plan = _plan(2)
    run = PlanRun("p", start_day=1000, interview_day=None)
    assignment = {f"d1/c{i}": 1 for i in range(20)} | {f"d2/c{i}": 2 for i in range(20)}
    studied = frozenset(list(assignment)[:introduced])
    by_week = {w: frozenset(k for k, n in assignment.items() if n == w) for w in (1, 2)}
    result = plan_status(plan, run, by_week, studied, frozenset(), [], 1000 + today_offset)
    assert (result.cards_left_so_far, result.days_left_in_week, result.catch_up_per_day) == expected


def test_a_weeks_core_cards_come_before_its_extended_ones(tmp_path: Path) -> None:
    """A candidate who cannot keep up with every card still meets the core ones first."""
    from prepcli.core.planlayout import PlanLayout, plan_order
    from prepcli.files.decks import load_decks
    from prepcli.files.plan import load_plan

    decks = load_decks([DATA / "atomic_decks"])
    plan_file = tmp_path / "one-week.yaml"
    plan_file.write_text(
        "version: 1\nplan: one-week\ntitle: One week\nweeks:\n"
        "  - title: Everything\n    introduce:\n      - deck: lint.atomic\n",
        "utf-8",
    )
    layout = PlanLayout.build(load_plan(plan_file, decks), decks)
    keys = [card.key for card in decks.cards()]
    order = plan_order(keys, {key: 1 for key in keys}, 1, layout.ranks)
    extended = [key for key in keys if decks.by_key[key].tier.value == "extended"]
    assert extended == ["lint.atomic/answer-and-why"]
    assert order[-1] == "lint.atomic/answer-and-why"
    assert order[:-1] == [key for key in keys if key not in extended]  # file order otherwise


def test_a_plan_named_only_by_its_id_is_parsed_once_per_version(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding a plan whose file is named otherwise reads each plan file's `plan:` id; the
    deck cache keeps the id per file version, so later commands parse no plan file for it."""
    import prepcli.files.plan as plan_files

    folder = tmp_path / "plans"
    folder.mkdir()
    renamed = folder / "two-weeks.yaml"
    renamed.write_text((PLANS / "mini.yaml").read_text("utf-8"), "utf-8")
    monkeypatch.setenv("PREPCLI_PLANS", str(folder))
    assert run("plan", "start", "--plan", "mini", "--start", "2026-11-23").code == 0
    reads: list[Path] = []
    real = plan_files.plan_id_in

    def counted(path: Path) -> str | None:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(plan_files, "plan_id_in", counted)
    assert run("plan", "--json").code == 0
    assert reads == []  # the id saved when the plan started
    with renamed.open("a", encoding="utf-8") as edited:
        edited.write("# edited\n")
    assert run("plan", "--json").code == 0
    assert run("plan", "--json").code == 0
    assert reads == [renamed]  # read again once for the new version


def test_a_plan_file_that_cannot_be_read_is_not_remembered(tmp_path: Path) -> None:
    from prepcli.files.plan import PlanUnreadable
    from prepcli.storage.deckindex import load_index

    plan_file = tmp_path / "p.yaml"
    plan_file.write_text("plan: p\n", "utf-8")
    index, _decks = load_index([DATA / "atomic_decks"], tmp_path / "cache")
    calls = []

    def unreadable(path: Path) -> str | None:
        calls.append(path)
        raise PlanUnreadable(path)

    try:
        for _ in range(2):
            with pytest.raises(PlanUnreadable):
                index.plan_id(plan_file, unreadable)
        assert len(calls) == 2
        assert index.plan_id(plan_file, lambda path: "p") == "p"
        assert index.plan_id(plan_file, unreadable) == "p"  # kept once read
    finally:
        index.close()
