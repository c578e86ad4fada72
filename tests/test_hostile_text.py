"""Hostile text: no control character from a deck, a plan, an import or an argument reaches
the terminal, in any command.

The payloads are the ones a shared deck or an imported file could carry: OSC 52 (writes
the clipboard), OSC 8 (a hyperlink whose target is hidden), OSC 0 (the window title),
CSI 2J (clears the screen), CSI 6n (makes the terminal type a reply), the alternate
screen, an 8-bit CSI (U+009B) and bidirectional overrides and isolates.

Deck and plan files with them are refused by the loaders, each at its place in the file.
Text that can still arrive — a card key written into the database by an import, a file
or folder name, an argument — is shown with its controls made visible (ui/safe.py), on
stdout and on stderr, also in a real terminal where Rich adds its own styling codes.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pexpect
import pytest

from prepcli.core.controls import UNSAFE, code_points
from prepcli.ui import safe
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
OSC8 = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
OSC0 = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
ASK_CURSOR = "\x1b[6n"
ALT_SCREEN = "\x1b[?1049h"
CSI8 = "\x9b6n"
RLO = "\u202eevil\u202c"
ISOLATE = "\u2066x\u2069"
EVERY_PAYLOAD = OSC52 + OSC8 + OSC0 + CLEAR + ASK_CURSOR + ALT_SCREEN + CSI8 + RLO + ISOLATE

#: A card key as an import can write it into the database.
HOSTILE_KEY = "imported/" + EVERY_PAYLOAD
#: The same payloads in a file or folder name (no "/" in a name).
HOSTILE_NAME = EVERY_PAYLOAD.replace("/", "_")

# The payloads as they would reach a terminal, as bytes (a C1 or bidi control in UTF-8).
EVIDENCE = [
    b"\x1b]52",
    b"\x1b]8;;http",
    b"\x1b]0;pwned",
    b"\x1b[6n",
    b"\x1b[?1049h",
    b"\x07",
    b"\xc2\x9b",
    b"\x9b6n",
    b"\xe2\x80\xae",  # U+202E
    b"\xe2\x81\xa6",  # U+2066
]


def assert_clean(result: Result) -> None:
    """Nothing a terminal would act on, on stdout or stderr, and never a traceback."""
    for stream, text in (("stdout", result.out), ("stderr", result.err)):
        found = UNSAFE.search(text)
        assert found is None, f"{stream} has U+{ord(found.group()):04X}: {text!r}"
    assert "Traceback" not in result.err


# --- the sanitiser -----------------------------------------------------------------------


def test_every_control_character_has_a_visible_stand_in() -> None:
    for code in code_points():
        char = chr(code)
        shown = safe.visible(f"a{char}b")
        assert shown.startswith("a") and shown.endswith("b") and len(shown) > 2
        assert UNSAFE.search(shown) is None and shown.isprintable(), hex(code)
    assert safe.visible("\x1b[2J \x07 \x00 \x7f \r") == "␛[2J ␇ ␀ ␡ ␍"
    assert safe.visible("\x9b6n \u202eevil\u202c \u2066x\u2069") == (
        "<U+009B>6n <U+202E>evil<U+202C> <U+2066>x<U+2069>"
    )
    # Tab and newline are text; on one line they are shown too.
    assert safe.visible("a\tb\nc") == "a\tb\nc"
    assert safe.visible_line("a\tb\nc\x1b") == "a␉b␊c␛"
    ordinary = "Ünïcödé — ✔ ☐ ⏱ $\\sqrt{d_k}$ 注意力 \u2028"
    assert safe.visible(ordinary) == ordinary == safe.visible_line(ordinary)


def test_json_stays_exact_and_holds_no_control_character() -> None:
    every = "".join(chr(code) for code in code_points()) + "\t\n plain ✔"
    document = safe.json_text(json.dumps({"key": every, every: [every]}, ensure_ascii=False))
    assert UNSAFE.search(document) is None
    assert json.loads(document) == {"key": every, every: [every]}


def test_the_console_shows_controls_and_reads_no_markup() -> None:
    from rich.markdown import Markdown
    from rich.table import Table
    from rich.text import Text

    from prepcli.ui import render

    out = StringIO()
    console = render.console(file=out, width=200)
    table = Table("card")
    table.add_row(f"[link=http://evil.example/]x[/link] :smile: {OSC52}")
    console.print(table)
    console.print(Text(f"title {OSC0}{CSI8}{RLO}"))
    console.print(Markdown(f"front {ASK_CURSOR}{ALT_SCREEN}"))
    console.print(f"[bold]{ISOLATE}[/bold]")
    render_markdown = render.markdown(f"[a link](http://evil.example/) {CLEAR}")
    console.print(render_markdown)
    text = out.getvalue()
    assert UNSAFE.search(text) is None, repr(text)
    assert "[link=http://evil.example/]x[/link] :smile: ␛]52;c;ZXZpbA==" in text
    assert "title ␛]0;pwned<U+009B>6n<U+202E>evil<U+202C>" in text
    assert "front ␛[6n␛[?1049h" in text
    assert "[bold]<U+2066>x<U+2069>[/bold]" in text
    assert "a link (http://evil.example/) ␛[2J" in text  # a link shows where it goes


# --- deck and plan files: refused where the control character is written ------------------

# (line as written in the file, the field, the character, where its first escape starts)
HOSTILE_LINES = [
    (r'title: "Clipboard \e]52;c;ZXZpbA==\a"', "title", "U+001B (ESC)", r"\e]52"),
    (r'description: "Title \x1b]0;pwned\x07"', "description", "U+001B (ESC)", r"\x1b]0"),
    (
        r'sources: ["see \u001b]8;;http://evil.example/\u001b\\here\u001b]8;;\u001b\\"]',
        "sources",
        "U+001B (ESC)",
        r"\u001b]8",
    ),
    ("tags: [t]", "", "", ""),
    ("cards:", "", "", ""),
    ("  - id: a", "", "", ""),
    ("    kind: concept", "", "", ""),
    (r'    front: "Clear \U0000001b[2J the screen"', "front", "U+001B (ESC)", r"\U0000001b"),
    (r'    back: "Where is the cursor? \e[6n"', "back", "U+001B (ESC)", r"\e[6n"),
    (r'    explain: "Alternate screen \e[?1049h"', "explain", "U+001B (ESC)", r"\e[?"),
    (r'    hints: ["8-bit CSI \x9b6n", "fine"]', "hints", "U+009B (CSI)", r"\x9b"),
    ("    points: [reads \u202eevil\u202c backwards]", "points", "U+202E (RLO)", "\u202e"),
    ('    source: "an isolate \\u2066x\\u2069"', "source", "U+2066 (LRI)", r"\u2066"),
    ("  - id: b", "", "", ""),
    ("    kind: coding", "", "", ""),
    ("    front: Q", "", "", ""),
    ("    back: A", "", "", ""),
    ("    starter: |", "", "", ""),
    ("      def f():  # a raw isolate \u2067 here", "starter", "U+2067 (RLI)", "\u2067"),
    ("        return 1", "", "", ""),
    (r'    solution: "def f():\n    return 1  # \r\e[2K"', "solution", "U+000D (CR)", r"\r"),
    (r'    tests: "assert f() == 1  # \0\b\x7f"', "tests", "U+0000 (NUL)", r"\0"),
    (r'    "kind\e": x', "", "", ""),  # an unknown key: its own error below
]


def hostile_deck(folder: Path) -> tuple[Path, list[str]]:
    """The deck file and the lint errors expected for it, as `path:line:col: error: …`."""
    path = folder / "evil.yaml"
    text = "deck: evil.deck\n" + "".join(line + "\n" for line, *_ in HOSTILE_LINES)
    path.write_text(text, "utf-8")
    expected = []
    for number, (line, field, char, first) in enumerate(HOSTILE_LINES, start=2):
        if field:
            message = f"control character {char} in {field!r}"
            expected.append(f"{path}:{number}:{line.index(first) + 1}: error: {message}")
    key_line = len(HOSTILE_LINES) + 1
    expected += [
        f"{path}:{key_line}:5: error: unknown key 'kind\\x1b' in card (did you mean 'kind'? "
        "It is also set, on line 16)",
        f"{path}:{key_line}:10: error: control character U+001B (ESC) in a key",
    ]
    return path, expected


def test_lint_reports_every_control_character_where_it_is_written(run: Run, tmp_path: Path) -> None:
    path, expected = hostile_deck(tmp_path)
    result = run("deck", "lint", str(path))
    assert result.code == 1
    errors = [line for line in result.out.splitlines() if ": error: " in line]
    assert errors == expected
    assert result.out.splitlines()[-1].startswith(
        f"1 file, 1 deck, 2 cards (1 with errors): {len(expected)} errors"
    )
    assert_clean(result)
    as_json = run("deck", "lint", "--json", str(path))
    problems = json.loads(as_json.out)["problems"]
    assert [p["message"] for p in problems if p["severity"] == "error"] == [
        line.split(": error: ", 1)[1] for line in expected
    ]
    assert_clean(as_json)


def test_a_deck_with_control_characters_never_loads(
    run: Run, tmp_path: Path, db_path: Path
) -> None:
    path, expected = hostile_deck(tmp_path)
    for args in (["deck", "list"], ["stats"], ["next"], ["today"], []):
        result = run("--decks", str(path), *args)
        assert result.code == 1, args
        assert result.out == ""
        assert result.err.splitlines() == expected
        assert_clean(result)
    preview = run("deck", "preview", str(path))
    assert (preview.code, preview.out) == (1, "")
    assert_clean(preview)
    assert not db_path.exists() or rows(db_path, "SELECT COUNT(*) FROM card") == [(0,)]


def test_deck_new_refuses_control_characters(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    result = run("deck", "new", str(path), "--deck", "my.deck", "--title", f"T {OSC52}")
    assert result.code == 1 and not path.exists()
    assert "control character U+001B (ESC) in 'title'" in result.err
    assert_clean(result)


HOSTILE_PLAN = """\
version: 1
plan: evil
title: "Plan \\e]0;pwned\\a"
weeks:
  - title: "Week \\x9b6n"
    focus: "reads \u202eevil\u202c"
    introduce:
      - deck: sample.basics
    tasks:
      - id: t
        title: "Task \\u001b[2J"
