"""End-to-end calibration: fit on the races before each race, simulate it, compare with reality.

For every evaluated race and every model, each driver's actual DraftKings points and finish
are compared with the model's simulated distribution:

* **PIT** (probability integral transform), randomised for discrete outcomes:
  ``PIT = F(y-) + V * (F(y) - F(y-))`` with ``V ~ U(0, 1)`` and ``F`` the empirical CDF of
  the scenarios. A calibrated model gives uniform PITs. Uniformity is summarised by a
  10-bin histogram, a chi-square p-value and a Kolmogorov–Smirnov p-value. (PITs of drivers
  in one race are not independent — finishes are a permutation — so read the p-values as a
  guide, not as an exact test.)
* **Coverage** of the central ``p`` interval (p = 50 %, 80 %, 95 %): the outcome counts as
  covered when its randomised PIT lies in ``[(1 - p) / 2, (1 + p) / 2]``. For discrete
  outcomes this is the clean definition: a calibrated model covers exactly ``p`` in
  expectation, whereas a fixed closed interval of a discrete distribution covers at least
  ``p`` and would flatter the model.
* **Brier score** and **log loss** for win, top 5, top 10, with the scenario share as the
  probability; for log loss it is clipped to ``[0.5 / S, 1 - 0.5 / S]`` (S scenarios), so a
  zero-count event costs ``log(2S)`` rather than infinity.
* **CRPS** of DK points: ``E|X - y| - 0.5 E|X - X'|`` over the scenario sample (the CRPS of
  the empirical distribution, computed exactly from sorted samples).

By track type: simulated against real DNF rate (pooled over driver-races), laps-led share of
the top 1/2/3 leaders and fastest-lap share of the top 1/3 (mean over races), from the
tailrace model's simulations.

Models: ``tailrace`` (``sim.strength.ratings.fit_ratings``) and two baselines fitted on the same
history, both run through the same simulator with the same track-type parameters — only the
strengths differ: ``start_position`` (strength from start position alone) and
``recent_form`` (strength from the driver's average finish over his last 10 races).
A race that cannot be evaluated (incomplete results, fewer than ``MIN_HISTORY_RACES``
complete races before it, not in the file) is listed in ``races_skipped`` with the reason.

JSON report (``write_report``; scripts rely on these keys): ``races_evaluated`` (int),
``races_skipped`` (list of {season, race_num, track, reason}), ``models`` → ``tailrace`` /
``start_position`` / ``recent_form`` → ``coverage`` ({"dk_points": {"50", "80", "95"},
"finish": {...}}, shares in [0, 1]), ``crps_dk_points``, ``brier`` and ``log_loss``
({"win", "top5", "top10"}), plus ``pit_dk_points`` / ``pit_finish`` (histogram, p-values),
``reliability_top10`` and ``mean_dk_points_error``; ``track_types`` → per type {"races",
"dnf_rate", "top1_laps_led_share", "top2_laps_led_share", "top3_laps_led_share",
"top1_fastest_laps_share", "top3_fastest_laps_share"}, each figure {"sim", "real",
"real_se"}; ``track_types_overall`` (the same pooled over all races); ``races`` (per-race
CRPS by model); ``n_scenarios``, ``seed``, ``history``, ``seconds``.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from scipy import stats

from tailrace.distributed import Executor, LocalExecutor
from tailrace.rng import as_generator
from tailrace.sim.history import History, RaceResult
from tailrace.sim.strength.ratings import (
    RatingConfig,
    UpcomingRace,
    fit_ratings,
    fit_recent_form,
    fit_start_only,
    to_strength,
)
from tailrace.sites import DRAFTKINGS
from tailrace.outputs import atomic_write_text
from tailrace.sim.fit_cache import FitEntry, fit_entry, fitted_params, look_up
from tailrace.sim.params import TrackTypeParams
from tailrace.sim.race import simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.tracks import TRACK_TYPES

LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)
TOPS: dict[str, int] = {"win": 1, "top5": 5, "top10": 10}
MODELS: tuple[str, ...] = ("tailrace", "start_position", "recent_form")
MIN_HISTORY_RACES = 10
PIT_BINS = 10
_DK_TIE_TOL = 1e-3  # DK points lie on a 0.05 grid; float32 rounding must not split ties


# ----------------------------------------------------------------------------- metrics


def randomized_pit(samples: np.ndarray, actual: np.ndarray, rng: np.random.Generator,
                   tol: float = 0.0) -> np.ndarray:
    """Randomised PIT of each column's actual value under its scenario sample.

    ``samples`` (S, n), ``actual`` (n,) → (n,) in [0, 1]. Values within ``tol`` of the actual
    count as ties (their mass is spread uniformly by one uniform draw per column).
    """
    x = np.asarray(samples, dtype=np.float64)
    y = np.asarray(actual, dtype=np.float64)[None, :]
    below = (x < y - tol).mean(axis=0)
    upto = (x <= y + tol).mean(axis=0)
    return below + rng.random(x.shape[1]) * (upto - below)


def central_coverage(pit: np.ndarray, level: float) -> float:
    """Share of PIT values inside the central ``level`` interval ``[(1-l)/2, (1+l)/2]``."""
    p = np.asarray(pit, dtype=np.float64)
    lo, hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    return float(np.mean((p >= lo) & (p <= hi))) if p.size else float("nan")


def crps_samples(samples: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """CRPS of the empirical distribution of each column at its actual value.

    ``E|X - y| - 0.5 E|X - X'|`` with X, X' independent draws from the S samples, i.e.
    ``mean|x_i - y| - (1/S^2) * sum_i (2i - S - 1) x_(i)`` (sorted, 1-based i). (S, n) → (n,).
    """
    x = np.sort(np.asarray(samples, dtype=np.float64), axis=0)
    y = np.asarray(actual, dtype=np.float64)
    S = x.shape[0]
    term1 = np.abs(x - y[None, :]).mean(axis=0)
    coef = (2.0 * np.arange(1, S + 1) - S - 1.0)[:, None]
    term2 = (coef * x).sum(axis=0) / (S * S)
    return term1 - term2


def brier(prob: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared difference between probabilities and 0/1 outcomes."""
    p = np.asarray(prob, dtype=np.float64)
    o = np.asarray(outcome, dtype=np.float64)
    return float(np.mean((p - o) ** 2))


