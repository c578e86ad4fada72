"""Today's queue and summary: which reviews, learning and new cards come, in what order,
and how many are left — computed once, from what the storage layer counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from prepcli.app import runway as runway_mod
from prepcli.app.daysoff import days_off, today_note
from prepcli.app.study_interview import InterviewOutlook
from prepcli.core import agenda as agenda_mod
from prepcli.core import interview as interview_mod
from prepcli.core.agenda import Agenda, DayProgress
from prepcli.core.clock import to_ms
from prepcli.core.daysoff import DayNote
from prepcli.core.models import CardState, Phase
from prepcli.core.planlayout import plan_order
from prepcli.core.planstatus import PlanStatus, current_week
from prepcli.storage.rows import KeyGroups

if TYPE_CHECKING:
    from prepcli.app.study import Study

_QueueKey = tuple[tuple[str, ...], tuple[str, ...], bool, int]  # decks, tags, ahead, day
_ReviewLimit = tuple[int, int]  # reviews a day, relearning steps a lapse brings (planner days)


class TodaySummary(NamedTuple):
    """Today's numbers: the screen of `prepcli` and `prepcli today --json`."""

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
    plan: PlanStatus | None = None
    interview: InterviewOutlook | None = None
    day: DayNote | None = None  # the interview day, a rest day, the days after the interview


