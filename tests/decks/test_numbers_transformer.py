"""Recompute the worked numbers of the transformer-internals deck (llm-quiz.transformer).

Each test derives a number from its formula (parameter counts, KV sizes, FLOPs, complexity,
RoPE and routing arithmetic) and checks that the card states it, so the cards cannot drift
from the arithmetic.
"""

from __future__ import annotations

import math

from tests.decks.support import card_text

DECK = "llm-quiz.transformer"

KIB = 1024
MIB = 1024**2
GIB = 1024**3

# Mistral 7B / Mixtral 8x7B shapes (Jiang et al. 2023, 2024)
D = 4096
LAYERS = 32
N_HEADS = 32
N_KV = 8
D_HEAD = 128
D_FF = 14_336
VOCAB = 32_000


def has(card: str, *texts: str) -> None:
    text = card_text(DECK, card)
    for t in texts:
        assert t in text, f"{DECK}/{card} should state {t!r}"


def millions(x: float) -> str:
    return f"{x / 1e6:.1f}M"


def billions(x: float, digits: int = 1) -> str:
    return f"{x / 1e9:.{digits}f}B"


def gqa_attention_params() -> int:
    return 2 * D * D + 2 * D * N_KV * D_HEAD


def swiglu_params(d: int = D, d_ff: int = D_FF) -> int:
    return 3 * d * d_ff


def test_head_dims() -> None:
    assert 512 // 8 == 64 and 4096 // 32 == 128
    has("mha-head-dim-worked", "{{c1::64}}", "{{c2::128}}")


def test_mha_parameter_count() -> None:
    assert round(4 * 512**2 / 1e6, 2) == 1.05
    has("mha-parameter-count", "`4·d²`", "1.05M", millions(4 * 4096**2))
    assert millions(4 * 4096**2) == "67.1M"


def test_output_projection_params() -> None:
    assert millions(4096**2) == "16.8M"
    has("mha-output-projection", "16.8M")


def test_gqa_attention_params() -> None:
    gqa = gqa_attention_params()
    mha = 4 * D * D
    assert millions(gqa) == "41.9M"
    saving = 1 - gqa / mha
    assert math.isclose(saving, 0.375)
    has("gqa-attention-param-count", "41.9M", "37.5%", "67.1M", "16.78M", "4.19M")


def test_attention_logit_std() -> None:
    assert math.sqrt(64) == 8
    assert f"{math.sqrt(128):.1f}" == "11.3"
    has("attention-logit-std-worked", "{{c1::8}}", "11.3")


def test_softmax_saturation() -> None:
    odds = math.exp(8)
    assert round(odds) == 2981
    p = odds / (odds + 1)
    assert f"{p:.4f}" == "0.9997"
    has("softmax-saturation-worked", "2981", "0.9997", "0.99966")
    assert f"{p:.5f}" == "0.99966"
    q = math.e / (math.e + 1)
    assert f"{q:.2f}" == "0.73"
    has("softmax-saturation-worked", "0.73")


def test_teacher_forcing_targets() -> None:
    has("causal-mask-teacher-forcing", "4,096-token", "4,095 targets")


def test_gpt2_position_table() -> None:
    assert f"{1024 * 768 / 1e6:.2f}" == "0.79"
    has("learned-absolute-pe", "0.79M")


def test_rope_longest_wavelength() -> None:
    d_h, base = 128, 10_000
    i = d_h // 2 - 1
    wavelength = 2 * math.pi * base ** (2 * i / d_h)
    assert 54_000 < wavelength < 55_000
    assert round(base ** (126 / 128)) == 8660
    has("rope-longest-wavelength-worked", "54k", "8,660", "126/128")


def test_position_interpolation_scale() -> None:
    assert 32_768 / 2_048 == 16
    has("pi-llama-worked", "2,048", "32,768", "s = 16", "1,000")


def test_ntk_aware_base() -> None:
    d_h, base, s = 128, 10_000, 4
    new_base = base * s ** (d_h / (d_h - 2))
    assert round(new_base, -1) == 40_890
    # slowest pair is slowed by exactly s, fastest pair unchanged
    slow_old = base ** (-(d_h - 2) / d_h)
    slow_new = new_base ** (-(d_h - 2) / d_h)
    assert math.isclose(slow_old / slow_new, s)
    has("rope-ntk-aware", "40,890", "s^(d_h/(d_h−2))")


def test_yarn_temperature() -> None:
    root = 0.1 * math.log(16) + 1
    assert f"{root:.3f}" == "1.277"
    assert f"{root**2:.2f}" == "1.63"
    has("yarn-temperature", "0.1·ln(s) + 1", "1.63", "1.277", "1.631")


