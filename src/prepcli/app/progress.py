"""Seeing progress: the statistics report.

The application-layer glue between Study (store, decks, clock) and the pure core/stats.py:
it has the review log and the card table reduced in SQL — predicted recall by the
forgetting curve in use included — and hands plain data over. (The mock quiz's draw and
history: app/quiz.py.)
"""

from __future__ import annotations

from prepcli.app.daysoff import days_off
from prepcli.app.study import Study
from prepcli.core import stats as stats_mod
from prepcli.core.clock import to_ms
from prepcli.storage.cardfacts import card_tallies
from prepcli.storage.sqlitefile import run_guarded


def stats_report(study: Study, decks: tuple[str, ...] = ()) -> stats_mod.StatsReport:
    # Each deck's number of cards comes from the deck index: no card text is needed.
    cards = stats_mod.cards_per_deck(study.selected_keys(decks))
    curve = study.curve
    counted = card_tallies(
        study.store.db,
        decks=tuple(cards),
        now_ms=to_ms(study.now),
        horizon=study.today + stats_mod.FORECAST_DAYS - 1,
        factor=curve.factor,
        decay=curve.decay,
        leaving_out=study.key_groups().outside(study.card_keys),  # gone from the decks
    )
    facts = run_guarded(lambda: study.store.log.facts(decks), study.store.path)
    return stats_mod.build_report(
        today=study.today,
        cards=cards,
        counted=counted,
        facts=facts,
        selection=decks,
        rest_days=days_off(study.store, study.settings),
    )
