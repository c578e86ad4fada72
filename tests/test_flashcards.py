"""The flashcard format: an answer to recall with its explanation set apart, cloze
deletions scheduled one by one, tiers, history that follows a card into another deck, and
the lint rules that keep cards atomic."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from prepcli.core.cards import Kind, Tier
from prepcli.files.decks import load_decks
from tests.conftest import DATA, SAMPLE_DECKS, Result, rows

Run = Callable[..., Result]
ATOMIC = DATA / "atomic_decks" / "flashcards.yaml"


def test_a_cloze_card_is_one_item_per_deletion() -> None:
    decks = load_decks([ATOMIC])
    first, second = (decks.by_key[f"lint.atomic/softmax-scaling.c{n}"] for n in (1, 2))
    assert (first.kind, first.cloze, first.note_id) == (Kind.CLOZE, 1, "softmax-scaling")
    assert first.front == (
        "Attention divides its logits by **[a square root…]** so that their\n"
        "variance stays near 1.\n"
    )
    assert first.back == (
        "Attention divides its logits by **$\\sqrt{d_k}$** so that their\nvariance stays near 1.\n"
    )
    assert second.front.endswith("variance stays near **[…]**.\n")
    assert second.back.endswith("variance stays near **1**.\n")
    assert (
        first.explain
        == second.explain
        == "A dot product of d_k unit-variance terms has variance d_k.\n"
    )
    # History from an old id moves to the first deletion only.
    # ...and so does history from before the card became a cloze card (its own id).
    assert first.formerly == ("old-scaling", "other.deck/scaling", "softmax-scaling")
    assert second.formerly == ()
    assert decks.renames() == {
        "lint.atomic/old-scaling": "lint.atomic/softmax-scaling.c1",
        "other.deck/scaling": "lint.atomic/softmax-scaling.c1",
        "lint.atomic/softmax-scaling": "lint.atomic/softmax-scaling.c1",
        "lint.atomic/long-deletion": "lint.atomic/long-deletion.c1",
    }


def test_tier_defaults_to_core() -> None:
    decks = load_decks([ATOMIC])
    assert decks.by_key["lint.atomic/answer-and-why"].tier == Tier.EXTENDED
    assert decks.by_key["lint.atomic/essay"].tier == Tier.CORE


def test_the_lint_rules_that_keep_cards_atomic(run: Run) -> None:
    result = run("deck", "lint", "--strict", str(ATOMIC))
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{ATOMIC}:30:12: warning: front asks more than one question: split it into cards",
        f"{ATOMIC}:35:12: warning: front asks two things ('… and why/how …'): split it into cards",
        f"{ATOMIC}:41:11: warning: 'back' is 44 words: keep the answer to recall to 40 and move "
        "the rest to 'explain' (or list 'points')",
        f"{ATOMIC}:58:11: warning: placeholder text 'TODO' in 'back'",
        f"{ATOMIC}:63:24: warning: cloze deletion c1 hides more than 12 words: hide one fact",
        f"{ATOMIC}:72:12: warning: front is a near-duplicate of lint.atomic/cyrillic "
        f"({ATOMIC}:65; 100% of their words shared)",
        "1 file, 1 deck, 11 cards: 0 errors, 6 warnings.",
    ]


def test_preview_sets_the_explanation_apart_and_blanks_the_deletion(run: Run) -> None:
    result = run("deck", "preview", f"{ATOMIC}#softmax-scaling")
    assert result.code == 0, result.err
    screens = result.out.split("\n\n")
    assert len(screens) == 2  # one per deletion
    first = screens[0].splitlines()
    assert first[0].startswith("lint.atomic/softmax-scaling.c1  ·  cloze  ·  new")
    # The authored line break is a soft one: the sentence reflows to the 80 columns.
    assert [line.rstrip() for line in first[2:4]] == [
        "Attention divides its logits by [a square root…] so that their variance stays",
        "near 1.",
    ]
    answer = first.index(next(line for line in first if "─ answer ─" in line))
    assert (
        first[answer + 1].rstrip()
        == "Attention divides its logits by √dₖ so that their variance stays near 1."
    )
    assert "┄ why ┄" in first[answer + 2]
    assert (
        first[answer + 3].rstrip() == "A dot product of d_k unit-variance terms has variance d_k."
    )


def test_next_json_carries_tier_and_explanation(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "flashcards.yaml").write_text(ATOMIC.read_text("utf-8"), "utf-8")
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    shown = json.loads(run("next", "--json").out)
    assert (shown["card"], shown["tier"]) == ("lint.atomic/softmax-scaling.c1", "core")
    assert shown["explain"] == "A dot product of d_k unit-variance terms has variance d_k.\n"


@pytest.mark.usefixtures("sample_decks")
def test_a_card_merged_into_another_deck_keeps_its_history(
    run: Run, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merging near-duplicates across decks: the surviving card names the other's key."""
    assert run("answer", "sample.basics/kv-cache", "easy").code == 0
    decks = tmp_path / "merged"
    decks.mkdir()
    basics = (SAMPLE_DECKS / "basics.yaml").read_text("utf-8")
    start, end = basics.index("  - id: kv-cache\n"), basics.index("  - id: conflict-story\n")
    (decks / "basics.yaml").write_text(basics[:start] + basics[end:], "utf-8")
    (decks / "atomic.yaml").write_text(
        ATOMIC.read_text("utf-8").replace(
            "formerly: [old-scaling, other.deck/scaling]", "formerly: [sample.basics/kv-cache]"
        ),
        "utf-8",
    )
    monkeypatch.setenv("PREPCLI_DECKS", str(decks))
    shown = json.loads(run("card", "show", "lint.atomic/softmax-scaling.c1", "--json").out)
    assert len(shown["history"]) == 1
    assert ("sample.basics/kv-cache",) not in rows(db_path, "SELECT key FROM card")


def test_a_concept_card_still_needs_a_back(tmp_path: Path, run: Run) -> None:
    deck = tmp_path / "d.yaml"
    deck.write_text(
        "deck: t.d\ntitle: T\ndescription: D\ncards:\n"
        "  - id: a\n    kind: concept\n    front: Q {{c1::x}}\n",
        "utf-8",
    )
    result = run("deck", "lint", str(deck))
    assert result.out.splitlines() == [
        f"{deck}:5:5: warning: card has no source: give it a 'source' or give the deck 'sources'",
        f"{deck}:5:5: error: card is missing required key 'back'",
        "1 file, 1 deck, 1 card (1 with errors): 1 error, 1 warning.",
    ]