def log_loss(prob: np.ndarray, outcome: np.ndarray, eps: float = 1e-6) -> float:
    """Mean negative log-likelihood of 0/1 outcomes; probabilities clipped to [eps, 1-eps]."""
    p = np.clip(np.asarray(prob, dtype=np.float64), eps, 1.0 - eps)
    o = np.asarray(outcome, dtype=np.float64)
    return float(-np.mean(o * np.log(p) + (1.0 - o) * np.log1p(-p)))


def top_k_share(values: np.ndarray, k: int) -> np.ndarray:
    """Share of the row total held by the k largest entries; rows of (m, n) → (m,); 0/0 → nan."""
    v = np.asarray(values, dtype=np.float64)
    v2 = v[None, :] if v.ndim == 1 else v
    tot = v2.sum(axis=1)
    top = -np.sort(-v2, axis=1)[:, :k].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(tot > 0, top / np.where(tot > 0, tot, 1.0), np.nan)
    return out


# ----------------------------------------------------------------------------- result


class PitSummary(BaseModel):
    """Histogram of PIT values over PIT_BINS equal bins, with uniformity p-values."""

    n: int
    histogram: list[int]
    chi2_pvalue: float
    ks_pvalue: float


class ReliabilityBin(BaseModel):
    """One bin of a reliability diagram: forecasts in [lo, hi)."""

    lo: float
    hi: float
    count: int
    mean_forecast: float | None
    observed_rate: float | None


class ModelScores(BaseModel):
    """Every score of one model over the evaluated races."""

    coverage: dict[str, dict[str, float]]
    crps_dk_points: float
    brier: dict[str, float]
    log_loss: dict[str, float]
    pit_dk_points: PitSummary
    pit_finish: PitSummary
    reliability_top10: list[ReliabilityBin]
    mean_dk_points_error: float = Field(description="mean of (simulated mean - actual) DK points")


class SimReal(BaseModel):
    """Simulated against real; ``real_se`` is the standard error of the real figure from
    race-to-race variation (sd of the per-race values / sqrt(races)), to judge a gap."""

    sim: float
    real: float
    real_se: float | None = None


class TrackTypeFigures(BaseModel):
    """Simulated (tailrace model) against real race statistics for one track type."""

    races: int
    dnf_rate: SimReal
    top1_laps_led_share: SimReal
    top2_laps_led_share: SimReal
    top3_laps_led_share: SimReal
    top1_fastest_laps_share: SimReal
    top3_fastest_laps_share: SimReal


