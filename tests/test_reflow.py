"""Card text reflows to the terminal: soft breaks joined, deliberate ones and blocks kept."""

from __future__ import annotations

import io

from prepcli.core.models import Rating
from prepcli.core.rubric import suggested_rating
from prepcli.ui import render
from prepcli.ui.reflow import reflow

FILLED = (
    "The dot product of two random vectors with unit-variance entries has\n"
    "variance d_k; scaling keeps the softmax out of saturation."
)


def shown(text: str, width: int) -> list[str]:
    out = io.StringIO()
    render.console(file=out, width=width).print(render.markdown(text))
    return [line.rstrip() for line in out.getvalue().splitlines()]


def test_a_filled_paragraph_is_joined_and_wraps_once_at_60_columns() -> None:
    assert reflow(FILLED) == FILLED  # no hard break added: Markdown joins the lines
    assert shown(FILLED, 60) == [
        "The dot product of two random vectors with unit-variance",
        "entries has variance d_k; scaling keeps the softmax out of",
        "saturation.",
    ]


def test_a_filled_paragraph_uses_a_wide_terminal() -> None:
    assert shown(FILLED, 200) == [
        "The dot product of two random vectors with unit-variance entries has variance d_k; "
        "scaling keeps the softmax out of saturation."
    ]


def test_breaks_the_author_made_on_purpose_are_kept() -> None:
    text = (
        "Arms: bf16 reference, int8, int4 AWQ and int4 GPTQ (same group size); identical\n"
        "prompts, chat template, greedy decoding.\n"
        "Data: a parallel benchmark so language is the only change.\n"
        "Cost side: memory, tokens/s, latency per configuration."
    )
    assert shown(text, 120) == [
        "Arms: bf16 reference, int8, int4 AWQ and int4 GPTQ (same group size); identical prompts, "
        "chat template, greedy decoding.",
        "Data: a parallel benchmark so language is the only change.",
        "Cost side: memory, tokens/s, latency per configuration.",
    ]


def test_short_lines_laid_out_one_by_one_stay_so() -> None:
    text = "Line one of the note.\nLine two of the note.\nLine three, a longer one, of the note."
    assert shown(text, 100) == text.split("\n")


def test_a_break_mid_sentence_is_soft_even_when_the_next_word_would_fit() -> None:
    text = "Write-back writes the cache and flushes later: fast writes, but data\nis lost."
    assert shown(text, 100) == [text.replace("\n", " ")]


def test_paragraphs_lists_code_and_formulas_are_kept() -> None:
    text = (
        "Steps for n queries:\n"
        "1. Scale the logits by the square root of the head\n"
        "   size, so they keep unit variance.\n"
        "2. Softmax along the keys.\n"
        "After the list.\n"
        "\n"
        "$a = b + c$\n"
        "The formula above.\n"
        "```python\n"
        "x = 1\n"
        "y = 2\n"
        "```"
    )
    assert shown(text, 100) == [
        "Steps for n queries:",
        "",
        " 1 Scale the logits by the square root of the head size, so they keep unit variance.",
        " 2 Softmax along the keys.",
        "",
        "After the list.",
        "",
        "a = b + c",
        "The formula above.",
        "",
        "",
        " x = 1",
        " y = 2",
        "",
    ]


def test_the_rubric_suggests_a_rating_from_the_share_ticked() -> None:
    assert suggested_rating(0, 0) is None
    assert suggested_rating(1, 3) == Rating.AGAIN
    assert suggested_rating(2, 3) == Rating.HARD
    assert suggested_rating(4, 5) == Rating.GOOD
    assert suggested_rating(3, 3) == Rating.EASY
    assert suggested_rating(3, 3, over_time=True) == Rating.GOOD
