"""Your data out and back in: the JSON and CSV export formats and the checked JSON import.

The JSON document carries every card row and every review row column by column (the
database's own names, ids left out), so an import restores history exactly. A file is
checked completely before anything is written; its problems are reported all at once as
`path:line:col: message`, located at the object that is wrong.
"""

from __future__ import annotations

import csv
import json
import json.decoder
import json.scanner
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, TypeGuard

from prepcli.core.errors import Problem, ProblemsError
from prepcli.core.history import Column, ExportedCard, ParameterSet
from prepcli.core.models import Phase, ReviewKind

FORMAT = "prepcli-export"
VERSION = 1
#: Columns with a fixed meaning that are checked beyond their SQL type.
_RANGES: dict[str, set[int]] = {
    "rating": {0, 1, 2, 3, 4},
    "kind": {int(k) for k in ReviewKind},
    "phase": {int(p) for p in Phase},
    "b_phase": {int(p) for p in Phase},
    "a_phase": {int(p) for p in Phase},
}


_TYPE_WORDS = {"INTEGER": "a whole number", "REAL": "a number", "TEXT": "text"}


@dataclass(frozen=True)
class ImportDocument:
    cards: list[ExportedCard]
    parameters: ParameterSet | None
    schema: int


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


# --- export ------------------------------------------------------------------------------


def export_document(
    cards: Iterable[ExportedCard],
    in_decks: set[str],
    parameters: ParameterSet | None,
    schema: int,
    now_ms: int,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema": schema,
        "exported_at": iso_ms(now_ms),
        "parameters": None if parameters is None else _parameters_json(parameters),
        "cards": [
            {"card": c.key, "in_decks": c.key in in_decks, "state": c.state, "history": c.history}
            for c in cards
        ],
    }


def _parameters_json(chosen: ParameterSet) -> dict[str, Any]:
    return {
        "params": list(chosen.params),
        "created_ms": chosen.created_ms,
        "n_items": chosen.n_items,
        "log_loss": chosen.log_loss,
        "rmse_bins": chosen.rmse_bins,
        "source": chosen.source,
    }


def write_csv(
    cards: Iterable[ExportedCard],
    in_decks: set[str],
    card_columns: list[str],
    review_columns: list[str],
    out: IO[str],
) -> int:
    """One row per review (a card without history gets one row with empty review cells),
    with the card's current state repeated in `card_…` columns. Returns the rows written."""
    state_columns = [c for c in card_columns if c not in ("id", "key", "modified_ms")]
    history_columns = [c for c in review_columns if c not in ("id", "card_id")]
    header = ["card", "in_decks", "reviewed_at", *history_columns]
    header += [f"card_{c}" for c in state_columns]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    written = 0
    for card in cards:
        state = [card.state.get(c) for c in state_columns]
        rows: list[dict[str, Any] | None] = [*card.history] or [None]
        for review in rows:
            cells: list[Any] = [card.key, int(card.key in in_decks)]
            if review is None:
                cells += [None] * (1 + len(history_columns))
            else:
                cells.append(iso_ms(review["reviewed_ms"]))
                cells += [review.get(c) for c in history_columns]
            writer.writerow(["" if v is None else v for v in cells + state])
            written += 1
    return written


# --- import ------------------------------------------------------------------------------

Locate = Callable[[object], tuple[int, int]]


