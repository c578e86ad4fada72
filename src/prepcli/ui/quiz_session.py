"""The mock quiz in the terminal: a running clock; answer aloud, reveal, mark yourself.

Every mark is written when it is given (app/quiz.py's QuizRecorder), so q, Ctrl-C, Ctrl-D or a
closed terminal keeps every answer already marked. When the time is up, a question not
yet revealed ends the quiz; a revealed one can still be marked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from prepcli.app.quiz import QuizRecorder
from prepcli.core.clock import to_ms
from prepcli.core.quiz import Question, QuizMark
from prepcli.ui import card_view, quiz_view, render
from prepcli.ui.keys import CTRL_C, CTRL_D, ENTER

QUIT_KEYS = ("q", "Q", CTRL_C, CTRL_D)
MARK_KEYS = {
    "r": QuizMark.RIGHT,
    "1": QuizMark.RIGHT,
    "p": QuizMark.PARTLY,
    "2": QuizMark.PARTLY,
    "w": QuizMark.WRONG,
    "3": QuizMark.WRONG,
}


class Keys(Protocol):
    def read(self, timeout: float | None = None) -> str | None: ...


@dataclass
class QuizResult:
    answers: list[tuple[Question, QuizMark]] = field(default_factory=list)
    seconds: float = 0.0
    ended: str = "finished"  # "finished", "time" (the clock ran out) or "quit"


class _End(Exception):
    def __init__(self, why: str) -> None:
        self.why = why


class QuizSession:
    def __init__(
        self,
        questions: Sequence[Question],
        recorder: QuizRecorder,
        *,
        minutes: int,
        start: datetime,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.questions = questions
        self.recorder = recorder
        self.minutes = minutes
        self.start = start
        self.monotonic = monotonic
        self.console = render.console()
        self.result = QuizResult()
        self.origin = monotonic()
        self.deadline = self.origin + minutes * 60

    def now(self) -> datetime:
        """The pinned or real start, moved on by the time spent in the quiz."""
        return self.start + timedelta(seconds=self.monotonic() - self.origin)

    def run(self, keys: Keys) -> QuizResult:
        self.keys = keys
        try:
            for number, question in enumerate(self.questions, start=1):
                self._ask(number, question)
                if self.deadline - self.monotonic() <= 0 and number < len(self.questions):
                    raise _End("time")
        except _End as end:
            self.result.ended = end.why
        self.result.seconds = self.monotonic() - self.origin
        self.recorder.finish(to_ms(self.now()))
        return self.result

    def _ask(self, number: int, question: Question) -> None:
        shown_at = self.monotonic()
        front = quiz_view.quiz_question(question.card, number, len(self.questions), question.topic)
        self._show(front, quiz_view.quiz_front_keys())
        while True:
            pressed = self._wait(stop_when_time_is_up=True)
            if pressed is None:
                raise _End("time")
            if pressed in QUIT_KEYS:
                raise _End("quit")
            if pressed == " " or pressed in ENTER:
                break
        self._show(front, card_view.card_back(question.card), quiz_view.quiz_mark_keys())
        while True:
            pressed = self._wait(stop_when_time_is_up=False)
            if pressed in QUIT_KEYS:
                raise _End("quit")
            mark = MARK_KEYS.get((pressed or "").lower())
            if mark is not None:
                break
        duration_ms = int((self.monotonic() - shown_at) * 1000)
        self.recorder.record(question.card.key, mark, to_ms(self.now()), duration_ms)
        self.result.answers.append((question, mark))

    def _wait(self, *, stop_when_time_is_up: bool) -> str | None:
        """A key, redrawing the clock each second; None when the time runs out and
        `stop_when_time_is_up`."""
        while True:
            left = self.deadline - self.monotonic()
            render.write_raw("\r\x1b[2K" + quiz_view.quiz_clock(left))
            if left <= 0 and stop_when_time_is_up:
                render.write_raw("\r\n")
                return None
            if left <= 0:
                pressed = self.keys.read(None)
            else:
                # Wake just after the shown whole second changes.
                pressed = self.keys.read(timeout=(left - math.floor(left) or 1.0) + 0.01)
            if pressed is not None:
                render.write_raw("\r\x1b[2K")
                return pressed

    def _show(self, *parts: object) -> None:
        self.console.clear()
        for part in parts:
            self.console.print(part)
