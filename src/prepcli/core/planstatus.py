"""Where a started plan stands: each week's progress, the tasks, the pace (pure)."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core.runway import Runway, scaled, week_at, week_bounds

if TYPE_CHECKING:
    from prepcli.core.models import PlanRun
    from prepcli.core.plans import Plan


class WeekStatus(NamedTuple):
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


class TaskCheck(NamedTuple):
    """A plan task and whether it is ticked."""

    id: str
    title: str
    done: bool


class OpenTask(NamedTuple):
    """A task of a week gone by that is not ticked yet."""

    week: int
    id: str
    title: str


class PlanStatus(NamedTuple):
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
    (re)learning steps (DueCards.key_groups); `out_of_reach`: each week's cards there is no
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
