"""`prepcli deck overrides`: the user's edited copies of bundled cards, listed or removed.

`e` in `prepcli review` copies a bundled card into the overrides folder before opening it
(files/overrides.py); each copy replaces the bundled card until it is removed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import JsonOption, echo, emit_json, locations_of
from prepcli.core.errors import UsageError
from prepcli.core.textfmt import plural

if TYPE_CHECKING:
    from prepcli.app.study import Locations
    from prepcli.core.cards import DeckSet


def deck_overrides(
    ctx: typer.Context,
    remove: Annotated[
        list[str] | None,
        typer.Option(
            "--remove",
            metavar="CARD",
            help="Remove your copy of CARD (deck/id), so the bundled card is shown again "
            "(repeatable).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Your edited copies of bundled cards, shown instead of the bundled ones.

    `e` in `prepcli review` copies a bundled card into your data folder
    (<data dir>/decks/overrides/<deck>.yaml) and opens the copy: the installed decks are
    replaced by the next install. Each copy is shown instead of the bundled card with its
    id (same history, tags and plan week) until --remove CARD takes it out.

    \b
    Examples:
      prepcli deck overrides
      prepcli deck overrides --remove llm-quiz.inference/kv-cache
    """
    from prepcli.files.overrides import load_overrides, remove_override
    from prepcli.ui.render import shown_path

    where = locations_of(ctx)
    folder = where.overrides
    if folder is None:
        if remove:
            raise UsageError("copies of bundled cards are not used with --no-bundled")
        if as_json:
            emit_json({"folder": None, "overrides": [], "removed": []})
            return
        echo(
            "Copies of bundled cards are used only with the bundled decks, which --no-bundled "
            "leaves out; `e` in `prepcli review` edits your own deck files in place."
        )
        return
    removed: list[str] = []
    for key in remove or ():
        found = remove_override(folder, key)
        if found is None:
            raise UsageError(
                f"no copy of {key!r} in {shown_path(folder)} (see `prepcli deck overrides`)"
            )
        removed.append(key)
        if not as_json:
            echo(f"Removed your copy of {key} from {shown_path(found)}: the bundled card is back.")
    copies = _copies(where, load_overrides(folder))
    if as_json:
        listed = [{"card": k, "path": p, "line": n, "used": u} for k, p, n, u in copies]
        emit_json({"folder": folder, "overrides": listed, "removed": removed})
        return
    if remove:
        return
    if not copies:
        echo(
            "No copies of bundled cards yet "
            f"(`e` in `prepcli review` makes one, in {shown_path(folder)})."
        )
        return
    echo(f"{plural(len(copies), 'copy')} of bundled cards, in {shown_path(folder)}:")
    for key, path, line, used in copies:
        note = "" if used else "  (not used: no bundled card has this id)"
        echo(f"  {key}  {shown_path(path)}:{line}{note}")
    echo(
        "They are shown instead of the bundled cards; `prepcli deck overrides --remove CARD` "
        "goes back to the bundled card."
    )


def _copies(where: Locations, overrides: DeckSet | None) -> list[tuple[str, str, int, bool]]:
    """(card key, file, line, whether a bundled card has that key) for each copy."""
    from prepcli.storage.deckindex import load_index

    if overrides is None:
        return []
    bundled = frozenset(load_index(where.deck_roots, where.cache_dir)[0].keys)
    found: dict[str, tuple[str, str, int, bool]] = {}
    for card in overrides.cards():  # a cloze card's deletions are one copy
        key = f"{card.deck}/{card.note_id}"
        used = card.key in bundled or (key in found and found[key][3])
        found[key] = (key, card.path, card.line, used)
    return list(found.values())
