"""The rows sync writes and compares outside its own tables: review-log rows, card
states and flags, plan runs and ticks, settings and parameter sets (and the merged view
of each, which the next sync compares them with).

Works on a Store's connection, inside Store.transaction() for the functions that write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from prepcli.storage.syncdb import STATE, chunks

if TYPE_CHECKING:
    from prepcli.storage.store import Store

#: A review row's facts, then its `a_` snapshot (the order of ReviewRow's fields).
_FACTS = (
    "review.id, card.key, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, "
    "elapsed_days, scheduled_days, r_predicted, desired_retention, reason, "
    + ", ".join(f"a_{f}" for f in STATE)
)
REVIEW_COLUMNS = (
    "card_id, reviewed_ms, study_day, tz_offset_min, rating, kind, duration_ms, elapsed_days, "
    "scheduled_days, r_predicted, desired_retention, reason, "
    + ", ".join(f"b_{f}" for f in STATE)
    + ", "
    + ", ".join(f"a_{f}" for f in STATE)
)


class ReviewRow(NamedTuple):
    """A review-log row as sync reads it: its facts and the state it led to (a NamedTuple:
    a first sync reads every row, and a frozen dataclass costs a call for each field)."""

    id: int
    key: str
    reviewed_ms: int
    study_day: int
    tz_offset_min: int
    rating: int
    kind: int
    duration_ms: int | None
    elapsed_days: float | None
    scheduled_days: float | None
    r_predicted: float | None
    desired_retention: float | None
    reason: str | None
    after: tuple[Any, ...]


def _review_row(row: Sequence[Any]) -> ReviewRow:
    rid, key, at_ms, day, offset, rating, kind, duration, elapsed, scheduled, r, dr, why = row[:13]
    return ReviewRow(
        rid,
        key,
        at_ms,
        day,
        offset,
        rating,
        kind,
        duration,
        elapsed,
        scheduled,
        r,
        dr,
        why,
        tuple(row[13:]),
    )


# --- the review log and the cards ----------------------------------------------------------


def review_rows_after(store: Store, mark: int) -> list[ReviewRow]:
    rows = store.db.execute(
        f"SELECT {_FACTS} FROM review JOIN card ON card.id = review.card_id "
        "WHERE review.id > ? ORDER BY review.id",
        (mark,),
    )
    return [_review_row(row) for row in rows]


def review_rows(store: Store, ids: Sequence[int]) -> dict[int, ReviewRow]:
    found = {}
    for marks, part in chunks(ids):
        for row in store.db.execute(
            f"SELECT {_FACTS} FROM review JOIN card ON card.id = review.card_id "
            f"WHERE review.id IN ({marks})",
            part,
        ):
            found[int(row[0])] = _review_row(row)
    return found


def review_count_up_to(store: Store, mark: int) -> int:
    return int(store.db.execute("SELECT count(*) FROM review WHERE id <= ?", (mark,)).fetchone()[0])


def newest_review(store: Store) -> int:
    return int(store.db.execute("SELECT coalesce(max(id), 0) FROM review").fetchone()[0])


class CardRow(NamedTuple):
    id: int
    state: tuple[Any, ...]  # STATE order
    suspended: bool
    buried_until_day: int | None
    modified_ms: int


def card_rows(store: Store, keys: Sequence[str]) -> dict[str, CardRow]:
    found = {}
    columns = ", ".join(STATE)
    for marks, part in chunks(keys):
        for row in store.db.execute(
            f"SELECT key, id, {columns}, suspended, buried_until_day, modified_ms FROM card "
            f"WHERE key IN ({marks})",
            part,
        ):
            found[row[0]] = CardRow(row[1], tuple(row[2:12]), bool(row[12]), row[13], row[14])
    return found


def write_card(
    store: Store,
    key: str,
    state: Sequence[Any],
    suspended: bool,
    buried: int | None,
    modified_ms: int,
) -> int:
    """Create or overwrite a card row; its id."""
    columns = ", ".join(STATE)
    updates = ", ".join(f"{f} = excluded.{f}" for f in (*STATE, "suspended", "buried_until_day"))
    store.db.execute(
        f"INSERT INTO card (key, {columns}, suspended, buried_until_day, modified_ms) "
        f"VALUES (?, {', '.join('?' * len(STATE))}, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
        f"{updates}, modified_ms = excluded.modified_ms",
        (key, *state, int(suspended), buried, modified_ms),
    )
    return int(store.db.execute("SELECT id FROM card WHERE key = ?", (key,)).fetchone()[0])


def set_flags(store: Store, key: str, suspended: bool, buried: int | None, now_ms: int) -> None:
    """A card's flags; a card without a row gets one (new, with these flags)."""
    cursor = store.db.execute(
        "UPDATE card SET suspended = ?, buried_until_day = ? WHERE key = ?",
        (int(suspended), buried, key),
    )
    if cursor.rowcount == 0 and (suspended or buried is not None):
        new = (0, None, None, None, None, None, None, 0, 0, 0)
        write_card(store, key, new, suspended, buried, now_ms)