"""


def test_a_plan_with_control_characters_is_refused_where_they_are(
    run: Run, tmp_path: Path, sample_decks: Path
) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    path = plans / "evil.yaml"
    path.write_text(HOSTILE_PLAN, "utf-8")
    expected = [
        f"{path}:3:14: error: control character U+001B (ESC) in 'title'",
        f"{path}:5:18: error: control character U+009B (CSI) in 'title'",
        f"{path}:6:19: error: control character U+202E (RLO) in 'focus'",
        f"{path}:11:22: error: control character U+001B (ESC) in 'title'",
    ]
    for args in (["plan", "show", "--plan", "evil"], ["plan", "start", "--plan", "evil"]):
        result = run("--plans", str(plans), *args)
        assert (result.code, result.out) == (1, ""), args
        assert result.err.splitlines() == expected
        assert_clean(result)


# --- text that still arrives: the database, file names, arguments -------------------------


@pytest.fixture
def hostile_db(run: Run, db_path: Path, sample_decks: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database holding a card key with every payload, as an import can write it: the
    card has the most recent answer (for `undo`), lapses and the leech flag."""
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    assert run("answer", "sample.basics/attention-scaling", "good").code == 0
    assert run("answer", "sample.basics/kv-cache", "again").code == 0
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute(
            "UPDATE card SET key = ?, leech = 1, lapses = 9 WHERE key = ?",
            (HOSTILE_KEY, "sample.basics/kv-cache"),
        )
    connection.close()
    return HOSTILE_KEY


