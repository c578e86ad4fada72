"""Running code from a deck in a contained child process, and stopping all it starts.

Where Linux offers unprivileged user namespaces (`unshare`, util-linux), the child runs
in a sandbox built by sandbox_init.py: new user, PID, mount, network and IPC namespaces;
no network; the file system read-only with the user's home, /tmp and /run hidden under
empty folders; only a private 64 MiB temporary folder writable; every capability
dropped. Everywhere, and whether or not that sandbox is available:

- an environment holding only PATH and LANG/LC_*, with HOME and TMPDIR in the private
  temporary folder, which is also the working folder;
- no descriptor but stdin (/dev/null), stdout/stderr (an unnamed temporary file) and the
  results file the caller passes;
- rlimits on CPU time, address space, file size, processes and open files; no core dump;
- the whole run stopped at the timeout, when it starts too many processes, when it ends
  (nothing it left in the background survives it), and when prepcli is interrupted
  (Ctrl-C, SIGTERM, SIGHUP); if prepcli is killed, the child dies with it
  (PR_SET_PDEATHSIG), and in the sandbox all the rest with the child.

How "everything" is found: in the sandbox the run's first process is process 1 of its
own PID namespace, and the kernel kills every process in a namespace when its first
process ends, whatever sessions or process groups they made. Without it (on Linux),
prepcli makes itself a child subreaper for the run, so that processes orphaned by a
`setsid()` double fork are re-parented to prepcli instead of init, and kills every
descendant it finds in /proc, round after round, until none is left. RLIMIT_NPROC
counts all the user's processes and is not enforced for root at all, so the process
limit is also checked by counting the run's processes in /proc at each poll.

Elsewhere (macOS) the child only gets the environment, the folder, the rlimits and its
own process group, and the consent prompt says that the code runs with the user's rights
(Windows: sandbox_windows.py)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from prepcli.core.errors import PrepError

INIT = Path(__file__).with_name("sandbox_init.py")
MEMORY_LIMIT = 1 << 30  # bytes of address space per process
FILE_SIZE_LIMIT = 64 << 20  # bytes in any one file it writes (its output included)
MAX_PROCESSES = 32  # processes of one run at once, counting prepcli's helpers
OPEN_FILES_LIMIT = 256
POLL_SECONDS = 0.05
UNSHARE_FLAGS = (
    "--user",
    "--map-root-user",
    "--pid",
    "--fork",
    "--kill-child",  # unshare's own death (see PR_SET_PDEATHSIG) kills the namespace
    "--mount-proc",
    "--net",
    "--ipc",
)
HIDDEN = ("/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm")
SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc")
# Folders of programs and libraries: a home inside one is not covered (nor is it a home).
PROGRAMS = (
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/bin",
    "/usr/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/bin",
    "/sbin",
)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


class Protection(NamedTuple):
    """What protects the user while deck code runs, as found on this machine."""

    sandboxed: bool  # the namespaces of sandbox_init.py
    tracked: bool  # descendants found through /proc and a subreaper (Linux)
    why_not: str = ""  # why there is no sandbox
    limited: bool = True  # rlimits on CPU, memory, file size, processes (not on Windows)

    def describe(self) -> str:
        limits = (
            f"limits on CPU time, memory ({MEMORY_LIMIT >> 20} MiB), file size "
            f"({FILE_SIZE_LIMIT >> 20} MiB) and processes ({MAX_PROCESSES})"
        )
        if self.sandboxed:
            return (
                "It runs in a sandbox (Linux namespaces): no network; the file system "
                "read-only, with your home folder, /tmp and /run hidden; only a private "
                "temporary folder writable; no environment variables but PATH and LANG; "
                f"{limits}; everything it starts is stopped when it ends, at the timeout "
                "or when prepcli is interrupted."
            )
        stop = (
            "everything it starts is stopped when it ends, at the timeout or when "
            "prepcli is interrupted"
            if self.tracked
            else "its process group is stopped when it ends (a process that leaves the "
            "group can outlive it)"
        )
        if not self.limited:  # Windows: no rlimits; sandbox_windows.py ends the tree
            limits, stop = "no limit but the timeout", "its process tree is ended at the end"
        return (
            f"It runs with YOUR rights: it can read and change your files and use the "
            f"network ({self.why_not}). prepcli only gives it a temporary working folder "
            f"and home, no environment variables but PATH and LANG, {limits}; {stop}."
        )


_probed: Protection | None = None


def protection() -> Protection:
    """The protection in force here; the sandbox is tried once per process."""
    global _probed
    if _probed is None:
        _probed = _probe()
    return _probed


def _probe() -> Protection:
    linux = sys.platform.startswith("linux")
    if sys.platform == "win32":
        return Protection(False, False, "no sandbox on Windows", limited=False)
    if not linux:
        return Protection(False, False, f"no sandbox on {sys.platform}")
    if os.environ.get("PREPCLI_SANDBOX") == "off":
        return Protection(False, True, "the sandbox is turned off by PREPCLI_SANDBOX=off")
    unshare = shutil.which("unshare")
    if unshare is None:
        return Protection(False, True, "no sandbox: `unshare` (util-linux) is not installed")
    with tempfile.TemporaryDirectory(prefix="prepcli-probe-") as folder:
        spec = {"work": folder, "hide": hidden_folders(), "probe": True, "results_fd": 1}
        try:
            done = subprocess.run(
                [unshare, *UNSHARE_FLAGS, sys.executable, "-I", str(INIT), json.dumps(spec)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=scrubbed_environment(Path(folder)),
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return Protection(False, True, f"no sandbox: {exc}")
    if done.returncode != 0:
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
        reason = said[-1] if said else f"exit status {done.returncode}"
        return Protection(False, True, f"no sandbox: user namespaces are not usable ({reason})")
    return Protection(True, True)


def hidden_folders() -> list[str]:
    """The folders the sandbox covers: the user's home(s), temporary and runtime folders."""
    found = list(HIDDEN)
    homes = [os.environ.get("HOME", ""), os.path.expanduser("~")]
    with contextlib.suppress(ImportError, KeyError):
        import pwd

        homes.append(pwd.getpwuid(os.getuid()).pw_dir)
    names = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
    for folder in [*homes, *(os.environ.get(n, "") for n in (*names, "XDG_RUNTIME_DIR"))]:
        if folder and os.path.isabs(folder):
            found += [os.path.normpath(folder), os.path.realpath(folder)]

    def needed(folder: str) -> bool:
        # "/" or a folder holding the system cannot be covered, nor one inside the
        # folders of programs and libraries (a home set to /usr/lib, say).
        return (
            folder == "/"
            or any(s == folder or s.startswith(folder + "/") for s in SYSTEM)
            or any(folder.startswith(s + "/") for s in PROGRAMS)
        )

    return sorted({f for f in found if not needed(f)})


