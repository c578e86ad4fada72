"""The deck loader: every error class with its exact location and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from prepcli.decks import check_decks, load_decks
from prepcli.errors import ProblemsError

GOOD_CARD = "  - id: a\n    kind: concept\n    front: Q\n    back: A\n"
HEAD = "deck: t.deck\ntitle: T\ndescription: D\nsources: [s]\ncards:\n"

CASES = [
    ("yaml-syntax", HEAD + "  - id: [a\n", "7:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that starts at 6:9)"),
    ("not-mapping", "- a\n- b\n", "1:1: a deck file must be a mapping, not a list"),
    ("empty-file", "", "1:1: file is empty"),
    ("missing-title", "deck: t.deck\ndescription: D\nsources: [s]\ncards:\n" + GOOD_CARD,
     "1:1: deck is missing required key 'title'"),
    ("unknown-top-key", "colour: red\n" + HEAD + GOOD_CARD,
     "1:1: unknown key 'colour' in deck (allowed: cards, deck, description, sources, tags, "
     "title, version)"),
    ("bad-deck-id", HEAD.replace("t.deck", "T Deck") + GOOD_CARD,
     "1:7: deck id 'T Deck' must be dotted lowercase slugs, e.g. 'llm-quiz.inference'"),
    ("bad-version", "version: 2\n" + HEAD + GOOD_CARD,
     "1:10: unsupported format version 2 (expected 1)"),
    ("title-not-string", HEAD.replace("title: T", "title: [T]") + GOOD_CARD,
     "2:8: 'title' must be a string, not a list"),
    ("cards-not-list", HEAD + "  a: b\n", "6:3: 'cards' must be a list, not a mapping"),
    ("no-cards", HEAD.replace("cards:\n", "cards: []\n"), "5:8: deck has no cards"),
    ("card-not-mapping", HEAD + "  - just text\n", "6:5: a card must be a mapping, not a string"),
    ("card-missing-back", HEAD + "  - id: a\n    kind: concept\n    front: Q\n",
     "6:5: card is missing required key 'back'"),
    ("card-unknown-key", HEAD + GOOD_CARD + "    answer: x\n",
     "10:5: unknown key 'answer' in card (allowed: back, formerly, front, hints, id, kind, "
     "points, solution, source, starter, tags, tests, time_limit)"),
    ("bad-kind", HEAD + GOOD_CARD.replace("concept", "trivia"),
     "7:11: unknown kind 'trivia' (expected one of: behavioral, coding, concept, design)"),
    ("bad-card-id", HEAD + GOOD_CARD.replace("id: a", "id: Bad_Id"),
     "6:9: card id 'Bad_Id' must be a lowercase slug of at most 64 characters, e.g. "
     "'kv-cache-size'"),
    ("duplicate-card-id", HEAD + GOOD_CARD + GOOD_CARD,
     "10:9: duplicate card id 'a' (first at line 6)"),
    ("empty-front", HEAD + GOOD_CARD.replace("front: Q", "front: ''"),
     "8:12: 'front' must not be empty"),
    ("front-number", HEAD + GOOD_CARD.replace("front: Q", "front: 42"),
     "8:12: 'front' must be a string, not a number"),
    ("bad-tag", HEAD + GOOD_CARD + "    tags: [Big Tag]\n",
     "10:12: tags entry 'Big Tag' must be a lowercase slug like 'kv-cache'"),
    ("points-not-list", HEAD + GOOD_CARD + "    points: one\n",
     "10:13: 'points' must be a list of strings, not a string"),
    ("bad-time-limit", HEAD + GOOD_CARD + "    time_limit: soon\n",
     "10:17: 'time_limit' must be a whole number of seconds from 1 to 14400"),
    ("tests-without-solution", HEAD + GOOD_CARD + "    tests: assert True\n",
     "10:12: a card with 'tests' needs a 'solution' to check them"),
    ("duplicate-key", HEAD + GOOD_CARD + "    front: again\n",
     "10:5: duplicate key 'front' (first at line 8)"),
    ("python-tag", HEAD + GOOD_CARD.replace("back: A", "back: !!python/object/apply:os.system [ls]"),
     "9:11: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("formerly-claimed-twice", HEAD + GOOD_CARD + "    formerly: [old]\n"
     + GOOD_CARD.replace("id: a", "id: b") + "    formerly: [old]\n",
     "15:15: old id 'old' is already claimed by card 'a'"),
    ("formerly-still-used", HEAD + GOOD_CARD + "    formerly: [b]\n"
     + GOOD_CARD.replace("id: a", "id: b"), "10:15: formerly id 'b' is still the id of another card"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_error_class_names_its_line_and_column(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    decks, problems = check_decks([path])
    assert decks == []
    messages = [f"{p.line}:{p.col}: {p.message}" for p in problems]
    assert any(m.startswith(expected) for m in messages), messages
    assert all(p.path == str(path) for p in problems)


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + GOOD_CARD.replace("concept", "x") + GOOD_CARD, "utf-8")
    (tmp_path / "b.yaml").write_text("deck: b\n", "utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_decks([tmp_path])
    text = str(caught.value)
    assert f"{tmp_path / 'a.yaml'}:7:11: unknown kind 'x'" in text
    assert f"{tmp_path / 'a.yaml'}:10:9: duplicate card id 'a'" in text
    assert f"{tmp_path / 'b.yaml'}:1:1: deck is missing required key 'title'" in text
    assert len(caught.value.problems) == 2 + 4  # b.yaml misses title, description, sources, cards


def test_duplicate_deck_ids_across_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(HEAD + GOOD_CARD, "utf-8")
    _decks, problems = check_decks([tmp_path])
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'b.yaml'}:1:1: deck id 't.deck' is also used by {tmp_path / 'a.yaml'}"
    ]


def test_non_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes((HEAD + GOOD_CARD).encode("utf-8").replace(b"front: Q", b"front: caf\xe9"))
    _decks, problems = check_decks([path])
    assert [str(p) for p in problems] == [f"{path}:8:15: not valid UTF-8 (byte 0xe9)"]


def test_bom_and_utf16(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEAD + GOOD_CARD).encode("utf-8"))
    decks, problems = check_decks([bom])
    assert problems == [] and decks[0].cards[0].front == "Q"
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes((HEAD + GOOD_CARD).encode("utf-16"))
    _decks, problems = check_decks([utf16])
    assert [p.message for p in problems] == ["file is UTF-16; save it as UTF-8"]


def test_alias_bomb_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", "utf-8")
    _decks, problems = check_decks([bomb])
    assert len(problems) == 1 and "too many values" in problems[0].message
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 100 + "]" * 100 + "\n", "utf-8")
    _decks, problems = check_decks([deep])
    assert [p.message for p in problems] == ["nested deeper than 64 levels"]


def test_card_fields_and_line_numbers(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE_DECKS

    decks = load_decks([SAMPLE_DECKS])
    cards = decks.card_map()
    scaling = cards["sample.basics/attention-scaling"]
    assert scaling.line == 10
    assert scaling.tags == ("attention",)
    assert scaling.hints == ("Think about the variance of a dot product.",)
    story = cards["sample.basics/conflict-story"]
    assert story.timer_seconds == 90 and len(story.points) == 3
    assert cards["sample.basics/kv-cache"].timer_seconds is None
    assert [d.id for d in decks.decks] == ["sample.basics", "sample.coding"]


def test_unchanged_files_are_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prepcli import decks as decks_module

    deck = tmp_path / "d.yaml"
    deck.write_text(HEAD + GOOD_CARD, "utf-8")
    cache = tmp_path / "cache.pickle"
    parsed: list[Path] = []
    real = decks_module.parse_deck_file

    def counting(path: Path):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(decks_module, "parse_deck_file", counting)
    first = load_decks([tmp_path], cache)
    second = load_decks([tmp_path], cache)
    assert parsed == [deck] and first == second
    deck.write_text(HEAD + GOOD_CARD.replace("back: A", "back: Changed"), "utf-8")
    third = load_decks([tmp_path], cache)
    assert parsed == [deck, deck]
    assert third.decks[0].cards[0].back == "Changed"
