"""The application layer: one user's collection (decks + database + settings) at one instant.

The CLI and the interactive session both go through here, so an answer given with
`prepcli answer` and one given in `prepcli review` are the same code path.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.app.daysoff import days_off, today_note
from prepcli.core import agenda as agenda_mod
from prepcli.core import interview as interview_mod
from prepcli.core.agenda import Agenda, DayProgress
from prepcli.core.clock import StudyCalendar, to_ms, zone_named
from prepcli.core.daysoff import DayNote
from prepcli.core.deadline import MemoryModel
from prepcli.core.errors import PrepError, UsageError
from prepcli.core.forgetting import DEFAULT_PARAMETERS
from prepcli.core.interview import InterviewPlan, InterviewPolicy
from prepcli.core.models import (
    CardState,
    Phase,
    PlanRun,
    Rating,
    ReviewKind,
    Settings,
    settings_from,
)
from prepcli.files import plan as plan_mod
from prepcli.files.deckfiles import cache_name
from prepcli.files.plan import Plan, PlanLayout, PlanStatus
from prepcli.storage.deckindex import DeckIndex, index_of, load_index
from prepcli.storage.rows import KeyGroups
from prepcli.storage.sqlitefile import run_guarded
from prepcli.storage.store import Store, open_store

if TYPE_CHECKING:
    from typing import TypeVar

    from prepcli.app.balance import LoadBalance
    from prepcli.core.cards import CardDef, DeckSet
    from prepcli.core.history import AnswerContext, CardInfo, LoggedChange, Review
    from prepcli.core.scheduler import Outcome, Scheduler

    T = TypeVar("T")


@dataclass(frozen=True)
class Locations:
    """Where a collection's files are: database, deck folders, caches, plan folders."""

    db: Path
    deck_roots: tuple[Path, ...]
    cache_dir: Path
    plan_dirs: tuple[Path, ...] = ()
    create_db_parents: bool = True


DEFAULT_PLAN = "six-week"
MORNING = timedelta(hours=5)  # sessions are assumed five hours after rollover (09:00)


@dataclass(frozen=True)
class ActivePlan:
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


@dataclass(frozen=True)
class TodaySummary:
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


@dataclass(frozen=True)
class InterviewOutlook:
    """The interview date as today's summary shows it (the recall forecast, which replays
    reviews, is `prepcli plan`'s)."""

    interview_date: str
    days_left: int
    reviews_today: int  # the planner's reviews still to do today
    early_today: int  # of which FSRS would show later
    held_back: int  # FSRS has them due, the planner shows them later (not worth it today)
    final_reviews: int  # cards whose last review before the interview is planned
    at_risk: tuple[str, ...]  # recall on the day below 90%, and no room to review them


