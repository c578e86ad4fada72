"""The database file: opening it safely, its header, migrations, durability, copies, and
SQLite errors translated into messages for the user."""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prepcli.core.errors import PrepError, UsageError
from prepcli.storage.schema import MIGRATIONS, SCHEMA_VERSION

T = TypeVar("T")


def connect(path: Path, *, create_parents: bool = True) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the database at `path`, or raise PrepError.

    A file from a newer prepcli, or one that is not a prepcli database, is refused before
    anything is written to it.
    """
    _prepare_file(path, create_parents)
    try:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise PrepError(f"cannot open database {path}: {exc}") from None
    try:
        _configure(connection, path)
        _math_functions(connection)
        _migrate(connection, path)
        _apply_durability(connection)
    except sqlite3.DatabaseError as exc:
        connection.close()
        if read_only_error(exc):  # WAL needs to create files beside the database
            raise PrepError(
                f"cannot open {path}: the file or its folder is read-only; it was not changed"
            ) from None
        raise PrepError(f"{path} is not a usable prepcli database ({exc})") from None
    except BaseException:
        connection.close()
        raise
    return connection


def _prepare_file(path: Path, create_parents: bool) -> None:
    from prepcli.files.safeio import kind_of, path_problem, private_folder

    problem = path_problem(path)
    if problem is not None:
        raise UsageError(f"database path {path} {problem}")
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise PrepError(f"cannot open database {path}: {exc.strerror or exc}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise PrepError(f"database path {path} is a directory")
        if not stat.S_ISREG(mode):  # SQLite would block on a FIFO, or use /dev/null
            raise UsageError(f"database path {path} is {kind_of(mode)}, not a regular file")
        _check_header(path)
        return
    parent = path.parent
    if not parent.exists():
        if not create_parents:
            raise PrepError(f"cannot create database {path}: folder {parent} does not exist")
        try:
            private_folder(parent)
        except OSError as exc:
            raise PrepError(f"cannot create folder {parent}: {exc.strerror or exc}") from None
    try:  # create it private to the user before SQLite touches it
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise PrepError(f"cannot create database {path}: {exc.strerror or exc}") from None


SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_HEADER_BYTES = 32


def _check_header(path: Path) -> None:
    """Refuse a file that is not a whole SQLite database before SQLite opens it.

    SQLite takes a short or foreign file for an empty database and writes a new one over
    it, and it uses a truncated file until it reaches the missing pages. An empty file is
    a new database: prepcli creates it empty before SQLite first opens it.
    """
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise PrepError(f"cannot read database {path}: {exc.strerror or exc}") from None
    if size == 0:
        return
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise PrepError(
            f"{path} is not a usable prepcli database (not an SQLite file); it was not changed"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is trustworthy when the change counter matches its copy; frames
    # still in the write-ahead log may hold pages the main file does not have yet.
    try:  # another prepcli may close and delete its -wal at any moment
        pending = path.with_name(path.name + "-wal").stat().st_size > WAL_HEADER_BYTES
    except FileNotFoundError:
        pending = False
    counted = header[24:28] == header[92:96] and pages > 0 and not pending
    if page_size < 512 or size % page_size or (counted and size < pages * page_size):
        raise PrepError(
            f"{path} is not a usable prepcli database (truncated: shorter than its header "
            "says); it was not changed"
        )


def _configure(connection: sqlite3.Connection, path: Path) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise PrepError(
            f"{path} was written by a newer prepcli (schema version {version}; this one "
            f"knows up to {SCHEMA_VERSION}). Upgrade prepcli; the file was not changed."
        )
    if version == 0 and _has_foreign_tables(connection):
        raise PrepError(f"{path} is an SQLite file but not a prepcli database; it was not changed")
    connection.execute("PRAGMA busy_timeout = 30000")
    connection.execute("PRAGMA foreign_keys = ON")
    # A read-only location cannot switch to WAL: keep the default journal, writes fail clearly.
    with contextlib.suppress(sqlite3.OperationalError):
        connection.execute("PRAGMA journal_mode = WAL")


def _math_functions(connection: sqlite3.Connection) -> None:
    """pow(), which the forgetting curve in SQL needs (storage/rows.py RECALL_AT), is one
    of SQLite's math functions: builds that leave them out (Python's on Windows, SQLite
    before 3.35 as on Ubuntu 20.04) get Python's instead, C's pow() either way."""
    if not has_pow(connection):
        connection.create_function("pow", 2, sql_pow, deterministic=True)


def has_pow(connection: sqlite3.Connection) -> bool:
    try:
        connection.execute("SELECT pow(2.0, 0.5)")
    except sqlite3.OperationalError:  # no such function: pow
        return False
    return True


def sql_pow(base: float | None, exponent: float | None) -> float | None:
    """pow() for SQL: NULL for a NULL argument, or where Python's math.pow fails (a
    negative base to a fraction, zero to a negative power, an overflow), where SQLite's
    gives NULL or an infinity. The forgetting curve's base is always above 1."""
    if base is None or exponent is None:
        return None
    try:
        return math.pow(base, exponent)
    except (ValueError, OverflowError, TypeError):
        return None


