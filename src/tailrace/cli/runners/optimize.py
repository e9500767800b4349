"""The work of ``tailrace optimize``: what runs once its flags are read (:mod:`tailrace.cli.optimize`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tailrace.cli.options import (cli_run, history_line, is_graph_ref, print_estimate, print_field_facts, progress_label,
                                  site_rules, table_console)
from tailrace.cli.runners.inputs import (check_one_source, command_executor, fill_team_and_make, load_spec,
                                         slate_and_history)
from tailrace.contest.ensemble import check_ownership_error
from tailrace.contest_options import CONTEST_DEFAULTS
from tailrace.errors import InputError, Problem
from tailrace.export import fill_dk_entries, write_upload
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.optimize.contest.duplicates import check_max_duplicates
from tailrace.outputs import atomic_write_text, check_output_paths
from tailrace.pipeline import (OptimizeResult, contest_from_options, parse_field_sharpness, race_line, run_optimize,
                               simulate_scenarios)
from tailrace.sim.left_out import load_for_slate
from tailrace.slate import read_slate


console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _spec_from(
    spec_path: Path | None,
    *,
    objective: str | None,
    alpha: float | None,
    beta: float | None,
    target: float | None,
    blend: str | None,
    lineups: int | None,
    mode: str | None,
    max_exposure: float | None,
    max_overlap: int | None,
    min_salary: int | None,
    lock: list[str] | None,
    exclude: list[str] | None,
    graph_uri: str | None = None,
):
    """The ConstraintSpec of ``--spec`` (a file, or a spec stored in the graph of ``graph_uri``)
    with the flags given laid over it."""
    base = load_spec(spec_path, graph_uri=graph_uri) if spec_path is not None else ConstraintSpec()
    obj: dict[str, Any] = {}
    if objective is not None:
        obj["kind"] = objective
    if blend is not None:
        obj["blend"] = blend
        obj.setdefault("kind", "blend")
    for k, v in (("alpha", alpha), ("beta", beta), ("target", target)):
        if v is not None:
            obj[k] = v
    return base.with_overrides(
        objective=obj or None,
        n_lineups=lineups,
        mode=mode,
        global_max_exposure=max_exposure,
        max_overlap=max_overlap,
        min_salary=min_salary,
        locks=list(lock) if lock else None,
        excludes=list(exclude) if exclude else None,
    )


def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


OPTIMAL_ROWS = 15  # drivers in the optimal % table (all of them are in --json)


def print_optimal_table(result: OptimizeResult, top: int = OPTIMAL_ROWS) -> None:
    """The drivers most often in a scenario's optimal lineup: optimal %, ownership, leverage;
    and, in mode contest, how expected duplicates were counted."""
    opt = result.optimal
    if opt is None or not opt.drivers:
        return
    src = {"contest": "the contest's", "field": "the given field's", "slate": "the slate's",
           "model": "tailrace's modelled"}.get(opt.ownership_source, opt.ownership_source)
    shown = min(top, len(opt.drivers))
    t = Table(title=f"optimal % over {opt.n_scenarios:,} scenarios · {src} ownership · top {shown} "
                    f"of {len(opt.drivers)} (all in --json)")
    for col in ("driver", "optimal %", "own %", "leverage"):
        t.add_column(col, justify="left" if col == "driver" else "right")
    for d in sorted(opt.drivers, key=lambda d: -d.optimal_pct)[:top]:
        t.add_row(d.name, f"{d.optimal_pct:.1f}", f"{d.ownership_pct:.1f}", f"{d.leverage:+.1f}")
    table_console(console).print(t)
    if result.duplicates is not None:
        dp = result.duplicates
        lim = dp.get("max_duplicates")
        console.print(f"duplicates (dups: expected field entries with the same drivers; share $: mean prize lost to "
                      f"sharing with them): {dp.get('method')}"
                      + (f"; max duplicates {lim:g}" if lim is not None else ""), highlight=False)


def print_portfolio_table(result: OptimizeResult) -> None:

    beta = result.tail_beta
    if (line := race_line(result.race)) is not None:
        console.print(line, highlight=False)
    t = Table(title=f"{len(result.lineups)} lineup(s) · objective {result.objective['name']}")
    dups = result.duplicates is not None
    # in-sample figures flatter a lineup chosen on these scenarios: the fresh set's beside them
    fresh = bool(result.lineups) and all(r.fresh_tail_metrics is not None for r in result.lineups)
    cols = ["#", "drivers", "salary", "objective", "mean", f"CVaR↑{beta:g}"] + (["fresh"] if fresh else [])
    cols += ["gap", "opt %", "≤1 %"] + (["dups", "share $"] if dups else [])
    for col in cols:
        t.add_column(col, justify="left" if col == "drivers" else "right")
    for row in result.lineups:
        tm = row.tail_metrics
        cells = [
            str(row.index + 1),
            ", ".join(row.names),
            f"{row.salary:,}",
            _num(row.objective_value, ".4g"),
            f"{tm['mean']['value']:.1f}",
            f"{tm['cvar_upper'][f'{beta:g}']['value']:.1f}",
        ]
        if fresh:
            cells.append(f"{row.fresh_tail_metrics['cvar_upper'][f'{beta:g}']['value']:.1f}")
        cells += [
            _num(row.gap, ".2g"),
            _num(row.optimal_pct, ".2f"),
            _num(row.near_optimal_pct, ".2f"),
        ]
        if dups:
            cells += [_num(row.expected_duplicates, ".2f"), _num(row.sharing_cost, ".2f")]
        t.add_row(*cells)
    table_console(console).print(t)
    print_optimal_table(result)
    exp = result.portfolio.exposures[:10]
    if len(result.lineups) > 1 and exp:
        console.print("exposure: " + ", ".join(f"{e.name} {100 * e.exposure:.0f}%" for e in exp))
    fv = result.fresh_validation
    if (pair := fv.figures()) is not None:
        a, b = pair
        d = (fv.relative_drop or {}).get("best_lineup_upper_cvar")
        console.print(
            f"fresh scenarios: best-lineup upper CVaR {beta:g} {_num(a.best_lineup_upper_cvar, '.1f')} in sample, "
            f"{_num(b.best_lineup_upper_cvar, '.1f')} out of sample"
            + (f" ({100 * d:.1f} % drop)" if d is not None else "")
        )
    elif result.lineups:  # the table's figures are in-sample only: say so, and why there is no fresh set
        console.print(f"no fresh scenarios ({fv.reason or 'none given'}): the figures above are on the "
                      "optimisation scenarios, which flatter lineups chosen on them", highlight=False)
    if result.portfolio.contest:
        print_field_facts(result.portfolio.contest, console)
        print_estimate(result.portfolio.contest, console)
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)


def run(ctx: typer.Context, site: str, salaries: Path, projections: Path | None, scenarios: Path | None, track: str |
        None, allow_shift: bool, grid_complete: bool, season: int | None, history: Path | None, history_weight: float |
        None, n_scenarios: int, seed: int, objective: str | None, alpha: float | None, beta: float | None, target: float
        | None, blend: str | None, lineups: int | None, mode: str | None, max_exposure: float | None, max_overlap: int |
        None, min_salary: int | None, lock: list[str] | None, exclude: list[str] | None, spec: Path | None, out: Path |
        None, entries: Path | None, json_out: Path | None, explain: bool, explain_binding: int, time_limit: float |
        None, payouts: Path | None, entry_fee: float, field_size: int, rake: float | None, ownership: Path | None,
        field: Path | None, contest_cap: int | None, field_sharpness: str, ownership_error: float, max_duplicates: float
        | None, dask: str | None) -> None:
    """The work of ``tailrace optimize`` (``optimize``, its flags and help: :func:`tailrace.cli.optimize.optimize`)."""
    graph_uri = cli_run(ctx).graph_uri
    rules = site_rules(site)
    sharpness = parse_field_sharpness(field_sharpness)
    check_ownership_error(ownership_error)  # before any work
    the_spec = _spec_from(
        spec, objective=objective, alpha=alpha, beta=beta, target=target, blend=blend, lineups=lineups,
        mode=mode, max_exposure=max_exposure, max_overlap=max_overlap, min_salary=min_salary,
        lock=lock, exclude=exclude, graph_uri=graph_uri,
    )
    check_output_paths({"--out": out, "--json": json_out})
    check_max_duplicates(max_duplicates, the_spec.mode)  # before any simulation
    ex = command_executor(ctx, dask)
    if entries is not None and out is None:
        raise InputError(Problem("--entries needs --out (where to write the filled file)", field="--out",
                                 fix="add --out DKEntries_filled.csv"))
    slate, scen, fresh, reason = _slate_and_scenarios(
        rules, salaries, projections, scenarios, the_spec, track=track, allow_shift=allow_shift,
        grid_complete=grid_complete, season=season, history=history, history_weight=history_weight,
        n_scenarios=n_scenarios, seed=seed, executor=ex, graph_uri=graph_uri)
    contest_options = CONTEST_DEFAULTS.with_given(
        payouts=str(payouts) if payouts else None, ownership=str(ownership) if ownership else None,
        field_file=str(field) if field else None, entry_fee=entry_fee, field_size=field_size, rake=rake,
        field_sharpness=sharpness, ownership_error=ownership_error)
    contest, contest_warnings = _contest_for(slate, scen, the_spec, contest_options, seed)
    run = _run(slate, scen, the_spec, fresh=fresh, fresh_reason=reason, explain=explain,
               explain_binding=explain_binding, time_limit=time_limit, contest=contest, executor=ex,
               contest_cap=contest_cap, max_duplicates=max_duplicates)
    result = run.result.model_copy(update={"warnings": [f"contest: {w}" for w in contest_warnings]
                                                       + run.result.warnings})
    print_portfolio_table(result)
    _write_outputs(run, result, slate, out=out, entries=entries, json_out=json_out)


def _slate_and_scenarios(rules, salaries: Path, projections: Path | None, scenarios: Path | None, the_spec, *,
                         track: str | None, allow_shift: bool, grid_complete: bool, season: int | None,
                         history: Path | None, history_weight: float | None, n_scenarios: int, seed: int,
                         executor, graph_uri: str | None):  # -> (Slate, Scenarios, Scenarios | None, str | None)
    """The slate and its scenarios: ``--scenarios FILE`` (no fresh set, and the reason), or two
    simulated sets, seeds ``seed`` and ``seed + 1``, through the scenario cache. The slate comes
    back with teams and makes filled for the spec's rules."""
    if scenarios is not None:
        check_one_source(scenarios, history)
        slate = read_slate(rules, salaries, projections, track=track, grid_complete=grid_complete, season=season)
        # drivers the set records as left out (not on its starting grid) leave the slate, said in its notes
        scen, slate, dropped = load_for_slate(scenarios, slate)
        if dropped:
            slate = replace(slate, notes=slate.notes + (dropped,))
        slate = fill_team_and_make(slate, the_spec, graph_uri=graph_uri)
        return slate, scen, None, (
            "an external scenario matrix has no independent fresh set; simulate (--projections) to get one"
        )
    if projections is None and (history is None or is_graph_ref(history)):
        raise InputError(Problem("no scenarios: give --scenarios FILE, or --projections FILE (or --history "
                                 "FILE holding this race's grid) to simulate",
                                 field="--projections", fix="add --projections, --history or --scenarios"))
    # the slate from the projections, or this race's grid from the history
    slate, hist = slate_and_history(rules, salaries, projections, history, track=track, season=season,
                                    grid_complete=grid_complete, console=err_console, graph_uri=graph_uri)
    with err_console.status(progress_label(f"simulating {n_scenarios:,} races (seed {seed}) ...", executor)):
        scen = simulate_scenarios(slate, n_scenarios, seed, track=track, history=hist,
                                  history_weight=history_weight, allow_shift=allow_shift, executor=executor)
        fresh = simulate_scenarios(slate, n_scenarios, seed + 1, track=track, history=hist,
                                   history_weight=history_weight, allow_shift=allow_shift, executor=executor)
    line = history_line(scen.meta)
    if line:
        err_console.print(line, highlight=False)
    slate = fill_team_and_make(slate, the_spec, hist, graph_uri=graph_uri)  # for team / manufacturer rules
    return slate, scen, fresh, None