class SkippedRace(BaseModel):
    season: int
    race_num: int
    track: str | None
    reason: str


class RaceSummary(BaseModel):
    """Per-race headline figures (tailrace model unless named)."""

    season: int
    race_num: int
    track: str
    track_type: str
    drivers: int
    history_races: int
    crps: dict[str, float]


class CalibrationResult(BaseModel):
    """What ``end_to_end_calibration`` found; ``write_report`` turns it into JSON and plots."""

    history: str
    n_scenarios: int
    seed: int
    races_evaluated: int
    races_skipped: list[SkippedRace]
    models: dict[str, ModelScores]
    track_types: dict[str, TrackTypeFigures]
    track_types_overall: TrackTypeFigures | None = Field(
        default=None, description="the same figures pooled over every evaluated race")
    races: list[RaceSummary]
    seconds: float


# ----------------------------------------------------------------------------- loop


def _pit_summary(pit: np.ndarray) -> PitSummary:
    hist, _ = np.histogram(pit, bins=PIT_BINS, range=(0.0, 1.0))
    if pit.size:
        chi = float(stats.chisquare(hist).pvalue)
        ks = float(stats.kstest(pit, "uniform").pvalue)
    else:
        chi = ks = float("nan")
    return PitSummary(n=int(pit.size), histogram=[int(h) for h in hist], chi2_pvalue=chi, ks_pvalue=ks)


def _reliability(prob: np.ndarray, outcome: np.ndarray, bins: int = 10) -> list[ReliabilityBin]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(prob, edges) - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        sel = idx == b
        c = int(sel.sum())
        out.append(ReliabilityBin(lo=float(edges[b]), hi=float(edges[b + 1]), count=c,
                                  mean_forecast=float(prob[sel].mean()) if c else None,
                                  observed_rate=float(outcome[sel].mean()) if c else None))
    return out


class _Acc:
    """Per-model accumulator of per-driver figures."""

    def __init__(self) -> None:
        self.pit_dk: list[np.ndarray] = []
        self.pit_fin: list[np.ndarray] = []
        self.crps: list[np.ndarray] = []
        self.err: list[np.ndarray] = []
        self.prob: dict[str, list[np.ndarray]] = defaultdict(list)
        self.hit: dict[str, list[np.ndarray]] = defaultdict(list)

    def scores(self, n_scenarios: int) -> ModelScores:
        """Every score over the accumulated driver-races."""
        cat = lambda a: np.concatenate(a) if a else np.zeros(0)  # noqa: E731
        pit_dk, pit_fin = cat(self.pit_dk), cat(self.pit_fin)
        eps = 0.5 / n_scenarios
        cov = {
            "dk_points": {str(round(lv * 100)): central_coverage(pit_dk, lv) for lv in LEVELS},
            "finish": {str(round(lv * 100)): central_coverage(pit_fin, lv) for lv in LEVELS},
        }
        p10, h10 = cat(self.prob["top10"]), cat(self.hit["top10"])
        return ModelScores(
            coverage=cov,
            crps_dk_points=float(cat(self.crps).mean()),
            brier={k: brier(cat(self.prob[k]), cat(self.hit[k])) for k in TOPS},
            log_loss={k: log_loss(cat(self.prob[k]), cat(self.hit[k]), eps) for k in TOPS},
            pit_dk_points=_pit_summary(pit_dk),
            pit_finish=_pit_summary(pit_fin),
            reliability_top10=_reliability(p10, h10),
            mean_dk_points_error=float(cat(self.err).mean()),
        )


def actual_dk_points(race: RaceResult) -> np.ndarray:
    """DraftKings points each driver actually scored (float64)."""
    return DRAFTKINGS.score(race.start, race.finish, race.laps_led, race.fastest_laps)


def _strength_fns(hist: History, config: RatingConfig) -> dict[str, Callable[[UpcomingRace], np.ndarray]]:
    return {
        "tailrace": fit_ratings(hist, config).strengths,
        "start_position": fit_start_only(hist, config).strengths,
        "recent_form": fit_recent_form(hist, config).strengths,
    }


