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
from typing import TYPE_CHECKING, Any

from prepcli.app import syncmerge
from prepcli.app.syncmerge import Change, Logged, Rules
from prepcli.core import syncevents
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

    def apply(self, by_card: dict[str, list[Event]], replay: set[str], flagged: set[str]) -> None:
        """Take each card's new answers (fast-forward or replay), replay the `replay` cards
        (undos, changed rules), and work out again the flags of the `flagged` cards."""
        for events in by_card.values():
            for item in events:
                self.incoming[item.id] = item
        keys = sorted(set(by_card) | replay | flagged)
        views = syncrows.sync_cards(self.store, keys)
        rows = syncrows.card_rows(self.store, keys)
        fingerprint = self.rules.fingerprint
        updated_views = {}
        for key in sorted(by_card):
            if key in replay:
                continue
            digest, latest, *_ = views.get(key, (0, None, False, None))
            taken = self._fast_forward(
                key, by_card[key], digest, latest, fingerprint, rows.get(key)
            )
            if taken is None:
                replay.add(key)
                devices = {item.device for item in by_card[key]}
                if digest != 0 or len(devices) > 1:
                    self.outcome.concurrent.add(key)
            else:
                updated_views[key] = taken
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

    def _fast_forward(
        self,
        key: str,
        events: list[Event],
        digest: int,
        latest: int | None,
        fingerprint: int,
        row: syncrows.CardRow | None,
    ) -> tuple[int, int | None] | None:
        """Write the events' own states if they chain onto this card's; None when the
        card must be replayed instead (nothing written then)."""
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
        state = row.state if row is not None else syncmerge.NEW_STATE
        card_id = self._card_id(key, row, state)
        links = []
        for item in ordered:
            answer = item.answer
            assert answer is not None
            values = (
                card_id,
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
            links.append((syncrows.add_review(self.store, values), item.id))
            state = answer.after
        syncdb.link(self.store, links)
        suspended = row.suspended if row is not None else False
        syncrows.write_card(self.store, key, state, suspended, None, ordered[-1].at_ms)
        self.outcome.rows_written += len(links)
        self.outcome.changed.add(key)
        return chained, newest

    def _card_id(self, key: str, row: syncrows.CardRow | None, state: tuple[Any, ...]) -> int:
        if row is not None:
            return row.id
        return syncrows.write_card(self.store, key, state, False, None, self.now_ms)

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
            )
        return found

    def _read_back(self, item: syncdb.StoredEvent) -> Event | None:
        if item.data is not None:
            return syncevents.decode(json.loads(item.data))
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
