"""The deck loader: every error class with its exact location and message, and the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from prepcli.core.errors import ProblemsError
from prepcli.files.decks import check_decks, load_decks
from prepcli.storage.deckcache import DeckCache

GOOD_CARD = "  - id: a\n    kind: concept\n    front: Q\n    back: A\n"
HEAD = "deck: t.deck\ntitle: T\ndescription: D\nsources: [s]\ncards:\n"

BAD_DECKS = Path(__file__).parent / "data" / "bad_decks"

# One malformed deck per error class under tests/data/bad_decks/ (each file says in its
# first line what is wrong with it), with every problem the loader reports for it.
EXPECTED: dict[str, list[str]] = {
    "alias-bomb.yaml": ["7:5: too many values (over 250,000; an alias bomb?)"],
    "bad-card-id.yaml": ["7:9: card id 'Bad_Id' must be a lowercase slug of at most 64 characters, e.g. 'kv-cache-size'"],
    "bad-deck-id.yaml": ["2:7: deck id 'Bad Deck' must be dotted lowercase slugs, e.g. 'llm-quiz.inference'"],
    "bad-tag.yaml": ["11:12: tags entry 'Big Tag' must be a lowercase slug like 'kv-cache'"],
    "bad-tagged-value.yaml": [
        "11:17: 'time_limit' must be a whole number of seconds from 1 to 14400",
        "11:17: bad value: 'soon' is not a valid !!int",
    ],
    "bad-time-limit.yaml": ["11:17: 'time_limit' must be a whole number of seconds from 1 to 14400"],
    "bad-version.yaml": ["2:10: unsupported format version 2 (expected 1)"],
    "card-missing-key.yaml": ["7:5: card is missing required key 'back'"],
    "card-not-a-mapping.yaml": ["7:5: a card must be a mapping, not a string"],
    "cards-not-a-list.yaml": ["7:3: 'cards' must be a list, not a mapping"],
    "control-character.yaml": ["10:12: character U+0007 is not allowed in YAML"],
    "deep-nesting.yaml": ["2:68: nested deeper than 64 levels"],
    "duplicate-card-id.yaml": ["11:9: duplicate card id 'a' (first at line 7)"],
    "duplicate-deck-id": ["b.yaml:2:7: deck id 'bad.duplicate-deck-id' is also used by {dir}/a.yaml"],
    "duplicate-key.yaml": ["11:5: duplicate key 'front' (first at line 9)"],
    "empty-file.yaml": ["1:1: file is empty"],
    "empty-text.yaml": ["9:12: 'front' must not be empty"],
    "entry-not-a-string.yaml": ['11:34: hints entry must be a string, not a number: put it in quotes, "42"'],
    "escape-sequence.yaml": [
        "3:19: control character U+001B (ESC) in 'title'",
        "9:30: control character U+001B (ESC) in 'front'",
        "11:20: control character U+009B (CSI) in 'hints'",
        "12:22: control character U+202E (RLO) in 'source'",
    ],
    "formerly-claimed-twice.yaml": ["16:16: old id 'old' is already claimed by card 'a'"],
    "formerly-not-a-slug.yaml": ["11:16: formerly entry 'Old Id' must be a lowercase slug like 'kv-cache-size'"],
    "formerly-own-id.yaml": ["11:16: card 'a' lists its own id in 'formerly'"],
    "merge-key.yaml": [
        "2:1: unknown key 'defaults' in deck (allowed: cards, deck, description, sources, tags, title, version)",
        "8:5: card is missing required key 'kind'",
        "9:5: keys must be plain strings (no merge keys)",
    ],
    "missing-key.yaml": ["2:1: deck is missing required key 'title'"],
    "multi-document.yaml": ["11:1: YAML syntax error: but found another document (expected a single document in the stream that starts at 2:1)"],
    "no-cards.yaml": ["6:8: deck has no cards"],
    "non-utf8.yaml": ["9:15: not valid UTF-8 (byte 0xe9)"],
    "not-a-list.yaml": ["11:13: 'points' must be a list of strings, not a string"],
    "not-a-mapping.yaml": ["2:1: a deck file must be a mapping, not a list"],
    "not-a-string.yaml": [
        "3:8: 'title' must be a string, not a list: put it in quotes, title: \"[T]\"",
        "9:12: 'front' must be a string, not a number: put it in quotes, front: \"42\"",
    ],
    "tests-without-solution.yaml": ["11:12: a card with 'tests' needs a 'solution' to check them"],
    "unknown-key.yaml": [
        "2:1: unknown key 'colour' in deck (allowed: cards, deck, description, sources, tags, title, version)",
        "12:5: unknown key 'answer' in card (did you mean 'back'? It is also set, on line 11)",
    ],
    "unknown-kind.yaml": ["8:11: unknown kind 'trivia' (expected one of: behavioral, cloze, coding, concept, design)"],
    "unsupported-tag.yaml": [
        "10:11: 'back' must be a string, not a list",
        "10:11: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ],
    "utf16.yaml": ["1:1: file is UTF-16; save it as UTF-8"],
    "yaml-syntax.yaml": ["8:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that starts at 7:9)"],
}  # fmt: skip


def expected_problems(name: str) -> list[str]:
    """The corpus entry's problems as `path:line:col: error: message` lines."""
    path = BAD_DECKS / name
    located = [line.split(": ", 1) for line in EXPECTED[name]]
    if path.is_dir():
        return [f"{path}/{where}: error: {what.format(dir=path)}" for where, what in located]
    return [f"{path}:{where}: error: {what}" for where, what in located]


