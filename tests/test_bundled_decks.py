"""The bundled decks: they load, their ids are pinned, and their coding tests really test."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.core.cards import CardDef, Kind
from prepcli.files.decks import load_decks
from prepcli.storage import paths
from tests.conftest import Result

PINNED_IDS = Path(__file__).parent / "data" / "bundled_card_ids.txt"
BUNDLED = load_decks([paths.bundled("decks")])
CODING_WITH_TESTS = [c for c in BUNDLED.cards() if c.kind == Kind.CODING and c.tests]


def test_bundled_decks_are_big_enough_and_sourced() -> None:
    cards = list(BUNDLED.cards())
    assert len(cards) >= 300
    for deck in BUNDLED.decks:
        assert deck.sources, deck.id


def test_card_ids_are_pinned() -> None:
    """Review history is keyed by deck/id: renaming a card without `formerly:` loses it."""
    pinned = set(PINNED_IDS.read_text("utf-8").split())
    current = {card.key for card in BUNDLED.cards()}
    renamed_from = {old for c in BUNDLED.cards() for old in c.former_keys()}
    lost = sorted(pinned - current - renamed_from)
    assert not lost, f"cards removed or renamed without `formerly:`: {lost}"
    added = sorted(current - pinned)
    assert not added, f"new cards: add them to {PINNED_IDS.name}: {added}"


def test_every_back_fits_on_one_screen() -> None:
    for card in BUNDLED.cards():
        assert len(card.back.rstrip("\n").splitlines()) <= 20, card.key


def _run(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("card", CODING_WITH_TESTS, ids=[c.key for c in CODING_WITH_TESTS])
def test_card_tests_pass_on_the_solution_and_fail_on_the_starter(card: CardDef) -> None:
    assert card.solution and card.tests and card.starter
    good = _run(card.solution + "\n\n" + card.tests)
    assert good.returncode == 0, good.stderr[-2000:]
    wrong = _run(card.starter + "\n\n" + card.tests)
    assert wrong.returncode != 0, "the tests pass on the starter, so they cannot fail"


def test_there_are_coding_cards_to_practise() -> None:
    assert len(CODING_WITH_TESTS) >= 20


KEYS_0_1_0 = Path(__file__).parent / "data" / "card_keys_0.1.0.txt"


def test_history_from_0_1_0_follows_every_card_into_the_atomic_decks(
    run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database with answers on 0.1.0's essay cards keeps them once the decks are split:
    each old key is still a card, or some card's `formerly` claims it (also across decks)."""
    old_keys = KEYS_0_1_0.read_text("utf-8").split()
    current = set(BUNDLED.by_key)
    renames = BUNDLED.renames()
    moved = sorted(key for key in old_keys if key not in current)
    kept = sorted(set(old_keys) & current)
    # Every moved card, plus a sample of kept ones; no two answered cards share a target
    # (when both halves of a merge were studied, the survivor keeps its own schedule and
    # the other's log stays in the database, listed by `deck orphans`).
    chosen, targets = [], set()
    for key in moved + random.Random(15).sample(kept, 20):
        target = renames.get(key, key)
        if target not in targets:
            chosen.append(key)
            targets.add(target)
    old_decks = tmp_path / "decks-0.1.0"
    old_decks.mkdir()
    by_deck: dict[str, list[str]] = {}
    for key in old_keys:
        deck, card_id = key.split("/")
        by_deck.setdefault(deck, []).append(card_id)
    for deck, ids in by_deck.items():
        cards = "".join(
            f"  - id: {card_id}\n    kind: concept\n    front: Q {card_id}?\n    back: A.\n"
            for card_id in ids
        )
        (old_decks / f"{deck}.yaml").write_text(
            f"deck: {deck}\ntitle: T\ndescription: D\ncards:\n{cards}", "utf-8"
        )
    monkeypatch.setenv("PREPCLI_DECKS", str(old_decks))
    for key in chosen:
        assert run("answer", key, "good").code == 0, key
    monkeypatch.delenv("PREPCLI_DECKS")
    lost = []
    for key in chosen:
        if renames.get(key, key) not in current:  # it would show as "no longer in any deck"
            lost.append(key)
            continue
        shown = run("card", "show", renames.get(key, key), "--json")
        if shown.code != 0 or len(json.loads(shown.out)["history"]) != 1:
            lost.append(key)
    assert lost == []
    assert len(chosen) > 20
