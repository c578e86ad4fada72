"""The README documents every command the CLI has (a new command without docs fails)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from prepcli.cli.commands import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def command_lines() -> list[str]:
    root = typer.main.get_command(app)
    found = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        found.append(f"prepcli {name}")
        for sub in getattr(command, "commands", {}):
            found.append(f"prepcli {name} {sub}")
    return found


def test_every_command_is_in_the_readme() -> None:
    missing = [line for line in command_lines() if line not in README]
    assert not missing, f"undocumented in README.md: {missing}"


def test_the_readme_opens_with_the_two_setup_commands() -> None:
    blocks = README.split("```sh\n")
    assert "pip install . && .venv/bin/prepcli" in blocks[1].split("```")[0]
    assert "pip install '.[test]' && .venv/bin/python -m pytest" in blocks[2].split("```")[0]
