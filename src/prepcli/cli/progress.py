"""Progress: statistics, the mock quiz and coding practice."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from prepcli.cli.common import (
    DeckOption,
    JsonOption,
    TagOption,
    complete_card_id,
    confirm,
    echo,
    emit_json,
    open_study,
    parse_rating,
    show,
    show_long,
)
from prepcli.cli.jsonout import fields_of
from prepcli.core.errors import UsageError

app = typer.Typer(rich_markup_mode=None)

# --- stats, quiz, practice ---------------------------------------------------------------

quiz_app = typer.Typer(
    rich_markup_mode=None, invoke_without_command=True
)  # its help: quiz's docstring


@app.command()
def stats(ctx: typer.Context, deck: DeckOption = None, as_json: JsonOption = False) -> None:
    """Progress: heatmap, streaks, true retention, forecast, decks, time, calibration, leeches.

    Long output goes through your pager on a terminal (`prepcli --no-pager` turns it off).

    \b
    Examples:
      prepcli stats
      prepcli stats --deck llm-quiz
      prepcli stats --json
    """
    from prepcli.app.progress import stats_report

    study = open_study(ctx)
    report = stats_report(study, tuple(deck or ()))
    if as_json:
        emit_json(fields_of(report))  # for scripts: without Rich
    else:
        from prepcli.ui import stats_view

        show_long(ctx, stats_view.stats_view(report))


@quiz_app.callback()
def quiz(
    ctx: typer.Context,
    minutes: Annotated[
        int,
        typer.Option(
            "--minutes", "-m", min=1, max=240, metavar="MINUTES", help="Length of the quiz."
        ),
    ] = 45,
    deck: DeckOption = None,
    tag: TagOption = None,
    count: Annotated[
        int | None,
        typer.Option(
            "--count", "-n", min=1, metavar="N", help="Questions (default: one per 2 minutes)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", metavar="N", help="Seed of the draw (default: from the clock)."),
    ] = None,
    count_as_review: Annotated[
        bool,
        typer.Option(
            "--count-as-review",
            help="Also record marks as reviews: right = Good, partly = Hard, wrong = Again.",
        ),
    ] = False,
) -> None:
    """A timed mock quiz on your weakest topics; `prepcli quiz history` lists past ones.

    Questions come from the llm-quiz.* and research.* decks (or --deck, --tag), weighted
    towards your weakest topics. Keys: answer aloud, then Space or Enter shows the answer;
    mark it r right, p partly, w wrong (or 1, 2, 3); q quits (marks so far are kept).

    \b
    Examples:
      prepcli quiz
      prepcli quiz --minutes 20 --deck llm-quiz.inference
      prepcli quiz --count 10 --count-as-review
    """
    if ctx.invoked_subcommand is not None:
        return
    import random

    from prepcli.app.quiz import QuizRecorder, draw_quiz
    from prepcli.core import quiz as quiz_mod
    from prepcli.core.clock import to_ms
    from prepcli.ui import quiz_view
    from prepcli.ui.keyboard import key_reader
    from prepcli.ui.quiz_session import QuizSession

    if not sys.stdin.isatty():
        raise UsageError("`prepcli quiz` needs a terminal (`prepcli quiz history` does not)")
    decks, tags = tuple(deck or ()), tuple(tag or ())
    study = open_study(ctx)
    chosen_seed = seed if seed is not None else to_ms(study.now)
    wanted = count or quiz_mod.default_count(minutes)
    questions = draw_quiz(study, decks, tags, wanted, random.Random(chosen_seed))
    selection = {
        "decks": list(decks),
        "tags": list(tags),
        "seed": chosen_seed,
        "count_as_review": count_as_review,
        "questions": [q.card.key for q in questions],
    }
    recorder = QuizRecorder(
        study, to_ms(study.now), minutes, selection, count_as_review=count_as_review
    )
    session = QuizSession(questions, recorder, minutes=minutes, start=study.now)
    with key_reader() as keys:
        result = session.run(keys)
    rows, total = quiz_mod.scores((q.topic, mark) for q, mark in result.answers)
    show(
        quiz_view.quiz_summary(
            rows,
            total,
            quiz_mod.to_work_on(rows),
            result.seconds,
            result.ended,
            counted_as_review=count_as_review,
        )
    )


@quiz_app.command("history")
def quiz_history(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Past mock quizzes: when, how long, score, and the topics to work on.

    Start times are in your time zone (the `timezone` setting).

    \b
    Examples:
      prepcli quiz history
      prepcli quiz history --json
    """
    from prepcli.app import quiz as quizzes
    from prepcli.ui import quiz_view

    study = open_study(ctx)
    summaries = quizzes.quiz_history(study)
    if as_json:
        emit_json({"quizzes": summaries})
    else:
        show_long(ctx, quiz_view.quiz_history_view(summaries, study.calendar.tz))


