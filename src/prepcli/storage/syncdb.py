"""The SQL of sync (tables of migration 8): this device, the folder's files read so far,
every event applied, and the merged view of each card, plan, setting and parameter set
that the next sync compares the tables with to find this device's new events.

Works on a Store's connection; the functions that write are called inside
Store.transaction() (app/sync.py groups them, so a sync lands whole or not at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from prepcli.core.syncevents import CARD_FLAGS, CARD_LOG

if TYPE_CHECKING:
    from prepcli.storage.store import Store

STATE = (
    "phase",
    "step",
    "stability",
    "difficulty",
    "due_ms",
    "due_day",
    "last_review_ms",
    "reps",
    "lapses",
    "leech",
)
_LOG_TYPES = ", ".join(f"'{t}'" for t in CARD_LOG)
_FLAG_TYPES = ", ".join(f"'{t}'" for t in CARD_FLAGS)


class Device(NamedTuple):
    device: str
    name: str
    next_seq: int
    segment: str | None
    review_mark: int
    rules: int | None
    folder: str | None
    synced_ms: int | None


class StoredEvent(NamedTuple):
    """An event as sync_event holds it (a NamedTuple: a sync may read hundreds of
    thousands, and a frozen dataclass costs a call for each field it sets)."""

    id: str
    device: str
    seq: int
    at_ms: int
    type: str
    card: str | None
    review_id: int | None
    dead: int
    prev: int | None
    rules: int | None
    data: str | None
    file: int | None
    pos: int | None


_EVENT_COLUMNS = "id, device, seq, at_ms, type, card, review_id, dead, prev, rules, data, file, pos"


def chunks(values: Sequence[Any], size: int = 500) -> Iterator[tuple[str, Sequence[Any]]]:
    for start in range(0, len(values), size):
        part = values[start : start + size]
        yield ", ".join("?" * len(part)), part


# --- this device ---------------------------------------------------------------------------


def device(store: Store) -> Device | None:
    row = store.db.execute(
        "SELECT device, name, next_seq, segment, review_mark, rules, folder, synced_ms "
        "FROM sync_device WHERE id = 1"
    ).fetchone()
    return None if row is None else Device(*row)


def create_device(store: Store, identifier: str, name: str) -> Device:
    store.db.execute(
        "INSERT INTO sync_device (id, device, name, next_seq) VALUES (1, ?, ?, 1)",
        (identifier, name),
    )
    made = device(store)
    assert made is not None
    return made


def raise_next_seq(store: Store, at_least: int) -> None:
    store.db.execute("UPDATE sync_device SET next_seq = max(next_seq, ?) WHERE id = 1", (at_least,))


def set_device(store: Store, **values: Any) -> None:
    names = ", ".join(f"{name} = :{name}" for name in values)
    store.db.execute(f"UPDATE sync_device SET {names} WHERE id = 1", values)


# --- the folder's files --------------------------------------------------------------------


class Cursor(NamedTuple):
    id: int
    path: str
    device: str
    name: str | None
    read_bytes: int
    read_lines: int


def cursors(store: Store) -> dict[str, Cursor]:
    rows = store.db.execute(
        "SELECT id, path, device, name, read_bytes, read_lines FROM sync_file"
    ).fetchall()
    return {row[1]: Cursor(*row) for row in rows}


def file_id(store: Store, path: str, device_id: str) -> int:
    store.db.execute(
        "INSERT INTO sync_file (path, device) VALUES (?, ?) ON CONFLICT(path) DO NOTHING",
        (path, device_id),
    )
    return int(store.db.execute("SELECT id FROM sync_file WHERE path = ?", (path,)).fetchone()[0])


def advance(store: Store, file: int, read_bytes: int, read_lines: int) -> None:
    store.db.execute(
        "UPDATE sync_file SET read_bytes = ?, read_lines = ? WHERE id = ?",
        (read_bytes, read_lines, file),
    )


def name_file(store: Store, file: int, name: str) -> None:
    store.db.execute("UPDATE sync_file SET name = ? WHERE id = ?", (name, file))


def forget_file(store: Store, file: int) -> None:
    """A file gone or replaced: read it again from its start, and the events written to
    it count as not written."""
    store.db.execute(  # an answer written again may not say what its state was built on
        "UPDATE sync_event SET file = NULL, pos = NULL, prev = NULL, rules = NULL WHERE file = ?",
        (file,),
    )
    store.db.execute("UPDATE sync_file SET read_bytes = 0, read_lines = 0 WHERE id = ?", (file,))


def device_names(store: Store) -> dict[str, str]:
    rows = store.db.execute("SELECT device, name FROM sync_file WHERE name IS NOT NULL")
    return {device_id: name for device_id, name in rows}


# --- events --------------------------------------------------------------------------------


def known(store: Store, ids: Sequence[str]) -> dict[str, StoredEvent]:
    found = {}
    for marks, part in chunks(ids):
        for row in store.db.execute(
            f"SELECT {_EVENT_COLUMNS} FROM sync_event WHERE id IN ({marks})", part
        ):
            found[row[0]] = StoredEvent(*row)
    return found


def event(store: Store, identifier: str) -> StoredEvent | None:
    row = store.db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM sync_event WHERE id = ?", (identifier,)
    ).fetchone()
    return None if row is None else StoredEvent(*row)


def add_events(store: Store, rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows of (id, device, seq, at_ms, type, card, review_id, prev, rules, data, file,
    pos)."""
    store.db.executemany(
        "INSERT INTO sync_event (id, device, seq, at_ms, type, card, review_id, prev, rules, "
        "data, file, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def locate(store: Store, located: Iterable[tuple[int, int, str]]) -> None:
    """(file, pos, id): where an event of this device was found written."""
    store.db.executemany("UPDATE sync_event SET file = ?, pos = ? WHERE id = ?", located)


def unwritten(
    store: Store, device_id: str
) -> list[tuple[str, int | None, int | None, int | None, str | None]]:
    """This device's events not yet in the folder, in order, as writing them looks at them
    first: (id, review id, prev, rules, line). The few whose line is made again are read
    whole (`known`)."""
    rows = store.db.execute(
        "SELECT id, review_id, prev, rules, data FROM sync_event WHERE file IS NULL "
        f"AND device = ? AND NOT (dead AND type IN ({_LOG_TYPES})) ORDER BY seq",
        (device_id,),
    )
    return rows.fetchall()


def unchain(store: Store, ids: Sequence[str]) -> None:
    """Answers of this device not yet written whose card was replayed: their line will
    carry the replayed state, so it must not claim what it was built on."""
    store.db.executemany(
        "UPDATE sync_event SET prev = NULL, rules = NULL WHERE id = ?", ((i,) for i in ids)
    )


def set_dead(store: Store, identifier: str, dead: int) -> None:
    store.db.execute(
        "UPDATE sync_event SET dead = ?, review_id = NULL WHERE id = ?", (dead, identifier)
    )


def link(store: Store, links: Iterable[tuple[int | None, str]]) -> None:
    """(review id, event id) pairs."""
    store.db.executemany("UPDATE sync_event SET review_id = ? WHERE id = ?", links)


def add_undo(store: Store, target: str, undo: str) -> None:
    store.db.execute(
        "INSERT INTO sync_undo (target, event) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (target, undo),
    )


def undone(store: Store, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for marks, part in chunks(ids):
        rows = store.db.execute(f"SELECT target FROM sync_undo WHERE target IN ({marks})", part)
        found.update(row[0] for row in rows)
    return found


def live_log(store: Store, key: str) -> list[StoredEvent]:
    """A card's answers and forgets that count (neither undone nor duplicates)."""
    rows = store.db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM sync_event "
        f"WHERE card = ? AND type IN ({_LOG_TYPES}) AND dead = 0",
        (key,),
    )
    return [StoredEvent(*row) for row in rows]


def flag_events(store: Store, key: str) -> list[StoredEvent]:
    rows = store.db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM sync_event "
        f"WHERE card = ? AND type IN ({_FLAG_TYPES}) AND dead = 0",
        (key,),
    )
    return [StoredEvent(*row) for row in rows]


