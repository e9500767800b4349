"""`tailrace optimize`: build a tail-aimed portfolio and write the site's upload CSV (and a JSON result).

Scenarios come from ``--scenarios FILE`` (npz or CSV whose driver IDs are the site IDs; the
salary file alone is then enough) or are simulated from ``--projections`` (``--n-scenarios``,
``--seed``). Constraints come from ``--spec FILE`` (JSON/YAML ConstraintSpec) and flags;
a flag given overrides the same field of the spec (``--lock``/``--exclude`` replace its lists).
The work itself is :func:`tailrace.pipeline.run_optimize`, shared with the REST API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailrace.cli.options import (FIELD_SHARPNESS_HELP, MAX_SEED, OWNERSHIP_ERROR_HELP, AllowShift, Dask, GridComplete,
                                  History, HistoryWeight, NScenarios, Salaries, Season, Site, Track)
from tailrace.contest_options import CONTEST_DEFAULTS


# Mode contest's flags: the contest the lineups are picked for (defaults: CONTEST_DEFAULTS).
Payouts = Annotated[Path | None, typer.Option(
    "--payouts", help="Contest mode: payout table (CSV or JSON), or double-up / 50-50 for a cash game.")]
EntryFee = Annotated[float, typer.Option("--entry-fee", help="Contest mode: entry fee (parametric payouts).")]
FieldSize = Annotated[int, typer.Option("--field-size", help="Contest mode: entries in the contest.")]
Rake = Annotated[float | None, typer.Option("--rake", help="Contest mode: site rake (default 0.13).")]
Ownership = Annotated[Path | None, typer.Option("--ownership", help="Contest mode: ownership CSV (percent).")]
Field = Annotated[Path | None, typer.Option("--field", help="Contest mode: real field lineups (CSV).")]
ContestCap = Annotated[int | None, typer.Option(
    "--contest-cap", min=1,
    help="Contest mode: cap the top prizes at this place inside the selection (1 = no cap); "
         "default: chosen by cross-validation on the optimisation scenarios.")]
FieldSharpness = Annotated[str, typer.Option("--field-sharpness", help="Contest mode: " + FIELD_SHARPNESS_HELP)]
OwnershipError = Annotated[float, typer.Option("--ownership-error", help="Contest mode: " + OWNERSHIP_ERROR_HELP)]
MaxDuplicates = Annotated[float | None, typer.Option(
    "--max-duplicates",
    help="Contest mode: no lineup whose expected duplicates (field entries holding the same drivers) "
         "exceed this enters the pool; e.g. 1.")]


def optimize(
    ctx: typer.Context,
    site: Site,
    salaries: Salaries,
    projections: Path | None = typer.Option(
        None, "--projections", help="Projections CSV (name, start, ...); needed only to simulate."
    ),
    scenarios: Path | None = typer.Option(
        None, "--scenarios", help="Scenario matrix (.npz or .csv) whose driver IDs are the site IDs."
    ),
    track: Track = None,
    allow_shift: AllowShift = False,
    grid_complete: GridComplete = False,
    season: Season = None,
    history: History = None,
    history_weight: HistoryWeight = None,
    n_scenarios: NScenarios = 10_000,
    seed: int = typer.Option(1, "--seed", min=0, max=MAX_SEED, help="Simulation seed (the fresh validation set uses seed+1)."),
    objective: str | None = typer.Option(
        None, "--objective", help="mean | lower-cvar | upper-cvar | blend | target-prob (default upper-cvar)."
    ),
    alpha: float | None = typer.Option(None, "--alpha", help="Lower-CVaR level (default 0.2)."),
    beta: float | None = typer.Option(None, "--beta", help="Upper-CVaR level (default 0.01)."),
    target: float | None = typer.Option(None, "--target", help="Target score for target-prob."),
    blend: str | None = typer.Option(
        None, "--blend", help='Blend terms, e.g. "0.7:upper-cvar:0.01,0.3:upper-cvar:0.05".'
    ),
    lineups: int | None = typer.Option(None, "--lineups", help="Number of lineups, 1-150 (default 1)."),
    mode: str | None = typer.Option(
        None, "--mode", help="independent | marginal | contest (default independent). Tournaments: contest "
        "(marginal expected profit against a sampled field); cash games: contest with --payouts double-up."
    ),
    max_exposure: float | None = typer.Option(None, "--max-exposure", help="Global max exposure, 0-1."),
    max_overlap: int | None = typer.Option(None, "--max-overlap", help="Max drivers two lineups share."),
    min_salary: int | None = typer.Option(None, "--min-salary", help="Minimum salary a lineup uses."),
    lock: list[str] | None = typer.Option(None, "--lock", help="Driver (name or ID) in every lineup; repeatable."),
    exclude: list[str] | None = typer.Option(None, "--exclude", help="Driver to leave out; repeatable."),
    spec: Path | None = typer.Option(None, "--spec", help="ConstraintSpec file (JSON or YAML), or a spec's "
                                     "name in the graph when one is configured."),
    out: Path | None = typer.Option(None, "--out", help="Write the site's upload CSV here."),
    entries: Path | None = typer.Option(
        None, "--entries", help="A DKEntries.csv to fill (written to --out instead of a plain upload)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the machine-readable result here."),
    explain: bool = typer.Option(True, "--explain/--no-explain", help="Add explanations per lineup."),
    explain_binding: int = typer.Option(
        1, "--explain-binding", min=0, help="Lineups (from the first) whose binding constraints are re-solved."
    ),
    time_limit: float | None = typer.Option(None, "--time-limit", min=0.01, help="Seconds per lineup search (> 0)."),
    payouts: Payouts = None,
    entry_fee: EntryFee = CONTEST_DEFAULTS.entry_fee,
    field_size: FieldSize = CONTEST_DEFAULTS.field_size,
    rake: Rake = None,
    ownership: Ownership = None,
    field: Field = None,
    contest_cap: ContestCap = None,
    field_sharpness: FieldSharpness = "auto",
    ownership_error: OwnershipError = CONTEST_DEFAULTS.ownership_error,
    max_duplicates: MaxDuplicates = None,
    dask: Dask = None,
) -> None:
    """Build lineups that maximise a tail objective under your constraints."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.optimize import run

    run(ctx=ctx, site=site, salaries=salaries, projections=projections, scenarios=scenarios, track=track,
        allow_shift=allow_shift, grid_complete=grid_complete, season=season, history=history,
        history_weight=history_weight, n_scenarios=n_scenarios, seed=seed, objective=objective, alpha=alpha, beta=beta,
        target=target, blend=blend, lineups=lineups, mode=mode, max_exposure=max_exposure, max_overlap=max_overlap,
        min_salary=min_salary, lock=lock, exclude=exclude, spec=spec, out=out, entries=entries, json_out=json_out,
        explain=explain, explain_binding=explain_binding, time_limit=time_limit, payouts=payouts, entry_fee=entry_fee,
        field_size=field_size, rake=rake, ownership=ownership, field=field, contest_cap=contest_cap,
        field_sharpness=field_sharpness, ownership_error=ownership_error, max_duplicates=max_duplicates, dask=dask)


def register(app: typer.Typer) -> None:
    """Add the `optimize` command to the app."""
    app.command("optimize")(optimize)
