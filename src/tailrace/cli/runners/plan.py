"""The work of ``tailrace plan``: what runs once its flags are read (:mod:`tailrace.cli.plan`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tailrace.cli.options import (FILLED_ENTRIES, cli_run, history_line, is_graph_ref, progress_label, site_rules,
                                  table_console)
from tailrace.cli.runners.inputs import command_executor, slate_and_history
from tailrace.contest.ensemble import check_ownership_error
from tailrace.errors import InputError, Problem
from tailrace.export import DayEntries, contest_entry_counts, fill_dk_entries_by_contest_text, write_upload
from tailrace.optimize.contest.duplicates import check_max_duplicates
from tailrace.outputs import atomic_write_text, check_output_path, check_output_paths
from tailrace.pipeline import parse_field_sharpness, race_line, simulate_scenarios
from tailrace.plan.contests import read_day
from tailrace.plan.run import check_day_options, run_plan
from tailrace.textfile import read_text_file


console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def upload_name(name: str, index: int) -> str:
    """The upload file of a contest: ``<index>_<name as a file name>.csv`` (index 1-based)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:60] or "contest"
    return f"{index:02d}_{slug}.csv"


def _money(x: float | None) -> str:
    return "-" if x is None else f"${x:,.2f}"


def print_plan(result: dict) -> None:
    """The allocation steps, the per-contest table and the day's row."""
    a = result["allocation"]
    if (line := race_line(result.get("race"))) is not None:
        console.print(line, highlight=False)
    console.print(f"bankroll ${result['bankroll']:,.2f}, stake cap ${result['stake_cap']:,.2f} "
                  f"({100 * result['max_stake']:g} %), Kelly fraction {result['kelly']:g}", highlight=False)
    console.print("decision (on the allocation scenarios): the greedy path, one entry at a time:", highlight=False)
    for s in a["steps"]:
        console.print(f"  {s['step']:>3}. +1 {s['contest']} -> {s['entries_after']} entries; stake "
                      f"${s['stake_after']:,.2f}; growth {s['growth_after']:+.5f} (gain {s['gain']:+.5f})",
                      highlight=False)
    if not a["steps"]:
        console.print("  no entry raises the expected log-growth: enter nothing", highlight=False)
    console.print(f"then {a['method']} search over {a['n_evaluated']:,} allocations: "
                  + ", ".join(f"{k} {v}" for k, v in a["entries"].items())
                  + f" (growth {a['growth_objective']:+.5f}; greedy ended at "
                  + ", ".join(f"{k} {v}" for k, v in a["greedy_entries"].items()) + ")", highlight=False)
    t = Table(title=f"the day on {result['scenarios']['report']['n']:,} fresh scenarios and fields")
    for col in ("contest", "entries", "stake", "exp. profit", "ROI", "P(loss)", "CVaR 5%", "top 1%"):
        t.add_column(col, justify="left" if col == "contest" else "right", no_wrap=True,
                     **({"max_width": 24, "overflow": "ellipsis"} if col == "contest" else {}))
    for r in result["contests"]:
        f = r["figures"]
        if f is None:
            t.add_row(r["name"], "0", "-", "-", "-", "-", "-", "-")
            continue
        t.add_row(r["name"], f"{r['entries']} / {r['limit']}", _money(r["stake"]),
                  f"{_money(f['expected_profit'])} ± {f['expected_profit_se']:,.2f}",
                  f"{100 * f['roi']:+.1f}% ± {100 * f['roi_se']:.1f}", f"{100 * f['p_loss']:.1f}%",
                  _money(f["profit_cvar"]), f"{100 * f['p_top1']:.2f}%")
    d = result["day"]
    t.add_row("[bold]day[/]", str(result["entries"]), _money(result["stake"]),
              f"{_money(d['expected_profit'])} ± {d['expected_profit_se']:,.2f}",
              "-" if d["roi"] is None else f"{100 * d['roi']:+.1f}% ± {100 * d['roi_se']:.1f}",
              f"{100 * d['p_loss']:.1f}%", _money(d["profit_cvar"]), f"{100 * d['p_top1']:.2f}%")
    table_console(console).print(t)
    console.print(f"day log-growth of the bankroll: {d['log_growth']:+.5f} ± {d['log_growth_se']:.5f} per day "
                  f"(fresh scenarios); {a['exact']['log_growth']:+.5f} on the allocation scenarios", highlight=False)


