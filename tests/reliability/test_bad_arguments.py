"""Every argument that takes a date, a number, an id or a path refuses a bad value with a
usage error: exit status 2, a message on stderr, nothing on stdout, no traceback, and the
database left byte for byte as it was.

The table names commands as the CLI has them; a row whose command does not exist (yet)
is skipped, so the table can run ahead of features being built in parallel.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from prepcli import entry
from prepcli.cli import commands
from prepcli.core.config import SPECS
from tests.command_tree import subcommands
from tests.conftest import DATA, SAMPLE_DECKS, Result
from tests.reliability import figures

CARD = "sample.basics/kv-cache"
CODING_CARD = "sample.coding/add-two"
DATE_VALUES = ("2026-13-01", "2026-02-30", "yesterday", "", "26-11-23", "0001-01-01",
               "9999-12-31", "10000-01-01")  # fmt: skip

START_MINI = ("plan", "start", "--force", "--plan", "mini")

BAD_SETTINGS: dict[str, tuple[str, ...]] = {
    "desired_retention": ("abc", "0.5", "1.5", "nan", "inf", "", "0,9"),
    "learning_steps": ("1x", "-1m", "0s", "1e5m", "99999999999d", "36501d", "m"),
    "relearning_steps": ("10", "ten minutes", "0m", "99999999999d", "36501d"),
    "maximum_interval": ("0", "x", "1.5", "36501", "-3", ""),
    "new_per_day": ("-1", "x", "10000", "2.5"),
    "reviews_per_day": ("-1", "lots", "100000"),
    "rollover_hour": ("24", "-1", "x", "4.5"),
    "timezone": ("Mars/Olympus_Mons", "", "../../etc/passwd", "UTC+5:00:00:00"),
    "fuzz": ("maybe", "", "2"),
    "leech_threshold": ("0", "100", "x"),
    "interview_price": ("0", "0.5", "nan", "x"),
    "interview_retention": ("0.5", "0.99", "inf", "x"),
    "interview_headroom": ("-0.1", "0.6", "nan", "x"),
    "interview_capacity": ("-1", "x"),
    "interview_lead": ("2", "-1", "x"),
    "interview_buffer": ("31", "-1", "x"),
    "durability": ("off", "FULL", ""),
    "sync_dir": ("", "x" * 300),
    "load_balance": ("sometimes", "", "3"),
    "easy_days": ("funday", "sat,,moonday", "7", "saturdays"),
    "easy_day_share": ("-0.1", "1", "nan", "x"),
    "rest_days": (
        "2026-02-30",
        "tomorrow",
        "2027-01-02..2027-01-01",
        "0001-01-01",
        "2026-01-01..2027-06-01",
        "2026-12-24..",
        "9999-12-31",
    ),
}

ROWS: list[tuple[str, ...]] = [
    # answer RATING, --duration-ms and the card id
    *(("answer", CARD, bad) for bad in ("great", "5", "0", "", "3.0", "-1", "goodd")),
    *(("answer", CARD, "good", "--duration-ms", bad) for bad in ("-1", "abc", "1.5", "")),
    *(
        ("answer", bad, "good")
        for bad in ("kv-cache", "sample.basics/nope", "", "/", "nope/kv-cache")
    ),
    ("next", "--deck", "nope"),
    # a break: its length and its start
    *(("postpone", bad) for bad in ("0", "-1", "367", "x", "")),
    *(("postpone", "2", "--start", bad) for bad in (*DATE_VALUES, "2020-01-01")),
    *(("review", "--limit", bad) for bad in ("0", "-3", "x")),
    # plan dates, ids and tasks
    *((*START_MINI, "--start", bad) for bad in DATE_VALUES),
    *((*START_MINI, "--interview", bad) for bad in DATE_VALUES),
    (*START_MINI, "--start", "2026-12-01", "--interview", "2026-11-30"),
    ("plan", "start", "--force", "--plan", "nope"),
    *(("plan", "interview", bad) for bad in (*DATE_VALUES, "2020-01-01")),
    ("plan", "done", "nope"),
    ("plan", "undo", "nope"),
    ("plan", "show", "--plan", "nope"),
    # settings: every one of them (checked below), plus unknown names
    *(("config", "set", name, bad) for name, values in BAD_SETTINGS.items() for bad in values),
    ("config", "set", "nope", "1"),
    ("config", "get", "nope"),
    ("config", "reset", "nope"),
    # simulate's numbers and its learner parameters (a list, a file)
    *(
        ("simulate", option, bad)
        for option, bad in (
            ("--cards", "0"),
            ("--cards", "x"),
            ("--cards", "100001"),
            ("--new-per-day", "0"),
            ("--interview-day", "1"),
            ("--cap", "0"),
            ("--seeds", "0"),
            ("--seeds", "1001"),
            ("--seed", "x"),
            ("--retention", "0.5"),
            ("--retention", "x"),
            ("--high-retention", "1.5"),
            ("--price", "2"),
            ("--price", "nan"),
            ("--planner-retention", "nan"),
            ("--planner-retention", "0.99"),
            ("--headroom", "inf"),
            ("--retention", "nan"),
            ("--sweep", "speed"),
            ("--sweep-values", "0.01"),
            ("--capacities", "0"),
            ("--learner-params", "[1, 2]"),
            ("--learner-params", "not json"),
            ("--learner-params", "[" + ", ".join(["NaN"] * 21) + "]"),
            ("--learner-params", "[" + ", ".join(["true"] * 21) + "]"),
            ("--learner-params", "[" + ", ".join(["1e308"] * 21) + "]"),
            ("--learner-params", '{"parameters": "x"}'),
            ("--learner-params", "{tmp}/missing.json"),
            ("--learner-params", "{tmp}"),
            ("--learner-params", "{binary}"),
        )
    ),
    # card ids
    *(
        (*command, bad)
        for command in (
            ("card", "show"),
            ("card", "suspend"),
            ("card", "unsuspend"),
            ("card", "forget", "--yes"),
        )
        for bad in ("kv-cache", "sample.basics/nope", "", "nope/x")
    ),
    # deck paths and ids
    ("deck", "lint", "{tmp}/missing"),
    ("deck", "lint", "--format", "xml"),
    ("deck", "preview", "{tmp}/missing.yaml"),
    ("deck", "preview", "{decks}/basics.yaml#nope"),
    ("deck", "new", "{tmp}/new.txt", "--deck", "a", "--title", "t"),
    ("deck", "new", "{tmp}/new.yaml", "--deck", "Bad Id", "--title", "t"),
    ("deck", "new", "{tmp}/new.yaml", "--deck", "a", "--title", " "),
    # global paths
    ("--decks", "{tmp}/missing", "today"),
    ("--plans", "{tmp}/missing", "plan", "show"),
    ("--db", "{tmp}", "today"),
    # commands being added alongside this suite
    ("stats", "--deck", "nope"),
    *(
        ("quiz", option, bad)
        for option, bad in (
            ("--minutes", "0"),
            ("--minutes", "241"),
            ("--count", "0"),
            ("--seed", "x"),
        )
    ),
    ("practice", "kv-cache"),
    ("practice", CODING_CARD, "--timeout", "0"),
    ("practice", CODING_CARD, "--check", "--rating", "9"),
    ("practice", CODING_CARD, "--rating", "3"),
    ("practice", CODING_CARD, "--dir", "{decks}/basics.yaml"),
    ("export", "--format", "xml"),
    ("export", "--output", "{tmp}"),
    ("import", "{tmp}/missing.json"),
    ("import", "{tmp}"),
    ("backup", "--keep", "0"),
]


def _command_exists(argv: tuple[str, ...]) -> bool:
    command: object = typer.main.get_command(commands.app)
    if argv and argv[0] in ("--decks", "--plans", "--db"):
        return True
    for depth, word in enumerate(w for w in argv if not w.startswith("-")):
        below = subcommands(command)
        if below is None or (depth > 0 and word not in below):
            return True  # reached a command (or a group run as one): the rest are arguments
        if word not in below:
            return False
        command = below[word]
    return True


pytestmark = pytest.mark.usefixtures("typer_tree_built_once")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with an answer and a running plan, so every command has something to do."""
    folder = tmp_path_factory.mktemp("template")
    db = folder / "prep.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREPCLI_NOW", "2026-11-23T09:00:00+01:00")
        patch.setenv("TZ", "Europe/Paris")
        patch.setenv("PREPCLI_CACHE_DIR", str(folder / "cache"))
        patch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
        patch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
        assert entry.run(["--db", str(db), "answer", CARD, "good"]) == 0
        assert entry.run(["--db", str(db), "plan", "start", "--plan", "mini"]) == 0
    return db


