"""The only YAML reader: a safe loader that remembers where every value came from.

Values come back as `Node`s carrying their 1-based line and column, so validators can
report `path:line:col: message`. Only plain YAML types are accepted (no Python object
tags), and files that would expand into huge structures are refused before they eat memory.

No string may hold a character a terminal acts on (core/controls.py): YAML's reader
already refuses most of them raw, but a double-quoted escape ("\\e", "\\x1b", "\\u001b",
"\\x9b") makes any of them, and bidirectional overrides may be written raw. Each is an
error located at the character or the escape that writes it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from prepcli.core.controls import UNSAFE, describe
from prepcli.core.errors import Problem
from prepcli.files.authorhints import explain_syntax_error
from prepcli.files.safeio import FileRefused, read_regular

try:  # libyaml is several times faster; fall back to the pure-Python parser without it
    from yaml import CSafeLoader as _Loader

    _LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _LIBYAML = False

MAX_FILE_BYTES = 8 * 1024 * 1024
#: Values written out in the file: a 500-card deck has about 10,000, a 50,000-card one a
#: million. The file size bounds them; this bounds the memory they take.
MAX_NODES = 2_000_000
#: Values produced by aliases on top of those (`*a` repeats what `&a` names): a deck uses
#: a few, an alias bomb (a billion laughs) billions.
MAX_ALIAS_NODES = 250_000
MAX_DEPTH = 64
# Every level of nesting takes one of these characters; below this many there is no need
# to scan for depth before composing (see _too_deep).
_NESTING_CHARS = "[{-?:"
_SAFE_NESTING = 5_000
# YAML also breaks lines at these; editors and `path:line:col` readers count only LF.
_YAML_ONLY_BREAKS = ("\r", "\x85", "\u2028", "\u2029")

# The double-quoted escapes that can make a control character (YAML 1.1, as PyYAML reads).
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_NAMED_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    "N": "\x85",
}

Scalar = str | int | float | bool | None | dt.date
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True)
class Node:
    """A YAML value and where it starts. `value` is a dict, a list or a scalar."""

    value: dict[str, Node] | list[Node] | Scalar
    line: int
    col: int
    key_line: int = 0  # for mapping values: where their key starts
    key_col: int = 0

    def type_name(self) -> str:
        v = self.value
        if isinstance(v, dict):
            return "a mapping"
        if isinstance(v, list):
            return "a list"
        if v is None:
            return "empty"
        if isinstance(v, bool):
            return "a boolean"
        if isinstance(v, int | float):
            return "a number"
        if isinstance(v, dt.date):
            return "a date"
        return "a string"


class _Limits(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """Read a user file as UTF-8 (a BOM is fine), or say exactly why it cannot be read."""
    name = str(path)
    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        return None, [Problem(name, 1, 1, f"file {exc.reason}")]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(name, 1, 1, "file is UTF-16; save it as UTF-8")]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        return None, [Problem(name, line, col, f"not valid UTF-8 (byte 0x{byte:02x})")]


def load(path: Path) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML file into located nodes; problems instead of exceptions."""
    text, problems = read_text(path)
    if text is None:
        return None, problems
    return parse(text, str(path))


