"""The deck format's JSON Schema as a file beside the decks, for editors.

An editor's YAML language server finds a deck file's schema through its first line,
`# yaml-language-server: $schema=deck.schema.json`, a path relative to the deck file. A
copy in the deck folder survives reinstalling prepcli, a rebuilt virtualenv and pipx,
which a path into site-packages does not.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from prepcli.core.errors import PrepError
from prepcli.files.safeio import FileRefused, read_regular, write_file

SCHEMA_NAME = "deck.schema.json"
PACKAGED = Path(__file__).resolve().parents[1] / SCHEMA_NAME
#: How an earlier copy written by prepcli is known (the schema's `$id`, or before it had
#: one, its title), so `--write` may refresh it but never replaces someone else's file.
SCHEMA_ID = "urn:prepcli:deck-format:1"
_OLD_TITLE = "prepcli deck (format version 1)"
_MAX_SCHEMA_BYTES = 1 << 20


def schema_text() -> str:
    return PACKAGED.read_text("utf-8")


def modeline(schema: str = SCHEMA_NAME) -> str:
    return f"# yaml-language-server: $schema={schema}"


def write_schema(folder: Path, *, refresh: bool) -> bool:
    """Write the schema into `folder`; True if the file was written.

    An existing copy is left alone unless `refresh`, and then replaced only when it is
    prepcli's (an older version); another file of that name stops with PrepError.
    """
    target = folder / SCHEMA_NAME
    text = schema_text()
    current = None
    if os.path.lexists(target):
        try:
            current = read_regular(target, _MAX_SCHEMA_BYTES).decode("utf-8", errors="replace")
        except FileRefused as exc:  # a folder, a device, a link out, too big
            raise PrepError(f"{target} {exc.reason}") from None
    if current is not None and (current == text or not refresh):
        return False
    if current is not None and not _is_ours(current):
        raise PrepError(f"{target} exists and is not prepcli's deck schema; it is left as it is")
    try:
        write_file(target, lambda handle: handle.write(text), overwrite=current is not None)
    except OSError as exc:
        raise PrepError(f"cannot write {target}: {exc.strerror or exc}") from None
    return True


def _is_ours(text: str) -> bool:
    try:
        found = json.loads(text)
    except ValueError:
        return False
    return isinstance(found, dict) and (
        str(found.get("$id", "")).startswith("urn:prepcli:deck-format:")
        or found.get("title") == _OLD_TITLE
    )
