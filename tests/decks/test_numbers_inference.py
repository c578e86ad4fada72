"""Recompute the worked numbers of the inference and quantisation decks.

Each test derives a number from its formula and checks that the card states it, so a
card cannot drift from its own arithmetic.
"""

from __future__ import annotations

import math

import pytest

from tests.decks.support import card_text

INF = "llm-quiz.inference"
QUANT = "llm-quiz.quantization"

KIB = 2**10
MIB = 2**20
GIB = 2**30


def kv_bytes_per_token(layers: int, kv_heads: int, d_head: int, bytes_per_elem: int) -> int:
    """K and V, per layer, per KV head, per head dimension."""
    return 2 * layers * kv_heads * d_head * bytes_per_elem


def expected_tokens(alpha: float, k: int) -> float:
    """Tokens per target pass in speculative decoding (Leviathan et al. 2023, eq. 1)."""
    return (1 - alpha ** (k + 1)) / (1 - alpha)


def has(deck: str, card: str, *texts: str) -> None:
    text = card_text(deck, card)
    for t in texts:
        assert t in text, f"{deck}/{card} should state {t!r}"


# ------------------------------------------------------------------ KV cache
LLAMA2_7B = kv_bytes_per_token(layers=32, kv_heads=32, d_head=128, bytes_per_elem=2)
GQA_8B = kv_bytes_per_token(layers=32, kv_heads=8, d_head=128, bytes_per_elem=2)
LLAMA2_70B = kv_bytes_per_token(layers=80, kv_heads=8, d_head=128, bytes_per_elem=2)


def test_llama2_7b_kv_per_token() -> None:
    assert LLAMA2_7B == 524_288 == 512 * KIB
    has(INF, "kv-cache-llama2-7b-per-token", "512 KiB", "524,288")


def test_llama2_7b_kv_per_sequence() -> None:
    assert 4096 * LLAMA2_7B == 2 * GIB
    assert 16 * 4096 * LLAMA2_7B == 32 * GIB
    has(INF, "kv-cache-llama2-7b-4k-cloze", "2 GiB", "32 GiB")


def test_gqa_kv_per_token() -> None:
    assert GQA_8B == 131_072 == 128 * KIB
    assert LLAMA2_7B // GQA_8B == 4
    mqa = kv_bytes_per_token(layers=32, kv_heads=1, d_head=128, bytes_per_elem=2)
    assert mqa == 16 * KIB
    assert 8192 * GQA_8B == 1 * GIB and 8192 * LLAMA2_7B == 4 * GIB
    assert 32768 * GQA_8B == 4 * GIB and 32768 * LLAMA2_7B == 16 * GIB
    has(INF, "kv-cache-gqa-sizes", "128 KiB", "131,072", "16 KiB", "1 GiB", "4 GiB", "16 GiB")


def test_70b_kv_per_token() -> None:
    assert LLAMA2_70B == 327_680 == 320 * KIB
    assert 4096 * LLAMA2_70B / GIB == 1.25
    mha = kv_bytes_per_token(layers=80, kv_heads=64, d_head=128, bytes_per_elem=2)
    assert mha == 2.5 * MIB and mha // LLAMA2_70B == 8
    has(INF, "kv-cache-70b-per-token", "320 KiB", "327,680", "1.25 GiB", "2.5 MiB", "8×")


def test_kv_outweighs_weights() -> None:
    weights = 6.74e9 * 2  # Llama-2-7B parameters × fp16 bytes
    assert round(weights / 1e9, 1) == 13.5
    per_seq = 4096 * LLAMA2_7B
    assert math.floor(weights / per_seq) + 1 == 7
    has(INF, "kv-cache-what-dominates-memory", "13.5 GB", "about 7", "6.3")


def test_sequences_per_80gb_gpu() -> None:
    per_seq = 4096 * LLAMA2_7B
    n = 60e9 / per_seq
    assert round(n) == 28 and round(n, 1) == 27.9
    assert round(28 * 4096 / 1000) == 115
    has(INF, "kv-cache-sequences-per-gpu", "About 28", "27.9", "115k")


def test_mistral_rolling_buffer() -> None:
    assert 4096 * GQA_8B == 512 * MIB
    assert 32768 * GQA_8B == 4 * GIB
    assert 32768 // 4096 == 8
    has(INF, "mistral-rolling-buffer-memory", "512 MiB", "4 GiB", "8×")


