"""Recompute the worked numbers of the research decks and check that each card states them.

Decks: research.evaluation, research.probability, research.training, research.classic-ml.
Every test recomputes a figure from its formula, checks the rounding a card uses, and then
asserts that the card's text (front + back + explain + points) contains it.
"""

from __future__ import annotations

import math

import pytest

from tests.decks.support import card_text

EVAL = "research.evaluation"
PROB = "research.probability"
TRAIN = "research.training"
CLASSIC = "research.classic-ml"


def says(deck: str, card: str, *snippets: str) -> None:
    text = card_text(deck, card)
    for snippet in snippets:
        assert snippet in text, f"{deck}/{card} should mention {snippet!r}"


def close(value: float, expected: float, tol: float) -> None:
    assert abs(value - expected) <= tol, f"{value} is not within {tol} of {expected}"


# ---------------------------------------------------------------- statistics helpers


def chi2_1df_sf(x: float) -> float:
    """Upper tail of a chi-squared distribution with one degree of freedom."""
    return math.erfc(math.sqrt(x / 2))


def binom_two_sided_half(k: int, n: int) -> float:
    """Exact two-sided binomial test p-value for k successes of n at p = 1/2."""
    low = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(low + 1)) / 2**n
    return min(1.0, 2 * tail)


def t_cdf(x: float, df: int) -> float:
    """Student-t CDF by Simpson integration of the density (enough for 3-4 digits)."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    steps = 20_000
    h = x / steps
    total = 0.0
    for i in range(steps + 1):
        weight = 1 if i in (0, steps) else (4 if i % 2 else 2)
        u = i * h
        total += weight * c * (1 + u * u / df) ** (-(df + 1) / 2)
    return 0.5 + total * h / 3


def t_quantile(q: float, df: int) -> float:
    lo, hi = 0.0, 50.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. 2021 unbiased estimator."""
    if n - c < k:
        return 1.0
    return 1 - math.comb(n - c, k) / math.comb(n, k)


def softmax(z: list[float], t: float = 1.0) -> list[float]:
    m = max(z)
    e = [math.exp((v - m) / t) for v in z]
    s = sum(e)
    return [v / s for v in e]


def h2(p: float) -> float:
    """Binary entropy in bits."""
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


# =================================================================== evaluation


def test_seed_confidence_interval() -> None:
    runs = [71.2, 72.0, 70.8, 71.6, 72.4]
    k = len(runs)
    mean = sum(runs) / k
    s = math.sqrt(sum((r - mean) ** 2 for r in runs) / (k - 1))
    t = t_quantile(0.975, k - 1)
    half = t * s / math.sqrt(k)
    close(mean, 71.6, 1e-9)
    close(s, 0.63, 0.005)
    close(t, 2.78, 0.005)
    close(half, 0.79, 0.005)
    says(EVAL, "seed-ci-worked", "71.6 ± 0.79", "s ≈ 0.63", "2.78", "√(1.6/4) ≈ 0.632")


def test_accuracy_standard_errors() -> None:
    se = math.sqrt(0.8 * 0.2 / 1000)
    close(se, 0.0126, 0.00005)
    close(1.96 * se * 100, 2.5, 0.05)
    se2 = math.sqrt(0.7 * 0.3 / 500)
    close(se2, 0.020, 0.0006)
    close(1.96 * se2 * 100, 4.0, 0.05)
    says(
        EVAL,
        "accuracy-confidence-interval",
        "SE ≈ 0.0126",
        "± 2.5 points",
        "SE ≈ 0.020",
        "± 4 points",
        "4× as many items",
    )


def test_humaneval_interval() -> None:
    se = math.sqrt(0.25 / 164)
    close(se, 0.039, 0.0005)
    close(1.96 * se * 100, 7.7, 0.05)
    says(EVAL, "accuracy-ci-humaneval", "± 7.7 points", "≈ 0.039", "164")


def test_eval_sample_size() -> None:
    n = (1.96 * 0.5 / 0.02) ** 2
    close(n, 2401, 0.5)
    n90 = 1.96**2 * 0.09 / 0.02**2
    close(n90, 864, 0.5)
    says(EVAL, "eval-sample-size", "2,401", "2,400", "≈ 864")


