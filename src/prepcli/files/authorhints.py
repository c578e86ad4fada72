"""Hints that turn a deck author's slip into its fix: the key they meant, the quotes a value
needs, and what a YAML syntax error means in a file of keys and text.

Plain text processing on the file's lines (no YAML here: yamlfile.py and deckcheck.py call
in with what the parser said and where).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Sequence
from typing import NamedTuple

#: Words authors reach for that the format spells differently.
SYNONYMS = {
    "question": "front",
    "prompt": "front",
    "answer": "back",
    "explanation": "explain",
    "why": "explain",
    "rubric": "points",
    "checklist": "points",
    "timer": "time_limit",
    "type": "kind",
    "name": "title",
    "level": "tier",
}
#: How close a misspelling must be to a key to be suggested (difflib's ratio).
CLOSE_ENOUGH = 0.7
#: The plain scalars YAML 1.1 (PyYAML) reads as booleans.
BOOLEANS = re.compile(
    r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"
)
# A `key: ` (or `- key: `) at the start of a line: its indentation, dash and key.
_KEY_AT_START = re.compile(r"^(\s*(?:-\s+)?)([^\s#'\"\-?:][^#]*?):(?:\s|$)")


def did_you_mean(word: str, choices: Collection[str]) -> str | None:
    """The choice `word` most likely meant, or None when none is close."""
    meant = SYNONYMS.get(word.casefold())
    if meant in choices:
        return meant
    close = difflib.get_close_matches(word.casefold(), sorted(choices), n=1, cutoff=CLOSE_ENOUGH)
    return close[0] if close else None


def raw_scalar(lines: Sequence[str], line: int, col: int, *, collection: bool = False) -> str:
    """A one-line value as written in the file, without a trailing comment: a number, a
    boolean or a date (which hold no `,]}`, so one inside a flow list ends there), or with
    `collection` a whole flow list or mapping."""
    if not 0 < line <= len(lines):
        return ""
    text = re.split(r"\s#", lines[line - 1][col - 1 :], maxsplit=1)[0]
    return (text if collection else re.split(r"[,\]}]", text, maxsplit=1)[0]).strip()


def quote_hint(raw: str, key: str | None, value: object) -> str:
    """Why a value that should be text is not, and how to write it: `back: 4` is a number,
    `back: yes` a boolean, `front: {x}` a mapping; in quotes each is text."""
    if not raw or raw[0] in "\"'|>!&*":  # quoted, a block, a tag, an anchor or an alias
        return ""
    reads = ""
    if isinstance(value, bool) and BOOLEANS.match(raw):
        reads = f" (YAML reads {raw} as {str(value).lower()})"
    quoted = json.dumps(raw, ensure_ascii=False)  # a JSON string is a YAML string
    return f"{reads}: put it in quotes, {f'{key}: ' if key else ''}{quoted}"


def comment_hint(lines: Sequence[str], key_line: int, key: str) -> str:
    """`back: #1` is an empty value and a comment: ' #' starts a comment in YAML."""
    if not 0 < key_line <= len(lines):
        return ""
    after = lines[key_line - 1].split(":", 1)[-1].strip()
    if after.startswith("#"):
        quoted = json.dumps(after, ensure_ascii=False)
        return f" (a # after a space starts a comment): put it in quotes, {key}: {quoted}"
    return ""


class SyntaxHint(NamedTuple):
    """A YAML syntax error said for a deck author, and where it points."""

    line: int
    col: int
    message: str


def explain_syntax_error(
    lines: Sequence[str],
    problem: str,
    line: int,
    col: int,
    context: tuple[int, int] | None = None,
) -> SyntaxHint | None:
    """What the parser's `problem` at line:col most likely means, or None if unsure.

    `context`: where the construct the parser was reading starts (its context mark)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if problem.startswith("mapping values are not allowed"):
        return _colon(lines, text, line, col)
    if problem.startswith(
        ("did not find expected key", "did not find expected '-'", "expected <block end>")
    ):
        return _block_end(lines, text, line, col, context)
    if "tab" in problem or text[col - 1 : col] == "\t":
        return SyntaxHint(line, col, "a tab in the indentation: YAML indents with spaces only")
    if problem.startswith("found character that cannot start any token"):
        char = text[col - 1 : col]
        return _needs_quotes(text, line, col, f"a value cannot start with {char!r}")
    if problem.startswith("found undefined alias"):
        return _needs_quotes(text, line, col, "a value starting with '*' is an alias in YAML")
    if problem.startswith("block sequence entries are not allowed"):
        return _needs_quotes(
            text, line, col, "'- ' after a key would start a list on the key's line"
        )
    if "end of stream" in problem and context is not None:
        start_line, start_col = context
        opening = (
            lines[start_line - 1][start_col - 1 : start_col] if 0 < start_line <= len(lines) else ""
        )
        if opening in ("'", '"'):
            return SyntaxHint(start_line, start_col, f"the {opening} opened here is never closed")
    if problem.startswith("could not find expected ':'") and context is not None:
        start_line, start_col = context
        return SyntaxHint(
            start_line,
            start_col,
            "a line without 'key:' where a key was expected: if it continues the text "
            "above, indent it more than that text's key (or put the text in quotes)",
        )
    return None


