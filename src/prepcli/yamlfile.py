"""The only YAML reader: a safe loader that remembers where every value came from.

Values come back as `Node`s carrying their 1-based line and column, so validators can
report `path:line:col: message`. Only plain YAML types are accepted (no Python object
tags), and files that would expand into huge structures are refused before they eat memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from prepcli.errors import Problem

try:  # libyaml is several times faster; fall back to the pure-Python parser without it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 250_000  # after alias expansion; a 500-card deck is about 10,000
MAX_DEPTH = 64

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
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            return None, [Problem(name, 1, 1, f"file is {size:,} bytes; the limit is {limit} MiB")]
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 1, 1, f"cannot read file: {exc.strerror or exc}")]
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
        composed = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "cannot parse"
        if exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
            start = exc.context_mark
            what += f" ({exc.context} that starts at {start.line + 1}:{start.column + 1})"
        return None, [Problem(name, line, col, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:  # e.g. a reader error on control characters
        return None, [Problem(name, 1, 1, f"YAML error: {exc}")]
    if composed is None:
        return None, [Problem(name, 1, 1, "file is empty")]
    problems: list[Problem] = []
    try:
        node = _Converter(name, problems).convert(composed, 0)
    except _Limits as exc:
        line, col = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, 1)
        return None, [Problem(name, line, col, exc.message)]
    return node, problems


class _Converter:
    """Turns a composed YAML graph into Nodes, expanding aliases under a budget."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Limits(f"too many values (over {MAX_NODES:,}; an alias bomb?)", node.start_mark)
        if depth > MAX_DEPTH:
            raise _Limits(f"nested deeper than {MAX_DEPTH} levels", node.start_mark)
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            return Node(self._mapping(node, depth), line, col)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_TAG}seq":
                self._problem(line, col, f"unsupported YAML tag {node.tag!r}")
            return Node([self.convert(item, depth + 1) for item in node.value], line, col)
        assert isinstance(node, yaml.ScalarNode)
        if node.tag not in _SCALAR_TAGS:
            self._problem(line, col, f"unsupported YAML tag {node.tag!r}")
            return Node(None, line, col)
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self._problem(line, col, f"bad value: {exc}")
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
            key = str(key_node.value)
            if key in result:
                first = result[key]
                self._problem(
                    kline, kcol, f"duplicate key {key!r} (first at line {first.key_line})"
                )
                continue
            value = self.convert(value_node, depth + 1)
            result[key] = Node(value.value, value.line, value.col, kline, kcol)
        return result

    def _problem(self, line: int, col: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, col, message))
