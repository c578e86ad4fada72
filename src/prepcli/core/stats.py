"""Pure aggregations for `prepcli stats`, with Anki's definitions (research/fsrs.md §4).

Inputs are plain data: the review log and the card table already reduced in SQL
(`LogFacts`, `CardTallies`, predicted recall now included) and how many cards each
selected deck has. Nothing here reads the clock, the database or the terminal.

Definitions:
- *True retention* counts answered reviews whose previous interval was at least a day
  (review cards, or interday (re)learning steps); a pass is any rating above Again; a
  review is *mature* when that previous interval was 21 days or more, *young* otherwise.
  Periods end with today: today, the last 7 and 30 study days, all time.
- *Streaks*: a streak is a run of study days each of which had answers, had nothing
  due, or was a rest day (a declared day off, a break, an interview day); its length is
  the number of days with answers in it (a day with nothing due or a rest day bridges a
  run but does not lengthen it, so being idle never grows a streak). "Due" is
  derived from the review log: each answer's before-state says since which day the card
  had been due (an approximation: suspensions and burials are not logged, so a card
  suspended or buried while overdue still counts as due on those days); cards still
  waiting now count from their due day to today, unless suspended or no longer in a deck.
- *Calibration* compares the recall FSRS predicted just before each interday review
  (review.r_predicted) with what happened, in bins of predicted recall.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import NamedTuple


class LogFacts(NamedTuple):
    """The review log reduced in SQL to what the statistics need (storage/logfacts.py).

    days: (study day, answers, milliseconds answering) for every day with answers.
    overdue_spans: [from, to) study days a card sat due before its next answer came.
    retention: (study day, mature, passed, reviews) for Anki's true-retention reviews.
    calibration: (bin, reviews, sum of predicted recall, passed) for interday reviews.
    answer_seconds: (whole seconds taken, answers), seconds capped at one hour.
    """

    days: tuple[tuple[int, int, int], ...] = ()
    overdue_spans: tuple[tuple[int, int], ...] = ()
    retention: tuple[tuple[int, bool, bool, int], ...] = ()
    calibration: tuple[tuple[int, int, float, int], ...] = ()
    answer_seconds: tuple[tuple[int, int], ...] = ()


class DeckTally(NamedTuple):
    """One deck's cards that have a row, counted in SQL (cards without one are new)."""

    suspended: int
    learning: int  # learning and relearning, not suspended
    review: int  # not suspended
    leeches: int
    recall_sum: float  # predicted recall now, summed over the cards with a memory
    recalled: int  # the cards with a memory (a stability and a last review)


class LeechRow(NamedTuple):
    key: str
    lapses: int
    suspended: bool
    recall: float | None  # predicted recall now


class CardTallies(NamedTuple):
    """The card table reduced in SQL to what the statistics need (storage/cardfacts.py),
    over the selected decks' cards that have a row and are still in the decks.

    decks: deck → its DeckTally.
    due: (due day, buried until day, cards) of the studied cards not suspended, up to the
        forecast's last day (a card due later counts in neither the forecast nor the
        cards waiting now).
    leeches: the leeches among them.
    """

    decks: Mapping[str, DeckTally]
    due: tuple[tuple[int, int | None, int], ...]
    leeches: tuple[LeechRow, ...]


MATURE_DAYS = 21
CALIBRATION_BINS = 10
HEATMAP_WEEKS = 16
FORECAST_DAYS = 30
TIME_DAYS = 30
#: Upper edges (seconds) of the answer-time bins; the last bin is open-ended.
ANSWER_TIME_EDGES = (5, 10, 20, 30, 60, 120, 300)
RETENTION_PERIODS = (("today", 1), ("7 days", 7), ("30 days", 30), ("all time", None))


def iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


class DayCount(NamedTuple):
    date: str
    reviews: int
    minutes: float


class Streaks(NamedTuple):
    current: int
    longest: int
    days_studied: int
    today: str  # "done" (answers today), "free" (nothing due), "rest" (a rest day), "pending"


class Retention(NamedTuple):
    passed: int
    reviews: int
    rate: float | None


