"""`prepcli simulate`: the interview planner against plain FSRS on a simulated learner, its
recall-versus-reviews frontier, and what each daily capacity buys on the user's own cards."""

from __future__ import annotations

import json
import math
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from prepcli.cli.common import JsonOption, emit_json, open_study, show
from prepcli.cli.jsonout import fields_of
from prepcli.core.clock import StudyCalendar
from prepcli.core.errors import UsageError
from prepcli.core.models import DEFAULT_SETTINGS
from prepcli.core.textfmt import number, plural

if TYPE_CHECKING:
    from prepcli.app.simulate import Policy, PolicyResult

app = typer.Typer(rich_markup_mode=None)

SWEEPS = {  # the planner setting a sweep varies, and its default values
    "price": (0.04, 0.025, 0.016, 0.01, 0.006),
    "retention": (0.75, 0.8, 0.85, 0.9),
}


def _finite(value: float | None) -> float | None:
    """Reject nan and infinities, which pass a range check (every comparison is false)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def _values(text: str, what: str) -> list[float]:
    values = []
    for part in text.replace(",", " ").split():
        try:
            value = float(part)
        except ValueError:
            raise UsageError(f"{what}: not a number: {part!r}") from None
        if not math.isfinite(value):
            raise UsageError(f"{what}: {part} is not a finite number")
        values.append(value)
    if not values:
        raise UsageError(f"{what}: give at least one number")
    return values


def learner_parameters(value: str | None) -> tuple[float, ...] | None:
    """`default`, `faster`, a JSON list of 21 FSRS-6 parameters, or a JSON file holding one
    (a list, or an object with a `parameters` list); checked against FSRS's bounds."""
    from prepcli.app import simulate
    from prepcli.core.scheduler import Scheduler

    if value is None or value == "default":
        return None
    if value == "faster":
        return simulate.faster_forgetting(Scheduler.default_parameters())
    text = value
    if not value.lstrip().startswith("["):
        from prepcli.cli.arguments import checked_path, shown
        from prepcli.files.safeio import FileRefused, read_regular

        path = checked_path(Path(value), "file")  # never a FIFO (it blocks) or /dev/zero
        try:
            text = read_regular(path, 1 << 20).decode("utf-8")
        except FileRefused as exc:
            raise UsageError(f"--learner-params: {shown(value)} {exc.reason}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--learner-params: {shown(value)} is not a UTF-8 text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--learner-params: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except (RecursionError, ValueError):  # nested thousands deep; a number of 5,000 digits
        raise UsageError("--learner-params: not a list of 21 FSRS-6 parameters") from None
    if isinstance(data, dict):
        data = data.get("parameters")
    if not isinstance(data, list) or len(data) != 21:
        raise UsageError("--learner-params: expected a list of 21 FSRS-6 parameters")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in data):
        raise UsageError("--learner-params: every parameter must be a number")
    if not all(math.isfinite(x) for x in data):
        raise UsageError("--learner-params: every parameter must be a finite number")
    parameters = tuple(float(x) for x in data)
    try:
        Scheduler(DEFAULT_SETTINGS, StudyCalendar(UTC, 4), parameters)  # fsrs checks its bounds
    except ValueError as exc:
        raise UsageError(f"--learner-params: {exc}") from None
    return parameters


