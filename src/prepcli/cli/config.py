"""Settings: list, get, set and reset them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import (
    JsonOption,
    echo,
    emit_json,
    open_store_of,
    show,
)
from prepcli.core.errors import UsageError

if TYPE_CHECKING:
    from prepcli.core.models import Settings

config_app = typer.Typer(
    rich_markup_mode=None, help="Show and change settings.", no_args_is_help=True
)


@config_app.command("list")
def config_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting with its value."""
    from prepcli.core.config import SPECS, show_setting
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
        show(
            collection_view.settings_table(
                [(n, show_setting(n, settings), s.help) for n, s in SPECS.items()]
            )
        )


def _show_one(name: str, settings: Settings, as_json: bool) -> None:
    from prepcli.core.config import show_setting

    if as_json:
        emit_json({"setting": name, "value": getattr(settings, name)})
    else:
        echo(f"{name} = {show_setting(name, settings)}")


@config_app.command("get")
def config_get(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Setting name.")],
    as_json: JsonOption = False,
) -> None:
    """Print one setting's value."""
    from prepcli.core.config import SPECS, show_setting
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


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Setting name.")],
    value: Annotated[str, typer.Argument(help="New value.")],
    as_json: JsonOption = False,
) -> None:
    """Change a setting."""
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
def config_reset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Setting name.")],
    as_json: JsonOption = False,
) -> None:
    """Return a setting to its default."""
    from prepcli.core.config import SPECS
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
