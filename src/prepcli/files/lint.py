"""`prepcli deck lint`: every error the loader reports, plus warnings about cards that load
but will read badly in a review.

Warnings (each located at the exact place in the file):
- a front that is a near-duplicate of another card's front, in any deck;
- a card with no `source` in a deck with no `sources`;
- a `back` longer than one screen: more than 20 lines, or a line over 100 characters;
- inline `$…$` math with a command the terminal renderer does not know;
- `starter`, `tests` or `solution` code that is not valid Python;
- a `formerly` id that is still some card's id (from the loader itself).
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from prepcli.core.cards import CLOZE, CardDef, Kind, cloze_items
from prepcli.core.errors import Problem
from prepcli.core.mathtext import math_spans, unknown_commands
from prepcli.files.deckcheck import cross_deck_problems
from prepcli.files.deckfiles import scan_decks
from prepcli.files.decks import ParsedDeck, parse_deck
from prepcli.files.yamlfile import Node

SCREEN_LINES = 20
SCREEN_WIDTH = 100
#: Two fronts whose word sets have a Jaccard similarity at least this high are near-duplicates.
NEAR_DUPLICATE = 0.8
# Words that carry no topic: "What is a KV cache?" and "What is the KV cache?" are one question.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "should",
        "that",
        "the",
        "this",
        "to",
        "vs",
        "was",
        "what",
        "when",
        "which",
        "why",
        "with",
        "you",
        "your",
    }
)
# Any script's letters and digits: "что такое" and "注意力" are words too.
_WORD = re.compile(r"[^\W_]+")
#: The answer a learner rates is recalled in one breath: about this many words at most.
ANSWER_WORDS = 40
#: A cloze deletion is one fact: a term, a number, a short phrase.
DELETION_WORDS = 12
_CODE_SPAN = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
_PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b|lorem ipsum|\?\?\?", re.IGNORECASE)
# "What is X, and why Y?" asks two things with one question mark.
_SECOND_QUESTION = re.compile(r"(\band|,)\s+(why|how)\b", re.IGNORECASE)

_CODE_KEYS = ("starter", "tests", "solution")


class LintReport(NamedTuple):
    """What lint read: `decks` the files that hold a deck (a YAML mapping), `cards` every
    card in them (a cloze card's deletions each), `flawed_cards` those with errors, which
    keep the deck set from loading until fixed."""

    files: int
    decks: int
    cards: int
    problems: list[Problem]
    flawed_cards: int = 0

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)


def lint(roots: Iterable[Path]) -> LintReport:
    """Check every deck file under `roots`; nothing is cached or written."""
    scan = scan_decks(roots)
    parsed = [parse_deck(path) for path in scan.files]
    problems = [*scan.problems, *(problem for file in parsed for problem in file.problems)]
    good = [file.deck for file in parsed if file.deck is not None]
    problems.extend(cross_deck_problems(good))
    # Warnings for every card that has a kind and a front, errors or not: an author fixing
    # an error sees the rest of what the card needs at the same time.
    for file in parsed:
        problems.extend(card_warnings(file))
    problems.extend(near_duplicate_warnings(parsed))
    counts = [_card_counts(file) for file in parsed]
    return LintReport(
        files=len(parsed),
        decks=sum(file.root is not None and isinstance(file.root.value, dict) for file in parsed),
        cards=sum(total for total, _flawed in counts),
        problems=sorted(problems),
        flawed_cards=sum(flawed for _total, flawed in counts),
    )


def _card_counts(file: ParsedDeck) -> tuple[int, int]:
    """(cards, cards with errors) in a file: a card valid on its own counts as its items
    (one per cloze deletion), like a loaded deck; one with errors counts once."""
    root = file.root
    if root is None or not isinstance(root.value, dict):
        return 0, 0
    entries = root.value.get("cards")
    listed = len(entries.value) if entries is not None and isinstance(entries.value, list) else 0
    flawed = listed - len(file.cards)
    return sum(len(cloze_items(card)) for card, _node in file.cards) + flawed, flawed


def card_warnings(file: ParsedDeck) -> list[Problem]:
    """The per-card warnings for every card that is valid on its own."""
    if not file.cards and not file.flawed:
        return []
    # Lines as editors count them (LF only), as yamlfile's marks do.
    where = _Locator(str(file.path), [line.removesuffix("\r") for line in file.text.split("\n")])
    sourced = _deck_has_sources(file.root)
    found: list[Problem] = []
    for card, node in (*file.cards, *file.flawed):
        fields = node.value
        assert isinstance(fields, dict)
        if card.source is None and not sourced:
            found.append(
                where.warning(
                    node, "card has no source: give it a 'source' or give the deck 'sources'"
                )
            )
        for key in ("back", "explain"):
            if key in fields and isinstance(fields[key].value, str):
                found.extend(_screen_warnings(key, fields[key], where))
        found.extend(_atomic_warnings(card, fields, where))
        for key in ("front", "back", "explain", "hints", "points"):
            field = fields.get(key)
            if field is None:
                continue
            items = field.value if isinstance(field.value, list) else [field]
            for item in items:
                found.extend(_math_warnings(key, item, where))
        for key in _CODE_KEYS:
            if key in fields:
                found.extend(_python_warnings(key, fields[key], where))
    return found


def _deck_has_sources(root: Node | None) -> bool:
    if root is None or not isinstance(root.value, dict):
        return False
    sources = root.value.get("sources")
    return sources is not None and isinstance(sources.value, list) and bool(sources.value)


def prose(text: str) -> str:
    """`text` with code blocks and inline code each counted as one word."""
    return _CODE_SPAN.sub(" code ", text)


def word_count(text: str) -> int:
    return len(prose(text).split())


def _atomic_warnings(card: CardDef, fields: dict[str, Node], where: _Locator) -> list[Problem]:
    """A flashcard asks one thing and its answer can be recalled in one breath."""
    found: list[Problem] = []
    front = fields["front"]
    question = prose(card.front)
    if question.count("?") > 1:
        found.append(where.warning(front, "front asks more than one question: split it into cards"))
    elif card.kind in (Kind.CONCEPT, Kind.CLOZE) and _SECOND_QUESTION.search(question):
        found.append(
            where.warning(front, "front asks two things ('… and why/how …'): split it into cards")
        )
    if card.kind == Kind.CLOZE:
        for deletion in CLOZE.finditer(card.front):
            if word_count(deletion.group(2)) > DELETION_WORDS:
                found.append(
                    where.warning_at(
                        front,
                        deletion.start(),
                        f"cloze deletion c{deletion.group(1)} hides more than "
                        f"{DELETION_WORDS} words: hide one fact",
                    )
                )
    elif not card.points and word_count(card.back) > ANSWER_WORDS:
        found.append(
            where.warning(
                fields["back"],
                f"'back' is {word_count(card.back)} words: keep the answer to recall to "
                f"{ANSWER_WORDS} and move the rest to 'explain' (or list 'points')",
            )
        )
    for key in ("front", "back", "explain", "hints", "points"):
        field = fields.get(key)
        if field is None:
            continue
        for item in field.value if isinstance(field.value, list) else [field]:
            if isinstance(item.value, str):
                match = _PLACEHOLDER.search(item.value)
                if match:
                    found.append(
                        where.warning_at(
                            item, match.start(), f"placeholder text {match.group(0)!r} in {key!r}"
                        )
                    )
    return found


def _screen_warnings(key: str, node: Node, where: _Locator) -> list[Problem]:
    found: list[Problem] = []
    assert isinstance(node.value, str)
    lines = node.value.rstrip("\n").split("\n")
    if len(lines) > SCREEN_LINES:
        found.append(
            where.warning(
                node,
                f"{key!r} is {len(lines)} lines; one screen is {SCREEN_LINES} "
                "(split the card, or move detail into 'points')",
            )
        )
    offset = 0
    for line in lines:
        if len(line) > SCREEN_WIDTH:
            found.append(
                where.warning_at(
                    node,
                    offset + SCREEN_WIDTH,
                    f"{key!r} line is {len(line)} characters; one screen is {SCREEN_WIDTH} wide",
                )
            )
        offset += len(line) + 1
    return found


def _math_warnings(key: str, node: Node, where: _Locator) -> list[Problem]:
    if not isinstance(node.value, str) or "$" not in node.value:
        return []
    found: list[Problem] = []
    for offset, latex in math_spans(node.value):
        unknown = unknown_commands(latex)
        if unknown:
            what = "command" if len(unknown) == 1 else "commands"
            found.append(
                where.warning_at(
                    node,
                    offset,
                    f"math in {key!r} will not render: unknown {what} {', '.join(unknown)}",
                )
            )
    return found


def _python_warnings(key: str, node: Node, where: _Locator) -> list[Problem]:
    source = node.value
    if not isinstance(source, str):
        return []
    try:
        with warnings.catch_warnings():  # e.g. invalid escape sequences: not lint's business
            warnings.simplefilter("ignore")
            compile(source, f"<{key}>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        row = max(1, exc.lineno or 1) - 1
        lines = source.split("\n")
        offset = sum(len(line) + 1 for line in lines[:row])
        if row < len(lines) and exc.offset:
            offset += min(max(exc.offset - 1, 0), len(lines[row]))
        message = exc.msg or "invalid syntax"
        return [
            where.warning_at(
                node, offset, f"{key!r} is not valid Python: {message} (line {row + 1})"
            )
        ]
    except (ValueError, RecursionError) as exc:
        return [where.warning(node, f"{key!r} is not valid Python: {exc}")]
    return []


class _Locator:
    """Maps an offset inside a YAML string value back to its line and column in the file."""

    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines

    def warning(self, node: Node, message: str) -> Problem:
        return Problem(self.path, node.line, node.col, message, "warning")

    def warning_at(self, node: Node, offset: int, message: str) -> Problem:
        line, col = self.position(node, offset)
        return Problem(self.path, line, col, message, "warning")

    def position(self, node: Node, offset: int) -> tuple[int, int]:
        value = node.value
        assert isinstance(value, str)
        if self._line(node.line)[node.col - 1 : node.col] == "|":
            # A literal block: value row r is file line node.line + 1 + r, text unchanged.
            row = value.count("\n", 0, offset)
            row_start = value.rfind("\n", 0, offset) + 1
            row_text = value[row_start:].split("\n", 1)[0]
            source = self._line(node.line + 1 + row)
            if source.endswith(row_text):
                return node.line + 1 + row, len(source) - len(row_text) + offset - row_start + 1
            return node.line, node.col
        # Plain, quoted or folded text differs from the value only in whitespace (folding,
        # indentation) and escapes, so the value's visible characters appear in the file in
        # order: follow them from the node's start up to the one at `offset`.
        line, col = node.line, node.col - 1
        style = self._line(node.line)[node.col - 1 : node.col]
        if style in ("'", '"'):
            col += 1  # past the opening quote
        elif style == ">":
            line, col = line + 1, 0  # past the folded block's header
        for char in value[: offset + 1]:
            if char.isspace():
                continue
            while True:
                found = self._line(line).find(char, col)
                if found >= 0:
                    col = found + 1
                    break
                line, col = line + 1, 0
                if line > len(self.lines) or line > node.line + value.count("\n") + 50:
                    return node.line, node.col  # an escape such as \u00e9: give up
        if value[offset : offset + 1].isspace() or offset >= len(value):
            return line, col + 1
        return line, col

    def _line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""


# --- near-duplicates ---------------------------------------------------------------------


def front_words(text: str) -> frozenset[str]:
    """The words of a front that say what it asks: lowercase, no stop words, no plural -s."""
    words = set()
    for word in _WORD.findall(text.casefold()):
        if word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def similar_pairs(sets: Sequence[frozenset[str]], threshold: float) -> list[tuple[int, int, float]]:
    """Every pair (i, j), i < j, whose sets have Jaccard similarity ≥ threshold.

    Exact, without comparing all pairs: prefix and positional filtering as in PPJoin
    (Xiao et al., "Efficient similarity joins for near duplicate detection", WWW 2008).
    With the words of every set ordered rarest first, two sets similar enough share a word
    among the first |s| − ⌈t·|s|⌉ + 1 of each, so only sets sharing such a (rare) word are
    candidates; where they first share one also bounds how many words they can share.
    """
    frequency = Counter(word for words in sets for word in words)
    # word → (set, position of the word in it, its size), in order of size
    index: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    too_small: dict[str, int] = defaultdict(int)  # how many entries no later set can match
    pairs: list[tuple[int, int, float]] = []
    slack = 1e-9  # keeps ⌈0.8 × 15⌉ at 12 despite floating point
    overlap_ratio = threshold / (1 + threshold)  # J ≥ t ⇔ shared ≥ t/(1+t)·(|a| + |b|)
    for i in sorted(range(len(sets)), key=lambda n: len(sets[n])):
        words = sets[i]
        size = len(words)
        if not size:
            continue
        ordered = sorted(words, key=lambda w: (frequency[w], w))
        prefix = ordered[: size - math.ceil(threshold * size - slack) + 1]
        smallest = threshold * size - slack  # sets come in order of size: none is larger
        seen: set[int] = set()
        for position, word in enumerate(prefix):
            entries = index[word]
            first = too_small[word]
            while first < len(entries) and entries[first][2] < smallest:
                first += 1  # too small for this set, so for every later (larger) one too
            too_small[word] = first
            for j, other_position, other_size in entries[first:]:
                if j in seen:
                    continue
                seen.add(j)  # its first shared word, in both orders: all others come later
                needed = math.ceil(overlap_ratio * (size + other_size) - slack)
                # This word plus every word after it in either set: the most they can share.
                if min(size - position, other_size - other_position) < needed:
                    continue
                shared = len(words & sets[j])
                similarity = shared / (size + other_size - shared)
                if similarity >= threshold - slack:
                    pairs.append((min(i, j), max(i, j), similarity))
        for position, word in enumerate(prefix):
            index[word].append((i, position, size))
    return sorted(pairs)


def near_duplicate_warnings(files: Sequence[ParsedDeck]) -> list[Problem]:
    """A warning on the later card of each pair of near-duplicate fronts, in any decks."""
    cards = sorted(
        ((card, node) for file in files for card, node in (*file.cards, *file.flawed) if card.id),
        key=lambda pair: (pair[0].path, pair[0].line),
    )
    found: list[Problem] = []
    pairs = similar_pairs([front_words(card.front) for card, _node in cards], NEAR_DUPLICATE)
    for first, second, similarity in pairs:
        earlier, _ = cards[first]
        card, node = cards[second]
        assert isinstance(node.value, dict)
        front = node.value["front"]
        found.append(
            Problem(
                card.path,
                front.line,
                front.col,
                f"front is a near-duplicate of {earlier.key} ({earlier.path}:{earlier.line}; "
                f"{similarity:.0%} of their words shared)",
                "warning",
            )
        )
    return found
