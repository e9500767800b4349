"""`tailrace backtest`: every portfolio method on real races, each fitted on the races before it.

Real salary files (``--slates DIR``) or synthetic salaries (``--synthetic-salaries --seasons``)
against the real results in ``--history``; a table per race and pooled, ``--json`` and
``--plots``. The work is :func:`tailrace.backtest.run.run_backtest`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import MAX_SCENARIOS, MAX_SEED, Dask
from tailrace.contest_options import CONTEST_DEFAULTS


def backtest(
    ctx: typer.Context,
    history: Path = typer.Option(..., "--history", help="Race-results CSV (the README's history shape)."),
    slates: Path | None = typer.Option(None, "--slates", help="Folder of real DraftKings salary files named "
                                       "like dk_2023_r02_auto_club.csv (or listed in manifest.csv: "
                                       "file,season,race_num[,track])."),
    synthetic: bool = typer.Option(False, "--synthetic-salaries", help="Also run every race of --seasons with "
                                   "SYNTHETIC salaries (DraftKings' salary curve on the pre-race rating rank)."),
    seasons: str | None = typer.Option(None, "--seasons", help="Seasons for --synthetic-salaries: 2023, 2021-2023."),
    methods: str | None = typer.Option(None, "--methods", help="Comma-separated subset of contest, marginal, hvz, "
                                       "randomised (default all)."),
    lineups: int = typer.Option(20, "--lineups", min=1, max=150, help="Lineups per portfolio."),
    objective: str | None = typer.Option(None, "--objective", help="Objective of the marginal method "
                                         "(default upper-cvar)."),
    beta: float | None = typer.Option(None, "--beta", help="Upper-CVaR level (default 0.01)."),
    max_exposure: float | None = typer.Option(None, "--max-exposure", help="Global max exposure, 0-1."),
    max_overlap: int | None = typer.Option(None, "--max-overlap", help="Max drivers two lineups share "
                                           "(HVZ default 3)."),
    entry_fee: float = typer.Option(CONTEST_DEFAULTS.entry_fee, "--entry-fee", help="Entry fee of both contests."),
    field_size: int = typer.Option(CONTEST_DEFAULTS.field_size, "--field-size", min=2, help="Entries in the GPP."),
    cash_field_size: int = typer.Option(1_000, "--cash-field-size", min=2, help="Entries in the double-up."),
    rake: float | None = typer.Option(None, "--rake", help="GPP rake (default 0.13)."),
    field_draws: int = typer.Option(10, "--field-draws", min=2, help="Independent fields per contest for the ROI."),
    scenarios: int = typer.Option(5000, "--scenarios", min=100, max=MAX_SCENARIOS, help="Scenarios per race."),
    seed: int = typer.Option(7, "--seed", min=0, max=MAX_SEED, help="Random seed."),
    min_history: int = typer.Option(10, "--min-history", min=1, help="Earlier complete races a race needs."),
    params_refit_every: int = typer.Option(9, "--params-refit-every", min=0, help="Races up to 2022 get "
                                           "track-type parameters fitted on the races before them, refitted "
                                           "each time the history grows by this many races (cached on disk); "
                                           "0: DEFAULT_PARAMS everywhere (2019-2022 races then labelled "
                                           "params in-sample)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full result here."),
    plots: Path | None = typer.Option(None, "--plots", help="Folder for PNG plots."),
    dask: Dask = None,
) -> None:
    """Backtest contest mode, upper-CVaR marginal, HVZ and randomised mean on real races."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.backtest import run

    run(ctx=ctx, history=history, slates=slates, synthetic=synthetic, seasons=seasons, methods=methods, lineups=lineups,
        objective=objective, beta=beta, max_exposure=max_exposure, max_overlap=max_overlap, entry_fee=entry_fee,
        field_size=field_size, cash_field_size=cash_field_size, rake=rake, field_draws=field_draws, scenarios=scenarios,
        seed=seed, min_history=min_history, params_refit_every=params_refit_every, json_out=json_out, plots=plots,
        dask=dask)


def register(app: typer.Typer) -> None:
    """Add ``tailrace backtest`` to the app."""
    app.command("backtest")(backtest)
