"""The shape of each command's `--json` document, for scripts to rely on (version 1).

One TypedDict per document; tests/test_json_contract.py runs every command and checks its
output against the definition here: the same keys, values of these types. Nested records
named as `dict[str, Any]` or `list[Any]` are documented in README's "JSON output"; every
document also follows the general rules of cli/jsonout.py.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Versioned(TypedDict):
    version: int


class TodayDoc(Versioned):
    study_date: str
    due_reviews: int
    review_limit_left: int
    learning_due: int
    learning_later: int
    new_today: int
    new_unseen: int
    answers_today: int
    minutes_today: float
    streak: int
    decks: int
    cards: int
    suspended: int
    leeches: int
    due_tomorrow: int
    plan: dict[str, Any] | None
    interview: dict[str, Any] | None
    day: dict[str, Any] | None  # the interview day, a rest day, the days after the interview


class NextDoc(Versioned):
    card: str | None


class NextCardDoc(NextDoc):
    deck: str
    id: str
    kind: str
    tier: str
    phase: str
    front: str
    back: str
    explain: str | None
    points: list[Any]
    hints: list[Any]
    time_limit: int | None
    path: str
    line: int
    intervals: dict[str, Any]


class AnswerDoc(Versioned):
    card: str
    rating: str
    next_in_days: float
    label: str
    phase: str
    after: dict[str, Any]


class UndoDoc(Versioned):
    undone: dict[str, Any] | None


class CardShowDoc(Versioned):
    card: str
    state: dict[str, Any]
    retrievability: float | None
    history: list[Any]


class CardSuspendDoc(Versioned):
    card: str
    suspended: bool


class CardForgetDoc(Versioned):
    cards: list[str]
    phase: str
    backup: str | None  # the copy made before resetting more than one card


class PlanStartDoc(Versioned):
    plan_id: str
    title: str
    start_date: str
    end_date: str
    day: int
    week: int
    phase: str
    interview_date: str | None
    days_to_interview: int | None
    weeks: list[Any]
    tasks_this_week: list[Any]
    cards_left_so_far: int
    days_left_in_week: int
    catch_up_per_day: int
    new_cards_stopped: bool
    weeks_scaled: bool
    open_tasks_before: list[Any]
    runway: dict[str, Any] | None


class PlanStatusDoc(PlanStartDoc):
    readiness: dict[str, Any] | None


class PlanInterviewDoc(Versioned):
    interview_date: str | None
    days_to_interview: int | None


class PlanTaskDoc(Versioned):
    task: str
    done: bool
    changed: bool


class PlanShowDoc(Versioned):
    plan: str
    title: str
    running: bool
    weeks: list[Any]


class ConfigListDoc(Versioned):
    settings: dict[str, Any]


class ConfigOneDoc(Versioned):
    setting: str
    value: Any


class DeckListDoc(Versioned):
    decks: list[Any]


class DeckLintDoc(Versioned):
    files: int
    decks: int
    cards: int
    errors: int
    warnings: int
    problems: list[Any]


class DeckOrphansDoc(Versioned):
    orphans: list[Any]
    removed: dict[str, Any] | None
    backup: str | None  # the copy made before --forget


class DeckOverridesDoc(Versioned):
    folder: str | None  # None: without the bundled decks (--no-bundled), no copies used
    overrides: list[Any]  # {card, path, line, used}
    removed: list[Any]  # the card keys --remove took out


class QuizHistoryDoc(Versioned):
    quizzes: list[Any]


class StatsDoc(Versioned):
    study_date: str
    selection: list[Any]
    reviews_total: int
    streaks: dict[str, Any]
    heatmap: list[Any]
    retention: list[Any]
    forecast: dict[str, Any]
    decks: list[Any]
    total: dict[str, Any]
    time: dict[str, Any]
    answer_times: dict[str, Any]
    calibration: dict[str, Any]
    leeches: list[Any]


class CheckDoc(Versioned):
    integrity: list[Any]
    cards: int
    reviews: int
    mismatches: list[Any]
    orphans: list[Any]
    empty_orphans: list[Any]
    dangling_reviews: list[Any]
    fixed: bool
    backup: str | None
    out_of_range: list[Any]
    sync: dict[str, Any] | None
    ok: bool


class BackupDoc(Versioned):
    path: str
    bytes: int
    removed: list[Any]


class PostponeDoc(Versioned):
    first_day: str
    last_day: str
    days: int
    moved: int
    capacity: int
    catch_up_days: list[str]
    days_after: list[Any]  # {date, moved, due}
    cards: list[Any]  # {card, from, to}
    interview_date: str | None
    rest_days: list[str]  # every declared day off, this break's included
    saved: bool  # False with --dry-run


class DeckNewDoc(Versioned):
    path: str
    deck: str
    cards: int
    schema: str | None  # the editor schema beside the deck; null when it could not be written
    schema_written: bool  # written now (false: one was there already, or it failed)
    schema_problem: str | None


class DeckPreviewDoc(Versioned):
    cards: list[Any]  # {card, deck, id, kind, tier, front, back, explain, points, hints,
    #                    time_limit, path, line}: as `next --json` has them


class ExportDoc(Versioned):
    format: str  # anki, json or csv
    path: str
    bytes: int
    written: dict[str, int]  # anki: notes, decks, reviews, cards_reviewed; json: cards,
    #                          reviews; csv: rows


#: The document each command line prints with --json (by its command words).
SHAPES: dict[str, type] = {
    "today": TodayDoc,
    "next": NextCardDoc,
    "answer": AnswerDoc,
    "undo": UndoDoc,
    "postpone": PostponeDoc,
    "card show": CardShowDoc,
    "card suspend": CardSuspendDoc,
    "card unsuspend": CardSuspendDoc,
    "card forget": CardForgetDoc,
    "plan": PlanStatusDoc,
    "plan start": PlanStartDoc,
    "plan interview": PlanInterviewDoc,
    "plan done": PlanTaskDoc,
    "plan undo": PlanTaskDoc,
    "plan show": PlanShowDoc,
    "config list": ConfigListDoc,
    "config get": ConfigOneDoc,
    "config set": ConfigOneDoc,
    "config reset": ConfigOneDoc,
    "deck list": DeckListDoc,
    "deck new": DeckNewDoc,
    "deck preview": DeckPreviewDoc,
    "deck lint": DeckLintDoc,
    "deck orphans": DeckOrphansDoc,
    "deck overrides": DeckOverridesDoc,
    "quiz history": QuizHistoryDoc,
    "stats": StatsDoc,
    "check": CheckDoc,
    "backup": BackupDoc,
    "export": ExportDoc,
}
