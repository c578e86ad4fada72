"""A hostile-import corpus: `prepcli import` of export files with values no prepcli writes.

A real export (history, a suspended card, personal FSRS parameters) is mutated by
Hypothesis — numeric extremes (10¹², 2⁶², 2⁶³, 2⁶⁴, 10³⁰), NaN and ±inf, epoch
milliseconds outside the datetime range, wrong types, lone surrogates in keys and values,
nested structures — and the hand-written cases of the issue are run as they were found.
The only outcomes allowed: the import succeeds, and then `today`, `stats`, `next --json`
and `check` all exit 0 and `undo` undoes nothing imported; or it is refused with exit 1,
every message located (`path:line:col: …`), and the database left exactly as it was.
Any exception out of a command fails the test.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prepcli import entry
from prepcli.core import bounds
from prepcli.core.scheduler import Scheduler
from tests.conftest import DATA, SAMPLE_DECKS
from tests.reliability import figures

#: Examples of the property (each is an import and five commands); PREPCLI_FUZZ_EXAMPLES
#: raises it for a longer run.
EXAMPLES = int(os.environ.get("PREPCLI_FUZZ_EXAMPLES", 100))
LOCATED = re.compile(r"^\S.*:\d+:\d+: .+$")

EXTREMES: list[Any] = [
    10**12,
    -(10**12),
    2**62,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    10**300,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0,
    -1,
    1.5,
    253402300800000,
    -62135596800001,
    32503680000000,
    1 << 53,
    "abc",
    "",
    "\ud800",
    "a\udfffb",
    True,
    False,
    None,
    [],
    {},
    [[[[1]]]],
    {"a": {"b": 1}},
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An export with history, a forget, a suspended card and personal parameters."""
    folder = tmp_path_factory.mktemp("hostile-import")
    db, exported = folder / "source.sqlite3", folder / "export.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Europe/Paris")
        patch.setenv("PREPCLI_CACHE_DIR", str(folder / "cache"))
        patch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
        for when, argv in (
            ("2026-11-20T09:00+01:00", ["answer", "sample.basics/kv-cache", "good"]),
            ("2026-11-20T09:10+01:00", ["answer", "sample.basics/kv-cache", "good"]),
            ("2026-11-21T09:12+01:00", ["answer", "sample.coding/add-two", "again"]),
            ("2026-11-22T21:30+01:00", ["answer", "sample.basics/kv-cache", "hard"]),
            ("2026-11-23T08:00+01:00", ["answer", "sample.coding/add-two", "easy"]),
            ("2026-11-23T08:30+01:00", ["card", "suspend", "sample.basics/attention-scaling"]),
            ("2026-11-23T09:00+01:00", ["export", "-o", str(exported)]),
        ):
            patch.setenv("PREPCLI_NOW", when)
            assert entry.run(["--db", str(db), *argv]) == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    defaults = list(Scheduler.default_parameters())
    document["parameters"] = {
        "params": defaults,
        "created_ms": 1795420800000,
        "n_items": 400,
        "log_loss": 0.3,
        "rmse_bins": 0.05,
        "source": "optimize",
    }
    return document


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database imported into: one answer of the user's own, on a card not imported."""
    db = tmp_path_factory.mktemp("hostile-target") / "target.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREPCLI_NOW", "2026-11-23T09:00:00+01:00")
        patch.setenv("TZ", "Europe/Paris")
        patch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
        assert entry.run(["--db", str(db), "answer", "sample.basics/conflict-story", "good"]) == 0
    return db


def _dump(db: Path) -> list[Any]:
    connection = sqlite3.connect(db)
    try:
        return [
            (table, connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall())
            for table in ("card", "review", "fsrs_params", "setting", "plan_run")
        ]
    finally:
        connection.close()


