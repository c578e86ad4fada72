"""Recompute the worked numbers of the design, take-home and screens decks.

Each test derives a number from its inputs and checks that the card states it, so a card
cannot drift away from its own arithmetic.
"""

from __future__ import annotations

import math

from tests.decks.support import card_text

PR = "design.pr-review"
SYS = "design.system"
TAKEHOME = "takehome.experiment"
SCREENS = "behavioral.screens"

KIB = 1024
H100_BW = 3.35e12  # bytes/s, H100 SXM HBM3
H100_BF16 = 989e12  # dense BF16 FLOP/s, H100 SXM
A100_BF16 = 312e12  # dense BF16 FLOP/s, A100
LLAMA2_70B_KV_PER_TOKEN = 2 * 80 * 8 * 128 * 2  # K and V, layers, KV heads, d_head, fp16 bytes


# ---------------------------------------------------------------- PR review


def test_concurrency_littles_law() -> None:
    assert 10 * 3 == 30
    assert "About 30" in card_text(PR, "concurrency-littles-law")


def test_retry_amplification() -> None:
    assert 3**3 == 27
    assert "27 (3 × 3 × 3)" in card_text(PR, "retry-amplification")


def test_rag_fanout() -> None:
    assert 50 * 20 == 1000
    assert "1,000 (50 × 20)" in card_text(PR, "rag-pr-fanout-concurrency")


def test_global_results_dict_memory() -> None:
    per_vector = (56 + 8 * 1024) + 24 * 1024  # list header + pointers, float objects
    total = 200_000 * per_vector
    assert round(total / 1e9, 1) == 6.6
    assert "6.6 GB" in card_text(PR, "review-embedding-ingest-job")


# ---------------------------------------------------------------- estimation


def test_qps_from_dau() -> None:
    avg = 10e6 * 20 / 86_400
    assert 2_250 <= avg <= 2_350
    assert 2 * avg >= 4_500 and 3 * avg <= 7_000
    text = card_text(SYS, "qps-back-of-envelope")
    assert "2,300 QPS" in text and "5-7k QPS" in text


def test_qps_per_million_per_day() -> None:
    assert round(1e6 / 86_400) == 12
    assert round(1e9 / 86_400 / 1e3) == 12
    text = card_text(SYS, "qps-per-million-per-day")
    assert "{{c1::86,400}}" in text and "{{c2::12}}" in text and "{{c3::12k}}" in text


def test_url_shortener_storage() -> None:
    monthly = 100e6 * 500
    assert monthly == 50e9
    assert monthly * 60 == 3e12
    assert monthly * 60 * 3 == 9e12
    text = card_text(SYS, "storage-estimate-worked")
    assert "50 GB/month" in text and "3 TB" in text and "9 TB" in text


def test_url_shortener_rates() -> None:
    writes = 100e6 / (30 * 86_400)
    assert 35 <= writes <= 45
    assert 3_500 <= 100 * writes <= 4_500
    text = card_text(SYS, "url-shortener")
    assert "~40 writes/s" in text and "~4k redirects/s" in text


def test_vector_index_storage() -> None:
    vectors = 10e6 * 5
    assert round(vectors * 1024 * 4 / 1e9) == 205
    assert vectors * 64 / 1e9 == 3.2
    text = card_text(SYS, "vector-index-storage-worked")
    assert "205 GB" in text and "3.2 GB" in text


def test_70b_weights_and_kv() -> None:
    assert 70e9 * 2 == 140e9
    assert LLAMA2_70B_KV_PER_TOKEN == 320 * KIB
    assert round(4096 * LLAMA2_70B_KV_PER_TOKEN / 1e9, 2) == 1.34
    text = card_text(SYS, "gpu-memory-70b-serving")
    assert "140 GB" in text and "320 KiB" in text and "1.34 GB" in text


def test_decode_latency_floor() -> None:
    itl = 140e9 / (2 * H100_BW)
    assert round(itl * 1e3) == 21
    assert round(1 / itl) == 48
    text = card_text(SYS, "llm-latency-back-of-envelope")
    assert "21 ms" in text and "~48 tokens/s" in text


def test_prefill_time() -> None:
    flops = 2 * 70e9 * 2_000
    rate = 2 * H100_BF16 * 0.5
    assert flops == 2.8e14
    assert round(rate / 1e14, 1) == 9.9
    assert round(flops / rate, 1) == 0.3
    text = card_text(SYS, "prefill-time-70b-worked")
    assert "2.8×10^14" in text and "9.9×10^14" in text and "0.3 s" in text


# ---------------------------------------------------------------- LLM serving capacity chain


def test_serving_token_demand() -> None:
    assert 500 * 300 == 150_000 and 500 * 1_500 == 750_000
    text = card_text(SYS, "serving-token-demand-worked")
    assert "150k output tokens/s" in text and "750k prompt tokens/s" in text


def test_serving_compute_floor() -> None:
    demand = 2 * 70e9 * (750e3 + 150e3)
    per_gpu = H100_BF16 * 0.5
    assert round(demand / 1e17, 2) == 1.26
    assert round(per_gpu / 1e14, 1) == 4.9
    assert round(demand / per_gpu) == 255
    assert round(100 * 750 / 900) == 83
    text = card_text(SYS, "serving-compute-floor-worked")
    for s in ("1.26×10^17", "4.9×10^14", "255 GPUs", "83%"):
        assert s in text


