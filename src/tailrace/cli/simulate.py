"""`tailrace simulate`: simulate a slate's race and write the scenario matrix.

    tailrace simulate --site dk|fd --salaries FILE --projections FILE [--track NAME]
                      --scenarios 10000 --seed 7 --out FILE.npz

Writes ``points``, ``driver_ids`` and the outcome arrays (finish, laps_led, fastest_laps,
laps_completed, dnf) plus ``meta_json`` to the npz (``tailrace.sim.io`` format); prints
per-driver mean, sd, p90 and p99 and the time taken, with a progress bar for long runs.
The scenarios come through the scenario cache (``tailrace.pipeline.scenario_set``, the key every
face uses): a rerun reads them back and writes the same file.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import (MAX_SCENARIOS, MAX_SEED, AllowShift, Dask, GridComplete, History, HistoryWeight,
                                  Salaries, Season, Site)


def simulate_cmd(
    ctx: typer.Context,
    site: Site,
    salaries: Salaries,
    projections: Path | None = typer.Option(None, "--projections",
                                            help="Projections CSV: name, start, and projection / win_odds (top3_odds, top5_odds, top10_odds) / rating."),
    track: str | None = typer.Option(None, "--track",
                                     help="Track name (e.g. Kansas) or type (intermediate, short, "
                                          "superspeedway, road, large-flat); default: from the salary file."),
    allow_shift: AllowShift = False,
    grid_complete: GridComplete = False,
    season: Season = None,
    history: History = None,
    history_weight: HistoryWeight = None,
    scenarios: int = typer.Option(10_000, "--scenarios", min=1, max=MAX_SCENARIOS, help="Number of simulated races."),
    seed: int = typer.Option(7, "--seed", min=0, max=MAX_SEED, help="Random seed (same seed, same bytes)."),
    out: Path | None = typer.Option(None, "--out", help="Write the scenario matrix here (.npz)."),
    dask: Dask = None,
) -> None:
    """Simulate the race many times and write the scenario matrix (points per driver per race)."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.simulate import run

    run(ctx=ctx, site=site, salaries=salaries, projections=projections, track=track, allow_shift=allow_shift,
        grid_complete=grid_complete, season=season, history=history, history_weight=history_weight, scenarios=scenarios,
        seed=seed, out=out, dask=dask)


def register(app: typer.Typer) -> None:
    """Add `tailrace simulate` to the app."""
    app.command("simulate")(simulate_cmd)
