"""Characters a terminal acts on instead of showing: the one list of them (pure).

Text from a deck, a plan, an import or an argument must never carry these to the screen:
- the C0 controls except tab and newline (ESC begins every escape sequence: OSC 52 writes
  the clipboard, OSC 8 hides a link target, OSC 0 sets the window title, CSI 2J clears
  the screen, CSI 6n makes the terminal type a reply into the input), and DEL;
- the C1 controls U+0080–U+009F (U+009B is an 8-bit CSI, U+009D an 8-bit OSC, which
  some terminals obey);
- the bidirectional embeddings, overrides and isolates, which make text read in another
  order than it is stored ("Trojan Source", CVE-2021-42574).

The loaders refuse them in deck and plan files (files/yamlfile.py); the ui layer shows
any that still arrive, from the database or an argument, as visible stand-ins
(ui/safe.py).
"""

from __future__ import annotations

import re

#: Code point ranges (first, last), inclusive.
RANGES = (
    (0x00, 0x08),
    (0x0B, 0x1F),  # tab (09) and newline (0A) are text
    (0x7F, 0x9F),  # DEL and the C1 controls
    (0x202A, 0x202E),  # LRE RLE PDF LRO RLO
    (0x2066, 0x2069),  # LRI RLI FSI PDI
)

#: The ranges as a regular expression character class, in the syntax Python and the JSON
#: Schema (ECMA-262) patterns share.
CHARACTER_CLASS = "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in RANGES) + "]"
UNSAFE = re.compile(CHARACTER_CLASS)

# The names people meet in escape sequences; the others are known by their code point.
_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x0B: "VT",
    0x0C: "FF",
    0x0D: "CR",
    0x1B: "ESC",
    0x7F: "DEL",
    0x85: "NEL",
    0x90: "DCS",
    0x9B: "CSI",
    0x9C: "ST",
    0x9D: "OSC",
    0x202A: "LRE",
    0x202B: "RLE",
    0x202C: "PDF",
    0x202D: "LRO",
    0x202E: "RLO",
    0x2066: "LRI",
    0x2067: "RLI",
    0x2068: "FSI",
    0x2069: "PDI",
}


def code_points() -> list[int]:
    """Every unsafe code point, in order."""
    return [code for first, last in RANGES for code in range(first, last + 1)]


def describe(char: str) -> str:
    """'U+001B (ESC)': how a message names the character without printing it."""
    code = ord(char)
    short = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({short})" if short else "")