def simulate_dk(utility: np.ndarray, race: RaceResult, params: dict[str, Any], n_scenarios: int,
                rng: np.random.Generator) -> tuple[np.ndarray, Any]:
    """Simulate one past race from Plackett–Luce utilities (start effect included), the
    race's start order, its laps (the winner's laps: the scheduled distance plus any
    overtime) and its track type's parameters; returns (DK points (S, n) float32, outcomes)."""

    p = params[race.track_type]
    strength = to_strength(utility, race.start, p)
    out = simulate_race(strength, race.start, race.race_laps, p, n_scenarios, rng)
    return np.asarray(score_outcomes(DRAFTKINGS, race.start, out)), out


def _generic_params() -> dict[str, Any]:

    return {t: TrackTypeParams(t) for t in TRACK_TYPES}


def fit_track_params(hist: History) -> dict[str, Any]:
    """Track-type parameters (randomness, start weight, DNF, laps-led and fastest-lap
    concentration) fitted on ``hist`` with the simulator's own fitter. A type with too few
    races keeps the model's generic defaults, not ``DEFAULT_PARAMS`` (those were fitted on
    2019–2022 and would leak the future into a back-test of those seasons). Cached on disk by
    content (``sim.fit_cache``): the same races are fitted once per cache directory."""

    return fitted_params(hist.to_records(), fallback=_generic_params())