# Each command, and what it must show of the key (its payload made visible), if anything.
SHOWN_KEY = "imported/␛]52;c;ZXZpbA=="
HOSTILE_DB_COMMANDS: list[tuple[list[str], str]] = [
    (["deck", "orphans"], SHOWN_KEY),
    (["card", "show", HOSTILE_KEY], SHOWN_KEY),
    (["undo"], SHOWN_KEY),
    (["stats"], ""),
    (["next"], ""),
    ([], ""),
    (["today"], ""),
    (["check"], ""),
    (["card", "suspend", HOSTILE_KEY], ""),
    (["answer", HOSTILE_KEY, "good"], ""),
    (["plan", "start", "--plan", "mini", "--interview", "2026-12-20"], ""),
    (["plan"], ""),
    (["plan", "show"], ""),
    (["deck", "list"], ""),
]


@pytest.mark.parametrize(
    ("args", "shown"),
    HOSTILE_DB_COMMANDS,
    ids=[" ".join(args).replace(HOSTILE_KEY, "KEY") or "today" for args, _ in HOSTILE_DB_COMMANDS],
)
def test_an_imported_key_is_shown_not_obeyed(
    run: Run, hostile_db: str, args: list[str], shown: str
) -> None:
    result = run(*args)
    assert result.code in (0, 1, 2), result
    assert_clean(result)
    assert shown in result.out + result.err


