"""`tailrace calibrate`: back-test the race model on real past races.

Every race of the chosen seasons is simulated from ratings fitted only on the races before
it, for the tailrace model and two baselines; the scores go to a JSON file (keys documented
in ``tailrace.calibration``) and PNG plots, and a summary table is printed.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import Dask
from tailrace.cli.options import (
    MAX_SCENARIOS,
    cli_run,
    command_executor,
    graph_connection,
    is_graph_ref,
    progress_label,
)


def _parse_seasons(text: str) -> list[int]:
    """'2023' or '2022,2023' or '2021-2023' -> list of seasons; InputError otherwise."""
    from tailrace.errors import InputError, Problem

    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                out.extend(range(int(a), int(b) + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        out = []
    if not out:
        raise InputError(Problem(f"cannot read seasons '{text}'", field="--seasons",
                                 fix="give seasons like 2023, 2022,2023 or 2021-2023"))
    return out


def calibrate(
    ctx: typer.Context,
    history: Path = typer.Option(..., "--history", help="Race-history CSV (one row per driver per race), or 'graph'."),
    seasons: str = typer.Option(..., "--seasons", help="Seasons to evaluate: 2023, 2022,2023 or 2021-2023."),
    scenarios: int = typer.Option(10_000, "--scenarios", min=100, max=MAX_SCENARIOS, help="Scenarios per race and model."),
    seed: int = typer.Option(7, "--seed", help="Random seed."),
    json_out: Path = typer.Option(..., "--json", help="Where to write the JSON report."),
    plots: Path | None = typer.Option(None, "--plots", help="Folder for the PNG plots."),
    dask: Dask = None,
) -> None:
    """Fit on the races before each race of SEASONS, simulate it, score against reality."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from tailrace.calibration import end_to_end_calibration, write_report
    from tailrace.errors import InputError, Problem
    from tailrace.outputs import check_output_path, check_output_paths
    from tailrace.sim.history import read_history

    console = Console(width=max(Console().width, 150))
    if is_graph_ref(history):
        from tailrace.store.graph.history import read_history_graph

        conn = graph_connection(required_by="--history graph", graph_uri=cli_run(ctx).graph_uri)
        hist = read_history_graph(conn, f"graph {conn.cfg.shown()}")
    elif not history.exists():
        raise InputError(Problem(f"history file not found: {history}", field="--history",
                                 fix="give the path of a results CSV"))
    check_output_paths({"--json": json_out})
    if plots is not None:
        check_output_path(plots / "pit.png", "--plots")
    if not is_graph_ref(history):
        hist = read_history(history)
    wanted = _parse_seasons(seasons)
    ids = hist.race_ids(wanted)
    if not ids:
        have = sorted({r.season for r in hist.races()})
        raise InputError(Problem(f"no races of season(s) {seasons} in {history}", field="--seasons",
                                 fix=f"the file holds seasons {', '.join(map(str, have))}"))
    for note in hist.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    ex = command_executor(ctx, dask)
    with Progress(console=console, transient=True) as prog:
        task = prog.add_task(progress_label("calibrating", ex), total=len(ids))

        def step(k: int, total: int, rid: tuple[int, int]) -> None:
            prog.update(task, completed=k, description=progress_label(f"race {rid[0]}-{rid[1]}", ex))

        result = end_to_end_calibration(hist, ids, n_scenarios=scenarios, seed=seed, progress=step, executor=ex)
    write_report(result, json_out, plots)

    console.print(f"evaluated {result.races_evaluated} races, skipped {len(result.races_skipped)} "
                  f"({result.seconds:.1f} s)")
    for s in result.races_skipped:
        console.print(f"  skipped {s.season}-{s.race_num} {s.track or ''}: {s.reason}", highlight=False)
    if result.models:
        t = Table(title="Models (lower CRPS / Brier / log loss is better; coverage should match nominal)")
        t.add_column("model")
        for c in ("cov DK 50/80/95", "cov finish 50/80/95", "CRPS DK", "Brier win/t5/t10", "log loss win/t5/t10"):
            t.add_column(c, justify="right")
        for m, sc in result.models.items():
            cd, cf = sc.coverage["dk_points"], sc.coverage["finish"]
            t.add_row(
                m,
                "/".join(f"{100 * cd[k]:.1f}" for k in ("50", "80", "95")),
                "/".join(f"{100 * cf[k]:.1f}" for k in ("50", "80", "95")),
                f"{sc.crps_dk_points:.3f}",
                "/".join(f"{sc.brier[k]:.4f}" for k in ("win", "top5", "top10")),
                "/".join(f"{sc.log_loss[k]:.4f}" for k in ("win", "top5", "top10")),
            )
        console.print(t)
        tt = Table(title="Track types: simulated / real")
        for c in ("type", "races", "DNF rate", "top-1 laps led", "top-3 laps led", "top-1 fastest laps"):
            tt.add_column(c, justify="right")
        rows = list(result.track_types.items())
        if result.track_types_overall is not None:
            rows.append(("all", result.track_types_overall))
        for name, f in rows:
            tt.add_row(
                name, str(f.races),
                f"{f.dnf_rate.sim:.3f} / {f.dnf_rate.real:.3f}",
                f"{f.top1_laps_led_share.sim:.3f} / {f.top1_laps_led_share.real:.3f}",
                f"{f.top3_laps_led_share.sim:.3f} / {f.top3_laps_led_share.real:.3f}",
                f"{f.top1_fastest_laps_share.sim:.3f} / {f.top1_fastest_laps_share.real:.3f}",
            )
        console.print(tt)
    console.print(f"JSON: {json_out}" + (f"; plots: {plots}" if plots else ""))


def register(app: typer.Typer) -> None:
    """Add ``tailrace calibrate`` to the app."""
    app.command("calibrate")(calibrate)
