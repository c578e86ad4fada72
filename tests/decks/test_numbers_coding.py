"""Recompute the worked numbers and executable claims of the coding decks.

Each test derives a number (or runs the Python behaviour a card describes) and checks that
the card states it, so the cards cannot drift from what Python and the formulas actually do.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from decimal import Decimal, InvalidOperation

import pytest

from tests.decks.support import card_text

PAT = "coding.patterns"
PROB = "coding.problems"
STATE = "coding.stateful"


def has(deck: str, card: str, *texts: str) -> None:
    text = card_text(deck, card)
    for t in texts:
        assert t in text, f"{deck}/{card} should state {t!r}"


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# ------------------------------------------------------------------ DPO loss numbers
def test_dpo_loss_reference_values():
    assert round(softplus(0.0), 3) == 0.693  # margin 0 -> log 2
    assert round(softplus(-1.0), 3) == 0.313  # beta * margin = 1
    has(PROB, "masked-pairwise-preference-loss", "0.693", "0.313")


def test_exp_overflow_threshold():
    assert math.log(2.0**1023 * (2 - 2**-52)) == pytest.approx(709.78, abs=0.01)
    with pytest.raises(OverflowError):
        math.exp(710)
    has(PROB, "stable-neg-log-sigmoid", "709")


# ------------------------------------------------------------------ Python behaviour claims
def test_division_exceptions():
    with pytest.raises(InvalidOperation) as err:
        Decimal(0) / Decimal(0)
    assert not isinstance(err.value, ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):
        Decimal(1) / Decimal(0)
    with pytest.raises(OverflowError):
        10**400 / 1
    with pytest.raises(OverflowError):
        math.isfinite(10**400)
    with pytest.raises(TypeError):
        Decimal(1) / 1.5
    assert math.inf == 1e308 / 1e-10
    has(PROB, "python-division-exceptions", "InvalidOperation", "OverflowError", "TypeError")


def test_bool_is_int():
    assert isinstance(True, int) and True / 2 == 0.5 and sum([True, True]) == 2
    has(PROB, "bool-is-an-int", "`True / 2 == 0.5`")


def test_counter_ties_by_first_insertion():
    c = Counter(["b", "a"])
    assert c.most_common() == [("b", 1), ("a", 1)]
    has(PROB, "python-counter-most-common-ties", "first encountered")


def test_late_binding_closures_return_two():
    assert [f() for f in [lambda: i for i in range(3)]] == [2, 2, 2]  # noqa: B023 (the late binding is the point)
    assert [f() for f in [lambda i=i: i for i in range(3)]] == [0, 1, 2]
    has(PROB, "python-late-binding-closures", "All return 2")


def test_heap_second_element_is_not_second_smallest():
    h = [1, 5, 2]
    heapq.heapify(h)
    assert h[1] != sorted(h)[1]
    has(PROB, "python-heapq-gotchas", "NOT necessarily the second smallest")


def test_heappushpop_vs_heapreplace():
    h = [5, 7]
    assert heapq.heappushpop(list(h), 1) == 1  # may return the new item itself
    assert heapq.heapreplace(list(h), 1) == 5  # pops first, returns more than the new item
    with pytest.raises(IndexError):
        heapq.heapreplace([], 1)
    has(PROB, "python-heapq-pushpop-vs-replace", "fails on an empty heap")


def test_grid_aliasing():
    grid = [[0] * 3] * 3
    grid[0][0] = 1
    assert grid[1][0] == 1
    has(PROB, "python-shallow-copy", "[[0] * n] * n")


# ------------------------------------------------------------------ pattern worked numbers
def test_greedy_coin_change_counterexample():
    coins, amount = [1, 3, 4], 6
    greedy, left = 0, amount
    for c in sorted(coins, reverse=True):
        greedy += left // c
        left %= c
    best = [0] + [math.inf] * amount
    for a in range(1, amount + 1):
        best[a] = 1 + min(best[a - c] for c in coins if c <= a)
    assert (greedy, best[amount]) == (3, 2)
    has(PAT, "greedy-needs-proof", "4 + 1 + 1 (3 coins)", "3 + 3", "(2 coins)")


def test_koko_example():
    piles, h = [3, 6, 7, 11], 8
    best = next(s for s in range(1, max(piles) + 1) if sum(-(-p // s) for p in piles) <= h)
    assert best == 4
    has(PAT, "koko-eating-bananas", "`piles=[3,6,7,11], h=8` → 4")


def test_subarray_sum_zeros():
    a, k = [0, 0, 0], 0
    count = sum(1 for i in range(3) for j in range(i + 1, 4) if sum(a[i:j]) == k)
    assert count == 6
    has(PAT, "subarray-sum-equals-k", "`[0,0,0], k=0` → 6")


# ------------------------------------------------------------------ stateful deck numbers
def test_cashback_delay_and_rounding():
    assert 24 * 60 * 60 * 1000 == 86_400_000
    assert 49 * 2 // 100 == 0 and 250 * 2 // 100 == 5
    has(STATE, "bank-level3-cashback", "86_400_000", "(49 → 0)")


def test_gnmt_length_penalty_form():
    alpha, length = 0.7, 9
    assert ((5 + length) ** alpha) / ((5 + 1) ** alpha) == pytest.approx(
        ((5 + length) / 6) ** alpha
    )
    has(STATE, "beam-length-normalisation-why", "((5 + |Y|) / 6)^α")


def test_temperature_before_top_p_example():
    # sample-token-seeded tests: probs [0.1, 0.6, 0.3] at T = 4 -> top token ~0.40,
    # so top_p = 0.5 must keep two tokens
    p = [0.1, 0.6, 0.3]
    w = [x ** (1 / 4) for x in p]
    q = [x / sum(w) for x in w]
    assert 0.40 < max(q) < 0.41 and sorted(q)[-1] + sorted(q)[-2] > 0.5
    has(STATE, "sample-token-seeded", "temperature BEFORE top-p")
