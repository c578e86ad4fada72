"""The FSRS forgetting curve on its own: predicted recall from stability and elapsed days.

scheduler.py owns fsrs and uses this curve; commands that only count and forecast
(`prepcli` today) use it without importing fsrs and its dependencies.
"""

from __future__ import annotations

#: w[20] of fsrs's DEFAULT_PARAMETERS (the curve's decay); tests check it still matches.
DEFAULT_W20 = 0.1542
DAY_MS = 86_400_000


class ForgettingCurve:
    """R(t) = (1 + factor · t / S) ^ -w20, with factor set so that R(S) = 90%."""

    def __init__(self, w20: float = DEFAULT_W20) -> None:
        self.decay = -w20
        self.factor = 0.9 ** (1 / self.decay) - 1

    def recall(self, stability: float, elapsed_days: float) -> float:
        return float((1 + self.factor * max(elapsed_days, 0.0) / stability) ** self.decay)

    def recall_at_ms(self, stability: float, last_review_ms: int, instant_ms: int) -> float:
        return self.recall(stability, (instant_ms - last_review_ms) / DAY_MS)

    def days_until(self, target: float) -> float:
        """Elapsed days, per unit of stability, after which recall falls below `target`."""
        return float((target ** (1 / self.decay) - 1) / self.factor)