class RetentionPeriod(NamedTuple):
    period: str
    young: Retention
    mature: Retention
    all: Retention


class ForecastDay(NamedTuple):
    date: str
    due: int


class Forecast(NamedTuple):
    days: tuple[ForecastDay, ...]  # today first; today's count includes the overdue cards
    overdue: int
    next_14: int
    next_30: int


class DeckCounts(NamedTuple):
    deck: str
    cards: int
    new: int
    learning: int  # learning and relearning
    review: int
    suspended: int  # counted here only, not also as new/learning/review
    leeches: int  # also counted in their state's column
    average_retrievability: float | None  # over studied cards, now


class TimeSpent(NamedTuple):
    per_day: tuple[DayCount, ...]  # the last TIME_DAYS study days, today last
    total_minutes: float
    minutes_today: float
    average_minutes_per_study_day: float | None


class TimeBin(NamedTuple):
    label: str
    from_seconds: int
    to_seconds: int | None
    answers: int


class AnswerTimes(NamedTuple):
    bins: tuple[TimeBin, ...]
    answers: int
    median_seconds: int | None


class CalibrationBin(NamedTuple):
    low: float
    high: float
    reviews: int
    predicted: float | None
    actual: float | None


class Calibration(NamedTuple):
    bins: tuple[CalibrationBin, ...]
    reviews: int
    predicted: float | None
    actual: float | None
    rmse_bins: float | None  # count-weighted root mean square gap between the two


class Leech(NamedTuple):
    card: str
    lapses: int
    suspended: bool
    retrievability: float | None


class StatsReport(NamedTuple):
    study_date: str
    selection: tuple[str, ...]
    reviews_total: int
    streaks: Streaks
    heatmap: tuple[DayCount, ...]
    retention: tuple[RetentionPeriod, ...]
    forecast: Forecast
    decks: tuple[DeckCounts, ...]
    total: DeckCounts
    time: TimeSpent
    answer_times: AnswerTimes
    calibration: Calibration
    leeches: tuple[Leech, ...]


# --- the pieces ---------------------------------------------------------------------------


def streaks(
    answer_days: Iterable[int],
    overdue_spans: Iterable[tuple[int, int]],
    waiting_since: Iterable[int],
    today: int,
    rest_days: Collection[int] = (),
) -> Streaks:
    """Current and longest streaks, counted in days with answers.

    `overdue_spans` are [from, to) days cards sat due before their next answer;
    `waiting_since` holds the due day of each card still due now. A day without answers
    breaks a streak only if something was due on it and it was not one of `rest_days`;
    today, while something is due and nothing answered yet, does not break it (the day
    is not over).
    """
    studied = set(answer_days)
    if not studied or min(studied) > today:
        return Streaks(0, 0, len(studied), "free")
    first = min(studied)
    size = today - first + 1
    change = [0] * (size + 1)  # difference array of "cards due" over [first, today]
    for start, end in overdue_spans:
        start, end = max(start, first), min(end, today + 1)
        if start < end:
            change[start - first] += 1
            change[end - first] -= 1
    for start in waiting_since:
        start = max(start, first)
        if start <= today:
            change[start - first] += 1
    due = run = longest = 0
    today_status = "free"
    for offset in range(size):
        day = first + offset
        due += change[offset]
        if day in studied:
            run += 1
            longest = max(longest, run)
            if day == today:
                today_status = "done"
        elif due == 0 or day in rest_days:
            if day == today and day in rest_days:
                today_status = "rest"
            continue  # nothing was due, or a day off: the run goes on
        elif day == today:
            today_status = "pending"  # the day is not over: the run so far still stands
        else:
            run = 0
    return Streaks(current=run, longest=longest, days_studied=len(studied), today=today_status)


def heatmap(
    days: Iterable[tuple[int, int, int]], today: int, weeks: int = HEATMAP_WEEKS
) -> tuple[DayCount, ...]:
    """Every day from the Monday `weeks - 1` weeks before this week's Monday to today."""
    start = today - date.fromordinal(today).weekday() - 7 * (weeks - 1)
    return _day_range(days, start, today)


