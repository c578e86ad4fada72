"""The only genanki and markdown-it importer: decks as an Anki package (.apkg).

One note per card, in an Anki deck named after the prepcli deck (`prepcli::llm-quiz::
inference`), tagged with the deck's and card's tags and the card's kind. Markdown becomes
HTML, code is highlighted with inline styles (no stylesheet needed), and `$…$` math becomes
`\\(…\\)`, which Anki typesets with MathJax. Each note's GUID comes from the card's
`deck/id`, so importing a newer export updates the notes instead of duplicating them.

With a `Schedule`, each card also carries its state (due day, interval, FSRS memory state,
suspension) and its review log, translated by ankischedule.py, so Anki goes on where
prepcli left off; leeches are tagged `leech`, as Anki tags its own.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import genanki
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from prepcli.core.cards import CardDef, Deck, Kind
from prepcli.core.models import CardState
from prepcli.storage.ankischedule import (
    ReviewIds,
    Schedule,
    anki_card,
    anki_reviews,
    collection_config,
)

MODEL_ID = 1_607_392_411  # stable forever: Anki matches note types by id
ROOT = "prepcli"
FIELDS = ("Front", "Back", "Hints", "Key")
CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; color: black;
        background-color: white; max-width: 46em; margin: 0 auto; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; border-radius: 4px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em; }
.meta { color: #777; font-size: 0.8em; }
.nightMode pre { background: #2b2b2b; }
"""
CLOZE_MODEL_ID = 1_607_392_412  # stable forever, like MODEL_ID
CLOZE_FIELDS = ("Text", "Back Extra", "Key")
FRONT_TEMPLATE = '{{Front}}{{#Hints}}<div class="meta">{{hint:Hints}}</div>{{/Hints}}'
BACK_TEMPLATE = '{{FrontSide}}<hr id="answer">{{Back}}'

_MATH = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])")
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.DOTALL)
_PLACEHOLDER = re.compile(r"PREPCLIMATH(\d+)X")


class AnkiExport(NamedTuple):
    path: Path
    notes: int
    decks: int
    reviewed: int = 0  # cards with a review log
    reviews: int = 0  # revlog rows


def deck_name(deck_id: str) -> str:
    return "::".join((ROOT, *deck_id.split(".")))


def tag_of(text: str) -> str:
    """Anki tags cannot hold spaces."""
    return re.sub(r"\s+", "_", text.strip())


def _highlight(code: str, language: str, _attrs: object) -> str:
    try:
        lexer = get_lexer_by_name(language or "text")
    except ClassNotFound:
        return ""  # markdown-it escapes the code itself
    formatter = HtmlFormatter(noclasses=True, nowrap=True, style="friendly")
    return str(highlight(code, lexer, formatter))


_MARKDOWN = MarkdownIt("commonmark", {"breaks": True, "html": False, "highlight": _highlight})
_MARKDOWN.enable(["table", "strikethrough"])


def to_html(text: str, *, inline: bool = False) -> str:
    """Card Markdown as HTML for Anki, with math handed to MathJax."""
    formulas: list[str] = []

    def protect(match: re.Match[str]) -> str:
        formulas.append(match.group(1))
        return f"PREPCLIMATH{len(formulas) - 1}X"

    parts = _CODE.split(text)
    for index in range(0, len(parts), 2):  # even indexes are outside code
        parts[index] = _MATH.sub(protect, parts[index])
    source = "".join(parts)
    rendered = _MARKDOWN.renderInline(source) if inline else _MARKDOWN.render(source)
    return _PLACEHOLDER.sub(
        lambda m: html.escape("\\(" + formulas[int(m.group(1))] + "\\)", quote=False), rendered
    ).strip()


def _code_block(source: str) -> str:
    return to_html(f"```python\n{source.rstrip()}\n```")


def front_html(card: CardDef) -> str:
    parts = [to_html(card.front)]
    if card.starter and card.kind == Kind.CODING:
        parts += ['<div class="meta">Starter:</div>', _code_block(card.starter)]
    if card.timer_seconds:
        minutes, seconds = divmod(card.timer_seconds, 60)
        limit = f"{minutes} min" + (f" {seconds} s" if seconds else "")
        parts.append(f'<div class="meta">Time limit: {limit}.</div>')
    return "\n".join(parts)


def back_html(card: CardDef) -> str:
    parts = [to_html(card.back)]
    if card.explain:
        parts.append(f'<hr><div class="meta">{to_html(card.explain)}</div>')
    if card.points:
        title = "Rubric" if card.kind == Kind.DESIGN else "Checklist"
        items = "".join(f"<li>{to_html(p, inline=True)}</li>" for p in card.points)
        parts.append(f"<p><b>{title}:</b></p><ul>{items}</ul>")
    if card.solution:
        parts += ["<p><b>Reference solution:</b></p>", _code_block(card.solution)]
    if card.source:
        parts.append(f'<div class="meta">Source: {html.escape(card.source)}</div>')
    return "\n".join(parts)


def card_key_html(card: CardDef) -> str:
    return html.escape(card.key)


def hints_html(card: CardDef) -> str:
    return "<br>".join(to_html(h, inline=True) for h in card.hints)


def _model() -> genanki.Model:
    return genanki.Model(
        MODEL_ID,
        "prepcli card",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card", "qfmt": FRONT_TEMPLATE, "afmt": BACK_TEMPLATE}],
        css=CSS,
        sort_field_index=0,
    )


