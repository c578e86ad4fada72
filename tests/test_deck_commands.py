"""The deck authoring commands: preview, schema, new, list and orphans, with exact output."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import prepcli
from prepcli.app.maintenance import database_identity
from prepcli.core.cards import Kind
from prepcli.core.controls import CHARACTER_CLASS
from prepcli.files.deckcheck import CARD_KEYS, DECK_ID, DECK_KEYS, MAX_ID_LENGTH, SLUG
from prepcli.files.decks import check_decks
from prepcli.storage import paths
from prepcli.storage.store import open_store
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows
from tests.test_decks import BAD_DECKS, EXPECTED

Run = Callable[..., Result]
SCHEMA_FILE = Path(prepcli.__file__).parent / "deck.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
# What editors' YAML language servers validate (and what the schema declares).
DRAFT7 = jsonschema.Draft7Validator(SCHEMA)


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


# --- preview -----------------------------------------------------------------------------


def test_preview_one_card_front_then_back_without_a_database(
    run: Run, db_path: Path, tmp_path: Path
) -> None:
    result = run("deck", "preview", f"{SAMPLE_DECKS / 'basics.yaml'}#conflict-story")
    assert result.code == 0, result.err
    assert lines(result.out) == [
        "sample.basics/conflict-story  ·  behavioral  ·  new",
        "─" * 80,
        "Tell me about a disagreement with a colleague.",
        "Space/Enter show answer · b bury · s suspend · e edit · u undo · q quit",
        "⏱  1:30 left",
        "─" * 36 + " answer " + "─" * 36,
        "Show how it was resolved and what you learned, not that you won.",
        "Checklist:",
        "  ☐ Situation in two sentences",
        "  ☐ Your action, in the first person",
        "  ☐ The resolution and what changed",
        " 1  Again    2  Hard    3  Good    4  Easy",
        " u undo · b bury · s suspend · e edit · q quit",
    ]
    assert not db_path.exists()
    assert not (tmp_path / "cache").exists()


def test_preview_a_whole_file_shows_math_hints_and_code(run: Run) -> None:
    result = run("deck", "preview", str(SAMPLE_DECKS / "coding.yaml"))
    assert result.code == 0, result.err
    assert lines(result.out) == [
        "sample.coding/add-two  ·  coding  ·  new",
        "─" * 80,
        "Write add(a, b) returning the sum.",
        "Starter:",
        "",
        " def add(a, b):",
        "     raise NotImplementedError",
        "",
        "Space/Enter show answer · b bury · s suspend · e edit · u undo · q quit",
        "─" * 36 + " answer " + "─" * 36,
        "One line; O(1).",
        "Reference solution:",
        "",
        " def add(a, b):",
        "     return a + b",
        "",
        " 1  Again    2  Hard    3  Good    4  Easy",
        " u undo · b bury · s suspend · e edit · q quit",
    ]
    basics = lines(run("deck", "preview", str(SAMPLE_DECKS / "basics.yaml")).out)
    assert basics[:5] == [
        "sample.basics/attention-scaling  ·  concept  ·  new",
        "─" * 80,
        "Why are attention logits divided by √dₖ?",
        "h hint · Space/Enter show answer · b bury · s suspend · e edit · u undo · q quit",
        "hint: Think about the variance of a dot product.",
    ]
    assert basics.count("") == 2  # a blank line between the three cards


def test_preview_draws_with_the_review_sessions_own_renderables(run: Run) -> None:
    from prepcli.core.models import CardState
    from prepcli.files.decks import load_decks
    from prepcli.ui import card_view, render

    card = load_decks([SAMPLE_DECKS]).card_map()["sample.basics/kv-cache"]
    out = io.StringIO()
    console = render.console(file=out, width=80)
    for part in (card_view.card_front(card, CardState(key=card.key)), card_view.front_keys(card),
                 card_view.card_back(card)):  # fmt: skip
        console.print(part)
    shown = run("deck", "preview", f"{SAMPLE_DECKS / 'basics.yaml'}#kv-cache").out
    assert shown.startswith(out.getvalue())


def test_preview_errors(run: Run, tmp_path: Path, db_path: Path) -> None:
    unknown = run("deck", "preview", f"{SAMPLE_DECKS / 'coding.yaml'}#nope")
    assert (unknown.code, unknown.err) == (
        2,
        f"error: no card 'nope' in {SAMPLE_DECKS / 'coding.yaml'} (cards: add-two)\n",
    )
    missing = run("deck", "preview", str(tmp_path / "none.yaml"))
    assert (missing.code, missing.err) == (
        2,
        f"error: no such file or folder: {tmp_path / 'none.yaml'}\n",
    )
    bad = run("deck", "preview", str(BAD_DECKS / "unknown-kind.yaml"))
    assert (bad.code, bad.out) == (1, "")
    assert bad.err == (
        f"{BAD_DECKS / 'unknown-kind.yaml'}:8:11: error: unknown kind 'trivia' "
        "(expected one of: behavioral, cloze, coding, concept, design)\n"
    )
    assert not db_path.exists()


# --- schema ------------------------------------------------------------------------------


def test_schema_command_prints_the_shipped_file(run: Run) -> None:
    result = run("deck", "schema")
    assert result.code == 0
    assert result.out == SCHEMA_FILE.read_text("utf-8")
    shown = json.loads(result.out)
    assert shown["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert shown["$id"] == "urn:prepcli:deck-format:1"
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_matches_the_loaders_rules() -> None:
    card = SCHEMA["$defs"]["card"]
    assert set(SCHEMA["properties"]) == set(DECK_KEYS)
    assert set(SCHEMA["required"]) == {k for k, required in DECK_KEYS.items() if required}
    assert set(card["properties"]) == set(CARD_KEYS)
    assert set(card["required"]) == {k for k, required in CARD_KEYS.items() if required}
    assert SCHEMA["properties"]["deck"]["pattern"] == DECK_ID.pattern
    assert SCHEMA["$defs"]["slug"]["pattern"] == SLUG.pattern
    assert card["properties"]["id"]["pattern"] == SLUG.pattern
    assert card["properties"]["id"]["maxLength"] == MAX_ID_LENGTH
    assert card["properties"]["kind"]["enum"] == [k.value for k in Kind]
    # `tests` needs `solution`, said for draft-07 (editors) and for 2019-09 and later.
    assert card["dependencies"] == card["dependentRequired"] == {"tests": ["solution"]}
    # Text: not blank, and none of the control characters the loader refuses.
    text = "^(?=[\\s\\S]*\\S)[^" + CHARACTER_CLASS.removeprefix("[") + "*$"
    texts = [SCHEMA["properties"][k] for k in ("title", "description")]
    texts += [
        card["properties"][k]
        for k in ("front", "back", "explain", "source", "starter", "tests", "solution")
    ]
    assert [t["pattern"] for t in texts] == [text] * len(texts)
    assert SCHEMA["$defs"]["text"]["pattern"] == text


REPO = Path(__file__).resolve().parents[1]


def every_good_deck() -> list[Path]:
    folders = [paths.bundled("decks"), SAMPLE_DECKS, DATA / "lint_decks", DATA / "atomic_decks"]
    return sorted(p for folder in folders for p in folder.rglob("*.yaml"))


@pytest.mark.parametrize("path", every_good_deck(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bundled_and_sample_deck_is_valid_against_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert [e.message for e in VALIDATOR.iter_errors(data)] == []
    assert [e.message for e in DRAFT7.iter_errors(data)] == []
    first_line = path.read_text("utf-8").splitlines()[0]
    modeline = first_line.startswith("# yaml-language-server: $schema=")
    bundled = paths.bundled("decks")
    assert modeline or bundled not in path.parents  # every bundled deck has one
    if bundled in path.parents:  # …naming the schema file shipped inside decks/, so it
        # resolves in a source checkout and in an installed package alike
        target = path.parent / first_line.split("$schema=", 1)[1]
        assert target.resolve() == (bundled / "deck.schema.json").resolve()
        assert target.read_bytes() == SCHEMA_FILE.read_bytes()  # the same as the packaged one
    elif modeline:  # the test decks point at the source tree's schema
        target = path.parent / first_line.split("$schema=", 1)[1]
        assert target.resolve() == (REPO / "src" / "prepcli" / "deck.schema.json").resolve()


def test_the_bundled_decks_schema_copy_is_the_packaged_schema() -> None:
    """decks/deck.schema.json is what the bundled decks' modelines name; a schema change
    must be copied there too (cp src/prepcli/deck.schema.json decks/)."""
    copy = REPO / "decks" / "deck.schema.json"
    assert copy.read_bytes() == SCHEMA_FILE.read_bytes()


# What JSON Schema cannot say: uniqueness inside a list of objects, relations between
# values, YAML's own duplicate keys (PyYAML keeps the last) and other files.
SCHEMA_BLIND = {
    "duplicate-card-id.yaml", "duplicate-key.yaml", "formerly-claimed-twice.yaml",
    "formerly-own-id.yaml", "duplicate-deck-id",
}  # fmt: skip
# Not YAML a JSON Schema validator could even be given (PyYAML refuses them too).
NOT_YAML = {
    "yaml-syntax.yaml", "multi-document.yaml", "control-character.yaml", "non-utf8.yaml",
    "utf16.yaml", "unsupported-tag.yaml", "bad-tagged-value.yaml",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_schema_rejects_the_malformed_decks_it_can_see(name: str) -> None:
    path = BAD_DECKS / name
    for file in sorted(path.glob("*.yaml")) if path.is_dir() else [path]:
        try:
            data = yaml.safe_load(file.read_bytes().decode("utf-8"))
        except (ValueError, yaml.YAMLError):  # PyYAML raises ValueError for `!!int soon`
            assert name in NOT_YAML
            continue
        assert name not in NOT_YAML
        assert VALIDATOR.is_valid(data) == (name in SCHEMA_BLIND)
        assert DRAFT7.is_valid(data) == (name in SCHEMA_BLIND)


GOOD_DECK: dict[str, Any] = {
    "version": 1,
    "deck": "t.deck",
    "title": "T",
    "description": "D",
    "sources": ["s"],
    "tags": ["t"],
    "cards": [{"id": "a", "kind": "concept", "front": "Q", "back": "A"}],
}
# (where, value, valid): `where` is a deck key or "card.KEY"; value None-the-object deletes.
DELETE = object()
MUTATIONS: list[tuple[str, Any, bool]] = [
    ("version", DELETE, True), ("version", 2, False), ("version", True, False),
    ("version", "1", False), ("version", 1.0, True),
    ("deck", "a.b-c.d0", True), ("deck", "A", False), ("deck", "a..b", False),
    ("deck", "a.", False), ("deck", "", False), ("deck", 1, False), ("deck", DELETE, False),
    ("title", "", False), ("title", "  \n", False), ("title", 1, False), ("title", None, False),
    ("title", ["T"], False), ("title", DELETE, False), ("description", DELETE, False),
    ("sources", DELETE, True), ("sources", [], True), ("sources", "s", False),
    ("sources", [1], False), ("sources", [""], False), ("sources", None, False),
    ("tags", [], True), ("tags", ["kv-cache", "x1"], True), ("tags", ["Kv"], False),
    ("tags", ["-kv"], False), ("tags", "kv", False), ("tags", [None], False),
    ("cards", [], False), ("cards", "x", False), ("cards", None, False),
    ("cards", DELETE, False), ("cards", ["x"], False), ("colour", "red", False),
    ("card.id", "a" * MAX_ID_LENGTH, True), ("card.id", "a" * (MAX_ID_LENGTH + 1), False),
    ("card.id", "Bad", False), ("card.id", "", False), ("card.id", 1, False),
    ("card.id", DELETE, False),
    *((("card.kind", kind.value, True)) for kind in Kind if kind != Kind.CLOZE),
    ("card.kind", "cloze", False),  # a cloze card's front needs a {{c1::…}} deletion
    ("card.kind", "quiz", False), ("card.kind", DELETE, False),
    ("card.front", "", False), ("card.front", 1, False), ("card.front", None, False),
    ("card.front", "  \n", False), ("card.back", DELETE, False),
    ("card.hints", [], True), ("card.hints", ["h", "i"], True), ("card.hints", [1], False),
    ("card.hints", [""], False), ("card.points", "p", False), ("card.points", ["p"], True),
    ("card.tags", ["x"], True), ("card.tags", ["X"], False),
    ("card.time_limit", 1, True), ("card.time_limit", 14400, True),
    ("card.time_limit", 0, False), ("card.time_limit", 14401, False),
    ("card.time_limit", "90", False), ("card.time_limit", 90.0, True),
    ("card.time_limit", 90.5, False), ("card.time_limit", True, False),
    ("card.formerly", ["old-id"], True), ("card.formerly", ["Old"], False),
    ("card.formerly", "old", False), ("card.source", "s", True), ("card.source", "", False),
    ("card.solution", "x = 1", True), ("card.tests", "assert True", False),
    ("card.starter", "", False), ("card.answer", "x", False),
    ("card.tier", "core", True), ("card.tier", "extended", True), ("card.tier", "gold", False),
    ("card.tier", 1, False), ("card.explain", "why", True), ("card.explain", "", False),
    ("card.formerly", ["other.deck/old-id"], True), ("card.formerly", ["Other/x"], False),
    ("card.formerly", ["a/b/c"], False),
    # Control characters a terminal obeys (tab and newline are text).
    ("title", "Clipboard \x1b]52;c;ZXZpbA==\x07", False), ("description", "D\u202e", False),
    ("sources", ["s\x9b6n"], False), ("card.front", "Q\x1b[2J", False),
    ("card.back", "A\x7f", False), ("card.explain", "why\r", False),
    ("card.hints", ["h\x00"], False), ("card.points", ["p\u2066"], False),
    ("card.source", "s\x90", False), ("card.solution", "x = 1\x1b", False),
    ("card.back", "a\tb\nc é ⁂", True), ("card.front", "\x1b", False),
]  # fmt: skip


def mutated(where: str, value: Any) -> Any:
    deck = deepcopy(GOOD_DECK)
    target, key = (deck["cards"][0], where[5:]) if where.startswith("card.") else (deck, where)
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return deck


@pytest.mark.parametrize(("where", "value", "valid"), MUTATIONS)
def test_the_schema_and_the_loader_agree(
    tmp_path: Path, where: str, value: Any, valid: bool
) -> None:
    deck = mutated(where, value)
    path = tmp_path / "deck.yaml"
    path.write_text(yaml.safe_dump(deck, allow_unicode=True), "utf-8")
    _decks, problems = check_decks([path])
    assert (not problems, VALIDATOR.is_valid(deck)) == (valid, valid), [str(p) for p in problems]
    assert DRAFT7.is_valid(deck) == valid
    with_tests = mutated("card.solution", "def f(): pass")
    with_tests["cards"][0]["tests"] = "assert True"
    assert VALIDATOR.is_valid(with_tests) and DRAFT7.is_valid(with_tests)


def test_a_top_level_list_is_neither_a_deck_nor_valid(tmp_path: Path) -> None:
    assert not VALIDATOR.is_valid([GOOD_DECK]) and not DRAFT7.is_valid([GOOD_DECK])


# --- new ---------------------------------------------------------------------------------


def test_new_writes_a_skeleton_that_lints_clean(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "decks" / "mine.yaml"
    result = run("deck", "new", str(path), "--deck", "my.notes", "--title", "Notes: #1 of 2")
    assert result.code == 0, result.err
    schema = path.parent / "deck.schema.json"
    assert result.out == (
        f"Wrote {path} (deck my.notes, one example card) and {schema} for editors.\n"
        f"Preview it with `prepcli deck preview {path}`; "
        f"check it with `prepcli deck lint {path}`.\n"
    )
    assert path.read_text("utf-8") == (
        "# yaml-language-server: $schema=deck.schema.json\n"
        "# A prepcli deck, format version 1. `prepcli deck lint` checks it; `prepcli deck preview\n"
        "# FILE#CARD-ID` shows a card as the review session will.\n"
        "version: 1\n"
        "deck: my.notes\n"
        'title: "Notes: #1 of 2"\n'
        'description: "TODO: what this deck covers."\n'
        "sources:\n"
        '  - "TODO: the documents or references this deck is written from"\n'
        "tags: []\n"
        "cards:\n"
        "  # id: a short slug, stable forever: review history is keyed by deck/id (to rename a\n"
        "  #   card, give it a new id and list the old one under `formerly:`).\n"
        "  # kind: concept | behavioral | coding | design.\n"
        "  # Optional: tags, hints, points, time_limit, formerly, source, starter, tests, solution.\n"
        "  - id: first-card\n"
        "    kind: concept\n"
        "    front: |\n"
        "      The question, in Markdown. Inline math such as $\\sqrt{d_k}$ is shown in Unicode.\n"
        "    back: |\n"
        "      The answer, in Markdown: at most 20 lines of at most 100 characters.\n"
    )
    # The schema beside the deck: the modeline survives reinstalling prepcli.
    assert schema.read_bytes() == SCHEMA_FILE.read_bytes()
    lint = run("deck", "lint", "--strict", str(path))
    assert (lint.code, lint.out) == (0, "1 file, 1 deck, 1 card: no problems.\n")
    assert VALIDATOR.is_valid(yaml.safe_load(path.read_text("utf-8")))
    decks, _problems = check_decks([path])
    assert decks[0].title == "Notes: #1 of 2"


def test_new_refuses_to_overwrite_and_checks_its_values(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("keep me\n", "utf-8")
    again = run("deck", "new", str(path), "--deck", "my.notes", "--title", "T")
    assert (again.code, again.err) == (
        1,
        f"error: {path} already exists; `deck new` never overwrites a file\n",
    )
    assert path.read_text("utf-8") == "keep me\n"
    other = tmp_path / "other.yaml"
    bad_id = run("deck", "new", str(other), "--deck", "My Notes", "--title", "T")
    assert (bad_id.code, bad_id.err) == (
        2,
        "error: --deck 'My Notes' must be dotted lowercase slugs, e.g. llm-quiz.inference\n",
    )
    assert run("deck", "new", str(other), "--deck", "a", "--title", " ").code == 2
    txt = run("deck", "new", str(tmp_path / "notes.txt"), "--deck", "a", "--title", "T")
    assert (txt.code, txt.err) == (
        2,
        f"error: {tmp_path / 'notes.txt'}: deck files end in .yaml or .yml\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "mine.yaml"]


def test_new_with_sources_and_description(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "src.yaml"
    result = run("deck", "new", str(path), "--deck", "x", "--title", "X", "--description",
                 "All about x.", "--source", "Paper A (2023)", "--source", "yes")  # fmt: skip
    assert result.code == 0
    decks, problems = check_decks([path])
    assert problems == []
    assert (decks[0].description, decks[0].sources) == ("All about x.", ("Paper A (2023)", "yes"))


# --- list --------------------------------------------------------------------------------


def test_list_shows_decks_card_counts_and_files(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    monkeypatch.setenv("PREPCLI_DECKS", "decks")
    assert lines(run("deck", "list").out) == [
        " deck           title          cards  path",
        " sample.basics  Sample basics      3  decks/basics.yaml",
        " sample.coding  Sample coding      1  decks/coding.yaml",
    ]
    assert json.loads(run("deck", "list", "--json").out)["decks"] == [
        {"deck": "sample.basics", "title": "Sample basics", "cards": 3,
         "path": "decks/basics.yaml"},
        {"deck": "sample.coding", "title": "Sample coding", "cards": 1,
         "path": "decks/coding.yaml"},
    ]  # fmt: skip


def test_list_reads_the_deck_cache_without_loading_a_deck(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Once the decks are cached, `deck list` takes titles and counts from the cache: the
    same table, and no deck file parsed nor card decoded (a big collection lists at once).
    A deck file changed since: loaded again, and listed as it now is."""
    from prepcli.files import decks as deck_files

    shutil.copytree(DATA / "decks", tmp_path / "decks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREPCLI_DECKS", "decks")
    first = run("deck", "list", "--json").out
    loads: list[object] = []
    real = deck_files.load_decks
    monkeypatch.setattr(deck_files, "load_decks", lambda *a: loads.append(a) or real(*a))
    assert run("deck", "list", "--json").out == first
    assert run("deck", "list").out.splitlines()[1].split() == [
        "sample.basics", "Sample", "basics", "3", "decks/basics.yaml"
    ]  # fmt: skip
    assert loads == []
    basics = tmp_path / "decks" / "basics.yaml"
    basics.write_text(basics.read_text("utf-8").replace("Sample basics", "Basics v2"), "utf-8")
    listed = json.loads(run("deck", "list", "--json").out)["decks"]
    assert [(d["title"], d["cards"]) for d in listed] == [("Basics v2", 3), ("Sample coding", 1)]
    assert len(loads) == 1
    assert json.loads(run("deck", "list", "--json").out)["decks"] == listed
    assert len(loads) == 1  # cached again