def test_fp8_kv_cache() -> None:
    fp8 = kv_bytes_per_token(layers=32, kv_heads=8, d_head=128, bytes_per_elem=1)
    assert fp8 == 65_536 == 64 * KIB
    assert 131_072 * fp8 == 8 * GIB and 131_072 * GQA_8B == 16 * GIB
    has(INF, "kv-cache-fp8-size", "64 KiB", "65,536", "8 GiB", "16 GiB")


def test_disaggregation_kv_transfer() -> None:
    size = 4096 * LLAMA2_70B
    assert size / GIB == 1.25
    assert round(size / 1e9, 2) == 1.34
    assert round(size / 50e9 * 1000) == 27
    has(INF, "disaggregation-kv-transfer-worked", "1.25 GiB", "1.34 GB", "27 ms")


# ------------------------------------------------------------- Roofline, decode
def test_ridge_points() -> None:
    assert round(312e12 / 2.0e12) == 156
    assert round(989e12 / 3.35e12) == 295
    has(INF, "ridge-point-a100-h100", "156", "295")


def test_prefill_flops_example() -> None:
    flops = 2 * 7e9 * 1000
    assert flops == 14e12
    assert round(flops / 312e12 * 1000) == 45
    has(INF, "prefill-flops-cloze", "14 TFLOP", "45 ms")


def test_decode_bandwidth_bound() -> None:
    weights = 7e9 * 2
    assert round(2e12 / weights) == 143
    assert round(weights / 2e12 * 1000) == 7
    assert round(3.35e12 / weights, -1) == 240
    assert round(14e9 / 312e12 * 1000, 2) == 0.04  # well under the 0.05 ms quoted
    has(INF, "decode-bandwidth-bound-estimate", "143", "7 ms", "240 tokens/s", "14 GB")


def test_decode_compute_is_negligible() -> None:
    assert round(14e9 / 312e12 * 1000, 3) == 0.045
    has(INF, "decode-memory-bound-why", "0.045 ms", "7 ms")


def test_decode_int4_bound() -> None:
    weights = 7e9 * 4.125 / 8
    assert round(weights / 1e9, 2) == 3.61
    assert round(2e12 / weights) == 554
    assert round(7e9 * 2 / weights, 1) == 3.9
    has(INF, "decode-int4-weight-bound", "3.61 GB", "554", "3.9×")


def test_decode_batching_worked() -> None:
    weights = 13.5e9
    kv_per_seq = 1024 * LLAMA2_7B
    assert kv_per_seq == 0.5 * GIB
    b1_step = weights / 2e12
    assert round(b1_step * 1000) == 7 and round(1 / b1_step, -1) == 150
    kv32 = 32 * kv_per_seq
    assert round(kv32 / 1e9, 1) == 17.2
    total = weights + kv32
    assert round(total / 1e9, 1) == 30.7
    step = total / 2e12
    assert round(step * 1000, 1) == 15.3
    assert round(32 / step, -2) == 2100
    has(INF, "decode-batching-worked", "13.5 GB", "17.2 GB", "15.3 ms", "2,100 tokens/s")


def test_tp4_70b_decode() -> None:
    step = 140e9 / (4 * 3.35e12)
    assert round(step * 1000, 1) == 10.4
    assert round(1 / step) == 96
    has(INF, "tp4-70b-decode-worked", "10.4 ms", "96 tokens/s")


# ------------------------------------------------------- Speculative decoding
def test_spec_expected_tokens() -> None:
    assert round(expected_tokens(0.8, 4), 2) == 3.36
    assert round(expected_tokens(0.6, 4), 2) == 2.31
    assert round(1 / (1 - 0.8)) == 5
    assert round(0.8**5, 3) == 0.328
    has(INF, "spec-decoding-expected-worked", "3.36", "2.31", "= 5 tokens", "0.328")


def test_spec_expected_tokens_series() -> None:
    for alpha in (0.3, 0.6, 0.8, 0.95):
        for k in range(1, 8):
            series = sum(alpha**i for i in range(k + 1))
            assert math.isclose(series, expected_tokens(alpha, k))


