"""What one review buys on the interview day: the interview planner's value model (pure).

The planner prices each review in expected recall on the interview morning. To price
every card on every morning it needs FSRS-6's memory update without fsrs's cards and
datetimes, so the two answers a prediction needs are here in closed form, with the
formulas and clamps of py-fsrs 6.3.2 (`fsrs/scheduler.py`):

- a recall (Good): S' = S·(1 + e^w8·(11 − D)·S^−w9·(e^(w10·(1 − R)) − 1));
- a lapse (Again): S' = min(w11·D^−w12·((S + 1)^w13 − 1)·e^(w14·(1 − R)), S / e^(w17·w18)),
  then each relearning step passed the same day: S'' = S'·max(1, e^(w17·w18)·S'^−w19).

R at a review is taken over whole study days since the last one, as prepcli's scheduler
hands it to fsrs; tests/test_deadline.py checks these against fsrs itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from prepcli.core.forgetting import DEFAULT_PARAMETERS, ForgettingCurve

STABILITY_MIN = 0.001  # py-fsrs's floor
DIFFICULTY_MIN, DIFFICULTY_MAX = 1.0, 10.0


class Memory(NamedTuple):
    """A review card as the planner sees it."""

    key: str
    stability: float
    difficulty: float
    last_day: int  # study day of its last review
    days_to_interview: float  # from its last review to the interview instant


class MemoryModel:
    """FSRS-6's memory update for a pass (Good) and a lapse (Again, then relearning)."""

    def __init__(
        self, parameters: Sequence[float] = DEFAULT_PARAMETERS, relearning_steps: int = 1
    ) -> None:
        w = tuple(float(x) for x in parameters)
        if len(w) != len(DEFAULT_PARAMETERS):
            raise ValueError(f"expected {len(DEFAULT_PARAMETERS)} FSRS parameters, got {len(w)}")
        self.w = w
        self.relearning_steps = relearning_steps
        self.curve = ForgettingCurve(w[20])
        self._easy_difficulty = w[4] - math.exp(w[5] * 3) + 1  # D0(Easy), the mean reversion
        self._recall_gain = math.exp(w[8])
        self._short_term = math.exp(w[17] * w[18])

    def recall(self, stability: float, days: float) -> float:
        return self.curve.recall(stability, days)

    def passed(self, stability: float, difficulty: float, elapsed: int) -> tuple[float, float]:
        """Stability and difficulty after a Good answer `elapsed` study days after the last."""
        w = self.w
        if elapsed < 1:
            stability = self._same_day(stability, 0.0)
        else:
            r = self.recall(stability, elapsed)
            stability *= 1 + (
                self._recall_gain
                * (11 - difficulty)
                * stability ** -w[9]
                * (math.exp((1 - r) * w[10]) - 1)
            )
        return max(stability, STABILITY_MIN), self._difficulty(difficulty, 3)

    def lapsed(self, stability: float, difficulty: float, elapsed: int) -> tuple[float, float]:
        """Stability and difficulty after an Again, then every relearning step passed."""
        w = self.w
        if elapsed < 1:
            stability = self._same_day(stability, -2.0)
        else:
            r = self.recall(stability, elapsed)
            long_term = (
                w[11]
                * difficulty ** -w[12]
                * ((stability + 1) ** w[13] - 1)
                * math.exp((1 - r) * w[14])
            )
            stability = min(long_term, stability / self._short_term)
        stability = max(stability, STABILITY_MIN)
        difficulty = self._difficulty(difficulty, 1)
        for _ in range(self.relearning_steps):
            stability = max(self._same_day(stability, 0.0), STABILITY_MIN)
            difficulty = self._difficulty(difficulty, 3)
        return stability, difficulty

    def _same_day(self, stability: float, grade_offset: float) -> float:
        """FSRS-6's short-term update; `grade_offset` is rating − 3 (Good 0, Again −2)."""
        w = self.w
        increase: float = math.exp(w[17] * (grade_offset + w[18])) * stability ** -w[19]
        if grade_offset >= -1:  # Hard, Good, Easy never lower stability the same day
            increase = max(increase, 1.0)
        return stability * increase

    def _difficulty(self, difficulty: float, rating: int) -> float:
        w = self.w
        delta = -w[6] * (rating - 3)
        damped = difficulty + (10 - difficulty) * delta / 9
        reverted = w[7] * self._easy_difficulty + (1 - w[7]) * damped
        return min(max(reverted, DIFFICULTY_MIN), DIFFICULTY_MAX)

    # --- recall on the interview day ---------------------------------------------------

    def expected_recall(self, card: Memory, reviews: Sequence[int], interview_day: int) -> float:
        """Expected recall at the interview if the card is reviewed on each of `reviews`
        (ascending study days) and nowhere else; each review passes with the model's
        probability and its outcome branches (2^len(reviews) paths)."""
        return self._expected(
            card.stability,
            card.difficulty,
            card.last_day,
            card.days_to_interview,
            tuple(reviews),
            interview_day,
        )

    def _expected(
        self,
        stability: float,
        difficulty: float,
        last_day: int,
        days_left: float,
        reviews: tuple[int, ...],
        interview_day: int,
    ) -> float:
        if not reviews:
            return self.recall(stability, days_left)
        day, rest = reviews[0], reviews[1:]
        elapsed = day - last_day
        p = self.recall(stability, elapsed)
        left = float(interview_day - day)
        s_pass, d_pass = self.passed(stability, difficulty, elapsed)
        s_lapse, d_lapse = self.lapsed(stability, difficulty, elapsed)
        return p * self._expected(s_pass, d_pass, day, left, rest, interview_day) + (
            1 - p
        ) * self._expected(s_lapse, d_lapse, day, left, rest, interview_day)

    def pass_chance(self, card: Memory, day: int) -> float:
        """The chance a review of the card on `day` is answered correctly."""
        return self.curve.recall(card.stability, day - card.last_day)
