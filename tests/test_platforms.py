"""Windows and macOS, tested on Linux as far as it goes: the Windows key reader with a
stand-in for msvcrt, the choice of reader by platform, practice checks through the
Windows runner (new process group, process tree ended, results through a file) and
through the macOS path (no sandbox, no /proc), and what the consent prompt says there."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.app import practice, sandbox, sandbox_windows
from prepcli.ui.keyboard import key_reader
from prepcli.ui.keys import CTRL_C, CTRL_D, KeyReader
from prepcli.ui.winkeys import WindowsKeyReader
from tests.conftest import Result

Run = Callable[..., Result]
KEY = "sample.coding/add-two"


class FakeConsole:
    """msvcrt's kbhit/getwch over a script of keys; `None` in it is a moment with no key,
    an exception is raised (Ctrl-C arrives as KeyboardInterrupt on Windows)."""

    def __init__(self, *script: object) -> None:
        self.script = list(script)

    def kbhit(self) -> bool:
        if not self.script:
            return False
        head = self.script[0]
        if isinstance(head, BaseException):
            self.script.pop(0)
            raise head
        if head is None:
            self.script.pop(0)
            return False
        return True

    def getwch(self) -> str:
        value = self.script.pop(0)
        assert isinstance(value, str)
        return value


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def reader(*script: object) -> tuple[WindowsKeyReader, FakeClock]:
    clock = FakeClock()
    return WindowsKeyReader(FakeConsole(*script), clock, clock.sleep), clock


def test_windows_keys_read_like_posix_keys() -> None:
    keys, _clock = reader("3", " ", "\r", "\xe0", "H", "\x00", "P", "\x00", ";", "\x1a")
    with keys as same:
        assert same is keys
        got = [keys.read() for _ in range(7)]
    assert got == ["3", " ", "\r", "\x1b[A", "\x1b[B", "\x1b[?", CTRL_D]
    keys.restore()
    keys.resume()  # after the editor: nothing to set again


def test_windows_keys_time_out_and_turn_ctrl_c_into_a_key() -> None:
    keys, clock = reader()
    assert keys.read(timeout=0.5) is None
    assert 0.5 <= clock.now < 0.6
    keys, clock = reader(None, None, "q")
    assert keys.read(timeout=5) == "q"
    keys, _clock = reader(None, KeyboardInterrupt())
    assert keys.read() == CTRL_C


def test_the_key_reader_is_chosen_by_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "msvcrt", types.SimpleNamespace(kbhit=lambda: False))
    monkeypatch.setattr(sys, "stdin", (tmp_path / "stdin").open("w+", encoding="utf-8"))
    assert isinstance(key_reader("win32"), WindowsKeyReader)
    assert type(key_reader("darwin")) is KeyReader
    assert type(key_reader("linux")) is KeyReader


def test_the_posix_key_module_loads_without_termios() -> None:
    """On Windows `import termios` fails: importing the key modules must not need it."""
    code = (
        "import sys; sys.modules['termios'] = None; sys.modules['tty'] = None\n"
        "from prepcli.ui import keyboard, keys, winkeys\n"
        "from prepcli.cli import commands\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


# --- practice on Windows and macOS --------------------------------------------------------


@pytest.fixture
def on_platform(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """prepcli's practice modules see another platform (the rest of the process, pytest
    and click included, still runs on Linux)."""

    def switch(platform: str) -> None:
        seen = types.SimpleNamespace(**{**vars(sys), "platform": platform})
        for module in (sandbox, practice, sandbox_windows):
            monkeypatch.setattr(module, "sys", seen)
        monkeypatch.setattr(sandbox, "_probed", None)  # probe again for this platform

    return switch


def solve(isolated_home: Path, body: str) -> None:
    path = isolated_home / "data" / "prepcli" / "practice" / "sample.coding" / "add-two.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"def add(a, b):\n    {body}\n", "utf-8")


@pytest.mark.usefixtures("sample_decks")
def test_practice_checks_run_through_the_windows_runner(
    run: Run,
    isolated_home: Path,
    on_platform: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stopped: list[int] = []
    monkeypatch.setattr(sandbox_windows, "kill_tree", stopped.append)
    on_platform("win32")
    solve(isolated_home, "return a + b")
    result = run("practice", KEY, "--check", "--rating", "good", "--yes", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["all_passed"] and data["passed"] == data["total"] > 0  # results came back
    assert len(stopped) == 1  # the process tree was ended, by the child's pid


@pytest.mark.usefixtures("sample_decks")
def test_the_windows_runner_stops_a_run_at_its_timeout(
    run: Run,
    isolated_home: Path,
    on_platform: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stopped: list[int] = []
    monkeypatch.setattr(sandbox_windows, "kill_tree", stopped.append)
    on_platform("win32")
    solve(isolated_home, "while True:\n        pass")
    result = run("practice", KEY, "--check", "--timeout", "1", "--yes", "--json")
    assert result.code == 1
    assert json.loads(result.out)["timed_out"] is True
    assert len(stopped) == 1


def test_the_windows_runner_asks_windows_for_a_process_group_and_taskkill(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200, raising=False)
    monkeypatch.setattr(subprocess, "CREATE_NO_WINDOW", 0x8000000, raising=False)
    assert sandbox_windows.creation_flags() == 0x8000200
    ran: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, **_kw: ran.append(command))
    sandbox_windows.kill_tree(4242)
    assert ran == [["taskkill", "/T", "/F", "/PID", "4242"]]

    def missing(*_args: object, **_kwargs: object) -> None:
        raise FileNotFoundError("taskkill")

    monkeypatch.setattr(subprocess, "run", missing)
    sandbox_windows.kill_tree(4242)  # no taskkill: the caller still kills the child


@pytest.mark.usefixtures("sample_decks")
def test_practice_checks_run_on_macos_without_the_linux_sandbox(
    run: Run, isolated_home: Path, on_platform: Callable[[str], None]
) -> None:
    on_platform("darwin")
    found = sandbox.protection()
    assert (found.sandboxed, found.tracked) == (False, False)
    solve(isolated_home, "return a + b")
    result = run("practice", KEY, "--check", "--rating", "good", "--yes", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["all_passed"]


def test_the_consent_prompt_says_what_protects_the_user_on_each_platform(
    on_platform: Callable[[str], None],
) -> None:
    on_platform("win32")
    windows = sandbox.protection().describe()
    assert "YOUR rights" in windows and "no sandbox on Windows" in windows
    assert "no limit but the timeout" in windows and "MiB" not in windows
    assert "process tree is ended" in windows
    on_platform("darwin")
    mac = sandbox.protection().describe()
    assert "no sandbox on darwin" in mac and "1024 MiB" in mac and "process group" in mac
