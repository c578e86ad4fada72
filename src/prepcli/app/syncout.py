"""This device's new events, found in its own tables at sync time.

Nothing on the answering path writes to the sync tables: answering a card costs what it
cost before. Instead each sync compares the tables with what the last sync left (the
review rows past a mark, the merged view of flags, plans, settings and parameters) and
turns every difference into an event:

- review rows past the mark: answers and forgets (or rows an import --merge wrote again:
  linked back to their events);
- a review row gone whose event is this device's and whose card is still there: an undo
  (`undo` removes one row; nothing else does while the card stays);
- a review row gone otherwise (its card deleted here, `deck orphans --delete`): restored,
  since the other devices still have it: only `undo` takes an answer out of the history;
- flags, plan runs, interview dates, ticks, settings and parameter sets that differ from
  the merged view. Their time is when they happened where the tables record it (an
  answer, a tick, a card's last change, a fit), else the sync's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prepcli.app.syncmerge import LOCAL_SETTINGS
from prepcli.core import syncevents
from prepcli.core.syncevents import Answer, Event
from prepcli.storage import syncdb, syncrows

if TYPE_CHECKING:
    from prepcli.storage.store import Store


@dataclass
class Outgoing:
    events: int = 0
    replay: set[str] = field(default_factory=set)  # cards to replay in this sync
    undone: int = 0
    restored: int = 0
    #: the answers' lines as found (id → line, prev, rules), kept in memory for writing them
    #: right after the merge; written later, a line is made again from its review row
    lines: dict[str, tuple[str, int | None, int | None]] = field(default_factory=dict)


def answer_of(row: syncrows.ReviewRow, prev: int | None, rules: int | None) -> Answer:
    return Answer(
        rating=row.rating,
        study_day=row.study_day,
        tz_offset_min=row.tz_offset_min,
        duration_ms=row.duration_ms,
        desired_retention=row.desired_retention,
        reason=row.reason,
        kind=row.kind,
        elapsed_days=row.elapsed_days,
        scheduled_days=row.scheduled_days,
        r_predicted=row.r_predicted,
        after=row.after,
        prev=prev,
        rules=rules,
    )


class Deriver:
    def __init__(self, store: Store, me: syncdb.Device, now_ms: int, rules: int | None) -> None:
        """`rules`: the fingerprint this device's answers were computed with, or None
        when its rules changed since the last sync (receivers then replay them)."""
        self.store = store
        self.me = me
        self.now_ms = now_ms
        self.rules = rules
        self.seq = me.next_seq
        self.rows: list[tuple[Any, ...]] = []
        self.out = Outgoing()

    def derive(self) -> Outgoing:
        self._settings()
        self._parameters()
        self._plans()
        self._flags()
        self._answers()
        syncdb.add_events(self.store, self.rows)
        syncdb.set_device(self.store, next_seq=self.seq)
        self.out.events = len(self.rows)
        return self.out

    def _emit(
        self,
        kind: str,
        at_ms: int,
        card: str | None = None,
        answer: Answer | None = None,
        data: dict[str, Any] | None = None,
        review_id: int | None = None,
    ) -> Event:
        identifier = syncevents.event_id(self.me.device, self.seq)
        made = Event(identifier, self.me.device, self.seq, at_ms, kind, card, answer, data)
        self.seq += 1
        if answer is not None:  # recorded without its line: see Outgoing.lines
            prev, rules, line = answer.prev, answer.rules, None
            self.out.lines[identifier] = (syncevents.encode(made), prev, rules)
        else:
            prev, rules, line = None, None, syncevents.encode(made)
        self.rows.append(
            (
                identifier,
                self.me.device,
                made.seq,
                at_ms,
                kind,
                card,
                review_id,
                prev,
                rules,
                line,
                None,
                None,
            )
        )
        return made

    # --- settings and parameters -----------------------------------------------------------

    def _settings(self) -> None:
        here = {
            name: value
            for name, value in syncrows.raw_settings(self.store).items()
            if name not in LOCAL_SETTINGS and not name.startswith("(")
        }
        merged = syncrows.setting_views(self.store)
        for name in sorted(set(here) | set(merged)):
            value = here.get(name)
            if value == merged.get(name):
                continue
            self._emit(
                "setting",
                self.now_ms,
                data={"name": name, "value": None if value is None else json.loads(value)},
            )
            syncrows.put_setting_view(self.store, name, value)

    def _parameters(self) -> None:
        linked = syncrows.parameter_links(self.store)
        for params_id, created, params, items, log_loss, rmse, source in syncrows.parameter_rows(
            self.store
        ):
            if params_id in linked:
                continue
            made = self._emit(
                "parameters",
                created,
                data={
                    "params": json.loads(params),
                    "created": syncevents.iso_ms(created),
                    "n_items": items,
                    "log_loss": log_loss,
                    "rmse_bins": rmse,
                    "source": source,
                },
            )
            syncrows.link_parameters(self.store, params_id, made.id)

    # --- plans -----------------------------------------------------------------------------

    def _plans(self) -> None:
        links = syncrows.plan_links(self.store)
        runs = syncrows.plan_runs(self.store)
        events_of: dict[int, str] = {run: ev for run, (ev, _day) in links.items()}
        for run_id, plan, start, interview, started_ms, _active in runs:
            if run_id in links:
                if links[run_id][1] != interview:
                    self._emit(
                        "interview",
                        self.now_ms,
                        data={"run": links[run_id][0], "interview": _date(interview)},
                    )
                    syncrows.link_plan(self.store, run_id, links[run_id][0], interview)
                continue
            made = self._emit(
                "plan",
                started_ms,
                data={"plan": plan, "start": _date(start), "interview": _date(interview)},
            )
            syncrows.link_plan(self.store, run_id, made.id, interview)
            events_of[run_id] = made.id
        done = syncrows.tasks_done(self.store)
        views = syncrows.task_views(self.store)
        for (run_id, task), done_ms in sorted(done.items()):
            run_event = events_of.get(run_id)
            if run_event is not None and not views.get((run_event, task), False):
                self._emit("task", done_ms, data={"run": run_event, "task": task, "done": True})
                syncrows.put_task_view(self.store, run_event, task, True)
        runs_of = {ev: run for run, ev in events_of.items()}
        unticked = set()
        for noted in syncdb.touched(self.store, "untick"):
            run_text, _tab, task = noted.partition("\t")
            if run_text.isdigit() and int(run_text) in events_of:
                unticked.add((events_of[int(run_text)], task))
        for (run_event, task), was_done in sorted(
            views.items() | dict.fromkeys(unticked, False).items()
        ):
            found = runs_of.get(run_event)
            taken_back = was_done or (run_event, task) in unticked  # ticked and unticked since
            if taken_back and found is not None and (found, task) not in done:
                self._emit(
                    "task", self.now_ms, data={"run": run_event, "task": task, "done": False}
                )
                syncrows.put_task_view(self.store, run_event, task, False)

    # --- flags -----------------------------------------------------------------------------

    def _flags(self) -> None:
        changed = []
        found = syncrows.flag_changes(self.store)
        for key, suspended, buried, was_suspended, was_buried, modified in found:
            if suspended != was_suspended:
                self._emit("suspend", modified, card=key, data={"suspended": suspended})
            if buried != was_buried:
                self._emit("bury", modified, card=key, data={"until": _date(buried)})
            changed.append((key, suspended, buried))
        # Suspended and unsuspended since the last sync: the later choice is still news.
        round_trips = sorted(set(syncdb.touched(self.store, "flags")) - {c[0] for c in found})
        for key, row in syncrows.card_rows(self.store, round_trips).items():
            self._emit("suspend", row.modified_ms, card=key, data={"suspended": row.suspended})
        syncrows.put_flag_views(self.store, changed)

    # --- answers ---------------------------------------------------------------------------

    def _answers(self) -> None:
        mark = self.me.review_mark
        missing = []
        if syncdb.linked_count(self.store) != syncrows.review_count_up_to(self.store, mark):
            missing = syncdb.linked_missing(self.store)
        new_rows = syncrows.review_rows_after(self.store, mark)
        keys = sorted({row.key for row in new_rows} | {m.card for m in missing if m.card})
        views = {
            key: (found[0], found[1])
            for key, found in syncrows.sync_cards(self.store, keys).items()
        }
        # Rows an import --merge deleted and wrote again: their events get them back.
        gone = {(m.card, m.at_ms): m for m in missing}
        fresh = []
        for row in new_rows:
            before = gone.pop((row.key, row.reviewed_ms), None)
            if before is None:
                fresh.append(row)
            else:
                syncdb.link(self.store, [(row.id, before.id)])
                self.out.replay.add(row.key)  # the import replayed it: make it the merge's
        touched = self._removed(list(gone.values()), views)
        for row in fresh:
            digest, latest = views.get(row.key, (0, None))
            answer = answer_of(row, digest, self.rules)
            made = self._emit(
                "forget" if row.rating == 0 else "answer",
                row.reviewed_ms,
                card=row.key,
                answer=answer,
                review_id=row.id,
            )
            if latest is not None and row.reviewed_ms < latest:
                self.out.replay.add(row.key)  # given after a later answer from elsewhere
            views[row.key] = (
                digest ^ syncevents.event_hash(made.id),
                row.reviewed_ms if latest is None else max(latest, row.reviewed_ms),
            )
            touched.add(row.key)
        syncrows.put_card_views(self.store, [(key, *views[key]) for key in sorted(touched)])

    def _removed(
        self, missing: list[syncdb.StoredEvent], views: dict[str, tuple[int, int | None]]
    ) -> set[str]:
        """Events whose review row is gone: this device's undos, or rows to restore.
        Returns the cards whose digest changed."""
        touched = set()
        cards = syncrows.card_rows(self.store, sorted({m.card for m in missing if m.card}))
        for item in sorted(missing, key=lambda m: m.seq):
            assert item.card is not None
            if item.device == self.me.device and item.card in cards:
                digest, _latest = views.get(item.card, (0, None))
                undo = self._emit("undo", self.now_ms, data={"target": item.id})
                syncdb.add_undo(self.store, item.id, undo.id)
                syncdb.set_dead(self.store, item.id, 1)
                latest = syncdb.latest_live(self.store, item.card)
                if latest is not None and item.at_ms < latest:
                    self.out.replay.add(item.card)  # not the card's last answer
                views[item.card] = (digest ^ syncevents.event_hash(item.id), latest)
                touched.add(item.card)
                self.out.undone += 1
            else:
                syncdb.link(self.store, [(None, item.id)])
                self.out.replay.add(item.card)
                self.out.restored += 1
        return touched


def _date(day: int | None) -> str | None:
    return None if day is None else syncevents.iso_day(day)