@app.command()
def practice(
    ctx: typer.Context,
    card_id: Annotated[
        str,
        typer.Argument(
            metavar="CARD_ID",
            help="A coding card with starter and tests.",
            autocompletion=complete_card_id,
        ),
    ],
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            file_okay=False,
            metavar="PATH",
            help="Practice folder (default: practice/ in the user data dir); "
            "the file is DIR/<deck>/<id>.py.",
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Run the card's tests on your file, then rate it.")
    ] = False,
    no_editor: Annotated[
        bool, typer.Option("--no-editor", help="Do not open $EDITOR; print the path.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.5,
            max=3600,
            metavar="SECONDS",
            help="Seconds before --check stops a run.",
        ),
    ] = 10.0,
    rating: Annotated[
        str | None,
        typer.Option(
            "--rating",
            metavar="RATING",
            help="With --check: record this rating (1-4) without asking.",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="With --check: run the tests of a deck not bundled with prepcli without "
            "asking (for scripts: you vouch for that code).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Practise a coding card for real: its starter in a file, your editor, its tests.

    The first run writes the starter (never over an existing file) and opens $EDITOR;
    `--check` runs the tests in a separate Python with a timeout, shows each assert's
    result, and records your rating as a review. Exit status 1 when a check fails.

    Tests from a deck not bundled with prepcli run only once you have read and approved
    them (asked in a terminal, remembered for that exact code; --yes for scripts; without
    a terminal and --yes, nothing runs). Protection: on Linux with user namespaces
    (`unshare`) the code runs in a sandbox with no network, a read-only file system with
    your home, /tmp and /run hidden, only a private temporary folder writable, no
    environment variables but PATH and LANG, limits on CPU time, memory (1 GiB), file size
    and processes, and everything it starts is stopped at the end, at the timeout or when
    prepcli is interrupted. Elsewhere it runs with your rights (the same limits, folder and
    environment, no sandbox); the question asked before a third-party deck's code runs
    says which of the two applies here. On Windows the tests run with your rights, in a
    process group of their own that is ended with everything it started.

    \b
    Examples:
      prepcli practice coding.patterns/longest-substring-no-repeat
      prepcli practice coding.patterns/longest-substring-no-repeat --check
      prepcli practice coding.patterns/longest-substring-no-repeat --check --rating 3
    """
    import math

    from prepcli.app import practice as practice_mod
    from prepcli.core.models import Rating
    from prepcli.storage import paths
    from prepcli.ui import editor

    if not math.isfinite(timeout):
        raise UsageError(f"--timeout must be a number of seconds, not {timeout}")
    chosen = None if rating is None else Rating(parse_rating(rating))
    if rating is not None and not check:
        raise UsageError("--rating goes with --check")
    if yes and not check:
        raise UsageError("--yes goes with --check")
    study = open_study(ctx)
    card = study.card(card_id)
    practice_mod.require_practicable(card)
    root = folder if folder is not None else paths.data_dir() / "practice"
    path = practice_mod.practice_file(root, card)
    if not check:
        created, line = practice_mod.create_practice_file(path, card)
        if as_json:
            emit_json({"card": card.key, "path": str(path), "created": created})
            return
        echo(
            f"Wrote the starter to {path}"
            if created
            else f"Your practice file is already there (left as it is): {path}"
        )
        if not no_editor and sys.stdin.isatty():
            status = editor.open_at(path, line)
            if status != 0:
                echo(f"The editor exited with status {status}.")
        echo(f"Check it with: prepcli practice {card.key} --check")
        return
    practice_mod.prepare_checks(card, path)
    if not practice_mod.is_bundled(card) and not yes:
        _ask_consent(card)
    run = practice_mod.run_checks(card, path, timeout)
    if not as_json:
        from prepcli.ui import quiz_view

        echo(f"{run.card}\n  {run.path}")  # a path on a line of its own, never wrapped
        show(quiz_view.practice_view(run))
        if chosen is None and sys.stdin.isatty():
            chosen = _ask_rating(3 if run.all_passed else 1)
    outcome = None
    if chosen is not None:
        study = open_study(ctx)
        _before, outcome = study.answering.answer(card.key, chosen)
    if as_json:
        data = run.as_dict()
        data["rating"] = chosen
        data["next_in_days"] = None if outcome is None else outcome.scheduled_days
        emit_json(data)
    elif outcome is not None and chosen is not None:
        from prepcli.core.textfmt import RATING_NAMES, format_interval
        from prepcli.ui import quiz_view

        label = format_interval(outcome.scheduled_days)
        echo(f"{card.key}: {RATING_NAMES[chosen]} — next in {label}")
    else:
        echo("No rating recorded (`--rating 1–4` records one without asking).")
    if not run.all_passed:
        raise typer.Exit(1)


def _ask_consent(card: Any) -> None:
    """Nothing from a third-party deck runs before the user has read it and agreed."""
    from prepcli.app import practice as practice_mod
    from prepcli.app import sandbox
    from prepcli.core.clock import now
    from prepcli.core.errors import PrepError
    from prepcli.storage import consent

    digest = practice_mod.code_digest(card)
    if consent.is_approved(digest):
        return
    key = practice_mod.visible(card.key)
    if not sys.stdin.isatty():
        raise PrepError(
            f"not run: the tests of {key} come from a deck not bundled with prepcli "
            f"({practice_mod.visible(card.path)}) and you have not approved them; run "
            "this command in a terminal to read and approve them, or add --yes"
        )
    from prepcli.ui import practice_consent

    practice_consent.show_consent(card, sandbox.protection().describe())
    if not confirm("Run this code?", err=True):
        raise PrepError(f"not run: you did not approve the tests of {key}")
    consent.approve(digest, card=card.key, deck=card.path, when=now().isoformat())


def _ask_rating(suggested: int) -> Any:
    from prepcli.core.models import Rating

    while True:
        text = typer.prompt("Rate it: 1 Again · 2 Hard · 3 Good · 4 Easy", default=str(suggested))
        try:
            return Rating(parse_rating(text))
        except UsageError as exc:
            echo(str(exc))
