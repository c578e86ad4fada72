"""Property-based fuzzing of the deck and plan loaders with Hypothesis.

Inputs: YAML generated from a grammar of the formats' keys and values (serialised in
random styles, with YAML features spliced in), random text, and mutations of the real
bundled decks and plan (byte flips, line deletions and duplications, indentation changes,
key renames, truncation). The only outcomes allowed: a clean load, or problems that each
point at a place in the file (line ≥ 1, column ≥ 1, both within the file). Any other
exception fails the test. Examples per test: PREPCLI_FUZZ_EXAMPLES (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from prepcli.core.cards import DeckSet
from prepcli.core.errors import Problem, ProblemsError
from prepcli.files.deckcheck import CARD_KEYS, DECK_KEYS
from prepcli.files.deckfiles import deck_files
from prepcli.files.decks import check_decks, load_decks
from prepcli.files.plan import PLAN_KEYS, SELECTOR_KEYS, TASK_KEYS, WEEK_KEYS, load_plan
from prepcli.storage import paths
from tests.reliability import figures

BUNDLED_DECKS = paths.bundled("decks")
BUNDLED_PLAN = paths.bundled("plans") / "six-week.yaml"


@cache
def bundled_deck_set() -> DeckSet:
    return load_decks([BUNDLED_DECKS])


@cache
def bundled_files() -> tuple[tuple[str, bytes], ...]:
    return tuple((p.name, p.read_bytes()) for p in deck_files([BUNDLED_DECKS]))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # Hypothesis reuses one test function for every example: a module-wide folder, one file.
    with tempfile.TemporaryDirectory(prefix="prepcli-fuzz-") as folder:
        yield Path(folder)


# --- what a located problem is --------------------------------------------------------------


def assert_located(problems: list[Problem], path: Path, data: bytes) -> None:
    """Every problem names this file, a line of it and a column on (or just after) that line."""
    lines = data.split(b"\n")
    for problem in problems:
        assert problem.path == str(path), problem
        assert problem.message.strip(), problem
        assert 1 <= problem.line <= len(lines), (problem, len(lines))
        line = lines[problem.line - 1]
        width = max(len(line), len(line.decode("utf-8", errors="replace")))
        assert 1 <= problem.col <= width + 1, (problem, line)


def check_deck_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    decks, problems = check_decks([path])  # never raises: problems come back
    assert_located(problems, path, data)
    if not any(p.severity == "error" for p in problems):
        assert len(decks) == 1
    figures.add("fuzz examples")


def check_plan_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        plan = load_plan(path, bundled_deck_set())
    except ProblemsError as exc:
        assert exc.problems, "a refused plan names at least one problem"
        assert_located(exc.problems, path, data)
    else:
        assert plan.weeks is not None
    figures.add("fuzz examples")


# --- a grammar of deck and plan files ------------------------------------------------------

SLUGS = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
DECK_IDS = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}(\.[a-z0-9][a-z0-9-]{0,8}){0,2}", fullmatch=True)
TRICKY_STRINGS = st.sampled_from(
    ["", " ", "~", "null", "yes", "no", "on", "1e3", ".nan", "-.inf", "0x1F", "0o17", "12:30",
     "2026-02-30", "2026-11-23", "!!str", "&anchor", "*alias", "<<", "- item", "key: value",
     "#", "'", '"', "|", ">", "{", "[", "\t", "\x85", "\u2028", "\ufeff", "é", "𝔼[x]", "$\\sqrt{d_k}$"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), TRICKY_STRINGS,
    SLUGS, st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)  # fmt: skip


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=10), SLUGS), inner, max_size=4),
    )


def record(
    known: dict[str, bool], special: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping with some of the format's keys (well- or ill-typed values) and stray ones."""
    choices = {key: st.one_of(special.get(key, values(1)), values(1)) for key in known}
    return st.builds(
        lambda present, stray: {**present, **stray},
        st.fixed_dictionaries({}, optional=choices),
        st.dictionaries(st.text(min_size=1, max_size=12), values(1), max_size=2),
    )


CARDS = record(CARD_KEYS, {
    "id": SLUGS, "kind": st.sampled_from(["concept", "behavioral", "coding", "design", "other"]),
    "front": st.text(max_size=60), "back": st.text(max_size=60),
    "tags": st.lists(SLUGS, max_size=3), "points": st.lists(st.text(max_size=20), max_size=3),
    "hints": st.lists(st.text(max_size=20), max_size=3), "formerly": st.lists(SLUGS, max_size=2),
    "time_limit": st.one_of(st.integers(-5, 20000), st.floats()),
})  # fmt: skip
DECKS = record(DECK_KEYS, {
    "version": st.sampled_from([1, 2, "1", 1.0, True]), "deck": DECK_IDS,
    "title": st.text(max_size=30), "description": st.text(max_size=30),
    "sources": st.lists(st.text(max_size=20), max_size=2), "tags": st.lists(SLUGS, max_size=3),
    "cards": st.lists(st.one_of(CARDS, values(1)), max_size=5),
})  # fmt: skip


@cache
def bundled_tags() -> list[str]:
    return sorted({t for c in bundled_deck_set().cards() for t in c.tags})