def _colon(lines: Sequence[str], text: str, line: int, col: int) -> SyntaxHint:
    found = _KEY_AT_START.match(text)
    if found is not None and found.end() <= col:
        # A key before the colon on this line: the colon is inside the key's plain text.
        key = found.group(2).strip()
        value = text[found.end() :].strip()
        return SyntaxHint(
            line,
            col,
            "a colon inside unquoted text (': ', or ':' ending a line, starts a key in YAML): "
            f"put the text in quotes, {key}: {json.dumps(value, ensure_ascii=False)} "
            f"(or write it on the lines after '{key}: |')",
        )
    # No key before it on this line: the line is indented under the line above, so the
    # parser read it as more of that line's value.
    indent = len(text) - len(text.lstrip(" "))
    above = _line_above(lines, line)
    if above is not None:
        number, previous = above
        key_col = _key_column(previous)
        name = _KEY_AT_START.match(previous)
        under = f", where '{name.group(2).strip()}' starts" if name else ""
        return SyntaxHint(
            line,
            indent + 1,
            f"this key is indented more than line {number}, so YAML reads it as part of that "
            f"line's value: start it in column {key_col}{under}",
        )
    return SyntaxHint(line, indent + 1, "this key is indented more than the keys around it")


def _block_end(
    lines: Sequence[str], text: str, line: int, col: int, context: tuple[int, int] | None
) -> SyntaxHint | None:
    indent = len(text) - len(text.lstrip(" "))
    if col - 1 > indent:  # mid-line: something after a value that was already complete
        found = _KEY_AT_START.match(text)
        value = text[found.end() :].lstrip() if found else ""
        if value[:1] == "'":
            how = "inside single quotes write ' as '' (It''s), or use double quotes"
        elif value[:1] == '"':
            how = 'inside double quotes write " as \\", or use single quotes'
        elif value[:1] in ("[", "{"):
            how = f"a value starting with {value[0]} is a list or a mapping: put the text in quotes"
        else:
            return None
        return SyntaxHint(line, col, f"text after the end of a quoted or bracketed value: {how}")
    above = _line_above(lines, line)
    item = text.lstrip()
    if item.startswith("-") and item[1:2] not in ("", " "):
        return SyntaxHint(
            line, indent + 1, f"'-' starts a list item only with a space after it ('- {item[1:]}')"
        )
    hint = f"this line starts in column {indent + 1}, which lines up with no block above it"
    if item.startswith("-") and context is not None:
        hint += f": a list item starts in the column of the other items (column {context[1]})"
    elif above is not None:
        number, previous = above
        column = _key_column(previous)
        hint += f": keys of one mapping start in one column (column {column}, as on line {number})"
    return SyntaxHint(line, indent + 1, hint)


def _needs_quotes(text: str, line: int, col: int, why: str) -> SyntaxHint:
    found = _KEY_AT_START.match(text)
    if found is None:
        return SyntaxHint(line, col, f"{why}: put the text in quotes")
    key, value = found.group(2).strip(), text[found.end() :].strip()
    return SyntaxHint(
        line, col, f"{why}: put the text in quotes, {key}: {json.dumps(value, ensure_ascii=False)}"
    )


def _line_above(lines: Sequence[str], line: int) -> tuple[int, str] | None:
    """The nearest line above with content (not blank, not a comment)."""
    for number in range(min(line - 1, len(lines)), 0, -1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number, lines[number - 1]
    return None


def _key_column(text: str) -> int:
    """The 1-based column where a line's key starts (after any list dash)."""
    found = re.match(r"^\s*(?:-\s+)?", text)
    return (found.end() if found else 0) + 1