def _day_range(days: Iterable[tuple[int, int, int]], start: int, end: int) -> tuple[DayCount, ...]:
    by_day = {day: (answers, ms) for day, answers, ms in days if start <= day <= end}
    counts = []
    for day in range(start, end + 1):
        answers, ms = by_day.get(day, (0, 0))
        counts.append(DayCount(iso(day), answers, round(ms / 60_000, 2)))
    return tuple(counts)


def _rate(passed: int, reviews: int) -> Retention:
    return Retention(passed, reviews, round(passed / reviews, 4) if reviews else None)


def retention(
    rows: Iterable[tuple[int, bool, bool, int]], today: int
) -> tuple[RetentionPeriod, ...]:
    """True retention per period, young and mature (rows: day, mature, passed, reviews)."""
    tallies = {name: [[0, 0], [0, 0]] for name, _ in RETENTION_PERIODS}  # [young, mature]
    for day, mature, passed, count in rows:
        for name, length in RETENTION_PERIODS:
            if length is None or today - length < day <= today:
                tally = tallies[name][int(mature)]
                tally[0] += count if passed else 0
                tally[1] += count
    periods = []
    for name, _ in RETENTION_PERIODS:
        (young_pass, young_n), (mature_pass, mature_n) = tallies[name]
        periods.append(
            RetentionPeriod(
                period=name,
                young=_rate(young_pass, young_n),
                mature=_rate(mature_pass, mature_n),
                all=_rate(young_pass + mature_pass, young_n + mature_n),
            )
        )
    return tuple(periods)


def forecast(
    due: Iterable[tuple[int, int | None, int]], today: int, days: int = FORECAST_DAYS
) -> Forecast:
    """Cards coming due on each of the next `days` days (today includes the overdue), from
    (due day, buried until day, cards) of the studied cards not suspended."""
    counts = [0] * days
    overdue = 0
    for due_day, buried_until, cards in due:
        shown = due_day if buried_until is None else max(due_day, buried_until)
        if shown < today:
            overdue += cards
        offset = max(shown - today, 0)
        if offset < days:
            counts[offset] += cards
    return Forecast(
        days=tuple(ForecastDay(iso(today + i), n) for i, n in enumerate(counts)),
        overdue=overdue,
        next_14=sum(counts[:14]),
        next_30=sum(counts[:30]),
    )


NO_ROWS = DeckTally(0, 0, 0, 0, 0.0, 0)


def cards_per_deck(keys: Iterable[str]) -> dict[str, int]:
    """How many of the card keys (`deck/card`) each deck has, in the order decks come."""
    return dict(Counter(key.partition("/")[0] for key in keys))


def deck_counts(
    cards: Mapping[str, int], tallies: Mapping[str, DeckTally]
) -> tuple[tuple[DeckCounts, ...], DeckCounts]:
    """Per deck (in `cards`' order) and in total: cards by state, leeches, average recall
    now. `cards` holds each deck's number of cards; `tallies` count those that have a row
    (the others are new)."""
    rows = tuple(_deck_row(deck, n, tallies.get(deck, NO_ROWS)) for deck, n in cards.items())
    counted = [tallies.get(deck, NO_ROWS) for deck in cards]
    total = DeckTally(*(sum(column) for column in zip(NO_ROWS, *counted, strict=True)))
    return rows, _deck_row("all", sum(cards.values()), total)


def _deck_row(deck: str, cards: int, tally: DeckTally) -> DeckCounts:
    average = round(tally.recall_sum / tally.recalled, 4) if tally.recalled else None
    return DeckCounts(
        deck,
        cards,
        new=cards - tally.suspended - tally.learning - tally.review,
        learning=tally.learning,
        review=tally.review,
        suspended=tally.suspended,
        leeches=tally.leeches,
        average_retrievability=average,
    )


def time_spent(
    days: Sequence[tuple[int, int, int]], today: int, span: int = TIME_DAYS
) -> TimeSpent:
    total_ms = sum(ms for _day, _n, ms in days)
    today_ms = sum(ms for day, _n, ms in days if day == today)
    return TimeSpent(
        per_day=_day_range(days, today - span + 1, today),
        total_minutes=round(total_ms / 60_000, 2),
        minutes_today=round(today_ms / 60_000, 2),
        average_minutes_per_study_day=round(total_ms / 60_000 / len(days), 2) if days else None,
    )