def test_the_corpus_has_one_file_per_error_class() -> None:
    assert {p.name for p in BAD_DECKS.iterdir()} == set(EXPECTED)
    assert len(EXPECTED) >= 30
    for name in EXPECTED:
        path = BAD_DECKS / name
        for file in sorted(path.iterdir()) if path.is_dir() else [path]:
            data = file.read_bytes()
            text = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.decode("latin-1")
            assert text.startswith(f"# {name.removesuffix('.yaml')}: "), file  # says what is wrong


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_error_class_names_its_line_and_column(name: str) -> None:
    decks, problems = check_decks([BAD_DECKS / name])
    assert [str(p) for p in sorted(problems)] == expected_problems(name)
    assert all(p.severity == "error" for p in problems)
    assert len(decks) == (2 if name == "duplicate-deck-id" else 0)
    with pytest.raises(ProblemsError) as caught:
        load_decks([BAD_DECKS / name])
    assert str(caught.value) == "\n".join(expected_problems(name))


def test_a_file_over_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prepcli.files import yamlfile

    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 2 * 1024 * 1024)
    big = tmp_path / "big.yaml"
    big.write_text(HEAD + GOOD_CARD + "#" * (2 * 1024 * 1024), "utf-8")
    _decks, problems = check_decks([big])
    assert [str(p) for p in problems] == [
        f"{big}:1:1: error: file is 2,097,262 bytes; the limit is 2 MiB"
    ]


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + GOOD_CARD.replace("concept", "x") + GOOD_CARD, "utf-8")
    (tmp_path / "b.yaml").write_text("deck: b\n", "utf-8")
    with pytest.raises(ProblemsError) as caught:
        load_decks([tmp_path])
    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'a.yaml'}:7:11: error: unknown kind 'x' (expected one of: behavioral, cloze, coding, "
        "concept, design)",
        f"{tmp_path / 'a.yaml'}:10:9: error: duplicate card id 'a' (first at line 6)",
        f"{tmp_path / 'b.yaml'}:1:1: error: deck is missing required key 'cards'",
        f"{tmp_path / 'b.yaml'}:1:1: error: deck is missing required key 'description'",
        f"{tmp_path / 'b.yaml'}:1:1: error: deck is missing required key 'title'",
    ]


def test_bom_is_fine(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEAD + GOOD_CARD).encode("utf-8"))
    decks, problems = check_decks([bom])
    assert problems == [] and decks[0].cards[0].front == "Q"


def test_deck_sources_are_optional(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(HEAD.replace("sources: [s]\n", "") + GOOD_CARD, "utf-8")
    decks, problems = check_decks([path])
    assert problems == [] and decks[0].sources == ()


def test_loader_edge_cases_the_schema_agrees_on(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("version: true\n" + HEAD + GOOD_CARD + "    time_limit: 90.0\n", "utf-8")
    decks, problems = check_decks([path])
    assert [str(p) for p in problems] == [
        f"{path}:1:10: error: unsupported format version True (expected 1)"
    ]
    path.write_text("version: 1.0\n" + HEAD + GOOD_CARD + "    time_limit: 90.0\n", "utf-8")
    decks, problems = check_decks([path])
    assert problems == [] and decks[0].cards[0].time_limit == 90
    path.write_text(HEAD + GOOD_CARD.replace("id: a", 'id: "a\\n"'), "utf-8")
    _decks, problems = check_decks([path])
    assert [p.message for p in problems] == [
        "card id 'a\\n' must be a lowercase slug of at most 64 characters, e.g. 'kv-cache-size'"
    ]


def test_a_formerly_id_still_in_use_is_a_warning_and_keeps_its_own_history(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        HEAD + GOOD_CARD + "    formerly: [b, old]\n" + GOOD_CARD.replace("id: a", "id: b"), "utf-8"
    )
    _decks, problems = check_decks([path])
    assert [(str(p), p.severity) for p in problems] == [
        (
            f"{path}:10:16: warning: formerly id 'b' is still the id of the card at line 11, "
            "which keeps its own history",
            "warning",
        )
    ]
    loaded = load_decks([path])
    assert [c.id for c in loaded.cards()] == ["a", "b"]
    assert loaded.renames() == {"t.deck/old": "t.deck/a"}  # b's history stays with b


def test_duplicate_deck_ids_across_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(HEAD + GOOD_CARD, "utf-8")
    _decks, problems = check_decks([tmp_path])
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'b.yaml'}:1:7: error: deck id 't.deck' is also used by {tmp_path / 'a.yaml'}"
    ]


def test_a_folder_named_like_a_deck_is_not_read_as_one(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    (tmp_path / "odd.yaml" / "inner.yaml").write_text(HEAD + GOOD_CARD, "utf-8")
    decks, problems = check_decks([tmp_path])
    assert problems == [] and [d.path for d in decks] == [str(tmp_path / "odd.yaml" / "inner.yaml")]


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
    from prepcli.files import decks as decks_module

    deck = tmp_path / "d.yaml"
    deck.write_text(HEAD + GOOD_CARD, "utf-8")
    cache = DeckCache(tmp_path / "cache" / "decks.sqlite3")
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
    cache.close()
