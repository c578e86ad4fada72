"""The shape of the code: the folder tree is the architecture, and imports only go down.

    entry.py          the command line's start: the quick path for today, errors → exit codes
    cli/              the Typer app and its commands
    ui/               the only Rich importer: screens, session loops, keys
    app/              use cases over one collection
    storage/          the only sqlite3 importer: the store, the deck index, export formats
    files/            the only YAML reader: deck and plan loaders, lint
    core/             the pure domain: no I/O, time and randomness passed in

A module may import its own layer and the layers below it, never one above; and no two
modules import each other, directly or round a longer loop (lazy imports inside functions
count too: they are still a dependency a reader has to follow).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import prepcli

PACKAGE = Path(prepcli.__file__).parent
LAYERS = ("core", "files", "storage", "app", "ui", "cli")
TOP = len(LAYERS)  # entry.py and __main__.py
#: The most lines a module should have: past it, a module holds more than one job.
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return TOP if module != "prepcli" else -1  # the package itself holds only __version__


def type_only_nodes(tree: ast.Module) -> set[ast.AST]:
    """The imports under `if TYPE_CHECKING:`: read by the type checker, never run."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for child in node.body:
                found.update(ast.walk(child))
    return found


def imports_of(path: Path, known: set[str], *, type_only: bool = True) -> set[str]:
    """Every prepcli module that `path` imports, at the top or inside a function (and,
    unless `type_only` is False, under `if TYPE_CHECKING:`)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text("utf-8"))
    skipped = set() if type_only else type_only_nodes(tree)
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from prepcli.ui import render` imports prepcli.ui.render, a module
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n if n in known else node.module for n in names]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] == "prepcli" and n in known)
    return found


def graph(*, type_only: bool = True) -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {
        name: imports_of(path, known, type_only=type_only) - {name} for name, path in found.items()
    }


def test_every_module_lives_in_a_layer() -> None:
    loose = [m for m in modules() if layer_of(m) == TOP]
    assert sorted(loose) == ["prepcli.__main__", "prepcli.entry"]


def test_imports_only_go_down() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    # Imports that run. A part of a Study names the Study it belongs to for the type
    # checker only (app/study_*.py): a back-reference, not an import, so not a cycle.
    edges = graph(type_only=False)
    # Tarjan's strongly connected components: any component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


def test_modules_stay_small() -> None:
    lines = {name: len(path.read_text("utf-8").splitlines()) for name, path in modules().items()}
    too_long = {name: count for name, count in lines.items() if count > MAX_LINES}
    assert too_long == {}


def test_the_checks_see_real_imports() -> None:
    """A guard for the guards: the graph must find the imports a reader can see."""
    edges = graph()
    assert "prepcli.core.cards" in edges["prepcli.files.decks"]
    assert "prepcli.ui.collection_view" in edges["prepcli.cli.deck"]  # a lazy import
    assert "prepcli.ui.card_view" in edges["prepcli.ui.session"]
    assert layer_of("prepcli.storage.store") > layer_of("prepcli.core.models")


def repeated_imports(tree: ast.Module) -> list[str]:
    """Names a function imports again although its module already imports them at the top
    (a leftover that makes a reader wonder which import is meant)."""
    at_top = {
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return [
        f"{inner.lineno}: {inner.module}.{alias.name}"
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(function)
        if isinstance(inner, ast.ImportFrom)
        for alias in inner.names
        if (inner.module, alias.name) in at_top
    ]


def found_in_modules(check: Callable[[ast.Module], list[str]]) -> dict[str, list[str]]:
    """Module → what `check` finds in its source, for the modules where it finds any."""
    return {
        name: found
        for name, path in modules().items()
        if (found := check(ast.parse(path.read_text("utf-8"))))
    }


def test_no_function_imports_what_its_module_already_imports() -> None:
    assert found_in_modules(repeated_imports) == {}


def test_repeated_imports_are_found() -> None:
    source = "from a import b\n\ndef f():\n    from a import b\n    from a import c\n"
    assert repeated_imports(ast.parse(source)) == ["4: a.b"]


def test_no_empty_type_checking_block() -> None:
    empty = [
        name
        for name, path in modules().items()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.If)
        and ast.unparse(node.test) == "TYPE_CHECKING"
        and all(isinstance(child, ast.Pass) for child in node.body)
    ]
    assert empty == []


#: A field with one of these names would hide a tuple method (`index`, `count`).
TUPLE_NAMES = frozenset(dir(tuple))


def plain_frozen_dataclasses(tree: ast.Module) -> list[str]:
    """Frozen dataclasses that are plain records: each could be a NamedTuple, which costs a
    fraction of the time to define (every command defines dozens of records at start)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or node.bases:
            continue
        decorators = [ast.unparse(d) for d in node.decorator_list]
        if decorators != ["dataclass(frozen=True)"]:
            continue  # mutable, or with its own ordering
        fields = [item for item in node.body if isinstance(item, ast.AnnAssign)]
        methods = [item for item in node.body if isinstance(item, ast.FunctionDef)]
        needs_a_dataclass = (
            any(item.value is not None and "field(" in ast.unparse(item.value) for item in fields)
            or any(ast.unparse(item.target) in TUPLE_NAMES for item in fields)
            or any(node.name in ast.unparse(item.annotation) for item in fields)  # recursive
            or any(m.name.startswith("__") for m in methods)
            or any("cached_property" in ast.unparse(d) for m in methods for d in m.decorator_list)
        )
        if not needs_a_dataclass:
            found.append(node.name)
    return found


def test_plain_records_are_named_tuples() -> None:
    assert found_in_modules(plain_frozen_dataclasses) == {}


def test_plain_frozen_dataclasses_are_found() -> None:
    source = (
        "@dataclass(frozen=True)\nclass A:\n    x: int\n\n"
        "@dataclass(frozen=True)\nclass B:\n    index: int\n\n"
        "@dataclass(frozen=True)\nclass C:\n    x: int = field(default_factory=int)\n\n"
        "@dataclass(frozen=True)\nclass D:\n    child: D | None\n\n"
        "@dataclass\nclass E:\n    x: int\n\n"
        "class F(NamedTuple):\n    x: int\n"
    )
    assert plain_frozen_dataclasses(ast.parse(source)) == ["A"]
