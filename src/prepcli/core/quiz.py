"""The mock quiz, pure parts: how weak a card is, drawing questions, scoring topics.

The draw is weighted towards weak topics, then weak cards inside a topic: a topic's
weight is the mean weakness of its cards, so a small weak deck is asked about as often
as a large weak one. Randomness is the `random.Random` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from enum import IntEnum
from typing import NamedTuple

from prepcli.core.cards import CardDef
from prepcli.core.models import CardState, Phase, Rating


class QuizMark(IntEnum):
    """How a mock-quiz answer was marked; the stored codes."""

    WRONG = 0
    PARTLY = 1
    RIGHT = 2


class QuizAnswer(NamedTuple):
    card_key: str
    mark: QuizMark
    answered_ms: int
    duration_ms: int | None = None


class QuizRecord(NamedTuple):
    """A mock quiz as stored: `selection` is the JSON of how its questions were drawn."""

    id: int
    started_ms: int
    finished_ms: int | None
    minutes: int
    selection: str
    answers: tuple[QuizAnswer, ...] = ()


#: The quiz decks when none are named: the LLM knowledge quiz and the research round.
DEFAULT_DECKS = ("llm-quiz", "research")
SECONDS_PER_QUESTION = 120
#: A topic scoring below this is one to work on.
WEAK_SCORE = 0.7
#: Least weight any card keeps, so well-known cards still come up now and then.
FLOOR = 0.05
LAPSE_WEIGHT = 0.15
MAX_LAPSES_COUNTED = 4

MARK_NAMES = {QuizMark.RIGHT: "right", QuizMark.PARTLY: "partly", QuizMark.WRONG: "wrong"}
MARK_POINTS = {QuizMark.RIGHT: 1.0, QuizMark.PARTLY: 0.5, QuizMark.WRONG: 0.0}
#: With --count-as-review a mark becomes this FSRS rating.
MARK_RATINGS = {
    QuizMark.RIGHT: Rating.GOOD,
    QuizMark.PARTLY: Rating.HARD,
    QuizMark.WRONG: Rating.AGAIN,
}


class Question(NamedTuple):
    card: CardDef
    topic: str
    weakness: float


class TopicScore(NamedTuple):
    topic: str
    asked: int
    right: int
    partly: int
    wrong: int
    score: float  # right = 1, partly = ½, wrong = 0, averaged


def weakness(state: CardState | None, recall: float | None) -> float:
    """1 − predicted recall now, plus a share per lapse; never-studied cards count as 1."""
    never_studied = state is None or state.phase == Phase.NEW or recall is None
    forgotten = 1.0 if never_studied or recall is None else 1.0 - recall
    lapses = 0 if state is None else min(state.lapses, MAX_LAPSES_COUNTED)
    return round(max(FLOOR, forgotten) + LAPSE_WEIGHT * lapses, 6)


def topic_of(card: CardDef, tags: Sequence[str], deck_tags: Mapping[str, tuple[str, ...]]) -> str:
    """The card's deck, or, when quizzing by tags, the first chosen tag it carries."""
    if tags:
        carried = set(card.tags) | set(deck_tags.get(card.deck, ()))
        for tag in tags:
            if tag in carried:
                return tag
    return card.deck


def default_count(minutes: int) -> int:
    return max(1, round(minutes * 60 / SECONDS_PER_QUESTION))


def draw(candidates: Sequence[Question], count: int, rng: random.Random) -> list[Question]:
    """Up to `count` distinct questions: a topic by its mean weakness, then a card in it
    by its own weakness, repeated. The order of `candidates` fixes the draw for a seed."""
    by_topic: dict[str, list[Question]] = {}
    for question in candidates:
        by_topic.setdefault(question.topic, []).append(question)
    topic_weight = {
        topic: sum(q.weakness for q in items) / len(items) for topic, items in by_topic.items()
    }
    chosen: list[Question] = []
    while len(chosen) < count and by_topic:
        topics = sorted(by_topic)
        topic = rng.choices(topics, weights=[topic_weight[t] for t in topics])[0]
        pool = by_topic[topic]
        index = rng.choices(range(len(pool)), weights=[q.weakness for q in pool])[0]
        chosen.append(pool.pop(index))
        if not pool:
            del by_topic[topic]
    return chosen


def scores(answers: Iterable[tuple[str, QuizMark]]) -> tuple[list[TopicScore], TopicScore]:
    """Per topic (weakest first) and overall, from (topic, mark) pairs."""
    tallies: dict[str, list[int]] = {}
    for topic, mark in answers:
        tally = tallies.setdefault(topic, [0, 0, 0])
        tally[2 - int(mark)] += 1  # right, partly, wrong
    rows = [_score(topic, *tally) for topic, tally in tallies.items()]
    rows.sort(key=lambda s: (s.score, -s.asked, s.topic))
    total = _score("all", *(sum(t[i] for t in tallies.values()) for i in range(3)))
    return rows, total


def _score(topic: str, right: int, partly: int, wrong: int) -> TopicScore:
    asked = right + partly + wrong
    score = round((right + 0.5 * partly) / asked, 4) if asked else 0.0
    return TopicScore(topic, asked, right, partly, wrong, score)


def to_work_on(rows: Iterable[TopicScore], limit: int = 3) -> list[TopicScore]:
    """The weakest topics that scored under WEAK_SCORE, weakest first."""
    weak = [s for s in rows if s.score < WEAK_SCORE]
    return sorted(weak, key=lambda s: (s.score, -s.asked, s.topic))[:limit]
