"""The six-week plans of a study: finding a plan file, its layout on the decks, the active
run, its status, starting it, the interview date and ticked tasks."""

from __future__ import annotations

import contextlib
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from prepcli.app import runway as runway_mod
from prepcli.core import interview as interview_mod
from prepcli.core.clock import to_ms
from prepcli.core.errors import PrepError, UsageError
from prepcli.core.models import PlanRun
from prepcli.core.planlayout import PlanLayout
from prepcli.core.plans import Plan
from prepcli.core.planstatus import PlanStatus, plan_status
from prepcli.files import plan as plan_mod
from prepcli.storage.introduced import introduced_on
from prepcli.storage.rows import KeyGroups

if TYPE_CHECKING:
    from prepcli.app.study import Study

DEFAULT_PLAN = "six-week"  # the bundled plan, whose order new cards follow before any plan starts


class ActivePlan(NamedTuple):
    """The started plan, with its layout on the current decks."""

    run_id: int
    run: PlanRun
    layout: PlanLayout

    @property
    def plan(self) -> Plan:
        return self.layout.plan

    @property
    def assignment(self) -> dict[str, int]:
        return self.layout.assignment

    @property
    def ranks(self) -> dict[str, tuple[int, int]]:
        return self.layout.ranks


class Plans:
    """The plans part of a Study."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._status_memo: tuple[weakref.ref[KeyGroups], int, PlanStatus] | None = None
        self._runway_memo: tuple[int, ActivePlan, runway_mod.TodayRunway | None] | None = None
        # Read once per Study, until a plan changes (a one-tuple: None means no plan).
        self._active_memo: tuple[ActivePlan | None] | None = None
        self._run_memo: tuple[PlanRun | None] | None = None
        self._order_memo: tuple[dict[str, int], dict[str, tuple[int, int]]] | None = None

    def forget_status(self) -> None:
        """After a write: the status and the pace count studied cards."""
        self._status_memo = None
        self._runway_memo = None

    def path(self, plan_id: str) -> Path:
        """The file of a plan, by file name or else by its `plan:` field."""
        for folder in self.study.plan_dirs:
            for path in plan_mod.plan_files(folder):
                if path.stem == plan_id:
                    return path
        for folder in self.study.plan_dirs:
            for path in plan_mod.plan_files(folder):
                # Another plan's problems are reported when that plan is asked for.
                with contextlib.suppress(plan_mod.PlanUnreadable):
                    if self.study.index.plan_id(path, plan_mod.plan_id_in) == plan_id:
                        return path
        known = sorted(
            p.stem for folder in self.study.plan_dirs for p in plan_mod.plan_files(folder)
        )
        raise UsageError(f"no plan {plan_id!r} (known: {', '.join(known) or 'none'})")

    def find(self, plan_id: str) -> Plan:
        """Load a plan by id (its `plan:` field or file name) from the plan folders."""
        return plan_mod.load_plan(self.path(plan_id), self.study.decks)

    def layout(self, plan_id: str) -> PlanLayout:
        """The plan with its cards' weeks and order, from the deck index while neither the
        decks nor the plan file changed (working it out reads every card)."""
        path = self.path(plan_id)

        def build() -> PlanLayout:
            decks = self.study.decks  # every card: only when the index holds no layout
            # A plan started on other decks (then run with `--no-bundled`) still runs: the
            # decks it names that are not loaded select no card (`plan start` checks them).
            return PlanLayout.build(plan_mod.load_plan(path, decks, absent_decks_ok=True), decks)

        return self.study.index.layout(path, build)

    def active(self) -> ActivePlan | None:
        """The started plan laid out on the decks, or None."""
        if self._active_memo is None:
            found = self.study.store.plans.active()
            if found is None:
                self._active_memo = (None,)
            else:
                run_id, run = found
                self._active_memo = (ActivePlan(run_id, run, self.layout(run.plan_id)),)
        return self._active_memo[0]

    def run(self) -> PlanRun | None:
        """The started plan's run (which plan, its first day, the interview day) without
        laying the plan out on the decks: what the interview planner's policy needs, so an
        answer does not read the plan's layout."""
        if self._active_memo is not None:
            active = self._active_memo[0]
            return None if active is None else active.run
        if self._run_memo is None:
            found = self.study.store.plans.active()
            self._run_memo = (None if found is None else found[1],)
        return self._run_memo[0]

    def interview_day(self) -> int | None:
        """The active plan's interview day (past or ahead), if it has one."""
        run = self.run()
        return None if run is None else run.interview_day

    def forget_cached(self) -> None:
        """After a plan was started or changed, or the decks were reloaded."""
        self._active_memo = None
        self._run_memo = None
        self._order_memo = None
        self.forget_status()
        self.study.interview.forget()

    def default_order(self) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
        """The bundled plan's weeks and streams, for ordering before any plan is started
        (read once per Study: the review session asks for it after every answer)."""
        if self._order_memo is None:
            try:
                layout = self.layout(DEFAULT_PLAN)
                self._order_memo = layout.assignment, layout.ranks
            except PrepError:  # other decks than the plan names: keep the decks' own order
                self._order_memo = {}, {}
        return self._order_memo

    def status(self, groups: KeyGroups | None = None) -> PlanStatus | None:
        active = self.active()
        if active is None:
            return None
        groups = groups or self.study.key_groups()
        runway = self.runway(self.study.today, groups)
        status = self._status(active, groups, self.study.today)
        policy = self.study.interview.policy()
        cutoff = (
            None
            if policy is None
            else interview_mod.new_card_cutoff(policy, self.study.settings.interview_buffer)
        )
        if cutoff is not None and self.study.today > cutoff:
            status = status._replace(new_cards_stopped=True)
        if runway is not None and not status.new_cards_stopped:
            status = status._replace(runway=runway.runway, catch_up_per_day=runway.new_limit)
        return status

    def runway(self, today: int, groups: KeyGroups | None = None) -> runway_mod.TodayRunway | None:
        """The running plan's pace on a study day: today's new cards, those held back, what
        will not fit before the last day for new cards (None: no plan runs that day)."""
        active = self.active()
        memo = self._runway_memo
        if memo is not None and memo[0] == today and memo[1] is active:
            return memo[2]
        found = None
        if active is not None:
            study = self.study
            groups = groups or study.key_groups(today)
            policy = study.interview.policy()
            found = runway_mod.runway_today(
                active.layout,
                active.run.start_day,
                active.run.interview_day,
                today=today,
                studied=groups.studied,
                hidden=groups.hidden,
                new_per_day=study.settings.new_per_day,
                introduced_today=introduced_on(study.store, today),
                interview_cutoff=None
                if policy is None
                else interview_mod.new_card_cutoff(policy, study.settings.interview_buffer),
            )
            self._runway_memo = (today, active, found)
        return found

    def _status(self, active: ActivePlan, groups: KeyGroups, today: int) -> PlanStatus:
        # The queue's pace and today's summary both ask, with the same groups: work it once.
        # (A weak reference: holding 20,000 keys until the next write would make that
        # write pay for freeing them.)
        memo = self._status_memo
        if memo is not None and memo[0]() is groups and memo[1] == today:
            return memo[2]
        status = self._status_now(active, groups, today)
        self._status_memo = (weakref.ref(groups), today, status)
        return status

    def _status_now(self, active: ActivePlan, groups: KeyGroups, today: int) -> PlanStatus:
        by_week = active.layout.cards_by_week()
        # A new card that is suspended (or buried until tomorrow) cannot be introduced: the
        # plan leaves it out, as today's summary and the queue do, so `prepcli` and
        # `prepcli plan` count the same cards and the pace never waits for it.
        held = groups.hidden - groups.studied
        if held:
            by_week = {
                week: tuple(k for k in keys if k not in held) for week, keys in by_week.items()
            }
        runway = self.runway(today, groups)
        return plan_status(
            active.plan,
            active.run,
            by_week,
            groups.studied,
            groups.learning,
            self.study.store.plans.done_tasks(active.run_id),
            today,
            # A week is judged on the cards the pace will introduce, not those with no room.
            out_of_reach=None if runway is None else runway.out_of_reach,
        )

    def start(self, plan_id: str, start_day: int, interview_day: int | None) -> ActivePlan:
        plan = self.find(plan_id)
        if interview_day is not None and interview_day < start_day:
            raise UsageError("the interview date is before the plan's start")
        run = PlanRun(plan.id, start_day, interview_day)
        self.study.write(lambda: self.study.store.plans.start(run, to_ms(self.study.now)))
        self.forget_cached()
        active = self.active()
        assert active is not None
        return active

    def require(self) -> ActivePlan:
        active = self.active()
        if active is None:
            raise PrepError("no plan started yet (`prepcli plan start --interview YYYY-MM-DD`)")
        return active

    def set_interview(self, day: int | None) -> None:
        active = self.require()
        if day is not None and day < self.study.today:
            raise UsageError("the interview date is in the past")
        self.study.write(lambda: self.study.store.plans.set_interview_day(active.run_id, day))
        self.forget_cached()

    def mark_task(self, task_id: str, done: bool) -> bool:
        active = self.require()
        if active.plan.task(task_id) is None:
            known = ", ".join(t.id for w in active.plan.weeks for t in w.tasks)
            raise UsageError(f"no task {task_id!r} in plan {active.plan.id!r} (tasks: {known})")
        now_ms = to_ms(self.study.now)
        return self.study.write(
            lambda: self.study.store.plans.mark_task(active.run_id, task_id, done, now_ms)
        )