def add_cards(store: Store, cards: Sequence[tuple[str, Sequence[Any], int]]) -> dict[str, int]:
    """New card rows (key, state, modified_ms), unflagged; their ids by key."""
    columns = ", ".join(STATE)
    store.db.executemany(
        f"INSERT INTO card (key, {columns}, modified_ms) "
        f"VALUES (?, {', '.join('?' * len(STATE))}, ?)",
        ((key, *state, modified) for key, state, modified in cards),
    )
    ids = {}
    keys = [key for key, _state, _modified in cards]
    for marks, part in chunks(keys):
        for key, card_id in store.db.execute(
            f"SELECT key, id FROM card WHERE key IN ({marks})", part
        ):
            ids[str(key)] = int(card_id)
    return ids


def put_states(
    store: Store, updates: Iterable[tuple[Sequence[Any], bool, int | None, int, int]]
) -> None:
    """(state, suspended, buried, modified_ms, card id) for existing cards."""
    store.db.executemany(
        "UPDATE card SET "
        + ", ".join(f"{f} = ?" for f in STATE)
        + ", suspended = ?, buried_until_day = ?, modified_ms = ? WHERE id = ?",
        ((*state, int(s), b, m, i) for state, s, b, m, i in updates),
    )


def next_review_id(store: Store) -> int:
    """The id the next review row gets (the review table never reuses one)."""
    row = store.db.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'review'), 0), "
        "coalesce((SELECT max(id) FROM review), 0))"
    ).fetchone()
    return int(row[0]) + 1


def add_reviews(store: Store, values: Iterable[Sequence[Any]]) -> None:
    """Review rows with their ids first, then REVIEW_COLUMNS."""
    store.db.executemany(
        f"INSERT INTO review (id, {REVIEW_COLUMNS}) VALUES (?, {', '.join('?' * 32)})",
        values,
    )


