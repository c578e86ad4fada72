"""Why today's queue for a selection is empty: `prepcli review --deck my` that gives no card
says why (new cards waiting for a later week or for tomorrow, the next review's date)
rather than just "0 answers"."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from prepcli.core.models import Phase
from prepcli.core.planstatus import current_week

if TYPE_CHECKING:
    from prepcli.app.study import Study


def why_empty(
    study: Study, decks: tuple[str, ...] = (), tags: tuple[str, ...] = (), *, ahead: bool = False
) -> str:
    """One sentence: nothing of the selection is due or new today, and why."""
    today = study.today
    keys = study.selected_keys(decks, tags)
    groups = study.key_groups(today)
    new = [k for k in keys if k not in groups.studied and k not in groups.hidden]
    reasons = _new_reasons(study, new, ahead=ahead)
    states = study.store.states_of([k for k in keys if k in groups.studied or k in groups.hidden])
    waiting = [s for s in states.values() if not s.suspended and s.phase != Phase.NEW]
    buried = sum(1 for s in waiting if (s.buried_until_day or 0) > today)
    if buried:
        reasons.append(f"{_cards(buried)} buried until tomorrow")
    held = sum(
        1
        for s in waiting
        if (s.buried_until_day or 0) <= today and s.due_day is not None and s.due_day <= today
    )
    if held:
        reasons.append(
            f"{_cards(held)} due but held back (the daily review limit, or the interview "
            "planner keeps them for a day they are worth more)"
        )
    later = Counter(s.due_day for s in waiting if s.due_day is not None and s.due_day > today)
    if later:
        day = min(later)
        reasons.append(f"next due {study.calendar.date_of(day).isoformat()} ({_cards(later[day])})")
    elif not new and not waiting and keys:
        reasons.append("every card of it is suspended")
    return f"No card{_selection(decks, tags)} is due or new today" + (
        ": " + "; ".join(reasons) + "." if reasons else "."
    )


def _new_reasons(study: Study, new: list[str], *, ahead: bool) -> list[str]:
    """Why the selection's new cards do not come today."""
    if not new:
        return []
    status = study.plans.status()
    if status is not None and status.new_cards_stopped and not ahead:
        return [
            f"{_cards(len(new), 'new card')} wait: the last days before the interview are "
            "for reviews (`--ahead` introduces them)"
        ]
    active = study.plans.active()
    runway = None if ahead or active is None else study.plans.runway(study.today)
    held: set[str] = set()
    reasons = []
    if active is not None and not ahead:
        reach = (
            runway.runway.reach_week
            if runway is not None
            else current_week(active.plan, active.run, study.today)
        )
        later = active.layout.introduced_after(reach).intersection(new)
        no_room = frozenset() if runway is None else runway.held_back.intersection(new) - later
        held = set(later | no_room)
        if later:
            reasons.append(f"{_cards(len(later), 'new card')} come in later weeks of the plan")
        if no_room:
            assert runway is not None
            reasons.append(
                f"{_cards(len(no_room), 'new card')} do not fit by "
                f"{runway.runway.last_new_date} at new_per_day {runway.runway.new_per_day} "
                "(`prepcli plan`)"
            )
        if held:
            reasons[-1] += "; `--ahead` introduces them now"
    rest = len(new) - len(held)
    if rest:
        introduced = study.progress().new_introduced
        reasons.append(
            f"{_cards(rest, 'new card')} wait for tomorrow: today's {introduced} new "
            "cards are introduced"
        )
    return reasons


def _selection(decks: tuple[str, ...], tags: tuple[str, ...]) -> str:
    parts = []
    if decks:
        parts.append(("deck " if len(decks) == 1 else "decks ") + ", ".join(decks))
    if tags:
        parts.append(("tag " if len(tags) == 1 else "tags ") + ", ".join(tags))
    return " of " + " with ".join(parts) if parts else ""


def _cards(count: int, word: str = "card") -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