def parse(text: str, name: str) -> tuple[Node | None, list[Problem]]:
    try:
        deep = _too_deep(text)
        if deep is not None:
            line, col = _line_col(text, deep)
            return None, [Problem(name, line, col, f"nested deeper than {MAX_DEPTH} levels")]
        composed = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # Positions from the character offset: YAML's own line count differs from an
        # editor's (see _YAML_ONLY_BREAKS) and libyaml puts the end of input a line past it.
        mark = exc.problem_mark or exc.context_mark
        line, col = _line_col(text, min(mark.index, len(text))) if mark else (1, 1)
        what = exc.problem or exc.context or "cannot parse"
        start = None
        if exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
            start = _line_col(text, min(exc.context_mark.index, len(text)))
            what += f" ({exc.context} that starts at {start[0]}:{start[1]})"
        # Said for a deck author where we can tell what slip it is (a colon in plain text,
        # an indentation step); the parser's own words otherwise.
        hint = explain_syntax_error(text.split("\n"), exc.problem or "", line, col, start)
        if hint is not None:
            line, col, what = hint.line, hint.col, hint.message
        return None, [Problem(name, line, col, f"YAML syntax error: {what}")]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        position = exc.position
        if _LIBYAML:  # libyaml reports a byte offset into the UTF-8 text, not a character one
            position = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        line, col = _line_col(text, position)
        what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        return None, [Problem(name, line, col, f"character {what} is not allowed in YAML")]
    except yaml.YAMLError as exc:
        return None, [Problem(name, 1, 1, f"YAML error: {exc}")]
    except RecursionError:  # only the pure-Python parser recurses in Python
        return None, [Problem(name, 1, 1, f"nested deeper than {MAX_DEPTH} levels")]
    if composed is None:
        return None, [Problem(name, 1, 1, "file is empty")]
    if not text.endswith("\n") or any(c in text for c in _YAML_ONLY_BREAKS):
        _EditorLines(text).relocate(composed)
    problems: list[Problem] = []
    try:
        node = _Converter(name, problems, text).convert(composed, 0)
    except _Limits as exc:
        line, col = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, 1)
        return None, [Problem(name, line, col, exc.message)]
    return node, problems


def _too_deep(text: str) -> int | None:
    """Where (a character offset) collections first nest deeper than MAX_DEPTH.

    libyaml's composer recurses in C: a file of some 40,000 nested brackets overflows the
    C stack and kills the process outright. The event parser does not recurse, so depth
    is checked there first, when the file has enough nesting characters to matter.
    """
    if sum(text.count(c) for c in _NESTING_CHARS) <= _SAFE_NESTING:
        return None
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return 0 if event.start_mark is None else int(event.start_mark.index)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