def scrubbed_environment(work: Path) -> dict[str, str]:
    """PATH and the locale from the user's environment; HOME and TMPDIR in `work`."""
    keep = {k: v for k, v in os.environ.items() if k == "LANG" or k.startswith("LC_")}
    keep["PATH"] = os.environ.get("PATH") or os.defpath
    keep["HOME"] = str(work / "home")
    keep["TMPDIR"] = str(work / "tmp")
    return keep


class Ended(NamedTuple):
    status: int  # the exit status, or minus the signal that killed it
    stopped: str | None  # None, "timeout" or "processes" (more than MAX_PROCESSES)


def run_contained(
    work: Path, arguments: list[str], output_fd: int, results_fd: int, timeout: float
) -> Ended:
    """Run `python -I ARGUMENTS` in `work` (which holds what it needs), contained; return
    once it and everything it started are gone. `results_fd` is passed on open."""
    for name in ("home", "tmp"):
        (work / name).mkdir(mode=0o700, exist_ok=True)
    found = protection()
    if found.sandboxed:
        unshare = shutil.which("unshare") or "unshare"
        spec = {
            "work": str(work),
            "hide": hidden_folders(),
            "argv": arguments,
            "results_fd": results_fd,
        }
        command = [unshare, *UNSHARE_FLAGS, sys.executable, "-I", str(INIT), json.dumps(spec)]
    else:
        command = [sys.executable, "-I", *arguments]
    run = _Run(found.tracked)
    limits = _limits(timeout)
    with _signals_raise(), run.adopting_orphans():
        try:
            # A stop request that arrives while the child is being started waits until
            # prepcli knows the child, so that the cleanup below always sees it.
            with _signals_blocked() as unblocked, start_errors():
                run.process = subprocess.Popen(
                    command,
                    cwd=work,
                    env=scrubbed_environment(work),
                    stdin=subprocess.DEVNULL,
                    stdout=output_fd,
                    stderr=output_fd,
                    close_fds=True,
                    pass_fds=(results_fd,),
                    start_new_session=True,  # its own session and process group, no terminal
                    preexec_fn=_in_child(limits, os.getpid(), found.tracked, unblocked),
                )
            stopped = run.supervise(timeout)
        finally:
            if run.process is not None:
                with _signals_ignored():
                    run.stop_all()
    assert run.process is not None
    status = run.process.returncode
    if found.sandboxed and status > 128:
        status = -(status - 128)  # sandbox_init.py reports a signal as 128 + its number
    return Ended(status, stopped)


@contextlib.contextmanager
def start_errors() -> Iterator[None]:
    try:
        yield
    except (OSError, subprocess.SubprocessError) as exc:
        raise PrepError(f"could not start the checks: {exc}") from None