def test_unpaired_gap() -> None:
    se = math.sqrt(0.7 * 0.3 / 500)
    gap_se = math.sqrt(2) * se
    close(gap_se, 0.029, 0.0005)
    close(0.03 / gap_se, 1.0, 0.05)
    says(EVAL, "unpaired-gap-se", "0.029", "z ≈ 1.0")


def test_mcnemar_worked() -> None:
    b, c = 50, 30
    chi2 = (abs(b - c) - 1) ** 2 / (b + c)
    close(chi2, 4.51, 0.005)
    assert chi2 > 3.84
    close(chi2_1df_sf(chi2), 0.034, 0.0005)
    close(binom_two_sided_half(c, b + c), 0.033, 0.0005)
    close(chi2_1df_sf(3.84), 0.05, 0.0002)
    says(EVAL, "mcnemar-worked", "19²/80 ≈ 4.51", "p ≈ 0.034", "p ≈ 0.033")


def test_mcnemar_same_gap() -> None:
    chi_a = 19**2 / 30
    chi_b = 19**2 / 380
    close(chi_a, 12.0, 0.05)
    close(chi_b, 0.95, 0.005)
    close(chi2_1df_sf(chi_a), 0.0005, 0.0001)
    close(chi2_1df_sf(chi_b), 0.33, 0.005)
    says(EVAL, "mcnemar-same-gap", "p ≈ 0.0005", "p ≈ 0.33", "≈ 12.0", "≈ 0.95")


def test_multiple_comparisons() -> None:
    close(1 - 0.95**20, 0.64, 0.005)
    close(0.05 / 20, 0.0025, 1e-12)
    says(EVAL, "multiple-comparisons", "≈ 0.64", "64 %")
    says(EVAL, "bonferroni-holm", "0.05/20 = 0.0025")


def test_bits_per_byte() -> None:
    close(2.0 / (math.log(2) * 4), 0.72, 0.005)
    says(EVAL, "bits-per-byte", "0.72 BPB", "0.693 · 4")


def test_bleu_numbers() -> None:
    close(math.exp(1 - 10 / 9), 0.895, 0.0005)
    says(EVAL, "bleu-brevity-penalty", "≈ 0.895", "exp(1 − r/c)")
    # Papineni's example: reference has "the" twice, so the 7 candidate words clip to 2.
    reference = ["the", "cat", "is", "on", "the", "mat"]
    candidate = ["the"] * 7
    clipped = min(candidate.count("the"), reference.count("the"))
    assert (clipped, len(candidate)) == (2, 7)
    says(EVAL, "bleu-clipping", "2/7", "7/7")


def test_pass_at_k() -> None:
    assert math.comb(7, 5) == 21 and math.comb(10, 5) == 252
    close(pass_at_k(10, 3, 5), 0.917, 0.0005)
    close(pass_at_k(10, 3, 1), 0.3, 1e-12)
    # plugging p̂ into 1 − (1 − p̂)^k underestimates the unbiased value here
    assert pass_at_k(10, 3, 5) > 1 - (1 - 0.3) ** 5
    says(EVAL, "pass-at-k-worked", "21/252", "≈ 0.917", "0.3")


def test_moe_mixtral_counts() -> None:
    says(EVAL, "moe-reporting", "13B active", "47B total")


# ================================================================== probability


def test_exp_overflow_thresholds() -> None:
    close(math.log(3.4028235e38), 88.7, 0.05)
    close(math.log(65504), 11.1, 0.05)
    says(PROB, "exp-overflow-thresholds", "88.7", "11.1")


def test_softmax_large_logits() -> None:
    p = softmax([1000, 1001, 1002])
    assert [round(v, 3) for v in p] == [0.090, 0.245, 0.665]
    s = math.exp(-2) + math.exp(-1) + 1
    close(s, 1.503, 0.0005)
    close(1002 + math.log(s), 1002.41, 0.005)
    says(PROB, "softmax-large-logits-worked", "(0.090, 0.245, 0.665)", "1.503", "1002.41")


