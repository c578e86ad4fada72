"""Seeing progress: the statistics report.

The application-layer glue between Study (store, decks, clock) and the pure core/stats.py:
it reads each source once and computes predicted recall with the forgetting curve in use,
then hands plain data over. (The mock quiz's draw and history: app/quiz.py.)
"""

from __future__ import annotations

from collections.abc import Mapping

from prepcli.app.daysoff import days_off
from prepcli.app.study import Study
from prepcli.core import stats as stats_mod
from prepcli.core.clock import to_ms
from prepcli.core.models import CardFacts, CardState
from prepcli.storage.cardfacts import card_facts
from prepcli.storage.sqlitefile import run_guarded


def recall_now(
    study: Study, states: Mapping[str, CardState | CardFacts], keys: set[str]
) -> dict[str, float]:
    """Predicted recall now of every studied card among `keys`."""
    recall = {}
    now_ms = to_ms(study.now)
    for key in keys:
        state = states.get(key)
        if state is None or state.stability is None or state.last_review_ms is None:
            continue  # never reviewed: no memory to predict
        recall[key] = study.curve.recall_at_ms(state.stability, state.last_review_ms, now_ms)
    return recall


def stats_report(study: Study, decks: tuple[str, ...] = ()) -> stats_mod.StatsReport:
    keys = study.selected_keys(decks)  # from the deck index: no card text is needed
    states = card_facts(study.store)  # the columns counted, not whole states
    facts = run_guarded(lambda: study.store.log.facts(decks), study.store.path)
    return stats_mod.build_report(
        today=study.today,
        keys=keys,
        states=states,
        recall=recall_now(study, states, set(keys)),
        facts=facts,
        selection=decks,
        rest_days=days_off(study.store, study.settings),
    )
