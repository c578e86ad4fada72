"""The deck cache (SQLite) and the other caches' JSON: exact round trips on every bundled
card, files that are not the cache ignored and made again, changed decks read again,
several processes at once, and one card read without loading the decks."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import fields  # InterviewPlan: a dataclass
from pathlib import Path
from typing import Any

import pytest

import prepcli
from prepcli.core.cards import CardDef, Deck, Kind
from prepcli.core.interview import InterviewPlan, InterviewPolicy
from prepcli.core.planlayout import PlanLayout
from prepcli.core.plans import Plan, Selector, Task, Week
from prepcli.files import decks as decks_module
from prepcli.files.decks import load_decks
from prepcli.files.plan import load_plan
from prepcli.storage import cachecodec, paths, plancache, plancodec
from prepcli.storage.cachecodec import (
    CacheDataError,
    decode_card,
    decode_deck,
    encode_card,
    encode_deck_header,
)
from prepcli.storage.deckcache import CACHE_FILE, DeckCache
from prepcli.storage.plancodec import (
    decode_interview_plan,
    decode_layout,
    encode_interview_plan,
    encode_layout,
)
from tests.conftest import DATA, SAMPLE_DECKS, Result

Run = Callable[..., Result]
HEAD = "deck: t.deck\ntitle: T\ndescription: D\nsources: [s]\ncards:\n"
CARD = "  - id: a\n    kind: concept\n    front: Q\n    back: {back}\n"


@pytest.fixture(scope="module")
def bundled() -> Any:
    return load_decks([paths.bundled("decks")])


def _through_text(value: object) -> object:
    return json.loads(json.dumps(value))


# --- the codecs ----------------------------------------------------------------------------


def test_every_bundled_card_and_deck_round_trips_through_json(bundled: Any) -> None:
    cards = list(bundled.cards())
    assert len(cards) > 1000
    for card in cards:
        assert decode_card(_through_text(encode_card(card))) == card
    for deck in bundled.decks:
        header = _through_text(encode_deck_header(deck))
        assert decode_deck(header, tuple(decode_card(encode_card(c)) for c in deck.cards)) == deck


def test_the_codecs_name_every_field() -> None:
    assert set(CardDef._fields) == cachecodec.CARD_FIELDS
    assert set(Deck._fields) - {"cards"} == cachecodec.DECK_FIELDS
    assert set(Plan._fields) == plancodec.PLAN_FIELDS
    assert set(Week._fields) == plancodec.WEEK_FIELDS
    assert set(Selector._fields) == plancodec.SELECTOR_FIELDS
    assert set(Task._fields) == plancodec.TASK_FIELDS
    assert {f.name for f in fields(InterviewPlan)} == plancodec.INTERVIEW_PLAN_FIELDS


def test_a_plan_layout_round_trips_on_its_index(bundled: Any) -> None:
    plan = load_plan(paths.bundled("plans") / "six-week.yaml", bundled)
    layout = PlanLayout.build(plan, bundled)
    keys = tuple(card.key for card in bundled.cards())
    positions = {key: index for index, key in enumerate(keys)}
    again = decode_layout(_through_text(encode_layout(layout, positions)), keys)
    assert again.plan == plan
    assert (again.by_week, again.starts) == (layout.by_week, layout.starts)
    assert (again.places, again.streams) == (layout.places, layout.streams)
    assert again.assignment == layout.assignment and again.ranks == layout.ranks


@pytest.mark.parametrize(
    "packed",
    [[1, 2, 3], "not base64!", "AAAA" + "AA==", 7],  # a list, bad text, 5 bytes, a number
)
def test_a_layout_with_words_prepcli_did_not_pack_is_refused(bundled: Any, packed: object) -> None:
    plan = load_plan(paths.bundled("plans") / "six-week.yaml", bundled)
    keys = tuple(card.key for card in bundled.cards())
    saved = encode_layout(PlanLayout.build(plan, bundled), {k: i for i, k in enumerate(keys)})
    with pytest.raises(CacheDataError):
        decode_layout({**saved, "places": packed}, keys)
    with pytest.raises(CacheDataError):  # a key's position past the end of the index
        decode_layout(saved, keys[:-1])


def test_an_interview_plan_round_trips_and_its_key_is_canonical() -> None:
    plan = InterviewPlan(
        740_000,
        {"a/b": "final", "e/f": "keep"},
        {"a/b": 740_003, "c/d": 740_001},
        ("c/d",),
        {"e/f": (0.1 + 0.2, 1 / 3), "c/d": (0.95, 0.875), "a/b": (2**-40, 0.5)},
    )
    assert decode_interview_plan(_through_text(encode_interview_plan(plan))) == plan  # exact
    saved = encode_interview_plan(plan)
    with pytest.raises(CacheDataError):  # outcomes for other cards than the planned ones
        decode_interview_plan({**saved, "today": {"a/b": "final"}})
    for days in ({"a/b": True, "c/d": 740_001}, {"a/b": "740003", "c/d": 740_001}, [1, 2]):
        with pytest.raises(CacheDataError):  # not a key → whole-number mapping
            decode_interview_plan({**saved, "final_day": days})
    with pytest.raises(CacheDataError):
        decode_interview_plan({**saved, "today": {"a/b": 1, "e/f": "keep"}})
    with pytest.raises(ValueError, match="planned cards"):
        encode_interview_plan(dataclasses.replace(plan, outcomes={}))
    policy = InterviewPolicy(740_010)
    key = ("tag", 740_000, policy, (0.5, 1.25), 1, (("p", 1, 2),), (None, 0, None))
    same = ("tag", 740_000, InterviewPolicy(740_010), [0.5, 1.25], 1, [["p", 1, 2]], [None, 0])
    assert plancache.key_text(key) == plancache.key_text(key)
    assert plancache.key_text(key) != plancache.key_text(same)


def encode_card_sample() -> dict[str, Any]:
    return encode_card(CardDef("d.e", "c", Kind.CONCEPT, "Q", "A", "f.yaml", 3))


@pytest.mark.parametrize(
    "broken",
    [
        {"deck": 1},  # a field of the wrong type
        "not an object",
        {**encode_card_sample(), "kind": "spell"},  # not a kind
        {**encode_card_sample(), "tier": "middling"},
        {**encode_card_sample(), "line": True},  # a bool is not a line number
        {**encode_card_sample(), "extra": 1},  # a key prepcli never writes
        {k: v for k, v in encode_card_sample().items() if k != "front"},  # one missing
        {**encode_card_sample(), "tags": ["a", 2]},
    ],
)
def test_a_card_that_is_not_what_prepcli_writes_is_refused(broken: object) -> None:
    with pytest.raises(CacheDataError):
        decode_card(broken)


def test_nothing_in_src_imports_pickle() -> None:
    package = Path(prepcli.__file__).parent
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("pickle", "shelve")]
    assert found == []


# --- the cache file ------------------------------------------------------------------------


def _deck(folder: Path, back: str = "A", name: str = "d.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEAD.replace("t.deck", f"t.{path.stem}") + CARD.format(back=back), "utf-8")
    return path


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    parsed: list[Path] = []
    real = decks_module.parse_deck_file

    def counting(path: Path) -> Any:
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(decks_module, "parse_deck_file", counting)
    return parsed


def test_the_bundled_decks_come_back_from_the_cache_as_parsed(
    bundled: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DeckCache.in_folder(tmp_path) as cache:
        assert load_decks([paths.bundled("decks")], cache) == bundled
    parsed = _counting_parses(monkeypatch)
    with DeckCache.in_folder(tmp_path) as cache:
        assert load_decks([paths.bundled("decks")], cache) == bundled
    assert parsed == []
    assert (tmp_path / CACHE_FILE).stat().st_mode & 0o777 == 0o600


def test_a_changed_deck_file_is_read_again_and_a_touched_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = _deck(tmp_path / "decks")
    parsed = _counting_parses(monkeypatch)
    with DeckCache.in_folder(tmp_path / "cache") as cache:
        first = load_decks([tmp_path / "decks"], cache)
    deck.write_text(deck.read_text("utf-8").replace("back: A", "back: B"), "utf-8")  # same size
    os.utime(deck, ns=(1, 1_000_000_000))  # and a time of its own, whatever the clock's grain
    with DeckCache.in_folder(tmp_path / "cache") as cache:
        changed = load_decks([tmp_path / "decks"], cache)
    assert parsed == [deck, deck] and first.decks[0].cards[0].back == "A"
    assert changed.decks[0].cards[0].back == "B"
    os.utime(deck, ns=(2, 2_000_000_000))  # touched, same bytes: no need to parse it again
    with DeckCache.in_folder(tmp_path / "cache") as cache:
        assert load_decks([tmp_path / "decks"], cache) == changed
    with DeckCache.in_folder(tmp_path / "cache") as cache:
        assert load_decks([tmp_path / "decks"], cache) == changed
    assert parsed == [deck, deck]


def _planted_sqlite(file: Path) -> None:
    connection = sqlite3.connect(file)
    connection.execute("CREATE TABLE card (key TEXT, definition TEXT)")
    connection.execute(
        "CREATE TRIGGER spy AFTER INSERT ON card BEGIN SELECT load_extension('x'); END"
    )
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    "plant",
    [
        lambda file, mark: file.write_bytes(pickle.dumps(_Planted(mark))),
        lambda file, mark: file.write_bytes(b"SQLite format 3\x00" + os.urandom(3000)),
        lambda file, mark: file.write_bytes(b""),
        lambda file, mark: _planted_sqlite(file),
    ],
    ids=["a pickle", "garbage", "empty", "another schema"],
)
@pytest.mark.usefixtures("sample_decks")
def test_a_file_that_is_not_the_cache_is_replaced_and_never_run(
    run: Run, tmp_path: Path, plant: Callable[[Path, Path], None]
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    mark = tmp_path / "ran"
    plant(cache / CACHE_FILE, mark)
    (cache / CACHE_FILE).chmod(0o600)
    today = run("today", "--json")
    assert today.code == 0 and json.loads(today.out)["cards"] > 0
    shown = run("next", "--json")
    assert shown.code == 0 and json.loads(shown.out)["front"]
    assert not mark.exists()
    connection = sqlite3.connect(cache / CACHE_FILE)
    try:
        kinds = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
        assert ("table", "deck_file") in kinds and ("trigger", "spy") not in kinds
        assert connection.execute("SELECT count(*) FROM card").fetchone()[0] > 0
    finally:
        connection.close()


class _Planted:
    """A pickle that, when loaded, leaves a mark."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.mark, "ran"))


