"""`tailrace plan`: a race day's contests and a bankroll -> entries per contest, lineups, uploads.

The contests come from ``--contests FILE`` (``tailrace.plan.contests``); the race is simulated
three times (lineups chosen on the first set, entries decided on the second, the day reported
on the third); the work is :func:`tailrace.plan.run.run_plan`. ``--out DIR`` gets one upload
CSV per contest entered; with ``--entries DKEntries.csv`` also ``DKEntries_filled.csv``, every
contest's rows filled with its lineups.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import (FIELD_SHARPNESS_HELP, FILLED_ENTRIES, MAX_SCENARIOS, MAX_SEED, OWNERSHIP_ERROR_HELP, AllowShift,
                                  Dask, GridComplete, History, HistoryWeight, Season, Track)
from tailrace.contest_options import CONTEST_DEFAULTS


def plan(
    ctx: typer.Context,
    site: str = typer.Option("dk", "--site", help="dk (DraftKings) or fd (FanDuel)."),
    salaries: Path = typer.Option(..., "--salaries", help="The site's salary export (CSV)."),
    projections: Path | None = typer.Option(None, "--projections", help="Projections CSV with starts (to simulate); without it, --history FILE holding this race gives its starting grid."),
    contests: Path = typer.Option(..., "--contests", help="The day's contests (YAML): name, kind (gpp | double-up "
                                  "| 50-50 | a payout file), entry_fee, field_size, max_entries, optional "
                                  "ownership, contest_id, max_exposure, max_overlap; at the top level "
                                  "optionally max_overlap_day."),
    bankroll: float = typer.Option(..., "--bankroll", help="Your bankroll in dollars."),
    max_stake: float = typer.Option(0.3, "--max-stake", help="Cap on the day's total fees, as a share of the "
                                    "bankroll, in (0, 1)."),
    kelly: float = typer.Option(1.0, "--kelly", help="Kelly fraction in (0, 1]: maximise mean log(1 + kelly x "
                                "profit / bankroll); 1 = full Kelly."),
    max_exposure: float | None = typer.Option(None, "--max-exposure", help="Cap on any driver's share of the "
                                              "day's lineups (all contests together), and of each contest's "
                                              "lineups when the contest sets none."),
    out: Path | None = typer.Option(None, "--out", help="Folder for one upload CSV per contest (and the filled "
                                    "DKEntries file)."),
    entries: Path | None = typer.Option(None, "--entries", help="A DKEntries.csv holding the day's contests: "
                                        f"filled into --out/{FILLED_ENTRIES}; each contest's entries are "
                                        "limited to its rows."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the machine-readable plan here."),
    max_duplicates: float | None = typer.Option(None, "--max-duplicates", help="No lineup of any contest may "
                                                "expect more field entries holding its drivers than this."),
    max_overlap_day: int | None = typer.Option(None, "--max-overlap-day", help="Any two lineups entered in "
                                               "different contests share at most this many drivers (so no "
                                               "lineup is entered twice below the roster size); replaces the "
                                               "contests file's max_overlap_day."),
    track: Track = None,
    allow_shift: AllowShift = False,
    grid_complete: GridComplete = False,
    season: Season = None,
    history: History = None,
    history_weight: HistoryWeight = None,
    n_scenarios: int = typer.Option(5_000, "--n-scenarios", min=100, max=MAX_SCENARIOS,
                                    help="Scenarios in each of the three sets (build, allocate, report)."),
    seed: int = typer.Option(1, "--seed", min=0, max=MAX_SEED - 2, help="Seed: the sets use seed, seed+1, seed+2; fields their own."),
    contest_cap: int | None = typer.Option(None, "--contest-cap", min=1, help="Contest mode's cap on the top "
                                           "prizes (default: cross-validated per contest)."),
    field_sharpness: str = typer.Option("auto", "--field-sharpness", help=FIELD_SHARPNESS_HELP),
    ownership_error: float = typer.Option(CONTEST_DEFAULTS.ownership_error, "--ownership-error", help=OWNERSHIP_ERROR_HELP),
    dask: Dask = None,
) -> None:
    """Plan a race day: entries per contest by bankroll log-growth, lineups per contest, uploads."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.plan import run

    run(ctx=ctx, site=site, salaries=salaries, projections=projections, contests=contests, bankroll=bankroll,
        max_stake=max_stake, kelly=kelly, max_exposure=max_exposure, out=out, entries=entries, json_out=json_out,
        max_duplicates=max_duplicates, max_overlap_day=max_overlap_day, track=track, allow_shift=allow_shift,
        grid_complete=grid_complete, season=season, history=history, history_weight=history_weight,
        n_scenarios=n_scenarios, seed=seed, contest_cap=contest_cap, field_sharpness=field_sharpness,
        ownership_error=ownership_error, dask=dask)


def register(app: typer.Typer) -> None:
    """Add the `plan` command to the app."""
    app.command("plan")(plan)