class _Run:
    """One child and everything it starts."""

    def __init__(self, tracked: bool) -> None:
        self.tracked = tracked
        self.process: subprocess.Popen[bytes] | None = None
        self.before: set[int] = set()

    @contextlib.contextmanager
    def adopting_orphans(self) -> Iterator[None]:
        if not self.tracked:
            yield
            return
        self.before = _children_of(os.getpid(), _process_table())
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        try:
            yield
        finally:
            _prctl(PR_SET_CHILD_SUBREAPER, 0)  # orphans of anything else go to init again

    def members(self, table: dict[int, int]) -> set[int]:
        assert self.process is not None
        roots = {self.process.pid} | (_children_of(os.getpid(), table) - self.before)
        found = {pid for pid in roots if pid in table}
        frontier = set(found)
        while frontier:
            frontier = {pid for pid, parent in table.items() if parent in frontier} - found
            found |= frontier
        return found

    def supervise(self, timeout: float) -> str | None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.process.wait(timeout=POLL_SECONDS)
                return None
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() >= deadline:
                return "timeout"
            if self.tracked:
                table = _process_table()
                self.reap_adopted(table, wait=False)
                if len(self.members(table)) > MAX_PROCESSES:
                    return "processes"

    def reap_adopted(self, table: dict[int, int], *, wait: bool) -> None:
        """Collect the orphans of the run that were re-parented to prepcli once they end
        (a zombie still holds its place in the process table and in the count)."""
        assert self.process is not None
        for pid in _children_of(os.getpid(), table) - self.before - {self.process.pid}:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0 if wait else os.WNOHANG)

    def stop_all(self) -> None:
        """Kill the child and every descendant, and reap those that are prepcli's."""
        assert self.process is not None
        process = self.process
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if not self.tracked:
            process.wait()
            return
        for _round in range(1000):
            table = _process_table()
            members = self.members(table) | {process.pid}
            alive = {pid for pid in members if pid in table}
            if not alive:
                break
            for pid in alive:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()
            self.reap_adopted(table, wait=True)  # all were killed above
            time.sleep(0.005)
        process.wait()


def _process_table() -> dict[int, int]:
    """pid → parent pid of every process (zombies included) in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(b")") + 2 :].split()  # the name may hold spaces and ')'
        table[int(name)] = int(fields[1])
    return table


def _children_of(parent: int, table: dict[int, int]) -> set[int]:
    return {pid for pid, ppid in table.items() if ppid == parent}


def _limits(timeout: float) -> list[tuple[int, int, int]]:
    import resource

    cpu = math.ceil(timeout) + 1
    wanted = [
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU, then SIGKILL a second later
        (resource.RLIMIT_AS, MEMORY_LIMIT, MEMORY_LIMIT),
        (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT, FILE_SIZE_LIMIT),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NOFILE, OPEN_FILES_LIMIT, OPEN_FILES_LIMIT),
    ]
    if hasattr(resource, "RLIMIT_NPROC") and sys.platform.startswith("linux"):
        # It counts every process and thread of the user, not of this run: allow the run
        # MAX_PROCESSES more than the user has now, and a margin for the user's own work.
        mine = _tasks_of_user(os.getuid())
        wanted.append((resource.RLIMIT_NPROC, mine + 2 * MAX_PROCESSES, mine + 2 * MAX_PROCESSES))
    limits = []
    for which, soft, hard in wanted:
        _current, ceiling = resource.getrlimit(which)
        if ceiling != resource.RLIM_INFINITY:  # never above what prepcli itself may use
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        limits.append((which, soft, hard))
    return limits


def _tasks_of_user(uid: int) -> int:
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="utf-8") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except (OSError, ValueError):
            continue
        if int(fields.get("Uid", "-1 0").split()[0]) == uid:
            count += int(fields.get("Threads", "1").strip())
    return count


def _in_child(
    limits: list[tuple[int, int, int]], parent: int, linux: bool, mask: set[int | signal.Signals]
) -> Callable[[], None]:
    """What the child does between fork and exec: its signal mask back as it was, its
    limits, and death with prepcli. (Modules and libc are loaded before the fork: the child
    only makes system calls.)"""
    import resource

    libc = _libc() if linux else None

    def prepare() -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for which, soft, hard in limits:
            try:
                resource.setrlimit(which, (soft, hard))
            except (ValueError, OSError):
                if linux:  # where the limits are known to work, none is skipped silently
                    raise
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # prepcli died before the line above
                os._exit(1)

    return prepare


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    import ctypes

    if _libc().prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}): {os.strerror(errno)}")


class Interrupted(SystemExit):
    """prepcli was asked to stop (SIGTERM, SIGHUP) while deck code ran."""


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP end prepcli through the cleanup, as Ctrl-C does."""
    if _not_main_thread():
        yield
        return

    def stop(number: int, _frame: Any) -> None:
        raise Interrupted(128 + number)

    previous = {n: signal.signal(n, stop) for n in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _signals_blocked() -> Iterator[set[int | signal.Signals]]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back; yields the mask to restore in the child."""
    if not hasattr(signal, "pthread_sigmask"):
        yield set()
        return
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield previous
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """A second Ctrl-C or SIGTERM must not cut the cleanup short."""
    if _not_main_thread():
        yield
        return
    numbers = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {n: signal.signal(n, signal.SIG_IGN) for n in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _not_main_thread() -> bool:
    import threading

    return threading.current_thread() is not threading.main_thread()
