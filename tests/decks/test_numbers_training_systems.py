"""Recompute the worked numbers of the training-systems deck.

Each test derives a number from the formula a card teaches and checks that the card states it,
so the cards cannot drift from their own arithmetic.
"""

from __future__ import annotations

import math

from tests.decks.support import card_text

DECK = "llm-quiz.training-systems"


def has(card: str, *texts: str) -> None:
    text = card_text(DECK, card)
    for t in texts:
        assert t in text, f"{DECK}/{card} should state {t!r}"


def ring_bytes_per_gpu(n_bytes: float, n: int) -> float:
    """Bytes each rank sends in a ring all-reduce (reduce-scatter + all-gather)."""
    return 2 * (n - 1) / n * n_bytes


# ------------------------------------------------------------------ collectives
def test_ring_allreduce_7b_over_nvlink_and_infiniband():
    grads = 7e9 * 2  # bf16 gradients, bytes
    sent = ring_bytes_per_gpu(grads, 8)
    assert sent == 24.5e9
    assert round(sent / 450e9 * 1000) == 54  # ms over NVLink (450 GB/s per direction)
    assert round(sent / 50e9, 2) == 0.49  # s over one 400 Gb/s NIC
    assert round(450 / 50) == 9
    has("ring-allreduce-worked-7b", "24.5 GB", "54 ms", "0.49 s", "9×")


def test_nvlink_vs_infiniband_units():
    assert 900 / 2 == 450  # bidirectional -> per direction
    assert 400 / 8 == 50  # Gb/s -> GB/s
    has("nvlink-vs-infiniband-bandwidth", "900 GB/s", "450 GB/s", "400 Gb/s", "50 GB/s", "9×")


# ------------------------------------------------------------------ ZeRO
def test_mixed_precision_adam_bytes():
    assert 2 + 2 + 12 == 16
    has("mixed-precision-adam-16-bytes", "{{c1::2}}", "{{c2::2}}", "{{c3::12}}", "{{c4::16}}")


def test_zero_stages_7_5b_on_64_gpus():
    psi, n = 7.5e9, 64
    dp = 16 * psi / 1e9
    z1 = (4 * psi + 12 * psi / n) / 1e9
    z2 = (2 * psi + 14 * psi / n) / 1e9
    z3 = 16 * psi / n / 1e9
    assert (round(dp), round(z1, 1), round(z2, 1), round(z3, 1)) == (120, 31.4, 16.6, 1.9)
    has("zero-memory-worked-7-5b", "120 GB", "31.4 GB", "16.6 GB", "1.9 GB")


def test_zero3_70b_on_64_gpus():
    total = 16 * 70e9 / 1e9
    assert total == 1120
    assert total / 64 == 17.5
    assert total / 8 == 140
    assert total / 32 == 35
    assert round(70e9 * 2 / 80 / 1e9, 2) == 1.75
    has("zero3-worked-70b", "17.5 GB", "1,120 GB", "140 GB", "35 GB", "1.75 GB")


def test_zero_communication_ratio():
    assert 3 / 2 == 1.5
    has("zero-communication-volume", "2Ψ", "3Ψ", "1.5×")


# ------------------------------------------------------------------ activation memory
def korthikanti(s: int, b: int, h: int, a: int, t: int = 1, sp: bool = False) -> float:
    sbh = s * b * h
    if t == 1:
        return sbh * (34 + 5 * a * s / h)
    if sp:
        return sbh / t * (34 + 5 * a * s / h)
    return sbh * (10 + 24 / t + 5 * a * s / (h * t))


def test_activation_memory_worked():
    s, b, h, a = 2048, 1, 4096, 32
    assert 5 * a * s / h == 80
    assert round(korthikanti(s, b, h, a) / 1e6) == 956
    assert round(korthikanti(s, b, h, a, t=8) / 1e6) == 193
    assert round(korthikanti(s, b, h, a, t=8, sp=True) / 1e6) == 120
    assert round(2 * s * b * h / 1e6) == 17
    assert round(32 * korthikanti(s, b, h, a) / 1e9, 1) == 30.6
    has("activation-memory-worked", "956 MB", "193 MB", "120 MB", "17 MB", "114", "30.6 GB")


