"""The work of ``tailrace simulate``: what runs once its flags are read (:mod:`tailrace.cli.simulate`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tailrace.cli.options import cli_run, history_line, progress_label, site_rules
from tailrace.cli.runners.inputs import command_executor, slate_and_history
from tailrace.errors import InputError, Problem
from tailrace.outputs import check_output_paths
from tailrace.scenario_sets import scenario_set
from tailrace.sim.io import save_scenarios
from tailrace.sim.left_out import left_out_line, record_left_out
from tailrace.slate import read_slate


PROGRESS_FROM = 50_000  # show a progress bar from this many scenarios on


def driver_table(names: list[str], ids: list[str], salaries: np.ndarray, starts: np.ndarray,
                 points: np.ndarray) -> list[tuple]:
    """Rows (name, id, salary, start, mean, sd, p90, p99), sorted by mean points, best first."""
    mean = points.mean(axis=0, dtype=np.float64)
    sd = points.std(axis=0, dtype=np.float64)
    p90, p99 = np.quantile(points, [0.9, 0.99], axis=0)
    rows = [(names[i], ids[i], int(salaries[i]), int(starts[i]), float(mean[i]), float(sd[i]),
             float(p90[i]), float(p99[i])) for i in range(len(names))]
    return sorted(rows, key=lambda r: -r[4])


def run(ctx: typer.Context, site: str, salaries: Path, projections: Path | None, track: str | None, allow_shift: bool,
        grid_complete: bool, season: int | None, history: Path | None, history_weight: float | None, scenarios: int,
        seed: int, out: Path | None, dask: str | None) -> None:
    """The work of ``tailrace simulate`` (``simulate_cmd``, its flags and help: :func:`tailrace.cli.simulate.simulate_cmd`)."""
    rules = site_rules(site)
    if out is not None and out.suffix.lower() != ".npz":
        raise InputError(Problem(f"output '{out}' is not an .npz file", field="--out",
                                 fix="name the output FILE.npz"))
    check_output_paths({"--out": out})
    console = Console(stderr=True, soft_wrap=True)
    if history is None:
        slate, hist = read_slate(rules, salaries, projections, track=track, grid_complete=grid_complete,
                                 season=season), None
    else:  # as optimize and plan: without projections the starting grid comes from the history
        slate, hist = slate_and_history(rules, salaries, projections, history, track=track, season=season,
                                        grid_complete=grid_complete, console=console,
                                        graph_uri=cli_run(ctx).graph_uri)
    ex = command_executor(ctx, dask)
    t0 = time.perf_counter()
    if scenarios >= PROGRESS_FROM or ex.distributed:
        with Progress(TextColumn(progress_label("simulating", ex)), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("sim", total=scenarios)
            sc = scenario_set(slate, scenarios, seed, track=track, history=hist, history_weight=history_weight,
                              allow_shift=allow_shift, executor=ex,
                              progress=lambda done, total: bar.update(task, completed=done)).scenarios
    else:
        sc = scenario_set(slate, scenarios, seed, track=track, history=hist, history_weight=history_weight,
                          allow_shift=allow_shift, executor=ex).scenarios
    seconds = time.perf_counter() - t0
    for w in sc.meta.get("warnings", []):
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if slate.left_out:  # drivers of the salary file with no column: said, and recorded in the file
        kept = f"; {out.name} records them, so optimize and contest --scenarios drop them" if out else ""
        console.print(f"[yellow]warning:[/] slate: {left_out_line(slate.left_out, 'left out of the scenarios')}"
                      f"{kept}", highlight=False)
    if out is not None:  # the file holds how the set was made (and whom it left out), not where this run found it
        saved = record_left_out(sc, slate)
        save_scenarios(out, replace(saved, meta={k: v for k, v in saved.meta.items() if k != "cache_key"}))

    rows = driver_table(slate.names, slate.ids, slate.salaries(), slate.starts(), sc.points)
    table = Table(title=(f"{rules.name} · {sc.meta['track']} ({sc.meta['track_type']}, "
                         f"{sc.meta['race_laps']} laps) · {sc.n_scenarios:,} scenarios · seed {seed}"))
    for col, just in (("driver", "left"), ("id", "left"), ("salary", "right"), ("start", "right"),
                      ("mean", "right"), ("sd", "right"), ("p90", "right"), ("p99", "right")):
        table.add_column(col, justify=just)
    for name, did, sal, st, m, s, p90, p99 in rows:
        table.add_row(name, did, f"{sal:,}", str(st), f"{m:.1f}", f"{s:.1f}", f"{p90:.1f}", f"{p99:.1f}")
    Console().print(table)
    line = history_line(sc.meta)
    if line:
        typer.echo(line)
    where = f"; wrote {out}" if out is not None else ""
    typer.echo(f"{sc.n_scenarios:,} scenarios in {seconds:.2f} s (strengths from "
               f"{sc.meta['strength_source']}){where}")
