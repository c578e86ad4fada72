"""`--json` is a contract: every command's document has the shape cli/jsonshapes.py gives
it, and all of them follow the general rules (cli/jsonout.py): an object that starts with
`version`, named keys, instants with their offset, enums by name, no storage encodings."""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prepcli.cli.jsonout import JSON_VERSION
from prepcli.cli.jsonshapes import SHAPES
from tests.command_tree import root, subcommands
from tests.conftest import Result

Run = Callable[..., Result]
DATA = Path(__file__).parent / "data"
KEY = "sample.basics/kv-cache"
INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?([+-]\d\d:\d\d)$")
DATE = re.compile(r"\d{4}-\d\d-\d\d$")


def conforms(value: Any, expected: Any, where: str) -> list[str]:
    """Where `value` differs from the type `expected` (TypedDicts checked key by key)."""
    if expected is Any:
        return []
    if isinstance(expected, type) and typing.is_typeddict(expected):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        hints = typing.get_type_hints(expected)
        found = [f"{where}: keys {sorted(set(value) ^ set(hints))} differ"] * (
            set(value) != set(hints)
        )
        for key, hint in hints.items():
            if key in value:
                found += conforms(value[key], hint, f"{where}.{key}")
        return found
    origin = typing.get_origin(expected)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(expected)
        return (
            [] if any(not conforms(value, o, where) for o in options) else [f"{where}: {value!r}"]
        )
    if expected is type(None):
        return [] if value is None else [f"{where}: not null"]
    if expected is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [where]
    if expected is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [where]
    base = origin or expected
    return [] if isinstance(value, base) else [f"{where}: {type(value).__name__} not {base}"]


