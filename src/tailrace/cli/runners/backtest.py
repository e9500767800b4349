"""The work of ``tailrace backtest``: what runs once its flags are read (:mod:`tailrace.cli.backtest`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from tailrace.backtest.inputs import find_slates
from tailrace.backtest.methods import parse_methods
from tailrace.backtest.report import print_tables, write_report
from tailrace.backtest.run import BacktestOptions, RaceJob, run_backtest
from tailrace.cli.options import progress_label
from tailrace.cli.runners.calibrate import _parse_seasons
from tailrace.cli.runners.inputs import command_executor
from tailrace.cli.runners.optimize import _spec_from
from tailrace.errors import InputError, Problem
from tailrace.outputs import check_output_path, check_output_paths
from tailrace.sim.history import read_history


def run(ctx: typer.Context, history: Path, slates: Path | None, synthetic: bool, seasons: str | None, methods: str |
        None, lineups: int, objective: str | None, beta: float | None, max_exposure: float | None, max_overlap: int |
        None, entry_fee: float, field_size: int, cash_field_size: int, rake: float | None, field_draws: int, scenarios:
        int, seed: int, min_history: int, params_refit_every: int, json_out: Path | None, plots: Path | None, dask: str
        | None) -> None:
    """The work of ``tailrace backtest`` (``backtest``, its flags and help: :func:`tailrace.cli.backtest.backtest`)."""
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