def _cloze_model() -> genanki.Model:
    return genanki.Model(
        CLOZE_MODEL_ID,
        "prepcli cloze",
        fields=[{"name": name} for name in CLOZE_FIELDS],
        templates=[
            {
                "name": "Cloze",
                "qfmt": "{{cloze:Text}}",
                "afmt": "{{cloze:Text}}<br>{{Back Extra}}",
            }
        ],
        css=CSS,
        model_type=genanki.Model.CLOZE,
    )


def cloze_note_fields(card: CardDef) -> list[str]:
    """One cloze card's fields: its text with Anki's own {{cN::…}} deletions kept, so Anki
    makes one card per deletion as prepcli schedules one item per deletion."""
    assert card.cloze_text is not None
    extra = [to_html(card.explain)] if card.explain else []
    if card.source:
        extra.append(f'<div class="meta">Source: {html.escape(card.source)}</div>')
    return [to_html(card.cloze_text), "\n".join(extra), html.escape(f"{card.deck}/{card.note_id}")]


def write_apkg(decks: Sequence[Deck], path: Path, now: datetime, schedule: Schedule) -> AnkiExport:
    """Write the decks as one .apkg, each card with its schedule and review log; `now`
    stamps the notes (no hidden clock)."""
    model, cloze_model = _model(), _cloze_model()
    anki_decks = []
    cards: list[tuple[str, str, int]] = []  # (card key, note GUID, Anki card ordinal)
    notes = 0
    for deck in decks:
        name = deck_name(deck.id)
        anki_deck = genanki.Deck(_deck_id(name), name, description=html.escape(deck.description))
        written: dict[str, genanki.Note] = {}
        for card in deck.cards:
            note = written.get(card.note_id)
            if note is None:  # else a later deletion of a cloze note already written
                note = written[card.note_id] = _note(deck, card, model, cloze_model)
                anki_deck.add_note(note)
                notes += 1
            state = schedule.states.get(card.key)
            if state is not None and state.leech and "leech" not in note.tags:
                note.tags.append("leech")
            # Deletion {{cN::…}} is the note's card N - 1, as Anki numbers them.
            cards.append((card.key, note.guid, 0 if card.cloze is None else card.cloze - 1))
        anki_decks.append(anki_deck)
    package = _ScheduledPackage(anki_decks, cards, schedule)
    package.write_to_file(str(path), timestamp=now.timestamp())
    return AnkiExport(path, notes, len(anki_decks), package.reviewed, package.reviews)


def _note(
    deck: Deck, card: CardDef, model: genanki.Model, cloze_model: genanki.Model
) -> genanki.Note:
    tags = {ROOT, tag_of(card.kind.value), *map(tag_of, deck.tags), *map(tag_of, card.tags)}
    tags.add(tag_of(card.tier.value))
    if card.cloze is None:
        fields = [front_html(card), back_html(card), hints_html(card), html.escape(card.key)]
        return genanki.Note(
            model=model,
            fields=fields,
            tags=sorted(t for t in tags if t),
            guid=genanki.guid_for(card.key),
        )
    return genanki.Note(
        model=cloze_model,
        fields=cloze_note_fields(card),
        tags=sorted(t for t in tags if t),
        guid=genanki.guid_for(f"{card.deck}/{card.note_id}"),
    )


class _ScheduledPackage(genanki.Package):  # type: ignore[misc]
    """genanki writes the notes with every card new; this lays each card's schedule and
    review log over their rows before the file is zipped."""

    def __init__(
        self, decks: list[genanki.Deck], cards: list[tuple[str, str, int]], schedule: Schedule
    ) -> None:
        super().__init__(decks)
        self.cards = cards
        self.schedule = schedule
        self.reviewed = 0  # cards with a review log
        self.reviews = 0  # revlog rows

    def write_to_db(self, cursor: Any, timestamp: float, id_gen: Any) -> None:
        super().write_to_db(cursor, timestamp, id_gen)
        (stored,) = cursor.execute("SELECT conf FROM col").fetchone()
        cursor.execute("UPDATE col SET conf = ?", (collection_config(stored),))
        card_ids = {
            (guid, ordinal): card_id
            for card_id, guid, ordinal in cursor.execute(
                "SELECT cards.id, notes.guid, cards.ord "
                "FROM cards JOIN notes ON notes.id = cards.nid"
            ).fetchall()
        }
        ids = ReviewIds()
        for position, (key, guid, ordinal) in enumerate(self.cards, 1):
            card_id = card_ids.get((guid, ordinal))
            if card_id is None:  # genanki made no card for it (cannot happen for a loaded deck)
                continue
            row = anki_card(
                self.schedule.states.get(key) or CardState(key), self.schedule, position
            )
            cursor.execute(
                "UPDATE cards SET type = ?, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, "
                "lapses = ?, left = ?, data = ? WHERE id = ?",
                (
                    row.type,
                    row.queue,
                    row.due,
                    row.ivl,
                    row.factor,
                    row.reps,
                    row.lapses,
                    row.left,
                    row.data,
                    card_id,
                ),
            )
            history = self.schedule.histories.get(key, ())
            for review in anki_reviews(history, self.schedule.calendar, ids):
                cursor.execute(
                    "INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                    (
                        review.id,
                        card_id,
                        review.ease,
                        review.ivl,
                        review.last_ivl,
                        review.factor,
                        review.time,
                        review.type,
                    ),
                )
                self.reviews += 1
            self.reviewed += bool(history)


def _deck_id(name: str) -> int:
    # Anki deck ids are 64-bit; stay clear of Anki's own small ids and of timestamps.
    return (1 << 40) + zlib.crc32(name.encode("utf-8"))
