"""Card text laid out for the terminal: which of the author's line breaks to keep.

Deck files are wrapped by hand at 70-90 columns. Kept as hard breaks, those breaks made
text wrap twice in a narrow terminal and stay narrow in a wide one; joined blindly, they
would run an author's one-thought-per-line layout ("Data: …", "Cost side: …") into one
paragraph. So a break is a soft one (joined, and the text reflows to the terminal) unless
the author visibly ended the line early:

- the line ends a sentence or a clause (`.`, `:`, `;`, `!`, `?`, maybe before a closing
  bracket or quote) and the next line's first word would still have fitted on it, within
  the paragraph's own measure (its longest line): a writer who fills lines never breaks
  there, so it is deliberate; or the paragraph's lines are all short (under
  FILLED_WIDTH), so they were never filled at all (one sentence a line);
- either line is a displayed formula (a line that is one `$…$` span) or a table row.

Paragraphs (blank lines), lists, headings and code blocks are Markdown's own and kept;
an unindented line right after a list ends the list instead of joining its last item.
"""

from __future__ import annotations

import re

_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")
_ENDS_CLAUSE = re.compile(r"[.:;!?][)\]\"'*_`’”]*$")
_FORMULA_LINE = re.compile(r"^\$[^$].*\$$|^\$\$.*\$\$$")
_FENCE = ("```", "~~~")
_HARD = "  "  # two trailing spaces: Markdown's hard line break
#: Prose is filled at 70-100 columns; a paragraph whose lines are all shorter is laid out
#: line by line.
FILLED_WIDTH = 60


def reflow(text: str) -> str:
    """`text` (card Markdown) with the breaks to keep made hard and the others left soft."""
    lines = text.split("\n")
    measures = _measures(lines)
    out: list[str] = []
    in_fence = False
    in_list = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            in_fence = not in_fence
            out.append(line)
            continue
        if in_fence:
            out.append(line)
            continue
        if not stripped:
            in_list = False
        elif _LIST_ITEM.match(line):
            in_list = True
        elif in_list and not line.startswith((" ", "\t")):
            out.append("")  # end the list here
            in_list = False
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if stripped and following.strip() and _keeps_break(line, following, measures[index]):
            line = line.rstrip() + _HARD
        out.append(line)
    return "\n".join(out)


def _keeps_break(line: str, following: str, measure: int) -> bool:
    here, there = line.strip(), following.strip()
    if there.startswith(_FENCE) or line.endswith(_HARD) or line.endswith("\\"):
        return False  # a fence starts its own block; the author already made it hard
    if _FORMULA_LINE.match(here) or _FORMULA_LINE.match(there):
        return True
    if here.startswith("|") or there.startswith("|"):
        return False  # a table: Markdown reads it by lines anyway
    if not _ENDS_CLAUSE.search(here):
        return False
    first_word = there.split(None, 1)[0]
    return measure < FILLED_WIDTH or len(line.rstrip()) + 1 + len(first_word) <= measure


def _measures(lines: list[str]) -> list[int]:
    """For each line, the length of the longest line of its block (its non-blank
    neighbours): the width the author wrapped that paragraph at."""
    measures = [0] * len(lines)
    start = 0
    for end in range(len(lines) + 1):
        if end == len(lines) or not lines[end].strip():
            widest = max((len(line.rstrip()) for line in lines[start:end]), default=0)
            measures[start:end] = [widest] * (end - start)
            start = end + 1
    return measures