def _contest_for(slate, scen, the_spec, options, seed: int):  # -> (Contest | None, list[str])
    """Mode contest's contest (``pipeline.contest_from_options``, the field sampled with ``seed``)
    and the warnings building it raised; (None, []) in the other modes."""
    contest_warnings: list[str] = []
    if the_spec.mode != "contest":
        return None, contest_warnings
    with err_console.status("building the contest field ..."):
        contest = contest_from_options(slate, scen.points, options, seed=seed, warnings=contest_warnings)
    return contest, contest_warnings


def _run(slate, scen, the_spec, *, explain_binding: int, **kw):  # -> OptimizeRun
    """``pipeline.run_optimize``, with a progress bar when the portfolio has more than one lineup."""
    if the_spec.n_lineups <= 1:
        return run_optimize(slate, scen, the_spec, binding_limit=explain_binding, **kw)
    with Progress(
        TextColumn("building portfolio"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("lineups", total=the_spec.n_lineups)
        return run_optimize(slate, scen, the_spec, binding_limit=explain_binding,
                            progress=lambda done, total: bar.update(task, completed=done, total=total), **kw)


def _write_outputs(run, result: OptimizeResult, slate, *, out: Path | None, entries: Path | None,
                   json_out: Path | None) -> None:
    """The upload CSV (or the filled DKEntries file) to ``out`` and the JSON result to ``json_out``."""
    if out is not None:
        if entries is not None:
            fill_dk_entries(entries, run.lineups, slate, out)
            console.print(f"filled {len(run.lineups)} entries of {entries} into {out}")
        else:
            write_upload(out, run.lineups, slate)
            console.print(f"wrote {len(run.lineups)} lineup(s) to {out}")
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(result.to_json(), indent=2, allow_nan=False))
        console.print(f"wrote the result to {json_out}")