# --- orphans -----------------------------------------------------------------------------


@pytest.fixture
def orphaned(run: Run, sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers on cards of both sample decks, then only the basics deck is in use."""
    run("answer", "sample.basics/kv-cache", "good")
    run("answer", "sample.coding/add-two", "good")
    run("answer", "sample.coding/add-two", "good")
    monkeypatch.setenv("PREPCLI_DECKS", str(sample_decks / "basics.yaml"))


@pytest.mark.usefixtures("orphaned")
def test_orphans_lists_cards_no_deck_defines(run: Run) -> None:
    result = run("deck", "orphans")
    assert result.code == 0, result.err
    assert lines(result.out) == [
        "1 card in the database that no deck defines:",
        " card                   reviews  last answer",
        " sample.coding/add-two        2  2026-11-23 09:00 CET",
        "`prepcli deck orphans --forget` removes them and their reviews.",
    ]
    assert json.loads(run("deck", "orphans", "--json").out) == {
        "version": 1,
        "orphans": [
            {
                "card": "sample.coding/add-two",
                "reviews": 2,
                "last_answer": "2026-11-23T09:00:00+01:00",
            }
        ],
        "removed": None,
        "backup": None,
    }


@pytest.mark.usefixtures("orphaned")
def test_orphans_forget_asks_then_removes_cards_and_their_reviews(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    declined = run("deck", "orphans", "--forget")
    assert declined.code == 1
    assert declined.out.endswith(
        "Remove 1 card and 2 reviews from the database? This cannot be undone. [y/N]: "
    )
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(3,)]
    result = run("deck", "orphans", "--forget", "--yes")
    assert result.code == 0, result.err
    assert lines(result.out) == [
        " card                   reviews  last answer",
        " sample.coding/add-two        2  2026-11-23 09:00 CET",
        f"Backup: {db_path.parent / 'backups'}/{db_path.stem}-{database_identity(db_path)}"
        "-20261123T080000Z-before-orphans-forget.sqlite3",
        "Removed 1 card and 2 reviews.",
    ]
    assert rows(db_path, "SELECT key FROM card") == [("sample.basics/kv-cache",)]
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(1,)]
    assert run("deck", "orphans").out == "No orphans: every card in the database is in a deck.\n"


def test_delete_cards_is_one_transaction(db_path: Path) -> None:
    store = open_store(db_path)
    try:
        for key in ("d/a", "d/b"):
            store.db.execute(
                "INSERT INTO card (key, modified_ms) VALUES (?, 0)", (key,)
            )  # a card row with one review row each
            store.db.execute(
                "INSERT INTO review (card_id, reviewed_ms, study_day, tz_offset_min, rating, kind,"
                " b_phase, b_reps, b_lapses, b_leech, a_phase, a_reps, a_lapses, a_leech) "
                "SELECT id, 0, 0, 0, 3, 0, 0, 0, 0, 0, 2, 1, 0, 0 FROM card WHERE key = ?",
                (key,),
            )
        store.db.execute(
            "CREATE TRIGGER keep_b BEFORE DELETE ON card WHEN old.key = 'd/b' "
            "BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
        with pytest.raises(sqlite3.IntegrityError):
            store.upkeep.delete_cards(["d/a", "d/b"])
        assert store.log.review_count() == 2  # the reviews deleted first came back
        assert sorted(store.upkeep.card_review_counts()) == ["d/a", "d/b"]
        store.db.execute("DROP TRIGGER keep_b")
        assert store.upkeep.delete_cards(["d/a", "d/b", "d/unknown"]) == (2, 2)
        assert store.upkeep.card_review_counts() == {}
    finally:
        store.close()
