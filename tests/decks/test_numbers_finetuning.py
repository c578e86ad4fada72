"""Worked numbers in the fine-tuning and RAG/agents decks, recomputed from their formulas.

Each test derives a number the way the card explains it and checks that the card's text
(front + back + explain + points) states it, so a card cannot drift from its arithmetic.
"""

from __future__ import annotations

import math

from tests.decks.support import card_text

FT = "llm-quiz.finetuning"
RAG = "llm-quiz.rag-agents"

# Llama-2-7B shapes (Touvron et al. 2023): 32 layers, d_model 4096, MLP width 11008, no GQA.
LLAMA2_7B_LAYERS, LLAMA2_7B_D, LLAMA2_7B_FF = 32, 4096, 11008
LLAMA2_7B_PARAMS = 6.74e9
# LLaMA-65B shapes (Touvron et al. 2023): 80 layers, d_model 8192, MLP width 22016.
LLAMA_65B_LAYERS, LLAMA_65B_D, LLAMA_65B_FF = 80, 8192, 22016


def lora_params(r: int, d: int, k: int) -> int:
    """LoRA adds A (r×k) and B (d×r) to one d×k matrix."""
    return r * (d + k)


def nf4_bits_per_param(block: int = 64, dq_block: int = 256) -> float:
    """4-bit codes + 8-bit block scales + one FP32 constant per block of scales (QLoRA DQ)."""
    return 4 + 8 / block + 32 / (block * dq_block)


# ----------------------------------------------------------------- fine-tuning


def test_full_ft_bytes_per_param() -> None:
    per_param = 2 + 2 + 4 + 4 + 4  # BF16 weights, BF16 grads, FP32 master, Adam m, Adam v
    assert per_param == 16
    text = card_text(FT, "full-ft-memory-16-bytes")
    assert "16 bytes" in text
    assert "112 GB" in text  # 7e9 × 16 B
    assert "56 GB" in text  # Adam states 7e9 × 8 B


def test_full_ft_7b_model_states() -> None:
    assert 7e9 * 16 / 1e9 == 112
    assert "112 GB" in card_text(FT, "full-ft-memory-7b")
    assert 7e9 * 8 / 1e9 == 56
    assert "56 GB" in card_text(FT, "adam-state-memory")


def test_lora_memory_7b() -> None:
    base_gb = 7e9 * 2 / 1e9
    adapter_gb = 40e6 * 16 / 1e9
    assert base_gb == 14
    assert round(adapter_gb, 1) == 0.6
    text = card_text(FT, "lora-memory-7b")
    assert "14 GB" in text and "0.6 GB" in text


def test_qlora_memory_7b() -> None:
    gb = 7e9 * nf4_bits_per_param() / 8 / 1e9
    assert round(gb, 1) == 3.6
    assert "3.6 GB" in card_text(FT, "qlora-memory-7b")


def test_lora_count_single_matrix() -> None:
    n = lora_params(8, 4096, 4096)
    assert n == 65_536
    assert round(100 * n / (4096 * 4096), 1) == 0.4
    text = card_text(FT, "lora-param-count")
    assert "65,536" in text and "16,777,216" in text


def test_lora_count_llama2_qv() -> None:
    n = lora_params(8, LLAMA2_7B_D, LLAMA2_7B_D) * 2 * LLAMA2_7B_LAYERS
    assert n == 4_194_304
    assert round(100 * n / LLAMA2_7B_PARAMS, 2) == 0.06
    assert "4,194,304" in card_text(FT, "lora-count-llama2-7b-qv")


def test_lora_count_llama2_all_linear() -> None:
    attn = 4 * lora_params(16, LLAMA2_7B_D, LLAMA2_7B_D)
    mlp = 3 * lora_params(16, LLAMA2_7B_D, LLAMA2_7B_FF)
    total = (attn + mlp) * LLAMA2_7B_LAYERS
    assert (attn, mlp, attn + mlp, total) == (524_288, 724_992, 1_249_280, 39_976_960)
    assert round(100 * total / LLAMA2_7B_PARAMS, 1) == 0.6
    assert round(total * 2 / 1e6, -1) == 80  # BF16 adapter file, MB
    text = card_text(FT, "lora-count-llama2-7b-all-linear")
    for s in ("524,288", "724,992", "1,249,280", "39,976,960", "80 MB"):
        assert s in text


def test_lora_mlp_share_of_block() -> None:
    attn = 4 * LLAMA2_7B_D * LLAMA2_7B_D
    mlp = 3 * LLAMA2_7B_D * LLAMA2_7B_FF
    assert round(mlp / (attn + mlp), 2) == 0.67
    assert "2/3" in card_text(FT, "lora-target-modules")


def test_qlora_double_quant_bits() -> None:
    without = 32 / 64
    with_dq = 8 / 64 + 32 / (64 * 256)
    saving_gb = (without - with_dq) * 65e9 / 8 / 1e9
    assert without == 0.5
    assert round(with_dq, 3) == 0.127
    assert round(without - with_dq, 3) == 0.373
    assert round(saving_gb) == 3
    text = card_text(FT, "qlora-double-quant-bits")
    for s in ("0.5", "0.127", "0.373", "3 GB"):
        assert s in text


