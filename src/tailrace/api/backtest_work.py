"""POST /backtest: ``tailrace backtest`` as a job over a stored history.

The request (``schemas.BacktestRequest``) names a history stored by POST /histories and either
real DraftKings salary files (their text, with season and race number) or seasons to run with
synthetic salaries. The work is :func:`tailrace.backtest.run.run_backtest`; the job's result is
``backtest.report.result_json`` of its ``BacktestResult``: the very document the CLI's
``--json`` writes.

``prepare_backtest`` checks everything it can before any race runs (the history's races, the
salary files' rows, the number of races) and names the field of each problem; the route calls
it before queueing, so a bad request is a 422 at once rather than a failed job.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tailrace.errors import InputError, Problem

from tailrace.api.context import Context, Progress, check_limit, no_progress
from tailrace.api.schemas import MAX_BACKTEST_RACES, BacktestRequest
from tailrace.backtest.inputs import SlateFile
from tailrace.backtest.methods import METHODS
from tailrace.backtest.report import result_json
from tailrace.backtest.run import BacktestOptions, RaceJob, run_backtest
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.sim.history import parse_history
from tailrace.slate import read_salaries

__all__ = ["prepare_backtest", "backtest_work"]


def _safe_name(name: str | None, season: int, race_num: int) -> str:
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name or "").name)[:100].strip()
    if not base.lower().endswith(".csv"):
        base = f"dk_{season}_r{race_num:02d}.csv"
    return base


def prepare_backtest(ctx: Context, req: BacktestRequest, folder: Path) -> tuple[Any, list[Any], Any]:
    """The history, the race jobs and the options of ``req``; salary files are written to ``folder``.

    Raises NotFound for an unknown ``history_id`` and one InputError naming every bad field
    (``slates[k].salaries`` with the file's own row problems, ``slates[k].race_num``, ``seasons``,
    the number of races) — all before any fitting or simulation.
    """

    stored = ctx.store.get_history(req.history_id)  # NotFound -> 404
    hist = parse_history(stored["text"], stored["name"])
    ids = set(hist.race_ids())
    problems: list[Problem] = []
    jobs: list[RaceJob] = []
    seen: dict[tuple[int, int], int] = {}
    names: set[str] = set()
    for k, s in enumerate(req.slates or []):
        rid = (s.season, s.race_num)
        where = f"slates[{k}]"
        if rid in seen:
            problems.append(Problem(f"two salary files for race {s.season} #{s.race_num} (slates[{seen[rid]}] "
                                    f"and {where})", field=f"{where}.race_num", fix="keep one salary file per race"))
            continue
        seen[rid] = k
        if rid not in ids:
            problems.append(Problem(f"race {s.season} #{s.race_num} is not in the history {stored['name']}",
                                    field=f"{where}.race_num",
                                    fix="give the season and race number the history file uses for this race"))
            continue
        name = _safe_name(s.file_name, s.season, s.race_num)
        if name in names:
            name = f"{k}_{name}"
        names.add(name)
        path = folder / name
        path.write_text(s.salaries, encoding="utf-8")
        try:
            read_salaries(path, "dk")
        except InputError as exc:
            for p in exc.problems:
                problems.append(Problem(p.message.replace(str(folder) + "/", ""), file=name, row=p.row,
                                        field=f"{where}.salaries" + (f" ({p.field})" if p.field else ""),
                                        fix=p.fix))
            continue
        jobs.append(RaceJob(s.season, s.race_num, SlateFile(path, "dk", s.season, s.race_num)))
    if req.synthetic_salaries:
        wanted = sorted(set(req.seasons or []))
        syn = hist.race_ids(wanted)
        missing = [y for y in wanted if not any(r[0] == y for r in syn)]
        if missing:
            have = sorted({r[0] for r in ids})
            problems.append(Problem(f"no races of season(s) {', '.join(map(str, missing))} in the history "
                                    f"{stored['name']}", field="seasons",
                                    fix=f"the history holds seasons {', '.join(map(str, have))}"))
        jobs += [RaceJob(a, b) for a, b in syn]
    if problems:
        raise InputError(problems)
    if len(jobs) > MAX_BACKTEST_RACES:
        raise InputError(Problem(f"{len(jobs)} races asked for; one backtest job runs at most {MAX_BACKTEST_RACES}",
                                 field="seasons" if req.synthetic_salaries else "slates",
                                 fix="split the seasons or salary files over several jobs"))
    check_limit(req.n_lineups, ctx.settings.max_lineups, "n_lineups")
    check_limit(req.n_scenarios, ctx.settings.max_scenarios, "n_scenarios")
    spec = ConstraintSpec().with_overrides(  # as the CLI builds it (cli.optimize._spec_from)
        objective=None if req.objective is None else req.objective.model_dump(mode="json"),
        n_lineups=req.n_lineups, global_max_exposure=req.max_exposure, max_overlap=req.max_overlap)
    methods = tuple(m for m in METHODS if m in (req.methods or METHODS))
    opts = BacktestOptions(spec=spec, methods=methods, n_scenarios=req.n_scenarios, seed=req.seed,
                           entry_fee=req.entry_fee, field_size=req.field_size, rake=req.rake,
                           cash_field_size=req.cash_field_size, field_draws=req.field_draws,
                           min_history_races=req.min_history_races, params_refit_every=req.params_refit_every)
    return hist, jobs, opts


def backtest_work(ctx: Context, req: BacktestRequest, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the backtest; returns ``result_json`` of its BacktestResult (the CLI's ``--json`` document)."""
    import tempfile


    with tempfile.TemporaryDirectory(prefix="tailrace-backtest-") as tmp:
        hist, jobs, opts = prepare_backtest(ctx, req, Path(tmp))
        progress(0.01, f"{len(jobs)} race(s): fitting on the races before each, then racing")

        def step(done: int, total: int, rid: tuple[int, int]) -> None:
            progress(0.02 + 0.97 * done / max(total, 1), f"race {rid[0]}-{rid[1]:02d} done ({done} of {total})")

        result = run_backtest(hist, jobs, opts, progress=step)
        doc = result_json(result)
    for s in doc["skipped"]:  # a reader's message may hold the temporary folder's path
        s["reason"] = s["reason"].replace(tmp + "/", "").replace(tmp, "upload")
    return doc