def add_review(store: Store, values: Sequence[Any]) -> int:
    """A review row from values in REVIEW_COLUMNS order; its id."""
    cursor = store.db.execute(
        f"INSERT INTO review ({REVIEW_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def delete_review(store: Store, review_id: int) -> None:
    store.db.execute("DELETE FROM review WHERE id = ?", (review_id,))


def delete_reviews_of(store: Store, card_id: int) -> None:
    store.db.execute("DELETE FROM review WHERE card_id = ?", (card_id,))


def put_card_views(store: Store, rows: Iterable[tuple[str, int, int | None]]) -> None:
    """(key, digest, latest) of cards whose events changed, their flags kept."""
    store.db.executemany(
        "INSERT INTO sync_card (key, digest, latest_ms) VALUES (?, ?, ?) ON CONFLICT(key) "
        "DO UPDATE SET digest = excluded.digest, latest_ms = excluded.latest_ms",
        rows,
    )


def put_flag_views(store: Store, rows: Iterable[tuple[str, bool, int | None]]) -> None:
    """(key, suspended, buried) of cards whose flags this device changed."""
    store.db.executemany(
        "INSERT INTO sync_card (key, suspended, buried_until_day) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET suspended = excluded.suspended, "
        "buried_until_day = excluded.buried_until_day",
        ((k, int(s), b) for k, s, b in rows),
    )


def sync_cards(
    store: Store, keys: Sequence[str]
) -> dict[str, tuple[int, int | None, bool, int | None]]:
    """(digest, latest event time, suspended, buried until) of each card's merged view."""
    found = {}
    for marks, part in chunks(keys):
        for key, digest, latest, suspended, buried in store.db.execute(
            "SELECT key, digest, latest_ms, suspended, buried_until_day FROM sync_card "
            f"WHERE key IN ({marks})",
            part,
        ):
            found[key] = (int(digest), latest, bool(suspended), buried)
    return found


def put_sync_cards(
    store: Store, rows: Iterable[tuple[str, int, int | None, bool, int | None]]
) -> None:
    store.db.executemany(
        "INSERT INTO sync_card (key, digest, latest_ms, suspended, buried_until_day) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET digest = excluded.digest, "
        "latest_ms = excluded.latest_ms, suspended = excluded.suspended, "
        "buried_until_day = excluded.buried_until_day",
        ((k, d, at, int(s), b) for k, d, at, s, b in rows),
    )


def flag_changes(store: Store) -> list[tuple[str, bool, int | None, bool, int | None, int]]:
    """Cards whose flags differ from the merged view: (key, suspended, buried, merged
    suspended, merged buried, modified_ms). Either side has a flag set: the few cards
    suspended or buried, not every card, are compared."""
    rows = store.db.execute(
        "SELECT card.key, card.suspended, card.buried_until_day, coalesce(s.suspended, 0), "
        "s.buried_until_day, card.modified_ms FROM card LEFT JOIN sync_card AS s "
        "ON s.key = card.key WHERE (card.suspended OR card.buried_until_day IS NOT NULL) "
        "AND (card.suspended != coalesce(s.suspended, 0) "
        "OR card.buried_until_day IS NOT s.buried_until_day) "
        "UNION ALL "
        "SELECT card.key, card.suspended, card.buried_until_day, s.suspended, "
        "s.buried_until_day, card.modified_ms FROM sync_card AS s JOIN card ON card.key = s.key "
        "WHERE (s.suspended OR s.buried_until_day IS NOT NULL) "
        "AND NOT card.suspended AND card.buried_until_day IS NULL"
    )
    return [(k, bool(a), b, bool(c), d, m) for k, a, b, c, d, m in rows]


def plan_runs(store: Store) -> list[tuple[int, str, int, int | None, int, int]]:
    """(id, plan, start day, interview day, started_ms, active) of every plan run."""
    rows = store.db.execute(
        "SELECT id, plan_id, start_day, interview_day, started_ms, active FROM plan_run ORDER BY id"
    )
    return [tuple(row) for row in rows]


def plan_links(store: Store) -> dict[int, tuple[str, int | None]]:
    rows = store.db.execute("SELECT run_id, event, interview_day FROM sync_plan")
    return {int(run): (str(ev), day) for run, ev, day in rows}


def link_plan(store: Store, run_id: int, event_id: str, interview_day: int | None) -> None:
    store.db.execute(
        "INSERT INTO sync_plan (run_id, event, interview_day) VALUES (?, ?, ?) "
        "ON CONFLICT(run_id) DO UPDATE SET interview_day = excluded.interview_day",
        (run_id, event_id, interview_day),
    )


def add_plan_run(store: Store, plan: str, start: int, interview: int | None, at_ms: int) -> int:
    cursor = store.db.execute(
        "INSERT INTO plan_run (plan_id, start_day, interview_day, started_ms, active) "
        "VALUES (?, ?, ?, ?, 0)",
        (plan, start, interview, at_ms),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def set_plan_run(store: Store, run_id: int, interview: int | None, active: bool) -> None:
    store.db.execute(
        "UPDATE plan_run SET interview_day = ?, active = ? WHERE id = ?",
        (interview, int(active), run_id),
    )


def tasks_done(store: Store) -> dict[tuple[int, str], int]:
    rows = store.db.execute("SELECT run_id, task_id, done_ms FROM task_done")
    return {(int(run), str(task)): int(ms) for run, task, ms in rows}


def task_views(store: Store) -> dict[tuple[str, str], bool]:
    rows = store.db.execute("SELECT event, task, done FROM sync_task")
    return {(str(ev), str(task)): bool(done) for ev, task, done in rows}


def put_task_view(store: Store, run_event: str, task: str, done: bool) -> None:
    store.db.execute(
        "INSERT INTO sync_task (event, task, done) VALUES (?, ?, ?) "
        "ON CONFLICT(event, task) DO UPDATE SET done = excluded.done",
        (run_event, task, int(done)),
    )


def set_task(store: Store, run_id: int, task: str, done_ms: int | None) -> None:
    if done_ms is None:
        store.db.execute("DELETE FROM task_done WHERE run_id = ? AND task_id = ?", (run_id, task))
    else:
        store.db.execute(
            "INSERT INTO task_done (run_id, task_id, done_ms) VALUES (?, ?, ?) "
            "ON CONFLICT(run_id, task_id) DO UPDATE SET done_ms = excluded.done_ms",
            (run_id, task, done_ms),
        )


def raw_settings(store: Store) -> dict[str, str]:
    """Every setting row as stored (JSON text)."""
    return {str(n): str(v) for n, v in store.db.execute("SELECT name, value FROM setting")}


def setting_views(store: Store) -> dict[str, str | None]:
    return {str(n): v for n, v in store.db.execute("SELECT name, value FROM sync_setting")}


def put_setting_view(store: Store, name: str, value: str | None) -> None:
    store.db.execute(
        "INSERT INTO sync_setting (name, value) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


def write_setting(store: Store, name: str, value: str | None) -> None:
    if value is None:
        store.db.execute("DELETE FROM setting WHERE name = ?", (name,))
    else:
        store.db.execute(
            "INSERT INTO setting (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


def parameter_rows(
    store: Store,
) -> list[tuple[int, int, str, int, float | None, float | None, str]]:
    rows = store.db.execute(
        "SELECT id, created_ms, params, n_items, log_loss, rmse_bins, source FROM fsrs_params "
        "ORDER BY id"
    )
    return [tuple(row) for row in rows]


def parameter_links(store: Store) -> dict[int, str]:
    return {
        int(p): str(e) for p, e in store.db.execute("SELECT params_id, event FROM sync_parameters")
    }


def link_parameters(store: Store, params_id: int, event_id: str) -> None:
    store.db.execute(
        "INSERT INTO sync_parameters (params_id, event) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (params_id, event_id),
    )


def add_parameters(
    store: Store, created_ms: int, params: str, n_items: int, log_loss: Any, rmse: Any, source: str
) -> int:
    cursor = store.db.execute(
        "INSERT INTO fsrs_params (created_ms, params, n_items, log_loss, rmse_bins, source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (created_ms, params, n_items, log_loss, rmse, source),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


# --- comparing two databases (`prepcli check`) ---------------------------------------------

CARD_FIELDS = (*STATE, "suspended", "buried_until_day")
EMPTY_CARD: tuple[Any, ...] = (0, None, None, None, None, None, None, 0, 0, 0, 0, None)
REVIEW_FIELDS = (
    "reviewed_ms",
    "study_day",
    "tz_offset_min",
    "rating",
    "kind",
    "duration_ms",
    "elapsed_days",
    "scheduled_days",
    "r_predicted",
    "desired_retention",
    "reason",
    *(f"b_{f}" for f in STATE),
    *(f"a_{f}" for f in STATE),
)


def scratch(store: Store) -> None:
    """A database built only to be compared and thrown away needs no syncs to disk."""
    store.db.execute("PRAGMA synchronous = OFF")


def event_ids(store: Store) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT id FROM sync_event")}


def card_table(store: Store) -> dict[str, tuple[Any, ...]]:
    """Every card that is not new and unflagged: its state and flags."""
    rows = store.db.execute(f"SELECT key, {', '.join(CARD_FIELDS)} FROM card")
    found = {}
    for row in rows:
        values = tuple(row[1:])
        if values != EMPTY_CARD:
            found[row[0]] = values
    return found


def review_table(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    rows = store.db.execute(
        f"SELECT card.key, {', '.join(REVIEW_FIELDS)} FROM review "
        "JOIN card ON card.id = review.card_id ORDER BY review.id"
    )
    for row in rows:
        found.setdefault(row[0], []).append(tuple(row[1:]))
    return found


def plan_table(store: Store) -> dict[str, tuple[Any, ...]]:
    """Each synced plan run (by the event that started it): its fields and ticks."""
    ticks: dict[int, list[tuple[str, int]]] = {}
    for run, task, done_ms in store.db.execute("SELECT run_id, task_id, done_ms FROM task_done"):
        ticks.setdefault(int(run), []).append((str(task), int(done_ms)))
    found = {}
    for event, run, plan, start, interview, started, active in store.db.execute(
        "SELECT sync_plan.event, plan_run.id, plan_id, start_day, plan_run.interview_day, "
        "started_ms, active FROM plan_run LEFT JOIN sync_plan ON sync_plan.run_id = plan_run.id"
    ):
        name = f"{plan} ({event or 'not synced'})"
        found[name] = (start, interview, started, bool(active), sorted(ticks.get(int(run), [])))
    return found


def parameters_in_use(store: Store) -> str | None:
    row = store.db.execute("SELECT params FROM fsrs_params ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])