@pytest.fixture
def attempt(
    target: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[[str], int]]:
    """Import a file's text into a fresh copy of the target; check every outcome."""
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    db = tmp_path / "prep.sqlite3"  # PREPCLI_DB of the isolated home
    upto = tmp_path / "import.json"

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = entry.run(list(argv))  # an exception here fails the test
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    def attempt_one(text: str) -> int:
        shutil.copyfile(target, db)
        for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            leftover.unlink(missing_ok=True)
        upto.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = _dump(db)
        code, _out, err = run("import", str(upto))
        assert code in (0, 1), (code, err)
        if code == 1:
            figures.add("hostile import: files refused")
            assert err.strip(), "a refusal says why"
            for line in err.strip().splitlines():
                assert LOCATED.match(line), line
            assert _dump(db) == before, "a refused import changed the database"
            return code
        figures.add("hostile import: files imported")
        for argv in (["today"], ["stats"], ["next", "--json"], ["check"]):
            code_after, out, err = run(*argv)
            assert code_after == 0, (argv, out, err)
        reviews = _dump(db)[1]
        undone = run("undo")
        assert undone[:2] == (0, "Nothing to undo.\n"), undone
        assert _dump(db)[1] == reviews, "undo took back an imported review"
        return 0

    yield attempt_one


# --- the property ------------------------------------------------------------------------

_STATE_FIELDS = (
    "phase",
    "step",
    "stability",
    "difficulty",
    "due_ms",
    "due_day",
    "last_review_ms",
    "reps",
    "lapses",
    "suspended",
    "buried_until_day",
    "leech",
)
_REVIEW_FIELDS = (
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
    *(
        f"{s}_{f}"
        for s in "ba"
        for f in _STATE_FIELDS
        if f not in ("suspended", "buried_until_day")
    ),
)
_PARAMETER_FIELDS = ("created_ms", "n_items", "log_loss", "rmse_bins", "source")

#: Values at the edges of what an import accepts (core/bounds.py): imported, then every
#: command must still work with them.
EDGES: list[Any] = sorted(
    {
        v
        for b in (*bounds.CARD.values(), *bounds.REVIEW.values())
        if not b.text
        for v in (b.low, b.high)
    }
    | {0, 1, 2, 3, 4},
    key=float,
)

values = st.one_of(
    st.sampled_from(EDGES),
    st.sampled_from(EXTREMES),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.text(
        alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3
    ),
)
places = st.one_of(
    st.tuples(st.just("state"), st.sampled_from(_STATE_FIELDS)),
    st.tuples(st.just("review"), st.sampled_from(_REVIEW_FIELDS)),
    st.tuples(st.just("parameters"), st.sampled_from(_PARAMETER_FIELDS)),
    st.tuples(st.just("weight"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("key"), st.sampled_from(["card", "state", "history", "in_decks"])),
    st.tuples(st.just("new field"), st.text(max_size=6)),
)


def _mutate(document: dict[str, Any], place: tuple[str, Any], value: Any, which: int) -> None:
    """Set one place of the document to `value`; a place an earlier mutation removed (its
    container is no longer an object or a list) is left alone."""
    kind, name = place
    cards = document["cards"]
    card = cards[which % len(cards)]
    if kind == "review":
        histories = [c.get("history") for c in cards]
        histories = [h for h in histories if isinstance(h, list) and h]
        container = histories[which % len(histories)] if histories else None
        if container is not None:
            container = container[which % len(container)]
    elif kind in ("parameters", "weight"):
        container = document["parameters"]
        if kind == "weight":
            container = container.get("params") if isinstance(container, dict) else None
    elif kind == "state":
        container = card.get("state") if isinstance(card, dict) else None
    elif kind == "key":
        container = card
    else:
        container = card.get("state") if which % 2 and isinstance(card, dict) else card
    if isinstance(container, dict) or (
        isinstance(container, list) and isinstance(name, int) and name < len(container)
    ):
        container[name] = value


@given(
    mutations=st.lists(
        st.tuples(places, values, st.integers(min_value=0, max_value=7)), min_size=1, max_size=3
    )
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("PREPCLI_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_mutated_export_is_imported_whole_and_usable_or_refused_whole(
    mutations: list[tuple[tuple[str, Any], Any, int]],
    source: dict[str, Any],
    attempt: Callable[[str], int],
) -> None:
    document = copy.deepcopy(source)
    for place, value, which in mutations:
        _mutate(document, place, value, which)
    attempt(json.dumps(document, allow_nan=True))
    figures.add("hostile import: examples")


def _in_range(bound: bounds.Bound) -> st.SearchStrategy[Any]:
    if bound.text:
        return st.one_of(st.none(), st.text(max_size=int(bound.high)))
    if bound.whole:
        low, high = int(bound.low), int(bound.high)
        inside = st.one_of(st.sampled_from([low, high]), st.integers(low, high))
    else:
        inside = st.one_of(
            st.sampled_from([bound.low, bound.high]), st.floats(bound.low, bound.high)
        )
    return st.one_of(st.none(), inside) if bound.nullable else inside


@st.composite
def in_range_change(draw: st.DrawFn) -> tuple[tuple[str, Any], Any, int]:
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(bounds.CARD)))
        return ("state", name), draw(_in_range(bounds.CARD[name])), draw(st.integers(0, 7))
    name = draw(st.sampled_from(sorted(bounds.REVIEW)))
    return ("review", name), draw(_in_range(bounds.REVIEW[name])), draw(st.integers(0, 7))


