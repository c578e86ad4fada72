"""The sync folder's files: each device's append-only logs, read and written safely.

    DIR/<device>/2026-11-23-001.jsonl     one device's events, one JSON object per line

A device writes only under its own folder, and only ever appends: a sync engine (a
cloud drive, Syncthing, git) then never sees two writers of one file, and git never has a
merge conflict. A device's log is split into dated segments: a new one each month, when
one grows past SEGMENT_BYTES, or when a write was cut off (the broken line is left as it
is; its events are written again in the new segment, and readers ignore duplicates).

Each segment opens with a header line naming the format and the device. A last line
without its newline is a copy still in progress: it is not read until it is complete.
Appends are synced to disk before the database records them as written.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from prepcli.core import syncevents
from prepcli.core.errors import Problem
from prepcli.core.syncevents import DEVICE, Event
from prepcli.core.syncread import EventProblem, decode
from prepcli.files.safeio import kind_of, path_problem, private_folder

SEGMENT = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{3})\.jsonl")
SEGMENT_BYTES = 8 << 20
#: The most read from one file in one sync (a year of heavy use is a few segments).
MAX_READ = 1 << 30
#: Lines parsed in one call. Not a whole file: the objects parsed from a chunk are freed
#: once its events are made, where a whole file's would all stay alive for the garbage
#: collector to walk through again and again as the events are made.
PARSED_AT_ONCE = 1000
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)


class LogFile(NamedTuple):
    path: str  # relative to the folder: DEVICE/SEGMENT
    device: str
    size: int


@dataclass
class Batch:
    """What one read of a file found past its cursor."""

    events: list[tuple[Event, int, int, int]] = field(default_factory=list)  # see read
    problems: list[Problem] = field(default_factory=list)
    end: int = 0  # the offset just after the last complete line read
    lines: int = 0  # complete lines up to `end`
    tail: int = 0  # bytes of an incomplete last line, not read yet
    newer: int | None = None  # the file's format, when it is newer than this prepcli's
    name: str | None = None  # the device's name, from the header (when it was read)


class Unreadable(Exception):
    """A log file that cannot be read; `reason` follows the file's name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def header(device: str, name: str, created_ms: int) -> str:
    return json.dumps(
        {
            "prepcli_sync": syncevents.FORMAT,
            "device": device,
            "name": name,
            "created": syncevents.iso_ms(created_ms),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


# --- the folder ----------------------------------------------------------------------------


def log_files(folder: Path) -> list[LogFile]:
    """Every device's segments in the folder, in name order; anything else is ignored
    (a .git folder, Syncthing's markers, a sync engine's conflict copies)."""
    found = []
    try:
        devices = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
    for device in devices:
        if not DEVICE.fullmatch(device.name) or not device.is_dir(follow_symlinks=False):
            continue
        try:
            entries = sorted(os.scandir(device.path), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if SEGMENT.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                size = entry.stat(follow_symlinks=False).st_size
                found.append(LogFile(f"{device.name}/{entry.name}", device.name, size))
    return found


def check_folder(folder: Path) -> str | None:
    """Why `folder` cannot be a sync folder, or None."""
    problem = path_problem(folder)
    if problem is not None:
        return problem
    try:
        mode = os.stat(folder).st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not stat.S_ISDIR(mode):
        return f"is {kind_of(mode)}, not a folder"
    return None


# --- reading -------------------------------------------------------------------------------


def read(folder: Path, log: LogFile, offset: int, line: int, file: int) -> Batch:
    """The events on the complete lines of a file after byte `offset` (line `line`
    ends there), each as (event, file, its offset, its line number): `file` is the
    caller's id for the file, so that the entries are made once for all who keep them.
    Lines that are not events are problems; the rest are read regardless."""
    data = _read_from(folder / log.path, offset)
    batch = Batch(end=offset, lines=line)
    cut = data.rfind(b"\n") + 1
    batch.tail = len(data) - cut
    if cut == 0:
        return batch
    raw_lines = data[:cut].split(b"\n")[:-1]
    position = offset
    if line == 0:  # the header comes first
        newer = _check_header(str(folder / log.path), log, raw_lines[0], batch)
        if newer is not None or batch.problems:
            batch.newer = newer
            return batch  # nothing more is read from a file that is not a log of ours
        position += len(raw_lines[0]) + 1
        line = 1
        raw_lines = raw_lines[1:]
    path = str(folder / log.path)
    parsed: list[object] | None = None
    for index, raw in enumerate(raw_lines):
        if index % PARSED_AT_ONCE == 0:
            parsed = _parse_all(raw_lines[index : index + PARSED_AT_ONCE])
        number = line + index + 1
        text = parsed[index % PARSED_AT_ONCE] if parsed is not None else None
        try:
            if text is None:
                text = _parse_one(raw)
            event = decode(text)
            if event.device != log.device:
                raise EventProblem(
                    f"an event of device {event.device} in the folder of {log.device}", "device"
                )
        except _BadLine as exc:
            batch.problems.append(Problem(path, number, exc.col, exc.message))
        except EventProblem as exc:
            col = _column(raw, exc.field)
            batch.problems.append(Problem(path, number, col, exc.message))
        else:
            batch.events.append((event, file, position, number))
        position += len(raw) + 1
    batch.end = offset + cut
    batch.lines = line + len(raw_lines)
    return batch


def read_line_at(folder: Path, relative: str, offset: int) -> Event | None:
    """The event on the line starting at byte `offset` of a file, or None if it is no
    longer there (the file was replaced or shortened)."""
    try:
        data = _read_from(folder / relative, offset, syncevents.MAX_LINE + 1)
    except Unreadable:
        return None
    end = data.find(b"\n")
    if end < 0:
        return None
    try:
        return decode(_parse_one(data[:end]))
    except (_BadLine, EventProblem):
        return None


def read_bytes(path: Path, offset: int) -> bytes:
    """The bytes of a file after `offset` (up to MAX_READ); Unreadable otherwise."""
    return _read_from(path, offset)


def _read_from(path: Path, offset: int, limit: int = MAX_READ) -> bytes:
    try:
        descriptor = os.open(path, _FLAGS)
    except OSError as exc:
        raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"is {kind_of(info.st_mode)}, not a regular file")
        if info.st_size < offset:
            raise Shortened(info.st_size)
        if info.st_size - offset > limit and limit == MAX_READ:
            raise Unreadable(f"has {info.st_size - offset:,} bytes to read; the limit is 1 GiB")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        os.lseek(descriptor, offset, os.SEEK_SET)
        chunks = []
        remaining = min(info.st_size - offset, limit)
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    return b"".join(chunks)


class Shortened(Unreadable):
    """A file now shorter than what was read of it before: replaced, not appended to."""

    def __init__(self, size: int) -> None:
        super().__init__(f"is now {size:,} bytes, shorter than what was read before")
        self.size = size


class _BadLine(Exception):
    def __init__(self, col: int, message: str) -> None:
        super().__init__(message)
        self.col = col
        self.message = message


def _check_header(path: str, log: LogFile, raw: bytes, batch: Batch) -> int | None:
    """Problems of a header line in `batch`; the format when it is newer than ours."""
    try:
        line = _parse_one(raw)
    except _BadLine as exc:
        batch.problems.append(Problem(path, 1, exc.col, f"not a prepcli sync log: {exc.message}"))
        return None
    version = line.get("prepcli_sync") if isinstance(line, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        batch.problems.append(
            Problem(path, 1, 1, "not a prepcli sync log (its first line has no prepcli_sync)")
        )
        return None
    if version > syncevents.FORMAT:
        return version
    assert isinstance(line, dict)
    if line.get("device") != log.device:
        batch.problems.append(
            Problem(path, 1, _column(raw, "device"), "the header names another device")
        )
    name = line.get("name")
    batch.name = name[:64] if isinstance(name, str) else None
    return None


def _parse_all(raw_lines: list[bytes]) -> list[object] | None:
    """Every line parsed at once (one call for the whole file), or None when any line is
    bad: the lines are then parsed one by one, to locate each problem."""
    if any(len(raw) > syncevents.MAX_LINE or not raw or raw.isspace() for raw in raw_lines):
        return None
    try:
        parsed = json.loads(b"[" + b",".join(raw_lines) + b"]")
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, list) or len(parsed) != len(raw_lines):
        return None  # a line holding two values separated by a comma
    return parsed


def _parse_one(raw: bytes) -> object:
    if len(raw) > syncevents.MAX_LINE:
        raise _BadLine(1, f"line is over {syncevents.MAX_LINE:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadLine(exc.start + 1, "not valid UTF-8") from None
    if not text.strip():
        raise _BadLine(1, "empty line")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return _raise_json(exc)
    except RecursionError:
        raise _BadLine(1, "not valid JSON: nested too deeply") from None


def _raise_json(exc: json.JSONDecodeError) -> object:
    raise _BadLine(exc.colno, f"not valid JSON: {exc.msg}") from None


def _column(raw: bytes, name: str | None) -> int:
    if name is None:
        return 1
    at = raw.find(f'"{name}"'.encode())
    return 1 if at < 0 else len(raw[:at].decode("utf-8", "replace")) + 1


# --- writing -------------------------------------------------------------------------------


def segment_name(day: str, taken: set[str]) -> str:
    """The first free segment name of a day (YYYY-MM-DD) among `taken` names."""
    number = 1
    while f"{day}-{number:03d}.jsonl" in taken:
        number += 1
    if number > 999:
        raise OSError("more than 999 segments in one day")
    return f"{day}-{number:03d}.jsonl"


def needs_new_segment(relative: str | None, size: int, day: str) -> bool:
    """A new segment each month, and when the current one has grown past SEGMENT_BYTES."""
    if relative is None:
        return True
    match = SEGMENT.fullmatch(relative.rsplit("/", 1)[-1])
    return match is None or match.group(1)[:7] != day[:7] or size >= SEGMENT_BYTES


def append(folder: Path, relative: str, text: str) -> int:
    """Append `text` (whole lines) to a file, creating it and its device folder, and sync
    it to disk. Returns the offset it was written at. Raises OSError."""
    target = folder / relative
    created_folder = not target.parent.is_dir()
    if created_folder:
        private_folder(target.parent)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags, 0o600)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{target} is {kind_of(info.st_mode)}, not a regular file")
        start = info.st_size
        data = text.encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(descriptor, data[written:])
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if start == 0:  # a new name in the folder: make the folder entry durable too
        _sync_folder(target.parent)
        if created_folder:
            _sync_folder(folder)
    return start


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its file system orders the writes itself
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
