"""The bundled decks: they load, their ids are pinned, and their coding tests really test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prepcli.core.cards import CardDef, Kind
from prepcli.files.decks import load_decks
from prepcli.storage import paths

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
