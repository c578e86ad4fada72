"""The interview date's part of a study: the planner's policy and its choice for a day,
kept for the day (see interview_plan), and the countdown today's summary shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from prepcli.core import interview as interview_mod
from prepcli.core.clock import to_ms
from prepcli.core.deadline import MemoryModel
from prepcli.core.forgetting import DEFAULT_PARAMETERS
from prepcli.core.interview import InterviewPlan, InterviewPolicy
from prepcli.core.models import CardState

if TYPE_CHECKING:
    from prepcli.app.study import Study

MORNING = timedelta(hours=5)  # sessions are assumed five hours after rollover (09:00)


class InterviewOutlook(NamedTuple):
    """The interview date as today's summary shows it (the recall forecast, which replays
    reviews, is `prepcli plan`'s)."""

    interview_date: str
    days_left: int
    reviews_today: int  # the planner's reviews still to do today
    early_today: int  # of which FSRS would show later
    held_back: int  # FSRS has them due, the planner shows them later (not worth it today)
    final_reviews: int  # cards whose last review before the interview is planned
    at_risk: tuple[str, ...]  # recall on the day below 90%, and no room to review them


class InterviewPart:
    """The interview planner as this collection uses it."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._kept: InterviewPlan | None = None  # the day's plan: answers do not change it

    def forget(self) -> None:
        """After the plan, its interview date or the decks changed."""
        self._kept = None

    def forget_memory_model(self) -> None:
        """After the FSRS parameters changed (Study.forget_scheduler)."""
        self.__dict__.pop("memory_model", None)
        self._kept = None

    def policy(self) -> InterviewPolicy | None:
        """The planner's settings while an interview date lies ahead, else None."""
        run = self.study.plans.run()
        if run is None or run.interview_day is None:
            return None
        if self.study.today > run.interview_day:
            return None  # afterwards the normal FSRS schedule simply continues
        settings = self.study.settings
        return InterviewPolicy(
            interview_day=run.interview_day,
            capacity=settings.interview_capacity or settings.reviews_per_day,
            lead=settings.interview_lead,
            price=settings.interview_price,
            retention=settings.interview_retention,
            headroom=settings.interview_headroom,
            rest_days=tuple(
                d for d in settings.rest_days if self.study.today <= d <= run.interview_day
            ),
        )

    def instant(self, policy: InterviewPolicy) -> datetime:
        """When recall counts: the interview day's morning (five hours after rollover)."""
        return self.study.calendar.day_start(policy.interview_day) + MORNING

    @cached_property
    def memory_model(self) -> MemoryModel:
        """FSRS-6's memory update with the parameters in use, for the interview planner
        (fsrs is imported only to clamp personal parameters from `prepcli optimize`)."""
        parameters = (
            self.study.scheduler.parameters
            if self.study.store.settings.fsrs_parameters()
            else DEFAULT_PARAMETERS
        )
        return MemoryModel(parameters, len(self.study.settings.relearning_steps))

    def plan(self, today: int | None = None) -> InterviewPlan:
        """The interview planner's choice for a study day, made from the review cards'
        states when the day began. Answers do not change how the day began, so it is kept
        for the rest of this Study's life and, in the cache folder, for the rest of the
        day (storage/plancache.py)."""
        day = self.study.today if today is None else today
        if self._kept is not None and self._kept.day == day:
            return self._kept
        policy = self.policy()
        if policy is None or day > policy.last_session_day:
            return interview_mod.empty_plan(day)
        from prepcli.storage import plancache

        day_start_ms = to_ms(self.study.calendar.day_start(day))
        key = (
            plancache.code_tag(),
            day,
            policy,
            self.memory_model.w,
            self.memory_model.relearning_steps,
            self.study.index.stamps,
            self.study.store.due.plan_inputs_stamp(day, day_start_ms),
        )
        cache = (
            None
            if self.study.cache_dir is None
            else plancache.plan_cache_file(self.study.cache_dir, self.study.store.path)
        )
        plan = None if cache is None else plancache.load_plan(cache, key)
        if plan is None:
            plan = self._make_plan(day, policy)
            if cache is not None:
                plancache.save_plan(cache, key, plan)
        self._kept = plan
        return plan

    def _make_plan(self, day: int, policy: InterviewPolicy) -> InterviewPlan:
        in_decks = self.study.card_keys
        interview_ms = to_ms(self.instant(policy))
        cards = [
            interview_mod.memory_of(
                key, stability, difficulty, last_ms, self.study.calendar, interview_ms
            )
            for key, stability, difficulty, last_ms in self.study.store.due.reviews_at_start(day)
            if key in in_decks
        ]
        plan = interview_mod.plan_interview(cards, policy, day, self.memory_model)
        return interview_mod.with_outcomes(plan, cards, policy, self.memory_model)

    def outlook(self, planned: Sequence[CardState], fsrs_due: int) -> InterviewOutlook | None:
        """The countdown, with the planner's reviews still to do today (`planned`) and the
        number of review cards FSRS has due today (`fsrs_due`)."""
        policy = self.policy()
        if policy is None:
            return None
        plan = self.plan()
        early = sum(1 for state in planned if (state.due_day or 0) > self.study.today)
        return InterviewOutlook(
            interview_date=self.study.calendar.date_of(policy.interview_day).isoformat(),
            days_left=policy.interview_day - self.study.today,
            reviews_today=len(planned),
            early_today=early,
            # After the last session the planner holds nothing back: FSRS's due stand.
            held_back=0
            if self.study.today > policy.last_session_day
            else max(0, fsrs_due - (len(planned) - early)),
            final_reviews=len(plan.final_day),
            at_risk=plan.at_risk,
        )