def test_flashattention_activation_saving():
    s, b, h, _a = 2048, 1, 4096, 32
    sbh = s * b * h
    assert sbh == 8_388_608
    assert 34 * sbh == 285_212_672
    assert 114 * sbh == 956_301_312
    assert round(80 / 114 * 100) == 70
    has("flashattention-activation-saving", "285 MB", "956 MB", "70%", "285,212,672", "956,301,312")


def test_recomputation_flops():
    assert round((8 - 6) / 6 * 100) == 33
    has("recompute-flops-cloze", "{{c1::6N}}", "{{c2::8N}}", "{{c3::33%}}")


# ------------------------------------------------------------------ pipeline
def bubble(p: int, m: int) -> float:
    return (p - 1) / (m + p - 1)


def test_pipeline_bubble_worked():
    assert round(bubble(8, 32) * 100, 1) == 17.9
    assert round(bubble(8, 64) * 100, 1) == 9.9
    has("pipeline-bubble-worked", "7/39", "17.9%", "7/71", "9.9%")


def test_pipeline_bubble_relative_to_ideal():
    p, m, v = 8, 32, 2
    assert round((p - 1) / m * 100, 1) == 21.9
    assert round((p - 1) / (v * m) * 100, 1) == 10.9
    has("pipeline-bubble-ideal-ratio", "21.9%", "17.9%", "10.9%")


# ------------------------------------------------------------------ efficiency
def test_mfu_worked():
    achieved = 6 * 7e9 * 10_000
    assert achieved == 4.2e14
    assert round(achieved / 989e12 * 100, 1) == 42.5
    has("mfu-worked-7b", "42.5%", "4.2e14")


def test_gemm_intensity_and_ridge():
    n = 4096
    intensity = 2 * n**3 / (6 * n**2)
    assert math.floor(intensity) == 1365
    assert round(989e12 / 3.35e12) == 295
    has("gemm-intensity-worked", "1,365", "295")


# ------------------------------------------------------------------ context parallelism
def test_ring_attention_overlap_condition():
    assert round(989e12 / 450e9) == 2198  # tokens per device over NVLink
    assert round(989e12 / 50e9) == 19780  # over 50 GB/s InfiniBand
    assert round(312e12 / 300e9) == 1040  # A100 over NVLink, the paper's ≈1K
    has("ring-attention-overlap-condition", "2.2K", "19.8K", "1K")


# ------------------------------------------------------------------ optimisers and μP
def test_adafactor_state_count():
    rows, cols = 4096, 11008
    assert rows * cols == 45_088_768
    assert rows + cols == 15_104
    assert round(rows * cols / (rows + cols)) == 2985
    has("adafactor-worked", "45,088,768", "15,104", "3,000×")


def test_optimizer_state_bytes_7b():
    assert 7e9 * 8 / 1e9 == 56
    assert 7e9 * 4 / 1e9 == 28
    has("optimizer-state-bytes", "56 GB", "28 GB")


def test_mup_hidden_lr_transfer():
    lr = 1e-2 * 256 / 4096
    assert math.isclose(lr, 6.25e-4)
    has("mup-worked-lr", "6.25e-4", "1/16")


# ------------------------------------------------------------------ deduplication
def lsh_candidate_prob(s: float, bands: int, rows: int) -> float:
    return 1 - (1 - s**rows) ** bands


def test_fineweb_minhash_probabilities():
    got = [lsh_candidate_prob(s, 14, 8) for s in (0.7, 0.75, 0.8, 0.85)]
    assert [round(p * 100) for p in got[:3]] == [56, 77, 92]
    assert round(got[3] * 100, 1) == 98.8
    assert round((1 / 14) ** (1 / 8), 2) == 0.72
    assert round(0.75**8, 4) == 0.1001
    assert round((1 - 0.75**8) ** 14, 3) == 0.228
    has("fineweb-minhash-worked", "56%", "77%", "92%", "98.8%", "0.72", "0.1001", "0.228")
