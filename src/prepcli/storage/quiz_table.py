"""Mock quizzes and their marked answers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

from prepcli.core.quiz import QuizAnswer, QuizMark, QuizRecord


class QuizRecords:
    def __init__(
        self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self.db = db
        self.transaction = transaction

    def start(self, started_ms: int, minutes: int, selection: str) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO quiz (started_ms, minutes, selection) VALUES (?, ?, ?)",
                (started_ms, minutes, selection),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def add_answer(self, quiz_id: int, answer: QuizAnswer) -> None:
        """Record one marked answer in its own transaction (quitting keeps it)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO quiz_answer (quiz_id, card_key, mark, answered_ms, duration_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    quiz_id,
                    answer.card_key,
                    int(answer.mark),
                    answer.answered_ms,
                    answer.duration_ms,
                ),
            )

    def finish(self, quiz_id: int, finished_ms: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE quiz SET finished_ms = ? WHERE id = ?", (finished_ms, quiz_id))

    def all(self) -> list[QuizRecord]:
        """Every mock quiz with its answers, oldest first."""
        answers: dict[int, list[QuizAnswer]] = {}
        for quiz_id, key, mark, answered_ms, duration_ms in self.db.execute(
            "SELECT quiz_id, card_key, mark, answered_ms, duration_ms FROM quiz_answer "
            "ORDER BY quiz_id, id"
        ):
            answers.setdefault(quiz_id, []).append(
                QuizAnswer(key, QuizMark(mark), answered_ms, duration_ms)
            )
        return [
            QuizRecord(qid, started, finished, minutes, selection, tuple(answers.get(qid, ())))
            for qid, started, finished, minutes, selection in self.db.execute(
                "SELECT id, started_ms, finished_ms, minutes, selection FROM quiz ORDER BY id"
            )
        ]
