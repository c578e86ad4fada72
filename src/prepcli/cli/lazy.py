"""The root command group, which imports a command's module only when that command runs.

Typer builds a click command from every function it is given, and importing every command
module means importing what each of them imports. The root group instead knows each
command by name and the module that defines it, and builds only the command a line names
(`prepcli --help` lists them all, so it builds them all).
"""

from __future__ import annotations

import importlib

import typer.main
from typer import _click as click  # Typer 0.28 ships its own click: its types are here
from typer.core import TyperGroup

#: Every command, in the order `prepcli --help` lists them: its name, the module that
#: defines it and that module's Typer app; a group's app holds its subcommands.
COMMANDS: dict[str, tuple[str, str]] = {
    "today": ("prepcli.cli.study", "app"),
    "review": ("prepcli.cli.study", "app"),
    "next": ("prepcli.cli.study", "app"),
    "answer": ("prepcli.cli.study", "app"),
    "undo": ("prepcli.cli.study", "app"),
    "postpone": ("prepcli.cli.breaks", "app"),
    "plan": ("prepcli.cli.plan", "plan_app"),
    "simulate": ("prepcli.cli.simulate", "app"),
    "stats": ("prepcli.cli.progress", "app"),
    "practice": ("prepcli.cli.progress", "app"),
    "quiz": ("prepcli.cli.progress", "quiz_app"),
    "card": ("prepcli.cli.card", "card_app"),
    "config": ("prepcli.cli.config", "config_app"),
    "deck": ("prepcli.cli.deck", "deck_app"),
    "optimize": ("prepcli.cli.data", "app"),
    "export": ("prepcli.cli.data", "app"),
    "import": ("prepcli.cli.data", "app"),
    "backup": ("prepcli.cli.data", "app"),
    "check": ("prepcli.cli.data", "app"),
    "sync": ("prepcli.cli.sync", "app"),
}
#: The apps that are one named group (`prepcli plan …`), not a set of top-level commands.
GROUP_APPS = frozenset({"plan_app", "quiz_app", "card_app", "config_app", "deck_app"})


class LazyGroup(TyperGroup):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._built: dict[tuple[str, str], TyperGroup] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        built = self._build(COMMANDS[cmd_name])
        if COMMANDS[cmd_name][1] in GROUP_APPS:
            built.name = cmd_name
            return built
        return built.get_command(ctx, cmd_name)

    def _build(self, where: tuple[str, str]) -> TyperGroup:
        if where not in self._built:
            module_name, attribute = where
            sub_app = getattr(importlib.import_module(module_name), attribute)
            self._built[where] = typer.main.get_group(sub_app)  # no completion options
        return self._built[where]