class Queue:
    """One study day's queue: the agenda, the new-card rules, today's summary and the streak."""

    def __init__(self, study: Study) -> None:
        self.study = study
        # The last queue built, with what it was built for (selection, day) and its review
        # limit: an answer updates it (after_answer); any other write drops it, and so
        # does a commit by another connection (another terminal's answer), seen through
        # the data_version it was built at (this connection's own commits leave it).
        self._kept: tuple[_QueueKey, Agenda, _ReviewLimit] | None = None
        self._kept_at = -1

    def forget(self) -> None:
        self._kept = None

    def take(self) -> tuple[_QueueKey, Agenda, _ReviewLimit] | None:
        """The kept queue, handed to an answer about to be written (see after_answer)."""
        kept, self._kept = self._kept, None
        return kept

    def after_answer(
        self, kept: tuple[_QueueKey, Agenda, _ReviewLimit], after: CardState, moment: datetime
    ) -> None:
        """Keep the queue `take` gave, updated for an answer whose new state is `after`."""
        wanted, agenda, (reviews_per_day, lapse_steps) = kept
        today = wanted[3]
        if self.study.study_day(moment) != today:
            return  # the day rolled over: the next queue is built afresh
        updated = agenda_mod.after_answer(
            agenda,
            after,
            now_ms=to_ms(moment),
            today=today,
            day_end_ms=self._day_end_ms(today),
            progress=self.study.progress(),
            reviews_per_day=reviews_per_day,
            lapse_steps=lapse_steps,
        )
        if updated is not None:
            self._kept = (wanted, updated, (reviews_per_day, lapse_steps))

    def agenda(
        self,
        decks: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        now: datetime | None = None,
        *,
        ahead: bool = False,
        groups: KeyGroups | None = None,
    ) -> Agenda:
        """Today's queue. New cards follow the plan: this week's first, then earlier weeks'
        leftovers; later weeks' cards only with `ahead`. The plan's pace bounds the count.

        Only the cards that can be due today are read in full; the rest of the collection
        is known by key (DueCards.key_groups), so the queue costs little on a big collection.
        """
        moment = now or self.study.now
        today = self.study.study_day(moment)
        wanted: _QueueKey = (decks, tags, ahead, today)
        seen = self.study.store.version()[0]
        if (
            groups is None
            and self._kept is not None
            and self._kept[0] == wanted
            and self._kept_at == seen
        ):
            return agenda_mod.queue_at(self._kept[1], to_ms(moment))
        agenda, limit = self._build(decks, tags, moment, today, ahead, groups)
        if groups is None:
            self._kept, self._kept_at = (wanted, agenda, limit), seen
        return agenda

    def _build(
        self,
        decks: tuple[str, ...],
        tags: tuple[str, ...],
        moment: datetime,
        today: int,
        ahead: bool,
        groups: KeyGroups | None,
    ) -> tuple[Agenda, _ReviewLimit]:
        groups = groups or self.study.key_groups(today)
        progress = self.study.progress()
        new_limit, held_back = self._new_card_rules(today, progress, groups, ahead=ahead)
        keys = self.study.selected_keys(decks, tags)
        selected = self.study.card_keys if not (decks or tags) else frozenset(keys)
        planned = self._planned_reviews(today, selected)
        new_cards = self._new_cards(selected, groups, held_back)
        learning = [
            s
            for s in self.study.store.due.learning_states(
                today, to_ms(self.study.calendar.day_start(today + 1))
            )
            if s.key in selected
        ]
        new_keys = [k for k in keys if k in new_cards] if new_cards else []
        if planned is None:
            reviews_per_day = self.study.settings.reviews_per_day
            built = agenda_mod.assemble_agenda(
                learning,
                [k for k in self.study.store.due.due_review_keys(today) if k in selected],
                self.study.store.states_of,
                new_keys,
                now_ms=to_ms(moment),
                progress=progress,
                new_per_day=new_limit,
                reviews_per_day=reviews_per_day,
                order_new=self.new_card_order(today),
            )
            return built, (reviews_per_day, 0)
        policy = self.study.interview.policy()
        assert policy is not None
        by_key = {state.key: state for state in planned}
        lapse_steps = len(self.study.settings.relearning_steps)
        built = agenda_mod.assemble_agenda(
            learning,
            [state.key for state in planned],
            lambda shown: {key: by_key[key] for key in shown},
            new_keys,
            now_ms=to_ms(moment),
            progress=progress,
            new_per_day=new_limit,
            reviews_per_day=policy.capacity,
            lapse_steps=lapse_steps,
            order_new=self.new_card_order(today),
        )
        return built, (policy.capacity, lapse_steps)

    def _new_card_rules(
        self, today: int, progress: DayProgress, groups: KeyGroups, *, ahead: bool
    ) -> tuple[int, frozenset[str]]:
        """Today's new-card limit, and the cards held back for later weeks of the plan
        (unless `ahead`): at the plan's pace, none in the last days before the interview."""
        new_limit = self.study.settings.new_per_day
        held_back: frozenset[str] = frozenset()
        active = self.study.plans.active()
        if active is not None and not ahead:
            week = current_week(active.plan, active.run, today)
            held_back = active.layout.introduced_after(week)
            runway = self.study.plans.runway(today, groups)
            if runway is not None:  # the plan runs: its pace fits the days left
                new_limit, held_back = min(new_limit, runway.new_limit), runway.held_back
        policy = self.study.interview.policy()
        cutoff = (
            None
            if policy is None
            else interview_mod.new_card_cutoff(policy, self.study.settings.interview_buffer)
        )
        if cutoff is not None and today > cutoff and not ahead:
            new_limit = 0  # the last days are for reviews
        return new_limit, held_back

    @staticmethod
    def _new_cards(
        selected: frozenset[str], groups: KeyGroups, held_back: frozenset[str]
    ) -> frozenset[str]:
        """The selected cards that may come as new today: never studied, not hidden, not
        held back for a later week (set differences: no loop over every card)."""
        return selected - groups.studied - groups.hidden - held_back

    def new_card_order(self, today: int) -> Callable[[list[str]], list[str]] | None:
        """The plan's order for new cards (the bundled plan's before one is started)."""
        active = self.study.plans.active()
        if active is not None:
            week = current_week(active.plan, active.run, today)

            def planned(new: list[str]) -> list[str]:
                return plan_order(new, active.assignment, week, active.ranks)

            runway = self.study.plans.runway(today)
            if runway is None:
                return planned
            return runway_mod.runway_order(planned, active.assignment, runway.runway)
        weeks, ranks = self.study.plans.default_order()
        if not weeks:
            return None
        return lambda new: plan_order(new, weeks, 1, ranks)

    def _planned_reviews(self, today: int, selected: frozenset[str]) -> list[CardState] | None:
        """While the interview planner runs (None otherwise): the review cards it chose for
        today that are still to do, in queue order — neither hidden nor answered today."""
        policy = self.study.interview.policy()
        if policy is None or today > policy.last_session_day:
            return None
        day_start_ms = to_ms(self.study.calendar.day_start(today))
        chosen = [key for key in self.study.interview.plan(today).today if key in selected]
        return sorted(
            (
                state
                for state in self.study.store.states_of(chosen).values()
                if state.phase == Phase.REVIEW
                and agenda_mod.visible(state, today)
                and (state.last_review_ms or 0) < day_start_ms
            ),
            key=agenda_mod.review_order,
        )

    def streak(self) -> int:
        """Days with answers in the current run, by the rule `prepcli stats` uses: a day
        without answers breaks the run only if something was due on it, and today does not
        break it before it is over. The days with answers come from one query; only the
        days between them are looked at one by one."""
        answered = self.study.store.log.days_answered(self.study.today)
        if not answered:
            return 0
        days = set(answered)
        rest = days_off(self.study.store, self.study.settings)  # days off never break it
        streak = 0
        for day in range(self.study.today, answered[-1] - 1, -1):
            if day in days:
                streak += 1
            elif (
                day != self.study.today
                and day not in rest
                and self.study.store.log.something_due_on(day)
            ):
                break
        return streak

    def _day_end_ms(self, today: int) -> int:
        return to_ms(self.study.calendar.day_start(today + 1))

    def summary(self) -> TodaySummary:
        """Today's numbers, the queue's counts without building it: SQLite counts the due
        cards and the new ones are counted by key (tests check both against `agenda`)."""
        today = self.study.today
        settings = self.study.settings
        groups = self.study.key_groups(today)
        progress = self.study.progress()
        new_limit, held_back = self._new_card_rules(today, progress, groups, ahead=False)
        in_decks = self.study.card_keys
        gone = groups.outside(in_decks)
        unseen = len(self._new_cards(in_decks, groups, held_back))
        reviews_due, learning_due, learning_later = self.study.store.due.due_counts(
            today,
            to_ms(self.study.now),
            to_ms(self.study.calendar.day_start(today + 1)),
            leaving_out=gone,
        )
        planned = self._planned_reviews(today, in_decks)
        fsrs_due = reviews_due
        if planned is not None:
            reviews_due = len(planned)
        suspended, leeches, due_tomorrow = self.study.store.due.flag_counts(today, leaving_out=gone)
        return TodaySummary(
            study_date=self.study.calendar.date_of(today).isoformat(),
            due_reviews=reviews_due,
            review_limit_left=max(0, settings.reviews_per_day - progress.reviews_answered),
            learning_due=learning_due,
            learning_later=learning_later,
            new_today=min(unseen, max(0, new_limit - progress.new_introduced)),
            new_unseen=unseen,
            answers_today=progress.answers,
            minutes_today=self.study.store.log.durations_on(today) / 60_000,
            streak=self.streak(),
            decks=len(self.study.index.deck_ids),
            cards=len(self.study.index.keys),
            suspended=suspended,
            leeches=leeches,
            due_tomorrow=due_tomorrow,
            plan=self.study.plans.status(groups),
            interview=self.study.interview.outlook(planned or [], fsrs_due),
            day=today_note(self.study.store, settings, today, self.study.plans.interview_day()),
        )
