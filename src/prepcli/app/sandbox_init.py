"""The first process inside the practice sandbox: it builds the sandbox's view of the
file system, then starts the harness without any privilege and waits for it.

prepcli starts this file (`python -I sandbox_init.py SPEC`) through
`unshare --user --map-root-user --pid --fork --kill-child --mount-proc --net --ipc`, so it
is process 1 of a new PID namespace, root of a new user namespace (root there only: its
powers reach nothing outside), in a new mount namespace and with a network namespace
that has no interface but a loopback that is down. Like practice_harness.py it imports
nothing from prepcli. SPEC is JSON:

    {"work": folder, "hide": [folders], "argv": [harness arguments], "probe": bool}

In order:
1. The files prepcli put in `work` are read into memory.
2. Each folder in `hide` (the user's home, /tmp, /run, …) is covered by an empty tmpfs;
   the folders this Python needs to run (its installation and its environment's) are
   bound back where they were if they lay inside one.
3. A fresh tmpfs (64 MiB) is mounted on `work` and the files are written back into it,
   with `home/` and `tmp/` for $HOME and $TMPDIR. Nothing the code writes reaches a disk.
4. Every mount is made read-only (and nosuid), except `work`.
5. The harness runs as a child with every capability dropped and `no_new_privs` set, so
   it cannot undo steps 2–4 (unmount the cover over the home, remount a file system
   writable). This process reaps orphans and exits when the harness does; as process 1
   of the namespace, its exit makes the kernel kill every process left in it.

A failure in steps 1–4 is reported as {"event": "sandbox", "status": "error"} on the
results descriptor and nothing is run. With "probe", it stops after step 4 (exit 0).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_RELATIME = 0x200000
MS_STRICTATIME = 0x1000000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
SYS_MOUNT_SETATTR = 442  # the same number on every architecture (added in Linux 5.12)
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS (off) and NO_CAP_AMBIENT_RAISE, each locked: root in
# the namespace gains no capability from exec, and nothing can turn that back.
SECURE_BITS = 0xEF
LINUX_CAPABILITY_VERSION_3 = 0x20080522
WORK_SIZE = "64m"
SETUP_FAILED = 125

libc = ctypes.CDLL(None, use_errno=True)


class MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str) -> None:
    _check(
        libc.mount(
            None if source is None else source.encode(),
            target.encode(),
            None if fstype is None else fstype.encode(),
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _needed_folders() -> list[str]:
    """The folders this Python (and so the harness, run the same way) needs: its
    installation and its environment's. Not every sys.path entry: a .pth file may point
    into a project of the user's, which the code under test has no business reading."""
    found = {
        os.path.realpath(prefix)
        for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
    }
    found.add(os.path.dirname(os.path.realpath(sys.executable)))
    found.add(os.path.dirname(os.path.abspath(sys.executable)))
    # The outermost of nested folders is enough: a bind mount brings what is inside it.
    ordered = sorted(found, key=len)
    return [p for i, p in enumerate(ordered) if not any(_inside(p, q) for q in ordered[:i])]


def _hide(folders: list[str]) -> None:
    """Cover each folder with an empty tmpfs, then bind back the folders Python needs
    that lay strictly inside one (never a folder that holds a covered one: a Python
    installed as the home itself makes the run fail rather than show the home)."""
    hidden = sorted({os.path.realpath(f) for f in folders} - {"/"}, key=len)
    keep: dict[str, int] = {}
    for path in _needed_folders():
        if any(path != h and _inside(path, h) for h in hidden):
            keep[path] = os.open(path, os.O_PATH | os.O_DIRECTORY)
    for folder in hidden:
        if os.path.isdir(folder):  # not under a cover already (or missing)
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for path, fd in keep.items():
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, "")
        os.close(fd)


