"""The rating a rubric suggests: the share of its points the answer made (pure).

Behavioral and design cards are answered aloud and judged against their points, as an
interviewer would. Ticking the points made gives a share; the suggestion follows FSRS's
meaning of the ratings (Again: not recalled, Hard: recalled with serious gaps, Good:
recalled, Easy: recalled in full without strain). The learner still chooses the rating.
"""

from __future__ import annotations

from prepcli.core.models import Rating

#: Below this share of the points, the answer was not there.
AGAIN_BELOW = 0.5
#: Below this share, it was there with serious gaps.
HARD_BELOW = 0.8


def suggested_rating(ticked: int, total: int, *, over_time: bool = False) -> Rating | None:
    """The suggestion for `ticked` of `total` points (None without points). Every point
    within the time limit is Easy; every point but over time is Good."""
    if total <= 0:
        return None
    share = ticked / total
    if share < AGAIN_BELOW:
        return Rating.AGAIN
    if share < HARD_BELOW:
        return Rating.HARD
    if share < 1 or over_time:
        return Rating.GOOD
    return Rating.EASY
