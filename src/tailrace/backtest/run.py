"""The backtest loop: for each race, only the races before it fit the model; the portfolio of
each method is built on simulations of that race and scored on what really happened.

Per race (``backtest_race``, pure: one executor task):

1. ``history.before(race)``: the ratings (``sim.strength.from_history.history_model``) are fitted
   on the earlier races only; the race's own rows give only its track and grid.
2. The slate: a real salary file narrowed to the starters (``inputs.read_grid_slate``), or
   synthetic salaries from the pre-race strength rank (``inputs.synthetic_slate``).
3. ``n_scenarios`` simulated races (``pipeline.scenario_set``, uncached; the track's scheduled laps, the
   track-type parameters below); each method's portfolio (``methods``).
4. Scoring on the real result (``score``): real DK points per lineup, the best lineup's exact
   percentile among every legal lineup and its gap to the hindsight optimum, and the ROI in a
   GPP and a double-up against fields drawn from the modelled ownership.

**Track parameters.** ``DEFAULT_PARAMS`` were fitted on the 2019–2022 races (through
``DEFAULT_PARAMS_THROUGH``), so a race up to then gets parameters refitted on the races strictly
before it, on the calibration's schedule (``calibration.params_fit_schedule``: a fit before the
first such race, then again each time the history has grown by ``params_refit_every`` races;
``calibration.fit_params_before``, cached on disk by content). Later races keep
``DEFAULT_PARAMS`` (fitted strictly before them). Each race reports ``params_fitted_through``,
the last race its parameters saw, and ``params_in_sample`` (that race is this one or later:
only when refitting is switched off, ``params_refit_every=0``).

**Standard errors.** A race's ``gpp_roi_se`` / ``cash_roi_se`` cover the field draws only: the
real race is fixed, so a double-up whose portfolio lands on the same side of the cash line in
every drawn field has SE 0. Pooled SEs are across races (``SE_NOTES``, in the JSON as
``se_notes``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from tailrace.contest_options import CONTEST_DEFAULTS

from tailrace.backtest.inputs import SlateFile, read_grid_slate, synthetic_slate
from tailrace.backtest.methods import LABELS, METHODS, build_portfolio
from tailrace.backtest.score import all_lineups, field_draws, lineup_cents, placement, real_roi, to_cents
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.sim.cache import uncached
from tailrace.sim.history import History
from tailrace.calibration import actual_dk_points, fit_params_before, params_fit_schedule
from tailrace.contest.payouts import cash_payouts, parametric_payouts
from tailrace.distributed import LocalExecutor
from tailrace.errors import InputError
from tailrace.pipeline import contest_from_parts, scenario_set
from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.strength.from_history import history_model
from tailrace.sites import DRAFTKINGS
from tailrace.tracks import resolve_track

__all__ = ["BacktestOptions", "RaceJob", "MethodScore", "RaceReport", "SkippedRace", "BacktestResult",
           "backtest_race", "run_backtest", "BUCKETS", "PARAMS_FIT_SEASONS", "DEFAULT_PARAMS_THROUGH",
           "PARAMS_REFIT_EVERY", "SE_NOTES", "TOPS"]

BUCKETS: tuple[tuple[int, int], ...] = ((1, 5), (6, 15), (16, 25), (26, 32), (33, 99))
PARAMS_FIT_SEASONS = (2019, 2022)  # DEFAULT_PARAMS were fitted on these seasons' races (sim/params.py)
# the last race DEFAULT_PARAMS saw: the shared data's last 2022 race (2022 had 36 Cup races)
DEFAULT_PARAMS_THROUGH: tuple[int, int] = (2022, 36)
PARAMS_REFIT_EVERY = 9  # as calibration.end_to_end_calibration: a refit per 9 new races (~1 min a fit)
SE_NOTES: dict[str, str] = {
    "race": "per race, gpp_roi_se and cash_roi_se are standard errors over the field draws only: the real "
            "race is fixed, so they show the field's noise, not the race's (a double-up whose lineups land on "
            "the same side of the cash line in every draw has SE 0)",
    "pooled": "pooled, every ± is one standard error across races (each race one real outcome); the paired "
              "differences are the mean and SE of the per-race differences",
}
TOPS = (0.001, 0.01)
MIN_HISTORY_RACES = 10


@dataclass(frozen=True)
class BacktestOptions:
    """How each race is run and scored.

    ``spec``: lineups, exposure, overlap and the marginal method's objective (mode is set per
    method). ``field_draws``: independent fields per contest for the ROI. ``cash_field_size``:
    entries of the double-up.
    """

    spec: ConstraintSpec = field(default_factory=lambda: ConstraintSpec(n_lineups=20))
    methods: tuple[str, ...] = METHODS
    n_scenarios: int = 5000
    seed: int = 7
    entry_fee: float = CONTEST_DEFAULTS.entry_fee
    field_size: int = CONTEST_DEFAULTS.field_size
    rake: float | None = None
    cash_field_size: int = 1_000
    field_draws: int = 40
    min_history_races: int = MIN_HISTORY_RACES
    params_refit_every: int = PARAMS_REFIT_EVERY


@dataclass(frozen=True)
class RaceJob:
    """One race to backtest: its id and the real salary file, or None for synthetic salaries."""

    season: int
    race_num: int
    slate_file: SlateFile | None = None

    @property
    def salaries(self) -> str:
        return "synthetic" if self.slate_file is None else "real"


class MethodScore(BaseModel):
    """One method on one race: its lineups (driver names) and their real DK points, in order."""

    lineups: list[list[str]]
    lineup_points: list[float]
    best_points: float
    percentile: float
    above: int
    gap: float
    top_0_1pct: bool
    top_1pct: bool
    gpp_roi: float
    gpp_roi_se: float
    cash_roi: float
    cash_roi_se: float
    warnings: list[str] = []


class RaceReport(BaseModel):
    season: int
    race_num: int
    track: str
    track_type: str
    salaries: str  # "real" or "synthetic"
    file: str | None
    drivers: int
    legal_lineups: int
    optimum_points: float
    history_races: int
    params_in_sample: bool
    params_fitted_through: list[int] | None  # [season, race_num] of the last race the track parameters saw
    params_source: str  # "DEFAULT_PARAMS" or "fitted on the N races before SEASON-RACE"
    notes: list[str]
    methods: dict[str, MethodScore]
    # start-bucket figures of the simulation against the real race: one entry per driver
    start: list[int]
    sim_mean: list[float]
    real_points: list[float]
    seconds: float


class SkippedRace(BaseModel):
    season: int
    race_num: int
    salaries: str
    reason: str


class BacktestResult(BaseModel):
    history: str
    options: dict[str, Any]
    races: list[RaceReport]
    skipped: list[SkippedRace]
    pooled: dict[str, dict[str, Any]]  # "real" / "synthetic" -> pooled figures
    start_buckets: dict[str, dict[str, Any]]  # "real" / "synthetic" -> track type -> bucket -> figures
    se_notes: dict[str, str] = SE_NOTES  # what each standard error covers
    seconds: float


def _race_seed(seed: int, season: int, race_num: int) -> int:
    return int(np.random.SeedSequence([seed, season, race_num]).generate_state(1)[0])


def backtest_race(job: RaceJob, *, history: History, options: BacktestOptions,
                  params: dict[str, Any] | None = None,
                  params_through: tuple[int, int] | None = None) -> RaceReport | SkippedRace:
    """One race (pure; see the module docstring). Returns a SkippedRace with the reason when the
    race cannot be run (not in the history, too few earlier races, unknown track, no lineup).

    ``params``: the track-type parameter table to simulate with (``run_backtest`` passes one fitted
    on earlier races), and ``params_through`` the last race it saw; default ``DEFAULT_PARAMS``
    (through ``DEFAULT_PARAMS_THROUGH``)."""

    t0 = time.perf_counter()
    rid = (job.season, job.race_num)

    def skip(reason: str) -> SkippedRace:
        return SkippedRace(season=rid[0], race_num=rid[1], salaries=job.salaries, reason=reason)

    try:
        race = history.race(*rid)
    except KeyError:
        why = history.incomplete.get(rid)
        return skip(f"incomplete results: {why}" if why else "race not in the history file")
    hist = history.before(*rid)
    if len(hist) < options.min_history_races:
        return skip(f"only {len(hist)} complete races before it (need at least {options.min_history_races})")
    try:
        trk = resolve_track(race.track, race.season)
    except InputError as exc:
        return skip(str(exc))
    model = history_model(hist)
    if params is None:
        table, through, src = DEFAULT_PARAMS, params_through or DEFAULT_PARAMS_THROUGH, "DEFAULT_PARAMS"
    else:
        table, through = params, params_through
        seen = sum(1 for r in history.races() if through is not None and r.race_id <= tuple(through))
        src = (f"fitted on the {seen} complete races through {through[0]}-{through[1]:02d}" if through
               else "fitted on no race (generic defaults)")
    notes: list[str] = []
    if job.slate_file is None:
        hs = model.strengths(list(race.drivers), race.start, trk.track_type, table[trk.track_type])
        slate = synthetic_slate(race, hs.strength, DRAFTKINGS)
        rows = np.arange(race.n)
    else:
        try:
            slate, rows, notes = read_grid_slate(job.slate_file, race)
        except InputError as exc:
            return skip(str(exc))
    site = slate.site
    if slate.n < site.roster_size:
        return skip(f"only {slate.n} salary drivers started the race")
    seed = _race_seed(options.seed, *rid)
    # the one road to scenarios, kept out of the cache: each race's set is used once
    scen = scenario_set(slate, options.n_scenarios, seed, track=trk, params=table, history=model,
                        cache=uncached()).scenarios
    sal = slate.salaries()
    legal = all_lineups(sal, site.roster_size, site.salary_cap)
    if legal.shape[0] == 0:
        return skip("no lineup fits the salary cap")
    rake = CONTEST_DEFAULTS.rake if options.rake is None else options.rake
    gpp_pay = parametric_payouts(options.entry_fee, options.field_size, rake)
    contest = contest_from_parts(slate, scen.points, gpp_pay, entry_fee=options.entry_fee,
                                 field_size=options.field_size, rake=rake, seed=seed)
    real = actual_dk_points(race)[rows]
    cents = to_cents(real)
    all_scores = lineup_cents(cents, legal)
    own = contest.ownership
    gpp_fields = field_draws(own, sal, site.roster_size, site.salary_cap, options.field_size - 1,
                             options.field_draws, seed + 1)
    cash_pay = cash_payouts("double-up", options.entry_fee, options.cash_field_size)
    cash_fields = field_draws(own, sal, site.roster_size, site.salary_cap, options.cash_field_size - 1,
                              options.field_draws, seed + 2)
    scores: dict[str, MethodScore] = {}
    for m in options.methods:
        lu, warns = build_portfolio(m, slate, scen, options.spec, legal, contest, seed)
        pts = lineup_cents(cents, lu)
        pl = placement(all_scores, pts)
        g = real_roi(real, lu, gpp_fields, gpp_pay, options.entry_fee)
        c = real_roi(real, lu, cash_fields, cash_pay, options.entry_fee)
        k = max(len(g), 1)
        scores[m] = MethodScore(
            lineups=[[slate.names[i] for i in row] for row in lu.tolist()],
            lineup_points=[p / 100.0 for p in pts.tolist()], best_points=pl.best_points, percentile=pl.percentile,
            above=pl.above, gap=pl.gap, top_0_1pct=pl.in_top(TOPS[0]), top_1pct=pl.in_top(TOPS[1]),
            gpp_roi=float(g.mean()), gpp_roi_se=float(g.std(ddof=1) / np.sqrt(k)) if k > 1 else float("nan"),
            cash_roi=float(c.mean()), cash_roi_se=float(c.std(ddof=1) / np.sqrt(k)) if k > 1 else float("nan"),
            warnings=warns)
    return RaceReport(
        season=rid[0], race_num=rid[1], track=race.track, track_type=trk.track_type, salaries=job.salaries,
        file=None if job.slate_file is None else job.slate_file.path.name, drivers=slate.n,
        legal_lineups=int(legal.shape[0]), optimum_points=float(all_scores.max()) / 100.0, history_races=len(hist),
        params_in_sample=through is not None and tuple(through) >= rid,
        params_fitted_through=list(through) if through is not None else None, params_source=src,
        notes=notes, methods=scores,
        start=[int(s) for s in slate.starts()], sim_mean=[float(x) for x in scen.points.mean(axis=0, dtype=np.float64)],
        real_points=[float(x) for x in real], seconds=time.perf_counter() - t0)


def _mean_se(x: Sequence[float]) -> tuple[float, float | None]:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return float("nan"), None
    return float(a.mean()), (float(a.std(ddof=1) / np.sqrt(a.size)) if a.size > 1 else None)


def pool(races: Sequence[RaceReport], methods: Sequence[str]) -> dict[str, Any]:
    """Figures pooled over ``races`` per method: mean best-lineup percentile (with SE), shares of
    races with a lineup in the top 0.1 % / 1 % of every legal lineup, mean gap, mean GPP and
    double-up ROI with their SE across races, and each method's ROI difference from the first
    method race by race (paired: mean and SE of the per-race differences)."""
    out: dict[str, Any] = {"races": len(races), "methods": {}}
    if not races:
        return out
    ref = methods[0]
    for m in methods:
        sc = [r.methods[m] for r in races if m in r.methods]
        pct, pct_se = _mean_se([s.percentile for s in sc])
        gpp, gpp_se = _mean_se([s.gpp_roi for s in sc])
        cash, cash_se = _mean_se([s.cash_roi for s in sc])
        d_gpp = _mean_se([r.methods[ref].gpp_roi - r.methods[m].gpp_roi for r in races])
        d_cash = _mean_se([r.methods[ref].cash_roi - r.methods[m].cash_roi for r in races])
        out["methods"][m] = {
            "label": LABELS[m], "mean_percentile": pct, "mean_percentile_se": pct_se,
            "share_top_0_1pct": float(np.mean([s.top_0_1pct for s in sc])),
            "share_top_1pct": float(np.mean([s.top_1pct for s in sc])),
            "mean_gap": _mean_se([s.gap for s in sc])[0],
            "gpp_roi": gpp, "gpp_roi_se": gpp_se, "cash_roi": cash, "cash_roi_se": cash_se,
            f"gpp_roi_{ref}_minus_this": d_gpp[0] if m != ref else None,
            f"gpp_roi_{ref}_minus_this_se": d_gpp[1] if m != ref else None,
            f"cash_roi_{ref}_minus_this": d_cash[0] if m != ref else None,
            f"cash_roi_{ref}_minus_this_se": d_cash[1] if m != ref else None,
        }
    return out


def bucket_of(start: int) -> str:
    for lo, hi in BUCKETS:
        if lo <= start <= hi:
            return f"{lo}-{hi}" if hi < 99 else f"{lo}+"
    return f"{BUCKETS[-1][0]}+"


def start_buckets(races: Sequence[RaceReport]) -> dict[str, Any]:
    """Mean simulated against real DK points per start bucket (1–5, 6–15, 16–25, 26–32, 33+) and
    track type, over every driver-race; ``se`` is the standard error of the mean difference."""
    acc: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for r in races:
        for s, sim, real in zip(r.start, r.sim_mean, r.real_points):
            for t in (r.track_type, "all"):
                acc.setdefault(t, {}).setdefault(bucket_of(s), []).append((sim, real))
    out: dict[str, Any] = {}
    for t in sorted(acc, key=lambda k: (k == "all", k)):
        out[t] = {}
        for lo, hi in BUCKETS:
            b = f"{lo}-{hi}" if hi < 99 else f"{lo}+"
            v = np.asarray(acc[t].get(b, []), dtype=np.float64).reshape(-1, 2)
            if not v.size:
                continue
            d = v[:, 0] - v[:, 1]
            out[t][b] = {"n": int(v.shape[0]), "sim": float(v[:, 0].mean()), "real": float(v[:, 1].mean()),
                         "diff": float(d.mean()), "se": float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else None}
    return out


def params_plan(history: History, jobs: Sequence[RaceJob], options: BacktestOptions
                ) -> tuple[list[tuple[int, int]], list[int]]:
    """Which track-parameter fits a backtest needs and which each job uses.

    Races up to ``DEFAULT_PARAMS_THROUGH`` that can run (complete, with ``min_history_races``
    earlier races) are put in race order through ``calibration.params_fit_schedule`` with
    ``options.params_refit_every``; every other job (a later race, or refitting off with
    ``params_refit_every=0``) gets -1: ``DEFAULT_PARAMS``. Returns ``(fits, which)``: fit ``j``
    is made on ``history.before(*fits[j])``, and job ``i`` uses fit ``which[i]`` (-1: none), so
    ``fits[which[i]]`` is never after job ``i``'s race.
    """

    if options.params_refit_every <= 0:
        return [], [-1] * len(jobs)
    known = {r.race_id for r in history.races()}
    rids = sorted({(j.season, j.race_num) for j in jobs
                   if (j.season, j.race_num) in known and (j.season, j.race_num) <= DEFAULT_PARAMS_THROUGH
                   and len(history.before(j.season, j.race_num)) >= options.min_history_races})
    fits, idx = params_fit_schedule(history, rids, options.params_refit_every)
    of = dict(zip(rids, idx))
    return fits, [of.get((j.season, j.race_num), -1) for j in jobs]


def _last_race(hist: History) -> tuple[int, int] | None:
    ids = [r.race_id for r in hist.races()]
    return max(ids) if ids else None


def _race_task(item: tuple[RaceJob, int], *, history: History, tables: Sequence[dict[str, Any]],
               through: Sequence[tuple[int, int] | None], options: BacktestOptions) -> RaceReport | SkippedRace:
    """One executor task: ``backtest_race`` with the job's fitted parameters (index -1: the defaults)."""
    job, k = item
    if k < 0:
        return backtest_race(job, history=history, options=options)
    return backtest_race(job, history=history, options=options, params=tables[k], params_through=through[k])