def test_initial_loss_and_units() -> None:
    close(math.log(32000), 10.4, 0.05)
    says(PROB, "initial-loss-sanity", "≈ 10.4")
    close(1 / math.log(2), 1.443, 0.0005)
    close(math.log(4), 1.386, 0.0005)
    close(-math.log2(0.25), 2.0, 1e-12)
    says(PROB, "nats-and-bits", "1.443", "1.386", "{{c3::2}} bits")


def test_softmax_ce_gradient() -> None:
    p = softmax([2, 1, 0])
    grad = [p[0] - 1, p[1], p[2]]
    assert [round(v, 3) for v in grad] == [-0.335, 0.245, 0.090]
    close(-math.log(p[0]), 0.408, 0.0005)
    says(PROB, "softmax-ce-gradient-worked", "(−0.335, 0.245, 0.090)", "0.408")


def test_entropy_and_mutual_information() -> None:
    close(h2(0.9), 0.469, 0.0005)
    says(PROB, "entropy-worked", "0.469 bits")
    close(1 - h2(0.1), 0.531, 0.0005)
    says(PROB, "mutual-information-worked", "0.531 bits")


def test_kl_asymmetry() -> None:
    p, q = (0.5, 0.5), (0.9, 0.1)
    kl_pq = sum(a * math.log(a / b) for a, b in zip(p, q, strict=False))
    kl_qp = sum(b * math.log(b / a) for a, b in zip(p, q, strict=False))
    close(kl_pq, 0.511, 0.0005)
    close(kl_qp, 0.368, 0.0005)
    says(PROB, "kl-asymmetry-worked", "0.511", "0.368")


def test_js_bound() -> None:
    # disjoint supports reach the ln 2 bound
    js = 0.5 * math.log(1 / 0.5) + 0.5 * math.log(1 / 0.5)
    close(js, math.log(2), 1e-12)
    says(PROB, "jensen-shannon", "ln 2")


def test_perplexity() -> None:
    close(math.exp(2.3), 9.97, 0.005)
    close(math.exp(2.2), 9.03, 0.005)
    close((math.exp(-0.1) - 1) * 100, -9.5, 0.05)
    says(PROB, "perplexity-worked", "9.97", "9.03", "−9.5 %", "0.905")


def test_effective_sample_size() -> None:
    w = [1, 1, 1, 5]
    ess = sum(w) ** 2 / sum(v * v for v in w)
    assert (sum(w) ** 2, sum(v * v for v in w)) == (64, 28)
    close(ess, 2.3, 0.05)
    says(PROB, "effective-sample-size", "64/28", "2.3")


def test_output_layer_cost() -> None:
    assert 500_000 * 1_000 == 5e8
    says(PROB, "sampled-softmax-when", "5e8")


def test_ece() -> None:
    ece = 0.6 * abs(0.85 - 0.95) + 0.4 * abs(0.60 - 0.65)
    close(ece, 0.08, 1e-9)
    says(PROB, "ece-worked", "0.08", "0.6 · 0.10 + 0.4 · 0.05")


def test_temperature_scaling() -> None:
    close(softmax([3, 1, 0])[0], 0.84, 0.005)
    close(softmax([3, 1, 0], t=2)[0], 0.63, 0.005)
    says(PROB, "temperature-scaling-worked", "0.84", "0.63")


def test_bayes_rule() -> None:
    tp, fp = 0.9 * 0.02, 0.05 * 0.98
    close(tp, 0.018, 1e-12)
    close(fp, 0.049, 1e-12)
    close(tp / (tp + fp), 0.27, 0.005)
    close(0.9 * 0.2 / (0.9 * 0.2 + 0.05 * 0.8), 0.82, 0.005)
    says(PROB, "bayes-rule-worked", "27 %", "0.018 / (0.018 + 0.049)", "0.067", "≈ 0.82")


def test_l2_prior_lambda() -> None:
    # −log N(θ; 0, τ²) = θ²/(2τ²) + const
    tau = 0.5
    theta = 1.3
    neg_log = theta**2 / (2 * tau**2) + 0.5 * math.log(2 * math.pi * tau**2)
    lam = 1 / (2 * tau**2)
    close(neg_log - 0.5 * math.log(2 * math.pi * tau**2), lam * theta**2, 1e-12)
    says(PROB, "l2-gaussian-prior", "λ = 1/(2τ²)")


