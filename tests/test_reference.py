"""Help and conventions: the generated command reference matches `--help`; every command
has an example; placeholders are in one style; the help says what a user must know
(the review keys, the date format, the settings); shell completion works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.cli import reference
from prepcli.core.config import SPECS
from tests.conftest import Result

Run = Callable[..., Result]
COMMANDS_MD = Path(__file__).resolve().parents[1] / "docs" / "COMMANDS.md"
PATHS = reference.command_paths()


def test_the_command_reference_matches_the_help() -> None:
    """docs/COMMANDS.md is `python -m prepcli.cli.reference`'s output: regenerate it after
    changing a command or its help."""
    assert COMMANDS_MD.read_text("utf-8") == reference.reference()


def test_the_reference_has_every_command_and_the_real_help(run: Run) -> None:
    text = COMMANDS_MD.read_text("utf-8")
    for path in PATHS:
        assert f"\n## {' '.join(('prepcli', *path))}\n" in text
    assert len(PATHS) > 30
    shown = run("plan", "start", "--help").out  # the real --help, at the test's 80 columns
    assert "--interview" in shown and "--interview" in reference.help_text(("plan", "start"))


def test_the_reference_script_writes_the_file_contents() -> None:
    made = subprocess.run(
        [sys.executable, "-m", "prepcli.cli.reference"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "60"},  # the reference's width is its own
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout == COMMANDS_MD.read_text("utf-8")


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "prepcli" for p in PATHS])
def test_every_command_has_an_example_and_one_placeholder_style(path: tuple[str, ...]) -> None:
    shown = reference.help_text(path)
    assert re.search(r"^  Examples?:\n    prepcli", shown, re.MULTILINE), shown
    examples = re.findall(r"^    (prepcli .*)$", shown, re.MULTILINE)
    assert all(e.split()[1 : len(path) + 1] == list(path) or not path for e in examples[:1]), (
        examples
    )
    usage = next(line for line in shown.splitlines() if "Usage:" in line)
    placeholders = re.findall(r"[{\[]([^}\]]+)[}\]]", usage)
    assert all(p == p.upper() for p in placeholders), usage  # CARD_ID, DATE, PATH: never card_id
    panels = shown.split("Options:")[-1]
    # Every option that takes a value names it in capitals (N, DATE, PATH …), never <str>.
    assert "<str>" not in panels and "<text>" not in panels and "<path>" not in panels, panels


def test_review_help_lists_every_key() -> None:
    shown = " ".join(reference.help_text(("review",)).split())
    for key in ("Space or Enter", "h shows a hint", "b buries", "s suspends", "e edits",
                "u undoes", "q or Ctrl-C", "1 Again", "2 Hard", "3 Good", "4 Easy"):  # fmt: skip
        assert key in shown, key


def test_dates_are_given_with_their_format() -> None:
    for path, option in ((("plan", "start"), "--interview"), (("plan", "start"), "--start")):
        line = next(
            x for x in reference.help_text(path).splitlines() if x.strip().startswith(f"{option} ")
        )
        assert "DATE" in line and "YYYY-MM-DD" in line, line
    assert "YYYY-MM-DD" in reference.help_text(("plan", "interview"))


def test_config_set_help_lists_every_setting_with_its_meaning() -> None:
    shown = reference.help_text(("config", "set"))
    for name, spec in SPECS.items():
        line = next(x for x in shown.splitlines() if x.strip().startswith(name + " "))
        assert spec.help[:30] in " ".join(line.split()), (name, line)


# --- shell completion ----------------------------------------------------------------------


def complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prepcli"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_completion_answers_the_shell_instead_of_showing_today() -> None:
    bash = complete({"_PREPCLI_COMPLETE": "complete_bash", "COMP_WORDS": "prepcli re",
                     "COMP_CWORD": "1"})  # fmt: skip
    assert (bash.returncode, bash.stdout.split()) == (0, ["review"])
    zsh = complete({"_PREPCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "prepcli card "})
    assert all(word in zsh.stdout for word in ('"show"', '"suspend"', '"forget"'))
    fish = complete({"_PREPCLI_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "prepcli plan s",
                     "_TYPER_COMPLETE_FISH_ACTION": "get-args"})  # fmt: skip
    assert [line.split("\t")[0] for line in fish.stdout.splitlines()] == ["start", "show"]


def test_card_ids_complete_from_the_decks_in_use() -> None:
    words = "prepcli --decks tests/data/decks card show sample.b"
    bash = complete({"_PREPCLI_COMPLETE": "complete_bash", "COMP_WORDS": words,
                     "COMP_CWORD": "5"})  # fmt: skip
    assert bash.stdout.split() == [
        "sample.basics/attention-scaling", "sample.basics/kv-cache", "sample.basics/conflict-story"
    ]  # fmt: skip
    practice = complete({"_PREPCLI_COMPLETE": "complete_bash", "COMP_WORDS":
                         "prepcli --decks tests/data/decks practice sample.c", "COMP_CWORD": "4"})  # fmt: skip
    assert practice.stdout.split() == ["sample.coding/add-two"]


@pytest.mark.parametrize(
    ("shell", "script"),
    [
        ("bash", ".bash_completions/prepcli.sh"),
        ("zsh", ".zfunc/_prepcli"),
        ("fish", ".config/fish/completions/prepcli.fish"),
    ],
)
def test_install_and_show_completion_for_a_named_shell(
    shell: str, script: str, run: Run, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Typer finds the user's shell itself (shellingham); this names it instead.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    shown = run("--show-completion", shell)
    assert shown.code == 0 and "_PREPCLI_COMPLETE" in shown.out
    installed = run("--install-completion", shell)
    assert installed.code == 0, installed.err
    assert "_PREPCLI_COMPLETE" in (isolated_home / script).read_text("utf-8")


def test_completion_finds_the_shell_by_itself(run: Run) -> None:
    shown = run("--show-completion")
    assert shown.code == 0, shown.err
    assert "_PREPCLI_COMPLETE" in shown.out