def test_json_output_keeps_an_imported_key_exact(run: Run, hostile_db: str) -> None:
    shown = run("card", "show", HOSTILE_KEY, "--json")
    assert shown.code == 0 and json.loads(shown.out)["card"] == HOSTILE_KEY
    assert_clean(shown)
    orphans = run("deck", "orphans", "--json")
    assert [o["card"] for o in json.loads(orphans.out)["orphans"]] == [HOSTILE_KEY]
    assert_clean(orphans)
    exported = run("export", "--format", "json")
    assert_clean(exported)
    assert HOSTILE_KEY in [c["card"] for c in json.loads(exported.out)["cards"]]
    # Piped, CSV is data and stays exact (on a terminal it is shown: see the pty test).
    csv = run("export", "--format", "csv")
    assert csv.code == 0 and HOSTILE_KEY in csv.out


@pytest.fixture
def hostile_names(tmp_path: Path) -> tuple[Path, Path]:
    """A deck folder and a plan folder whose names, and whose files' names, carry the
    payloads; the files themselves are good."""
    decks = tmp_path / f"decks{HOSTILE_NAME}"
    decks.mkdir()
    for deck in SAMPLE_DECKS.glob("*.yaml"):
        shutil.copy(deck, decks / f"{deck.stem}{HOSTILE_NAME}.yaml")
    plans = tmp_path / f"plans{HOSTILE_NAME}"
    plans.mkdir()
    shutil.copy(DATA / "plans" / "mini.yaml", plans / f"mini{HOSTILE_NAME}.yaml")
    return decks, plans