# ===================================================================== training


def test_float_formats() -> None:
    fp16_max = (2 - 2**-10) * 2**15
    assert fp16_max == 65504
    close(2**-14, 6.1e-5, 0.05e-5)
    close(2**-24, 6e-8, 0.05e-8)
    bf16_max = (2 - 2**-7) * 2**127
    close(bf16_max, 3.4e38, 0.05e38)
    close(2**-126, 1.2e-38, 0.05e-38)
    says(TRAIN, "fp16-bf16-range", "65,504", "6.1e-5", "3.4e38", "6e-8")
    close(2**-7, 7.8e-3, 0.05e-3)
    close(2**-10, 9.8e-4, 0.05e-4)
    says(TRAIN, "bf16-vs-fp16-tradeoff", "7.8e-3", "9.8e-4", "65,504")
    says(TRAIN, "bf16-no-loss-scaling", "1.2e-38")
    says(TRAIN, "loss-scaling-purpose", "6e-8")


def test_master_weights_rounding() -> None:
    import struct

    def round_fp16(x: float) -> float:
        return struct.unpack("e", struct.pack("e", x))[0]

    assert round_fp16(1.0 + 1e-4) == 1.0
    close(2**-10 / 2, 4.9e-4, 0.05e-4)
    close(2**-23, 1.2e-7, 0.05e-7)
    says(TRAIN, "master-weights-worked", "9.8e-4", "4.9e-4", "1.2e-7", "Still 1.0")


def test_gradscaler_default() -> None:
    assert 2**16 == 65536
    says(TRAIN, "gradscaler-defaults", "2^16 = 65,536", "2,000")


def test_clip_factor() -> None:
    norm = math.sqrt(3**2 + 4**2)
    assert norm == 5
    close(1.0 / norm, 0.2, 1e-12)
    says(TRAIN, "clip-worked", "0.2", "= 5")


def test_init_stds() -> None:
    close(math.sqrt(2 / 4096), 0.022, 0.0005)
    close(math.sqrt(2 / 8192), 0.0156, 0.00005)
    says(TRAIN, "he-init-worked", "≈ 0.022", "≈ 0.0156")
    close(0.02 / math.sqrt(2 * 32), 0.0025, 1e-12)
    says(TRAIN, "scaled-init-worked", "0.02/√64 = 0.0025")


def test_cosine_midpoint() -> None:
    lr_max, lr_min, p = 3e-4, 3e-5, 0.5
    lr = lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * p))
    close(lr, 1.65e-4, 1e-12)
    says(TRAIN, "cosine-worked", "1.65e-4")


def test_adam_bias_correction_step() -> None:
    g = 1.0
    m1 = (1 - 0.9) * g
    v1 = (1 - 0.999) * g * g
    close(math.sqrt(v1), 0.0316, 0.00005)
    close(m1 / math.sqrt(v1), 3.16, 0.005)
    m_hat, v_hat = m1 / (1 - 0.9), v1 / (1 - 0.999)
    close(m_hat / math.sqrt(v_hat), 1.0, 1e-9)
    says(TRAIN, "adam-bias-correction-worked", "3.16", "0.0316")


def test_grad_accumulation_weighting() -> None:
    tokens, means = (10, 90), (2.0, 1.0)
    weighted = sum(t * m for t, m in zip(tokens, means, strict=False)) / sum(tokens)
    naive = sum(means) / len(means)
    close(weighted, 1.1, 1e-12)
    close(naive, 1.5, 1e-12)
    says(TRAIN, "grad-accum-worked", "1.1", "1.5", "(10·2.0 + 90·1.0)/100")


def test_compute_6nd() -> None:
    flops = 6 * 7e9 * 2e12
    close(flops, 8.4e22, 1e9)
    says(TRAIN, "compute-7b-worked", "8.4e22", "6 × 7e9 × 2e12")
    rate = 312e12 * 0.40
    close(rate, 1.25e14, 0.005e14)
    seconds = flops / rate
    close(seconds, 6.7e8, 0.05e8)
    close(seconds / 3600, 1.9e5, 0.05e5)
    says(TRAIN, "gpu-hours-worked", "1.9e5", "1.25e14", "6.7e8", "184,320")


