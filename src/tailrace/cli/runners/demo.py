"""The work of ``tailrace demo``: what runs once its flags are read (:mod:`tailrace.cli.demo`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import json
import time
from importlib.resources import files
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tailrace import tail
from tailrace.cli.options import cli_run, history_line, print_field_facts, table_console
from tailrace.cli.runners.contest import print_summary, result_json
from tailrace.cli.runners.inputs import history_from_option
from tailrace.cli.runners.optimize import print_portfolio_table
from tailrace.contest import run_contest
from tailrace.errors import InputError, Problem
from tailrace.export import write_upload
from tailrace.judging import POINTS_DIGEST_KEY, judging_facts
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.outputs import atomic_write_text, check_output_path
from tailrace.pipeline import contest_facts, contest_from_options, run_optimize, simulate_scenarios
from tailrace.slate import demo_slate


def run(ctx: typer.Context, out: Path, n_scenarios: int, seed: int, lineups: int, history: str | None, history_weight:
        float | None) -> None:
    """The work of ``tailrace demo`` (``demo``, its flags and help: :func:`tailrace.cli.demo.demo`)."""
    run_demo(out=out, n_scenarios=n_scenarios, seed=seed, n_lineups=lineups, history=history,
             history_weight=history_weight, graph_uri=cli_run(ctx).graph_uri)


def run_demo(out: Path, n_scenarios: int, seed: int, n_lineups: int, history: str | None = None,
             history_weight: float | None = None, graph_uri: str | None = None) -> None:
    """Slate -> scenarios -> tail table -> portfolio -> upload CSV -> contest figures (``graph_uri``:
    the graph of ``--history graph``, as ``options.graph_connection`` takes it)."""
    if out.exists() and not out.is_dir():
        raise InputError(Problem(f"--out '{out}' is a file; the demo writes a folder", field="--out",
                                 fix="name a folder, e.g. --out out"))

    check_output_path(out / "dk_upload.csv", "--out")
    hist = None
    if history is not None:
        path = Path(str(files("tailrace") / "data" / "demo" / "history.csv")) if history == "demo" else Path(history)
        hist = history_from_option(path, graph_uri=graph_uri)

    console = Console()
    t0 = time.perf_counter()
    slate = demo_slate()
    console.print(
        f"[bold]demo slate[/]: {slate.n} drivers, {slate.site.name}, {slate.track} "
        f"(files: {Path(slate.source['salaries']).name}, {Path(slate.source['projections']).name})"
    )

    t = time.perf_counter()
    scen = simulate_scenarios(slate, n_scenarios, seed, history=hist, history_weight=history_weight)
    fresh = simulate_scenarios(slate, max(n_scenarios, 40_000), seed + 1, history=hist, history_weight=history_weight)
    line = history_line(scen.meta)
    if line:
        console.print(line, highlight=False)
    console.print(
        f"simulated {scen.n_scenarios:,} + {fresh.n_scenarios:,} fresh races at {scen.meta.get('track')} "
        f"({scen.meta.get('track_type')}, {scen.meta.get('race_laps')} laps) in {time.perf_counter() - t:.1f} s"
    )

    pts = scen.points
    mean = pts.mean(axis=0, dtype=np.float64)
    sd = pts.std(axis=0, dtype=np.float64)
    cv_lo = tail.cvar_lower(pts, 0.2)
    cv_hi = tail.cvar_upper(pts, 0.01)
    var_hi = tail.var_upper(pts, 0.01)
    table = Table(title=f"tail metrics per driver · {scen.n_scenarios:,} scenarios · seed {seed}")
    for col in ("driver", "salary", "start", "mean", "sd", "CVaR↓20%", "VaR↑1%", "CVaR↑1% ± se"):
        table.add_column(col, justify="left" if col == "driver" else "right")
    starts = slate.starts()
    for i in np.argsort(-cv_hi, kind="stable"):
        se = tail.cvar_estimate(pts[:, i], 0.01, "upper").se
        table.add_row(
            slate.drivers[i].name, f"{slate.drivers[i].salary:,}", str(starts[i]), f"{mean[i]:.1f}",
            f"{sd[i]:.1f}", f"{cv_lo[i]:.1f}", f"{var_hi[i]:.1f}", f"{cv_hi[i]:.1f} ± {se:.1f}",
        )
    table_console(console).print(table)

    spec = ConstraintSpec.model_validate(
        {
            "objective": {"kind": "upper-cvar", "beta": 0.01},
            "n_lineups": n_lineups,
            "mode": "independent",
            "global_max_exposure": 0.5,
            "max_overlap": 4,
        }
    )
    t = time.perf_counter()
    run = run_optimize(slate, scen, spec, fresh=fresh, explain=True)
    console.print(f"portfolio of {len(run.lineups)} lineups in {time.perf_counter() - t:.1f} s")
    print_portfolio_table(run.result)

    out.mkdir(parents=True, exist_ok=True)
    upload = write_upload(out / "dk_upload.csv", run.lineups, slate)
    atomic_write_text(out / "portfolio.json", json.dumps(run.result.to_json(), indent=2, sort_keys=True) + "\n")

    contest = contest_from_options(slate, scen.points, seed=seed)  # the default contest (CONTEST_DEFAULTS)
    lu = np.array(run.lineups, dtype=np.int64)
    res = run_contest(contest, fresh.points, lu)
    print_summary(res, lu, slate)
    console.print(f"judged on the {fresh.n_scenarios:,} fresh races (seed {seed + 1}), not the "
                  f"{scen.n_scenarios:,} the portfolio was built on", highlight=False)
    facts = contest_facts(contest, slate)
    print_field_facts(facts, console)
    report = result_json(res, lu, slate, contest, [f"ownership: {p}" for p in contest.report.problems])
    report["contest"].update(facts)
    # judged on the fresh set (seed + 1), never the optimisation set: said in the report as `contest` says it
    report.update(judging_facts(fresh.points, run.result.scenario_meta[POINTS_DIGEST_KEY], scenario_seed=seed + 1,
                                contest_seed=seed))
    atomic_write_text(out / "contest.json", json.dumps(report, indent=2, sort_keys=True) + "\n")
    console.print(
        f"wrote {upload}, {out / 'portfolio.json'}, {out / 'contest.json'} · total {time.perf_counter() - t0:.1f} s"
    )