def _read_only_except(work: str, *, per_mount: bool = False) -> None:
    """Every mount read-only and nosuid, `work` writable (mount_setattr, else mount by mount)."""
    if not per_mount:
        attr = MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0, 0, 0)
        result = libc.syscall(
            SYS_MOUNT_SETATTR,
            AT_FDCWD,
            b"/",
            AT_RECURSIVE,
            ctypes.byref(attr),
            ctypes.sizeof(attr),
        )
        if result == 0:
            writable = MountAttr(0, MOUNT_ATTR_RDONLY, 0, 0)
            _check(
                libc.syscall(
                    SYS_MOUNT_SETATTR,
                    AT_FDCWD,
                    work.encode(),
                    0,
                    ctypes.byref(writable),
                    ctypes.sizeof(writable),
                ),
                f"make {work} writable",
            )
            return
        if ctypes.get_errno() != 38:  # ENOSYS: a kernel older than 5.12
            _check(result, "make the file system read-only")
    # Older kernels: remount each mount read-only, keeping the flags it has (a user
    # namespace may not clear nosuid, nodev, noexec or the atime flags it inherited).
    names = {
        "nosuid": MS_NOSUID,
        "nodev": MS_NODEV,
        "noexec": MS_NOEXEC,
        "noatime": MS_NOATIME,
        "nodiratime": MS_NODIRATIME,
        "relatime": MS_RELATIME,
        "strictatime": MS_STRICTATIME,
    }
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        mounts = [(line.split()[4], line.split()[5]) for line in handle]
    for escaped, options in mounts:
        # mountinfo writes a space, tab, newline or backslash as an octal escape (\040)
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), escaped)
        if not os.path.isdir(point) or point == work:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
        for option in options.split(","):
            flags |= names.get(option, 0)
        _mount(None, point, None, flags, "")


def _drop_privileges() -> None:
    """No capability, now or after exec: the harness cannot touch the mounts."""
    _check(libc.prctl(PR_SET_SECUREBITS, SECURE_BITS, 0, 0, 0), "securebits")
    with open("/proc/sys/kernel/cap_last_cap", encoding="utf-8") as handle:
        last = int(handle.read())
    for capability in range(last + 1):
        _check(libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), "drop a capability")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient capabilities")
    header = CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    empty = (CapData * 2)()
    _check(libc.capset(ctypes.byref(header), empty), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _setup(spec: dict[str, object]) -> str:
    work = os.path.abspath(str(spec["work"]))
    files: dict[str, bytes] = {}
    for name in os.listdir(work):
        path = os.path.join(work, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                files[name] = handle.read()
    hide = spec.get("hide", [])
    assert isinstance(hide, list)
    _hide([str(f) for f in hide])
    os.makedirs(work, exist_ok=True)
    _mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,size={WORK_SIZE}")
    for name, data in files.items():
        with open(os.path.join(work, name), "wb") as handle:
            handle.write(data)
    for name in ("home", "tmp"):
        os.mkdir(os.path.join(work, name), 0o700)
    _read_only_except(work, per_mount=bool(spec.get("per_mount")))
    return work


def _report(results_fd: int, message: str) -> None:
    event = {"event": "sandbox", "status": "error", "message": message}
    os.write(results_fd, (json.dumps(event) + "\n").encode())


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    results_fd = int(spec.get("results_fd", 2))
    try:
        work = _setup(spec)
    except OSError as exc:
        _report(results_fd, exc.strerror if exc.filename is None and exc.strerror else str(exc))
        return SETUP_FAILED
    except Exception as exc:  # whatever went wrong, nothing runs half-protected
        _report(results_fd, f"{type(exc).__name__}: {exc}")
        return SETUP_FAILED
    if spec.get("probe"):
        return 0
    harness = [str(a) for a in spec["argv"]]
    child = os.fork()
    if child == 0:
        try:
            os.chdir(work)
            _drop_privileges()
            os.execv(sys.executable, [sys.executable, "-I", *harness])
        except BaseException as exc:  # nothing may run with privileges: end here
            _report(results_fd, f"could not start the harness: {exc}")
        os._exit(SETUP_FAILED)
    while True:  # as process 1, reap every orphan until the harness itself ends
        pid, status = os.wait()
        if pid == child:
            if os.WIFSIGNALED(status):
                return 128 + os.WTERMSIG(status)
            return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