def _seconds_label(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds >= 60 and seconds % 60 == 0 else f"{seconds}s"


def answer_times(
    seconds: Iterable[tuple[int, int]], edges: Sequence[int] = ANSWER_TIME_EDGES
) -> AnswerTimes:
    """Answers binned by time taken (rows: whole seconds, answers) and the median second."""
    counts = [0] * (len(edges) + 1)
    ordered = sorted(seconds)
    for second, n in ordered:
        index = next((i for i, edge in enumerate(edges) if second < edge), len(edges))
        counts[index] += n
    bins = []
    for i, n in enumerate(counts):
        low = 0 if i == 0 else edges[i - 1]
        high = edges[i] if i < len(edges) else None
        if high is None:
            label = f"≥{_seconds_label(low)}"
        elif low == 0:
            label = f"<{_seconds_label(high)}"
        else:
            label = f"{_seconds_label(low)}–{_seconds_label(high)}"
        bins.append(TimeBin(label, low, high, n))
    answers = sum(counts)
    median: int | None = None
    seen = 0
    for second, n in ordered:
        seen += n
        if seen * 2 >= answers:
            median = second
            break
    return AnswerTimes(tuple(bins), answers, median)


def calibration(
    rows: Iterable[tuple[int, int, float, int]], bins: int = CALIBRATION_BINS
) -> Calibration:
    """Predicted recall against the pass rate (rows: bin, reviews, sum predicted, passed)."""
    by_bin = {b: (n, total, passed) for b, n, total, passed in rows}
    out = []
    reviews = passed_all = 0
    predicted_all = squares = 0.0
    for b in range(bins):
        n, total, passed = by_bin.get(b, (0, 0.0, 0))
        predicted = total / n if n else None
        actual = passed / n if n else None
        if predicted is not None and actual is not None:
            squares += n * (predicted - actual) ** 2
        reviews += n
        passed_all += passed
        predicted_all += total
        out.append(
            CalibrationBin(
                round(b / bins, 4), round((b + 1) / bins, 4), n, _round(predicted), _round(actual)
            )
        )
    return Calibration(
        bins=tuple(out),
        reviews=reviews,
        predicted=_round(predicted_all / reviews) if reviews else None,
        actual=_round(passed_all / reviews) if reviews else None,
        rmse_bins=_round(math.sqrt(squares / reviews)) if reviews else None,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def leeches(rows: Iterable[LeechRow]) -> tuple[Leech, ...]:
    found = [Leech(r.key, r.lapses, r.suspended, _round(r.recall)) for r in rows]
    return tuple(sorted(found, key=lambda leech: (-leech.lapses, leech.card)))


# --- the whole report ---------------------------------------------------------------------


def build_report(
    *,
    today: int,
    cards: Mapping[str, int],
    counted: CardTallies,
    facts: LogFacts,
    selection: tuple[str, ...] = (),
    rest_days: Collection[int] = (),
) -> StatsReport:
    """Everything `prepcli stats` shows about the selected decks: `cards` holds each one's
    number of cards (in deck order), `counted` their cards with a row, `facts` their
    review log."""
    rows, total = deck_counts(cards, counted.decks)
    return StatsReport(
        study_date=iso(today),
        selection=selection,
        reviews_total=sum(n for _day, n, _ms in facts.days),
        streaks=streaks(
            (d for d, _n, _ms in facts.days),
            facts.overdue_spans,
            {day for day, _buried, _n in counted.due if day <= today},  # cards still waiting
            today,
            rest_days,
        ),
        heatmap=heatmap(facts.days, today),
        retention=retention(facts.retention, today),
        forecast=forecast(counted.due, today),
        decks=rows,
        total=total,
        time=time_spent(facts.days, today),
        answer_times=answer_times(facts.answer_seconds),
        calibration=calibration(facts.calibration),
        leeches=leeches(counted.leeches),
    )
