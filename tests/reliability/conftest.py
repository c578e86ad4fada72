"""The reliability suite: a Hypothesis profile for the fuzzers and a summary of the figures.

`PREPCLI_FUZZ_EXAMPLES` sets the examples per fuzz test (CI default below); a longer run
sets it higher and `PREPCLI_FUZZ_RANDOM=1` to explore beyond CI's fixed sequence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import typer
from hypothesis import HealthCheck, settings

from prepcli.cli import commands
from tests.reliability.figures import FIGURES

CI_EXAMPLES_PER_TEST = 250

settings.register_profile(
    "prepcli-fuzz",
    max_examples=int(os.environ.get("PREPCLI_FUZZ_EXAMPLES", CI_EXAMPLES_PER_TEST)),
    deadline=None,
    derandomize=not os.environ.get("PREPCLI_FUZZ_RANDOM"),
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("prepcli-fuzz")


@pytest.fixture(scope="module")
def typer_tree_built_once() -> Iterator[None]:
    """Typer rebuilds its whole command tree on every call; tests that run hundreds of
    command lines in this process build it once, as the `prepcli` script does per run."""
    built = typer.main.get_command(commands.app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.main, "get_command", lambda _app: built)
        yield


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "prepcli reliability figures")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {FIGURES[name]}")
