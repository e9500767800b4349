"""`tailrace calibrate`: back-test the race model on real past races.

Every race of the chosen seasons is simulated from ratings fitted only on the races before
it, for the tailrace model and two baselines; the scores go to a JSON file (keys documented
in ``tailrace.calibration``) and PNG plots, and a summary table is printed.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import Dask
from tailrace.cli.options import MAX_SCENARIOS, MAX_SEED


def calibrate(
    ctx: typer.Context,
    history: Path = typer.Option(..., "--history", help="Race-history CSV (one row per driver per race), or 'graph'."),
    seasons: str = typer.Option(..., "--seasons", help="Seasons to evaluate: 2023, 2022,2023 or 2021-2023."),
    scenarios: int = typer.Option(10_000, "--scenarios", min=100, max=MAX_SCENARIOS, help="Scenarios per race and model."),
    seed: int = typer.Option(7, "--seed", min=0, max=MAX_SEED, help="Random seed."),
    json_out: Path = typer.Option(..., "--json", help="Where to write the JSON report."),
    plots: Path | None = typer.Option(None, "--plots", help="Folder for the PNG plots."),
    dask: Dask = None,
) -> None:
    """Fit on the races before each race of SEASONS, simulate it, score against reality."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.calibrate import run

    run(ctx=ctx, history=history, seasons=seasons, scenarios=scenarios, seed=seed, json_out=json_out, plots=plots,
        dask=dask)


def register(app: typer.Typer) -> None:
    """Add ``tailrace calibrate`` to the app."""
    app.command("calibrate")(calibrate)
