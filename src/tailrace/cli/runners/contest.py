"""The work of ``tailrace contest``: what runs once its flags are read (:mod:`tailrace.cli.contest`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tailrace.cli.options import (cli_run, history_line, is_graph_ref, print_field_facts, progress_label, site_rules,
                                  table_console)
from tailrace.cli.runners.inputs import check_one_source, command_executor, history_from_option, slate_and_history
from tailrace.contest import Contest, ContestResult, run_contest
from tailrace.contest.ensemble import check_ownership_error
from tailrace.contest_options import CONTEST_DEFAULTS
from tailrace.errors import InputError, Problem
from tailrace.export import lineups_from_ids, read_upload
from tailrace.judging import (FRESH, IN_SAMPLE, POINTS_DIGEST_KEY, check_digest, in_sample_warning, judge_seed,
                              judging_facts)
from tailrace.outputs import atomic_write_text, check_output_paths
from tailrace.pipeline import (contest_facts, contest_from_options, field_model_figures, parse_field_sharpness,
                               simulate_scenarios)
from tailrace.sim.io import load_scenarios
from tailrace.sim.left_out import load_for_slate
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate, read_slate
from tailrace.textfile import parse_json, read_text_file


console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _portfolio_lineups(path: Path, slate: Slate) -> tuple[np.ndarray, str | None]:
    """(lineups, the digest of the scenarios they were optimised on or None) from the optimiser's
    JSON result (lineups[].driver_ids, scenario_meta.points_sha256) or a site upload CSV (no digest)."""
    roster = slate.site.roster_size
    if path.suffix.lower() == ".json":
        data = parse_json(read_text_file(path, param="portfolio"), str(path))
        rows = data.get("lineups") if isinstance(data, dict) else None
        if not isinstance(rows, list) or not rows:
            raise InputError(Problem("no 'lineups' list", file=str(path), field="lineups",
                                     fix="pass the file `tailrace optimize --json` wrote"))
        digest = _optimised_on(data, path)
        ids = []
        for i, row in enumerate(rows):
            got = row.get("driver_ids") if isinstance(row, dict) else None
            if not isinstance(got, list):
                raise InputError(Problem(f"lineup {i + 1} has no driver_ids list", file=str(path),
                                         field=f"lineups[{i}].driver_ids",
                                         fix="pass the file `tailrace optimize --json` wrote (driver_ids: a list of "
                                             "site IDs)"))
            ids.append(got)

        out = [sorted(lu) for lu in lineups_from_ids(
            ids, slate, field="lineups[{k}].driver_ids", file=str(path),
            fix=f"pass the file `tailrace optimize --json` wrote (the same salary file), each lineup's {roster} "
                "drivers once")]
        return np.asarray(out, dtype=np.int64), digest

    return np.asarray([sorted(x) for x in read_upload(path, slate)], dtype=np.int64), None


def _optimised_on(data: dict, path: Path) -> str | None:
    """The optimiser's JSON's ``scenario_meta.points_sha256`` (None when the file has none, e.g. one
    written before it was recorded); InputError naming the field when it is not a digest."""
    meta = data.get("scenario_meta")
    try:
        return check_digest(meta.get(POINTS_DIGEST_KEY) if isinstance(meta, dict) else None)
    except ValueError as exc:
        raise InputError(Problem(f"not a points digest: {exc}", file=str(path),
                                 field=f"scenario_meta.{POINTS_DIGEST_KEY}",
                                 fix="pass the file `tailrace optimize --json` wrote, unedited (or remove the "
                                     "field)")) from None


def _scenario_points(slate: Slate, scenarios: Path | None, n_scenarios: int, seed: int,
                     track: str | None, history: Any = None,
                     history_weight: float | None = None,
                     allow_shift: bool = False, executor: Any = None,
                     loaded: Scenarios | None = None, judge: bool = False) -> tuple[np.ndarray, list[str], dict | None]:
    """(points, the simulation's warnings, how the history entered) from a matrix file (``loaded``
    when the caller has matched it to the slate already) or a simulation through the scenario cache
    (``pipeline.simulate_scenarios``, the one road) with ``seed``, or with ``judge=True`` (the contest)
    with ``judging.judge_seed(seed)``: fresh races, never the set ``optimize --seed`` optimised on nor
    its ``seed + 1`` validation set."""
    if loaded is not None:
        return loaded.points, loaded.stage_warnings(), None
    if scenarios is not None:
        check_one_source(scenarios, history)
        loaded = load_scenarios(scenarios, expected_ids=slate.ids)
        return loaded.points, loaded.stage_warnings(), None
    if any(d.start is None for d in slate.drivers):
        raise InputError(Problem("no scenarios: give --scenarios FILE, or --projections FILE (with starts) to simulate "
                                 "(or --history FILE holding this race's grid)",
                                 field="--projections", fix="add --projections, --history or --scenarios"))

    # the contest's fresh races: the judge stream of --seed, never a set optimize / simulate make (tailrace.judging)
    what = f"fresh races (the judge stream of seed {seed})" if judge else f"races (seed {seed})"
    with err_console.status(f"simulating {n_scenarios:,} {what} ..."):
        sc = simulate_scenarios(slate, n_scenarios, judge_seed(seed) if judge else seed, track=track, history=history,
                                history_weight=history_weight, allow_shift=allow_shift, executor=executor)
    line = history_line(sc.meta)
    if line:
        err_console.print(line, highlight=False)
    return sc.points, sc.stage_warnings(), sc.meta.get("history")


def result_json(result: ContestResult, lineups: np.ndarray, slate: Slate, contest: Contest,
                warnings: list[str] | None = None) -> dict:
    """The machine-readable contest report: portfolio and per-lineup figures with driver IDs,
    and every warning the stages that ran raised."""
    d = result.to_dict()
    d["warnings"] = list(warnings or [])
    for row, lu in zip(d["lineups"], lineups):
        row["driver_ids"] = [slate.drivers[int(i)].id for i in lu]
        row["names"] = [slate.drivers[int(i)].name for i in lu]
    d["contest"] = contest.to_dict()
    return d


def print_summary(result: ContestResult, lineups: np.ndarray, slate: Slate, top: int = 5) -> None:
    """A rich table of the portfolio's figures and its best lineups."""
    p = result.portfolio
    t = Table(title=f"contest: {result.n_entries:,} entries, ${result.entry_fee:g} fee, {result.n_scenarios:,} scenarios")
    t.add_column("lineup", justify="left", no_wrap=True, overflow="ellipsis", max_width=34)
    for col in ("exp. profit", "ROI", "cash", "top 1%", "win"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_row(
        f"portfolio ({p.entries})",
        f"${p.expected_profit:,.2f} ± {p.expected_profit_se:,.2f}",
        f"{100 * p.roi:+.1f}% ± {100 * p.roi_se:.1f}",
        f"{100 * p.cash_rate:.1f}%",
        f"{100 * p.top1_rate:.2f}%",
        f"{100 * p.win_rate:.2f}%",
    )
    order = np.argsort([-f.expected_profit for f in result.lineups])[:top]
    for j in order:
        f = result.lineups[j]
        names = "/".join(slate.drivers[int(i)].name.split()[-1][:4] for i in lineups[j])
        t.add_row(names, f"${f.expected_profit:,.2f}", f"{100 * f.roi:+.1f}% ± {100 * f.roi_se:.1f}",
                  f"{100 * f.cash_rate:.1f}%", f"{100 * f.top1_rate:.2f}%", f"{100 * f.win_rate:.2f}%")
    table_console(console).print(t)
    console.print(f"portfolio profit: lower CVaR {result.cvar_alpha:g} = ${result.profit_cvar:,.2f} (bankroll figure)")


def print_judged_on(judging: dict, n_scenarios: int) -> None:
    """One line saying what the ROI above was judged on (an in-sample ROI is warned of apart)."""
    how = judging["judged_on"]
    if how == FRESH:
        text = (f"judged on {n_scenarios:,} fresh races (the judge stream of seed "
                f"{judging['judge_scenarios']['contest_seed']}: never a set optimize or simulate make)")
    elif how == IN_SAMPLE:
        text = ("judged on the portfolio's own optimisation scenarios: the ROI is in-sample and optimistic "
                "(see the warning)")
    else:
        text = (f"judged on the given scenario file ({n_scenarios:,} scenarios): an honest estimate only if the "
                "portfolio was not optimised on it")
    console.print(text, highlight=False)


def print_field_models(rows: list[dict] | None) -> None:
    """One line per field model: the portfolio's ROI against it."""
    if not rows or len(rows) < 2:
        return
    rois = [r["roi"] for r in rows]
    console.print(f"ROI against each field model (spread {100 * (max(rois) - min(rois)):.1f} points):",
                  highlight=False)
    for r in rows:
        console.print(f"  {100 * r['roi']:+.1f}% ± {100 * r['roi_se']:.1f}  {r['model']}", highlight=False)


def run(ctx: typer.Context, site: str, salaries: Path, portfolio: Path, projections: Path | None, scenarios: Path |
        None, track: str | None, allow_shift: bool, grid_complete: bool, season: int | None, history: Path | None,
        history_weight: float | None, n_scenarios: int, seed: int, payouts: Path | None, entry_fee: float, field_size:
        int, rake: float, ownership: Path | None, field: Path | None, json_out: Path | None, field_sharpness: str,
        ownership_error: float, dask: str | None) -> None:
    """The work of ``tailrace contest`` (``contest``, its flags and help: :func:`tailrace.cli.contest.contest`)."""
    graph_uri = cli_run(ctx).graph_uri
    rules = site_rules(site)

    sharpness = parse_field_sharpness(field_sharpness)
    check_ownership_error(ownership_error)
    check_output_paths({"--json": json_out})
    if scenarios is None and projections is None and history is not None and not is_graph_ref(history):
        # a real export with no projections: the race's grid from the history, as optimize and plan take it
        slate, hist = slate_and_history(rules, salaries, None, history, track=track, season=season,
                                        grid_complete=grid_complete, console=err_console,
                                        graph_uri=graph_uri)
    else:
        slate = read_slate(rules, salaries, projections, track=track, grid_complete=grid_complete, season=season)
        hist = history_from_option(history, slate, graph_uri=graph_uri)
    loaded, dropped = None, None
    if scenarios is not None:  # first, so the portfolio is read on the slate the set matches
        check_one_source(scenarios, history)
        # drivers the set records as left out (not on its starting grid) leave the slate, with a warning
        loaded, slate, dropped = load_for_slate(scenarios, slate)
    lineups, optimised_on = _portfolio_lineups(portfolio, slate)
    ex = command_executor(ctx, dask)
    points, warnings, history_meta = _scenario_points(slate, scenarios, n_scenarios, seed, track,
                                                      hist, history_weight, allow_shift, ex, loaded=loaded,
                                                      judge=True)
    judging = judging_facts(points, optimised_on, scenario_seed=None if scenarios is not None else judge_seed(seed),
                            contest_seed=seed)
    warnings = ([f"slate: {dropped}"] if dropped else []) + warnings
    if judging["judged_on"] == IN_SAMPLE:
        warnings.append("contest: " + in_sample_warning(
            "drop --scenarios and give --projections (contest then simulates fresh races, the judge stream of "
            "--seed), or give --scenarios a set simulated with a seed other than the one optimize used"))
    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    contest_warnings: list[str] = []
    with err_console.status("building the contest field ..."):
        the_contest = contest_from_options(slate, points, CONTEST_DEFAULTS.with_given(
            payouts=str(payouts) if payouts else None, ownership=str(ownership) if ownership else None,
            field_file=str(field) if field else None, entry_fee=entry_fee, field_size=field_size, rake=rake,
            field_sharpness=sharpness, ownership_error=ownership_error,
        ), seed=np.random.default_rng([seed, 7]), warnings=contest_warnings)
    if the_contest.report is not None:
        contest_warnings += [f"ownership: {p}" for p in the_contest.report.problems]
    for w in contest_warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    warnings = warnings + contest_warnings
    if lineups.shape[0] >= the_contest.field_size:
        raise InputError(Problem(f"{lineups.shape[0]} lineups do not fit a {the_contest.field_size}-entry contest",
                                 field="--field-size", fix="raise --field-size"))
    with Progress(TextColumn(progress_label("simulating the contest", ex)), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("scenarios", total=points.shape[0])
        result = run_contest(the_contest, points, lineups, executor=ex,
                          progress=lambda d, t: bar.update(task, completed=d, total=t))
    facts = contest_facts(the_contest, slate)
    if the_contest.alternatives:
        with err_console.status(progress_label("the portfolio against the other field models ...", ex)):
            facts["field_models"] = field_model_figures(the_contest, result, points, lineups, ex)
    print_summary(result, lineups, slate)
    print_judged_on(judging, points.shape[0])
    print_field_facts(facts, console)
    print_field_models(facts.get("field_models"))
    if json_out is not None:
        report = result_json(result, lineups, slate, the_contest, warnings)
        report["contest"].update(facts)
        report["history"] = history_meta
        report.update(judging)
        atomic_write_text(json_out, json.dumps(report, indent=2, allow_nan=False))
        console.print(f"wrote the report to {json_out}")