def cards_with_flag_events(store: Store) -> set[str]:
    rows = store.db.execute(
        f"SELECT DISTINCT card FROM sync_event WHERE card IS NOT NULL AND type IN ({_FLAG_TYPES})"
    )
    return {row[0] for row in rows}


def other_events(store: Store, kind: str) -> list[StoredEvent]:
    """Every event of a type that names no card (plans, settings, parameters)."""
    rows = store.db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM sync_event WHERE card IS NULL AND type = ? AND dead = 0",
        (kind,),
    )
    return [StoredEvent(*row) for row in rows]


def linked_missing(store: Store) -> list[StoredEvent]:
    """Events whose review row is gone (undone, or deleted some other way)."""
    rows = store.db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM sync_event WHERE review_id IS NOT NULL "
        "AND review_id NOT IN (SELECT id FROM review)"
    )
    return [StoredEvent(*row) for row in rows]


def linked_count(store: Store) -> int:
    return int(
        store.db.execute("SELECT count(*) FROM sync_event WHERE review_id IS NOT NULL").fetchone()[
            0
        ]
    )


def per_device(store: Store) -> list[tuple[str, int, int, int | None]]:
    """(device, events, highest seq, time of its latest event) for every device."""
    rows = store.db.execute(
        "SELECT device, count(*), max(seq), max(at_ms) FROM sync_event GROUP BY device"
    )
    return [(str(d), int(n), int(s), a) for d, n, s, a in rows]