@given(mutations=st.lists(in_range_change(), min_size=1, max_size=4))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("PREPCLI_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_values_at_the_edges_of_the_ranges_leave_every_command_working(
    mutations: list[tuple[tuple[str, Any], Any, int]],
    source: dict[str, Any],
    attempt: Callable[[str], int],
) -> None:
    """Every value here is in range: what is imported must not break a later command."""
    document = copy.deepcopy(source)
    for place, value, which in mutations:
        _mutate(document, place, value, which)
    attempt(json.dumps(document, allow_nan=True))
    figures.add("hostile import: examples")


# --- the cases the issue lists, as they were found -----------------------------------------


def _one(source: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> str:
    document = copy.deepcopy(source)
    change(document)
    return json.dumps(document, allow_nan=True)


def _review(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        next(c for c in document["cards"] if c["history"])["history"][-1][name] = value

    return change


def _state(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["cards"][0]["state"][name] = value

    return change


def _parameter(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["parameters"][name] = value

    return change


CASES: dict[str, Callable[[dict[str, Any]], None]] = {
    "study_day 10^12": _review("study_day", 10**12),
    "duration_ms 2^62": _review("duration_ms", 2**62),
    "state integer 2^64": _state("reps", 2**64),
    "due_day 2^63": _state("due_day", 2**63),
    "reviewed_ms beyond datetime": _review("reviewed_ms", 253402300800000 * 10),
    "reviewed_ms before 1970": _review("reviewed_ms", -1),
    "reviewed_ms in the future": _review("reviewed_ms", 32503679999999),
    "NaN stability": _state("stability", float("nan")),
    "NaN parameter": lambda d: d["parameters"]["params"].__setitem__(3, float("nan")),
    "parameter outside fsrs's bounds": lambda d: d["parameters"]["params"].__setitem__(0, 1e6),
    "created_ms abc": _parameter("created_ms", "abc"),
    "n_items 10^30": _parameter("n_items", 10**30),
    "a lone surrogate in a key": lambda d: d["cards"][0]["state"].__setitem__("\ud800", 1),
    "a lone surrogate in a card id": lambda d: d["cards"][0].__setitem__("card", "x/\udc00"),
    "a lone surrogate in a reason": _review("reason", "early \ud83d"),
    "inf elapsed_days": _review("elapsed_days", float("inf")),
    "difficulty 11": _state("difficulty", 11.0),
    "a card id with a newline": lambda d: d["cards"][0].__setitem__("card", "a/b\nc"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_hostile_value_of_the_issue_is_refused(
    case: str, source: dict[str, Any], attempt: Callable[[str], int]
) -> None:
    assert attempt(_one(source, CASES[case])) == 1


def test_an_unchanged_export_is_imported_and_undo_leaves_it(
    source: dict[str, Any], attempt: Callable[[str], int]
) -> None:
    assert attempt(json.dumps(source)) == 0


@pytest.mark.parametrize(
    "text",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"format": "prepcli-export", "version": 1, "schema": 1, "cards": '
        + "[" * 900
        + "]" * 900
        + "}",
        '{"format": "prepcli-export", "version": ' + "9" * 5000 + "}",
        '{"format": "prepcli-export", "version": 1e999, "schema": 1, "cards": []}',
        "\ud800",
        "",
    ],
    ids=[
        "list 50k deep",
        "object 50k deep",
        "cards 900 deep",
        "5000 digits",
        "1e999",
        "a lone surrogate",
        "empty",
    ],
)
def test_malformed_json_is_refused_with_a_location(
    text: str, attempt: Callable[[str], int]
) -> None:
    assert attempt(text) == 1


def test_a_huge_card_count_is_refused(
    source: dict[str, Any], attempt: Callable[[str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from prepcli.storage import transfer

    monkeypatch.setattr(transfer, "MAX_CARDS", 2)  # a million cards would take a while to write
    assert attempt(json.dumps(source)) == 1


# --- undo and check ----------------------------------------------------------------------------


def test_undo_takes_back_the_users_answers_never_an_imported_review(
    source: dict[str, Any],
    attempt: Callable[[str], int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert attempt(json.dumps(source)) == 0  # imported; undo already said "Nothing to undo."
    db = tmp_path / "prep.sqlite3"
    imported = _dump(db)[1]
    assert entry.run(["answer", "sample.basics/conflict-story", "good"]) == 0
    capsys.readouterr()
    assert entry.run(["undo"]) == 0
    assert capsys.readouterr().out.startswith("Undid Good on sample.basics/conflict-story")
    assert _dump(db)[1] == imported
    assert entry.run(["undo"]) == 0
    assert capsys.readouterr().out == "Nothing to undo.\n"
    assert _dump(db)[1] == imported


def test_check_finds_out_of_range_rows_and_fix_repairs_them(
    source: dict[str, Any],
    attempt: Callable[[str], int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rows an older prepcli let in (or a hand edit): `check` names each, `check --fix`
    backs up, removes or replays them, and every command works again."""
    assert attempt(json.dumps(source)) == 0
    db = tmp_path / "prep.sqlite3"
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "UPDATE review SET study_day = 1000000000000 WHERE id = (SELECT max(review.id) "
            "FROM review JOIN card ON card.id = card_id WHERE key = 'sample.basics/kv-cache')"
        )
        connection.execute(
            "UPDATE review SET duration_ms = 4611686018427387904 WHERE id = "
            "(SELECT min(id) FROM review)"
        )
        connection.execute(
            "UPDATE card SET due_day = 'soon', stability = 9e999 "
            "WHERE key = 'sample.coding/add-two'"
        )
        connection.execute(
            "INSERT INTO card (key, phase, due_day, modified_ms) "
            "VALUES ('sample.basics/x', 2, 99999999999, 0)"
        )
        connection.execute("INSERT INTO card (key, modified_ms) VALUES ('Bad Key/\n', 0)")
        connection.execute(
            "INSERT INTO fsrs_params (created_ms, params, n_items, source) "
            "VALUES (1, ?, 10, 'optimize')",
            (json.dumps([float("nan")] * 21),),
        )
    connection.close()
    capsys.readouterr()
    assert entry.run(["check"]) == 1
    assert "Out of range  7 values no prepcli writes" in capsys.readouterr().out
    assert entry.run(["check", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"]
    found = "\n".join(report["out_of_range"])
    for expected in (
        "sample.basics/kv-cache: review 4: study_day = 1000000000000 is out of range "
        "(a study day from 1969-12-31 to 2999-12-31)",
        "sample.basics/conflict-story: review 1: duration_ms = 4611686018427387904 is out "
        "of range (0 to 86,400,000)",
        "sample.coding/add-two: due_day = 'soon' must be a whole number",
        "sample.coding/add-two: stability = inf must be a finite number",
        "sample.basics/x: due_day = 99999999999 is out of range",
        "key = 'Bad Key/\\n' (card key must look like deck.id/card-id",
        "FSRS parameter set 2: params = '[NaN, NaN",
        "has 21 outside FSRS's bounds: w[0] = nan (bounds 0.001 to 100), w[1] = nan",
    ):
        assert expected in found, (expected, found)

    assert entry.run(["check", "--fix"]) == 0
    fixed = capsys.readouterr().out
    assert "Repaired; the backup made first is named below." in fixed
    backup = Path(fixed.strip().splitlines()[-1].removeprefix("Backup: "))
    assert rows_of(backup, "SELECT count(*) FROM card WHERE key = 'sample.basics/x'") == [(1,)]
    for argv in (["check"], ["today"], ["stats"], ["next", "--json"], ["deck", "orphans"]):
        assert entry.run(argv) == 0, argv
    capsys.readouterr()
    assert rows_of(
        db, "SELECT count(*) FROM card WHERE key IN ('sample.basics/x', 'Bad Key/\n')"
    ) == [(0,)]
    assert rows_of(db, "SELECT count(*) FROM fsrs_params") == [(1,)]
    assert rows_of(
        db, "SELECT max(study_day) < 800000, coalesce(max(duration_ms), 0) < 86400001 FROM review"
    ) == [(1, 1)]


def rows_of(db: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()