def general_rules(value: Any, where: str = "") -> list[str]:
    """The rules every document follows, at every depth."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_ms") or (
                key.endswith("_day") and isinstance(item, int) and item > 3e5
            ):
                found.append(f"{where}.{key}: a storage encoding (epoch ms or a day ordinal)")
            looks_timed = isinstance(item, str) and item[:4].isdigit() and item[4:5] == "-"
            if looks_timed and "T" in item and not INSTANT.match(item):
                found.append(f"{where}.{key}: {item!r} is not an instant with its offset")
            found += general_rules(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, list):
                found.append(f"{where}[{index}]: a positional array (use an object)")
            found += general_rules(item, f"{where}[{index}]")
    return found


@pytest.fixture
def history(run: Run, sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    monkeypatch.setenv("TZ", "Europe/Paris")
    assert run("plan", "start", "--plan", "mini", "--interview", "2026-12-20").code == 0
    assert run("answer", KEY, "good").code == 0
    assert run("answer", "sample.basics/attention-scaling", "again").code == 0


LINES: dict[str, list[str]] = {
    "today": ["today"],
    "next": ["next"],
    "answer": ["answer", "sample.basics/conflict-story", "easy"],
    "undo": ["undo"],
    "postpone": ["postpone", "2", "--dry-run"],
    "card show": ["card", "show", KEY],
    "card suspend": ["card", "suspend", KEY],
    "card unsuspend": ["card", "unsuspend", KEY],
    "card forget": ["card", "forget", KEY, "--yes"],
    "plan": ["plan"],
    "plan start": ["plan", "start", "--plan", "mini", "--force"],
    "plan interview": ["plan", "interview", "2026-12-21"],
    "plan done": ["plan", "done", "read-paper"],
    "plan undo": ["plan", "undo", "read-paper"],
    "plan show": ["plan", "show"],
    "config list": ["config", "list"],
    "config get": ["config", "get", "new_per_day"],
    "config set": ["config", "set", "new_per_day", "12"],
    "config reset": ["config", "reset", "new_per_day"],
    "deck list": ["deck", "list"],
    "deck lint": ["deck", "lint"],
    "deck orphans": ["deck", "orphans"],
    "deck overrides": ["deck", "overrides"],
    "quiz history": ["quiz", "history"],
    "stats": ["stats"],
    "check": ["check"],
}


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("command", sorted(LINES))
def test_each_command_prints_its_documented_shape(command: str, run: Run) -> None:
    result = run(*LINES[command], "--json")
    assert result.code == 0, result
    document = json.loads(result.out)
    assert next(iter(document)) == "version" and document["version"] == JSON_VERSION
    assert conforms(document, SHAPES[command], command) == []
    assert general_rules(document) == []


@pytest.mark.usefixtures("history")
def test_backup_prints_its_documented_shape(run: Run, tmp_path: Path) -> None:
    document = json.loads(run("backup", str(tmp_path / "copies"), "--json").out)
    assert conforms(document, SHAPES["backup"], "backup") == []
    assert general_rules(document) == []


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("export_format", ["json", "csv", "anki"])
def test_export_to_a_file_prints_its_documented_shape(
    run: Run, tmp_path: Path, export_format: str
) -> None:
    target = tmp_path / f"out.{export_format}"
    result = run("export", "--format", export_format, "-o", str(target), "--json")
    assert result.code == 0, result
    document = json.loads(result.out)
    assert conforms(document, SHAPES["export"], "export") == []
    assert general_rules(document) == []
    assert (document["path"], document["bytes"]) == (str(target), target.stat().st_size)
    assert result.err == ""  # the line on stderr is what --json replaces
    counted = {"json": {"cards", "reviews"}, "csv": {"rows"}}
    assert set(document["written"]) == counted.get(
        export_format, {"notes", "decks", "reviews", "cards_reviewed"}
    )
    assert document["written"].get("reviews", 2) == 2  # the history fixture's two answers


def test_export_json_to_stdout_refuses_json_with_a_reason(run: Run, sample_decks: Path) -> None:
    result = run("export", "--json")
    assert result.code == 2 and "add -o PATH" in result.err


def test_deck_new_and_preview_print_their_documented_shapes(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "mine" / "rag.yaml"
    made = json.loads(run("deck", "new", str(path), "--deck", "mine.rag", "--title", "RAG",
                          "--json").out)  # fmt: skip
    assert conforms(made, SHAPES["deck new"], "deck new") == []
    assert made["path"] == str(path) and made["schema_written"] is True
    assert made["schema"] is not None and Path(made["schema"]).is_file()
    shown = json.loads(run("deck", "preview", str(path), "--json").out)
    assert conforms(shown, SHAPES["deck preview"], "deck preview") == []
    assert general_rules(shown) == []
    (card,) = shown["cards"]
    assert (card["deck"], card["path"]) == ("mine.rag", str(path)) and card["line"] > 1
    assert set(card) == set(SHAPES["next"].__annotations__) - {"phase", "intervals", "version"}
    again = json.loads(run("deck", "new", str(tmp_path / "mine" / "b.yaml"), "--deck", "mine.b",
                           "--title", "B", "--json").out)  # fmt: skip
    assert (again["schema"], again["schema_written"]) == (made["schema"], False)


@pytest.mark.usefixtures("history")
def test_times_are_in_the_users_zone_and_enums_are_names(run: Run) -> None:
    shown = json.loads(run("card", "show", KEY, "--json").out)
    entry = shown["history"][0]
    assert entry["reviewed_at"] == "2026-11-23T09:00:00+01:00"  # PREPCLI_NOW, Paris in winter
    assert (entry["rating"], entry["kind"]) == ("good", "learn")
    assert shown["state"]["phase"] == "learning"
    assert shown["state"]["due"].endswith("+01:00")


def test_every_command_with_json_is_documented() -> None:
    """A new --json command needs a shape here (and a line in LINES above)."""

    def walk(command: Any, words: list[str]) -> list[str]:
        below = subcommands(command)
        if below is None:
            has_json = any("--json" in getattr(p, "opts", ()) for p in command.params)
            return [" ".join(words)] if has_json else []
        found = []
        if any("--json" in getattr(p, "opts", ()) for p in command.params):
            found.append(" ".join(words))
        for name, sub in below.items():
            found += walk(sub, [*words, name])
        return found

    # optimize, import, practice, quiz, simulate, sync: documents checked by their own tests
    checked_elsewhere = {"optimize", "import", "practice", "quiz", "simulate", "sync"}
    missing = [c for c in walk(root(), []) if c not in SHAPES and c not in checked_elsewhere]
    assert missing == []
