"""`prepcli deck lint`: exact output for the error corpus and the warnings corpus, the
near-duplicate search, and the math check."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest

from prepcli.core.mathtext import math_spans, render_math_in, unknown_commands
from prepcli.files.lint import front_words, lint, similar_pairs
from prepcli.storage import paths
from tests.conftest import DATA, Result
from tests.test_decks import BAD_DECKS, EXPECTED, expected_problems

Run = Callable[..., Result]
LINT_DECKS = DATA / "lint_decks"


def test_lint_reports_every_error_in_every_file_at_once(run: Run) -> None:
    result = run("deck", "lint", str(BAD_DECKS))
    expected = [line for name in sorted(EXPECTED) for line in expected_problems(name)]
    assert result.code == 1
    out = result.out.splitlines()
    assert [line for line in out if ": error: " in line] == expected
    # Warnings come alongside the errors (every corpus card asks "Q": near-duplicates), and
    # the summary counts what was read, the cards with errors among them.
    assert len([line for line in out if ": warning: " in line]) == 171
    assert out[-1] == "37 files, 28 decks, 28 cards (18 with errors): 45 errors, 171 warnings."
    assert result.err == ""


WARNINGS = [
    "warnings.yaml:7:5: warning: card has no source: give it a 'source' or give the deck 'sources'",
    "warnings.yaml:15:11: warning: 'back' is 21 lines; one screen is 20 (split the card, or move "
    "detail into 'points')",
    "warnings.yaml:41:12: warning: front is a near-duplicate of lint.near-duplicate/wide-line "
    "({dir}/near-duplicate.yaml:8; 100% of their words shared)",
    "warnings.yaml:44:25: warning: 'back' line is 165 characters; one screen is 100 wide",
    "warnings.yaml:50:27: warning: math in 'front' will not render: unknown command \\mathscr",
    "warnings.yaml:53:11: warning: math in 'back' will not render: unknown commands \\lVert, "
    "\\rVert",
    "warnings.yaml:54:71: warning: math in 'hints' will not render: unknown command \\Bbbk",
    "warnings.yaml:65:20: warning: 'solution' is not valid Python: expected ':' (line 1)",
    "warnings.yaml:69:20: warning: 'tests' is not valid Python: invalid syntax (line 2)",
    "warnings.yaml:76:16: warning: formerly id 'no-source' is still the id of the card at line 7, "
    "which keeps its own history",
]


def test_lint_warnings_are_located_and_do_not_fail_unless_strict(run: Run) -> None:
    result = run("deck", "lint", str(LINT_DECKS))
    assert result.code == 0, result.out
    assert result.out.splitlines() == [
        *(f"{LINT_DECKS}/{line.format(dir=LINT_DECKS)}" for line in WARNINGS),
        "2 files, 2 decks, 8 cards: 0 errors, 10 warnings.",
    ]
    strict = run("deck", "lint", "--strict", str(LINT_DECKS))
    assert (strict.code, strict.out) == (1, result.out)


def test_lint_json_for_editors_and_ci(run: Run, tmp_path: Path) -> None:
    result = run("deck", "lint", "--format", "json", str(LINT_DECKS / "warnings.yaml"))
    assert result.code == 0
    document = json.loads(result.out)
    assert (document["version"], document["errors"]) == (1, 0)
    report = document["problems"]
    assert report[0] == {
        "path": str(LINT_DECKS / "warnings.yaml"),
        "line": 7,
        "col": 5,
        "severity": "warning",
        "message": "card has no source: give it a 'source' or give the deck 'sources'",
    }
    assert len(report) == 9  # the near-duplicate needs the other file
    bad = run("deck", "lint", "--json", str(BAD_DECKS / "unknown-kind.yaml"))
    assert bad.code == 1
    assert json.loads(bad.out)["problems"] == [
        {
            "path": str(BAD_DECKS / "unknown-kind.yaml"),
            "line": 8,
            "col": 11,
            "severity": "error",
            "message": "unknown kind 'trivia' (expected one of: behavioral, cloze, coding, concept, "
            "design)",
        }
    ]
    assert run("deck", "lint", "--format", "xml").code == 2


@pytest.mark.usefixtures("sample_decks")
def test_lint_defaults_to_the_decks_in_use_and_refuses_missing_paths(
    run: Run, tmp_path: Path
) -> None:
    assert run("deck", "lint").out == "2 files, 2 decks, 4 cards: no problems.\n"
    missing = run("deck", "lint", str(tmp_path / "nope"))
    assert (missing.code, missing.err) == (
        2,
        f"error: no such file or folder: {tmp_path / 'nope'}\n",
    )
    empty = run("deck", "lint", str(tmp_path))
    assert empty.code == 1
    assert empty.out == "0 files, 0 decks, 0 cards: no problems.\n"
    assert empty.err == "error: no deck files (*.yaml, *.yml) found\n"


def test_the_bundled_decks_lint_clean() -> None:
    report = lint([paths.bundled("decks")])
    assert [str(p) for p in report.problems] == []
    assert report.cards >= 300


def test_lint_writes_nothing(run: Run, tmp_path: Path, db_path: Path) -> None:
    run("deck", "lint", str(LINT_DECKS))
    assert not db_path.exists()
    assert not (tmp_path / "cache").exists()


# --- near-duplicates ---------------------------------------------------------------------


def test_front_words_ignore_case_punctuation_stop_words_and_plurals() -> None:
    assert front_words("What is the KV-cache, and what does it store?") == {"kv", "cache", "store"}
    assert front_words("What do KV caches store?") == {"kv", "cache", "store"}
    assert front_words("What is LoRA?") != front_words("What is QLoRA?")


def brute_force(sets: list[frozenset[str]], threshold: float) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, j in combinations(range(len(sets)), 2)
        if sets[i] and sets[j] and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold
    ]


@pytest.mark.parametrize("threshold", [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_similar_pairs_finds_exactly_what_comparing_all_pairs_finds(
    threshold: float, seed: int
) -> None:
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(30)]
    sets = [frozenset(rng.sample(vocabulary, rng.randint(0, 15))) for _ in range(250)]
    for original in sets[:80]:  # near copies: a word dropped, a word added
        changed = set(original)
        if changed and rng.random() < 0.5:
            changed.remove(rng.choice(sorted(changed)))
        changed.add(rng.choice(vocabulary))
        sets.append(frozenset(changed))
    found = [(i, j) for i, j, _similarity in similar_pairs(sets, threshold)]
    assert found == brute_force(sets, threshold)
    assert len(found) > 10


def test_similar_pairs_reports_the_similarity() -> None:
    sets = [frozenset("abcde"), frozenset("abcd"), frozenset("xyz")]
    assert similar_pairs(sets, 0.8) == [(0, 1, 0.8)]


# --- math --------------------------------------------------------------------------------


def test_unknown_commands_lists_what_the_renderer_would_show_as_bare_names() -> None:
    assert unknown_commands(r"\frac{\alpha}{\sqrt{d_k}} \cdot \mathrm{softmax}(x)") == []
    assert unknown_commands(r"\mathscr{L} + \mathscr{M} \\ \foo \, \{") == [
        r"\mathscr",
        "\\\\",
        r"\foo",
    ]
    # …which is what the renderer would otherwise print:
    assert render_math_in(r"$\mathscr{L}$") == "mathscrL"


def test_math_spans_skip_code_and_give_offsets() -> None:
    text = r"Use `$x$` or ```$y$``` but $\alpha$ and $z$."
    assert math_spans(text) == [(27, r"\alpha"), (40, "z")]
    assert text[27] == "$" and text[40] == "$"


def test_warnings_are_located_the_same_in_a_file_with_windows_line_ends(
    run: Run, tmp_path: Path
) -> None:
    for name in ("warnings.yaml", "near-duplicate.yaml"):
        text = (LINT_DECKS / name).read_text("utf-8")
        (tmp_path / name).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    crlf = run("deck", "lint", str(tmp_path)).out.replace(str(tmp_path), "DIR")
    lf = run("deck", "lint", str(LINT_DECKS)).out.replace(str(LINT_DECKS), "DIR")
    assert crlf == lf