@pytest.fixture
def prepared(
    template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path
) -> Path:
    monkeypatch.setenv("PREPCLI_DECKS", str(SAMPLE_DECKS))
    monkeypatch.setenv("PREPCLI_PLANS", str(DATA / "plans"))
    shutil.copyfile(template, db_path)
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 4)
    return db_path


def _fill(argv: tuple[str, ...], tmp_path: Path) -> list[str]:
    places = {"{tmp}": str(tmp_path), "{decks}": str(SAMPLE_DECKS),
              "{binary}": str(tmp_path / "binary.bin")}  # fmt: skip
    filled = []
    for word in argv:
        for placeholder, value in places.items():
            word = word.replace(placeholder, value)
        filled.append(word)
    return filled


@pytest.mark.parametrize("argv", ROWS, ids=" ".join)
def test_bad_value_is_a_usage_error(
    argv: tuple[str, ...], prepared: Path, tmp_path: Path, run: Callable[..., Result]
) -> None:
    if not _command_exists(argv):
        pytest.skip(f"`prepcli {argv[0]}` does not exist in this build")
    before = hashlib.sha256(prepared.read_bytes()).hexdigest()
    result = run(*_fill(argv, tmp_path))
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.err.strip(), "the reason goes to stderr"
    assert "Traceback" not in result.err
    assert result.out == ""
    assert hashlib.sha256(prepared.read_bytes()).hexdigest() == before, "the database changed"
    figures.add("bad arguments refused with exit 2")


def test_every_setting_has_bad_values_in_the_table() -> None:
    assert sorted(BAD_SETTINGS) == sorted(SPECS)