def test_file_and_folder_names_are_shown_not_obeyed(
    run: Run, hostile_names: tuple[Path, Path], tmp_path: Path
) -> None:
    decks, plans = hostile_names
    basics = next(decks.glob("basics*.yaml"))
    where = ["--decks", str(decks), "--plans", str(plans)]
    shown_folder = safe.visible_line(str(decks))
    commands: list[tuple[list[str], str]] = [
        (["deck", "list"], ""),  # the table has the path (cropped to the width)
        (["deck", "lint", str(decks)], "no problems"),
        (["deck", "preview", str(basics)], "Why are attention logits"),
        (["deck", "preview", f"{basics}#nope"], shown_folder),
        (["card", "show", "sample.basics/kv-cache"], ""),
        (["plan", "show", "--plan", "nosuch"], "mini␛]52;c;ZXZpbA=="),
        (["plan", "start", "--plan", "mini", "--interview", "2026-12-20"], "Started Mini plan"),
        (["plan"], "Mini plan"),
        (["plan", "show"], "Mini plan"),
        ([], "Mini plan"),
        (["stats"], "sample.basics"),
        (["next"], "Why are attention logits"),
        (["review"], "needs a terminal"),
    ]
    for args, shown in commands:
        result = run(*where, *args)
        assert result.code in (0, 1, 2), (args, result)
        assert_clean(result)
        assert shown in result.out + result.err, (args, result)
    (decks / f"broken{HOSTILE_NAME}\n.yaml").write_text("deck: [\n", "utf-8")
    for args in (["deck", "lint", str(decks)], ["deck", "list"], ["stats"]):
        result = run(*where, *args)
        assert result.code == 1
        assert_clean(result)
        assert f"{shown_folder}/broken␛]52;c;ZXZpbA==" in result.out + result.err
        # A newline in a file name is shown too: one problem, one line.
        assert "<U+2069>␊.yaml:" in result.out + result.err