def _fits_here(history: History, fits: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
    """The parameter fits before ``fits`` (``fit_params_before`` of each), in this process's fit
    cache: each fit's key built once and its entry read once (``fit_cache.look_up``); the ones not
    cached fitted side by side (``_fits_side_by_side``) or, when that is not worth it, in turn."""
    generic = _generic_params()
    entries = [look_up(history.before(*rid).to_records(), generic) for rid in fits]
    missing = [e for e in entries if e.params is None]
    fitted = _fits_side_by_side(missing)
    if fitted is None:
        fitted = [fit_entry(e) for e in missing]
    new = iter(fitted)
    return [e.params if e.params is not None else next(new) for e in entries]


def _fits_side_by_side(missing: Sequence[FitEntry]) -> list[dict[str, Any]] | None:
    """The ``missing`` fits (not in the fit cache) in worker processes, side by side, when there
    are two or more and the machine has a core to spare; None when not worth it (then the caller
    fits them in turn).

    Each fit is single-threaded (its Nelder-Mead and kernels), so on a cold cache they leave the
    other core idle; a fresh ``spawn`` process per fit (no fork after numba's threads started)
    computes exactly what this process would (the same code on the same races; the results come
    back pickled, float for float) and fills the same fit cache. ``TAILRACE_SERIAL`` turns it off.
    """
    cpus = os.cpu_count() or 1
    if os.environ.get("TAILRACE_SERIAL") or cpus < 2 or len(missing) < 2:
        return None
    try:
        with ProcessPoolExecutor(max_workers=min(cpus, len(missing)), mp_context=get_context("spawn")) as pool:
            return list(pool.map(fit_entry, missing))
    except (OSError, RuntimeError):  # no processes to be had here (a sandbox): fit in turn
        return None


def end_to_end_calibration(
    history: History,
    races: Sequence[tuple[int, int]] | None = None,
    *,
    n_scenarios: int = 10_000,
    seed: int = 20230219,
    config: RatingConfig | None = None,
    min_history_races: int = MIN_HISTORY_RACES,
    params_refit_every: int = 9,
    progress: Callable[[int, int, tuple[int, int]], None] | None = None,
    executor: Executor | None = None,
) -> CalibrationResult:
    """For each race id in ``races`` (default: every race in ``history``): fit the three
    models on the races strictly before it, simulate it, and score the simulations against
    what happened. Races that cannot be evaluated are listed with the reason.

    The strength models are refitted before every race. The track-type parameters (about
    1.4 s a fit) are refitted once the history has grown by ``params_refit_every`` races
    since the last fit (1 = before every race); either way only earlier races are used.

    ``executor`` (``tailrace.distributed``, default local) runs the parameter fits and then the
    races as independent tasks (``calibrate_race``; each race seeds its own generators from
    ``(seed, season, race)``); the per-race figures are merged in race order, so the result is
    the same on any executor. ``progress(done, total, race_id)`` follows the races as they finish.
    """
    t0 = time.perf_counter()
    cfg = config or RatingConfig()
    ids = [(int(a), int(b)) for a, b in (list(races) if races is not None else history.race_ids())]
    known = {r.race_id: r for r in history.races()}
    skipped: dict[int, SkippedRace] = {}
    tasks: list[tuple[tuple[int, int], int]] = []  # (race id, index of its parameter fit)
    task_pos: list[int] = []  # the position in ``ids`` of each task
    for k, rid in enumerate(ids):
        if rid in history.incomplete:
            skipped[k] = SkippedRace(season=rid[0], race_num=rid[1], track=None,
                                     reason=f"incomplete results: {history.incomplete[rid]}")
            continue
        race = known.get(rid)
        if race is None:
            skipped[k] = SkippedRace(season=rid[0], race_num=rid[1], track=None, reason="race not in the history file")
            continue
        n_hist = len(history.before(*rid))
        if n_hist < min_history_races:
            skipped[k] = SkippedRace(season=rid[0], race_num=rid[1], track=race.track,
                                     reason=f"only {n_hist} complete races before it "
                                            f"(need at least {min_history_races})")
            continue
        tasks.append((rid, -1))
        task_pos.append(k)
    # parameters are fitted on the history before the races ``fits``; task i uses fit ``which[i]``
    fits, which = params_fit_schedule(history, [rid for rid, _ in tasks], params_refit_every)
    tasks = [(rid, w) for (rid, _), w in zip(tasks, which)]
    ex = executor or LocalExecutor()
    shared = {"history": history}
    if executor is None:
        params_list = _fits_here(history, fits)
    else:
        params_list = ex.map(fit_params_before, fits, shared=shared)
    task = partial(calibrate_race, n_scenarios=int(n_scenarios), seed=int(seed), config=cfg)
    outcomes: list[dict[str, Any] | None] = [None] * len(tasks)
    if progress and ids:
        progress(0, len(ids), ids[0])
    done = len(skipped)
    for i, out in ex.imap(task, tasks, shared={"history": history, "params": params_list}):
        outcomes[i] = out
        done += 1
        if progress:
            progress(done, len(ids), tasks[i][0])

    acc = {m: _Acc() for m in MODELS}
    tt: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    summaries: list[RaceSummary] = []
    for out in outcomes:  # race order: the same lists, in the same order, as a local run
        for m in MODELS:
            a, o = acc[m], out["models"][m]
            a.pit_dk.append(o["pit_dk"])
            a.pit_fin.append(o["pit_fin"])
            a.crps.append(o["crps"])
            a.err.append(o["err"])
            for name in TOPS:
                a.prob[name].append(o["prob"][name])
                a.hit[name].append(o["hit"][name])
        for key, v in out["track"].items():
            tt[out["track_type"]][key].append(v)
        summaries.append(out["summary"])
    evaluated = len(summaries)
    models = {m: acc[m].scores(n_scenarios) for m in MODELS} if evaluated else {}
    track_types = {t: _finish_track_figures(v) for t, v in sorted(tt.items())}
    pooled: dict[str, list[float]] = defaultdict(list)
    for v in tt.values():
        for key, vals in v.items():
            pooled[key].extend(vals)
    overall = _finish_track_figures(pooled) if tt else None
    return CalibrationResult(
        history=history.source, n_scenarios=n_scenarios, seed=seed, races_evaluated=evaluated,
        races_skipped=[skipped[k] for k in sorted(skipped)], models=models, track_types=track_types,
        track_types_overall=overall, races=summaries,
        seconds=time.perf_counter() - t0,
    )


def params_fit_schedule(history: History, races: Sequence[tuple[int, int]],
                        refit_every: int) -> tuple[list[tuple[int, int]], list[int]]:
    """When the track-type parameters are refitted over ``races`` (evaluable race ids, in the
    order they are run): a fit on the history strictly before a race is made for the first
    race, then again once the history has grown by ``refit_every`` complete races since the
    last fit (1 = before every race; a race with less history than the last fit, out of
    order, gets its own fit). Returns ``(fits, which)``: the race ids each fit is made before
    (fit ``j`` sees ``history.before(*fits[j])`` only) and, per race, the index of its fit,
    so ``fits[which[i]] <= races[i]`` always: no race's parameters have seen it."""
    fits: list[tuple[int, int]] = []
    which: list[int] = []
    params_len = 0
    for rid in races:
        n_hist = len(history.before(*rid))
        if not fits or n_hist - params_len >= refit_every or n_hist < params_len:
            fits.append((int(rid[0]), int(rid[1])))
            params_len = n_hist
        which.append(len(fits) - 1)
    return fits, which


def fit_params_before(rid: tuple[int, int], *, history: History) -> dict[str, Any]:
    """``fit_track_params`` on the races strictly before ``rid`` (one executor task)."""
    return fit_track_params(history.before(*rid))


def calibrate_race(
    item: tuple[tuple[int, int], int],
    *,
    history: History,
    params: Sequence[dict[str, Any]],
    n_scenarios: int,
    seed: int,
    config: RatingConfig,
) -> dict[str, Any]:
    """One evaluated race (one executor task; pure): the three models fitted on the races
    before it, simulated with ``params[item[1]]``, and scored against what happened.

    Returns a dict: ``models`` -> model -> {"pit_dk", "pit_fin", "crps", "err": ndarray of
    shape (n,) (n drivers), "prob" / "hit": {"win", "top5", "top10": (n,)}}; ``track_type``;
    ``track`` (the race's entries for the track-type figures, key -> float) and ``summary``
    (a RaceSummary).
    """
    rid, k = item
    race = next(r for r in history.races() if r.race_id == rid)
    hist = history.before(*rid)
    fns = _strength_fns(hist, config)
    upcoming = UpcomingRace.from_result(race)
    dk_actual = actual_dk_points(race).astype(np.float32)
    pit_rng = as_generator([seed, rid[0], rid[1], 1])
    crps_by_model: dict[str, float] = {}
    models: dict[str, dict[str, Any]] = {}
    track: dict[str, list[float]] = defaultdict(list)
    for m in MODELS:
        strength = fns[m](upcoming)
        sim_rng = as_generator([seed, rid[0], rid[1]])  # common random numbers
        points, out = simulate_dk(strength, race, params[k], n_scenarios, sim_rng)
        finish = np.asarray(out.finish)
        c = crps_samples(points, dk_actual)
        crps_by_model[m] = float(c.mean())
        models[m] = {
            "pit_dk": randomized_pit(points, dk_actual, pit_rng, tol=_DK_TIE_TOL),
            "pit_fin": randomized_pit(finish, race.finish, pit_rng),
            "crps": c,
            "err": points.mean(axis=0) - dk_actual,
            "prob": {name: (finish <= top).mean(axis=0) for name, top in TOPS.items()},
            "hit": {name: (race.finish <= top).astype(np.float64) for name, top in TOPS.items()},
        }
        if m == "tailrace":
            _track_figures(track, race, out)
    summary = RaceSummary(season=rid[0], race_num=rid[1], track=race.track, track_type=race.track_type,
                          drivers=race.n, history_races=len(hist), crps=crps_by_model)
    return {"models": models, "track_type": race.track_type,
            "track": {key: v[0] for key, v in track.items()}, "summary": summary}


def _track_figures(acc: dict[str, list[float]], race: RaceResult, out: Any) -> None:
    dnf = np.asarray(out.dnf)
    acc["races"].append(1.0)
    acc["dnf_sim_sum"].append(float(dnf.mean(axis=0).sum()))
    acc["dnf_real_sum"].append(float(race.dnf.sum()))
    acc["drivers"].append(float(race.n))
    ll, fl = np.asarray(out.laps_led), np.asarray(out.fastest_laps)
    for k in (1, 2, 3):
        acc[f"ll{k}_sim"].append(float(np.nanmean(top_k_share(ll, k))))
        acc[f"ll{k}_real"].append(float(top_k_share(race.laps_led, k)[0]))
    for k in (1, 3):
        acc[f"fl{k}_sim"].append(float(np.nanmean(top_k_share(fl, k))))
        acc[f"fl{k}_real"].append(float(top_k_share(race.fastest_laps, k)[0]))


def _se(x: np.ndarray) -> float | None:
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) >= 2 else None


