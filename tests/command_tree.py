"""The command tree as click sees it: a group's subcommands by name (the root group loads
its commands by name, so its `commands` attribute lists none until asked)."""

from __future__ import annotations

from typing import Any

import typer.main
from typer.core import TyperGroup

from prepcli.cli.commands import app


def root() -> Any:
    return typer.main.get_command(app)


def subcommands(command: Any) -> dict[str, Any] | None:
    """A group's subcommands by name, or None for a command."""
    if not isinstance(command, TyperGroup):
        return None
    context = typer.Context(command)
    return {name: command.get_command(context, name) for name in command.list_commands(context)}
