"""The mock quiz: weakness, the seeded weighted draw, scoring, the session's clock and
recording (with a scripted keyboard and clock), and `quiz history`."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prepcli.app.quiz import QuizRecorder, draw_quiz
from prepcli.app.study import Locations, Study
from prepcli.core import quiz
from prepcli.core.cards import CardDef, Kind
from prepcli.core.models import CardState, Phase, Rating
from prepcli.core.quiz import QuizMark
from prepcli.ui.keys import CTRL_D
from prepcli.ui.quiz_session import QuizSession
from tests.conftest import SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
START_MS = int(START.timestamp() * 1000)


def card(deck: str, cid: str) -> CardDef:
    return CardDef(deck, cid, Kind.CONCEPT, f"{cid}?", f"{cid}.", "x.yaml", 1)


def test_weakness_new_cards_recall_and_lapses() -> None:
    assert quiz.weakness(None, None) == 1.0
    assert quiz.weakness(CardState("d/a"), None) == 1.0  # new
    studied = CardState("d/a", phase=Phase.REVIEW, stability=10.0, lapses=0)
    assert quiz.weakness(studied, 0.9) == pytest.approx(0.1)
    assert quiz.weakness(studied, 0.99) == quiz.FLOOR
    lapsed = CardState("d/a", phase=Phase.REVIEW, stability=10.0, lapses=9)
    assert quiz.weakness(lapsed, 0.9) == pytest.approx(0.1 + 4 * quiz.LAPSE_WEIGHT)


def test_the_draw_is_seeded_distinct_and_leans_to_weak_topics() -> None:
    weak = [quiz.Question(card("weak", f"w{i}"), "weak", 1.0) for i in range(5)]
    strong = [quiz.Question(card("strong", f"s{i}"), "strong", 0.05) for i in range(50)]
    candidates = weak + strong
    first = quiz.draw(candidates, 8, random.Random(4))
    assert [q.card.key for q in first] == [
        q.card.key for q in quiz.draw(candidates, 8, random.Random(4))
    ]
    assert len({q.card.key for q in first}) == 8
    # The weak topic has a tenth of the cards but most of the weight.
    firsts = [quiz.draw(candidates, 1, random.Random(seed))[0].topic for seed in range(300)]
    assert firsts.count("weak") > 250
    # Asking for more than there is gives everything once.
    assert len(quiz.draw(candidates, 100, random.Random(1))) == 55


def test_scores_and_topics_to_work_on() -> None:
    marks = [("a", QuizMark.RIGHT), ("a", QuizMark.PARTLY), ("b", QuizMark.WRONG),
             ("b", QuizMark.RIGHT), ("c", QuizMark.RIGHT)]  # fmt: skip
    rows_, total = quiz.scores(marks)
    assert [(s.topic, s.asked, s.right, s.partly, s.wrong, s.score) for s in rows_] == [
        ("b", 2, 1, 0, 1, 0.5), ("a", 2, 1, 1, 0, 0.75), ("c", 1, 1, 0, 0, 1.0),
    ]  # fmt: skip
    assert (total.asked, total.score) == (5, 0.7)
    assert [s.topic for s in quiz.to_work_on(rows_)] == ["b"]
    assert quiz.default_count(45) == 22 and quiz.default_count(1) == 1


def test_topics_are_decks_or_the_chosen_tags() -> None:
    tagged = CardDef("d.x", "a", Kind.CONCEPT, "f", "b", "p", 1, tags=("kv",))
    assert quiz.topic_of(tagged, (), {}) == "d.x"
    assert quiz.topic_of(tagged, ("attention", "kv"), {}) == "kv"
    assert quiz.topic_of(tagged, ("quant",), {"d.x": ("quant",)}) == "quant"


# --- the session, with a scripted keyboard and clock ----------------------------------------


class Script:
    """Keys after delays (seconds); waiting with a timeout moves the clock on."""

    def __init__(self, *steps: tuple[float, str]) -> None:
        self.time = 5000.0
        self.steps = list(steps)

    def monotonic(self) -> float:
        return self.time

    def read(self, timeout: float | None = None) -> str | None:
        if not self.steps:
            return CTRL_D
        delay, key = self.steps[0]
        if timeout is not None and delay > timeout:
            self.time += timeout
            self.steps[0] = (delay - timeout, key)
            return None
        self.time += delay
        self.steps.pop(0)
        return key


@pytest.fixture
def study(db_path: Path, tmp_path: Path) -> Iterator[Study]:
    where = Locations(db=db_path, deck_roots=(SAMPLE_DECKS,), cache_dir=tmp_path / "cache")
    opened = Study.open(where, START)
    yield opened
    opened.close()


def session(
    study: Study, script: Script, *, minutes: int = 1, count_as_review: bool = False
) -> QuizSession:
    questions = draw_quiz(study, ("sample.basics",), (), 3, random.Random(1))
    recorder = QuizRecorder(study, START_MS, minutes, {"seed": 1}, count_as_review=count_as_review)
    return QuizSession(
        questions, recorder, minutes=minutes, start=START, monotonic=script.monotonic
    )


def test_time_up_on_an_unrevealed_question_ends_the_quiz(study: Study, db_path: Path) -> None:
    script = Script((10, " "), (5, "r"), (300, " "))
    quiz_session = session(study, script)
    result = quiz_session.run(script)
    assert result.ended == "time" and len(result.answers) == 1
    first = quiz_session.questions[0].card.key
    assert rows(db_path, "SELECT card_key, mark, answered_ms - ?, duration_ms FROM quiz_answer",
                START_MS) == [(first, 2, 15000, 15000)]  # fmt: skip
    ((started, finished, minutes),) = rows(
        db_path, "SELECT started_ms, finished_ms, minutes FROM quiz"
    )
    assert (started, minutes) == (START_MS, 1)
    assert 60_000 <= finished - started < 61_000
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(0,)]  # the schedule is untouched


def test_a_revealed_question_can_still_be_marked_after_time_is_up(
    study: Study, db_path: Path
) -> None:
    script = Script((10, " "), (70, "p"))
    result = session(study, script).run(script)
    assert result.ended == "time"
    assert [mark for _q, mark in result.answers] == [QuizMark.PARTLY]
    assert rows(db_path, "SELECT mark, duration_ms FROM quiz_answer") == [(1, 80000)]


def test_quitting_keeps_marked_answers_only(study: Study, db_path: Path) -> None:
    script = Script((1, "\r"), (1, "w"), (1, " "), (1, "q"))
    result = session(study, script, minutes=45).run(script)
    assert result.ended == "quit" and len(result.answers) == 1
    assert rows(db_path, "SELECT mark FROM quiz_answer") == [(0,)]


def test_nothing_marked_leaves_no_quiz_behind(study: Study, db_path: Path) -> None:
    script = Script((1, "q"))
    assert session(study, script, minutes=45).run(script).ended == "quit"
    assert rows(db_path, "SELECT COUNT(*) FROM quiz") == [(0,)]


def test_count_as_review_maps_marks_to_ratings(study: Study, db_path: Path) -> None:
    script = Script((1, " "), (1, "1"), (1, " "), (1, "2"), (1, " "), (1, "3"))
    quiz_session = session(study, script, minutes=45, count_as_review=True)
    result = quiz_session.run(script)
    assert result.ended == "finished"
    keys = [q.card.key for q in quiz_session.questions]
    assert rows(db_path, "SELECT card_key, mark FROM quiz_answer ORDER BY id") == list(
        zip(keys, [2, 1, 0], strict=True)
    )
    assert rows(
        db_path,
        "SELECT card.key, rating FROM review JOIN card ON card.id = card_id ORDER BY review.id",
    ) == list(zip(keys, [3, 2, 1], strict=True))


def test_weak_cards_come_first_in_the_draw(study: Study) -> None:
    for key in ("sample.basics/attention-scaling", "sample.basics/kv-cache"):
        study.answering.answer(key, Rating.EASY)
    # Two well-known cards and one never studied: the new one leads for most seeds.
    leads = [draw_quiz(study, ("sample.basics",), (), 1, random.Random(s))[0].card.id
             for s in range(100)]  # fmt: skip
    assert leads.count("conflict-story") > 80


# --- the command line -----------------------------------------------------------------------


def test_quiz_history_and_refusal_without_a_terminal(
    run: Run, sample_decks: Path, study: Study
) -> None:
    assert run("quiz", "history").out.startswith("No quizzes yet")
    script = Script((1, " "), (1, "r"), (1, " "), (1, "w"), (1, "q"))
    session(study, script, minutes=45).run(script)
    history = json.loads(run("quiz", "history", "--json").out)["quizzes"]
    assert len(history) == 1
    entry = history[0]
    assert (entry["answered"], entry["right"], entry["wrong"], entry["score"]) == (2, 1, 1, 0.5)
    assert entry["started"] == "2026-11-23T09:00+01:00" and entry["minutes"] == 45
    assert entry["selection"] == {"seed": 1} and entry["work_on"] == ["sample.basics"]
    text = run("quiz", "history").out
    assert "sample.basics" in text and "50%" in text and "0:05 of 45:00" in text
    refused = run("quiz", "--deck", "sample.basics")
    assert refused.code == 2 and "needs a terminal" in refused.err
