"""Settings: list, get, set and reset them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import (
    JsonOption,
    echo,
    emit_json,
    open_store_of,
    show_long,
)
from prepcli.core.config import SPECS
from prepcli.core.errors import UsageError

if TYPE_CHECKING:
    from prepcli.core.models import Settings


def settings_help(first: str, examples: str) -> str:
    """A command's help with the list of settings (core/config.py, cheap to import)."""
    width = max(len(name) for name in SPECS)
    listed = "\n".join(f"  {name.ljust(width)}  {spec.help}" for name, spec in SPECS.items())
    return f"{first}\n\n\b\nSettings:\n{listed}\n\n\b\n{examples}"


config_app = typer.Typer(
    rich_markup_mode=None,
    help="""Show and change settings (stored in the database).

    `prepcli config set --help` lists every setting and what it means.

    \b
    Examples:
      prepcli config list
      prepcli config set new_per_day 25
      prepcli config reset new_per_day
    """,
    no_args_is_help=True,
)

NameArgument = Annotated[
    str, typer.Argument(metavar="NAME", help="The setting (`prepcli config list` lists them).")
]


@config_app.command("list")
def config_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting with its value and what it means.

    `prepcli config set NAME VALUE` changes one; `prepcli config reset NAME` undoes that.

    \b
    Examples:
      prepcli config list
      prepcli config list --json
    """
    from prepcli.core.config import show_setting
    from prepcli.core.models import settings_from
    from prepcli.ui import collection_view

    store = open_store_of(ctx)
    try:
        settings = settings_from(store.settings.all())
    finally:
        store.close()
    if as_json:
        emit_json({"settings": {name: getattr(settings, name) for name in SPECS}})
    else:
        show_long(
            ctx,
            collection_view.settings_table(
                [(n, show_setting(n, settings), s.help) for n, s in SPECS.items()]
            ),
        )


def _show_one(name: str, settings: Settings, as_json: bool) -> None:
    from prepcli.core.config import show_setting

    if as_json:
        emit_json({"setting": name, "value": getattr(settings, name)})
    else:
        echo(f"{name} = {show_setting(name, settings)}")


@config_app.command("get")
def config_get(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Print one setting's value.

    The value alone on one line, for scripts.

    \b
    Example:
      prepcli config get desired_retention
    """
    from prepcli.core.config import show_setting
    from prepcli.core.models import settings_from

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = open_store_of(ctx)
    try:
        settings = settings_from(store.settings.all())
    finally:
        store.close()
    if as_json:
        emit_json({"setting": name, "value": getattr(settings, name)})
    else:
        echo(show_setting(name, settings))


@config_app.command(
    "set",
    help=settings_help(
        "Change a setting.",
        "Examples:\n"
        "  prepcli config set new_per_day 25\n"
        "  prepcli config set learning_steps '1m 10m'\n"
        "  prepcli config set timezone Europe/Paris",
    ),
)
def config_set(
    ctx: typer.Context,
    name: NameArgument,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new value.")],
    as_json: JsonOption = False,
) -> None:
    from prepcli.core.config import parse_setting, to_stored
    from prepcli.core.models import settings_from
    from prepcli.storage.sqlitefile import run_guarded

    parsed = parse_setting(name, value)
    store = open_store_of(ctx)
    try:
        run_guarded(lambda: store.settings.put(name, to_stored(parsed)), store.path)
        settings = settings_from(store.settings.all())
    finally:
        store.close()
    _show_one(name, settings, as_json)


@config_app.command("reset")
def config_reset(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Return a setting to its default.

    Prints the setting with its default value.

    \b
    Example:
      prepcli config reset new_per_day
    """
    from prepcli.core.models import settings_from
    from prepcli.storage.sqlitefile import run_guarded

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = open_store_of(ctx)
    try:
        run_guarded(lambda: store.settings.delete(name), store.path)
        settings = settings_from(store.settings.all())
    finally:
        store.close()
    _show_one(name, settings, as_json)