SELECTORS = record(SELECTOR_KEYS, {
    "deck": st.one_of(st.sampled_from(sorted(d.id for d in bundled_deck_set().decks)), DECK_IDS),
    "tags": st.lists(st.one_of(st.sampled_from(bundled_tags()), SLUGS), max_size=3),
})  # fmt: skip
TASKS = record(TASK_KEYS, {"id": SLUGS, "title": st.text(max_size=30)})
WEEKS = record(WEEK_KEYS, {
    "title": st.text(max_size=30), "focus": st.text(max_size=30),
    "introduce": st.lists(st.one_of(SELECTORS, values(1)), max_size=3),
    "tasks": st.lists(st.one_of(TASKS, values(1)), max_size=3),
})  # fmt: skip
PLANS = record(PLAN_KEYS, {
    "version": st.sampled_from([1, 2, "1", None]), "plan": SLUGS, "title": st.text(max_size=30),
    "weeks": st.lists(st.one_of(WEEKS, values(1)), max_size=4),
})  # fmt: skip

YAML_FRAGMENTS = st.sampled_from(
    ["&a ", "*a", "*undefined", "!!str ", "!!int ", "!!binary ", "!!python/object:os.system ",
     "!custom ", "<<: *a", "? ", ": ", "- ", "---", "...", "%YAML 1.1", "%TAG ! tag:x,2000:",
     "|-", ">+", "# comment", "\t", "'", '"', "{", "}", "[", "]", ",", "\\", "\r", "\r\n",
     "\x00", "\x85", "\u2028", "\ufeff", "\x1b", "&a [*a, *a, *a]", "[" * 80, "{a: " * 40]
)  # fmt: skip


@st.composite
def serialised(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> bytes:
    """A document as YAML text in a random style, with YAML features spliced into it."""
    document = draw(documents)
    text = yaml.safe_dump(
        document,
        default_flow_style=draw(st.sampled_from([False, True, None])),
        indent=draw(st.integers(2, 6)),
        width=draw(st.sampled_from([20, 80, 1000])),
        allow_unicode=draw(st.booleans()),
        sort_keys=draw(st.booleans()),
    )
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        col = draw(st.integers(0, len(line)))
        lines[at] = line[:col] + draw(YAML_FRAGMENTS) + line[col:]
    return "\n".join(lines).encode("utf-8")


YAMLISH_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(":-[]{},#&*!|>'\"%@`?\n\t \\.~0123456789abcdekyz")), st.characters()
    ),
    max_size=300,
)


# --- mutations of the real files -----------------------------------------------------------

KEY_NAMES = sorted({*DECK_KEYS, *CARD_KEYS, *PLAN_KEYS, *WEEK_KEYS, *SELECTOR_KEYS, "cardz", "Id"})


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = original
    for _ in range(draw(st.integers(1, 4))):
        lines = data.split(b"\n")
        operation = draw(st.sampled_from(
            ["flip", "delete", "duplicate", "indent", "dedent", "rename", "truncate", "swap"]
        ))  # fmt: skip
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        if operation == "flip" and data:
            where = draw(st.integers(0, len(data) - 1))
            data = data[:where] + bytes([draw(st.integers(0, 255))]) + data[where + 1 :]
            continue
        if operation == "delete":
            del lines[at : at + draw(st.integers(1, 3))]
        elif operation == "duplicate":
            lines.insert(at, lines[at])
        elif operation == "indent":
            lines[at] = b" " * draw(st.integers(1, 5)) + lines[at]
        elif operation == "dedent":
            lines[at] = (
                lines[at].lstrip(b" ")[: len(lines[at])] if draw(st.booleans()) else lines[at][1:]
            )
        elif operation == "rename":
            line = lines[at]
            colon = line.find(b":")
            if colon > 0:
                stem = line[:colon].strip(b" -")
                new = draw(st.sampled_from(KEY_NAMES)).encode()
                lines[at] = line.replace(stem, new, 1) if stem else line
        elif operation == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
            continue
        elif operation == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        data = b"\n".join(lines)
    return data


@st.composite
def mutated_deck(draw: st.DrawFn) -> tuple[str, bytes]:
    name, original = draw(st.sampled_from(bundled_files()))
    return name, draw(mutated(original))


# --- the properties --------------------------------------------------------------------------


@given(data=serialised(DECKS))
def test_decks_from_the_grammar(scratch: Path, data: bytes) -> None:
    check_deck_bytes(scratch / "grammar.yaml", data)


@given(text=YAMLISH_TEXT)
def test_decks_from_random_text(scratch: Path, text: str) -> None:
    check_deck_bytes(scratch / "random.yaml", text.encode("utf-8", errors="surrogatepass"))


@given(case=mutated_deck())
def test_mutated_bundled_decks(scratch: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    check_deck_bytes(scratch / name, data)


@given(data=serialised(PLANS))
def test_plans_from_the_grammar(scratch: Path, data: bytes) -> None:
    check_plan_bytes(scratch / "grammar-plan.yaml", data)


@given(data=mutated(BUNDLED_PLAN.read_bytes()))
def test_mutated_bundled_plan(scratch: Path, data: bytes) -> None:
    check_plan_bytes(scratch / "six-week.yaml", data)


def test_the_bundled_files_load_cleanly(scratch: Path) -> None:
    """The unmutated originals are the fixed point the mutations start from."""
    decks, problems = check_decks([BUNDLED_DECKS])
    assert [p for p in problems if p.severity == "error"] == []
    assert load_plan(BUNDLED_PLAN, DeckSet(tuple(decks))).weeks