def test_spec_speedup() -> None:
    alpha, k, c = 0.8, 4, 0.05
    speedup = expected_tokens(alpha, k) / (k * c + 1)
    assert round(k * c + 1, 1) == 1.2
    assert round(speedup, 1) == 2.8
    has(INF, "spec-decoding-speedup-formula", "1.2", "2.8×")


def test_spec_exactness() -> None:
    p = [0.5, 0.3, 0.2]
    q = [0.2, 0.5, 0.3]
    accept = [min(pi, qi) for pi, qi in zip(p, q, strict=False)]
    residual = [max(0.0, pi - qi) for pi, qi in zip(p, q, strict=False)]
    reject = 1 - sum(accept)
    assert math.isclose(reject, sum(residual))
    emitted = [a + reject * r / sum(residual) for a, r in zip(accept, residual, strict=False)]
    assert all(math.isclose(e, pi) for e, pi in zip(emitted, p, strict=False))


# ---------------------------------------------------------------- Quantisation
def test_int8_absmax_example() -> None:
    x = [-0.5, 0.1, 2.0]
    s = 127 / max(abs(v) for v in x)
    assert s == 63.5
    q = [round(s * v) for v in x]
    assert q == [-32, 6, 127]
    xh = [v / s for v in q]
    assert [round(v, 3) for v in xh] == [-0.504, 0.094, 2.0]
    assert round(xh[1], 4) == 0.0945
    assert round(1 / (2 * s), 4) == 0.0079
    has(QUANT, "int8-absmax-worked", "63.5", "[−32, 6, 127]", "[−0.504, 0.0945, 2.0]", "0.0079")


def test_int4_absmax_example() -> None:
    x = [-0.5, 0.1, 2.0]
    s = 7 / 2.0
    q = [round(s * v) for v in x]
    assert q == [-2, 0, 7]
    assert [round(v / s, 3) for v in q] == [-0.571, 0.0, 2.0]
    assert round(63.5 / 3.5) == 18
    has(QUANT, "int4-absmax-worked", "3.5", "[−2, 0, 7]", "[−0.571, 0, 2.0]", "18×")


def test_zero_point_example() -> None:
    x = [-0.5, 0.1, 2.0]
    s = (max(x) - min(x)) / 255
    assert round(s, 4) == 0.0098
    z = round(-min(x) / s)
    assert z == 51
    q = [min(255, max(0, round(v / s) + z)) for v in x]
    assert q == [0, 61, 255]
    assert [round(s * (v - z), 3) for v in q] == [-0.5, 0.098, 2.0]
    assert round(1 / 63.5, 4) == 0.0157
    has(QUANT, "zero-point-worked", "0.0098", "51", "[0, 61, 255]", "0.098")
    has(QUANT, "zero-point-worked", "0.0157")


def test_weight_memory() -> None:
    n = 7e9
    assert [n * b / 8 / 1e9 for b in (16, 8, 4)] == [14, 7, 3.5]
    has(QUANT, "weight-memory-per-parameter", "14 GB", "7 GB", "3.5 GB")


def test_int4_group_checkpoint() -> None:
    assert 4 + 16 / 128 == 4.125
    assert round(7e9 * 4.125 / 8 / 1e9, 2) == 3.61
    assert round(7e9 * 4.25 / 8 / 1e9, 2) == 3.72
    has(QUANT, "int4-g128-checkpoint-size", "4.125", "3.61 GB", "4.25", "3.72 GB")


def test_group_overheads() -> None:
    assert 16 / 128 == 0.125
    assert round(20 / 128, 2) == 0.16
    assert 32 / 128 == 0.25 and 16 / 64 == 0.25 and 16 / 32 == 0.5
    has(QUANT, "group-size-overhead", "0.125", "0.16", "0.25", "0.5 bit")


def test_q4_0_bits() -> None:
    assert (32 * 4 + 16) / 32 == 4.5
    has(QUANT, "llamacpp-q4-0-cloze", "32", "4.5")


def test_70b_memory() -> None:
    assert 70e9 * 2 / 1e9 == 140 and 70e9 / 1e9 == 70
    assert round(70e9 * 4.125 / 8 / 1e9, 1) == 36.1
    has(QUANT, "seventy-b-int4-memory", "140 GB", "70 GB", "36 GB", "36.1 GB")