class _EditorLines:
    """Moves YAML's marks to lines counted by LF only, as editors count them, and keeps
    a mark at the end of the input on the last line (libyaml puts it one further)."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.length = len(text)

    def mark(self, mark: yaml.Mark) -> yaml.Mark:
        index = min(mark.index, self.length)
        line = bisect.bisect_right(self.starts, index) - 1
        return yaml.Mark(mark.name, index, line, index - self.starts[line], None, 0)

    def relocate(self, root: yaml.Node) -> None:
        seen: set[int] = set()
        pending = [root]
        while pending:
            node = pending.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            node.start_mark = self.mark(node.start_mark)
            if isinstance(node, yaml.MappingNode):
                pending.extend(item for pair in node.value for item in pair)
            elif isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)


def _line_col(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


class _Converter:
    """Turns a composed YAML graph into Nodes, expanding aliases under a budget."""

    def __init__(self, name: str, problems: list[Problem], text: str) -> None:
        self.name = name
        self.problems = problems
        self.text = text
        self.count = 0
        self.expanded = 0  # values produced by aliases, beyond their first appearance
        self.constructor = yaml.constructor.SafeConstructor()
        self.converted: set[int] = set()  # ids of the collections already expanded once
        self.checked: set[int] = set()  # ids of the scalars already checked for controls
        # Where the outermost alias being expanded is used (its parent's start; PyYAML
        # keeps no position for the alias itself): the place to blame for a blow-up.
        self.alias_site: yaml.Mark | None = None

    def convert(
        self, node: yaml.Node, depth: int, parent: yaml.Node | None = None, field: str = ""
    ) -> Node:
        """`field`: the mapping key the value (or list of values) is under, for messages."""
        self.count += 1
        if self.alias_site is not None or id(node) in self.converted:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_NODES:
                raise _Limits(
                    f"too many values (over {MAX_ALIAS_NODES:,}; an alias bomb?)",
                    self.alias_site or node.start_mark,
                )
        if self.count > MAX_NODES:
            raise _Limits(f"too many values (over {MAX_NODES:,})", node.start_mark)
        if depth > MAX_DEPTH:
            raise _Limits(f"nested deeper than {MAX_DEPTH} levels", node.start_mark)
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self._scalar(node, line, col, field)
        outermost_alias = (
            id(node) in self.converted and self.alias_site is None and parent is not None
        )
        self.converted.add(id(node))
        if outermost_alias and parent is not None:
            self.alias_site = parent.start_mark
        try:
            if isinstance(node, yaml.MappingNode):
                return Node(self._mapping(node, depth), line, col)
            if node.tag != f"{_TAG}seq":
                self._problem(line, col, f"unsupported YAML tag {node.tag!r}")
            items = [self.convert(item, depth + 1, node, field) for item in node.value]
            return Node(items, line, col)
        finally:
            if outermost_alias:
                self.alias_site = None

    def _scalar(self, node: yaml.Node, line: int, col: int, field: str) -> Node:
        assert isinstance(node, yaml.ScalarNode)
        self._check_controls(node, f"in {field!r}" if field else "in a value")
        if node.tag not in _SCALAR_TAGS:
            self._problem(line, col, f"unsupported YAML tag {node.tag!r}")
            return Node(None, line, col)
        try:
            value = self.constructor.construct_object(node)
        except Exception:  # PyYAML's constructors fail in many ways on a bad explicit tag
            kind = node.tag.removeprefix(_TAG)
            self._problem(line, col, f"bad value: {node.value!r} is not a valid !!{kind}")
            return Node(None, line, col)
        if isinstance(value, dt.datetime):
            return Node(value.date(), line, col)
        return Node(value, line, col)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Node]:
        if node.tag != f"{_TAG}map":
            mark = node.start_mark
            self._problem(mark.line + 1, mark.column + 1, f"unsupported YAML tag {node.tag!r}")
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            kline, kcol = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == f"{_TAG}merge":
                self._problem(kline, kcol, "keys must be plain strings (no merge keys)")
                continue
            self._check_controls(key_node, "in a key")
            key = str(key_node.value)
            if key in result:
                first = result[key]
                self._problem(
                    kline, kcol, f"duplicate key {key!r} (first at line {first.key_line})"
                )
                continue
            value = self.convert(value_node, depth + 1, node, key)
            result[key] = Node(value.value, value.line, value.col, kline, kcol)
        return result

    def _check_controls(self, node: yaml.ScalarNode, where: str) -> None:
        """A problem at the first control character of the scalar, once per scalar (an
        alias may bring it back many times)."""
        found = UNSAFE.search(str(node.value))
        if found is None or id(node) in self.checked:
            return
        self.checked.add(id(node))
        line, col = _line_col(self.text, self._written_at(node))
        self._problem(line, col, f"control character {describe(found.group())} {where}")

    def _written_at(self, node: yaml.ScalarNode) -> int:
        """Where the scalar's first control character is written: the character itself (a
        raw bidirectional override) or the double-quoted escape that makes it."""
        start, end = node.start_mark.index, node.end_mark.index
        source = self.text[start:end]
        # A raw CR or NEL is a line break, which YAML turns into a newline or a space.
        raw = (m.start() for m in UNSAFE.finditer(source) if m.group() not in "\r\x85")
        escapes = (
            e.start() for e in _ESCAPE.finditer(source) if UNSAFE.match(_unescape(e.group(1)))
        )
        places = [next(raw, None), next(escapes, None) if node.style == '"' else None]
        return start + min((p for p in places if p is not None), default=0)

    def _problem(self, line: int, col: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, col, message))


def _unescape(body: str) -> str:
    """The character a double-quoted escape (without its backslash) stands for, as far as
    control characters go: '' for the escapes that make none."""
    if body[0] in "xuU" and len(body) > 1:
        code = int(body[1:], 16)
        return chr(code) if code <= 0x10FFFF else ""
    return _NAMED_ESCAPES.get(body, "")