def test_arguments_are_shown_not_obeyed(
    run: Run, sample_decks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    folder = tmp_path / f"backups{HOSTILE_NAME}"
    folder.mkdir()
    missing = tmp_path / f"missing{HOSTILE_NAME}"
    assert run("plan", "start", "--plan", "mini", "--interview", "2026-12-20").code == 0
    commands = [
        ["--decks", str(missing), "stats"],
        ["--plans", str(missing), "plan"],
        ["--db", str(missing / "db.sqlite3"), "stats"],
        ["stats", "--deck", EVERY_PAYLOAD],
        ["card", "show", HOSTILE_KEY],
        ["card", "forget", HOSTILE_KEY, "--yes"],
        ["answer", HOSTILE_KEY, "good"],
        ["answer", "sample.basics/kv-cache", EVERY_PAYLOAD],
        ["plan", "done", EVERY_PAYLOAD],
        ["plan", "show", "--plan", EVERY_PAYLOAD],
        ["plan", "start", "--start", EVERY_PAYLOAD],
        ["deck", "preview", str(missing)],
        ["deck", "lint", str(missing)],
        ["deck", "new", str(missing / "x.yaml"), "--deck", EVERY_PAYLOAD, "--title", "T"],
        ["import", str(missing)],
        ["export", "--output", str(missing / "out.json")],
        ["export", "--format", EVERY_PAYLOAD],
        ["config", "get", EVERY_PAYLOAD],
        ["config", "set", "new_per_day", EVERY_PAYLOAD],
        ["practice", HOSTILE_KEY],
        ["quiz", "--deck", EVERY_PAYLOAD],
        [EVERY_PAYLOAD],
        ["backup", str(folder)],
    ]
    for args in commands:
        result = run(*args)
        assert result.code in (0, 1, 2), (args, result)
        assert_clean(result)
    backup = run("backup", str(folder))
    assert backup.code == 0 and "backups␛]52;c;ZXZpbA==" in backup.out


# --- output encodings --------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["plan"], ["stats"], ["deck", "list"], ["review", "--help"]])
def test_an_ascii_only_output_gets_no_traceback(
    args: list[str], run: Run, sample_decks: Path
) -> None:
    assert run("--plans", str(DATA / "plans"), "plan", "start", "--plan", "mini").code == 0
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PREPCLI_PLANS": str(DATA / "plans")}
    done = subprocess.run(
        [sys.executable, "-m", "prepcli", *args], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stderr == b""
    done.stdout.decode("ascii")  # every character the stream cannot hold became '?'


# --- in a real terminal ------------------------------------------------------------------

PTY_TIMEOUT = 30


def in_pty(
    args: list[str], steps: list[tuple[bytes, str]] | None = None, env: dict[str, str] | None = None
) -> bytes:
    """Everything prepcli wrote to a real terminal (colours on), as bytes; `steps` are
    (what to wait for, the key to press then)."""
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update({"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"})
    environment.update(env or {})
    child = pexpect.spawn(
        sys.executable, args, env=environment, timeout=PTY_TIMEOUT, dimensions=(40, 100)
    )
    output = b""
    for pattern, key in steps or []:
        child.expect(pattern)
        output += child.before + child.after
        child.send(key)
    child.expect(pexpect.EOF)
    output += child.before
    child.close()
    return output


def assert_no_payload(output: bytes, *, cleared: bool = False) -> None:
    evidence = EVIDENCE if cleared else [*EVIDENCE, b"\x1b[2J"]
    for bad in evidence:
        assert bad not in output, (bad, output)
    assert b"Traceback" not in output


def test_cards_drawn_in_a_terminal_show_the_payloads(tmp_path: Path) -> None:
    """Card text that skipped the loader (built here directly) drawn by the review screen's
    own renderables on a colour terminal: styled, and no payload."""
    script = tmp_path / "draw.py"
    script.write_text(
        "import sys\n"
        "from prepcli.core.cards import CardDef, Kind\n"
        "from prepcli.ui import card_view, collection_view, render\n"
        f"payload = {EVERY_PAYLOAD!r}\n"
        "card = CardDef(deck='evil', id='a' + payload, kind=Kind.CODING, front='F ' + payload,\n"
        "    back='B ' + payload, path='/tmp/' + payload, line=1, hints=('H ' + payload,),\n"
        "    points=('P ' + payload,), source='S ' + payload, starter='x = 1  # ' + payload,\n"
        "    solution='y = 2  # ' + payload, explain='E ' + payload, time_limit=60)\n"
        "console = render.console()\n"
        "console.print(card_view.card_preview(card))\n"
        "from datetime import UTC\n"
        "console.print(collection_view.orphans_table([('k/' + payload, 3, None)], UTC))\n"
        "render.print_error('E ' + payload)\n",
        "utf-8",
    )
    output = in_pty([str(script)])
    assert b"\x1b[1m" in output  # Rich styled it: this was a colour terminal
    assert_no_payload(output)
    # The key, front, starter, hint, back, explanation, point, solution, source, the table
    # and the error: each shows the payload, made visible.
    assert output.count("␛]52;c;ZXZpbA==".encode()) == 11


def test_commands_in_a_terminal_show_an_imported_key(
    run: Run, hostile_db: str, tmp_path: Path
) -> None:
    for args in (["deck", "orphans"], ["card", "show", HOSTILE_KEY], ["export", "-f", "csv"]):
        output = in_pty(["-m", "prepcli", *args])
        assert_no_payload(output)
        assert "␛]52;c;ZXZpbA==".encode() in output, args
    output = in_pty(["-m", "prepcli", "undo"])
    assert_no_payload(output)
    assert "Undid Again on imported/␛]52;c;ZXZpbA==".encode() in output


def test_review_and_preview_in_a_terminal_with_hostile_names(
    run: Run, hostile_db: str, hostile_names: tuple[Path, Path], tmp_path: Path
) -> None:
    decks, _plans = hostile_names
    where = ["-m", "prepcli", "--decks", str(decks)]  # not PREPCLI_DECKS: the name has a ':'
    # u undoes the imported key's answer (the last one); then a card is answered and q quits.
    steps = [(b"Space/Enter", "u"), (b"Space/Enter", " "), (b"Again", "3"), (b"Space/Enter", "q")]
    output = in_pty([*where, "review"], steps)
    assert_no_payload(output, cleared=True)  # the session clears the screen itself
    assert b"Session over" in output
    basics = next(decks.glob("basics*.yaml"))
    output = in_pty(["-m", "prepcli", "deck", "preview", str(basics)])
    assert_no_payload(output)
    assert b"Why are attention logits" in output
    hostile, _expected = hostile_deck(decks)
    for args in (["deck", "preview", str(hostile)], ["deck", "lint", str(decks)], ["review"]):
        output = in_pty([*where, *args])
        assert_no_payload(output)
        assert b"control character U+001B (ESC) in 'title'" in output, args
