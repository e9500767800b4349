"""The work of ``tailrace calibrate``: what runs once its flags are read (:mod:`tailrace.cli.calibrate`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tailrace.calibration import end_to_end_calibration, write_report
from tailrace.cli.options import cli_run, is_graph_ref, progress_label
from tailrace.cli.runners.inputs import command_executor, graph_connection
from tailrace.errors import InputError, Problem
from tailrace.outputs import check_output_path, check_output_paths
from tailrace.sim.history import read_history
from tailrace.store.graph.history import read_history_graph


def _parse_seasons(text: str) -> list[int]:
    """'2023' or '2022,2023' or '2021-2023' -> list of seasons; InputError otherwise."""
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


def run(ctx: typer.Context, history: Path, seasons: str, scenarios: int, seed: int, json_out: Path, plots: Path | None,
        dask: str | None) -> None:
    """The work of ``tailrace calibrate`` (``calibrate``, its flags and help: :func:`tailrace.cli.calibrate.calibrate`)."""
    console = Console(width=max(Console().width, 150))
    if is_graph_ref(history):
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
