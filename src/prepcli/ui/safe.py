"""Text from files, imports and arguments, made safe to show on a terminal (pure strings).

Every character a terminal would act on (core/controls.py: C0 controls but tab and
newline, DEL, C1 controls, bidirectional overrides and isolates) is shown instead of
sent, by one convention:

- a C0 control or DEL becomes its Unicode Control Picture: ESC → ␛ (U+241B),
  BEL → ␇, CR → ␍, NUL → ␀, DEL → ␡;
- a C1 control or a bidirectional control, which have no picture, becomes its code
  point in angle brackets: U+009B → <U+009B>, U+202E → <U+202E>.

`visible` keeps tab and newline (card text is laid out in lines); `visible_line` shows
them too (␉, ␊), for what must stay on one line: ids, paths, titles in a table, one
problem per line. `json_text` is for JSON documents, which must stay exact: it writes the
characters JSON leaves raw as \\u escapes, which read back as the same text.

The ui layer's console (render.console) passes everything it prints through `visible`;
the plain-text printers (todayview, the cli's echo) call these directly.
"""

from __future__ import annotations

from prepcli.core.controls import code_points

_PICTURES = 0x2400  # U+2400 SYMBOL FOR NULL; U+2400 + n pictures C0 control n
_DEL_PICTURE = "\u2421"


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(_PICTURES + code)
    if code == 0x7F:
        return _DEL_PICTURE
    return f"<U+{code:04X}>"


_VISIBLE = {code: _stand_in(code) for code in code_points()}
_VISIBLE_LINE = {**_VISIBLE, ord("\t"): _stand_in(ord("\t")), ord("\n"): _stand_in(ord("\n"))}
# JSON escapes the C0 controls itself; DEL, C1 and the bidirectional controls it writes raw.
_JSON = {code: f"\\u{code:04x}" for code in code_points() if code >= 0x20}


def visible(text: str) -> str:
    """`text` with every control character shown as a stand-in; tab and newline kept."""
    return text.translate(_VISIBLE)


def visible_line(text: str) -> str:
    """`text` on one line: control characters, tab and newline all shown as stand-ins."""
    return text.translate(_VISIBLE_LINE)


def json_text(document: str) -> str:
    """A JSON document from json.dumps(ensure_ascii=False) with the characters it leaves raw
    (DEL, C1, bidirectional controls) escaped: the same data, safe on a terminal."""
    return document.translate(_JSON)
