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
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any, NamedTuple, TypeGuard

from prepcli.core import bounds
from prepcli.core.errors import Problem, ProblemsError
from prepcli.core.models import ParameterSet, Phase, ReviewKind
from prepcli.storage.exported import Column, ExportedCard

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


class ImportDocument(NamedTuple):
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
ParameterBounds = Sequence[tuple[float, float]]

#: The most cards one file may hold, and reviews per card (prepcli's own collections are
#: tens of thousands of cards with tens of reviews each).
MAX_CARDS = 1_000_000
MAX_REVIEWS_PER_CARD = bounds.MAX_COUNT
#: Values in a column a future schema adds, which has no range of its own here yet.
_ANY_INTEGER = bounds.Bound(-(2**63), 2**63 - 1)
_ANY_REAL = bounds.Bound(-math.inf, math.inf, whole=False, nullable=True)
_ANY_TEXT = bounds.Bound(0, 10_000, whole=False, nullable=True, text=True)
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def parse_document(
    text: str,
    path: str,
    card_columns: list[Column],
    review_columns: list[Column],
    schema: int,
    parameter_bounds: ParameterBounds,
    latest_ms: int,
) -> ImportDocument:
    """Read and check an export; raise ProblemsError with every problem located.

    Every value is checked against what prepcli itself could have written (core/bounds.py):
    types, ranges, finite numbers, valid Unicode, FSRS parameters inside fsrs's bounds, and
    no review later than `latest_ms` (now and a day's grace for another machine's clock).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemsError([Problem(path, exc.lineno, exc.colno, exc.msg)]) from None
    except RecursionError:
        raise ProblemsError([Problem(path, 1, 1, "nested too deeply to be an export")]) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ProblemsError([Problem(path, 1, 1, f"not a usable JSON value ({exc})")]) from None
    limits = _Limits(parameter_bounds, latest_ms)
    checker = _Checker(path, card_columns, review_columns, schema, limits, lambda _obj: (1, 1))
    document = checker.document(data)
    if checker.problems:
        # Parse again, slowly, remembering where each object starts, to locate them.
        try:
            located, positions = _load_located(text)
        except RecursionError:  # deeper than the slow parser goes: unlocated problems
            raise ProblemsError(checker.problems) from None
        checker = _Checker(
            path,
            card_columns,
            review_columns,
            schema,
            limits,
            lambda obj: positions.get(id(obj), (1, 1)),
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


class _Limits(NamedTuple):
    parameters: ParameterBounds
    latest_ms: int


class _Checker:
    def __init__(
        self,
        path: str,
        card_columns: list[Column],
        review_columns: list[Column],
        schema: int,
        limits: _Limits,
        locate: Locate,
    ) -> None:
        self.path = path
        self.card_columns = {c.name: c for c in card_columns if c.name not in ("id", "key")}
        self.card_columns.pop("modified_ms", None)
        self.review_columns = {c.name: c for c in review_columns if c.name not in ("id", "card_id")}
        self.schema = schema
        self.limits = limits
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
            self.problem(
                data, f"export format version {_shown(data.get('version'))} is not {VERSION}"
            )
            return None
        schema = data.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
            self.problem(data, '"schema" must be a positive whole number')
            return None
        if schema > self.schema:
            self.problem(
                data,
                f"written by a newer prepcli (schema {_shown(schema)}; this one knows "
                f"up to {self.schema}); upgrade prepcli to import it",
            )
            return None
        if not self.valid_text(data):
            return None
        parameters = self.parameters(data, data.get("parameters"))
        cards_data = data.get("cards")
        if not isinstance(cards_data, list):
            self.problem(data, '"cards" must be a list')
            return None
        if len(cards_data) > MAX_CARDS:
            self.problem(data, f'"cards" holds {len(cards_data):,} cards; at most {MAX_CARDS:,}')
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

    def valid_text(self, data: Any) -> bool:
        """Every string, keys included, must be Unicode that can be written (JSON escapes
        can spell lone surrogates, which no file, terminal or database can hold)."""
        ok = True
        pending = [data]
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                for key, item in value.items():
                    if not _encodable(key) or (isinstance(item, str) and not _encodable(item)):
                        self.problem(value, "text that is not valid Unicode (a lone surrogate)")
                        ok = False
                        break
                    if isinstance(item, dict | list):
                        pending.append(item)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, str) and not _encodable(item):
                        self.problem(data, "text that is not valid Unicode (a lone surrogate)")
                        ok = False
                    elif isinstance(item, dict | list):
                        pending.append(item)
        return ok

    def parameters(self, where: object, value: Any) -> ParameterSet | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(where, '"parameters" must be an object or null')
            return None
        params = value.get("params")
        expected = len(self.limits.parameters)
        if (
            not isinstance(params, list)
            or len(params) != expected
            or not all(_is_number(w) for w in params)
        ):
            self.problem(value, f'"params" must be a list of {expected} numbers')
            return None
        ok = True
        for number, (weight, (low, high)) in enumerate(
            zip(params, self.limits.parameters, strict=True)
        ):
            # Fitted parameters carry float32 noise at a bound (0.800000011920929 for 0.8);
            # within a millionth of its range they are in it, as Scheduler.clamp_parameters
            # rounds them.
            if not math.isfinite(weight) or not low <= round(float(weight), 6) <= high:
                self.problem(
                    value,
                    f"parameters: w[{number}] = {_shown(weight)} is outside FSRS's bounds "
                    f"({low:g} to {high:g})",
                )
                ok = False
        numbers = {}
        for name, bound in bounds.PARAMETER_SET.items():
            item = value.get(name)
            wanted = "a whole number" if bound.whole else "a number"
            if item is not None and not (_fits("INTEGER" if bound.whole else "REAL", item)):
                self.problem(value, f"parameters: {name} must be {wanted}, got {_shown(item)}")
                ok = False
                continue
            why = bound.problem(item) if item is not None else None
            if why is not None:
                self.problem(value, f"parameters: {name} = {_shown(item)} {why}")
                ok = False
            numbers[name] = item
        if not ok:
            return None
        log_loss, rmse = numbers["log_loss"], numbers["rmse_bins"]
        return ParameterSet(
            params=tuple(float(w) for w in params),
            created_ms=numbers["created_ms"] or 0,
            n_items=numbers["n_items"] or 0,
            log_loss=None if log_loss is None else float(log_loss),
            rmse_bins=None if rmse is None else float(rmse),
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
        why = bounds.key_problem(key)
        if why is not None:
            self.problem(entry, f"{_shown(key)}: {why}")
            return None
        state = entry.get("state")
        history = entry.get("history", [])
        ok = True
        if not isinstance(state, dict):
            self.problem(entry, f'{key}: "state" must be an object')
            ok = False
        elif not self.row(state, self.card_columns, bounds.CARD, f"{key}: state"):
            ok = False
        if not isinstance(history, list):
            self.problem(entry, f'{key}: "history" must be a list')
            return None
        if len(history) > MAX_REVIEWS_PER_CARD:
            self.problem(
                entry, f"{key}: {len(history):,} reviews; at most {MAX_REVIEWS_PER_CARD:,}"
            )
            return None
        for number, review in enumerate(history, start=1):
            what = f"{key}: review {number}"
            if not isinstance(review, dict):
                self.problem(entry, f"{what} must be an object")
                ok = False
            elif not self.row(
                review, self.review_columns, bounds.REVIEW, what
            ) or not self.review_time(review, what):
                ok = False
        if not ok:
            return None
        assert isinstance(state, dict)
        return ExportedCard(key, dict(state), [dict(r) for r in history])

    def row(
        self,
        row: Mapping[str, Any],
        columns: Mapping[str, Column],
        ranges: Mapping[str, bounds.Bound],
        what: str,
    ) -> bool:
        ok = True
        for name, value in row.items():
            column = columns.get(name)
            if column is None:
                self.problem(row, f"{what}: unknown field {_shown(name)}")
                ok = False
            elif value is None:
                if column.notnull:
                    self.problem(row, f"{what}: {name} cannot be null")
                    ok = False
            elif not _fits(column.type, value):
                wanted = _TYPE_WORDS.get(column.type, "a number or text")
                self.problem(row, f"{what}: {name} must be {wanted}, got {_shown(value)}")
                ok = False
            elif name in _RANGES and value not in _RANGES[name]:
                self.problem(row, f"{what}: {name} = {_shown(value)} is not a valid {name}")
                ok = False
            else:
                why = ranges.get(name, _fallback(column.type)).problem(value)
                if why is not None:
                    self.problem(row, f"{what}: {name} = {_shown(value)} {why}")
                    ok = False
        for name, column in columns.items():
            if column.notnull and not column.has_default and name not in row:
                self.problem(row, f"{what}: {name} is missing")
                ok = False
        return ok

    def review_time(self, review: Mapping[str, Any], what: str) -> bool:
        """A review happened before the file was written, on the study day of its time."""
        reviewed, day = review["reviewed_ms"], review["study_day"]
        if reviewed > self.limits.latest_ms:
            self.problem(review, f"{what}: reviewed_ms = {reviewed} is in the future")
            return False
        # A study day is the local date (±14 h) less the rollover hour (< 24 h).
        if not -2 <= day - (_EPOCH_DAY + reviewed // bounds.DAY_MS) <= 1:
            self.problem(review, f"{what}: study_day = {day} is not the day of reviewed_ms")
            return False
        return True


def _fallback(sql_type: str) -> bounds.Bound:
    return {"INTEGER": _ANY_INTEGER, "REAL": _ANY_REAL, "TEXT": _ANY_TEXT}.get(sql_type, _ANY_TEXT)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(value: Any) -> str:
    """A value for a message: short, and never a whole nested structure."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if not isinstance(value, str) or _encodable(value) else ascii(value)
    return text if len(text) <= 40 else text[:37] + "…"


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