def latest_of(store: Store, device_id: str) -> StoredEvent | None:
    row = store.db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM sync_event WHERE device = ? ORDER BY seq DESC LIMIT 1",
        (device_id,),
    ).fetchone()
    return None if row is None else StoredEvent(*row)


def latest_live(store: Store, key: str) -> int | None:
    row = store.db.execute(
        f"SELECT max(at_ms) FROM sync_event WHERE card = ? AND type IN ({_LOG_TYPES}) AND dead = 0",
        (key,),
    ).fetchone()
    return None if row[0] is None else int(row[0])


def cards_with_history(store: Store) -> list[str]:
    """The cards with answers in the review log that came from events."""
    rows = store.db.execute(
        f"SELECT DISTINCT card FROM sync_event WHERE card IS NOT NULL AND type IN ({_LOG_TYPES}) "
        "AND dead = 0 AND review_id IS NOT NULL"
    )
    return [row[0] for row in rows]


# --- plans, settings, parameters -----------------------------------------------------------


def touched(store: Store, what: str) -> list[str]:
    """What the triggers noted since the last sync ('untick': run id and task, separated
    by a tab; 'flags': card keys)."""
    rows = store.db.execute("SELECT key FROM sync_touched WHERE what = ?", (what,))
    return [str(row[0]) for row in rows]


def clear_touched(store: Store) -> None:
    store.db.execute("DELETE FROM sync_touched")


# --- problems ------------------------------------------------------------------------------


def add_problems(
    store: Store, problems: Iterable[tuple[str, int, int, str]], now_ms: int
) -> list[tuple[str, int, int, str]]:
    """Record problems not recorded before; those that were new."""
    added = []
    for path, line, col, message in problems:
        cursor = store.db.execute(
            "INSERT INTO sync_problem (path, line, col, message, found_ms) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (path, line, col, message, now_ms),
        )
        if cursor.rowcount:
            added.append((path, line, col, message))
    return added


def problems(store: Store) -> list[tuple[str, int, int, str, int]]:
    rows = store.db.execute(
        "SELECT path, line, col, message, found_ms FROM sync_problem ORDER BY path, line, col"
    )
    return [(str(p), int(ln), int(c), str(m), int(f)) for p, ln, c, m, f in rows]