class Study:
    def __init__(
        self,
        store: Store,
        index: DeckIndex,
        now: datetime,
        plan_dirs: tuple[Path, ...] = (),
        decks: DeckSet | Callable[[], DeckSet] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """`decks`: the loaded decks, or a function that loads them the first time a
        command needs the cards' text (counting needs only the index). `cache_dir`: where
        the day's interview plan is kept between commands (None: not kept)."""
        self.store = store
        self.cache_dir = cache_dir
        self.now = now
        self.plan_dirs = plan_dirs
        self.index = index
        self._decks = None if callable(decks) else decks
        self._load_decks = decks if callable(decks) else None
        self._states: dict[str, CardState] | None = None
        self._interview_plan: InterviewPlan | None = None  # kept across writes: see interview_plan
        self._status_memo: tuple[weakref.ref[KeyGroups], int, PlanStatus] | None = None
        self.settings: Settings = settings_from(store.settings.all())
        self.calendar = StudyCalendar(
            zone_named(self.settings.timezone), self.settings.rollover_hour
        )
        self.latest_day = store.latest_study_day() or 0
        self.today = self.study_day(now)
        store.apply_renames(self.index.renames)

    def study_day(self, moment: datetime) -> int:
        """The study day of an instant, never earlier than the latest one in the log.

        After a time-zone change westwards or a clock set back, answers join that day
        rather than reopen an earlier one, which would count one session as two days.
        """
        return max(self.calendar.day(moment), self.latest_day)

    @classmethod
    def open(cls, where: Locations, now: datetime) -> Study:
        # Decks first: a bad deck is reported before the database is even opened. While
        # no deck file changed, only their index is read; the cards when a command needs them.
        index, decks = load_index(where.deck_roots, where.cache_dir)
        cache_file = where.cache_dir / cache_name(where.deck_roots)

        def load_decks() -> DeckSet:
            from prepcli.files.decks import load_decks as load  # the validator: not for counting

            return load(where.deck_roots, cache_file)

        store = open_store(where.db, create_parents=where.create_db_parents)
        try:
            return run_guarded(
                lambda: cls(
                    store,
                    index,
                    now,
                    where.plan_dirs,
                    decks or load_decks,
                    where.cache_dir,
                ),
                where.db,
            )
        except BaseException:
            store.close()
            raise

    @property
    def decks(self) -> DeckSet:
        if self._decks is None:
            assert self._load_decks is not None, "a Study opened on an index needs a loader"
            self._decks = self._load_decks()
        return self._decks

    @cached_property
    def cards(self) -> dict[str, CardDef]:
        return self.decks.card_map()

    @cached_property
    def card_keys(self) -> frozenset[str]:
        """Every card in the decks (from the index: no card text is read)."""
        return frozenset(self.index.keys)

    def use_decks(self, decks: DeckSet) -> None:
        """Switch to freshly loaded decks (after the session's editor changed a file)."""
        self._decks = decks
        self.index = index_of(decks)
        for name in ("cards", "card_keys", "_active_plan", "default_plan_order"):
            self.__dict__.pop(name, None)
        self._interview_plan = None

    def close(self) -> None:
        self.store.close()

    @cached_property
    def scheduler(self) -> Scheduler:
        from prepcli.core.scheduler import (
            Scheduler,  # fsrs is only imported by commands that schedule
        )

        stored = (
            self.store.settings.fsrs_parameters()
        )  # personal parameters from `prepcli optimize`
        if stored is not None and not all(math.isfinite(w) for w in stored.params):
            raise PrepError(  # written by hand or by an older import: never by prepcli
                f"the FSRS parameters in {self.store.path} are not numbers; "
                "`prepcli check --fix` removes them"
            )
        parameters = Scheduler.clamp_parameters(stored.params) if stored else None
        return Scheduler(self.settings, self.calendar, parameters=parameters)

    # --- looking up ------------------------------------------------------------------

    def card(self, key: str) -> CardDef:
        if "/" not in key:
            raise UsageError(
                f"card ids look like deck/id (e.g. llm-quiz.inference/kv-cache), got {key!r}"
            )
        card = self.cards.get(key)
        if card is None:
            raise UsageError(f"no card {key!r} in the decks")
        return card

    def state_of(self, key: str) -> CardState:
        return self.store.state(key) or CardState(key=key)

    def states(self) -> dict[str, CardState]:
        """Every card's state, read once and kept until this Study writes something."""
        if self._states is None:
            self._states = self.store.states()
        return self._states

    def _changed(self) -> None:
        self._states = None
        self._status_memo = None

    def _write(self, action: Callable[[], T]) -> T:
        """Run a store write with clear errors, then forget what was read before it."""
        try:
            return run_guarded(action, self.store.path)
        finally:
            self._changed()

    def progress(self) -> DayProgress:
        answers, new, reviews, relearning = self.store.day_counts(self.today)
        return DayProgress(answers, new, reviews, relearning)

    def key_groups(self, today: int | None = None) -> KeyGroups:
        return self.store.key_groups(self.today if today is None else today)

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
        is known by key (Store.key_groups), so the queue costs little on a big collection.
        """
        moment = now or self.now
        today = self.study_day(moment)
        groups = groups or self.key_groups(today)
        progress = self.progress()
        new_limit, held_back = self._new_card_rules(today, progress, groups, ahead=ahead)
        keys = self.selected_keys(decks, tags)
        selected = self.card_keys if not (decks or tags) else frozenset(keys)
        planned = self._planned_reviews(today, selected)
        new_cards = self._new_cards(selected, groups, held_back)
        learning = [
            s
            for s in self.store.learning_states(today, to_ms(self.calendar.day_start(today + 1)))
            if s.key in selected
        ]
        new_keys = [k for k in keys if k in new_cards] if new_cards else []
        if planned is None:
            return agenda_mod.assemble_agenda(
                learning,
                [k for k in self.store.due_review_keys(today) if k in selected],
                self.store.states_of,
                new_keys,
                now_ms=to_ms(moment),
                progress=progress,
                new_per_day=new_limit,
                reviews_per_day=self.settings.reviews_per_day,
                order_new=self.new_card_order(today),
            )
        policy = self.interview_policy()
        assert policy is not None
        by_key = {state.key: state for state in planned}
        return agenda_mod.assemble_agenda(
            learning,
            [state.key for state in planned],
            lambda shown: {key: by_key[key] for key in shown},
            new_keys,
            now_ms=to_ms(moment),
            progress=progress,
            new_per_day=new_limit,
            reviews_per_day=policy.capacity,
            lapse_steps=len(self.settings.relearning_steps),
            order_new=self.new_card_order(today),
        )

    def _new_card_rules(
        self, today: int, progress: DayProgress, groups: KeyGroups, *, ahead: bool
    ) -> tuple[int, frozenset[str]]:
        """Today's new-card limit, and the cards held back for later weeks of the plan
        (unless `ahead`): at the plan's pace, none in the last days before the interview."""
        new_limit = self.settings.new_per_day
        held_back: frozenset[str] = frozenset()
        active = self.active_plan()
        if active is not None and not ahead:
            week = plan_mod.current_week(active.plan, active.run, today)
            held_back = active.layout.introduced_after(week)
            status = self._plan_status(active, groups, today)
            if status.phase == "running":
                # Today's share is fixed in the morning: cards introduced today count.
                todays_share = math.ceil(
                    (status.cards_left_so_far + progress.new_introduced) / status.days_left_in_week
                )
                new_limit = min(new_limit, todays_share)
        policy = self.interview_policy()
        cutoff = (
            None
            if policy is None
            else interview_mod.new_card_cutoff(policy, self.settings.interview_buffer)
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
        active = self.active_plan()
        if active is not None:
            week = plan_mod.current_week(active.plan, active.run, today)
            return lambda new: plan_mod.plan_order(new, active.assignment, week, active.ranks)
        weeks, ranks = self.default_plan_order
        if not weeks:
            return None
        return lambda new: plan_mod.plan_order(new, weeks, 1, ranks)

    def _planned_reviews(self, today: int, selected: frozenset[str]) -> list[CardState] | None:
        """While the interview planner runs (None otherwise): the review cards it chose for
        today that are still to do, in queue order — neither hidden nor answered today."""
        policy = self.interview_policy()
        if policy is None or today > policy.last_session_day:
            return None
        day_start_ms = to_ms(self.calendar.day_start(today))
        chosen = [key for key in self.interview_plan(today).today if key in selected]
        return sorted(
            (
                state
                for state in self.store.states_of(chosen).values()
                if state.phase == Phase.REVIEW
                and agenda_mod.visible(state, today)
                and (state.last_review_ms or 0) < day_start_ms
            ),
            key=agenda_mod.review_order,
        )

    # --- the interview date ----------------------------------------------------------

    def interview_policy(self) -> InterviewPolicy | None:
        """The planner's settings while an interview date lies ahead, else None."""
        active = self.active_plan()
        if active is None or active.run.interview_day is None:
            return None
        if self.today > active.run.interview_day:
            return None  # afterwards the normal FSRS schedule simply continues
        settings = self.settings
        return InterviewPolicy(
            interview_day=active.run.interview_day,
            capacity=settings.interview_capacity or settings.reviews_per_day,
            lead=settings.interview_lead,
            price=settings.interview_price,
            retention=settings.interview_retention,
            headroom=settings.interview_headroom,
            rest_days=tuple(
                d for d in settings.rest_days if self.today <= d <= active.run.interview_day
            ),
        )

    def interview_instant(self, policy: InterviewPolicy) -> datetime:
        """When recall counts: the interview day's morning (five hours after rollover)."""
        return self.calendar.day_start(policy.interview_day) + MORNING

    @cached_property
    def memory_model(self) -> MemoryModel:
        """FSRS-6's memory update with the parameters in use, for the interview planner
        (fsrs is imported only to clamp personal parameters from `prepcli optimize`)."""
        parameters = (
            self.scheduler.parameters
            if self.store.settings.fsrs_parameters()
            else DEFAULT_PARAMETERS
        )
        return MemoryModel(parameters, len(self.settings.relearning_steps))

    def interview_plan(self, today: int | None = None) -> InterviewPlan:
        """The interview planner's choice for a study day, made from the review cards'
        states when the day began. Answers do not change how the day began, so it is kept
        for the rest of this Study's life and, in the cache folder, for the rest of the
        day (storage/plancache.py)."""
        day = self.today if today is None else today
        if self._interview_plan is not None and self._interview_plan.day == day:
            return self._interview_plan
        policy = self.interview_policy()
        if policy is None or day > policy.last_session_day:
            return interview_mod.empty_plan(day)
        from prepcli.storage import plancache

        day_start_ms = to_ms(self.calendar.day_start(day))
        key = (
            plancache.code_tag(),
            day,
            policy,
            self.memory_model.w,
            self.memory_model.relearning_steps,
            self.index.stamps,
            self.store.plan_inputs_stamp(day, day_start_ms),
        )
        cache = (
            None
            if self.cache_dir is None
            else plancache.plan_cache_file(self.cache_dir, self.store.path)
        )
        plan = None if cache is None else plancache.load_plan(cache, key)
        if plan is None:
            plan = self._make_interview_plan(day, policy)
            if cache is not None:
                plancache.save_plan(cache, key, plan)
        self._interview_plan = plan
        return plan

    def _make_interview_plan(self, day: int, policy: InterviewPolicy) -> InterviewPlan:
        in_decks = self.card_keys
        interview_ms = to_ms(self.interview_instant(policy))
        cards = [
            interview_mod.memory_of(
                key, stability, difficulty, last_ms, self.calendar, interview_ms
            )
            for key, stability, difficulty, last_ms in self.store.reviews_at_start(day)
            if key in in_decks
        ]
        return interview_mod.plan_interview(cards, policy, day, self.memory_model)

    # --- plans -----------------------------------------------------------------------

    def plan_path(self, plan_id: str) -> Path:
        """The file of a plan, by file name or else by its `plan:` field."""
        for folder in self.plan_dirs:
            for path in plan_mod.plan_files(folder):
                if path.stem == plan_id:
                    return path
        for folder in self.plan_dirs:
            for path in plan_mod.plan_files(folder):
                try:
                    plan = plan_mod.load_plan(path, self.decks)
                except PrepError:
                    continue  # another plan's problems are reported when it is asked for
                if plan.id == plan_id:
                    return path
        known = sorted(p.stem for folder in self.plan_dirs for p in plan_mod.plan_files(folder))
        raise UsageError(f"no plan {plan_id!r} (known: {', '.join(known) or 'none'})")

    def find_plan(self, plan_id: str) -> Plan:
        """Load a plan by id (its `plan:` field or file name) from the plan folders."""
        return plan_mod.load_plan(self.plan_path(plan_id), self.decks)

    def plan_layout(self, plan_id: str) -> PlanLayout:
        """The plan with its cards' weeks and order, from the deck index while neither the
        decks nor the plan file changed (working it out reads every card)."""
        path = self.plan_path(plan_id)

        return self.index.layout(
            path, lambda: PlanLayout.build(plan_mod.load_plan(path, self.decks), self.decks)
        )

    @cached_property
    def _active_plan(self) -> ActivePlan | None:
        found = self.store.plans.active()
        if found is None:
            return None
        run_id, run = found
        return ActivePlan(run_id, run, self.plan_layout(run.plan_id))

    def active_plan(self) -> ActivePlan | None:
        return self._active_plan

    def forget_cached_plan(self) -> None:
        self.__dict__.pop("_active_plan", None)
        self._status_memo = None
        self._interview_plan = None

    @cached_property
    def default_plan_order(self) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
        """The bundled plan's weeks and streams, for ordering before any plan is started
        (read once per Study: the review session asks for it after every answer)."""
        try:
            layout = self.plan_layout(DEFAULT_PLAN)
        except PrepError:
            return {}, {}  # other decks than the plan names: keep the decks' own order
        return layout.assignment, layout.ranks

    def plan_status(self, groups: KeyGroups | None = None) -> PlanStatus | None:
        active = self.active_plan()
        if active is None:
            return None
        status = self._plan_status(active, groups or self.key_groups(), self.today)
        policy = self.interview_policy()
        cutoff = (
            None
            if policy is None
            else interview_mod.new_card_cutoff(policy, self.settings.interview_buffer)
        )
        if cutoff is not None and self.today > cutoff:
            status = replace(status, new_cards_stopped=True)
        return status

    def _plan_status(self, active: ActivePlan, groups: KeyGroups, today: int) -> PlanStatus:
        # The queue's pace and today's summary both ask, with the same groups: work it once.
        # (A weak reference: holding 20,000 keys until the next write would make that
        # write pay for freeing them.)
        memo = self._status_memo
        if memo is not None and memo[0]() is groups and memo[1] == today:
            return memo[2]
        status = self._plan_status_now(active, groups, today)
        self._status_memo = (weakref.ref(groups), today, status)
        return status

    def _plan_status_now(self, active: ActivePlan, groups: KeyGroups, today: int) -> PlanStatus:
        return plan_mod.plan_status(
            active.plan,
            active.run,
            active.layout.cards_by_week(),
            groups.studied,
            groups.learning,
            self.store.plans.done_tasks(active.run_id),
            today,
        )

    def start_plan(self, plan_id: str, start_day: int, interview_day: int | None) -> ActivePlan:
        plan = self.find_plan(plan_id)
        if interview_day is not None and interview_day < start_day:
            raise UsageError("the interview date is before the plan's start")
        run = PlanRun(plan.id, start_day, interview_day)
        self._write(lambda: self.store.plans.start(run, to_ms(self.now)))
        self.forget_cached_plan()
        active = self.active_plan()
        assert active is not None
        return active

    def require_plan(self) -> ActivePlan:
        active = self.active_plan()
        if active is None:
            raise PrepError("no plan started yet (`prepcli plan start --interview YYYY-MM-DD`)")
        return active

    def set_interview(self, day: int | None) -> None:
        active = self.require_plan()
        if day is not None and day < self.today:
            raise UsageError("the interview date is in the past")
        self._write(lambda: self.store.plans.set_interview_day(active.run_id, day))
        self.forget_cached_plan()

    def mark_task(self, task_id: str, done: bool) -> bool:
        active = self.require_plan()
        if active.plan.task(task_id) is None:
            known = ", ".join(t.id for w in active.plan.weeks for t in w.tasks)
            raise UsageError(f"no task {task_id!r} in plan {active.plan.id!r} (tasks: {known})")
        return self._write(
            lambda: self.store.plans.mark_task(active.run_id, task_id, done, to_ms(self.now))
        )

    def selection(self, decks: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> list[CardDef]:
        self._check_decks(decks)
        deck_tags = {d.id: d.tags for d in self.decks.decks}
        return agenda_mod.select_cards(self.decks.cards(), decks, tags, deck_tags)

    def selected_keys(self, decks: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> list[str]:
        """The keys of `selection`; without tags, from the index alone."""
        if tags:
            return [card.key for card in self.selection(decks, tags)]
        self._check_decks(decks)
        if not decks:
            return list(self.index.keys)
        return [
            key
            for key in self.index.keys
            if any(key.startswith(d + "/") or key.startswith(d + ".") for d in decks)
        ]

    def _check_decks(self, decks: tuple[str, ...]) -> None:
        known_decks = self.index.deck_ids
        for deck in decks:
            if deck not in known_decks and not any(k.startswith(deck + ".") for k in known_decks):
                raise UsageError(f"no deck {deck!r} (see `prepcli deck list`)")

    def current_streak(self) -> int:
        """Days with answers in the current run, by the rule `prepcli stats` uses: a day
        without answers breaks the run only if something was due on it, and today does not
        break it before it is over. The days with answers come from one query; only the
        days between them are looked at one by one."""
        answered = self.store.days_answered(self.today)
        if not answered:
            return 0
        days = set(answered)
        rest = days_off(self.store, self.settings)  # days off never break it
        streak = 0
        for day in range(self.today, answered[-1] - 1, -1):
            if day in days:
                streak += 1
            elif day != self.today and day not in rest and self.store.something_due_on(day):
                break
        return streak

    def summary(self) -> TodaySummary:
        """Today's numbers, the queue's counts without building it: SQLite counts the due
        cards and the new ones are counted by key (tests check both against `agenda`)."""
        today = self.today
        groups = self.key_groups(today)
        progress = self.progress()
        new_limit, held_back = self._new_card_rules(today, progress, groups, ahead=False)
        in_decks = self.card_keys
        gone = groups.outside(in_decks)
        unseen = len(self._new_cards(in_decks, groups, held_back))
        reviews_due, learning_due, learning_later = self.store.due_counts(
            today, to_ms(self.now), to_ms(self.calendar.day_start(today + 1)), leaving_out=gone
        )
        planned = self._planned_reviews(today, in_decks)
        fsrs_due = reviews_due
        if planned is not None:
            reviews_due = len(planned)
        suspended, leeches, due_tomorrow = self.store.flag_counts(today, leaving_out=gone)
        return TodaySummary(
            study_date=self.calendar.date_of(today).isoformat(),
            due_reviews=reviews_due,
            review_limit_left=max(0, self.settings.reviews_per_day - progress.reviews_answered),
            learning_due=learning_due,
            learning_later=learning_later,
            new_today=min(unseen, max(0, new_limit - progress.new_introduced)),
            new_unseen=unseen,
            answers_today=progress.answers,
            minutes_today=self.store.durations_on(today) / 60_000,
            streak=self.current_streak(),
            decks=len(self.index.deck_ids),
            cards=len(self.index.keys),
            suspended=suspended,
            leeches=leeches,
            due_tomorrow=due_tomorrow,
            plan=self.plan_status(groups),
            interview=self.interview_outlook(planned or [], fsrs_due),
            day=today_note(self.store, self.settings, today, self.planned_interview_day()),
        )

    def planned_interview_day(self) -> int | None:
        """The active plan's interview day (past or ahead), if it has one."""
        active = self.active_plan()
        return None if active is None else active.run.interview_day

    def interview_outlook(
        self, planned: Sequence[CardState], fsrs_due: int
    ) -> InterviewOutlook | None:
        """The countdown, with the planner's reviews still to do today (`planned`) and the
        number of review cards FSRS has due today (`fsrs_due`)."""
        policy = self.interview_policy()
        if policy is None:
            return None
        plan = self.interview_plan()
        early = sum(1 for state in planned if (state.due_day or 0) > self.today)
        return InterviewOutlook(
            interview_date=self.calendar.date_of(policy.interview_day).isoformat(),
            days_left=policy.interview_day - self.today,
            reviews_today=len(planned),
            early_today=early,
            # After the last session the planner holds nothing back: FSRS's due stand.
            held_back=0
            if self.today > policy.last_session_day
            else max(0, fsrs_due - (len(planned) - early)),
            final_reviews=len(plan.final_day),
            at_risk=plan.at_risk,
        )

    # --- answering -------------------------------------------------------------------

    @cached_property
    def balance(self) -> LoadBalance:
        """The load on the days ahead, for the load balancer (app/balance.py)."""
        from prepcli.app.balance import LoadBalance

        return LoadBalance(self.store, self.settings)

    def outcomes(self, key: str, now: datetime | None = None) -> dict[Rating, Outcome]:
        moment = now or self.now
        state = self.state_of(key)
        loads = self.balance.loads_for(state, self.study_day(moment))
        return self.scheduler.outcomes(state, moment, loads)

    def answer(
        self, key: str, rating: Rating, now: datetime | None = None, duration_ms: int | None = None
    ) -> tuple[CardState, Outcome]:
        from prepcli.core.history import LoggedChange

        moment = now or self.now
        chosen: list[Outcome] = []
        day = self.study_day(moment)
        reason = self.interview_plan(day).reason(key) if self.interview_policy() else None
        day_start_ms = to_ms(self.calendar.day_start(day))

        def decide(before: CardState) -> LoggedChange:
            loads = self.balance.loads_for(before, day)
            outcome = self.scheduler.answer(before, rating, moment, loads)
            chosen.append(outcome)
            planned = before.phase == Phase.REVIEW and (before.last_review_ms or 0) < day_start_ms
            return LoggedChange(
                after=outcome.after,
                rating=int(rating),
                kind=outcome.kind,
                elapsed_days=outcome.elapsed_days,
                scheduled_days=outcome.scheduled_days,
                r_predicted=outcome.r_predicted,
                reason=reason if planned else None,  # why the planner showed it today
            )

        before, _change, _id = self._write(
            lambda: self.store.change(key, decide, self._context(moment, duration_ms))
        )
        self.balance.moved(before, chosen[0].after)
        return before, chosen[0]

    def forget(self, key: str) -> CardState:
        from prepcli.core.history import LoggedChange

        def decide(before: CardState) -> LoggedChange:
            fresh = CardState(key=key, card_id=before.card_id, suspended=before.suspended)
            return LoggedChange(after=fresh, rating=0, kind=ReviewKind.MANUAL)

        _before, change, _id = self._write(
            lambda: self.store.change(key, decide, self._context(self.now, None))
        )
        return change.after

    def undo(self) -> Review | None:
        return self._write(self.store.undo_last)

    def set_suspended(self, key: str, suspended: bool) -> CardState:
        return self._write(lambda: self.store.set_flags(key, to_ms(self.now), suspended=suspended))

    def bury(self, key: str, now: datetime | None = None) -> CardState:
        day = self.study_day(now or self.now)
        return self._write(
            lambda: self.store.set_flags(key, to_ms(self.now), buried_until_day=day + 1)
        )

    def info(self, key: str) -> CardInfo:
        from prepcli.core.history import CardInfo

        card = self.cards.get(key)
        state = self.state_of(key)
        if card is None and state.card_id == 0:
            self.card(key)  # raises the usual "no card" error
        return CardInfo(
            card=card,
            state=state,
            retrievability=self.scheduler.retrievability(state, self.now),
            history=self.store.history(key),
        )

    def _context(self, moment: datetime, duration_ms: int | None) -> AnswerContext:
        from prepcli.core.history import AnswerContext

        if duration_ms is not None and duration_ms < 0:
            raise UsageError("a duration cannot be negative")
        self.latest_day = self.study_day(moment)  # the day this answer is about to log
        return AnswerContext(
            reviewed_ms=to_ms(moment),
            study_day=self.latest_day,
            tz_offset_min=self.calendar.offset_minutes(moment),
            duration_ms=None if duration_ms is None else min(duration_ms, 3_600_000),
            desired_retention=self.settings.desired_retention,
        )
