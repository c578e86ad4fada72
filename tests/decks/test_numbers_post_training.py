"""Recompute the worked numbers quoted in the llm-quiz.post-training deck."""

from __future__ import annotations

import math
import statistics

from tests.decks.support import card_text

DECK = "llm-quiz.post-training"


def text(card_id: str) -> str:
    return card_text(DECK, card_id)


def commas(n: int) -> str:
    return f"{n:,}"


def test_grpo_group_advantages() -> None:
    rewards = [1, 0, 0, 0]
    mean = statistics.fmean(rewards)
    pop_std = statistics.pstdev(rewards)
    sample_std = statistics.stdev(rewards)  # Bessel-corrected, like torch .std()
    t = text("grpo-advantage-worked")
    assert f"{mean:.2f}" in t
    assert f"{pop_std:.3f}" in t
    assert f"{(1 - mean) / pop_std:.2f}" in t  # 1.73
    assert f"{abs(0 - mean) / pop_std:.2f}" in t  # 0.58
    assert sample_std == 0.5 and "0.5" in t
    assert f"{(1 - mean) / sample_std:.1f}" in t  # 1.5
    assert math.isclose(sum((r - mean) / pop_std for r in rewards), 0.0, abs_tol=1e-12)


def test_best_of_n_kl() -> None:
    t = text("best-of-n-kl")
    for n, shown in [(4, 2), (16, 2)]:
        kl = math.log(n) - (n - 1) / n
        assert f"{kl:.{shown}f}" in t
    assert "0.9375" in t  # (16 - 1) / 16


def test_clip_higher_ratio_caps() -> None:
    t = text("dapo-clip-higher")
    p_old = 0.01
    assert f"{p_old * (1 + 0.2):.3f}" in t  # 0.012
    assert f"{p_old * (1 + 0.28):.4f}" in t  # 0.0128


def softmax(logits: list[float], temperature: float) -> list[float]:
    exps = [math.exp(z / temperature) for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


def test_distillation_temperature() -> None:
    t = text("kd-temperature-worked")
    logits = [2.0, 1.0, 0.0]
    for temperature in (1.0, 2.0):
        for p in softmax(logits, temperature):
            assert f"{p:.3f}" in t
        total = sum(math.exp(z / temperature) for z in logits)
        assert f"{total:.3f}" in t


def test_dare_rescale() -> None:
    p = 0.9
    assert round(1 / (1 - p)) == 10
    assert "multiplied by 10" in text("dare-drop-rescale")


def test_slerp_vs_lerp_norm() -> None:
    t = text("slerp-merge")
    omega = math.pi / 2  # orthogonal unit vectors
    w = math.sin(0.5 * omega) / math.sin(omega)
    assert f"{w:.3f}" in t  # 0.707
    assert math.isclose(math.hypot(w, w), 1.0)
    assert f"{math.hypot(0.5, 0.5):.3f}" in t  # 0.707 for linear interpolation


def patches(side: int, patch: int) -> int:
    return (side // patch) ** 2


def test_vit_token_counts() -> None:
    t = text("vit-token-count-cloze")
    assert patches(224, 16) == 196 and "196" in t and "197" in t
    t = text("vit-tokens-vs-resolution")
    assert commas(patches(336, 14)) in t
    assert commas(patches(672, 14)) in t  # 2,304
    assert patches(672, 14) / patches(336, 14) == 4
    assert "16×" in t  # (4x tokens) squared for attention


def test_llava_tokens() -> None:
    t = text("llava-visual-tokens")
    assert str(patches(336, 14)) in t and str(patches(224, 14)) in t  # 576, 256


def test_anyres_tokens() -> None:
    t = text("anyres-token-count")
    views = 2 * 2 + 1
    total = views * patches(336, 14)
    assert commas(total) in t  # 2,880
    assert f"{round(100 * total / 32768)}%" in t  # ~9% of a 32K window


def test_internvl_pixel_shuffle() -> None:
    t = text("pixel-shuffle-tokens")
    per_tile = patches(448, 14)
    assert commas(per_tile) in t  # 1,024
    shuffled = per_tile // 4
    assert str(shuffled) in t  # 256
    assert commas(13 * shuffled) in t  # 3,328
    assert commas(13 * per_tile) in t  # 13,312


def test_qwen2vl_tokens() -> None:
    t = text("qwen2vl-token-count")
    assert commas(patches(448, 14)) in t  # 1,024
    assert str(patches(448, 28)) in t  # 256: one token per 28x28 pixels
    assert str(patches(224, 28)) in t and str(patches(224, 28) + 2) in t  # 64, 66
