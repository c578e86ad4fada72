"""Edited copies of bundled cards: copied with their own text, shown instead of the bundled
card (same key, history, tags), listed and removed by `prepcli deck overrides`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.core.cards import DeckSet
from prepcli.core.errors import PrepError
from prepcli.core.overrides import apply_overrides
from prepcli.files import overrides
from prepcli.files.decks import load_decks
from prepcli.storage import paths
from tests.conftest import SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]

DECK = """\
version: 1
deck: t.deck
title: "A deck: with a colon"
description: For the override tests.
cards:
  - id: first
    kind: concept
    tags: [one]
    front: |
      What is first?
    back: The first.

  # ---------------------------------------------------------- a section comment
  - id: cloze-card
    kind: cloze
    front: |
      Attention costs {{c1::n²}} in time and {{c2::n}} in memory
      with FlashAttention.
  - id: last
    kind: concept
    front: What is last?
    back: |
      The last.
tags: [t]
"""


@pytest.fixture
def bundled(tmp_path: Path) -> DeckSet:
    folder = tmp_path / "bundled"
    folder.mkdir()
    (folder / "deck.yaml").write_text(DECK, encoding="utf-8")
    return load_decks([folder])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_copy_holds_the_cards_own_text_and_replaces_it(bundled: DeckSet, tmp_path: Path) -> None:
    folder = tmp_path / "overrides"
    cards = bundled.card_map()
    copied = overrides.copy_card(cards["t.deck/first"], "A deck: with a colon", folder)
    assert copied.path == folder / "t.deck.yaml" and copied.created
    text = copied.path.read_text("utf-8")
    assert text.splitlines()[copied.line - 1] == "  - id: first"
    assert text.endswith(
        "cards:\n  - id: first\n    kind: concept\n    tags: [one]\n    front: |\n"
        "      What is first?\n    back: The first.\n"
    )  # the section comment after it belongs to the next card
    assert 'title: "A deck: with a colon (your copies)"' in text
    edit(copied.path, "What is first?", "What comes first, edited?")
    edit(copied.path, "tags: [one]", "tags: [other]")
    merged = overrides.with_overrides(bundled, folder).card_map()
    assert merged["t.deck/first"].front == "What comes first, edited?\n"
    assert merged["t.deck/first"].tags == ("one",)  # the plan still places it as before
    assert merged["t.deck/first"].path == str(copied.path)
    assert merged["t.deck/last"] == cards["t.deck/last"]
    assert list(merged) == list(cards)  # same cards, same order


def test_cloze_cards_and_the_last_card_copy_whole(bundled: DeckSet, tmp_path: Path) -> None:
    folder = tmp_path / "overrides"
    cards = bundled.card_map()
    title = "A deck"
    overrides.copy_card(cards["t.deck/cloze-card.c2"], title, folder)
    again = overrides.copy_card(cards["t.deck/cloze-card.c1"], title, folder)
    assert not again.created  # one copy per card, whichever deletion asked
    last = overrides.copy_card(cards["t.deck/last"], title, folder)
    text = last.path.read_text("utf-8")
    assert text.count("- id: cloze-card") == 1
    assert text.endswith("  - id: last\n    kind: concept\n    front: What is last?\n"
                         "    back: |\n      The last.\n")  # fmt: skip
    assert "tags: [t]" not in text  # the deck's own key after the cards is not copied
    edit(last.path, "{{c2::n}} in memory", "{{c2::linear}} memory")
    merged = overrides.with_overrides(bundled, folder).card_map()
    assert "**linear**" in merged["t.deck/cloze-card.c2"].back
    assert list(merged) == list(cards)


def test_removing_a_copy_and_the_last_one_deletes_the_file(
    bundled: DeckSet, tmp_path: Path
) -> None:
    folder = tmp_path / "overrides"
    cards = bundled.card_map()
    for key in ("t.deck/first", "t.deck/last"):
        overrides.copy_card(cards[key], "A deck", folder)
    assert overrides.remove_override(folder, "t.deck/nope") is None
    assert overrides.remove_override(folder, "t.deck/first") == folder / "t.deck.yaml"
    left = load_decks([folder]).card_map()
    assert list(left) == ["t.deck/last"]
    assert overrides.remove_override(folder, "t.deck/last") == folder / "t.deck.yaml"
    assert not (folder / "t.deck.yaml").exists()
    assert overrides.with_overrides(bundled, folder) is bundled


def test_a_copy_whose_card_left_the_bundle_is_not_used(bundled: DeckSet, tmp_path: Path) -> None:
    folder = tmp_path / "overrides"
    overrides.copy_card(bundled.card_map()["t.deck/first"], "A deck", folder)
    edit(folder / "t.deck.yaml", "id: first", "id: renamed-upstream")
    mine = load_decks([folder])
    assert apply_overrides(bundled, mine).card_map() == bundled.card_map()


def test_a_card_missing_from_its_file_is_a_clear_error(bundled: DeckSet, tmp_path: Path) -> None:
    card = bundled.card_map()["t.deck/first"]
    edit(Path(card.path), "id: first", "id: moved")
    with pytest.raises(PrepError, match="cannot find card 'first'"):
        overrides.copy_card(card, "A deck", tmp_path / "overrides")


# --- with the bundled decks, through the CLI ---------------------------------------------


def bundled_first_card(run: Run) -> dict[str, object]:
    result = run("next", "--json")
    assert result.code == 0, result.err
    card: dict[str, object] = json.loads(result.out)
    return card


def test_the_cli_uses_lists_and_removes_copies(run: Run, db_path: Path) -> None:
    assert run("deck", "overrides").out.startswith("No copies of bundled cards yet")
    first = bundled_first_card(run)
    key = str(first["card"])
    bundled_file = Path(str(first["path"]))
    before = bundled_file.read_bytes()
    run("answer", key, "good")  # history that must survive the copy
    decks = load_decks([paths.bundled("decks")])
    card = decks.card_map()[key]
    title = next(d.title for d in decks.decks if d.id == card.deck)
    folder = paths.overrides_dir()
    assert folder == Path.home() / "data" / "prepcli" / "decks" / "overrides"
    copied = overrides.copy_card(card, title, folder)
    edit(copied.path, card.front.rstrip("\n").split("\n")[0], "EDITED front line")

    shown = json.loads(run("card", "show", key, "--json").out)
    assert shown["card"] == key and len(shown["history"]) == 1
    assert "EDITED front line" in run("card", "show", key).out  # the copy, not the cache
    listed = run("deck", "overrides")
    assert listed.code == 0
    shown_file = f"~/data/prepcli/decks/overrides/{card.deck}.yaml"
    assert f"  {key}  {shown_file}:{copied.line}\n" in listed.out
    assert json.loads(run("deck", "overrides", "--json").out) == {
        "version": 1,
        "folder": str(folder),
        "overrides": [{"card": key, "path": str(copied.path), "line": copied.line, "used": True}],
        "removed": [],
    }
    run("undo")
    assert "EDITED front line" in str(bundled_first_card(run)["front"])
    assert bundled_file.read_bytes() == before  # the installed copy is never written

    removed = run("deck", "overrides", "--remove", key)
    assert (removed.code, removed.out) == (
        0,
        f"Removed your copy of {key} from {shown_file}: the bundled card is back.\n",
    )
    assert "EDITED" not in str(bundled_first_card(run)["front"])
    copied = overrides.copy_card(card, title, folder)
    assert json.loads(run("deck", "overrides", "--remove", key, "--json").out) == {
        "version": 1,
        "folder": str(folder),
        "overrides": [],
        "removed": [key],
    }
    missing = run("deck", "overrides", "--remove", key)
    assert missing.code == 2 and missing.err.startswith(f"error: no copy of {key!r}")
    assert rows(db_path, "SELECT COUNT(*) FROM card WHERE key = ?", key) == [(1,)]


def test_a_broken_copy_is_reported_like_any_deck(run: Run) -> None:
    key = str(bundled_first_card(run)["card"])
    card = load_decks([paths.bundled("decks")]).card_map()[key]
    copied = overrides.copy_card(card, "Title", paths.overrides_dir())
    edit(copied.path, "  - id:", "  - idd:")
    result = run("next")
    assert result.code == 1
    assert result.err.startswith(f"{copied.path}:{copied.line}:")


def test_without_the_bundled_decks_no_copies_are_used(run: Run, sample_decks: Path) -> None:
    result = run("deck", "overrides")  # the tests' own decks replace the bundled ones
    assert result.code == 0 and "which --no-bundled leaves out" in result.out
    assert json.loads(run("deck", "overrides", "--json").out)["folder"] is None
    assert run("deck", "overrides", "--remove", "a/b").code == 2


def test_own_decks_beside_the_bundled_ones_are_edited_in_place(
    run: Run, sample_decks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prepcli.cli.options import Options, locations_for

    monkeypatch.delenv("PREPCLI_NO_BUNDLED")
    assert json.loads(run("deck", "overrides", "--json").out)["folder"] is not None
    where = locations_for(Options(db=None, decks=(SAMPLE_DECKS,)))
    assert where.overrides == paths.overrides_dir()
    cards = load_decks(where.deck_roots).card_map()
    assert overrides.is_bundled(next(iter(cards.values())), paths.bundled("decks"))
    assert not overrides.is_bundled(cards["sample.basics/kv-cache"], paths.bundled("decks"))
