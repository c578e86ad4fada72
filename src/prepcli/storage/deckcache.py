"""The deck cache: decks already parsed, in one SQLite file in the user's cache folder, so a
command reads one card, or the keys, without parsing YAML or reading every card.

Per deck file it keeps the file's path, size, modification time and SHA-256, the tag of
the validator's rules that parsed it, the deck's own fields, and one row per card (its key,
its place in the file, the card as JSON), indexed by key. Beside them: the deck index of
each set of deck folders and the plan layouts made on it (storage/deckindex.py), and the
`plan:` id each plan file declares, by the file's size and modification time (finding a
plan by id otherwise parses every plan file in its folders).

The file is a cache, never trusted: it must be a regular file of this user's that no one
else can write, with exactly prepcli's schema (otherwise it is deleted and made again),
and every value read back is checked (storage/cachecodec.py); a row that fails counts as
missing. A cache that cannot be opened or written costs only time, never an error. Each
write is one transaction; WAL and a busy timeout let several prepcli processes share it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prepcli.core.cards import CardDef, Deck, DeckSet
from prepcli.files.deckfiles import cache_tag
from prepcli.files.safeio import FileRefused, new_private_file, private_folder, read_regular
from prepcli.storage.cachecodec import (
    CacheDataError,
    decode_card,
    decode_deck,
    encode_card,
    encode_deck_header,
    text,
)

CACHE_FILE = "decks.sqlite3"
#: Seconds a command waits for another prepcli writing the cache before doing without it.
BUSY_TIMEOUT = 5.0
#: Written in the file's header (`PRAGMA application_id`): "prep".
APPLICATION_ID = 0x70726570
SCHEMA_VERSION = 2
SCHEMA = (
    "CREATE TABLE deck_file (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, tag TEXT NOT NULL, deck TEXT NOT NULL)",
    "CREATE TABLE card (path TEXT NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL, "
    "definition TEXT NOT NULL, UNIQUE (path, position))",
    "CREATE INDEX card_by_key ON card (key)",
    "CREATE TABLE deck_set (name TEXT PRIMARY KEY, tag TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE plan_layout (deck_set TEXT NOT NULL, plan_path TEXT NOT NULL, "
    "decks TEXT NOT NULL, stamp TEXT NOT NULL, layout TEXT NOT NULL, "
    "PRIMARY KEY (deck_set, plan_path))",
    "CREATE TABLE plan_file (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "mtime_ns INTEGER NOT NULL, plan_id TEXT)",
)
#: The files SQLite keeps beside the database while it is in use.
SIDE_FILES = ("-wal", "-shm", "-journal")
#: Older prepcli versions kept pickles here; they are never read, only removed.
LEGACY_PATTERNS = ("decks-*.pickle", "interview-plan-*.pickle")


def load_cached_decks(roots: Iterable[Path], cache_dir: Path) -> DeckSet:
    """Every deck under `roots` (as files/decks.load_decks), through the cache in `cache_dir`."""
    from prepcli.files.decks import load_decks  # the validator: only when decks are loaded

    with DeckCache.in_folder(cache_dir) as cache:
        return load_decks(roots, cache)


class _Foreign(Exception):
    """A file at the cache's name that prepcli did not make, or made with another schema."""