def test_serving_kv_per_request() -> None:
    per_request = 1_800 * LLAMA2_70B_KV_PER_TOKEN
    assert per_request / 2**20 == 562.5
    assert round(per_request / 1e9, 2) == 0.59
    text = card_text(SYS, "serving-kv-per-request-worked")
    assert "562.5 MiB" in text and "0.59 GB" in text


def test_serving_concurrency() -> None:
    time_in_system = 1 + 300 * 0.030
    assert 500 * time_in_system == 5_000
    assert "About 5,000" in card_text(SYS, "serving-concurrency-littles-law")


def test_serving_kv_memory_floor() -> None:
    per_request = 1_800 * LLAMA2_70B_KV_PER_TOKEN
    per_replica = math.floor(170e9 / per_request)
    assert per_replica == 288
    assert round(5_000 / per_replica, 1) == 17.4
    replicas = math.ceil(5_000 / per_replica)
    assert replicas == 18 and replicas * 4 == 72
    text = card_text(SYS, "serving-kv-memory-floor-worked")
    assert "~288" in text and "17.4" in text and "About 18" in text and "72 GPUs" in text


def test_serving_cost_per_million_tokens() -> None:
    hourly = 256 * 2.50
    tokens_per_hour = 900e3 * 3_600
    assert hourly == 640
    assert tokens_per_hour == 3.24e9
    assert round(hourly / (tokens_per_hour / 1e6), 2) == 0.20
    text = card_text(SYS, "serving-cost-per-million-tokens")
    assert "$0.20" in text and "$640/hour" in text and "3.24 billion" in text


def test_binding_constraint_consistent() -> None:
    text = card_text(SYS, "serving-binding-constraint")
    assert "72 GPUs" in text and "~255" in text


# ---------------------------------------------------------------- building blocks


def test_mod_hashing_remap() -> None:
    moved = sum(1 for k in range(20) if k % 4 != k % 5) / 20
    assert moved == 0.8
    assert "moves 80%" in card_text(SYS, "consistent-hashing")


def test_count_min_sizing() -> None:
    w = math.ceil(math.e / 0.001)
    d = math.ceil(math.log(1 / 0.01))
    assert (w, d) == (2_719, 5)
    assert w * d == 13_595
    assert round(w * d * 4 / 1e3) == 54
    text = card_text(SYS, "count-min-sizing-worked")
    assert "2,719" in text and "d = 5" in text and "13,595" in text and "54 KB" in text


def test_fixed_window_and_local_limits() -> None:
    assert 2 * 100 == 200
    assert "Up to 200" in card_text(SYS, "fixed-window-boundary-burst")
    assert 50 * 10 == 500
    assert "500 requests/s" in card_text(SYS, "local-limits-multiply")


def test_base62_codes() -> None:
    assert round(62**7 / 1e12, 1) == 3.5
    assert "3.5 trillion" in card_text(SYS, "base62-code-length")


def test_young_checkpoint_interval() -> None:
    interval = math.sqrt(2 * 60 * 10 * 3_600)
    assert round(interval, -1) == 2_080
    assert round(interval / 60) == 35
    text = card_text(SYS, "checkpoint-interval-young")
    assert "2,080 s" in text and "35 minutes" in text


def test_ab_sample_size() -> None:
    n = 16 * 0.2 * 0.8 / 0.01**2
    assert round(n) == 25_600
    assert "25,600" in card_text(SYS, "ab-sample-size-worked")


# ---------------------------------------------------------------- take-home


def test_finetune_compute_budget() -> None:
    flops = 6 * 7e9 * 10e6
    rate = A100_BF16 * 0.4
    assert flops == 4.2e17
    assert round(rate / 1e14, 2) == 1.25
    assert round(flops / rate, -2) == 3_400
    text = card_text(TAKEHOME, "compute-budget-estimate")
    assert "4.2×10^17" in text and "1.25×10^14" in text and "3,400 s" in text


def test_judge_token_budget() -> None:
    calls = 500 * 3 * 2
    assert calls == 3_000
    assert calls * 1_500 == 4.5e6
    text = card_text(TAKEHOME, "judge-cost-estimate")
    assert "3,000 calls" in text and "4.5M tokens" in text


def test_lora_rank_run_count() -> None:
    ranks = [4, 8, 16, 64]
    assert len(ranks) * 3 == 12
    assert "12 runs" in card_text(TAKEHOME, "design-lora-rank-study")


# ---------------------------------------------------------------- screens


def test_option_value() -> None:
    assert 10_000 * (20 - 5) == 150_000
    assert "€150,000" in card_text(SCREENS, "option-value-worked")


def test_vesting_cliff_share() -> None:
    assert 12 / 48 == 0.25
    assert "{{c3::25%}}" in card_text(SCREENS, "vesting-cliff")


def test_intro_word_count() -> None:
    assert (150 * 60 / 60, 150 * 90 / 60) == (150, 225)
    assert "150-225 words" in card_text(SCREENS, "tell-me-about-yourself")