@pytest.mark.usefixtures("sample_decks")
def test_rows_that_do_not_read_back_are_read_from_the_decks_again(run: Run, tmp_path: Path) -> None:
    assert run("today").code == 0
    card = "sample.basics/kv-cache"
    expected = run("card", "show", card, "--json").out
    shown = json.loads(run("next", "--json").out)
    # A card row that does not read back (the index still fresh), then the index itself.
    for table, change in (("card", "definition = '{\"deck\": 1}'"), ("deck_set", "data = '[]'")):
        connection = sqlite3.connect(tmp_path / "cache" / CACHE_FILE)
        with connection:
            connection.execute(f"UPDATE {table} SET {change}")
        connection.close()
        assert run("card", "show", card, "--json").out == expected
        assert json.loads(run("next", "--json").out) == shown
    with DeckCache.in_folder(tmp_path / "cache") as cache:
        assert load_decks([SAMPLE_DECKS], cache) == load_decks([SAMPLE_DECKS])


def test_several_processes_write_one_cache_at_once(tmp_path: Path) -> None:
    """Each process loads its own decks and a shared one, over and over; none fails and
    the cache ends whole, with every deck in it."""
    for n in range(4):
        for d in range(3):
            _deck(tmp_path / f"decks{n}", back=f"{n}-{d}", name=f"p{n}d{d}.yaml")
    _deck(tmp_path / "shared")
    code = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from prepcli.files.decks import load_decks
        from prepcli.storage.deckcache import DeckCache
        root, n = Path(sys.argv[1]), sys.argv[2]
        for round in range(15):
            mine = root / f"decks{n}" / f"p{n}d{round % 3}.yaml"
            text = mine.read_text("utf-8")
            mine.write_text(text.replace("back: ", "back: x"), "utf-8")  # parsed again
            with DeckCache.in_folder(root / "cache") as cache:
                decks = load_decks([root / f"decks{n}", root / "shared"], cache)
            assert len(decks.decks) == 4, decks
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), str(n)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    connection = sqlite3.connect(tmp_path / "cache" / CACHE_FILE)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        files = {row[0] for row in connection.execute("SELECT path FROM deck_file")}
    finally:
        connection.close()
    assert len(files) == 13
    with DeckCache.in_folder(tmp_path / "cache") as cache:
        for n in range(4):
            folders = [tmp_path / f"decks{n}", tmp_path / "shared"]
            assert load_decks(folders, cache) == load_decks(folders)