def test_chinchilla_inverse() -> None:
    n = math.sqrt(1e24 / 120)
    close(n / 1e9, 91, 0.5)
    close(20 * n / 1e12, 1.8, 0.05)
    says(TRAIN, "chinchilla-inverse-worked", "91B", "1.8T", "120·N²")


def test_tokens_per_parameter() -> None:
    close(1.4e12 / 70e9, 20, 1e-9)
    says(TRAIN, "chinchilla-tokens-per-param", "{{c1::20}}", "{{c2::70B}}", "{{c3::1.4T}}")
    close(15e12 / 8e9, 1900, 30)
    says(TRAIN, "overtraining-for-inference", "15T", "1,900")
    close(300e9 / 175e9, 1.7, 0.05)
    says(TRAIN, "kaplan-scaling", "175B parameters, 300B tokens")


# =================================================================== classic ML


def test_log_odds_example() -> None:
    close(math.exp(0.7), 2.01, 0.005)
    says(CLASSIC, "logistic-log-odds", "e^0.7 ≈ 2.01")


def test_impurities() -> None:
    gini = 1 - 0.9**2 - 0.1**2
    close(gini, 0.18, 1e-12)
    close(h2(0.9), 0.469, 0.0005)
    close(1 - 0.5**2 - 0.5**2, 0.5, 1e-12)
    says(CLASSIC, "gini-worked", "Gini 0.18", "0.469 bits", "0.5 and 1 bit")


def test_information_gain() -> None:
    child = h2(0.2)
    close(child, 0.722, 0.0005)
    gain = 1 - (10 / 20 * child + 10 / 20 * child)
    close(gain, 0.278, 0.0005)
    says(CLASSIC, "information-gain-worked", "0.278 bits", "0.722")


def test_out_of_bag_fraction() -> None:
    close((1 - 1 / 10_000) ** 10_000, math.exp(-1), 1e-4)
    close(math.exp(-1), 0.368, 0.0005)
    says(CLASSIC, "out-of-bag-error", "0.368", "37 %")


def test_pca_share() -> None:
    eig = [4, 2, 1, 1]
    close((eig[0] + eig[1]) / sum(eig), 0.75, 1e-12)
    says(CLASSIC, "pca-explained-variance-worked", "75 %", "(4 + 2)/8")


def test_precision_recall_f1() -> None:
    tp, fp, fn = 80, 20, 40
    p = tp / (tp + fp)
    r = tp / (tp + fn)
    f1 = 2 * p * r / (p + r)
    close(p, 0.80, 1e-12)
    close(r, 0.667, 0.0005)
    close(f1, 0.727, 0.0005)
    says(CLASSIC, "precision-recall-worked", "0.80", "0.667", "0.727")


def test_conv_arithmetic() -> None:
    assert (224 + 2 * 3 - 7) // 2 + 1 == 112
    says(CLASSIC, "conv-output-worked", "112×112")
    assert 3 * 3 * 64 * 128 + 128 == 73_856
    says(CLASSIC, "conv-params-worked", "73,856")
    layers, k = 3, 3
    assert layers * (k - 1) + 1 == 7
    assert (3 * 3 * 3, 7 * 7) == (27, 49)
    says(CLASSIC, "receptive-field", "7×7", "27C²", "49C²")


def test_forget_gate_bias() -> None:
    close(1 / (1 + math.exp(-1)), 0.73, 0.005)
    says(CLASSIC, "forget-gate-bias", "σ(1) ≈ 0.73")


@pytest.mark.parametrize(
    ("deck", "card"),
    [
        (EVAL, "accuracy-confidence-interval"),
        (EVAL, "seed-variance"),
    ],
)
def test_merged_cards_keep_history(deck: str, card: str) -> None:
    # The merged takehome cards must survive through `formerly` on these cards.
    from tests.decks.support import _cards

    formerly = _cards()[(deck, card)].get("formerly") or []
    assert any(f.startswith("takehome.experiment/") for f in formerly)
