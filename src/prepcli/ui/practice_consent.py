"""The question asked before a third-party deck's code runs: the code itself, where it
comes from, and what protects the user while it runs.

Everything here came from a deck file, so it is shown through `practice.visible` (control
and format characters written as escapes) and as plain Rich Text (no markup is parsed).
This is a local escape until the shared sanitiser (ui/safe.py) lands; the two agree on
what must never reach the terminal.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.text import Text

from prepcli.app.practice import visible
from prepcli.core.cards import CardDef


def consent_screen(card: CardDef, protection: str) -> RenderableType:
    code = (card.tests or "").rstrip("\n").splitlines() or [""]
    width = len(str(len(code)))
    listing = Text()
    for number, line in enumerate(code, 1):
        listing.append(f"  {number:>{width}} │ ", style="dim")
        listing.append(visible(line) + "\n")
    return Group(
        Text(
            f"{visible(card.key)} comes from a deck that is not bundled with prepcli:",
            style="bold",
        ),
        Text(f"  {visible(card.path)}"),
        Text("`--check` runs this code from it (the card's tests) with your file:"),
        Text(""),
        listing,
        Text(protection),
        Text(
            "Run it only if you trust this code. Your answer is remembered for this exact "
            "code; --yes runs it without asking.",
            style="dim",
        ),
    )


def show_consent(card: CardDef, protection: str) -> None:
    """On stderr, so that `--json` output stays clean."""
    err = Console(stderr=True, highlight=False, soft_wrap=False)
    err.print(consent_screen(card, protection))
