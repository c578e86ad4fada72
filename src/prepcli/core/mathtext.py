"""Inline `$…$` LaTeX in card text, turned into readable Unicode for a terminal.

Covers what flashcards use: Greek letters, sub/superscripts, fractions, roots, common
operators and function names. Anything unknown keeps its name without the backslash,
so the result is never raw LaTeX soup. Code spans and fences are left alone.
"""

from __future__ import annotations

import re

GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
SYMBOLS = {
    "cdot": "·",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "infty": "∞",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "implies": "⇒",
    "iff": "⇔",
    "mapsto": "↦",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "partial": "∂",
    "nabla": "∇",
    "forall": "∀",
    "exists": "∃",
    "top": "⊤",
    "perp": "⊥",
    "odot": "⊙",
    "oplus": "⊕",
    "otimes": "⊗",
    "circ": "∘",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "langle": "⟨",
    "rangle": "⟩",
    "|": "‖",
    "mid": "|",
    "ll": "≪",
    "gg": "≫",
    "neg": "¬",
    "land": "∧",
    "lor": "∨",
    "star": "⋆",
    "ell": "ℓ",
    "hbar": "ħ",
    "emptyset": "∅",
    "sqrt": "√",
    ",": " ",
    ";": " ",
    "quad": "  ",
    "qquad": "    ",
    "!": "",
    " ": " ",
    "{": "{",
    "}": "}",
    "_": "_",
    "%": "%",
    "$": "$",
    "#": "#",
    "&": "&",
    "left": "",
    "right": "",
    "big": "",
    "Big": "",
    "bigl": "",
    "bigr": "",
}
FUNCTIONS = {
    "log",
    "ln",
    "exp",
    "sin",
    "cos",
    "tan",
    "tanh",
    "max",
    "min",
    "arg",
    "argmax",
    "argmin",
    "softmax",
    "det",
    "lim",
    "sup",
    "inf",
    "Pr",
    "E",
    "KL",
    "Var",
    "Cov",
    "mod",
    "sgn",
}
STYLES = {
    "mathrm",
    "text",
    "mathbf",
    "mathit",
    "mathcal",
    "mathbb",
    "operatorname",
    "boldsymbol",
    "textbf",
    "textit",
    "mathsf",
    "texttt",
    "hat",
    "tilde",
    "bar",
    "overline",
    "vec",
    "widehat",
    "widetilde",
}
ACCENTS = {
    "hat": "\u0302",
    "tilde": "\u0303",
    "bar": "\u0304",
    "overline": "\u0305",
    "vec": "\u20d7",
    "widehat": "\u0302",
    "widetilde": "\u0303",
}

SUPERSCRIPT = dict(zip("0123456789+-=()nikT⊤", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵏᵀᵀ", strict=True))
SUBSCRIPT = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)

_MATH = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])")
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.DOTALL)


def render_math_in(text: str) -> str:
    """Replace each inline `$…$` outside code with its Unicode rendering."""
    parts = _CODE.split(text)
    for index in range(0, len(parts), 2):  # even indexes are outside code
        parts[index] = _MATH.sub(lambda m: latex_to_unicode(m.group(1)), parts[index])
    return "".join(parts)


def latex_to_unicode(latex: str) -> str:
    return _Parser(latex).expression(stop=None).strip()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expression(self, stop: str | None) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if stop is not None and char == stop:
                self.pos += 1
                return "".join(out)
            if char in "^_":
                self.pos += 1
                out.append(self.script(SUPERSCRIPT if char == "^" else SUBSCRIPT, char))
            else:
                out.append(self.atom())
        return "".join(out)

    def atom(self) -> str:
        char = self.text[self.pos]
        if char == "{":
            self.pos += 1
            return self.expression(stop="}")
        if char == "\\":
            return self.command()
        self.pos += 1
        return char

    def argument(self) -> str:
        while self.peek() == " ":
            self.pos += 1
        if not self.peek():
            return ""
        return self.atom()

    def command(self) -> str:
        self.pos += 1  # the backslash
        match = re.match(r"[A-Za-z]+", self.text[self.pos :])
        if match is None:
            name = self.peek()
            self.pos += 1
        else:
            name = match.group(0)
            self.pos += len(name)
        if name == "frac" or name == "dfrac" or name == "tfrac":
            numerator, denominator = self.argument(), self.argument()
            return f"{_group(numerator)}/{_group(denominator)}"
        if name == "sqrt":
            return "√" + _group(self.argument())
        if name in ACCENTS:
            body = self.argument()
            return body + ACCENTS[name] if len(body) == 1 else body
        if name in STYLES:
            return self.argument()
        if name in GREEK:
            return GREEK[name]
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in FUNCTIONS:
            return name
        return name

    def script(self, table: dict[str, str], marker: str) -> str:
        body = self.argument()
        if body and all(c in table for c in body):
            return "".join(table[c] for c in body)
        if len(body) == 1 or body.isalnum():
            return marker + body
        return f"{marker}({body})" if body else marker


def _group(text: str) -> str:
    """Parenthesise a fraction part or root argument unless it is a single token."""
    if re.fullmatch(r"[\w.′·√]+", text) and not ("·" in text and len(text) > 1):
        return text
    return f"({text})"


#: Every command the renderer knows; anything else is shown as its bare name.
KNOWN_COMMANDS = frozenset(
    {*GREEK, *SYMBOLS, *FUNCTIONS, *STYLES, *ACCENTS, "frac", "dfrac", "tfrac", "sqrt"}
)
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def math_spans(text: str) -> list[tuple[int, str]]:
    """Each inline `$…$` outside code that `render_math_in` would render: (offset of its
    opening `$` in `text`, the LaTeX between the dollars)."""
    spans: list[tuple[int, str]] = []
    offset = 0
    for index, part in enumerate(_CODE.split(text)):
        if index % 2 == 0:  # even parts are outside code
            spans.extend((offset + m.start(), m.group(1)) for m in _MATH.finditer(part))
        offset += len(part)
    return spans


def unknown_commands(latex: str) -> list[str]:
    """The commands in `latex` the renderer does not know, each once, in order (`\\mathscr`)."""
    found: list[str] = []
    for match in _COMMAND.finditer(latex):
        command = "\\" + match.group(1)
        if match.group(1) not in KNOWN_COMMANDS and command not in found:
            found.append(command)
    return found
