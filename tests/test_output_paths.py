"""Where output goes: the pager on a terminal (never in a pipe), a reader that closes the
pipe early, export and import messages, paths shortened from the start, `card show`'s
front and back, and suspended cards counted alike by `prepcli` and `prepcli plan`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import SAMPLE_DECKS, Result

Run = Callable[..., Result]
PLANS = Path(__file__).parent / "data" / "plans"


def in_terminal(args: list[str], env: dict[str, str], rows: int = 12) -> str:
    """What `prepcli ARGS` shows in a pseudo-terminal `rows` lines high."""
    full = {**os.environ, "TERM": "xterm", "COLUMNS": "80", "LINES": str(rows), **env}
    if "PREPCLI_PAGER" not in env:
        full.pop("PREPCLI_PAGER", None)
    child = pexpect.spawn(sys.executable, ["-m", "prepcli", *args], env=full,
                          encoding="utf-8", timeout=30, dimensions=(rows, 80))  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


MARKING_PAGER = {"PAGER": "sed 's/^/PAGED: /'"}


@pytest.mark.parametrize("args", [["plan", "show"], ["deck", "schema"], ["stats"]])
def test_long_output_on_a_terminal_goes_through_the_pager(args: list[str]) -> None:
    shown = in_terminal(args, MARKING_PAGER)
    assert shown.count("PAGED: ") > 12  # every line went through it
    assert "PAGED: " not in in_terminal(["--no-pager", *args], MARKING_PAGER)


def test_the_pager_is_chosen_by_prepcli_pager_then_pager_and_cat_turns_it_off() -> None:
    both = {**MARKING_PAGER, "PREPCLI_PAGER": "sed 's/^/OURS: /'"}
    assert "OURS: " in in_terminal(["plan", "show"], both)
    assert "PAGED: " not in in_terminal(["plan", "show"], {**MARKING_PAGER, "PREPCLI_PAGER": ""})
    assert "PAGED: " not in in_terminal(["plan", "show"], {"PAGER": "cat"})
    # A pager that is not there: the text itself rather than nothing.
    assert "Week 1" in in_terminal(["plan", "show"], {"PAGER": "no-such-pager-here"})


def test_output_that_fits_the_screen_is_not_paged() -> None:
    assert "PAGED: " not in in_terminal(["deck", "list"], MARKING_PAGER, rows=40)


def test_piped_output_is_never_paged(run: Run) -> None:
    env = {**os.environ, **MARKING_PAGER}
    piped = subprocess.run([sys.executable, "-m", "prepcli", "plan", "show"], env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert piped.returncode == 0 and "PAGED" not in piped.stdout and "Week 1" in piped.stdout


@pytest.mark.parametrize(
    "args", [["export", "--format", "csv"], ["export"], ["stats"], ["deck", "schema"], []]
)
def test_a_reader_that_stops_early_ends_the_command_quietly_with_status_0(
    args: list[str], run: Run, tmp_path: Path
) -> None:
    run("answer", "llm-quiz.inference/kv-cache-memory-formula", "good")
    process = subprocess.Popen(
        [sys.executable, "-m", "prepcli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: closed before the command writes anything
    errors = process.stderr.read()
    assert (process.wait(timeout=60), errors) == (0, b"")


def test_exports_to_files_all_say_what_they_wrote_the_same_way(
    run: Run, sample_decks: Path, tmp_path: Path
) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    messages = {}
    for kind, name in (("json", "out.json"), ("csv", "out.csv"), ("anki", "out.apkg")):
        result = run("export", "-f", kind, "-o", str(tmp_path / name))
        assert (result.code, result.out) == (0, "")
        messages[kind] = result.err
    assert messages == {
        "json": f"Exported 1 card with 1 review to {tmp_path / 'out.json'} "
        "(JSON: `prepcli import` reads it back).\n",
        "csv": f"Exported 1 row to {tmp_path / 'out.csv'} "
        "(CSV: a row per review, one per card without).\n",
        "anki": f"Exported 4 notes in 2 decks, with 1 review of 1 card to "
        f"{tmp_path / 'out.apkg'} (an Anki package: in Anki, File → Import, "
        "with “Import any learning progress” ticked).\n",
    }


def test_import_of_a_csv_or_an_anki_package_says_what_import_reads(
    run: Run, sample_decks: Path, tmp_path: Path
) -> None:
    run("answer", "sample.basics/kv-cache", "good")
    run("export", "-f", "csv", "-o", str(tmp_path / "p.csv"))
    run("export", "-f", "anki", "-o", str(tmp_path / "p.apkg"))
    (tmp_path / "notes.txt").write_text("just some notes\n", "utf-8")
    reads = (
        "`prepcli import` reads the JSON file that `prepcli export --format json` writes "
        "(CSV and Anki exports are for other programs)"
    )
    for name, why in (
        ("p.csv", "this looks like a CSV file, not a prepcli JSON export"),
        ("p.apkg", "this is a zip file (an Anki .apkg?), not a prepcli JSON export"),
        ("notes.txt", "this is not a prepcli JSON export (one starts with `{`)"),
    ):
        result = run("import", str(tmp_path / name))
        assert (result.code, result.err) == (1, f"{tmp_path / name}:1:1: error: {why}; {reads}\n")
        assert "Expecting value" not in result.err and "codec" not in result.err


def test_card_show_shows_the_front_and_the_back(run: Run, sample_decks: Path) -> None:
    run("answer", "sample.basics/conflict-story", "good")
    shown = run("card", "show", "sample.basics/conflict-story").out
    assert "Tell me about a disagreement with a colleague." in shown  # the front
    assert "Show how it was resolved and what you learned" in shown  # the back
    assert "Your action, in the first person" in shown  # its checklist
    assert shown.index("front") < shown.index("Tell me") < shown.index("answer")


def test_paths_start_from_home_and_are_cut_from_the_start(
    run: Run, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decks = isolated_home / "study" / "my-decks"
    decks.mkdir(parents=True)
    (decks / "basics.yaml").write_bytes((SAMPLE_DECKS / "basics.yaml").read_bytes())
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    wide = run("deck", "list").out
    assert "~/study/my-decks/basics.yaml" in wide and str(isolated_home) not in wide
    run("answer", "sample.basics/kv-cache", "good")
    assert "~/study/my-decks/basics.yaml:19" in run("card", "show", "sample.basics/kv-cache").out
    monkeypatch.setenv("COLUMNS", "50")
    narrow = run("deck", "list").out
    assert "…basics.yaml" in narrow or "…/basics.yaml" in narrow  # the file's name is kept
    assert "~/study/my" not in narrow


def test_path_cells_keep_the_end_at_any_width() -> None:
    from prepcli.ui import render

    path = "/a/b/c/decks/x/file.yaml"
    expected = {
        8: "…le.yaml",
        12: "…/file.yaml",
        18: "…/x/file.yaml",
        20: "…/decks/x/file.yaml",
        60: path,
    }
    for width, shown in expected.items():
        out = io.StringIO()
        render.console(file=out, width=width).print(render.path_cell(path))
        assert out.getvalue().rstrip() == shown, width


def test_suspended_cards_are_counted_alike_by_today_and_the_plan(
    run: Run, sample_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREPCLI_PLANS", str(PLANS))
    run("plan", "start", "--plan", "mini")
    week_one = json.loads(run("plan", "--json").out)["weeks"][0]["cards_total"]
    before = run().out
    assert run("card", "suspend", "sample.basics/attention-scaling").code == 0
    status = json.loads(run("plan", "--json").out)
    today = run().out
    assert f"of {week_one} not yet studied" in before
    assert f"of {week_one - 1} not yet studied" in today
    assert status["weeks"][0]["cards_total"] == week_one - 1
    assert status["cards_left_so_far"] == week_one - 1
    assert f"0/{week_one - 1}" in run("plan").out
