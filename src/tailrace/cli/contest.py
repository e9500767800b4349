"""`tailrace contest`: run a portfolio through a simulated tournament and report profit, ROI and rates.

The contest is a payout file (``--payouts``) or a DraftKings-like table from ``--entry-fee``,
``--field-size`` and ``--rake``; opponents are sampled from ownership (``--ownership`` file,
the projections' ownership column, or a model from salary and projection) unless ``--field``
gives real field lineups. ``tailrace.pipeline.contest_from_options`` builds it, for this
command, `tailrace optimize --mode contest` and the demo alike.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import (FIELD_SHARPNESS_HELP, MAX_SEED, OWNERSHIP_ERROR_HELP, AllowShift, Dask, EntryFee,
                                  GridComplete, History, HistoryWeight, NScenarios, Rake, Salaries, Season, Site, Track)

from tailrace.contest_options import CONTEST_DEFAULTS


def contest(
    ctx: typer.Context,
    site: Site,
    salaries: Salaries,
    portfolio: Path = typer.Option(..., "--portfolio", help="Upload CSV or the optimiser's JSON result."),
    projections: Path | None = typer.Option(None, "--projections", help="Projections CSV (to simulate, model ownership)."),
    scenarios: Path | None = typer.Option(None, "--scenarios", help="Scenario matrix (.npz or .csv) with site IDs."),
    track: Track = None,
    allow_shift: AllowShift = False,
    grid_complete: GridComplete = False,
    season: Season = None,
    history: History = None,
    history_weight: HistoryWeight = None,
    n_scenarios: NScenarios = 10_000,
    seed: int = typer.Option(1, "--seed", min=0, max=MAX_SEED,
                             help="Seed for the sampled field and, without --scenarios, the simulated races: fresh "
                                  "races from its judge stream, never the set optimize or simulate make with any "
                                  "seed."),
    payouts: Path | None = typer.Option(None, "--payouts", help="Payout table (CSV or JSON), or double-up / 50-50 for a cash game (44 % / 50 % of entries paid 1.8x the fee)."),
    entry_fee: EntryFee = CONTEST_DEFAULTS.entry_fee,
    field_size: int = typer.Option(CONTEST_DEFAULTS.field_size, "--field-size", help="Total entries, ours included."),
    rake: Rake = CONTEST_DEFAULTS.rake,
    ownership: Path | None = typer.Option(None, "--ownership", help="Projected ownership CSV (id/name, ownership %)."),
    field: Path | None = typer.Option(None, "--field", help="Real field lineups (rows of site IDs)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the machine-readable report here."),
    field_sharpness: str = typer.Option("auto", "--field-sharpness", help=FIELD_SHARPNESS_HELP + " Here the "
                                        "figures are against the plain field, and the portfolio's ROI against "
                                        "each field model of the ensemble is shown beside them."),
    ownership_error: float = typer.Option(CONTEST_DEFAULTS.ownership_error, "--ownership-error",
                                          help=OWNERSHIP_ERROR_HELP + " Here: the ensemble's perturbed fields."),
    dask: Dask = None,
) -> None:
    """Simulate a tournament for a portfolio: expected profit, ROI, cash/top-1%/win rates."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.contest import run

    run(ctx=ctx, site=site, salaries=salaries, portfolio=portfolio, projections=projections, scenarios=scenarios,
        track=track, allow_shift=allow_shift, grid_complete=grid_complete, season=season, history=history,
        history_weight=history_weight, n_scenarios=n_scenarios, seed=seed, payouts=payouts, entry_fee=entry_fee,
        field_size=field_size, rake=rake, ownership=ownership, field=field, json_out=json_out,
        field_sharpness=field_sharpness, ownership_error=ownership_error, dask=dask)


def register(app: typer.Typer) -> None:
    """Add the `contest` command to the app."""
    app.command("contest")(contest)
