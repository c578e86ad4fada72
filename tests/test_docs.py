"""The README documents every command the CLI has (a new command without docs fails)."""

from __future__ import annotations

from pathlib import Path

from tests.command_tree import root, subcommands

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def command_lines() -> list[str]:
    found = []
    for name, command in (subcommands(root()) or {}).items():
        found.append(f"prepcli {name}")
        for sub in subcommands(command) or {}:
            found.append(f"prepcli {name} {sub}")
    return found


def test_every_command_is_in_the_readme() -> None:
    missing = [line for line in command_lines() if line not in README]
    assert not missing, f"undocumented in README.md: {missing}"


def test_the_readme_opens_with_the_two_setup_commands() -> None:
    blocks = README.split("```sh\n")
    assert "pip install . && .venv/bin/prepcli" in blocks[1].split("```")[0]
    assert "pip install '.[test]' && .venv/bin/python -m pytest" in blocks[2].split("```")[0]


def test_every_help_text_is_ascii() -> None:
    """click writes help as UTF-8 even to an ASCII-only stream (where the rest of prepcli's
    output shows '?'), so help texts keep to ASCII."""
    import typer

    def walk(command: object, words: list[str]) -> list[str]:
        context = typer.Context(command)  # type: ignore[arg-type]
        text = command.get_help(context)  # type: ignore[attr-defined]
        found = [] if text.isascii() else [" ".join(words)]
        for name, sub in (subcommands(command) or {}).items():
            found += walk(sub, [*words, name])
        return found

    assert walk(root(), ["prepcli"]) == []
