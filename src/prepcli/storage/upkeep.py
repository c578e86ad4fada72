"""Whole-database work: backups, integrity checks, repairs, the rows of an export and an
import, and removing cards no deck defines. Methods marked "inside transaction()" write
without committing: their callers group them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from prepcli.core.history import Review
from prepcli.core.models import CardState
from prepcli.storage.exported import Column, ExportedCard
from prepcli.storage.rows import (
    IMPORTED_UP_TO,
    REVIEW_COLUMNS,
    STATE_FIELDS,
    require_transaction,
    review_from_row,
    snapshot,
)
from prepcli.storage.sqlitefile import copy_database


class Upkeep:
    def __init__(
        self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self.db = db
        self.transaction = transaction

    # Methods marked "inside transaction()" write without committing: callers group them.

    def backup_to(self, target: Path) -> Path:
        return copy_database(self.db, target, overwrite=False)

    def integrity_problems(self) -> list[str]:
        """SQLite's full integrity check; empty when the file is sound."""
        messages = [str(row[0]) for row in self.db.execute("PRAGMA integrity_check")]
        return [] if messages == ["ok"] else messages

    def histories(self) -> dict[str, list[Review]]:
        """Every card's review rows in log order."""
        found: dict[str, list[Review]] = {}
        rows = self.db.execute(
            f"SELECT {REVIEW_COLUMNS} FROM review JOIN card ON card.id = review.card_id "
            "ORDER BY review.card_id, review.id"
        )
        for row in rows:
            review = review_from_row(row)
            found.setdefault(review.card_key, []).append(review)
        return found

    def dangling_reviews(self) -> list[int]:
        """Ids of review rows whose card row is missing."""
        rows = self.db.execute(
            "SELECT id FROM review WHERE card_id NOT IN (SELECT id FROM card) ORDER BY id"
        )
        return [int(row[0]) for row in rows]

    def delete_reviews(self, ids: list[int]) -> None:
        """Inside transaction()."""
        require_transaction(self.db)
        self.db.executemany("DELETE FROM review WHERE id = ?", [(i,) for i in ids])

    def delete_cards_without_history(self, keys: list[str]) -> int:
        """Inside transaction(). A card with review rows is never deleted here."""
        require_transaction(self.db)
        deleted = 0
        for key in keys:
            cursor = self.db.execute(
                "DELETE FROM card WHERE key = ? AND NOT EXISTS "
                "(SELECT 1 FROM review WHERE review.card_id = card.id)",
                (key,),
            )
            deleted += cursor.rowcount
        return deleted

    def put_scheduling(self, state: CardState, modified_ms: int) -> None:
        """Inside transaction(): replace a card's scheduling fields, keeping its flags."""
        require_transaction(self.db)
        self.db.execute(
            "UPDATE card SET "
            + ", ".join(f"{f} = ?" for f in STATE_FIELDS)
            + ", modified_ms = ? WHERE key = ?",
            (*snapshot(state), modified_ms, state.key),
        )

    def columns(self, table: str) -> list[Column]:
        if table not in ("card", "review"):
            raise ValueError(f"no export of table {table!r}")
        return [
            Column(
                name=row[1],
                type=str(row[2]).upper(),
                notnull=bool(row[3]),
                has_default=row[4] is not None or bool(row[5]),
            )
            for row in self.db.execute(f"PRAGMA table_info({table})")
        ]

    def export_cards(self) -> list[ExportedCard]:
        """Every card row with its review rows, column by column, ordered by key."""
        cursor = self.db.execute("SELECT * FROM card ORDER BY key")
        names = [d[0] for d in cursor.description]
        cards = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        cursor = self.db.execute("SELECT * FROM review ORDER BY card_id, id")
        names = [d[0] for d in cursor.description]
        by_card: dict[int, list[dict[str, Any]]] = {}
        for row in cursor:
            review = dict(zip(names, row, strict=True))
            card_id = review.pop("card_id")
            review.pop("id")
            by_card.setdefault(card_id, []).append(review)
        exported = []
        for card in cards:
            card_id = card.pop("id")
            key = card.pop("key")
            card.pop("modified_ms", None)
            exported.append(ExportedCard(key, card, by_card.get(card_id, [])))
        return exported

    def import_card(self, card: ExportedCard, modified_ms: int) -> None:
        """Inside transaction(): create or overwrite a card row and append its review rows.

        Review rows are appended in the order given, which becomes their log order.
        """
        require_transaction(self.db)
        card_names = {c.name for c in self.columns("card")} - {"id", "key", "modified_ms"}
        review_names = {c.name for c in self.columns("review")} - {"id", "card_id"}
        unknown = (set(card.state) - card_names) | {
            name for review in card.history for name in review if name not in review_names
        }
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        names = sorted(card.state)
        values = [card.state[n] for n in names]
        self.db.execute(
            f"INSERT INTO card (key, modified_ms{''.join(', ' + n for n in names)}) "
            f"VALUES (?, ?{', ?' * len(names)}) ON CONFLICT(key) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in ("modified_ms", *names)),
            (card.key, modified_ms, *values),
        )
        row = self.db.execute("SELECT id FROM card WHERE key = ?", (card.key,)).fetchone()
        card_id = int(row[0])
        for review in card.history:
            columns = sorted(review)
            self.db.execute(
                f"INSERT INTO review (card_id{''.join(', ' + n for n in columns)}) "
                f"VALUES (?{', ?' * len(columns)})",
                (card_id, *(review[n] for n in columns)),
            )

    def mark_log_imported(self) -> None:
        """Inside transaction(): the review rows so far came from an import (see undo_last).
        Kept with the settings, under a name no setting has."""
        require_transaction(self.db)
        self.db.execute(
            "INSERT INTO setting (name, value) SELECT ?, coalesce(max(id), 0) FROM review "
            "WHERE true ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (IMPORTED_UP_TO,),
        )

    def put_review_snapshots(self, review_id: int, before: CardState, after: CardState) -> None:
        """Inside transaction(): rewrite a review row's before/after card snapshots."""
        require_transaction(self.db)
        self.db.execute(
            "UPDATE review SET "
            + ", ".join(f"b_{f} = ?" for f in STATE_FIELDS)
            + ", "
            + ", ".join(f"a_{f} = ?" for f in STATE_FIELDS)
            + " WHERE id = ?",
            (*snapshot(before), *snapshot(after), review_id),
        )

    def delete_history(self, key: str) -> None:
        """Inside transaction(): remove a card's review rows (used to rewrite a merge)."""
        require_transaction(self.db)
        self.db.execute(
            "DELETE FROM review WHERE card_id = (SELECT id FROM card WHERE key = ?)", (key,)
        )

    def card_review_counts(self) -> dict[str, tuple[int, int | None]]:
        """Every card row: (its review-log rows, when it was last answered, in epoch ms)."""
        rows = self.db.execute(
            "SELECT card.key, COUNT(review.id), "
            "MAX(CASE WHEN review.rating > 0 THEN review.reviewed_ms END) "
            "FROM card LEFT JOIN review ON review.card_id = card.id GROUP BY card.id"
        )
        return {str(key): (int(count), last) for key, count, last in rows}

    def delete_cards(self, keys: list[str]) -> tuple[int, int]:
        """Remove cards and all their review-log rows in one transaction.

        Returns (cards removed, review rows removed); an unknown key is skipped.
        """
        cards = reviews = 0
        with self.transaction():
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                reviews += self.db.execute(
                    "DELETE FROM review WHERE card_id IN "
                    f"(SELECT id FROM card WHERE key IN ({marks}))",
                    chunk,
                ).rowcount
                deleted = self.db.execute(f"DELETE FROM card WHERE key IN ({marks})", chunk)
                cards += deleted.rowcount
        return cards, reviews
