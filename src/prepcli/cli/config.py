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
from prepcli.core.errors import UsageError

if TYPE_CHECKING:
    pass

config_app = typer.Typer(help="Show and change settings.", no_args_is_help=True)


@config_app.command("list")
def config_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every setting with its value."""
    from prepcli.core.config import SPECS, show_setting
    from prepcli.core.models import settings_from
    from prepcli.ui import collection_view

    store = open_store_of(ctx)
    try:
        settings = settings_from(store.settings())
    finally:
        store.close()
    if as_json:
        emit_json({name: show_setting(name, settings) for name in SPECS})
    else:
        show_long(
            ctx,
            collection_view.settings_table(
                [(n, show_setting(n, settings), s.help) for n, s in SPECS.items()]
            ),
        )


@config_app.command("get")
def config_get(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Setting name.")]
) -> None:
    """Print one setting's value."""
    from prepcli.core.config import SPECS, show_setting
    from prepcli.core.models import settings_from

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = open_store_of(ctx)
    try:
        echo(show_setting(name, settings_from(store.settings())))
    finally:
        store.close()


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Setting name.")],
    value: Annotated[str, typer.Argument(help="New value.")],
) -> None:
    """Change a setting."""
    from prepcli.core.config import parse_setting, show_setting, to_stored
    from prepcli.core.models import settings_from
    from prepcli.storage.store import run_guarded

    parsed = parse_setting(name, value)
    store = open_store_of(ctx)
    try:
        run_guarded(lambda: store.put_setting(name, to_stored(parsed)), store.path)
        echo(f"{name} = {show_setting(name, settings_from(store.settings()))}")
    finally:
        store.close()


@config_app.command("reset")
def config_reset(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Setting name.")]
) -> None:
    """Return a setting to its default."""
    from prepcli.core.config import SPECS, show_setting
    from prepcli.core.models import settings_from
    from prepcli.storage.store import run_guarded

    if name not in SPECS:
        raise UsageError(f"unknown setting {name!r} (known: {', '.join(SPECS)})")
    store = open_store_of(ctx)
    try:
        run_guarded(lambda: store.delete_setting(name), store.path)
        echo(f"{name} = {show_setting(name, settings_from(store.settings()))}")
    finally:
        store.close()
