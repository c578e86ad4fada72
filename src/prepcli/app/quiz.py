"""The mock quiz's application layer: which cards a quiz draws from, the draw itself,
the history of past quizzes, and the recorder that saves a quiz's answers.

Glue between Study (store, decks, clock) and the pure core/quiz.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any, NamedTuple

from prepcli.app.study import Study
from prepcli.core import quiz as quiz_mod
from prepcli.core.cards import CardDef
from prepcli.core.clock import from_ms, to_ms
from prepcli.core.errors import UsageError
from prepcli.core.models import CardState
from prepcli.core.quiz import QuizAnswer, QuizMark
from prepcli.storage.sqlitefile import run_guarded


def quiz_selection(
    study: Study, decks: tuple[str, ...], tags: tuple[str, ...], states: dict[str, CardState]
) -> list[CardDef]:
    """The cards a quiz draws from: the named decks/tags (else the default quiz decks),
    without suspended cards."""
    if not decks and not tags:
        known = {d.id for d in study.decks.decks}
        decks = tuple(
            prefix
            for prefix in quiz_mod.DEFAULT_DECKS
            if any(d == prefix or d.startswith(prefix + ".") for d in known)
        )
        if not decks:
            raise UsageError(
                "none of the default quiz decks (llm-quiz.*, research.*) is loaded; "
                "choose cards with --deck or --tag"
            )
    cards = study.selection(decks, tags)
    open_cards = [c for c in cards if not (states.get(c.key) and states[c.key].suspended)]
    if not open_cards:
        raise UsageError("no cards to quiz on in that selection (all suspended or none match)")
    return open_cards


def recall_now(study: Study, states: Mapping[str, CardState], keys: set[str]) -> dict[str, float]:
    """Predicted recall now of every studied card among `keys`."""
    recall = {}
    now_ms = to_ms(study.now)
    for key in keys:
        state = states.get(key)
        if state is None or state.stability is None or state.last_review_ms is None:
            continue  # never reviewed: no memory to predict
        recall[key] = study.curve.recall_at_ms(state.stability, state.last_review_ms, now_ms)
    return recall


def draw_quiz(
    study: Study,
    decks: tuple[str, ...],
    tags: tuple[str, ...],
    count: int,
    rng: random.Random,
) -> list[quiz_mod.Question]:
    states = study.store.states()
    cards = quiz_selection(study, decks, tags, states)
    recall = recall_now(study, states, {c.key for c in cards})
    deck_tags = {d.id: d.tags for d in study.decks.decks}
    candidates = [
        quiz_mod.Question(
            card=card,
            topic=quiz_mod.topic_of(card, tags, deck_tags),
            weakness=quiz_mod.weakness(states.get(card.key), recall.get(card.key)),
        )
        for card in cards
    ]
    return quiz_mod.draw(candidates, count, rng)


class QuizSummary(NamedTuple):
    id: int
    started: str  # ISO, local time
    minutes: int
    took_seconds: float | None
    finished: bool
    answered: int
    right: int
    partly: int
    wrong: int
    score: float
    selection: dict[str, Any]
    topics: list[quiz_mod.TopicScore]
    work_on: list[str]


def quiz_history(study: Study) -> list[QuizSummary]:
    """Past quizzes, oldest first; topics are the answered cards' decks."""
    summaries = []
    for quiz in study.store.quizzes.all():
        rows, total = quiz_mod.scores(
            (answer.card_key.split("/", 1)[0], answer.mark) for answer in quiz.answers
        )
        last = max((a.answered_ms for a in quiz.answers), default=None)
        end = quiz.finished_ms if quiz.finished_ms is not None else last
        try:
            selection = json.loads(quiz.selection)
        except ValueError:
            selection = {}
        summaries.append(
            QuizSummary(
                id=quiz.id,
                started=from_ms(quiz.started_ms)
                .astimezone(study.calendar.tz)
                .isoformat(timespec="minutes"),
                minutes=quiz.minutes,
                took_seconds=None if end is None else round((end - quiz.started_ms) / 1000, 1),
                finished=quiz.finished_ms is not None,
                answered=total.asked,
                right=total.right,
                partly=total.partly,
                wrong=total.wrong,
                score=total.score,
                selection=selection if isinstance(selection, dict) else {},
                topics=rows,
                work_on=[s.topic for s in quiz_mod.to_work_on(rows)],
            )
        )
    return summaries


class QuizRecorder:
    """Writes a quiz as it goes: the quiz row at the first answer, then every answer in
    its own transaction (so quitting or a crash keeps what was answered), and, with
    `count_as_review`, each mark as an FSRS answer through Study.answer."""

    def __init__(
        self,
        study: Study,
        started_ms: int,
        minutes: int,
        selection: dict[str, Any],
        *,
        count_as_review: bool = False,
    ) -> None:
        self.study = study
        self.started_ms = started_ms
        self.minutes = minutes
        self.selection = selection
        self.count_as_review = count_as_review
        self.quiz_id: int | None = None

    def record(self, card_key: str, mark: QuizMark, answered_ms: int, duration_ms: int) -> None:
        store = self.study.store
        if self.quiz_id is None:
            selection = json.dumps(self.selection, sort_keys=True)
            self.quiz_id = run_guarded(
                lambda: store.quizzes.start(self.started_ms, self.minutes, selection), store.path
            )
        quiz_id = self.quiz_id
        answer = QuizAnswer(card_key, mark, answered_ms, duration_ms)
        run_guarded(lambda: store.quizzes.add_answer(quiz_id, answer), store.path)
        if self.count_as_review:
            self.study.answering.answer(
                card_key, quiz_mod.MARK_RATINGS[mark], from_ms(answered_ms), duration_ms
            )

    def finish(self, finished_ms: int) -> None:
        if self.quiz_id is not None:
            quiz_id = self.quiz_id
            store = self.study.store
            run_guarded(lambda: store.quizzes.finish(quiz_id, finished_ms), store.path)
