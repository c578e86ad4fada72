"""The file system at prepcli's edge: user files read safely, prepcli's own files written
privately and whole.

Reading: only a regular file is read, and no more than a limit. A FIFO would block
`open()` forever and /dev/zero would fill the memory, so a file is opened without waiting
(O_NONBLOCK) and checked on the open descriptor, which no rename can swap afterwards.

Writing: everything prepcli creates is private to the user (files 0600, folders 0700,
whatever the umask) and appears under its name only once complete: it is written to a
temporary file beside the target, synced, then renamed into place. A crash, a full disk
or a kill leaves the old file as it was and, at worst, a `.partial` file that the next
export or backup into that folder removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

#: The longest file name most file systems take, in bytes (NAME_MAX).
NAME_MAX = 255
#: The longest path the kernel takes (PATH_MAX on Linux).
PATH_MAX = 4096
#: A temporary file: `.NAME.prepcli-PID-RANDOM.partial`, beside its target.
_PARTIAL = r"\..*\.prepcli-(\d+)-[0-9a-f]{8}\.partial"
#: A partial file this old is stale even if its process id is in use again.
_STALE_SECONDS = 24 * 3600


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX; Windows has no FIFOs to block on


def _blocking(descriptor: int) -> None:
    if _NONBLOCK:
        os.set_blocking(descriptor, True)


class FileRefused(Exception):
    """A file that cannot or must not be read or written; `reason` says why, in words
    that follow the file's name ("is a FIFO, not a regular file")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- names -------------------------------------------------------------------------------


def path_problem(path: Path | str) -> str | None:
    """Why the kernel would refuse this path as a name, or None: a component over
    NAME_MAX bytes, a path over PATH_MAX, a NUL byte, or text that is no file name."""
    text = os.fspath(path)
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        return "is not a valid file name in this system's encoding"
    if b"\0" in raw:
        return "contains a NUL byte"
    if len(raw) >= PATH_MAX:
        return f"is {len(raw):,} bytes long; paths are at most {PATH_MAX - 1:,}"
    for part in raw.split(b"/"):
        if len(part) > NAME_MAX:
            return f"has a name of {len(part):,} bytes; names are at most {NAME_MAX}"
    return None


def kind_of(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


# --- reading -----------------------------------------------------------------------------


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; FileRefused otherwise.

    Never blocks on a FIFO and never reads a device: the check is made on the descriptor.
    """
    problem = path_problem(path)
    if problem is not None:
        raise FileRefused(problem)
    flags = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"is {kind_of(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise FileRefused(f"is {info.st_size:,} bytes; the limit is {_size(limit)}")
        _blocking(descriptor)
        chunks = []
        remaining = limit + 1  # a file growing while it is read still stops at the limit
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise FileRefused(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileRefused(f"grew past the limit of {_size(limit)} while being read")
    return data


def open_own(path: Path) -> IO[bytes] | None:
    """A cache file opened for reading only if it is safe to trust: a regular file (no
    symlink followed) owned by this user and writable by nobody else. None otherwise."""
    flags = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != owner
            or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            os.close(descriptor)
            return None
        _blocking(descriptor)
        return os.fdopen(descriptor, "rb")
    except OSError:
        os.close(descriptor)
        return None


def _size(limit: int) -> str:
    if limit >= 1 << 20 and limit % (1 << 20) == 0:
        return f"{limit >> 20:,} MiB"
    return f"{limit:,} bytes"


# --- folders -----------------------------------------------------------------------------


def private_folder(folder: Path) -> None:
    """Create `folder` and any missing parents private to the user (0700); an existing
    folder is left as it is. Raises OSError."""
    missing = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for step in reversed(missing):
        try:
            os.mkdir(step, 0o700)
        except FileExistsError:
            if not step.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", str(step)) from None
        else:
            os.chmod(step, 0o700)  # mkdir's mode goes through the umask; undo only that


# --- writing -----------------------------------------------------------------------------


def partial_path(target: Path) -> Path:
    """A new temporary name beside `target`, recognisable as prepcli's (and whose)."""
    short = target.name[:64]  # the temporary name must stay under NAME_MAX too
    return target.with_name(f".{short}.prepcli-{os.getpid()}-{os.urandom(4).hex()}.partial")


def new_private_file(path: Path) -> int:
    """Create a file that did not exist, 0600, never through a symlink; its descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    if hasattr(os, "fchmod"):  # os.open's mode went through the umask: make it exactly 0600
        os.fchmod(descriptor, 0o600)
    return descriptor


def write_file(
    target: Path,
    write: Callable[[IO[Any]], T],
    *,
    binary: bool = False,
    overwrite: bool = False,
    durable: bool = True,
) -> T:
    """Write a private file whole or not at all; `write` fills the open handle.

    Without `overwrite`, an existing file at `target` is never replaced (FileExistsError,
    decided by the rename itself, not by a check made earlier). `durable` syncs the data
    and the rename to disk (a cache, which can be rebuilt, skips that). Raises OSError.
    """
    temporary = partial_path(target)
    descriptor = new_private_file(temporary)
    try:
        if binary:
            handle: IO[Any] = os.fdopen(descriptor, "wb")
        else:
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
        with handle:
            result = write(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        publish(temporary, target, overwrite=overwrite, durable=durable)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return result


def write_by_name(target: Path, write: Callable[[Path], T], *, overwrite: bool = False) -> T:
    """As write_file, for a writer that takes a file name (a library that opens the file
    itself): `write` gets the temporary file, already created private, to fill."""
    temporary = partial_path(target)
    os.close(new_private_file(temporary))
    try:
        result = write(temporary)
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        publish(temporary, target, overwrite=overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return result


def write_bytes(target: Path, data: bytes, *, overwrite: bool = False) -> None:
    write_file(target, lambda handle: handle.write(data), binary=True, overwrite=overwrite)


def publish(temporary: Path, target: Path, *, overwrite: bool, durable: bool = True) -> None:
    """Move a complete temporary file to its name. Without `overwrite` a hard link makes
    the name appear only if it was free (os.replace would take it over); a file system
    without hard links falls back to a check just before the rename."""
    if overwrite:
        os.replace(temporary, target)
    else:
        try:
            os.link(temporary, target, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            if os.path.lexists(target):
                raise FileExistsError(
                    errno.EEXIST, os.strerror(errno.EEXIST), str(target)
                ) from None
            os.replace(temporary, target)
        else:
            os.unlink(temporary)
    if durable:
        _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform lets a folder be synced)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the temporary files that killed prepcli runs left in `folder`: those of a
    process that no longer runs, or older than a day. Returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    now = time.time()
    for entry in entries:
        match = re.fullmatch(_PARTIAL, entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if _process_runs(int(match.group(1))) and now - info.st_mtime < _STALE_SECONDS:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return sorted(removed)


def _process_runs(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows has no signal 0: age decides there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except (OverflowError, ValueError, OSError):
        return False  # no process can have that id
    return True
