"""The command line, end to end in an isolated home: exit codes, output and database rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


@pytest.mark.usefixtures("sample_decks")
def test_today_on_a_fresh_database(run: Run) -> None:
    result = run()
    assert result.code == 0, result.err
    assert lines(result.out) == [
        "prepcli — study day 2026-11-23",
        "No plan started: `prepcli plan start --interview YYYY-MM-DD`",
        "",
        "Due now       0 (0 reviews, 0 learning)",
        "New today     4 of 4 not yet studied",
        "Done today    0 answers, 0 min",
        "Streak        0 days",
        "Due tomorrow  0",
        "Collection    4 cards in 2 decks",
        "",
        "Run `prepcli review` to start.",
    ]
    assert run("today").out == result.out


@pytest.mark.usefixtures("sample_decks")
def test_next_answer_and_persistent_undo(run: Run, db_path: Path) -> None:
    first = json.loads(run("next", "--json").out)
    assert first["card"] == "sample.basics/attention-scaling"
    assert first["kind"] == "concept" and first["phase"] == "new"
    assert {k: v["label"] for k, v in first["intervals"].items()} == {
        "again": "1m", "hard": "6m", "good": "10m", "easy": "8d",
    }  # fmt: skip
    answered = run("answer", "sample.basics/attention-scaling", "easy", "--duration-ms", "5300")
    assert (answered.code, answered.out) == (
        0,
        "sample.basics/attention-scaling: Easy — next in 8d\n",
    )
    assert rows(db_path, "SELECT rating, kind, duration_ms, b_phase, a_phase FROM review") == [
        (4, 0, 5300, 0, 2)
    ]
    assert json.loads(run("next", "--json").out)["card"] == "sample.basics/kv-cache"
    # A later, separate run undoes it.
    undone = run("undo")
    assert undone.out == "Undid Easy on sample.basics/attention-scaling (2026-11-23 09:00 CET).\n"
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(0,)]
    assert rows(db_path, "SELECT phase, reps FROM card") == [(0, 0)]
    assert run("undo").out == "Nothing to undo.\n"


@pytest.mark.usefixtures("sample_decks")
def test_ratings_by_name_or_number_and_bad_ones(run: Run, db_path: Path) -> None:
    assert run("answer", "sample.basics/kv-cache", "3").code == 0
    bad = run("answer", "sample.basics/kv-cache", "great")
    assert bad.code == 2
    assert bad.err == "error: rating must be 1–4 or again/hard/good/easy, got 'great'\n"
    unknown = run("answer", "sample.basics/nope", "good")
    assert (unknown.code, unknown.err) == (2, "error: no card 'sample.basics/nope' in the decks\n")
    no_slash = run("card", "show", "kv-cache")
    assert no_slash.code == 2 and "card ids look like deck/id" in no_slash.err
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(1,)]


@pytest.mark.usefixtures("sample_decks")
def test_card_show_suspend_and_forget(run: Run, db_path: Path) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    run("answer", "sample.basics/kv-cache", "good")
    shown = json.loads(run("card", "show", "sample.basics/kv-cache", "--json").out)
    assert shown["state"]["phase"] == "review" and len(shown["history"]) == 2
    assert shown["retrievability"] == pytest.approx(1.0)
    text = run("card", "show", "sample.basics/kv-cache").out
    assert "Stability       2.31 days" in text and "History" in text

    assert (
        run("card", "suspend", "sample.basics/kv-cache").out
        == "sample.basics/kv-cache suspended.\n"
    )
    summary = json.loads(run("today", "--json").out)
    assert summary["suspended"] == 1
    run("card", "unsuspend", "sample.basics/kv-cache")
    assert json.loads(run("today", "--json").out)["suspended"] == 0

    assert run("card", "forget", "sample.basics/kv-cache", "--yes").code == 0
    assert rows(
        db_path, "SELECT phase, stability FROM card WHERE key = 'sample.basics/kv-cache'"
    ) == [(0, None)]
    assert rows(db_path, "SELECT rating, kind FROM review ORDER BY id") == [(3, 0), (3, 0), (0, 4)]
    run("undo")  # the forget is undone like an answer
    assert rows(db_path, "SELECT phase FROM card WHERE key = 'sample.basics/kv-cache'") == [(2,)]


def test_a_bad_deck_is_reported_and_never_touches_the_database(
    run: Run, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    bad = decks / "bad.yaml"
    bad.write_text(
        "deck: x\ntitle: T\ndescription: D\nsources: [s]\ncards:\n  - id: a\n    kind: quiz\n",
        "utf-8",
    )
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    result = run()
    assert result.code == 1
    assert lines(result.err) == [
        f"{bad}:6:5: error: card is missing required key 'back'",
        f"{bad}:6:5: error: card is missing required key 'front'",
        f"{bad}:7:11: error: unknown kind 'quiz' (expected one of: behavioral, cloze, coding, concept, design)",
    ]
    assert "Traceback" not in result.err and result.out == ""
    assert not db_path.exists()


@pytest.mark.usefixtures("sample_decks")
def test_renamed_cards_keep_their_history(
    run: Run, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("answer", "sample.basics/kv-cache", "easy")
    decks = tmp_path / "renamed"
    decks.mkdir()
    text = (SAMPLE_DECKS / "basics.yaml").read_text("utf-8")
    (decks / "basics.yaml").write_text(
        text.replace("  - id: kv-cache\n", "  - id: kv-cache-contents\n    formerly: [kv-cache]\n"),
        "utf-8",
    )
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    shown = json.loads(run("card", "show", "sample.basics/kv-cache-contents", "--json").out)
    assert len(shown["history"]) == 1 and shown["state"]["phase"] == "review"
    assert rows(db_path, "SELECT key FROM card") == [("sample.basics/kv-cache-contents",)]


@pytest.mark.usefixtures("sample_decks")
def test_a_card_that_leaves_its_deck_keeps_its_history_and_comes_back(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("answer", "sample.basics/kv-cache", "easy")
    decks = tmp_path / "fewer"
    decks.mkdir()
    text = (SAMPLE_DECKS / "basics.yaml").read_text("utf-8")
    start = text.index("  - id: kv-cache\n")
    end = text.index("  - id: conflict-story\n")
    (decks / "basics.yaml").write_text(text[:start] + text[end:], "utf-8")
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    assert json.loads(run("today", "--json").out)["cards"] == 2
    shown = run("card", "show", "sample.basics/kv-cache")
    assert shown.code == 0 and "(no longer in any deck)" in shown.out
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    back = json.loads(run("card", "show", "sample.basics/kv-cache", "--json").out)
    assert len(back["history"]) == 1


@pytest.mark.usefixtures("sample_decks")
def test_daily_new_card_limit_and_next_day(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("config", "set", "new_per_day", "2").out == "new_per_day = 2\n"
    for _ in range(2):
        key = json.loads(run("next", "--json").out)["card"]
        run("answer", key, "easy")
    assert json.loads(run("next", "--json").out) == {"version": 1, "card": None}
    assert run("next").out == "Nothing due now.\n"
    monkeypatch.setenv("PREPCLI_NOW", "2026-11-24T09:00:00+01:00")
    assert json.loads(run("today", "--json").out)["new_today"] == 2
    assert json.loads(run("today", "--json").out)["streak"] == 1


@pytest.mark.usefixtures("sample_decks")
def test_config_validation(run: Run) -> None:
    assert run("config", "set", "learning_steps", "2m 15m").out == "learning_steps = 2m 15m\n"
    assert run("config", "get", "learning_steps").out == "2m 15m\n"
    bad = run("config", "set", "desired_retention", "1.5")
    assert (bad.code, bad.err) == (2, "error: expected a number from 0.7 to 0.99, got 1.5\n")
    assert run("config", "set", "timezone", "Mars/Olympus").code == 2
    assert run("config", "set", "colour", "red").code == 2
    assert run("config", "reset", "learning_steps").out == "learning_steps = 1m 10m\n"


@pytest.mark.usefixtures("sample_decks")
def test_filters_and_unknown_deck(run: Run) -> None:
    card = json.loads(run("next", "--json", "--deck", "sample.coding").out)
    assert card["card"] == "sample.coding/add-two"
    tagged = json.loads(run("next", "--json", "--tag", "attention").out)
    assert tagged["card"] == "sample.basics/attention-scaling"
    missing = run("next", "--deck", "nope")
    assert missing.code == 2 and "no deck 'nope'" in missing.err


def test_bad_clock_value_is_a_clear_error(
    run: Run, sample_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPCLI_NOW", "yesterday")
    result = run()
    assert (result.code, result.err) == (
        1,
        "error: PREPCLI_NOW='yesterday' is not an ISO-8601 date or time\n",
    )


def test_bundled_decks_work_with_no_flags(run: Run) -> None:
    result = run("today", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["cards"] >= 300


def test_review_refuses_without_a_terminal(run: Run, sample_decks: Path) -> None:
    result = run("review")
    assert result.code == 2 and "needs a terminal" in result.err