@app.command()
def simulate(
    ctx: typer.Context,
    cards: Annotated[
        int, typer.Option(min=1, max=100_000, metavar="N", help="Cards to learn.")
    ] = 600,
    new_per_day: Annotated[int, typer.Option(min=1, metavar="N", help="New cards a day.")] = 30,
    interview_day: Annotated[
        int,
        typer.Option(min=2, max=3650, metavar="N", help="Days from the start to the interview."),
    ] = 42,
    cap: Annotated[
        int,
        typer.Option(
            min=1, metavar="N", help="Review answers a day at most (the planner's capacity)."
        ),
    ] = 120,
    seeds: Annotated[
        int | None,
        typer.Option(
            min=1, max=1000, metavar="N", help="Runs per policy (default 5; 3 with --for-me)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="First random seed.")] = 0,
    retention: Annotated[
        float,
        typer.Option(
            min=0.7, max=0.99, callback=_finite, metavar="NUMBER", help="Desired retention of FSRS."
        ),
    ] = 0.9,
    high_retention: Annotated[
        float,
        typer.Option(
            min=0.7,
            max=0.99,
            callback=_finite,
            metavar="NUMBER",
            help="The raised retention to compare with.",
        ),
    ] = 0.95,
    price: Annotated[
        float,
        typer.Option(
            min=0.001,
            max=0.2,
            callback=_finite,
            metavar="NUMBER",
            help="The planner's price: recall on the day a review must buy.",
        ),
    ] = DEFAULT_SETTINGS.interview_price,
    planner_retention: Annotated[
        float,
        typer.Option(
            min=0.7,
            max=0.97,
            callback=_finite,
            metavar="NUMBER",
            help="The planner's retention before a card's last review.",
        ),
    ] = DEFAULT_SETTINGS.interview_retention,
    headroom: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.5,
            callback=_finite,
            metavar="NUMBER",
            help="Share of each day the planner's final reviews leave free.",
        ),
    ] = DEFAULT_SETTINGS.interview_headroom,
    learner_params: Annotated[
        str | None,
        typer.Option(
            metavar="PARAMS",
            help="The learner's true memory: a JSON file (or list) of 21 FSRS-6 "
            "parameters, 'faster' or 'default'.",
        ),
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option(
            metavar="SETTING",
            help="Print the planner's recall-versus-reviews frontier over its 'price' "
            "or its 'retention'.",
        ),
    ] = None,
    sweep_values: Annotated[
        str | None,
        typer.Option(metavar="VALUES", help="The values the sweep tries, e.g. '0.03,0.016,0.01'."),
    ] = None,
    for_me: Annotated[
        bool,
        typer.Option(
            "--for-me",
            help="Your own cards, settings and interview date: the recall each daily "
            "capacity buys.",
        ),
    ] = False,
    capacities: Annotated[
        str | None,
        typer.Option(
            metavar="VALUES", help="With --for-me: the capacities to try, e.g. '60,90,120'."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Simulate a learner under plain FSRS, raised retention and the interview planner.

    Seeded and reproducible; a progress bar on a terminal. --for-me runs your own cards,
    settings and interview date at several daily capacities instead.

    \b
    Examples:
      prepcli simulate
      prepcli simulate --learner-params faster --seeds 3
      prepcli simulate --sweep price
      prepcli simulate --for-me --capacities 60,90,120
    """
    if for_me:
        _for_me(ctx, capacities, seeds or 3, seed, as_json)
        return
    if capacities is not None:
        raise UsageError("--capacities goes with --for-me")
    from prepcli.app import simulate as sim
    from prepcli.ui import plan_view, render

    learner = learner_parameters(learner_params)
    scenario = sim.Scenario(cards, new_per_day, interview_day, cap, seeds or 5, seed)
    policies: list[Policy] = [sim.fsrs_policy(retention), sim.fsrs_policy(high_retention)]
    if sweep is None:
        if sweep_values is not None:
            raise UsageError("--sweep-values needs --sweep price or --sweep retention")
        policies.append(sim.planner_policy(retention, price, planner_retention, headroom))
    else:
        if sweep not in SWEEPS:
            raise UsageError(f"--sweep: expected one of {', '.join(SWEEPS)}, got {sweep!r}")
        values = _values(sweep_values, "--sweep-values") if sweep_values else SWEEPS[sweep]
        for value in values:
            if sweep == "price" and not 0.001 <= value <= 0.2:
                raise UsageError(f"--sweep-values: a price is from 0.001 to 0.2, got {value}")
            if sweep == "retention" and not 0.7 <= value <= 0.97:
                raise UsageError(f"--sweep-values: a retention is from 0.7 to 0.97, got {value}")
            chosen = (value, planner_retention) if sweep == "price" else (price, value)
            policies.append(
                sim.planner_policy(
                    retention, *chosen, headroom, name_retention=sweep == "retention"
                )
            )
    runway = sim.Runway.of(scenario)
    with render.progress_bar("simulating", len(policies) * scenario.seeds) as update:
        results = sim.run(runway, policies, scenario.seeds, seed, learner, None, update)
    if as_json:
        emit_json(
            {
                "scenario": fields_of(scenario),
                "learner": list(learner) if learner else "default",
                "sweep": None if sweep is None else sweep,
                "policies": [_policy_json(r, results[0]) for r in results],
            }
        )
        return
    title = (
        f"{plural(cards, 'card')}, {number(new_per_day)} new a day, "
        f"interview on day {interview_day}, "
        f"at most {plural(cap, 'review')} a day, {plural(scenario.seeds, 'seed')}"
        + ("" if learner is None else ", the learner's own parameters")
    )
    if sweep is None:
        show(plan_view.simulation_table(results, title))
    else:
        show(plan_view.frontier_table(results, title, sweep))


def _policy_json(result: PolicyResult, baseline: PolicyResult) -> dict[str, object]:
    fields = fields_of(result)
    seeds = fields.pop("seeds")
    return {
        **fields,
        "lowest_recall": result.lowest_recall,
        "review_answers_vs_first": result.review_answers / baseline.review_answers
        if baseline.review_answers
        else None,
        "seeds": seeds,
    }


def _for_me(
    ctx: typer.Context, capacities: str | None, seeds: int, seed: int, as_json: bool
) -> None:
    from prepcli.app import recommend
    from prepcli.ui import plan_view, render

    study = open_study(ctx)
    policy = study.interview.policy()
    current = policy.capacity if policy is not None else study.settings.reviews_per_day
    if capacities is None:
        chosen = recommend.default_capacities(current)
    else:
        values = _values(capacities, "--capacities")
        if not all(v >= 1 and v == int(v) for v in values):
            raise UsageError("--capacities: whole numbers of reviews a day, at least 1")
        chosen = sorted({int(v) for v in values})
    with render.progress_bar("simulating", len(chosen) * seeds) as update:
        advice = recommend.recommend(study, chosen, seeds, seed, update)
    if as_json:
        emit_json(fields_of(advice))
    else:
        show(plan_view.recommendation_view(advice))