def parse_document(
    text: str, path: str, card_columns: list[Column], review_columns: list[Column], schema: int
) -> ImportDocument:
    """Read and check an export; raise ProblemsError with every problem located."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemsError([Problem(path, exc.lineno, exc.colno, exc.msg)]) from None
    checker = _Checker(path, card_columns, review_columns, schema, lambda _obj: (1, 1))
    document = checker.document(data)
    if checker.problems:
        # Parse again, slowly, remembering where each object starts, to locate them.
        located, positions = _load_located(text)
        checker = _Checker(
            path, card_columns, review_columns, schema, lambda obj: positions.get(id(obj), (1, 1))
        )
        checker.document(located)
        raise ProblemsError(checker.problems)
    assert document is not None
    return document


def _load_located(text: str) -> tuple[Any, dict[int, tuple[int, int]]]:
    offsets: dict[int, int] = {}
    decoder = json.JSONDecoder()

    parse_json_object = vars(json.decoder)["JSONObject"]  # not in the type stubs

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        value, end = parse_json_object(s_and_end, *args)
        offsets[id(value)] = s_and_end[1] - 1  # the opening brace
        return value, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    # The pure-Python scanner calls parse_object; the C one would bypass it.
    vars(decoder)["scan_once"] = vars(json.scanner)["py_make_scanner"](decoder)
    value = decoder.decode(text)
    positions = {}
    for key, offset in offsets.items():
        line = text.count("\n", 0, offset) + 1
        positions[key] = (line, offset - text.rfind("\n", 0, offset))
    return value, positions


class _Checker:
    def __init__(
        self,
        path: str,
        card_columns: list[Column],
        review_columns: list[Column],
        schema: int,
        locate: Locate,
    ) -> None:
        self.path = path
        self.card_columns = {c.name: c for c in card_columns if c.name not in ("id", "key")}
        self.card_columns.pop("modified_ms", None)
        self.review_columns = {c.name: c for c in review_columns if c.name not in ("id", "card_id")}
        self.schema = schema
        self.locate = locate
        self.problems: list[Problem] = []

    def problem(self, where: object, message: str) -> None:
        line, col = self.locate(where)
        self.problems.append(Problem(self.path, line, col, message))

    def document(self, data: Any) -> ImportDocument | None:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            self.problem(data, f'not a prepcli export (expected "format": "{FORMAT}")')
            return None
        if data.get("version") != VERSION:
            self.problem(data, f"export format version {data.get('version')!r} is not {VERSION}")
            return None
        schema = data.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
            self.problem(data, '"schema" must be a positive whole number')
            return None
        if schema > self.schema:
            self.problem(
                data,
                f"written by a newer prepcli (schema {schema}; this one knows "
                f"up to {self.schema}); upgrade prepcli to import it",
            )
            return None
        parameters = self.parameters(data, data.get("parameters"))
        cards_data = data.get("cards")
        if not isinstance(cards_data, list):
            self.problem(data, '"cards" must be a list')
            return None
        cards: list[ExportedCard] = []
        seen: set[str] = set()
        for index, entry in enumerate(cards_data):
            card = self.card(entry if isinstance(entry, dict) else data, entry, index)
            if card is None:
                continue
            if card.key in seen:
                self.problem(entry, f"card {card.key} appears twice")
            seen.add(card.key)
            cards.append(card)
        return ImportDocument(cards, parameters, schema)

    def parameters(self, where: object, value: Any) -> ParameterSet | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(where, '"parameters" must be an object or null')
            return None
        params = value.get("params")
        if (
            not isinstance(params, list)
            or len(params) != 21
            or not all(_is_number(w) for w in params)
        ):
            self.problem(value, '"params" must be a list of 21 numbers')
            return None
        log_loss, rmse = value.get("log_loss"), value.get("rmse_bins")
        items = value.get("n_items", 0)
        return ParameterSet(
            params=tuple(float(w) for w in params),
            created_ms=int(value.get("created_ms") or 0),
            n_items=items if isinstance(items, int) else 0,
            log_loss=float(log_loss) if _is_number(log_loss) else None,
            rmse_bins=float(rmse) if _is_number(rmse) else None,
            source="import",
        )

    def card(self, where: object, entry: Any, index: int) -> ExportedCard | None:
        if not isinstance(entry, dict):
            self.problem(where, f"cards[{index}] must be an object")
            return None
        key = entry.get("card")
        if not isinstance(key, str) or "/" not in key:
            self.problem(entry, '"card" must be a card id like deck/id')
            return None
        state = entry.get("state")
        history = entry.get("history", [])
        ok = True
        if not isinstance(state, dict):
            self.problem(entry, f'{key}: "state" must be an object')
            ok = False
        elif not self.row(state, self.card_columns, f"{key}: state"):
            ok = False
        if not isinstance(history, list):
            self.problem(entry, f'{key}: "history" must be a list')
            return None
        for number, review in enumerate(history, start=1):
            if not isinstance(review, dict):
                self.problem(entry, f"{key}: review {number} must be an object")
                ok = False
            elif not self.row(review, self.review_columns, f"{key}: review {number}"):
                ok = False
        if not ok:
            return None
        assert isinstance(state, dict)
        return ExportedCard(key, dict(state), [dict(r) for r in history])

    def row(self, row: Mapping[str, Any], columns: Mapping[str, Column], what: str) -> bool:
        ok = True
        for name, value in row.items():
            column = columns.get(name)
            if column is None:
                self.problem(row, f"{what}: unknown field {name!r}")
                ok = False
            elif value is None:
                if column.notnull:
                    self.problem(row, f"{what}: {name} cannot be null")
                    ok = False
            elif not _fits(column.type, value):
                wanted = _TYPE_WORDS.get(column.type, "a number or text")
                self.problem(row, f"{what}: {name} must be {wanted}, got {value!r}")
                ok = False
            elif name in _RANGES and value not in _RANGES[name]:
                self.problem(row, f"{what}: {name} = {value!r} is not a valid {name}")
                ok = False
        for name, column in columns.items():
            if column.notnull and not column.has_default and name not in row:
                self.problem(row, f"{what}: {name} is missing")
                ok = False
        return ok


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(sql_type: str, value: Any) -> bool:
    if sql_type == "INTEGER":
        return isinstance(value, int) and not isinstance(value, bool)
    if sql_type == "REAL":
        return _is_number(value)
    if sql_type == "TEXT":
        return isinstance(value, str)
    return isinstance(value, int | float | str) and not isinstance(value, bool)
