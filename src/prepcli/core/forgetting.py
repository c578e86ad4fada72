"""The FSRS forgetting curve on its own: predicted recall from stability and elapsed days.

scheduler.py owns fsrs and uses this curve; commands that only count and forecast
(`prepcli` today) use it without importing fsrs and its dependencies.
"""

from __future__ import annotations

#: FSRS-6's default parameters (fsrs's DEFAULT_PARAMETERS, the medians of the fits over
#: the srs-benchmark collections), for the commands and the planner that do without fsrs;
#: tests check they still match.
DEFAULT_PARAMETERS = (
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
    1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542,
)  # fmt: skip
DEFAULT_W20 = DEFAULT_PARAMETERS[20]  # the curve's decay
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
