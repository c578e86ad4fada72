"""Rest days and the interview day as a collection knows them (core/daysoff.py has the
rules): the days off to keep free and never count against a streak, and what today is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepcli.core.daysoff import DayNote, day_note
from prepcli.storage import dayload

if TYPE_CHECKING:
    from prepcli.core.models import Settings
    from prepcli.storage.store import Store


def days_off(store: Store, settings: Settings) -> frozenset[int]:
    """Rest days: the declared ones (`rest_days`, breaks) and every plan's interview day."""
    return frozenset(settings.rest_days) | dayload.interview_days(store)


def today_note(
    store: Store, settings: Settings, today: int, interview_day: int | None
) -> DayNote | None:
    """What is special about `today` (the interview day, a rest day, the days after the
    interview), or None; `interview_day`: the active plan's."""
    return day_note(
        today,
        frozenset(settings.rest_days),
        interview_day,
        interview_lead=settings.interview_lead,
        desired_retention=settings.desired_retention,
    )