def test_alibi_slopes() -> None:
    n = 8
    slopes = [2 ** (-8 / n * (h + 1)) for h in range(n)]
    assert slopes[0] == 0.5 and slopes[-1] == 1 / 256
    has("alibi-slopes", "1/2, 1/4, …, 1/256")


def test_mla_kv_elements() -> None:
    n_h, d_h, d_c, d_r, layers = 128, 128, 512, 64, 60
    mla = d_c + d_r
    mha = 2 * n_h * d_h
    assert mla == 576 and mha == 32_768
    assert f"{mla / mha:.1%}" == "1.8%"
    assert round(mha / mla) == 57
    assert mla / (2 * d_h) == 2.25
    per_token_bytes = mla * layers * 2
    assert mla * layers == 34_560
    assert per_token_bytes / KIB == 67.5
    assert mha * layers * 2 / MIB == 3.75
    has(
        "mla-deepseek-v2-worked",
        "576",
        "32,768",
        "1.8%",
        "57×",
        "2.25",
        "34,560",
        "67.5 KiB",
        "3.75 MiB",
    )


def test_mla_formula_card() -> None:
    has("mla-kv-per-token-formulas", "2·n_h·d_h", "2·n_g·d_h", "d_c + d_h^R")


def test_swiglu_hidden_size() -> None:
    d = 4096
    exact = 2 / 3 * 4 * d
    assert f"{exact:.1f}" == "10922.7"
    rounded = math.ceil(exact / 256) * 256
    assert rounded == 11_008 == 43 * 256
    has("swiglu-llama-11008", "10,922.7", "11,008", "43 · 256")
    # 3 matrices of d x 8d/3 equal 8 d^2
    assert math.isclose(3 * d * (8 * d / 3), 8 * d * d)


def test_mistral_ffn() -> None:
    ffn = swiglu_params()
    assert ffn == 176_160_768 and millions(ffn) == "176.2M"
    layer = ffn + gqa_attention_params()
    assert millions(layer) == "218.1M"
    assert round(ffn / layer, 2) == 0.81
    assert D_FF / D == 3.5
    has("mistral-ffn-worked", "176.2M", "81%", "218.1M", "3.5·d")


def test_mistral_total() -> None:
    per_layer = swiglu_params() + gqa_attention_params()
    blocks = LAYERS * per_layer
    emb = 2 * VOCAB * D
    norms = (2 * LAYERS + 1) * D
    total = blocks + emb + norms
    assert billions(blocks, 2) == "6.98B"
    assert billions(emb, 2) == "0.26B"
    assert billions(total, 2) == "7.24B"
    assert f"{norms / 1e6:.2f}" == "0.27"
    assert round(LAYERS * swiglu_params() / total, 2) == 0.78
    has("mistral-7b-param-total", "7.24B", "6.98B", "0.26B", "0.27M", "78%")


def test_12ld2_rule_gpt3() -> None:
    n = 12 * 96 * 12_288**2
    assert round(n / 1e9) == 174
    assert abs(n / 175e9 - 1) < 0.01
    assert f"{50_257 * 12_288 / 1e9:.1f}" == "0.6"
    has("gpt3-param-worked", "174B", "0.6B")
    has("decoder-param-count-12ld2", "12·L·d²", "4d²", "8d²")


def test_mixtral_params() -> None:
    expert = swiglu_params()
    experts = 8 * expert * LAYERS
    attn = gqa_attention_params() * LAYERS
    emb = 2 * VOCAB * D
    router = D * 8 * LAYERS
    norms = (2 * LAYERS + 1) * D
    total = experts + attn + emb + router + norms
    assert billions(experts) == "45.1B"
    assert billions(attn, 2) == "1.34B"
    assert billions(total) == "46.7B"
    assert round(router / 1e6) == 1
    has("mixtral-param-count", "176.2M", "45.1B", "1.34B", "0.26B", "46.7B")

    active = 2 * expert * LAYERS + attn + emb + router + norms
    assert billions(2 * expert * LAYERS) == "11.3B"
    assert billions(active) == "12.9B"
    assert round(total * 2 / 1e9) == 93
    has("mixtral-active-params", "12.9B", "11.3B", "93 GB")


def test_capacity_factor() -> None:
    t, e, k, cf = 4096, 8, 2, 1.25
    assert cf * k * t / e == 1280
    assert k * t / e == 1024
    has("capacity-worked", "1,280", "1,024")
    has("capacity-factor-token-dropping", "CF · k · T / E")


