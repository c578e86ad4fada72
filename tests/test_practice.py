"""`prepcli practice`: the practice file, $EDITOR, and --check running the card's tests in a
separate, isolated Python with a timeout (passing, failing, hanging and broken solutions)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from prepcli.app.practice import parse_steps, run_checks
from prepcli.core.cards import CardDef, Kind
from prepcli.files.decks import load_decks
from prepcli.storage import paths
from tests.conftest import SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
KEY = "sample.coding/add-two"
BUNDLED = [c for c in load_decks([paths.bundled("decks")]).cards() if c.starter and c.tests]


@pytest.fixture
def practice_file(isolated_home: Path) -> Path:
    # XDG_DATA_HOME is the isolated home's data/ (conftest), so this is paths.data_dir().
    return isolated_home / "data" / "prepcli" / "practice" / "sample.coding" / "add-two.py"


def write(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, "utf-8")


@pytest.mark.usefixtures("sample_decks")
def test_the_first_run_writes_the_starter_and_never_overwrites(
    run: Run, practice_file: Path, tmp_path: Path
) -> None:
    first = run("practice", KEY)
    assert first.code == 0, first.err
    assert first.out.splitlines() == [
        f"Wrote the starter to {practice_file}",
        f"Check it with: prepcli practice {KEY} --check",
    ]
    assert practice_file.read_text("utf-8") == (
        f"# Practice: {KEY}\n#\n# Write `add(a, b)` returning the sum.\n#\n"
        f"# Check it with:  prepcli practice {KEY} --check\n\n"
        "def add(a, b):\n    raise NotImplementedError\n"
    )
    practice_file.write_text("def add(a, b):\n    return a + b  # mine\n", "utf-8")
    again = run("practice", KEY, "--no-editor")
    assert again.out.splitlines()[0] == (
        f"Your practice file is already there (left as it is): {practice_file}"
    )
    assert practice_file.read_text("utf-8").endswith("# mine\n")
    elsewhere = json.loads(run("practice", KEY, "--dir", str(tmp_path / "mine"), "--json").out)
    assert elsewhere == {"version": 1, "card": KEY, "created": True,
                         "path": str(tmp_path / "mine" / "sample.coding" / "add-two.py")}  # fmt: skip
    assert rows(Path(os.environ["PREPCLI_DB"]), "SELECT COUNT(*) FROM review") == [(0,)]


def test_the_editor_opens_at_the_starter_in_a_terminal(tmp_path: Path, practice_file: Path) -> None:
    record = tmp_path / "editor-args.txt"
    script = f"import sys; open({str(record)!r}, 'w').write(repr(sys.argv[1:]))"
    env = dict(os.environ, PREPCLI_DECKS=str(SAMPLE_DECKS), VISUAL="",
               EDITOR=f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}")  # fmt: skip
    child = pexpect.spawn(sys.executable, ["-m", "prepcli", "practice", KEY], env=env,
                          encoding="utf-8", timeout=20)  # fmt: skip
    child.expect("Wrote the starter to")
    child.expect(f"Check it with: prepcli practice {KEY} --check")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert record.read_text() == repr(["+7", str(practice_file)])  # the `def add` line


@pytest.mark.usefixtures("sample_decks")
def test_a_passing_solution_is_rated_and_recorded(
    run: Run, practice_file: Path, db_path: Path
) -> None:
    write(practice_file, "def add(a, b):\n    return a + b\n")
    result = run("practice", KEY, "--check", "--rating", "good", "--yes")
    assert result.code == 0, result.err
    assert [line.rstrip() for line in result.out.splitlines()] == [
        KEY,
        f"  {practice_file}",
        "  ✔ line 1  assert add(1, 2) == 3",
        "  ✔ line 2  assert add(-1, 1) == 0",
        "2 of 2 checks passed.",
        f"{KEY}: Good — next in 10m",
    ]
    assert rows(db_path, "SELECT rating FROM review") == [(3,)]


@pytest.mark.usefixtures("sample_decks")
def test_a_failing_solution_shows_which_assert_and_why(
    run: Run, practice_file: Path, db_path: Path
) -> None:
    write(practice_file, "def add(a, b):\n    return a + b if a > 0 else a - b\n")
    result = run("practice", KEY, "--check", "--yes")
    assert result.code == 1
    assert [line.rstrip() for line in result.out.splitlines()][2:] == [
        "  ✔ line 1  assert add(1, 2) == 3",
        "  ✘ line 2  assert add(-1, 1) == 0",
        "      got -2, expected 0",
        "1 of 2 checks passed.",
        "No rating recorded (`--rating 1–4` records one without asking).",
    ]
    assert rows(db_path, "SELECT COUNT(*) FROM review") == [(0,)]
    data = json.loads(run("practice", KEY, "--check", "--json", "--rating", "1", "--yes").out)
    assert (data["passed"], data["total"], data["all_passed"], data["rating"]) == (
        1,
        2,
        False,
        "again",
    )
    assert [(r["line"], r["status"], r["message"]) for r in data["results"]] == [
        (1, "pass", ""), (2, "fail", "got -2, expected 0"),
    ]  # fmt: skip
    assert rows(db_path, "SELECT rating FROM review") == [(1,)]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split(") ")[1].startswith("Z")  # a zombie is dead
    except FileNotFoundError:
        return True


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (their pids as seen from here: a
    pid written from inside the sandbox's PID namespace would mean nothing outside it)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read() and not _gone(int(name)):
                        found.append(int(name))
            except OSError:
                pass
    return found


def none_left(marker: str, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = processes_with(marker)
    for pid in left:
        os.kill(pid, 9)
    return not left


@pytest.mark.usefixtures("sample_decks")
def test_a_hanging_solution_is_killed_with_everything_it_started(
    run: Run, practice_file: Path
) -> None:
    marker = f"prepcli-test-grandchild-{uuid.uuid4().hex}"
    write(practice_file, (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
        f"{marker!r}])\n"
        "deadline = time.monotonic() + 10\n"
        f"while {marker!r}.encode() not in open(f'/proc/{{child.pid}}/cmdline', 'rb').read():\n"
        "    assert time.monotonic() < deadline, 'the child did not start'\n"
        "def add(a, b):\n"
        "    while True:\n"
        "        pass\n"
    ))  # fmt: skip
    result = run("practice", KEY, "--check", "--timeout", "2", "--yes")
    assert result.code == 1
    assert [line.rstrip() for line in result.out.splitlines()][2:] == [
        "  ⏱ line 1  assert add(1, 2) == 3",
        "      still running after 2 s: stopped, with all it started",
        "  · line 2  assert add(-1, 1) == 0",
        "0 of 2 checks passed (stopped at the 2 s timeout).",
        "No rating recorded (`--rating 1–4` records one without asking).",
    ]
    assert none_left(marker), "the solution's own child outlived the timeout"


@pytest.mark.usefixtures("sample_decks")
def test_the_code_runs_in_another_isolated_python_in_a_temporary_folder(
    run: Run, practice_file: Path
) -> None:
    source = (
        "import json, os, sys\n"
        "print('FACTS' + json.dumps({'pid': os.getpid(), 'cwd': os.getcwd(),"
        " 'isolated': sys.flags.isolated, 'name': __name__}))\n"
        "def add(a, b):\n    return a + b\n"
        "if __name__ == '__main__':\n    raise SystemExit('this must not run')\n"
    )  # the facts come back through what the code printed: it may not write outside
    write(practice_file, source)
    result = run("practice", KEY, "--check", "--json", "--yes")
    assert result.code == 0, result.out
    printed = json.loads(result.out)["output"]
    seen = json.loads(printed.split("FACTS", 1)[1].splitlines()[0])
    assert seen["pid"] != os.getpid()
    assert seen["isolated"] == 1 and seen["name"] == "solution"
    assert Path(seen["cwd"]).name.startswith("prepcli-practice-")
    assert not Path(seen["cwd"]).exists()  # the temporary folder is gone


@pytest.mark.usefixtures("sample_decks")
def test_a_file_that_does_not_load(run: Run, practice_file: Path) -> None:
    write(practice_file, "def add(a, b):\n    return a +\n")
    result = run("practice", KEY, "--check", "--yes")
    assert result.code == 1
    lines = [line.rstrip() for line in result.out.splitlines()]
    assert (
        lines[2] == "  ✘ your file did not load: SyntaxError: invalid syntax (line 2 of your file)"
    )
    assert lines[3:6] == ["  · line 1  assert add(1, 2) == 3", "  · line 2  assert add(-1, 1) == 0",
                          "0 of 2 checks passed."]  # fmt: skip
    write(practice_file, "import nonexistent_module_xyz\n")
    loaded = json.loads(run("practice", KEY, "--check", "--json", "--yes").out)
    assert loaded["load_error"] == (
        "ModuleNotFoundError: No module named 'nonexistent_module_xyz' (line 1 of your file)"
    )


@pytest.mark.usefixtures("sample_decks")
def test_what_a_failing_solution_printed_is_shown(run: Run, practice_file: Path) -> None:
    write(practice_file, "def add(a, b):\n    print('debug', a, b)\n    return 0\n")
    lines = [line.rstrip() for line in run("practice", KEY, "--check", "--yes").out.splitlines()]
    assert lines[2:] == [
        "  ✘ line 1  assert add(1, 2) == 3",
        "      got 0, expected 3",
        "  ✔ line 2  assert add(-1, 1) == 0",
        "What your code printed (last lines):",
        "debug 1 2",
        "debug -1 1",
        "1 of 2 checks passed.",
        "No rating recorded (`--rating 1–4` records one without asking).",
    ]
    write(practice_file, "def add(a, b):\n    print('fine')\n    return a + b\n")
    assert "printed" not in run("practice", KEY, "--check", "--yes").out  # all pass: no noise


@pytest.mark.usefixtures("sample_decks")
def test_usage_errors(run: Run, practice_file: Path) -> None:
    missing = run("practice", KEY, "--check")
    assert (missing.code, missing.err) == (
        1, f"error: no practice file at {practice_file} (run `prepcli practice {KEY}` first)\n"
    )  # fmt: skip
    not_coding = run("practice", "sample.basics/kv-cache")
    assert not_coding.code == 2 and "has no starter and tests to practise" in not_coding.err
    assert run("practice", KEY, "--rating", "3").code == 2
    assert run("practice", KEY, "--check", "--rating", "great").code == 2
    assert run("practice", "sample.coding/nope").code == 2


def test_setup_statements_blocks_and_messages(tmp_path: Path) -> None:
    card = CardDef(
        "t", "c", Kind.CODING, "f", "b", "t.yaml", 1, starter="def f(x): ...\n",
        tests=("import math\n"
               "assert f(1) == 1\n"
               "value = f(2)\n"
               "for x in [1, 2]:\n"
               "    assert f(x) == x\n"
               "assert value == 2, 'f(2)'\n"
               "assert f(3) in (3, 4)\n"
               "helper = undefined_name\n"),
    )  # fmt: skip
    assert [(s.line, s.kind) for s in parse_steps(card)] == [
        (1, "setup"), (2, "assert"), (3, "setup"), (4, "block"), (6, "assert"), (7, "assert"),
        (8, "setup"),
    ]  # fmt: skip
    solution = tmp_path / "c.py"
    solution.write_text("def f(x):\n    return x if x == 1 else x + 1\n", "utf-8")
    checked = run_checks(card, solution, timeout=20)
    assert [(r.step.line, r.status, r.message) for r in checked.results] == [
        (2, "pass", ""),
        (4, "fail", "assertion failed (test line 5)"),
        (6, "fail", "f(2): got 3, expected 2"),
        (7, "pass", ""),
        (8, "error", "NameError: name 'undefined_name' is not defined (test line 8)"),
    ]


@pytest.mark.parametrize("card", BUNDLED, ids=[c.key for c in BUNDLED])
def test_every_bundled_coding_card_checks_its_solution_and_its_starter(
    run: Run, card: CardDef, tmp_path: Path
) -> None:
    folder = tmp_path / "practice"
    assert run("practice", card.key, "--dir", str(folder), "--no-editor").code == 0
    starter = json.loads(run("practice", card.key, "--dir", str(folder), "--check", "--json").out)
    assert not starter["all_passed"] and starter["total"] > 0
    target = folder / card.deck / f"{card.id}.py"
    target.write_text(card.solution or "", "utf-8")
    solved = run("practice", card.key, "--dir", str(folder), "--check", "--json")
    data = json.loads(solved.out)
    assert solved.code == 0 and data["all_passed"], data["results"]
    assert data["total"] == sum(1 for s in parse_steps(card) if s.is_check)