def run(ctx: typer.Context, site: str, salaries: Path, projections: Path | None, contests: Path, bankroll: float,
        max_stake: float, kelly: float, max_exposure: float | None, out: Path | None, entries: Path | None, json_out:
        Path | None, max_duplicates: float | None, max_overlap_day: int | None, track: str | None, allow_shift: bool,
        grid_complete: bool, season: int | None, history: Path | None, history_weight: float | None, n_scenarios: int,
        seed: int, contest_cap: int | None, field_sharpness: str, ownership_error: float, dask: str | None) -> None:
    """The work of ``tailrace plan`` (``plan``, its flags and help: :func:`tailrace.cli.plan.plan`)."""
    rules = site_rules(site)
    parse_field_sharpness(field_sharpness)
    problems = []
    try:  # the library's checks, its parameters worded as this command's flags
        check_day_options(bankroll, max_stake, kelly, max_exposure, max_overlap_day)
    except InputError as exc:
        problems.extend(exc.problems)

    try:
        check_ownership_error(ownership_error)
    except InputError as exc:
        problems.extend(exc.problems)
    if max_duplicates is not None:
        try:
            check_max_duplicates(max_duplicates, "contest")
        except InputError as exc:
            problems.extend(exc.problems)
    if entries is not None and out is None:
        problems.append(Problem("--entries needs --out (the folder the filled file goes to)", field="--out",
                                fix="add --out DIR"))
    if projections is None and (history is None or is_graph_ref(history)):
        problems.append(Problem("no projections: the plan simulates the race from --projections (with starts) or "
                                "from --history FILE holding this race's grid",
                                field="--projections", fix="add --projections FILE or --history FILE"))
    if problems:
        raise InputError(problems)
    day_file = read_day(contests)
    day = day_file.contests
    if max_overlap_day is None:
        max_overlap_day = day_file.max_overlap_day
    elif day_file.max_overlap_day is not None and day_file.max_overlap_day != max_overlap_day:
        err_console.print(f"[yellow]note:[/] --max-overlap-day {max_overlap_day} replaces the contests file's "
                          f"max_overlap_day {day_file.max_overlap_day}", highlight=False)
    if entries is not None and rules.key != "dk":
        raise InputError(Problem("--entries takes a DraftKings DKEntries.csv but --site is not dk",
                                 field="--entries", fix="drop --entries, or use --site dk"))
    # every output path checked before any work
    check_output_paths({"--json": json_out})
    if out is not None:
        if out.exists() and not out.is_dir():
            raise InputError(Problem(f"--out '{out}' is a file; it must be a folder", field="--out",
                                     fix="name a folder (it is created when missing)"))
        for i, dc in enumerate(day, start=1):
            check_output_path(out / upload_name(dc.name, i), "--out")
        if entries is not None:
            check_output_path(out / FILLED_ENTRIES, "--out")
    limits = None
    entries_text = None
    if entries is not None:
        entries_text = read_text_file(entries, param="entries")
        keys = [DayEntries(dc.name, dc.contest_id, []) for dc in day]
        limits = contest_entry_counts(entries_text, keys, source=str(entries))
        if not any(limits):
            raise InputError(Problem("none of the contests has an entry row in the entries file", file=str(entries),
                                     field="Contest Name", fix="give each contest DraftKings' exact Contest Name "
                                     "or its contest_id in the contests file"))
    slate, hist = slate_and_history(rules, salaries, projections, history, track=track, season=season,
                                    grid_complete=grid_complete, console=err_console,
                                    graph_uri=cli_run(ctx).graph_uri)
    ex = command_executor(ctx, dask)
    sets = []
    with err_console.status(progress_label(f"simulating 3 x {n_scenarios:,} races (seeds {seed}, {seed + 1}, "
                                           f"{seed + 2}) ...", ex)):
        for s in (seed, seed + 1, seed + 2):
            sets.append(simulate_scenarios(slate, n_scenarios, s, track=track, history=hist,
                                           history_weight=history_weight, allow_shift=allow_shift, executor=ex))
    line = history_line(sets[0].meta)
    if line:
        err_console.print(line, highlight=False)
    if limits is not None:
        for dc, n in zip(day, limits):
            if n < dc.max_entries:
                err_console.print(f"[yellow]note:[/] {dc.name}: the entries file holds {n} entries "
                                  f"(max_entries {dc.max_entries}); at most {n} planned", highlight=False)
    run = run_plan(slate, day, sets[0], sets[1], sets[2], bankroll=bankroll, max_stake=max_stake, kelly=kelly,
                   max_exposure=max_exposure, entry_limits=limits, seed=seed,
                   field_sharpness=field_sharpness, ownership_error=ownership_error, contest_cap=contest_cap,
                   executor=ex,
                   max_duplicates=max_duplicates, max_overlap_day=max_overlap_day,
                   say=lambda m: err_console.print(m, highlight=False))
    result = run.result
    result["history"] = sets[0].meta.get("history")
    for w in result["warnings"]:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    print_plan(result)
    files: dict[str, str] = {}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for i, (dc, lus) in enumerate(zip(day, run.lineups), start=1):
            if lus.shape[0]:
                p = out / upload_name(dc.name, i)
                write_upload(p, [tuple(x) for x in lus], slate)
                files[dc.name] = str(p)
                console.print(f"wrote {lus.shape[0]} lineup(s) for {dc.name} to {p}", highlight=False)
        if entries_text is not None:
            groups = [DayEntries(dc.name, dc.contest_id, [tuple(x) for x in lus])
                      for dc, lus in zip(day, run.lineups) if lus.shape[0]]
            text, notes = fill_dk_entries_by_contest_text(entries_text, groups, slate, source=str(entries))
            atomic_write_text(out / FILLED_ENTRIES, text)
            files["DKEntries"] = str(out / FILLED_ENTRIES)
            for n in notes:
                err_console.print(f"[yellow]note:[/] {n}", highlight=False)
            result["entries_notes"] = notes
            console.print(f"filled {sum(len(g.lineups) for g in groups)} entries of {entries} into "
                          f"{out / FILLED_ENTRIES}", highlight=False)
    result["files"] = files
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(result, indent=2, allow_nan=False))
        console.print(f"wrote the plan to {json_out}", highlight=False)