def test_w4a16_intensity() -> None:
    assert 2 / 2 == 1 and 2 / 0.5 == 4
    has(QUANT, "w4a16-intensity-cloze", "{{c1::1}}", "{{c2::4}}")


def test_rounding_error_rms() -> None:
    # uniform error on [-Δ/2, Δ/2] has variance Δ²/12
    delta = 1.0
    n = 100_000
    var = sum(((i + 0.5) / n * delta - delta / 2) ** 2 for i in range(n)) / n
    assert math.isclose(math.sqrt(var), delta / math.sqrt(12), rel_tol=1e-4)
    has(QUANT, "rounding-error-cloze", "Δ/2", "Δ/√12")


def fp_max(exp_bits: int, man_bits: int, bias: int, top_mantissa: float) -> float:
    return top_mantissa * 2.0 ** ((2**exp_bits - 1) - bias)


def test_fp8_ranges() -> None:
    # E4M3 (bias 7): top exponent still normal, mantissa 110 -> 1.75 (111 is NaN)
    assert fp_max(4, 3, 7, 1.75) == 448
    # E5M2 (bias 15): top exponent is inf/NaN, so the largest exponent is 30 - 15
    assert 1.75 * 2.0 ** (30 - 15) == 57_344
    # E4M3 with IEEE-style specials would stop at exponent 14 - 7, mantissa 1.875
    assert 1.875 * 2.0 ** (14 - 7) == 240
    assert 2.0**-6 == 0.015625 and 2.0**-9 == 0.001953125
    assert round(2.0**-14, 7) == 6.1e-5 and round(2.0**-16, 6) == 1.5e-5
    has(QUANT, "fp8-max-values-cloze", "448", "57,344", "2^−6", "2^−9", "6.1e−5", "1.5e−5")
    has(QUANT, "fp8-e4m3-no-infinity", "448", "240")


def test_fp8_relative_spacing() -> None:
    assert 2.0**-3 == 0.125 and 2.0**-2 == 0.25
    assert round(1 / 127 * 100, 1) == 0.8
    has(QUANT, "fp8-relative-precision-cloze", "12.5%", "25%", "0.8%")


def test_microscaling_bits() -> None:
    assert 4 + 8 / 32 == 4.25 and 8 + 8 / 32 == 8.25 and 4 + 8 / 16 == 4.5
    has(QUANT, "mxfp4-bits-cloze", "4.25", "8.25")
    has(QUANT, "nvfp4-vs-mxfp4", "4.5 bits", "16 elements", "32")


def test_e2m1_values() -> None:
    values = set()
    for e in range(4):
        for m in range(2):
            if e == 0:
                values.add(m * 0.5)  # subnormal: 2^(1-bias) * m/2 with bias 1
            else:
                values.add(2.0 ** (e - 1) * (1 + m / 2))
    assert sorted(values) == [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    assert 2 * len(values) - 1 == 15  # ±, with one zero
    has(QUANT, "fp4-e2m1-values", "0, 0.5, 1, 1.5, 2, 3, 4 and 6", "15 distinct")


def test_bitnet_bits() -> None:
    assert round(math.log2(3), 2) == 1.58
    has(QUANT, "bitnet-ternary-cloze", "1.58")


@pytest.mark.parametrize(
    ("card", "numbers"),
    [
        # AWQ (Lin et al. 2024) Table 4, WikiText-2 perplexity: the audit-fixed facts.
        ("rtn-vs-gptq-awq-by-bits", ["3.67", "3.66", "3.62", "3.53", "5.73", "5.69", "5.60"]),
        ("int3-g128-results", ["6.66", "6.43", "6.24", "5.47"]),
        # GPTQ (Frantar et al. 2023) Table 3/5, OPT-175B per-row quantisation.
        ("per-row-rtn-collapse", ["7,300", "8.68", "8.34", "10.54", "8.37"]),
    ],
)
def test_paper_results_stated(card: str, numbers: list[str]) -> None:
    has(QUANT, card, *numbers)


def test_awq_gap_closed_at_int4() -> None:
    fp16, rtn, awq = 5.47, 5.73, 5.60
    assert round(rtn - fp16, 2) == 0.26
    assert 0.45 < (rtn - awq) / (rtn - fp16) < 0.55  # "about half"
    has(QUANT, "rtn-vs-gptq-awq-by-bits", "0.26", "about half")