class DeckCache:
    """The cache file, opened on first use and closed by `close` (see the module docstring).

    As the loader's DeckCache (files/deckfiles.py): `get` and `put` per file, `save` writes
    what was put in one transaction.
    """

    def __init__(self, file: Path) -> None:
        self.file = file
        self._db: sqlite3.Connection | None = None
        self._unusable = False
        self._tag: str | None = None
        self._pending: list[tuple[str, int, int, str, Deck]] = []
        self._touched: list[tuple[str, int, int, str]] = []

    @classmethod
    def in_folder(cls, cache_dir: Path) -> DeckCache:
        return cls(cache_dir / CACHE_FILE)

    def __enter__(self) -> DeckCache:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def tag(self) -> str:
        """The validator's rules, which a cached deck must have been parsed by."""
        if self._tag is None:
            self._tag = cache_tag()
        return self._tag

    # --- the loader's protocol ---------------------------------------------------------

    def get(self, path: Path, size: int, mtime_ns: int) -> Deck | None:
        name = str(path)
        row = self._read_one(
            "SELECT size, mtime_ns, sha256, tag, deck FROM deck_file WHERE path = ?", (name,)
        )
        if row is None or row[3] != self.tag:
            return None
        if (row[0], row[1]) != (size, mtime_ns):
            # Touched but maybe not changed (a checkout, a copy): the same bytes parse the same.
            if row[0] != size or _digest(path, size) != row[2]:
                return None
            self._touched.append((name, size, mtime_ns, row[2]))
        rows = self._read_all(
            "SELECT key, definition FROM card WHERE path = ? ORDER BY position", (name,)
        )
        try:
            cards = tuple(_card_from(key, definition, name) for key, definition in rows)
            deck = decode_deck(json.loads(text(row[4])), cards)
        except (CacheDataError, ValueError, TypeError):
            return None
        return deck if deck.path == name else None

    def put(self, path: Path, size: int, mtime_ns: int, deck: Deck) -> None:
        digest = _digest(path, size)
        try:
            now = path.stat()
        except OSError:
            return
        if digest is not None and (now.st_size, now.st_mtime_ns) == (size, mtime_ns):
            self._pending.append((str(path), size, mtime_ns, digest, deck))
        # else: the file changed since it was parsed; the next run parses it again

    def save(self) -> None:
        pending, touched = self._pending, self._touched
        self._pending, self._touched = [], []
        if not pending and not touched:
            return

        def write(db: sqlite3.Connection) -> None:
            for name, size, mtime_ns, digest, deck in pending:
                db.execute("DELETE FROM card WHERE path = ?", (name,))
                db.execute(
                    "INSERT OR REPLACE INTO deck_file VALUES (?, ?, ?, ?, ?, ?)",
                    (name, size, mtime_ns, digest, self.tag, _json(encode_deck_header(deck))),
                )
                db.executemany(
                    "INSERT INTO card VALUES (?, ?, ?, ?)",
                    (
                        (name, position, card.key, _json(encode_card(card)))
                        for position, card in enumerate(deck.cards)
                    ),
                )
            db.executemany(
                "UPDATE deck_file SET size = ?, mtime_ns = ? WHERE path = ? AND sha256 = ?",
                ((size, mtime_ns, name, digest) for name, size, mtime_ns, digest in touched),
            )
            if pending:  # decks were parsed: forget files that are gone
                gone = [
                    (name,)
                    for (name,) in db.execute("SELECT path FROM deck_file")
                    if not os.path.exists(name)
                ]
                db.executemany("DELETE FROM card WHERE path = ?", gone)
                db.executemany("DELETE FROM deck_file WHERE path = ?", gone)

        self._write(write)

    # --- one card ----------------------------------------------------------------------

    def card(self, key: str, stamps: frozenset[tuple[str, int, int]]) -> CardDef | None:
        """The card `key` as the deck files with these (path, size, mtime) stamps define it,
        or None when the cache does not hold it for them."""
        rows = self._read_all(
            "SELECT f.path, f.size, f.mtime_ns, f.tag, c.definition "
            "FROM card AS c JOIN deck_file AS f ON f.path = c.path WHERE c.key = ?",
            (key,),
        )
        for path, size, mtime_ns, tag, definition in rows:
            if (path, size, mtime_ns) in stamps and tag == self.tag:
                try:
                    return _card_from(key, definition, path)
                except (CacheDataError, ValueError, TypeError):
                    return None
        return None

    def deck_headers(self, stamps: Iterable[tuple[str, int, int]]) -> list[tuple[Deck, int]] | None:
        """The decks of the files with these (path, size, mtime) stamps, in their order,
        without their cards, each with its card count; None when the cache does not hold
        every file in that version (the decks must then be loaded)."""
        rows = self._read_all(
            "SELECT f.path, f.size, f.mtime_ns, f.tag, f.deck, "
            "(SELECT count(*) FROM card AS c WHERE c.path = f.path) FROM deck_file AS f",
            (),
        )
        by_path = {row[0]: row for row in rows}
        found: list[tuple[Deck, int]] = []
        for path, size, mtime_ns in stamps:
            row = by_path.get(path)
            if row is None or (row[1], row[2], row[3]) != (size, mtime_ns, self.tag):
                return None
            try:
                found.append((decode_deck(json.loads(text(row[4])), ()), int(row[5])))
            except (CacheDataError, ValueError, TypeError):
                return None
        return found

    # --- the deck index of a set of folders, and plan layouts (storage/deckindex.py) ---

    def deck_set(self, name: str) -> tuple[Any, Any] | None:
        """The saved index of the deck folders `name`: (tag, data as JSON text)."""
        row = self._read_one("SELECT tag, data FROM deck_set WHERE name = ?", (name,))
        return None if row is None else (row[0], row[1])

    def put_deck_set(self, name: str, tag: str, data: object) -> bool:
        """Save the index of `name`; its plan layouts, made on the index before, go."""

        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO deck_set VALUES (?, ?, ?)", (name, tag, _json(data)))
            db.execute("DELETE FROM plan_layout WHERE deck_set = ?", (name,))

        return self._write(write)

    def layout(self, name: str, plan_path: str) -> tuple[Any, Any, Any] | None:
        """A plan's saved layout on the deck folders `name`: (decks, stamp, layout), the
        first two as the `put_layout` that saved it had them, the layout as JSON text."""
        row = self._read_one(
            "SELECT decks, stamp, layout FROM plan_layout WHERE deck_set = ? AND plan_path = ?",
            (name, plan_path),
        )
        return None if row is None else (row[0], row[1], row[2])

    def put_layout(self, name: str, plan_path: str, decks: str, stamp: str, layout: object) -> bool:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO plan_layout VALUES (?, ?, ?, ?, ?)",
                (name, plan_path, decks, stamp, _json(layout)),
            )

        return self._write(write)

    def plan_id(self, path: str, size: int, mtime_ns: int) -> tuple[str | None] | None:
        """The `plan:` id saved for this version of a plan file, as a one-tuple (a file
        may declare none); None when none is saved or the saved value is not text."""
        row = self._read_one(
            "SELECT plan_id FROM plan_file WHERE path = ? AND size = ? AND mtime_ns = ?",
            (path, size, mtime_ns),
        )
        if row is None or not (row[0] is None or isinstance(row[0], str)):
            return None
        return (row[0],)

    def put_plan_id(self, path: str, size: int, mtime_ns: int, plan_id: str | None) -> bool:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO plan_file VALUES (?, ?, ?, ?)",
                (path, size, mtime_ns, plan_id),
            )

        return self._write(write)

    # --- reading and writing -----------------------------------------------------------

    def _read_one(self, sql: str, parameters: tuple[object, ...]) -> tuple[Any, ...] | None:
        rows = self._read(sql, parameters, one=True)
        return rows[0] if rows else None

    def _read_all(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        return self._read(sql, parameters, one=False)

    def _read(self, sql: str, parameters: tuple[object, ...], *, one: bool) -> list[Any]:
        db = self._connection()
        if db is None:
            return []
        try:
            cursor = db.execute(sql, parameters)
            found = cursor.fetchmany(1) if one else cursor.fetchall()
            cursor.close()
            return found
        except sqlite3.Error as exc:
            self._failed(exc)
            return []

    def _write(self, change: Callable[[sqlite3.Connection], None]) -> bool:
        """Run `change(connection)` in one write transaction; False when it could not be
        written (the cache is busy, read-only or damaged: it only costs time)."""
        db = self._connection()
        if db is None:
            return False
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                change(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._failed(exc)
            return False
        return True

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    # --- opening -----------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        if self._db is not None or self._unusable:
            return self._db
        for _attempt in range(2):
            try:
                self._db = _open(self.file)
                return self._db
            except _Foreign:
                _remove(self.file)  # not prepcli's, or another version's: made again
            except sqlite3.Error as exc:
                if not _is_damage(exc):
                    break  # busy or read-only: do without the cache this time
                _remove(self.file)
            except OSError:
                break  # no folder or no room for it
        self._unusable = True
        return None

    def _failed(self, exc: sqlite3.Error) -> None:
        """Stop using the cache for this run; a damaged file is removed, to be made again."""
        self.close()
        self._unusable = True
        if _is_damage(exc):
            _remove(self.file)


def _open(file: Path) -> sqlite3.Connection:
    private_folder(file.parent)
    if not all(_own_or_absent(Path(f"{file}{suffix}")) for suffix in ("", *SIDE_FILES)):
        raise _Foreign
    created = False
    try:
        os.close(new_private_file(file))
        created = True
    except FileExistsError:
        pass
    db = sqlite3.connect(file, timeout=BUSY_TIMEOUT, isolation_level=None)
    try:
        db.execute("PRAGMA trusted_schema = OFF")  # a schema's SQL never runs functions
        if created or _schema(db) == []:
            _create(db)
        _check(db)
        db.execute("PRAGMA synchronous = NORMAL")  # a cache: losing the last write is fine
    except BaseException:
        db.close()
        raise
    if created:
        _remove_legacy(file.parent)
    return db


def _create(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN IMMEDIATE")
    try:
        if _schema(db) == []:  # another process may have made it meanwhile
            for statement in SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _check(db: sqlite3.Connection) -> None:
    """Refuse a file that is not exactly this version's cache (no other table, index,
    trigger or view)."""
    header = (
        db.execute("PRAGMA application_id").fetchone()[0],
        db.execute("PRAGMA user_version").fetchone()[0],
    )
    if header != (APPLICATION_ID, SCHEMA_VERSION) or _schema(db) != _expected_schema():
        raise _Foreign


def _schema(db: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    return db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()


_EXPECTED: list[tuple[str, str, str | None]] = []


def _expected_schema() -> list[tuple[str, str, str | None]]:
    """What sqlite_master lists for SCHEMA (with the indexes SQLite adds for its keys)."""
    if not _EXPECTED:
        db = sqlite3.connect(":memory:")
        try:
            for statement in SCHEMA:
                db.execute(statement)
            _EXPECTED.extend(_schema(db))
        finally:
            db.close()
    return _EXPECTED


def _own_or_absent(path: Path) -> bool:
    """Whether `path` is missing or a regular file of this user's that only they can write
    (never a symbolic link: another user's link could point the cache at their file)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
    return (
        stat.S_ISREG(info.st_mode)
        and info.st_uid == owner
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _remove(file: Path) -> None:
    """Delete the cache file and SQLite's files beside it (a link is removed, not followed)."""
    for suffix in ("", *SIDE_FILES):
        with contextlib.suppress(OSError):
            os.unlink(f"{file}{suffix}")


def _remove_legacy(folder: Path) -> None:
    for pattern in LEGACY_PATTERNS:
        for old in folder.glob(pattern):
            with contextlib.suppress(OSError):
                os.unlink(old)


def _is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _digest(path: Path, size: int) -> str | None:
    """The SHA-256 of the file, if it still holds `size` bytes."""
    import hashlib  # only when decks are written or a touched file is checked

    try:
        data = read_regular(path, size)
    except (FileRefused, OSError):
        return None
    return hashlib.sha256(data).hexdigest() if len(data) == size else None


def _card_from(key: object, definition: object, path: str) -> CardDef:
    card = decode_card(json.loads(text(definition)))
    if card.key != key or card.path != path:
        raise CacheDataError("a card row that does not match its key or file")
    return card


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
