"""Every argument of every command, and the environment, given hostile values: names over
255 bytes, paths over 4,096 bytes, unicode and right-to-left names, a FIFO, /dev/zero,
/dev/null, a folder where a file is expected, non-finite and enormous numbers, dates in
year 1 and 9999. The only outcomes allowed: exit 0, 1 or 2, no traceback (any exception
out of the command line fails the test) and no hang (each run has an alarm), and no
`/dev/null-journal` or other file left beside a special file.

The commands come from the Typer tree itself, so a command added later is fuzzed too:
each gets a valid base command line (BASE) and then each of its parameters in turn gets
every hostile value of its kind.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from prepcli import entry
from prepcli.cli import commands
from tests.command_tree import subcommands
from tests.conftest import DATA, SAMPLE_DECKS
from tests.reliability import figures

CARD = "sample.basics/kv-cache"
CODING_CARD = "sample.coding/add-two"
#: Seconds one command line may take before it counts as a hang.
ALARM = 30

#: A valid command line per command (filled with {tmp}, {decks}, {export}); the fuzz then
#: replaces one parameter at a time. A command missing here fails the test below.
BASE: dict[str, list[str]] = {
    "today": [],
    "review": [],
    "next": ["--json"],
    "answer": [CARD, "good"],
    "undo": [],
    "postpone": ["2", "--start", "2026-11-30"],
    "plan": [],
    "plan start": ["--plan", "mini", "--force"],
    "plan interview": ["2026-12-20"],
    "plan done": ["read-paper"],
    "plan undo": ["read-paper"],
    "plan show": ["--plan", "mini"],
    "simulate": ["--cards", "8", "--seeds", "1", "--interview-day", "4", "--new-per-day", "4"],
    "stats": [],
    "practice": [CODING_CARD, "--no-editor"],
    "quiz": ["--count", "1"],
    "quiz history": [],
    "card show": [CARD],
    "card suspend": [CARD],
    "card unsuspend": [CARD],
    "card forget": [CARD, "--yes"],
    "config list": [],
    "config get": ["new_per_day"],
    "config set": ["new_per_day", "10"],
    "config reset": ["new_per_day"],
    "deck list": [],
    "deck lint": ["{decks}"],
    "deck preview": ["{decks}/basics.yaml"],
    "deck schema": [],
    "deck new": ["{tmp}/new.yaml", "--deck", "a.b", "--title", "T"],
    "deck orphans": [],
    "deck overrides": [],
    "optimize": ["--dry-run"],
    "export": ["--format", "json", "--output", "{tmp}/out.json"],
    "import": ["{export}"],
    "backup": ["{tmp}/backups"],
    "check": [],
    "sync": ["{tmp}/sync"],
}
#: Parameters whose values are written somewhere: never given "/" (backing up into / works).
WRITES = {"backup", "deck new", "export", "practice", "sync"}


def _hostile_paths(tmp: Path, writes: bool) -> list[str]:
    deep = "/".join(["d" * 200] * 25)  # over PATH_MAX with every name allowed
    values = [
        str(tmp / ("n" * 300)),
        str(tmp / ("n" * 300) / "x.yaml"),
        str(tmp / deep),
        str(tmp / "é—🙂\u202eevil\u200b.yaml"),
        str(tmp / "fifo"),
        "/dev/zero",
        "/dev/null",
        str(tmp),
        str(tmp / "missing" / "x.json"),
        str(tmp / "loop"),
        str(tmp / "binary.bin"),
        str(tmp / "deep.json"),
        "",
    ]
    return values if writes else [*values, "/", "/proc"]


NUMBERS = [
    "nan",
    "inf",
    "-inf",
    "1e309",
    "9" * 40,
    "-" + "9" * 40,
    "-1",
    "0",
    "",
    "0x10",
    "٣",
    "1e3",
]
TEXTS = [
    "",
    "x" * 5000,
    "é—🙂\u202e\u200b",
    "nan",
    "../../etc/passwd",
    "-",
    "0001-01-01",
    "9999-12-31",
    "\t\n",
]
ENVIRONMENT = {
    "PREPCLI_NOW": [
        "0001-01-01T00:00+05:00",
        "9999-12-31T23:59-05:00",
        "0001-01-01",
        "nan",
        "2026-11-23T09:00:00+25:00",
        "x" * 5000,
    ],
}


def _tree() -> dict[str, Any]:
    """Every command (by its words) and its parameters."""
    found: dict[str, Any] = {}

    def walk(command: Any, words: list[str]) -> None:
        below = subcommands(command)
        if below:
            for name, sub in below.items():
                walk(sub, [*words, name])
        if words and (not below or getattr(command, "invoke_without_command", False)):
            found[" ".join(words)] = command

    walk(typer.main.get_command(commands.app), [])
    return found


def _kind(parameter: Any) -> str:
    name = parameter.type.name
    if name in ("path", "file", "directory") or parameter.name in ("learner_params", "target"):
        return "path"
    if "int" in name or "float" in name:
        return "number"
    return "text"


#: Values that are text, not a path, for parameters that take either.
INLINE = {"learner_params": ["[" * 100_000, "[" + "1e999, " * 20 + "1]", "[" + "9" * 5000 + "]"]}


def _values(parameter: Any, command: str, tmp: Path) -> list[str]:
    kind = _kind(parameter)
    if kind == "path":
        return [*_hostile_paths(tmp, command in WRITES), *INLINE.get(parameter.name, [])]
    return NUMBERS if kind == "number" else TEXTS


def _with(base: list[str], parameter: Any, position: int, value: str) -> list[str]:
    """`base` with one parameter set to `value` (an option replaced or added, the argument
    at `position` among the command's arguments replaced)."""
    if parameter.param_type_name == "option":
        flag = parameter.opts[0]
        line = list(base)
        for index, word in enumerate(line):
            if word in parameter.opts and index + 1 < len(line):
                line[index + 1] = value
                return line
        return [*line, flag, value]
    arguments = [
        i
        for i, w in enumerate(base)
        if not w.startswith("-")
        and (
            i == 0
            or not base[i - 1].startswith("-")
            or base[i - 1] in ("--yes", "--force", "--no-editor", "--json")
        )
    ]
    if position < len(arguments):
        line = list(base)
        line[arguments[position]] = value
        return line
    return [*base, value]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database with answers and a plan, and a JSON export of it."""
    folder = tmp_path_factory.mktemp("fuzz-template")
    db = folder / "prep.sqlite3"
    exported = folder / "export.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREPCLI_NOW", "2026-11-23T09:00:00+01:00")
        patch.setenv("TZ", "Europe/Paris")
        patch.setenv("PREPCLI_CACHE_DIR", str(folder / "cache"))
        patch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
        patch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
        for argv in (
            ["answer", CARD, "good"],
            ["plan", "start", "--plan", "mini"],
            ["export", "-o", str(exported)],
        ):
            assert entry.run(["--db", str(db), *argv]) == 0
    return db, exported


class Hang(Exception):
    pass


@pytest.fixture
def runner(
    template: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[[list[str]], int]]:
    db, exported = template
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setenv("VISUAL", "true")
    monkeypatch.chdir(tmp_path)  # "" is "." to the option parser: a backup lands here
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - closed below
    monkeypatch.setattr("sys.stdin", stdin)

    def alarm(_signum: int, _frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    places = {"{tmp}": str(tmp_path), "{decks}": str(SAMPLE_DECKS), "{export}": str(exported)}

    def run(argv: list[str]) -> int:
        work = tmp_path / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        shutil.copyfile(db, tmp_path / "prep.sqlite3")
        filled = []
        for word in argv:
            for placeholder, value in places.items():
                word = word.replace(placeholder, value)
            filled.append(word)
        capsys.readouterr()
        signal.alarm(ALARM)
        try:
            code = entry.run(filled)
        except Hang:
            pytest.fail(f"prepcli {' '.join(filled)[:300]} still ran after {ALARM} s")
        finally:
            signal.alarm(0)
        err = capsys.readouterr().err
        assert code in (0, 1, 2), (filled, code, err)
        assert "Traceback" not in err, (filled, err)
        figures.add("argument fuzz: command lines run")
        return code

    try:
        yield run
    finally:
        signal.signal(signal.SIGALRM, previous)
        stdin.close()


pytestmark = pytest.mark.usefixtures("typer_tree_built_once")


def test_every_command_has_a_base_command_line() -> None:
    assert sorted(_tree()) == sorted(BASE)


@pytest.mark.parametrize("command", sorted(BASE))
def test_every_parameter_of_a_command(
    command: str, runner: Callable[[list[str]], int], tmp_path: Path
) -> None:
    tree = _tree()
    if command not in tree:
        pytest.skip(f"`prepcli {command}` does not exist in this build")
    words = command.split()
    base = BASE[command]
    runner([*words, *base])
    params = tree[command].params
    arguments = [p for p in params if p.param_type_name == "argument"]
    for parameter in params:
        if parameter.name == "help" or getattr(parameter, "is_flag", False):
            continue
        position = arguments.index(parameter) if parameter in arguments else -1
        for value in _values(parameter, command, tmp_path):
            runner([*words, *_with(base, parameter, position, value)])
    assert not Path("/dev/null-journal").exists()
    assert not Path("/dev/null-wal").exists()


@pytest.mark.parametrize("option", ["--db", "--decks", "--plans"])
def test_global_paths(option: str, runner: Callable[[list[str]], int], tmp_path: Path) -> None:
    for value in _hostile_paths(tmp_path, writes=option == "--db"):
        for command in (["today"], ["today", "--json"], ["plan", "show"], ["deck", "list"]):
            runner([option, value, *command])
    assert not Path("/dev/null-journal").exists()


@pytest.mark.parametrize("name", ["PREPCLI_DB", "PREPCLI_DECKS", "PREPCLI_PLANS", "PREPCLI_NOW"])
def test_environment(
    name: str,
    runner: Callable[[list[str]], int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = ENVIRONMENT.get(name) or _hostile_paths(tmp_path, writes=name == "PREPCLI_DB")
    for value in values:
        monkeypatch.setenv(name, value)
        for command in ([], ["today", "--json"], ["next", "--json"], ["stats"]):
            code = runner(command)
            if name == "PREPCLI_NOW":
                assert code == 1, (value, command)  # every hostile clock is refused


def test_the_database_is_never_a_special_file(
    runner: Callable[[list[str]], int], tmp_path: Path
) -> None:
    for special in ("/dev/null", "/dev/zero", str(tmp_path / "fifo"), str(tmp_path)):
        assert runner(["--db", special, "answer", CARD, "good"]) == 2
    assert not Path("/dev/null-journal").exists()
    # The template's database is untouched by all this.
    connection = sqlite3.connect(tmp_path / "prep.sqlite3")
    try:
        assert connection.execute("SELECT COUNT(*) FROM review").fetchone() == (1,)
    finally:
        connection.close()