def _finish_track_figures(a: dict[str, list[float]]) -> TrackTypeFigures:
    def sr(key: str) -> SimReal:
        sim, real = np.array(a[f"{key}_sim"]), np.array(a[f"{key}_real"])
        ok = ~np.isnan(real) & ~np.isnan(sim)
        return SimReal(sim=float(sim[ok].mean()) if ok.any() else float("nan"),
                       real=float(real[ok].mean()) if ok.any() else float("nan"), real_se=_se(real[ok]))

    n = float(sum(a["drivers"]))
    per_race = np.array(a["dnf_real_sum"]) / np.array(a["drivers"])
    return TrackTypeFigures(
        races=len(a["races"]),
        dnf_rate=SimReal(sim=sum(a["dnf_sim_sum"]) / n, real=sum(a["dnf_real_sum"]) / n, real_se=_se(per_race)),
        top1_laps_led_share=sr("ll1"), top2_laps_led_share=sr("ll2"), top3_laps_led_share=sr("ll3"),
        top1_fastest_laps_share=sr("fl1"), top3_fastest_laps_share=sr("fl3"),
    )


# ----------------------------------------------------------------------------- report


def result_json(result: CalibrationResult) -> dict[str, Any]:
    """The result as the JSON document scripts rely on (see ``tailrace calibrate``)."""
    return result.model_dump(mode="json")


