"""Time `prepcli deck lint` on 20,000 cards (40 deck files of 500 cards).

    python bench/lint_bench.py             # 20,000 cards in a temporary folder
    python bench/lint_bench.py --cards N   # another size

Fronts are 6 to 12 words drawn from a 20,000-word vocabulary with Zipf frequencies (as
in real text), and 1% of cards are reworded copies of another card, so the near-duplicate
search has real pairs to find. Reports the median of several runs of: the near-duplicate
search alone (also on a harder, uniform 3,000-word vocabulary where even a front's rarest
words are shared by ~50 cards), the whole lint in process, and `prepcli deck lint` end to
end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from prepcli.files.lint import NEAR_DUPLICATE, front_words, lint, similar_pairs

PER_FILE = 500


def zipf_words(rng: random.Random) -> Callable[[int], list[str]]:
    vocabulary = [f"term{n}" for n in range(20_000)]
    weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
    return lambda count: rng.choices(vocabulary, weights, k=count)


def uniform_words(rng: random.Random) -> Callable[[int], list[str]]:
    vocabulary = [f"term{n}" for n in range(3_000)]
    return lambda count: rng.sample(vocabulary, count)


def make_fronts(cards: int, words: Callable[[int], list[str]], rng: random.Random) -> list[str]:
    fronts: list[str] = []
    for n in range(cards):
        if n and rng.random() < 0.01:  # a reworded copy of an earlier card
            copied = fronts[rng.randrange(len(fronts))].rstrip("?").split()
            copied[-1] = copied[-1] + "s"
            fronts.append(" ".join(copied) + "?")
        else:
            fronts.append("How does " + " ".join(words(rng.randint(6, 12))) + "?")
    return fronts


def build(folder: Path, fronts: list[str]) -> None:
    cards = len(fronts)
    for start in range(0, cards, PER_FILE):
        number = start // PER_FILE
        lines = [
            f"deck: bench.deck{number}",
            f"title: Bench deck {number}",
            "description: Generated for the lint benchmark.",
            "sources: [generated]",
            "cards:",
        ]
        for index in range(start, min(cards, start + PER_FILE)):
            lines += [
                f"  - id: card-{index}",
                "    kind: concept",
                f"    front: {fronts[index]}",
                "    back: |",
                "      An answer over two lines, with a little math: $\\sqrt{d_k}$,",
                "      and `code` that is not math: `$x$`.",
            ]
        (folder / f"deck{number:03d}.yaml").write_text("\n".join(lines) + "\n", "utf-8")


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    rng = random.Random(1)
    hard = [front_words(f) for f in make_fronts(options.cards, uniform_words(rng), rng)]
    hard_search = median_seconds(lambda: similar_pairs(hard, NEAR_DUPLICATE), options.repeats)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        fronts = make_fronts(options.cards, zipf_words(rng), rng)
        build(folder, fronts)
        sets = [front_words(front) for front in fronts]
        pairs = similar_pairs(sets, NEAR_DUPLICATE)
        report = lint([folder])
        print(f"{options.cards:,} cards in {report.files} files: {len(pairs)} near-duplicate "
              f"pairs, {report.warnings} warnings, {report.errors} errors")  # fmt: skip
        search = median_seconds(lambda: similar_pairs(sets, NEAR_DUPLICATE), options.repeats)
        whole = median_seconds(lambda: lint([folder]), options.repeats)
        command = [sys.executable, "-m", "prepcli", "deck", "lint", str(folder)]
        cli = median_seconds(
            lambda: subprocess.run(command, capture_output=True, check=False), options.repeats
        )
    print(f"near-duplicate search            {search * 1000:8.0f} ms")
    print(f"  on the uniform vocabulary      {hard_search * 1000:8.0f} ms")
    print(f"lint in process                  {whole * 1000:8.0f} ms")
    print(f"`prepcli deck lint` (CLI)        {cli * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
