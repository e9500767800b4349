"""`tailrace backtest`: every portfolio method on real races, each fitted on the races before it.

Real salary files (``--slates DIR``) or synthetic salaries (``--synthetic-salaries --seasons``)
against the real results in ``--history``; a table per race and pooled, ``--json`` and
``--plots``. The work is :func:`tailrace.backtest.run.run_backtest`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import Dask, MAX_SCENARIOS, command_executor, progress_label
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
    seed: int = typer.Option(7, "--seed", help="Random seed."),
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
    from rich.console import Console
    from rich.progress import Progress

    from tailrace.backtest.inputs import find_slates
    from tailrace.backtest.methods import parse_methods
    from tailrace.backtest.report import print_tables, write_report
    from tailrace.backtest.run import BacktestOptions, RaceJob, run_backtest
    from tailrace.cli.calibrate import _parse_seasons
    from tailrace.cli.optimize import _spec_from
    from tailrace.errors import InputError, Problem
    from tailrace.outputs import check_output_path, check_output_paths
    from tailrace.sim.history import read_history

    console = Console(width=max(Console().width, 150))
    if slates is None and not synthetic:
        raise InputError(Problem("nothing to backtest", field="--slates",
                                 fix="give --slates DIR, or --synthetic-salaries --seasons 2023"))
    if synthetic and not seasons:
        raise InputError(Problem("--synthetic-salaries needs --seasons", field="--seasons",
                                 fix="e.g. --seasons 2019-2023"))
    if not history.is_file():
        raise InputError(Problem(f"history file not found: {history}", field="--history",
                                 fix="give the path of a results CSV"))
    check_output_paths({"--json": json_out})
    if plots is not None:
        check_output_path(plots / "percentile.png", "--plots")
    chosen = parse_methods(methods)
    spec = _spec_from(None, objective=objective, alpha=None, beta=beta, target=None, blend=None,
                      lineups=lineups, mode=None, max_exposure=max_exposure, max_overlap=max_overlap,
                      min_salary=None, lock=None, exclude=None)
    files = find_slates(slates) if slates is not None else []
    hist = read_history(history)
    jobs = [RaceJob(f.season, f.race_num, f) for f in files]
    if synthetic:
        wanted = _parse_seasons(seasons or "")
        ids = hist.race_ids(wanted)
        if not ids:
            have = sorted({r.season for r in hist.races()})
            raise InputError(Problem(f"no races of season(s) {seasons} in {history}", field="--seasons",
                                     fix=f"the file holds seasons {', '.join(map(str, have))}"))
        jobs += [RaceJob(s, r) for s, r in ids]
    opts = BacktestOptions(spec=spec, methods=chosen, n_scenarios=scenarios, seed=seed, entry_fee=entry_fee,
                           field_size=field_size, rake=rake, cash_field_size=cash_field_size,
                           field_draws=field_draws, min_history_races=min_history,
                           params_refit_every=params_refit_every)
    ex = command_executor(ctx, dask)
    with Progress(console=console, transient=True) as prog:
        task = prog.add_task(progress_label("backtesting", ex), total=len(jobs))

        def step(k: int, total: int, rid: tuple[int, int]) -> None:
            prog.update(task, completed=k, description=progress_label(f"race {rid[0]}-{rid[1]}", ex))

        result = run_backtest(hist, jobs, opts, progress=step, executor=ex)
    print_tables(result, console)
    if json_out is not None or plots is not None:
        written = write_report(result, json_out, plots)
        console.print("wrote " + ", ".join(str(p) for p in written))


def register(app: typer.Typer) -> None:
    """Add ``tailrace backtest`` to the app."""
    app.command("backtest")(backtest)
