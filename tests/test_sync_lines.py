"""Reading a sync log's lines (core/syncread.py): the plain reading of an answer takes
only lines the field-by-field reading takes, with the same values, and every answer line
prepcli writes takes the plain reading (the one a first sync's hundreds of thousands go
through)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from prepcli.core import bounds
from prepcli.core.syncevents import CARD_LOG, Answer, Event, day_of, encode, ms_of
from prepcli.core.syncread import EventProblem, decode, decode_fields, plain_answer

DEVICE = "3f9c0a1b2c4d"
AT = ms_of("2026-11-23T08:00:00Z")
DAY = day_of("2026-11-23")


def _answer(**changes: Any) -> Answer:
    after = (2, None, 12.5, 5.25, AT + 7 * bounds.DAY_MS, DAY + 7, AT, 4, 1, 0)
    values: dict[str, Any] = {
        "rating": 3,
        "study_day": DAY,
        "tz_offset_min": 60,
        "duration_ms": 3582,
        "desired_retention": 0.9,
        "reason": None,
        "kind": 1,
        "elapsed_days": 3.0,
        "scheduled_days": 7.0,
        "r_predicted": 0.91,
        "after": after,
        "prev": 0x0123456789ABCDEF,
        "rules": 0x6031167726F7EB,
    }
    return Answer(**{**values, **changes})


#: Lines as prepcli writes them: fields left out, null, and present.
WRITTEN = [
    encode(Event(f"{DEVICE}-{seq}", DEVICE, seq, AT, kind, "sample.basics/kv-cache", answer))
    for seq, (kind, answer) in enumerate(
        [
            ("answer", _answer()),
            ("answer", _answer(reason="interview", after=(1, 0, 2.3, 9.99, AT, None, AT, 1, 0, 1))),
            ("answer", _answer(after=(3, 1, 0.5, 10.0, None, None, AT - 1, 9, 3, 1))),
            (
                "answer",
                _answer(
                    elapsed_days=None,
                    scheduled_days=None,
                    r_predicted=None,
                    duration_ms=None,
                    desired_retention=None,
                    prev=None,
                    rules=None,
                ),
            ),
            (
                "forget",
                _answer(
                    rating=0,
                    kind=4,
                    elapsed_days=None,
                    scheduled_days=None,
                    r_predicted=None,
                    after=(0, None, None, None, None, None, None, 0, 0, 0),
                ),
            ),
        ],
        start=1,
    )
]

FIELDS = [
    "id",
    "device",
    "at",
    "type",
    "card",
    "rating",
    "day",
    "tz",
    "kind",
    "retention",
    "duration_ms",
    "reason",
    "elapsed_days",
    "scheduled_days",
    "r_predicted",
    "prev",
    "rules",
    "after",
    "unknown",
]
AFTER = [
    "phase",
    "step",
    "stability",
    "difficulty",
    "due",
    "due_day",
    "last_review",
    "reps",
    "lapses",
    "leech",
    "unknown",
]
EDGES = sorted(
    {
        edge
        for b in (*bounds.STATE.values(), *bounds.REVIEW.values())
        if not b.text
        for edge in (b.low, b.high, b.low - 1, b.high + 1, b.low - 0.5, b.high + 0.5)
    }
)
TEXTS = [
    "2026-11-23",
    "1969-12-31",
    "1969-12-30",
    "2999-12-31",
    "3000-01-01",
    "2026-02-30",
    "2026-11-23T08:00:00.000Z",
    "2026-11-23T08:00:00+01:00",
    "2026-11-23T08:00:00",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999Z",
    "3000-01-01T00:00:00Z",
    "0123456789abcdef",
    "0123456789ABCDEF",
    "0x23456789abcdef",
    "good",
    "again",
    "none",
    "easy",
    "review",
    "learn",
    "relearning",
    "manual",
    "new",
    "bogus",
    "",
    " 1",
    DEVICE,
    f"{DEVICE}-1",
    f"{DEVICE}-0",
    "ffffffffffff-1",
    "sample.basics/kv-cache",
    "Sample/KV",
    "x" * 1001,
    "answer",
    "forget",
    "undo",
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EDGES),
    st.sampled_from([float(edge) for edge in EDGES if abs(edge) < 1e15]),
    st.integers(),
    st.floats(),
    st.sampled_from(TEXTS),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
LEFT_OUT = object()
PATHS = [*FIELDS, *(f"after.{name}" for name in AFTER)]
CHANGES = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.one_of(st.just(LEFT_OUT), VALUES),
    ),
    min_size=1,
    max_size=3,
)


def _changed(line: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    for path, value in changes:
        place, name = line, path
        if path.startswith("after."):
            if not isinstance(line.get("after"), dict):
                continue
            place, name = line["after"], path.removeprefix("after.")
        if value is LEFT_OUT:
            place.pop(name, None)
        else:
            place[name] = value
    return line


def _field_by_field(line: dict[str, Any]) -> Event | None:
    try:
        return decode_fields(line)
    except EventProblem:
        return None


def test_every_answer_prepcli_writes_takes_the_plain_reading() -> None:
    for written in WRITTEN:
        line = json.loads(written)
        plain = plain_answer(line)
        assert plain is not None, written
        assert repr(plain) == repr(decode_fields(line)) == repr(decode(line))
        assert encode(plain) == written


def test_any_one_field_changed_is_read_the_same_both_ways() -> None:
    specials = [LEFT_OUT, None, True, False, [], {}, 0, 1, -1, float("nan"), float("inf")]
    pool = [*specials, *EDGES, *(float(edge) for edge in EDGES), *TEXTS]
    for written in WRITTEN:
        for path in PATHS:
            for value in pool:
                _agree(_changed(json.loads(written), [(path, value)]))


@settings(max_examples=600, deadline=None)
@given(written=st.sampled_from(WRITTEN), changes=CHANGES)
def test_the_plain_reading_takes_only_what_the_field_by_field_one_takes(
    written: str, changes: list[tuple[str, Any]]
) -> None:
    _agree(_changed(json.loads(written), changes))


def _agree(line: dict[str, Any]) -> None:
    if line.get("type") not in CARD_LOG:
        return
    plain = plain_answer(line)
    if plain is not None:  # repr: 1 and 1.0, or a bool and an int, are not the same value
        assert repr(plain) == repr(_field_by_field(line)), line


@given(ms=st.integers(bounds.EARLIEST_MS, bounds.LATEST_MS))
def test_an_instant_is_written_as_iso_8601_utc_and_read_back_exactly(ms: int) -> None:
    from datetime import UTC, datetime, timedelta

    from prepcli.core.syncevents import iso_ms

    instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert iso_ms(ms) == instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert ms_of(iso_ms(ms)) == ms


def _documented(event: Event) -> dict[str, Any]:
    """An answer's line as docs/sync.md describes it, built as a dict (the writer writes
    text, field by field; this is what that text must parse to, in the same order)."""
    from prepcli.core.syncevents import KIND_NAMES, PHASE_NAMES, RATING_NAMES, iso_day, iso_ms

    answer = event.answer
    assert answer is not None
    phase, step, stability, difficulty, due, due_day, last, reps, lapses, leech = answer.after
    line: dict[str, Any] = {
        "id": event.id,
        "device": event.device,
        "at": iso_ms(event.at_ms),
        "type": event.type,
        "card": event.card,
        "rating": RATING_NAMES[answer.rating],
        "day": iso_day(answer.study_day),
        "tz": answer.tz_offset_min,
        "kind": KIND_NAMES[answer.kind],
    }
    optional = {
        "retention": answer.desired_retention,
        "duration_ms": answer.duration_ms,
        "reason": answer.reason,
        "elapsed_days": answer.elapsed_days,
        "scheduled_days": answer.scheduled_days,
        "r_predicted": answer.r_predicted,
    }
    line.update({name: value for name, value in optional.items() if value is not None})
    after: dict[str, Any] = {"phase": PHASE_NAMES[phase], "reps": reps, "lapses": lapses}
    shape = {"step": step, "stability": stability, "difficulty": difficulty}
    after.update({name: value for name, value in shape.items() if value is not None})
    if due is not None:
        after["due"] = iso_ms(due)
    if due_day is not None:
        after["due_day"] = iso_day(due_day)
    if last != (event.at_ms if answer.rating else None):
        after["last_review"] = None if last is None else iso_ms(last)
    if leech:
        after["leech"] = True
    line["after"] = after
    if answer.prev is not None:
        line["prev"] = f"{answer.prev:016x}"
    if answer.rules is not None:
        line["rules"] = f"{answer.rules:016x}"
    return line


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


FINITE = st.floats(allow_nan=False, allow_infinity=False)
INSTANTS = st.integers(bounds.EARLIEST_MS, bounds.LATEST_MS)
DAYS = st.integers(bounds.EARLIEST_DAY, bounds.LATEST_DAY)
ANY_TEXT = st.text(max_size=12)  # quotes, backslashes, controls, non-ASCII: all escaped


@settings(max_examples=400, deadline=None)
@given(
    rating=st.integers(0, 4),
    at_ms=INSTANTS,
    card=st.one_of(st.sampled_from(["sample.basics/kv-cache"]), ANY_TEXT),
    facts=st.tuples(DAYS, st.integers(-900, 900), _maybe(st.integers(0, 10**9)), _maybe(FINITE)),
    reason=_maybe(ANY_TEXT),
    kind=st.integers(0, 4),
    days=st.tuples(_maybe(FINITE), _maybe(FINITE), _maybe(FINITE)),
    after=st.tuples(
        st.integers(0, 3),
        _maybe(st.integers(0, 20)),
        _maybe(FINITE),
        _maybe(FINITE),
        _maybe(INSTANTS),
        _maybe(DAYS),
        st.one_of(st.none(), st.just("at"), INSTANTS),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        st.integers(0, 1),
    ),
    digests=st.tuples(_maybe(st.integers(0, 2**63 - 1)), _maybe(st.integers(0, 2**63 - 1))),
)
def test_an_answer_is_written_as_the_json_encoder_writes_its_documented_fields(
    rating: int,
    at_ms: int,
    card: str,
    facts: tuple[int, int, int | None, float | None],
    reason: str | None,
    kind: int,
    days: tuple[float | None, float | None, float | None],
    after: tuple[Any, ...],
    digests: tuple[int | None, int | None],
) -> None:
    study_day, tz, duration, retention = facts
    last = at_ms if after[6] == "at" else after[6]
    state = (*after[:6], last, *after[7:])
    answer = Answer(
        rating, study_day, tz, duration, retention, reason, kind, *days, state, *digests
    )
    event = Event(
        f"{DEVICE}-7", DEVICE, 7, at_ms, "forget" if rating == 0 else "answer", card, answer
    )
    written = encode(event)
    expected = json.dumps(_documented(event), ensure_ascii=False, separators=(",", ":"))
    assert written == expected
    assert json.loads(written) == _documented(event)
