"""The collection a command works on (database, decks, plans) as the global options and
the environment name it, and the one way a command's result is printed as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

    from prepcli.app.study import Locations


class Options(NamedTuple):
    """Where the collection lives, as the global options (or the environment) say."""

    db: Path | None
    decks: tuple[Path, ...]  # own decks, beside the bundled ones
    plans: tuple[Path, ...] = ()
    pager: bool = True  # long output through a pager on a terminal (`--no-pager`: never)
    no_bundled: bool = False  # the decks given replace the bundled ones


def existing(paths_: list[Path] | None) -> tuple[Path, ...]:
    """Paths that each name a file or a folder (decks: one file or a folder of them)."""
    from prepcli.cli.arguments import checked_path

    return tuple(checked_path(path, "file or folder") for path in paths_ or ())


def locations_for(options: Options) -> Locations:
    from prepcli.app.study import Locations
    from prepcli.cli.arguments import checked_path
    from prepcli.storage import paths

    bundled = paths.bundled("decks")
    roots = deck_roots(existing(list(options.decks)), bundled, options.no_bundled)
    db = options.db or paths.default_db_path()
    checked_path(db, "file or nothing")  # not a FIFO, a device or an impossible name
    plans = tuple(checked_path(p, "folder") for p in options.plans)
    plan_dirs = (*plans, paths.bundled("plans"))
    return Locations(
        db=db,
        deck_roots=roots,
        cache_dir=paths.cache_dir(),
        plan_dirs=plan_dirs,
        create_db_parents=options.db is None,
        # Bundled cards edited in review are copied here; the user's own decks are theirs.
        overrides=paths.overrides_dir() if bundled in roots else None,
    )


def deck_roots(given: tuple[Path, ...], bundled: Path, no_bundled: bool) -> tuple[Path, ...]:
    """The bundled decks and the ones given, or only the given ones with `no_bundled`
    (which needs decks to replace them with: without any, the bundled decks stay). A given
    path inside the bundled folder is already among them."""
    if given and no_bundled:
        return given
    inside = bundled.resolve()
    own = tuple(p for p in given if not p.resolve().is_relative_to(inside))
    return (bundled, *own)


def json_document(data: Any, indent: int = 2) -> str:
    """`data` as JSON, exact, and safe on a terminal: the controls JSON leaves raw (DEL, C1,
    bidirectional overrides) are written as \\u escapes, which read back the same."""
    import json  # only for --json: the screen of `prepcli` needs none

    from prepcli.ui.safe import json_text

    return json_text(json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False))


def show_today(where: Locations, as_json: bool) -> None:
    from prepcli.app.study import Study
    from prepcli.core import clock
    from prepcli.ui.todayview import print_today

    with Study.open(where, clock.now()) as study:
        summary = study.queue.summary()
    if as_json:
        from prepcli.cli import jsonout

        jsonout.emit(jsonout.fields_of(summary), study.calendar.tz)
    else:
        print_today(summary)