# --- one card without the decks ------------------------------------------------------------


def _count_deck_loading(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts every load of the deck set and every deck file parsed."""
    loads: list[str] = []
    real_load, real_parse = decks_module.load_decks, decks_module.parse_deck_file

    def load(*args: Any, **kwargs: Any) -> Any:
        loads.append("load_decks")
        return real_load(*args, **kwargs)

    def parse(path: Path) -> Any:
        loads.append(f"parse {path.name}")
        return real_parse(path)

    monkeypatch.setattr(decks_module, "load_decks", load)
    monkeypatch.setattr(decks_module, "parse_deck_file", parse)
    return loads


@pytest.mark.usefixtures("sample_decks")
def test_next_answer_and_card_show_read_one_card_not_the_decks(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The index and the cache are written, and the new-card order (the bundled plan's
    # layout on these decks).
    assert run("next", "--json").code == 0
    loads = _count_deck_loading(monkeypatch)
    shown = run("next", "--json")
    key = json.loads(shown.out)["card"]
    assert shown.code == 0 and key and json.loads(shown.out)["front"]
    assert run("answer", key, "good").code == 0
    assert json.loads(run("card", "show", key, "--json").out)["card"] == key
    missing = run("answer", "sample.basics/no-such-card", "good")
    assert missing.code == 2 and "no card 'sample.basics/no-such-card'" in missing.err
    assert run("next").code == 0
    assert loads == []
    # The guard sees loads: once a deck file changes, the decks are read.
    deck = SAMPLE_DECKS / "basics.yaml"
    copy = tmp_path / "decks"
    copy.mkdir()
    (copy / "basics.yaml").write_bytes(deck.read_bytes())
    monkeypatch.setenv("PREPCLI_DECKS", str(copy))
    assert run("answer", "sample.basics/kv-cache", "good").code == 0
    assert loads == ["load_decks", "parse basics.yaml"]


@pytest.mark.usefixtures("sample_decks")
def test_a_plan_file_with_a_mistake_is_reported_alike_from_the_cache(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    plan = plans / "mini.yaml"
    plan.write_text((DATA / "plans" / "mini.yaml").read_text("utf-8"), "utf-8")
    monkeypatch.setenv("PREPCLI_PLANS", str(plans))
    assert run("plan", "start", "--plan", "mini").code == 0
    text = plan.read_text("utf-8")
    plan.write_text(text.replace("focus: Attention", "focos: Attention"), "utf-8")
    first = run("today")
    assert first.code == 1 and f"{plan}:7:" in first.err and "'focos'" in first.err
    loads = _count_deck_loading(monkeypatch)
    again = run("today")
    assert (again.code, again.out, again.err) == (first.code, first.out, first.err)
    assert loads == []
    plan.write_text(text, "utf-8")
    assert run("today").code == 0


@pytest.mark.usefixtures("sample_decks")
def test_old_pickle_caches_are_removed_when_the_cache_is_made(run: Run, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    old = [
        "decks-1a2b3c4d-40.pickle",
        "decks-1a2b3c4d-40.index.pickle",
        "interview-plan-0-1.pickle",
    ]
    for name in old:
        (cache / name).write_bytes(b"an old cache")
    (cache / "notes.pickle").write_bytes(b"not prepcli's")
    assert run("today").code == 0
    assert sorted(p.name for p in cache.iterdir()) == [CACHE_FILE, "notes.pickle"]


@pytest.mark.usefixtures("sample_decks")
def test_without_a_usable_cache_every_command_still_works(run: Run, tmp_path: Path) -> None:
    """A folder where the cache file should be: nothing can be cached, nothing fails."""
    (tmp_path / "cache" / CACHE_FILE).mkdir(parents=True)
    for _ in range(2):
        shown = run("next", "--json")
        assert shown.code == 0 and json.loads(shown.out)["front"]
        assert run("answer", json.loads(shown.out)["card"], "good").code == 0
        assert run("deck", "list").code == 0
    assert (tmp_path / "cache" / CACHE_FILE).is_dir()


@pytest.mark.usefixtures("sample_decks")
def test_looking_for_a_plan_by_its_id_reads_no_card(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A plan file named otherwise than its `plan:` id is found by reading each plan's id,
    which needs no deck (before, every command then loaded every card)."""
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "renamed.yaml").write_bytes((DATA / "plans" / "mini.yaml").read_bytes())
    monkeypatch.setenv("PREPCLI_PLANS", str(plans))
    assert run("plan", "start", "--plan", "mini").code == 0
    assert run("next", "--json").code == 0
    loads = _count_deck_loading(monkeypatch)
    assert run("next", "--json").code == 0
    assert run("answer", "sample.basics/kv-cache", "good").code == 0
    assert run("plan").code == 0
    assert loads == []