def write_report(result: CalibrationResult, json_path: str | Path, plots_dir: str | Path | None) -> list[Path]:
    """Write the result as JSON and, if ``plots_dir`` is given, PNG plots (PIT histograms,
    top-10 reliability diagram, coverage bars). Returns the files written."""
    json_path = atomic_write_text(json_path, json.dumps(result_json(result), indent=2, allow_nan=True))
    written = [json_path]
    if plots_dir is None or not result.models:
        return written
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = Path(plots_dir)
    plots.mkdir(parents=True, exist_ok=True)
    centers = (np.arange(PIT_BINS) + 0.5) / PIT_BINS

    fig, axes = plt.subplots(2, len(result.models), figsize=(4 * len(result.models), 6), squeeze=False)
    for j, (m, sc) in enumerate(result.models.items()):
        for i, (label, ps) in enumerate((("DK points", sc.pit_dk_points), ("finish", sc.pit_finish))):
            ax = axes[i][j]
            dens = np.array(ps.histogram) / max(ps.n, 1) * PIT_BINS
            ax.bar(centers, dens, width=1 / PIT_BINS, edgecolor="k", alpha=0.7)
            ax.axhline(1.0, color="r", lw=1)
            ax.set_title(f"{m}: PIT of {label}\nchi2 p={ps.chi2_pvalue:.3g}", fontsize=9)
            ax.set_xlim(0, 1)
    fig.tight_layout()
    p = plots / "pit_histogram.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    written.append(p)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    for m, sc in result.models.items():
        pts = [(b.mean_forecast, b.observed_rate) for b in sc.reliability_top10 if b.count]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, "o-", label=m)
    ax.set_xlabel("forecast P(top 10)")
    ax.set_ylabel("observed share")
    ax.set_title("Reliability: top 10")
    ax.legend()
    fig.tight_layout()
    p = plots / "reliability_top10.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    written.append(p)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / len(result.models)
    for i, what in enumerate(("dk_points", "finish")):
        ax = axes[i]
        for j, (m, sc) in enumerate(result.models.items()):
            vals = [sc.coverage[what][str(round(lv * 100))] for lv in LEVELS]
            ax.bar(np.arange(len(LEVELS)) + j * width, vals, width, label=m)
        for k, lv in enumerate(LEVELS):
            ax.hlines(lv, k - 0.1, k + 0.9, colors="k", linestyles="--", lw=1)
        ax.set_xticks(np.arange(len(LEVELS)) + 0.4 - width / 2)
        ax.set_xticklabels([f"{round(lv * 100)} %" for lv in LEVELS])
        ax.set_ylim(0, 1)
        ax.set_title(f"coverage of central intervals: {what}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    p = plots / "coverage.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    written.append(p)
    return written


README_TEXT = """\
### Checking the model on real races (`tailrace calibrate`)

    tailrace calibrate --history cup_results.csv --seasons 2023 --scenarios 10000 --seed 7 \\
        --json calibration.json --plots calibration_plots/

Each race of the seasons is simulated from driver ratings fitted only on the races before
it, for the tailrace model and two baselines (start position only; average finish over the
last 10 races) run through the same simulator. The table and `calibration.json` give the
coverage of central 50/80/95 % intervals of DraftKings points and finish (nominal = well
calibrated), CRPS of DK points, Brier score and log loss for win / top 5 / top 10 (lower is
better), and per track type the simulated against real DNF rate and laps-led shares. The
plots folder gets PIT histograms, a top-10 reliability diagram and coverage bars. Races
that cannot be evaluated are listed with the reason.
"""
