"""A sync's changes to cards: each card's review rows, state and flags made to equal the
merge of its events (app/syncmerge.py), inside the sync's transaction.

A card's incoming answers are taken as their device computed them (fast-forward) when
that device had seen exactly the events this database has for the card (the answer's
`prev` digest equals the card's), with the same scheduling rules, and the answer is not
older than any of them: replaying would give the same state, so the work is skipped.
Otherwise (the same card answered on two devices before they synced, an undo, a change
of rules) the card's live answers are replayed in time order with the scheduler and its
review rows written again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.app import syncin, syncmerge
from prepcli.app.syncmerge import Change, Logged, Rules
from prepcli.core import syncevents, syncread
from prepcli.core.syncevents import Event
from prepcli.storage import syncdb, synclog, syncrows

if TYPE_CHECKING:
    from prepcli.storage.store import Store


@dataclass
class CardOutcome:
    changed: set[str] = field(default_factory=set)
    replayed: set[str] = field(default_factory=set)
    concurrent: set[str] = field(default_factory=set)  # answered on two devices unseen
    rows_written: int = 0
    lost: list[str] = field(default_factory=list)  # events whose facts could not be read


class CardMerge:
    """Applies card events within one transaction: fast-forwards, replays, flags."""

    def __init__(self, store: Store, rules: Rules, folder: Path | None, now_ms: int) -> None:
        self.store = store
        self.rules = rules
        self.folder = folder
        self.now_ms = now_ms
        self.incoming: dict[str, Event] = {}  # facts of events not yet in the review log
        self.outcome = CardOutcome()
        self._paths: dict[int, str] | None = None

    # --- incoming answers ------------------------------------------------------------------

    def apply(
        self,
        by_card: dict[str, list[Event]],
        replay: set[str],
        flagged: set[str],
        locations: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        """Take each card's new answers (fast-forward or replay) and record them (read at
        `locations`: file, offset), replay the `replay` cards (undos, changed rules), and
        work out again the flags of the `flagged` cards."""
        self.locations = locations or {}
        for events in by_card.values():
            for item in events:
                self.incoming[item.id] = item
        keys = sorted(set(by_card) | replay | flagged)
        views = syncrows.sync_cards(self.store, keys)
        rows = syncrows.card_rows(self.store, keys)
        fingerprint = self.rules.fingerprint
        updated_views = {}
        taken = {}
        for key in sorted(by_card):
            if key in replay:
                continue
            digest, latest, *_ = views.get(key, (0, None, False, None))
            chain = self._chains(by_card[key], digest, latest, fingerprint)
            if chain is None:
                replay.add(key)
                devices = {item.device for item in by_card[key]}
                if digest != 0 or len(devices) > 1:
                    self.outcome.concurrent.add(key)
            else:
                taken[key] = chain[0]
                updated_views[key] = chain[1:]
        self._fast_forward(taken, rows)
        self._record(
            [(item, None) for key in sorted(replay) for item in by_card.get(key, [])]
        )  # the replay reads them with the card's other events
        for key in sorted(replay):
            updated_views[key] = self._replay(key, rows.get(key))
        with_flags = syncdb.cards_with_flag_events(self.store)
        final = []
        for key in keys:
            digest, latest = updated_views.get(key, views.get(key, (0, None))[:2])
            flags = self._flags(key, latest) if key in with_flags else (False, None)
            row = rows.get(key)
            if key in updated_views:  # the flags the card row was just written with
                held = (
                    (row.suspended, None if key not in replay else row.buried_until_day)
                    if row
                    else (False, None)
                )
            else:
                held = (row.suspended, row.buried_until_day) if row else (False, None)
            if flags != held:
                syncrows.set_flags(self.store, key, *flags, self.now_ms)
                self.outcome.changed.add(key)
            final.append((key, digest, latest, *flags))
        syncrows.put_sync_cards(self.store, final)

    def _chains(
        self, events: list[Event], digest: int, latest: int | None, fingerprint: int
    ) -> tuple[list[Event], int, int | None] | None:
        """The events in order and the card's digest and latest time after them, if each
        chains onto the card as this database has it (see the module's docstring); None
        when the card must be replayed instead."""
        ordered = sorted(events, key=lambda item: (item.at_ms, item.id))
        chained = digest
        newest = latest
        for item in ordered:
            answer = item.answer
            assert answer is not None
            if (
                answer.prev != chained
                or answer.rules != fingerprint
                or (newest is not None and item.at_ms < newest)
            ):
                return None
            chained ^= syncevents.event_hash(item.id)
            newest = item.at_ms
        return ordered, chained, newest

    def _fast_forward(
        self, taken: dict[str, list[Event]], rows: dict[str, syncrows.CardRow]
    ) -> None:
        """Write the cards' rows as their events say, a statement for all of them: the
        new cards' rows, the review rows (numbered here, so that each event can be linked
        to its row in the same pass) and the cards' final states."""
        new_cards = []
        updates = []
        for key, ordered in taken.items():
            answer = ordered[-1].answer
            assert answer is not None
            row = rows.get(key)
            if row is None:
                new_cards.append((key, answer.after, ordered[-1].at_ms))
            else:  # an answer ends a bury (as answering a buried card does)
                updates.append((answer.after, row.suspended, None, ordered[-1].at_ms, row.id))
        ids = syncrows.add_cards(self.store, new_cards)
        syncrows.put_states(self.store, updates)
        for key, row in rows.items():
            ids[key] = row.id
        values = []
        recorded = []  # the events' rows, each linked to its review row
        review_id = syncrows.next_review_id(self.store)
        for key, ordered in taken.items():
            row = rows.get(key)
            state = row.state if row is not None else syncmerge.NEW_STATE
            for item in ordered:
                answer = item.answer
                assert answer is not None
                values.append(
                    (
                        review_id,
                        ids[key],
                        item.at_ms,
                        answer.study_day,
                        answer.tz_offset_min,
                        answer.rating,
                        answer.kind,
                        answer.duration_ms,
                        answer.elapsed_days,
                        answer.scheduled_days,
                        answer.r_predicted,
                        answer.desired_retention,
                        answer.reason,
                        *state,
                        *answer.after,
                    )
                )
                recorded.append(self._event_row(item, review_id))
                review_id += 1
                state = answer.after
        syncrows.add_reviews(self.store, values)
        syncdb.add_events(self.store, recorded)
        self.outcome.rows_written += len(values)
        self.outcome.changed.update(taken)

    def _record(self, events: list[tuple[Event, int | None]]) -> None:
        """Record incoming answers, each with its review row (None: none yet)."""
        syncdb.add_events(self.store, (self._event_row(item, review) for item, review in events))

    def _event_row(self, item: Event, review: int | None) -> tuple[object, ...]:
        return syncin.event_row(item, review, *self.locations.get(item.id, (None, None)))

    # --- replay ----------------------------------------------------------------------------

    def replay_all(self, keys: set[str]) -> None:
        """Replay cards outside an incoming batch (a change of rules made here)."""
        self.apply({}, set(keys), set())

    def _replay(self, key: str, row: syncrows.CardRow | None) -> tuple[int, int | None]:
        """Write a card's review rows and state again from its live events."""
        live = syncdb.live_log(self.store, key)
        facts = self._facts(live)
        logged = [facts[item.id] for item in live if item.id in facts]
        ordered, duplicates = syncmerge.order(logged)
        for identifier in duplicates:
            syncdb.set_dead(self.store, identifier, 2)
        syncdb.unchain(self.store, [e.id for e in live if e.file is None and e.prev is not None])
        replayed = syncmerge.replay(key, ordered, self.rules)
        state = replayed[-1].after if replayed else syncmerge.NEW_STATE
        suspended = row.suspended if row is not None else False
        buried = row.buried_until_day if row is not None else None
        card_id = syncrows.write_card(self.store, key, state, suspended, buried, self.now_ms)
        syncdb.link(self.store, [(None, item.id) for item in live])
        syncrows.delete_reviews_of(self.store, card_id)
        links = []
        digest = 0
        for made in replayed:
            item = made.logged
            values = (
                card_id,
                item.at_ms,
                item.study_day,
                item.tz_offset_min,
                item.rating,
                made.kind,
                item.duration_ms,
                made.elapsed_days,
                made.scheduled_days,
                made.r_predicted,
                item.desired_retention,
                item.reason,
                *made.before,
                *made.after,
            )
            links.append((syncrows.add_review(self.store, values), item.event))
            digest ^= syncevents.event_hash(item.event)
        syncdb.link(self.store, links)
        self.outcome.rows_written += len(links)
        self.outcome.changed.add(key)
        self.outcome.replayed.add(key)
        return digest, (ordered[-1].at_ms if ordered else None)

    def _facts(self, live: list[syncdb.StoredEvent]) -> dict[str, Logged]:
        """What replay needs of each live event: from its review row, from this sync's
        incoming events, from the line kept for an event not yet written, or else from
        its line in the folder."""
        found: dict[str, Logged] = {}
        rows = syncrows.review_rows(
            self.store, [item.review_id for item in live if item.review_id is not None]
        )
        for item in live:
            if item.review_id is not None and item.review_id in rows:
                row = rows[item.review_id]
                found[item.id] = Logged(
                    item.id,
                    row.reviewed_ms,
                    row.rating,
                    row.study_day,
                    row.tz_offset_min,
                    row.duration_ms,
                    row.desired_retention,
                    row.reason,
                    row.after,
                    row.scheduled_days,
                )
                continue
            event = self.incoming.get(item.id) or self._read_back(item)
            if event is None or event.answer is None:
                self.outcome.lost.append(item.id)
                continue
            answer = event.answer
            found[item.id] = Logged(
                item.id,
                event.at_ms,
                answer.rating,
                answer.study_day,
                answer.tz_offset_min,
                answer.duration_ms,
                answer.desired_retention,
                answer.reason,
                tuple(answer.after),
                answer.scheduled_days,
            )
        return found

    def _read_back(self, item: syncdb.StoredEvent) -> Event | None:
        if item.data is not None:
            return syncread.decode(json.loads(item.data))
        if item.file is None or item.pos is None or self.folder is None:
            return None
        if self._paths is None:
            self._paths = {c.id: c.path for c in syncdb.cursors(self.store).values()}
        path = self._paths.get(item.file)
        if path is None:
            return None
        found = synclog.read_line_at(self.folder, path, item.pos)
        return found if found is not None and found.id == item.id else None

    # --- flags -----------------------------------------------------------------------------

    def _flags(self, key: str, latest: int | None) -> tuple[bool, int | None]:
        suspends: list[Change] = []
        buries: list[Change] = []
        for item in syncdb.flag_events(self.store, key):
            data = json.loads(item.data) if item.data else {}
            if item.type == "suspend":
                suspends.append(Change(item.id, item.device, item.at_ms, data.get("suspended")))
            else:
                buries.append(Change(item.id, item.device, item.at_ms, data.get("until")))
        return syncmerge.flags(suspends, buries, latest)
