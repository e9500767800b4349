"""`tailrace review`: a portfolio placed in a finished contest's real standings.

Reads DraftKings' contest-standings export (``tailrace.contest.standings``) against the slate,
scores each lineup with the drivers' real points, ranks it among the real entries (ties split
as DraftKings does), pays it from the payout table (``--payouts``, or the table the contest
command builds from ``--entry-fee`` and the field size), and compares the real field's
``%Drafted`` with the ownership tailrace modelled for the slate (``--ownership`` file, the
projections' ownership column, or the field model, as ``tailrace contest`` gets it). The
standings file itself is a field for ``tailrace contest --field``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailrace.cli.options import (MAX_SCENARIOS, MAX_SEED, AllowShift, Dask, EntryFee, History, HistoryWeight, Rake, Salaries,
                                  Site, Track)
from tailrace.contest_options import CONTEST_DEFAULTS


def review(
    ctx: typer.Context,
    standings: Annotated[Path, typer.Option("--standings", help="The contest's standings as DraftKings exports them "
                                            "(Rank,EntryId,EntryName,TimeRemaining,Points,Lineup,,Player,...).")],
    site: Site,
    salaries: Salaries,
    portfolio: Path | None = typer.Option(None, "--portfolio", help="Your lineups: upload CSV, DKEntries file or "
                                          "the optimiser's JSON result (default: --user's entries)."),
    user: str | None = typer.Option(None, "--user", help="Your user name as in EntryName: your entries are taken "
                                    "out of the field before the portfolio is placed."),
    projections: Path | None = typer.Option(None, "--projections", help="Projections CSV (to model ownership)."),
    track: Track = None,
    history: History = None,
    history_weight: HistoryWeight = None,
    allow_shift: AllowShift = False,
    scenarios: Path | None = typer.Option(None, "--scenarios", help="Scenario matrix (.npz or .csv), to model "
                                          "ownership from its means when the projections have no points."),
    n_scenarios: int = typer.Option(5_000, "--n-scenarios", min=100, max=MAX_SCENARIOS,
                                    help="Scenarios to simulate when ownership needs mean points the "
                                         "projections do not give."),
    seed: int = typer.Option(1, "--seed", min=0, max=MAX_SEED, help="Seed for that simulation."),
    ownership: Path | None = typer.Option(None, "--ownership", help="The ownership you projected (CSV: id/name, "
                                          "ownership %) to compare with the real field's."),
    payouts: Path | None = typer.Option(None, "--payouts", help="The contest's payout table (CSV or JSON), or "
                                        "double-up / 50-50."),
    entry_fee: EntryFee = CONTEST_DEFAULTS.entry_fee,
    field_size: int | None = typer.Option(None, "--field-size", help="Entries, for the parametric payout table "
                                          "(default: the standings' entries, less --user's, plus the portfolio)."),
    rake: Rake = CONTEST_DEFAULTS.rake,
    json_out: Path | None = typer.Option(None, "--json", help="Write the machine-readable review here."),
    plots: Path | None = typer.Option(None, "--plots", help="Folder for ownership.png and standings.png."),
    dask: Dask = None,
) -> None:
    """Place a portfolio in a finished contest's real standings: points, ranks, payouts, ROI, ownership error."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.review import run

    run(ctx=ctx, standings=standings, site=site, salaries=salaries, portfolio=portfolio, user=user,
        projections=projections, track=track, history=history, history_weight=history_weight, allow_shift=allow_shift,
        scenarios=scenarios, n_scenarios=n_scenarios, seed=seed, ownership=ownership, payouts=payouts,
        entry_fee=entry_fee, field_size=field_size, rake=rake, json_out=json_out, plots=plots, dask=dask)


def register(app: typer.Typer) -> None:
    """Add the `review` command to the app."""
    app.command("review")(review)
