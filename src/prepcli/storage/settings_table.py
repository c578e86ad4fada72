"""The user's settings and the fitted FSRS parameter sets."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from prepcli.core.models import ParameterSet
from prepcli.storage.rows import require_transaction


class SettingRecords:
    def __init__(
        self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self.db = db
        self.transaction = transaction

    def all(self) -> dict[str, Any]:

        return {
            name: json.loads(value)
            for name, value in self.db.execute("SELECT name, value FROM setting")
        }

    def put(self, name: str, value: Any) -> None:

        with self.transaction():
            self.db.execute(
                "INSERT INTO setting (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, json.dumps(value)),
            )

    def delete(self, name: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM setting WHERE name = ?", (name,))

    def fsrs_parameters(self) -> ParameterSet | None:
        """The parameter set in use: the newest saved one, or None for the defaults."""
        row = self.db.execute(
            "SELECT params, created_ms, n_items, log_loss, rmse_bins, source FROM fsrs_params "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None

        params, created, items, log_loss, rmse, source = row
        return ParameterSet(
            tuple(float(w) for w in json.loads(params)), created, items, log_loss, rmse, source
        )

    def add_parameters(self, chosen: ParameterSet) -> None:
        """Inside transaction()."""

        require_transaction(self.db)
        self.db.execute(
            "INSERT INTO fsrs_params (created_ms, params, n_items, log_loss, rmse_bins, source) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                chosen.created_ms,
                json.dumps(list(chosen.params)),
                chosen.n_items,
                chosen.log_loss,
                chosen.rmse_bins,
                chosen.source,
            ),
        )
