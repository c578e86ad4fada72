"""Authoring messages as good as a linter's: the key meant, the quotes a value needs, a
YAML slip said as the slip it is, warnings beside errors, and `error:` on every error line;
and an editor schema that lives beside the decks. Through the real CLI, exact text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import prepcli
from prepcli.files.authorhints import explain_syntax_error
from tests.conftest import Result

Run = Callable[..., Result]
SCHEMA_FILE = Path(prepcli.__file__).parent / "deck.schema.json"
HEAD = "deck: t.deck\ntitle: T\ndescription: D\nsources: [s]\ncards:\n"


def card(*lines: str) -> str:
    """One card: `  - id: a` and `kind: concept` then the given field lines."""
    return "  - id: a\n    kind: concept\n" + "".join(f"    {line}\n" for line in lines)


def lint_lines(run: Run, tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    path = tmp_path / "d.yaml"
    path.write_text(text, "utf-8")
    result = run("deck", "lint", str(path))
    assert result.err == ""
    return path, result.out.splitlines()


# --- did you mean ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"),
    [("frnot", "front"), ("bakc", "back"), ("hint", "hints"), ("timelimit", "time_limit"),
     ("question", "front"), ("answer", "back"), ("rubric", "points"), ("expalin", "explain")],
)  # fmt: skip
def test_an_unknown_card_key_suggests_the_key_meant(
    run: Run, tmp_path: Path, written: str, meant: str
) -> None:
    fields = {"front": "front: Q", "back": "back: A"}
    fields[meant] = f"{written}: x"  # the slip replaces the key it was meant to be
    path, out = lint_lines(run, tmp_path, HEAD + card(*fields.values()))
    (line,) = [n for n, text in enumerate((HEAD + card(*fields.values())).split("\n"), 1)
               if text.startswith(f"    {written}:")]  # fmt: skip
    assert (
        f"{path}:{line}:5: error: unknown key {written!r} in card (did you mean {meant!r}?)" in out
    )


def test_a_slip_beside_the_right_key_says_the_key_is_there(run: Run, tmp_path: Path) -> None:
    path, out = lint_lines(run, tmp_path, HEAD + card("front: Q", "frnot: Q", "back: A"))
    assert out[0] == (
        f"{path}:9:5: error: unknown key 'frnot' in card (did you mean 'front'? "
        "It is also set, on line 8)"
    )


def test_nothing_close_lists_the_keys_allowed(run: Run, tmp_path: Path) -> None:
    path, out = lint_lines(run, tmp_path, "colour: red\n" + HEAD + card("front: Q", "back: A"))
    assert out[0] == (
        f"{path}:1:1: error: unknown key 'colour' in deck (allowed: cards, deck, description, "
        "sources, tags, title, version)"
    )


def test_deck_keys_kinds_and_tiers_suggest_too(run: Run, tmp_path: Path) -> None:
    text = HEAD.replace("title: T", "titel: T") + (
        "  - id: a\n    kind: concpet\n    tier: extnded\n    front: Q\n    back: A\n"
    )
    path, out = lint_lines(run, tmp_path, text)
    assert [line for line in out if ": error: " in line] == [
        f"{path}:1:1: error: deck is missing required key 'title'",
        f"{path}:2:1: error: unknown key 'titel' in deck (did you mean 'title'?)",
        f"{path}:7:11: error: unknown kind 'concpet' (did you mean 'concept'?)",
        f"{path}:8:11: error: unknown tier 'extnded' (did you mean 'extended'?)",
    ]


# --- quoting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("back: 4", "'back' must be a string, not a number: put it in quotes, back: \"4\""),
        ("back: 0.5  # a comment", "'back' must be a string, not a number: put it in quotes, "
                                   "back: \"0.5\""),
        ("back: yes", "'back' must be a string, not a boolean (YAML reads yes as true): put "
                      "it in quotes, back: \"yes\""),
        ("back: Off", "'back' must be a string, not a boolean (YAML reads Off as false): put "
                      "it in quotes, back: \"Off\""),
        ("back: 2024-01-31", "'back' must be a string, not a date: put it in quotes, "
                             "back: \"2024-01-31\""),
        ("back: {x}", "'back' must be a string, not a mapping: put it in quotes, back: \"{x}\""),
        ("back: #1", "'back' must be a string, not empty (a # after a space starts a comment): "
                     "put it in quotes, back: \"#1\""),
    ],
)  # fmt: skip
def test_a_value_yaml_reads_as_no_text_says_to_quote_it(
    run: Run, tmp_path: Path, written: str, message: str
) -> None:
    path, out = lint_lines(run, tmp_path, HEAD + card("front: Q", written))
    assert out[0].startswith(f"{path}:9:")
    assert out[0].split(": error: ", 1)[1] == message


def test_a_list_entry_that_is_a_number_says_to_quote_it(run: Run, tmp_path: Path) -> None:
    path, out = lint_lines(run, tmp_path, HEAD + card("front: Q", "back: A", "hints: [Look., 42]"))
    assert (
        out[0]
        == f'{path}:10:20: error: hints entry must be a string, not a number: put it in quotes, "42"'
    )


# --- YAML slips --------------------------------------------------------------------------

SLIPS = [
    ("colon in text", ["    front: What: is this", "    back: A"], 8, 16,
     "a colon inside unquoted text (': ', or ':' ending a line, starts a key in YAML): put the "
     "text in quotes, front: \"What: is this\" (or write it on the lines after 'front: |')"),
    ("colon at the end", ["    front: Why:", "    back: A"], 8, 15,
     "a colon inside unquoted text (': ', or ':' ending a line, starts a key in YAML): put the "
     "text in quotes, front: \"Why:\" (or write it on the lines after 'front: |')"),
    ("key indented too far", ["      front: Q", "    back: A"], 8, 7,
     "this key is indented more than line 7, so YAML reads it as part of that line's value: "
     "start it in column 5, where 'kind' starts"),
    ("key indented too little", ["    front: Q", "   back: A"], 9, 4,
     "this line starts in column 4, which lines up with no block above it: keys of one mapping "
     "start in one column (column 5, as on line 8)"),
    ("a tab", ["    front: Q", "\tback: A"], 9, 1,
     "a tab in the indentation: YAML indents with spaces only"),
    ("a quote inside single quotes", ["    front: 'It's'", "    back: A"], 8, 16,
     "text after the end of a quoted or bracketed value: inside single quotes write ' as '' "
     "(It''s), or use double quotes"),
    ("a bracket starting text", ["    front: [draft] What?", "    back: A"], 8, 20,
     "text after the end of a quoted or bracketed value: a value starting with [ is a list or a "
     "mapping: put the text in quotes"),
    ("a backtick starting text", ["    front: `x` is what?", "    back: A"], 8, 12,
     "a value cannot start with '`': put the text in quotes, front: \"`x` is what?\""),
    ("a quote never closed", ['    front: "Why', "    back: A"], 8, 12,
     'the " opened here is never closed'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "fields", "line", "col", "message"), SLIPS, ids=[s[0] for s in SLIPS]
)
def test_a_yaml_slip_is_said_as_the_slip_it_is(
    run: Run, tmp_path: Path, name: str, fields: list[str], line: int, col: int, message: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + card() + "".join(f"{line}\n" for line in fields), "utf-8")
    result = run("deck", "lint", str(path))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{path}:{line}:{col}: error: YAML syntax error: {message}",
        "1 file, 0 decks, 0 cards: 1 error, 0 warnings.",
    ]


def test_a_dash_without_a_space_is_not_a_list_item(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + card("front: Q", "back: A") + "  -id: b\n", "utf-8")
    result = run("deck", "lint", str(path))
    assert result.out.splitlines()[0] == (
        f"{path}:10:3: error: YAML syntax error: '-' starts a list item only with a space after "
        "it ('- id: b')"
    )


# --- warnings beside errors, `error:` everywhere ------------------------------------------


def test_warnings_come_with_the_errors_and_the_summary_counts_what_was_read(
    run: Run, tmp_path: Path
) -> None:
    text = HEAD.replace("sources: [s]\n", "") + (
        "  - id: a\n    kind: concept\n    front: What is it? And why? TODO\n    back: 4\n"
        "  - id: b\n    kind: concept\n    front: What is a KV cache?\n    back: Cached keys.\n"
    )
    path, out = lint_lines(run, tmp_path, text)
    assert out == [
        f"{path}:5:5: warning: card has no source: give it a 'source' or give the deck 'sources'",
        f"{path}:7:12: warning: front asks more than one question: split it into cards",
        f"{path}:7:33: warning: placeholder text 'TODO' in 'front'",
        f"{path}:8:11: error: 'back' must be a string, not a number: put it in quotes, back: \"4\"",
        f"{path}:9:5: warning: card has no source: give it a 'source' or give the deck 'sources'",
        "1 file, 1 deck, 2 cards (1 with errors): 1 error, 4 warnings.",
    ]


def test_every_command_prints_error_before_each_problem(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + card("frnot: Q", "back: yes"), "utf-8")
    for args in (["deck", "list"], ["deck", "preview", str(path)], []):
        result = run("--decks", str(path), *args)
        assert (result.code, result.out) == (1, ""), args
        assert result.err.splitlines() == [
            f"{path}:6:5: error: card is missing required key 'front'",
            f"{path}:8:5: error: unknown key 'frnot' in card (did you mean 'front'?)",
            f"{path}:9:11: error: 'back' must be a string, not a boolean (YAML reads yes as "
            'true): put it in quotes, back: "yes"',
        ], args


# --- the editor schema beside the decks ---------------------------------------------------


def test_schema_write_puts_the_schema_in_the_deck_folder(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    target = folder / "deck.schema.json"
    first = run("deck", "schema", "--write", str(folder))
    assert (first.code, first.out) == (0,
        f"Wrote {target}.\nA deck file in {folder} uses it with this first line:\n"
        "# yaml-language-server: $schema=deck.schema.json\n")  # fmt: skip
    assert target.read_bytes() == SCHEMA_FILE.read_bytes()
    again = run("deck", "schema", "--write", str(folder))
    assert again.out.splitlines()[0] == f"{target} is up to date."
    # A copy from an older prepcli is refreshed; someone else's file is never replaced.
    target.write_text(json.dumps({"title": "prepcli deck (format version 1)"}), "utf-8")
    assert run("deck", "schema", "--write", str(folder)).out.startswith(f"Wrote {target}.")
    assert target.read_bytes() == SCHEMA_FILE.read_bytes()
    target.write_text('{"title": "my own schema"}', "utf-8")
    foreign = run("deck", "schema", "--write", str(folder))
    assert (foreign.code, foreign.err) == (
        1, f"error: {target} exists and is not prepcli's deck schema; it is left as it is\n"
    )  # fmt: skip
    assert target.read_text("utf-8") == '{"title": "my own schema"}'
    not_folder = run("deck", "schema", "--write", str(tmp_path / "none"))
    assert (not_folder.code, not_folder.err) == (
        2,
        f"error: no such file or folder: {tmp_path / 'none'}\n",
    )


def test_deck_new_keeps_a_schema_already_beside_it(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    mine = folder / "deck.schema.json"
    mine.write_text('{"title": "my own schema"}', "utf-8")
    path = folder / "new.yaml"
    result = run("deck", "new", str(path), "--deck", "my.new", "--title", "T")
    assert result.code == 0
    assert result.out.splitlines()[0] == f"Wrote {path} (deck my.new, one example card)."
    assert mine.read_text("utf-8") == '{"title": "my own schema"}'
    assert path.read_text("utf-8").startswith("# yaml-language-server: $schema=deck.schema.json\n")
    # A second deck in a folder that has prepcli's schema says nothing more about it.
    run("deck", "schema", "--write", str(tmp_path))
    other = tmp_path / "other.yaml"
    second = run("deck", "new", str(other), "--deck", "my.other", "--title", "T")
    assert second.out.splitlines()[0] == f"Wrote {other} (deck my.other, one example card)."


def test_the_schema_folder_copy_is_not_a_deck(run: Run, tmp_path: Path) -> None:
    """deck.schema.json beside the decks is never read as a deck."""
    folder = tmp_path / "decks"
    assert run("deck", "new", str(folder / "a.yaml"), "--deck", "my.a", "--title", "T").code == 0
    result = run("deck", "lint", str(folder))
    assert result.out.splitlines()[-1].startswith("1 file, 1 deck, 1 card:")


# --- the hints never fail -------------------------------------------------------------------

PARSER_PROBLEMS = [
    "mapping values are not allowed in this context", "did not find expected key",
    "did not find expected '-' indicator", "expected <block end>, but found '-'",
    "found a tab character that violates indentation",
    "found character that cannot start any token", "found undefined alias",
    "block sequence entries are not allowed in this context", "found unexpected end of stream",
    "could not find expected ':'", "something else",
]  # fmt: skip


@given(
    lines=st.lists(st.text(alphabet=" \t-:#'\"[]{}|>`@*abc\x85", max_size=12), max_size=4),
    problem=st.sampled_from(PARSER_PROBLEMS),
    line=st.integers(0, 6),
    col=st.integers(0, 14),
    context=st.none() | st.tuples(st.integers(0, 6), st.integers(0, 14)),
)
def test_a_syntax_hint_is_a_place_and_a_message_or_nothing(
    lines: list[str], problem: str, line: int, col: int, context: tuple[int, int] | None
) -> None:
    hint = explain_syntax_error(lines, problem, line, col, context)
    assert hint is None or (hint.line >= 0 and hint.col >= 0 and hint.message)
