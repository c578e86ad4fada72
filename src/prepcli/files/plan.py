"""Study plans: load and validate them, assign cards to weeks, and measure progress (pure).

A plan is a list of weeks. Each week names the cards it introduces (by deck and/or tag)
and the tasks that are not cards. A card belongs to the first week whose selector
matches it, so a later catch-all (`deck: X` without tags) picks up the rest of a deck.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.core.cards import Tier
from prepcli.core.errors import Problem, ProblemsError
from prepcli.core.models import PlanRun
from prepcli.core.runway import DAYS_PER_WEEK, Runway, scaled, week_at, week_bounds

if TYPE_CHECKING:
    from prepcli.core.cards import CardDef, DeckSet
    from prepcli.files.yamlfile import Node


@dataclass(frozen=True)
class Selector:
    """Which cards a week introduces: one deck (or any), optionally narrowed by tags."""

    deck: str | None
    tags: tuple[str, ...] = ()

    def matches(self, card: CardDef, deck_tags: tuple[str, ...]) -> bool:
        if self.deck is not None and card.deck != self.deck:
            return False
        return not self.tags or bool(set(self.tags) & (set(card.tags) | set(deck_tags)))


@dataclass(frozen=True)
class Task:
    """A non-card task of a plan week (e.g. a mock system-design round)."""

    id: str
    title: str
    week: int


@dataclass(frozen=True)
class Week:
    """One week of a plan: its cards to introduce and its tasks."""

    number: int
    title: str
    focus: str
    introduce: tuple[Selector, ...]
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Plan:
    """A study plan as its YAML file defines it."""

    id: str
    title: str
    description: str
    path: str
    weeks: tuple[Week, ...]

    @property
    def days(self) -> int:
        return len(self.weeks) * DAYS_PER_WEEK

    def task(self, task_id: str) -> Task | None:
        return next((t for w in self.weeks for t in w.tasks if t.id == task_id), None)


# --- loading -------------------------------------------------------------------------------

PLAN_KEYS = {"version": False, "plan": True, "title": True, "description": False, "weeks": True}
WEEK_KEYS = {"title": True, "focus": False, "introduce": True, "tasks": False}
SELECTOR_KEYS = {"deck": False, "tags": False}
TASK_KEYS = {"id": True, "title": True}


def plan_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def load_plan(path: Path, decks: DeckSet, *, absent_decks_ok: bool = False) -> Plan:
    """The plan in `path`, checked against `decks`. `absent_decks_ok`: a deck the plan
    names that is not loaded (a running plan with `--no-bundled`) selects no card instead
    of being a problem."""
    from prepcli.files.yamlfile import load as load_yaml  # PyYAML only when a plan is read

    root, problems = load_yaml(path)
    validator = _PlanValidator(str(path), problems, decks, absent_decks_ok=absent_decks_ok)
    plan = None if root is None else validator.plan(root)
    if problems or plan is None:
        raise ProblemsError(problems or [Problem(str(path), 1, 1, "not a plan")])
    return plan


class _PlanValidator:
    def __init__(
        self, path: str, problems: list[Problem], decks: DeckSet, *, absent_decks_ok: bool
    ) -> None:
        from prepcli.files.deckcheck import (  # the deck rules: only when a plan is read
            DECK_ID,
            SLUG,
        )

        self.slug, self.deck_id = SLUG, DECK_ID
        self.absent_decks_ok = absent_decks_ok
        self.path = path
        self.problems = problems
        self.decks = {d.id: d for d in decks.decks}
        self.tags_by_deck: dict[str, set[str]] = {}
        for deck in decks.decks:
            tags = set(deck.tags)
            for card in deck.cards:
                tags |= set(card.tags)
            self.tags_by_deck[deck.id] = tags

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.path, node.line, node.col, message))

    def mapping(self, node: Node, allowed: dict[str, bool], what: str) -> dict[str, Node] | None:
        if not isinstance(node.value, dict):
            self.problem(node, f"{what} must be a mapping, not {node.type_name()}")
            return None
        for key, value in node.value.items():
            if key not in allowed:
                names = ", ".join(sorted(allowed))
                self.problems.append(
                    Problem(
                        self.path,
                        value.key_line,
                        value.key_col,
                        f"unknown key {key!r} in {what} (allowed: {names})",
                    )
                )
        for key, required in allowed.items():
            if required and key not in node.value:
                self.problem(node, f"{what} is missing required key {key!r}")
        return node.value

    def text(self, node: Node | None, name: str) -> str:
        if node is None:
            return ""
        if not isinstance(node.value, str) or not node.value.strip():
            self.problem(node, f"{name!r} must be a non-empty string")
            return ""
        return node.value

    def items(self, node: Node | None, name: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, f"{name!r} must be a list, not {node.type_name()}")
            return []
        return node.value

    def plan(self, root: Node) -> Plan | None:
        fields = self.mapping(root, PLAN_KEYS, "plan")
        if fields is None:
            return None
        version = fields.get("version")
        if version is not None and version.value != 1:
            self.problem(version, f"unsupported format version {version.value!r} (expected 1)")
        plan_id = self.text(fields.get("plan"), "plan")
        if plan_id and not self.slug.match(plan_id):
            self.problem(fields["plan"], f"plan id {plan_id!r} must be a lowercase slug")
        weeks_node = fields.get("weeks")
        week_nodes = self.items(weeks_node, "weeks")
        if weeks_node is not None and isinstance(weeks_node.value, list) and not week_nodes:
            self.problem(weeks_node, "plan has no weeks")
        seen_tasks: dict[str, int] = {}
        weeks = [self.week(node, number, seen_tasks) for number, node in enumerate(week_nodes, 1)]
        return Plan(
            id=plan_id,
            title=self.text(fields.get("title"), "title"),
            description=self.text(fields.get("description"), "description"),
            path=self.path,
            weeks=tuple(w for w in weeks if w is not None),
        )

    def week(self, node: Node, number: int, seen_tasks: dict[str, int]) -> Week | None:
        fields = self.mapping(node, WEEK_KEYS, "week")
        if fields is None:
            return None
        selectors = [self.selector(s) for s in self.items(fields.get("introduce"), "introduce")]
        tasks = []
        for task_node in self.items(fields.get("tasks"), "tasks"):
            task_fields = self.mapping(task_node, TASK_KEYS, "task")
            if task_fields is None:
                continue
            task_id = self.text(task_fields.get("id"), "id")
            if task_id and not self.slug.match(task_id):
                self.problem(task_fields["id"], f"task id {task_id!r} must be a lowercase slug")
            elif task_id in seen_tasks:
                self.problem(
                    task_fields["id"],
                    f"duplicate task id {task_id!r} (first in week {seen_tasks[task_id]})",
                )
            elif task_id:
                seen_tasks[task_id] = number
                tasks.append(Task(task_id, self.text(task_fields.get("title"), "title"), number))
        return Week(
            number=number,
            title=self.text(fields.get("title"), "title"),
            focus=self.text(fields.get("focus"), "focus") if "focus" in fields else "",
            introduce=tuple(s for s in selectors if s is not None),
            tasks=tuple(tasks),
        )

    def selector(self, node: Node) -> Selector | None:
        fields = self.mapping(node, SELECTOR_KEYS, "introduce entry")
        if fields is None:
            return None
        if not fields:
            self.problem(node, "an introduce entry needs a deck, tags or both")
            return None
        deck: str | None = None
        if "deck" in fields:
            deck = self.text(fields["deck"], "deck")
            if deck and not self.deck_id.match(deck):
                self.problem(fields["deck"], f"deck id {deck!r} is not a dotted lowercase id")
            elif deck and deck not in self.decks and not self.absent_decks_ok:
                self.problem(fields["deck"], f"no deck {deck!r} in the decks")
        tags: list[str] = []
        absent = self.absent_decks_ok and (deck not in self.decks if deck else True)
        for tag_node in self.items(fields.get("tags"), "tags"):
            tag = self.text(tag_node, "tag")
            if not tag:
                continue
            if absent:  # its deck is not loaded: the tag cannot be checked
                tags.append(tag)
                continue
            known = (
                self.tags_by_deck.get(deck, set())
                if deck
                else set().union(*self.tags_by_deck.values())
            )
            if tag not in known:
                where = f"deck {deck!r}" if deck else "any deck"
                self.problem(tag_node, f"no card in {where} has the tag {tag!r}")
            tags.append(tag)
        return Selector(deck or None, tuple(tags))


# --- progress --------------------------------------------------------------------------------


def assign_weeks(plan: Plan, decks: DeckSet) -> dict[str, int]:
    """Card key → the week that introduces it (first matching selector wins)."""
    return {key: week for key, (week, _stream) in _first_streams(plan, decks).items()}


def _first_streams(plan: Plan, decks: DeckSet) -> dict[str, tuple[int, int]]:
    """Card key → (week, index of the first `introduce` entry of that week matching it).

    Runs on every start-up with a plan, over every card: the selectors are tried per deck
    first, so a card only meets the entries that name its deck (or no deck).
    """
    entries = [
        (week.number, index, selector, frozenset(selector.tags))
        for week in plan.weeks
        for index, selector in enumerate(week.introduce)
    ]
    found: dict[str, tuple[int, int]] = {}
    for deck in decks.decks:
        relevant = [e for e in entries if e[2].deck in (None, deck.id)]
        if not relevant:
            continue
        deck_tags = frozenset(deck.tags)
        for card in deck.cards:
            tags = deck_tags.union(card.tags) if card.tags else deck_tags
            for week, index, _selector, wanted in relevant:
                if not wanted or not wanted.isdisjoint(tags):
                    found[card.key] = (week, index)
                    break
    return found


#: Added to an extended card's place in its stream: after every core card of its week.
EXTENDED_PLACES = 1 << 20


def interleaving(plan: Plan, decks: DeckSet) -> dict[str, tuple[int, int]]:
    """Card key → (its place in its stream, the stream's place in the week).

    Each `introduce` entry of a week is a stream (transformer cards, coding, stories…);
    sorting a week's cards by this key takes one card from each stream in turn, so every
    day mixes the week's material instead of finishing one deck before the next. A week's
    core cards all come before its extended ones, so a candidate who cannot keep up with
    every card still meets everything every candidate must know.
    """
    counts: dict[tuple[int, int, Tier], int] = {}
    ranks: dict[str, tuple[int, int]] = {}
    cards = decks.by_key
    for key, (week, stream) in _first_streams(plan, decks).items():
        tier = cards[key].tier
        place = counts.get((week, stream, tier), 0)
        counts[(week, stream, tier)] = place + 1
        ranks[key] = (place + (EXTENDED_PLACES if tier == Tier.EXTENDED else 0), stream)
    return ranks


class PlanLayout:
    """A plan applied to one deck set: the week that introduces each card and its place in
    that week's streams. Kept in the deck cache between runs (storage/cachecodec.py) as flat
    sequences — the keys grouped by week, each week a slice — which read back far faster
    than dictionaries; the lookups are built from them when first used."""

    def __init__(
        self,
        plan: Plan,
        by_week: tuple[str, ...],
        starts: tuple[int, ...],
        places: array[int],
        streams: array[int],
    ) -> None:
        self.plan = plan
        self.by_week = by_week  # unplanned cards first, then week 1's, week 2's… (each in order)
        self.starts = starts  # by_week[starts[w]:starts[w + 1]] are week w's (0: unplanned)
        self.places, self.streams = places, streams  # aligned with by_week

    @classmethod
    def build(cls, plan: Plan, decks: DeckSet) -> PlanLayout:
        streams = _first_streams(plan, decks)
        ranks = interleaving(plan, decks)
        # Within a week, the cards in the order they are introduced (core first, the
        # streams taking turns): the runway counts tiers and finds the last cards by slicing.
        # A card no week selects keeps its tier in its place (the cards outside the plan are
        # a stream of their own, core cards first).
        keyed = sorted(
            (
                streams.get(card.key, (0, 0))[0],
                *(ranks.get(card.key) or (EXTENDED_PLACES if card.tier == Tier.EXTENDED else 0, 0)),
                index,
                card.key,
            )
            for index, card in enumerate(decks.cards())
        )
        weeks = [week for week, *_ in keyed]
        return cls(
            plan,
            tuple(key for *_, key in keyed),
            tuple(bisect_left(weeks, w) for w in range(len(plan.weeks) + 2)),
            array("I", (place for _, place, *_ in keyed)),
            array("I", (stream for _, _, stream, *_ in keyed)),
        )

    def _week_slice(self, week: int) -> slice:
        return slice(self.starts[week], self.starts[week + 1])

    def cards_by_week(self) -> dict[int, tuple[str, ...]]:
        """Week → the keys of the cards it introduces (slices: no set to build)."""
        return {w.number: self.by_week[self._week_slice(w.number)] for w in self.plan.weeks}

    def introduced_after(self, week: int) -> frozenset[str]:
        """The cards later weeks introduce: not new cards yet in `week`."""
        return frozenset(self.by_week[self.starts[min(week + 1, len(self.starts) - 1)] :])

    @cached_property
    def assignment(self) -> dict[str, int]:
        """Card key → the week that introduces it (cards no week selects are left out)."""
        return {
            key: week.number
            for week in self.plan.weeks
            for key in self.by_week[self._week_slice(week.number)]
        }

    @cached_property
    def ranks(self) -> dict[str, tuple[int, int]]:
        """Card key → (its place in its stream, the stream): see `interleaving`."""
        first = self.starts[1]
        return {
            key: (place, stream)
            for key, place, stream in zip(
                self.by_week[first:], self.places[first:], self.streams[first:], strict=True
            )
        }


def plan_order(
    keys: Iterable[str],
    assignment: Mapping[str, int],
    current_week: int,
    ranks: Mapping[str, tuple[int, int]] | None = None,
) -> list[str]:
    """New-card order: this week's cards, then earlier weeks', then later ones, then unplanned;
    within a week, the week's streams interleaved (see `interleaving`)."""
    ranks = ranks or {}

    def rank(item: tuple[int, str]) -> tuple[int, int, tuple[int, int], int]:
        index, key = item
        week = assignment.get(key)
        mix = ranks.get(key, (0, 0))
        if week is None:
            return (3, 0, mix, index)
        if week == current_week:
            return (0, 0, mix, index)
        if week < current_week:
            return (1, week, mix, index)
        return (2, week, mix, index)

    return [key for _, key in sorted(enumerate(keys), key=rank)]


@dataclass(frozen=True)
class WeekStatus:
    """One week's progress, as `prepcli plan` shows it."""

    number: int
    title: str
    start_date: str
    cards_total: int
    cards_introduced: int
    cards_learned: int
    tasks_total: int
    tasks_done: int
    status: str  # done, on track, behind, ahead, upcoming


@dataclass(frozen=True)
class TaskCheck:
    """A plan task and whether it is ticked."""

    id: str
    title: str
    done: bool


@dataclass(frozen=True)
class OpenTask:
    """A task of a week gone by that is not ticked yet."""

    week: int
    id: str
    title: str


@dataclass(frozen=True)
class PlanStatus:
    """Where a started plan stands today."""

    plan_id: str
    title: str
    start_date: str
    end_date: str
    day: int  # 1-based day of the plan; 0 or less before it starts
    week: int  # the current week, clamped to the plan's weeks
    phase: str  # not started, running, finished
    interview_date: str | None
    days_to_interview: int | None
    weeks: tuple[WeekStatus, ...]
    tasks_this_week: tuple[TaskCheck, ...]
    cards_left_so_far: int  # not yet introduced, in this and earlier weeks
    days_left_in_week: int
    catch_up_per_day: int  # new cards a day: the runway's pace today when one is known
    new_cards_stopped: bool = False  # the interview is close: the last days are for reviews
    weeks_scaled: bool = False  # the weeks share the days up to an earlier interview
    open_tasks_before: tuple[OpenTask, ...] = ()  # earlier weeks' tasks not ticked
    runway: Runway | None = None  # the pace that fits the days left (while running)


def current_week(plan: Plan, run: PlanRun, today: int) -> int:
    return week_at(plan_bounds(plan, run), today)


def plan_bounds(plan: Plan, run: PlanRun) -> tuple[int, ...]:
    """Each week's first day, then the day after the plan (see core.runway.week_bounds)."""
    return week_bounds(run.start_day, len(plan.weeks), run.interview_day)


def plan_status(
    plan: Plan,
    run: PlanRun,
    cards_by_week: Mapping[int, Collection[str]],
    studied: frozenset[str],
    learning: frozenset[str],
    done_tasks: Iterable[str],
    today: int,
    out_of_reach: Mapping[int, int] | None = None,
) -> PlanStatus:
    """Where the run stands. `cards_by_week`: the keys of each week's cards; `studied`:
    the keys of the cards answered at least once; `learning`: those of them still in
    (re)learning steps (Store.key_groups); `out_of_reach`: each week's cards there is no
    room for before the last day for new cards (a week is judged without them)."""
    from datetime import date

    done = set(done_tasks)
    day = today - run.start_day + 1
    bounds = plan_bounds(plan, run)
    week_now = week_at(bounds, today)
    totals = {w.number: [0, 0, 0] for w in plan.weeks}  # total, introduced, learned
    for number, keys in cards_by_week.items():
        # Set operations in C: this runs on every start-up, over every card.
        seen = studied.intersection(keys)
        totals[number] = [len(keys), len(seen), len(seen) - len(learning & seen)]
    statuses = []
    for week in plan.weeks:
        total, introduced, learned = totals[week.number]
        reachable = total - (out_of_reach or {}).get(week.number, 0)
        tasks_done = sum(t.id in done for t in week.tasks)
        week_start, week_end = bounds[week.number - 1], bounds[week.number]
        length = week_end - week_start
        elapsed = min(max(today - week_start + 1, 0), length)
        over = today >= week_end
        statuses.append(
            WeekStatus(
                number=week.number,
                title=week.title,
                start_date=date.fromordinal(week_start).isoformat(),
                cards_total=total,
                cards_introduced=introduced,
                cards_learned=learned,
                tasks_total=len(week.tasks),
                tasks_done=tasks_done,
                status=_week_verdict(
                    reachable + len(week.tasks), introduced + tasks_done, elapsed, length, over
                ),
            )
        )
    left = sum(totals[w][0] - totals[w][1] for w in totals if w <= week_now)
    # Before the start: the first week's days; then the days left in this week.
    days_left = max(1, bounds[week_now] - (bounds[0] if day < 1 else today))
    end_day = bounds[-1] - 1
    interview = run.interview_day
    this_week = plan.weeks[week_now - 1]
    phase = "not started" if day < 1 else ("finished" if today > end_day else "running")
    past = [w for w in plan.weeks if today >= bounds[w.number] and w.number != week_now]
    if phase == "finished":
        past = list(plan.weeks)
    return PlanStatus(
        plan_id=plan.id,
        title=plan.title,
        start_date=date.fromordinal(run.start_day).isoformat(),
        end_date=date.fromordinal(end_day).isoformat(),
        day=day,
        week=week_now,
        phase=phase,
        interview_date=None if interview is None else date.fromordinal(interview).isoformat(),
        days_to_interview=None if interview is None else interview - today,
        weeks=tuple(statuses),
        tasks_this_week=tuple(TaskCheck(t.id, t.title, t.id in done) for t in this_week.tasks),
        cards_left_so_far=left,
        days_left_in_week=days_left,
        catch_up_per_day=math.ceil(left / days_left) if left else 0,
        weeks_scaled=scaled(bounds),
        open_tasks_before=tuple(
            OpenTask(w.number, t.id, t.title) for w in past for t in w.tasks if t.id not in done
        ),
    )


def _week_verdict(items: int, done: int, elapsed_days: int, length: int, over: bool) -> str:
    """Compare the share done with the share of the week that has passed."""
    if items and done >= items:
        return "done"
    if over:
        return "behind"  # a finished week with work left
    if elapsed_days == 0:
        return "ahead" if done else "upcoming"
    expected = items * elapsed_days / length
    if done >= expected:
        return "ahead" if done >= expected + items / length else "on track"
    # Early in a week there is little to judge: allow up to one day's share of slack.
    return "on track" if done >= expected - items / length else "behind"


def new_cards_per_day(status: PlanStatus, user_limit: int) -> int:
    """The plan's pace, bounded by the user's own new-card limit."""
    if status.phase != "running":
        return user_limit
    return min(user_limit, status.catch_up_per_day)
