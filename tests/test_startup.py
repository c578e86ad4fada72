"""Start-up budget: commands import only what they need (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fsrs", "yaml", "sqlite3", "platformdirs")


def loaded_after(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from prepcli import cli\n"
        f"cli.run({args!r})\n"
        f"print('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
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