def test_qlora_65b_fits_48gb() -> None:
    base_gb = 65e9 * nf4_bits_per_param() / 8 / 1e9
    per_layer = 4 * lora_params(64, LLAMA_65B_D, LLAMA_65B_D) + 3 * lora_params(
        64, LLAMA_65B_D, LLAMA_65B_FF
    )
    adapters = per_layer * LLAMA_65B_LAYERS
    adapter_gb = adapters * 12 / 1e9  # BF16 weight + grad, FP32 Adam m and v
    assert round(base_gb, 1) == 33.5
    assert round(adapters / 1e9, 1) == 0.8
    assert round(adapter_gb, 1) == 9.6
    assert round(base_gb + adapter_gb) == 43 < 48
    text = card_text(FT, "qlora-65b-48gb-paged")
    for s in ("33.5 GB", "0.8B", "9.6 GB", "43 GB"):
        assert s in text


def test_instructgpt_pairs_per_prompt() -> None:
    assert 9 * 8 // 2 == 36
    assert "36" in card_text(FT, "instructgpt-data-sizes")


# ------------------------------------------------------------------ RAG/agents


def test_chunk_overlap_worked() -> None:
    doc, n, o = 10_000, 512, 64
    stride = n - o
    chunks = math.ceil((doc - n) / stride) + 1
    last = doc - (chunks - 1) * stride
    embedded = (chunks - 1) * n + last
    assert (stride, chunks, last, embedded) == (448, 23, 144, 11_408)
    assert round(100 * (embedded / doc - 1)) == 14
    text = card_text(RAG, "chunking-overlap-worked")
    for s in ("448", "23 chunks", "11.4k", "14%", "11,408"):
        assert s in text


def test_flat_index_memory() -> None:
    assert round(10e6 * 1024 * 4 / 1e9) == 41
    assert round(10e6 * 384 * 4 / 1e9) == 15
    assert round(10e6 * 1024 / 1e9) == 10  # int8
    assert 1024 // 8 == 128  # binary, bytes per vector
    text = card_text(RAG, "embedding-dimension-cost")
    for s in ("41 GB", "15 GB", "10 GB", "128 B"):
        assert s in text


def test_ivf_cost() -> None:
    n, nlist, nprobe = 1_000_000, 4096, 16
    per_list = n / nlist
    distances = nlist + nprobe * per_list
    assert round(per_list) == 244
    assert round(distances) == 8002
    assert round(n / distances) == 125
    text = card_text(RAG, "ivf-cost-worked")
    for s in ("244", "8,002", "125×"):
        assert s in text


def test_pq_memory() -> None:
    full = 768 * 4
    assert full == 3072
    assert full / 96 == 32
    assert round(100e6 * full / 1e9, 0) == 307
    assert round(100e6 * 96 / 1e9, 1) == 9.6
    text = card_text(RAG, "pq-memory-worked")
    for s in ("3,072 B", "96 B", "32×", "307 GB", "9.6 GB"):
        assert s in text


def test_rrf_worked() -> None:
    a = 1 / 61 + 1 / 63
    b = 1 / 61
    assert round(a, 4) == 0.0323 and round(b, 4) == 0.0164
    text = card_text(RAG, "rrf-worked-example")
    assert "0.0323" in text and "0.0164" in text


def test_mrr_recall_precision_worked() -> None:
    mrr = (1 + 1 / 3 + 0) / 3
    assert round(mrr, 2) == 0.44
    assert 1 / 2 == 0.5 and 1 / 5 == 0.2
    text = card_text(RAG, "retrieval-metrics-worked")
    for s in ("0.44", "recall@5 = 0.5", "precision@5 = 0.2"):
        assert s in text


def test_ndcg_worked() -> None:
    dcg = 1 / math.log2(2) + 0 + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert dcg == 1.5
    assert round(idcg, 3) == 1.631
    assert round(dcg / idcg, 2) == 0.92
    text = card_text(RAG, "ndcg-worked-example")
    for s in ("1.5", "1.631", "0.92"):
        assert s in text


def test_confidence_interval_n200() -> None:
    half = 1.96 * math.sqrt(0.8 * 0.2 / 200)
    half_50 = 1.96 * math.sqrt(0.5 * 0.5 / 200)
    assert round(half, 3) == 0.055
    assert round(100 * half_50, 1) == 6.9
    text = card_text(RAG, "eval-confidence-interval")
    assert "±5.5" in text and "0.055" in text and "±6.9" in text


def test_agent_context_growth() -> None:
    c, n = 2000, 20
    total = sum(i * c for i in range(1, n + 1))
    assert total == c * n * (n + 1) // 2 == 420_000
    text = card_text(RAG, "agent-context-growth-tokens")
    assert "420,000" in text and "20·21/2" in text


def test_pass_at_k_and_pass_hat_k() -> None:
    n, c, k = 10, 3, 2
    pass_at = 1 - math.comb(n - c, k) / math.comb(n, k)
    pass_hat = math.comb(c, k) / math.comb(n, k)
    assert (math.comb(7, 2), math.comb(10, 2), math.comb(3, 2)) == (21, 45, 3)
    assert round(pass_at, 3) == 0.533
    assert round(pass_hat, 3) == 0.067
    p = 0.6
    assert round(p**8, 3) == 0.017
    assert round(1 - (1 - p) ** 8, 3) == 0.999
    text = card_text(RAG, "pass-k-worked")
    for s in ("21/45", "0.533", "3/45", "0.067", "0.017", "0.999"):
        assert s in text