def test_switch_aux_loss_values() -> None:
    n = 4
    uniform = n * sum((1 / n) * (1 / n) for _ in range(n))
    collapsed = n * (1.0 * 0.7)
    assert math.isclose(uniform, 1.0) and math.isclose(collapsed, 2.8)
    has("switch-aux-minimum-worked", "1.0", "2.8")


def test_fine_grained_combinations() -> None:
    assert math.comb(16, 2) == 120
    assert math.comb(64, 8) == 4_426_165_368
    has("fine-grained-combinations-worked", "{{c1::120}}", "{{c2::4,426,165,368}}")


def test_deepseek_v3_active_share() -> None:
    assert f"{37 / 671:.1%}" == "5.5%"
    has("deepseek-v3-moe-config", "671B", "37B", "5.5%", "256", "8 routed")


def test_swa_receptive_field() -> None:
    assert 32 * 4096 == 131_072
    assert 16_384 / 4096 == 4
    has("swa-receptive-field", "131k", "32 × 4,096")


def test_attention_score_memory() -> None:
    n, heads = 32_768, 32
    assert n * n == 2**30
    assert heads * n * n * 2 == 64 * GIB
    has("attention-score-memory-worked", "64 GiB", "2³⁰", "2³⁶")


def test_attention_ffn_crossover() -> None:
    d = 4096
    # 4 n^2 d == 24 n d^2  <=>  n == 6 d
    n = 6 * d
    assert 4 * n * n * d == 24 * n * d * d
    assert f"{n / 1000:.1f}k" == "24.6k"
    has("attention-vs-ffn-flops", "6·d", "24.6k", "n / (6d)")
    has("layer-flops-terms", "8·n·d²", "16·n·d²", "4·n²·d")


def test_linear_attention_state() -> None:
    d = 128
    state = d * d
    per_token = 2 * d
    assert state == 16_384 and per_token == 256
    assert state // per_token == 64
    has("linear-attention-state-worked", "64 tokens", "16,384", "256")


def test_ssm_state_vs_kv_cache() -> None:
    layers, d_model, expand, n_state = 64, 2560, 2, 16
    elements = layers * d_model * expand * n_state
    assert elements == 5_242_880
    assert elements * 2 == 10 * MIB
    kv_per_token = 2 * LAYERS * N_KV * D_HEAD * 2
    assert kv_per_token == 128 * KIB
    assert kv_per_token * 32_768 == 4 * GIB
    has("ssm-state-size-worked", "10 MiB", "5.24M", "5,120", "128 KiB", "4 GiB", "32,768")


def test_jamba_vs_mixtral_kv() -> None:
    tokens = 256 * 1024
    mixtral = 2 * 32 * N_KV * D_HEAD * 2
    jamba = 2 * 4 * N_KV * D_HEAD * 2
    assert mixtral == 128 * KIB and jamba == 16 * KIB
    assert mixtral * tokens == 32 * GIB and jamba * tokens == 4 * GIB
    assert tokens == 262_144
    has("jamba-kv-worked", "4 GiB", "32 GiB", "128 KiB", "16 KiB", "262,144")


def test_gpt2_vocab() -> None:
    assert 256 + 50_000 + 1 == 50_257
    assert 50_304 % 64 == 0 and 50_304 >= 50_257
    has("gpt2-vocab-size", "{{c1::256}}", "{{c2::50,000}}", "{{c3::1}}", "50,257", "50,304")


def test_vocab_embedding_sizes() -> None:
    small, large = 32_000 * 4096, 128_256 * 4096
    assert small == 131_072_000 and large == 525_336_576
    assert round(small / 1e6) == 131 and round(large / 1e6) == 525
    assert f"{2 * large / 1e9:.2f}" == "1.05"
    assert round(2 * large / 8.03e9, 2) == 0.13
    has("vocab-embedding-worked", "131M", "525M", "131,072,000", "525,336,576", "1.05B", "13%")


def test_weight_tying_shares() -> None:
    gpt2 = 50_257 * 768
    assert millions(gpt2) == "38.6M"
    assert round(gpt2 / 124e6, 2) == 0.31
    mistral = 32_000 * 4096
    assert round(mistral / 7.24e9 * 100, 1) == 1.8
    has("weight-tying-worked", "38.6M", "31%", "131M", "1.8%")


def test_gqa_head_groups() -> None:
    assert N_HEADS // N_KV == 4 and 64 // 8 == 8
    has("gqa-head-counts", "{{c1::32}}", "{{c2::8}}", "Groups of 4 and 8")
    has("mistral-decoder-block", "4 query heads")