def run_backtest(history: History, jobs: Sequence[RaceJob], options: BacktestOptions | None = None, *,
                 progress: Callable[[int, int, tuple[int, int]], None] | None = None,
                 executor: Any = None) -> BacktestResult:
    """Backtest every race of ``jobs`` (see the module docstring); races run as independent
    executor tasks (default local), merged in the order given, so any executor gives the same
    result. Figures are pooled separately for real and synthetic salaries."""
    from functools import partial


    t0 = time.perf_counter()
    opts = options or BacktestOptions()
    ex = executor or LocalExecutor()
    fits, which = params_plan(history, jobs, opts)
    tables = ex.map(fit_params_before, fits, shared={"history": history}) if fits else []
    through = [_last_race(history.before(*f)) for f in fits]
    items = [(job, w) for job, w in zip(jobs, which)]
    task = partial(_race_task, options=opts)
    outcomes: list[Any] = [None] * len(jobs)
    done = 0
    for i, out in ex.imap(task, items, shared={"history": history, "tables": tables, "through": through}):
        outcomes[i] = out
        done += 1
        if progress:
            progress(done, len(jobs), (jobs[i].season, jobs[i].race_num))
    races = [o for o in outcomes if isinstance(o, RaceReport)]
    skipped = [o for o in outcomes if isinstance(o, SkippedRace)]
    kinds = [k for k in ("real", "synthetic") if any(r.salaries == k for r in races)]
    pooled = {k: pool([r for r in races if r.salaries == k], opts.methods) for k in kinds}
    buckets = {k: start_buckets([r for r in races if r.salaries == k]) for k in kinds}
    optd = {"methods": list(opts.methods), "n_scenarios": opts.n_scenarios, "seed": opts.seed,
            "entry_fee": opts.entry_fee, "field_size": opts.field_size, "rake": opts.rake,
            "cash_field_size": opts.cash_field_size, "field_draws": opts.field_draws,
            "min_history_races": opts.min_history_races, "params_refit_every": opts.params_refit_every,
            "params_fits": [list(f) for f in fits], "spec": opts.spec.model_dump(mode="json")}
    return BacktestResult(history=history.source, options=optd, races=races, skipped=skipped, pooled=pooled,
                          start_buckets=buckets, seconds=time.perf_counter() - t0)
