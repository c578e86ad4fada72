"""Start-up budget: commands import only what they need (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("fsrs", "yaml", "sqlite3", "platformdirs")


def loaded_after(args: list[str], watched: tuple[str, ...] = HEAVY) -> set[str]:
    code = (
        "import sys\n"
        "from prepcli import entry\n"
        f"entry.run({args!r})\n"
        f"print('LOADED=' + ','.join(m for m in {watched!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    marker = result.stdout.strip().splitlines()[-1]
    assert marker.startswith("LOADED="), result.stdout
    return {name for name in marker.removeprefix("LOADED=").split(",") if name}


@pytest.mark.parametrize(
    "args", [["--help"], ["review", "--help"], ["--version"], ["card", "--help"]]
)
def test_help_and_version_import_no_heavy_module(args: list[str]) -> None:
    assert loaded_after(args) == set()


def test_deck_lint_needs_yaml_but_not_the_database_or_fsrs(tmp_path: object) -> None:
    from tests.conftest import SAMPLE_DECKS

    assert loaded_after(["deck", "lint", str(SAMPLE_DECKS)]) == {"yaml"}


def test_deck_preview_needs_yaml_but_not_the_database_or_fsrs() -> None:
    from tests.conftest import SAMPLE_DECKS

    assert loaded_after(["deck", "preview", str(SAMPLE_DECKS / "basics.yaml")]) == {"yaml"}


def test_deck_schema_imports_no_heavy_module() -> None:
    assert loaded_after(["deck", "schema"]) == set()


@pytest.mark.usefixtures("sample_decks")
@pytest.mark.parametrize("args", [[], ["today"], ["today", "--json"]])
def test_today_needs_neither_typer_nor_rich_nor_fsrs(args: list[str]) -> None:
    """The most-run command skips the CLI framework and the scheduler altogether (and,
    once the deck index is written, the YAML parser)."""
    watched = (*HEAVY, "typer", "rich", "click")
    assert "yaml" in loaded_after(args, watched)  # the first run parses the decks
    assert loaded_after(args, watched) == {"sqlite3"}  # locations from the environment


@pytest.mark.usefixtures("sample_decks")
def test_the_program_prints_all_of_today_through_a_pipe() -> None:
    """`prepcli`'s output arrives whole through a buffered pipe, with exit status 0."""
    program = [sys.executable, "-m", "prepcli"]
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    shown = subprocess.run(
        [*program, "today", "--json"], capture_output=True, text=True, env=buffered
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["cards"] > 0  # the JSON is complete, so it parses
    screen = subprocess.run(program, capture_output=True, text=True, env=buffered)
    assert screen.returncode == 0 and screen.stderr == ""
    assert (
        screen.stdout.rstrip().splitlines()[-1]
        == subprocess.run([*program, "today"], capture_output=True, text=True)
        .stdout.rstrip()
        .splitlines()[-1]
    )
    failed = subprocess.run([*program, "today", "--no-such-flag"], capture_output=True)
    assert failed.returncode == 2


@pytest.mark.usefixtures("sample_decks")
@pytest.mark.parametrize(
    "args",
    [
        ["next", "--json"],
        ["answer", "sample.basics/kv-cache", "good", "--json"],
        ["stats", "--json"],
    ],
)
def test_scripts_commands_draw_nothing_so_need_no_rich(args: list[str]) -> None:
    """`next --json`, `answer` and `stats --json` print plain text or JSON: the terminal
    renderer (Rich) is not loaded for them, nor the YAML parser once the deck cache is
    written."""
    loaded_after(["next", "--json"])  # writes the deck cache
    assert loaded_after(args, ("rich", "yaml")) == set()


@pytest.mark.parametrize("columns", ["50", "abc", "0", ""])
def test_today_wraps_at_the_width_shutil_would_give(
    columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """todayview's own width rule (to spare importing shutil) agrees with shutil's."""
    import shutil

    from prepcli.ui.todayview import terminal_columns

    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr("os.get_terminal_size", lambda *_: os.terminal_size((72, 20)))
    assert terminal_columns() == shutil.get_terminal_size().columns


@pytest.mark.usefixtures("sample_decks")
def test_a_command_loads_only_the_parts_of_a_study_it_runs() -> None:
    """A Study makes its parts (queue, planner, plans, answering) when first used:
    `stats` predicts recall with the forgetting curve alone (no fsrs with the default
    parameters) and needs none of the parts nor the quiz, nor the plans' records and codec
    (it reads no plan); today's summary writes nothing, so it needs neither the answering
    part nor the review log's records."""
    parts = tuple(
        f"prepcli.app.{name}"
        for name in ("study_queue", "study_interview", "study_plans", "study_answering", "quiz")
    )
    loaded_after(["next", "--json"])  # writes the deck cache
    plans = ("prepcli.core.plans", "prepcli.core.interview", "prepcli.storage.plancodec")
    assert loaded_after(["stats", "--json"], ("fsrs", *parts, *plans)) == set()
    today = loaded_after([], ("prepcli.app.study_answering", "prepcli.core.history"))
    assert today == set()
