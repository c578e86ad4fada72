"""Running deck code on Windows: no sandbox, no rlimits, but the same temporary folder and
environment, its own process group, and the whole process tree stopped at the end.

Windows has neither fork nor process groups that a signal reaches, nor resource limits a
child inherits: the child starts in a new process group (CREATE_NEW_PROCESS_GROUP, so the
console's Ctrl-C goes to prepcli alone, which then stops it), and `taskkill /T /F` ends it
with every process it started when it ends, at the timeout or when prepcli is interrupted.
A process whose parent has already exited is no longer in that tree: it can outlive the
run, as the consent prompt says. Descriptors are not inherited by number on Windows, so
the harness writes its results to a file in the run's folder, copied afterwards to the
descriptor the caller passed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from prepcli.app.sandbox import Ended, scrubbed_environment, start_errors

RESULTS_NAME = "results.jsonl"
#: Flags of the child process: its own process group, no window of its own.
CREATION_FLAGS = ("CREATE_NEW_PROCESS_GROUP", "CREATE_NO_WINDOW")


def creation_flags() -> int:
    """The Windows creation flags (0 elsewhere, where subprocess has none of them)."""
    flags = 0
    for name in CREATION_FLAGS:
        flags |= int(getattr(subprocess, name, 0))
    return flags


def kill_tree(pid: int) -> None:
    """End a process and every process it started (taskkill, shipped with Windows)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):  # the caller kills the
        subprocess.run(  # child itself in any case
            ["taskkill", "/T", "/F", "/PID", str(pid)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )


def run_contained(
    work: Path,
    arguments: list[str],
    output_fd: int,
    results_fd: int,
    timeout: float,
    *,
    stop_tree: Callable[[int], None] | None = None,
) -> Ended:
    """Run `python -I ARGUMENTS` in `work`, as sandbox.run_contained does elsewhere; return
    once it and its process tree are gone. The argument naming `results_fd` is replaced
    by a file in `work`, whose contents end up in `results_fd`."""
    for name in ("home", "tmp"):
        (work / name).mkdir(mode=0o700, exist_ok=True)
    results = work / RESULTS_NAME
    arguments = [str(results) if a == str(results_fd) else a for a in arguments]
    with start_errors():
        process = subprocess.Popen(
            [sys.executable, "-I", *arguments],
            cwd=work,
            env=scrubbed_environment(work),
            stdin=subprocess.DEVNULL,
            stdout=output_fd,
            stderr=output_fd,
            close_fds=True,
            creationflags=creation_flags(),
        )
    stopped = None
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stopped = "timeout"
    finally:  # also on Ctrl-C: nothing it started outlives prepcli's run
        (stop_tree or kill_tree)(process.pid)
        process.kill()
        process.wait()
    if results.is_file():
        os.write(results_fd, results.read_bytes())
    return Ended(process.returncode, stopped)