def _apply_durability(connection: sqlite3.Connection) -> None:
    """Every commit synced to disk (FULL, as Anki) unless the user chose `durability
    normal`: in WAL mode NORMAL still loses nothing when a process dies and never
    corrupts, but a power cut may drop the last commits."""
    try:
        row = connection.execute("SELECT value FROM setting WHERE name = 'durability'").fetchone()
    except sqlite3.OperationalError:  # a database not yet migrated has no settings
        row = None
    level = "NORMAL" if row is not None and row[0] == '"normal"' else "FULL"
    connection.execute(f"PRAGMA synchronous = {level}")


def _has_foreign_tables(connection: sqlite3.Connection) -> bool:
    row = connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    return int(row[0]) > 0


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    if version > 0:
        backup_before_migration(connection, path, version)
    for number, statements in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if current >= number:
                connection.execute("ROLLBACK")
                continue
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def backup_before_migration(connection: sqlite3.Connection, path: Path, version: int) -> Path:
    return copy_database(connection, path.with_name(f"{path.name}.schema-v{version}.bak"))


def copy_database(connection: sqlite3.Connection, target: Path, *, overwrite: bool = True) -> Path:
    """Copy a live database to `target` with SQLite's online backup API.

    The copy is a consistent snapshot even while another process writes (committed WAL
    content included), private to the user, a single file (no -wal beside it), and it
    appears under its name only once complete (without `overwrite`, only if the name is
    free: FileExistsError otherwise).
    """
    from prepcli.files.safeio import new_private_file, partial_path, publish

    partial = partial_path(target)
    os.close(new_private_file(partial))
    try:
        destination = sqlite3.connect(partial)
        try:
            connection.backup(destination)
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()
        publish(partial, target, overwrite=overwrite)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def check_file(path: Path) -> list[str]:
    """Integrity problems of a database file opened read-only (e.g. a fresh backup)."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        messages = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        connection.close()
    return [] if messages == ["ok"] else messages


def read_only_error(exc: sqlite3.Error) -> bool:
    return "readonly" in str(exc).lower()


def run_guarded(action: Callable[[], T], path: Path) -> T:
    """Run a store action, turning SQLite's failures into a clear PrepError."""
    try:
        return action()
    except sqlite3.DatabaseError as exc:
        error = database_error(exc, path)
        assert error is not None
        raise error from None


def database_error(exc: BaseException, path: Path | None = None) -> PrepError | None:
    """The message for an SQLite failure (None for any other exception).

    The CLI also uses it as a last resort for a failure no command wrapped, where the
    file's path is not known.
    """
    name = str(path) if path is not None else "the database"
    if isinstance(exc, sqlite3.OperationalError):
        if read_only_error(exc):
            return PrepError(f"cannot write to {name}: the file or its folder is read-only")
        return PrepError(f"database error on {name}: {exc}")
    if isinstance(exc, sqlite3.DatabaseError):
        subject = f"database {path}" if path is not None else "the database"
        return PrepError(f"{subject} is damaged: {exc}")
    return None
