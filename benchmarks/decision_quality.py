"""Decision quality against fields tailrace did not draw, with ownership the user only estimates (issue 23).

Slates (``--slates`` picks some):

* ``kansas``: the bundled demo slate (intermediate), its own projections and ownership;
* ``martinsville`` (short track), ``talladega`` (superspeedway), ``glen`` (Watkins Glen, road
  course): the demo drivers with the track changed and the slate rebuilt *for that track*:
  win probabilities reshaped for the track type (flattened at a superspeedway, sharpened at a
  short track, reshuffled by a log-normal "road-course skill" at a road course), start
  positions redrawn (qualifying ~ skill + noise, much noisier at a superspeedway), the
  projection of every driver set to its mean in a tailrace simulation of the race at that
  track (its own seed), salaries re-ranked by those means (with 12 % noise) over the demo's
  salary ladder, and ownership modelled from those projections and salaries
  (``contest_from_options``: the slate has no ownership column);
* ``gauss`` and ``gamma``: scenarios from model families unlike tailrace's simulator
  (``benchmarks/_foreign.py``), ownership modelled from a public projection (the means of a
  third sample);
* ``chalk``: the Kansas races with an ownership file that **cannot be realised** under the
  cap: the demo ownership tilted toward the expensive drivers (x (salary / mean)^k, clipped
  at 85 %, total kept at 600 %) until the implied average lineup salary
  (sum of ownership x salary) is $52,500, over the $50,000 cap, as users' files sometimes are
  (at $53,000 tailrace's own sampler cannot draw a field at all and raises).

The ownership each slate has is the **true** ownership: every judging field is drawn from it.
The methods that read ownership (contest mode and the sim-ROI baseline) are given either the
true ownership (``own err 0``) or a projection with error (``own err 0.3``: each driver's
ownership x exp(N(0, 0.3^2)), renormalised; ``benchmarks/_fields.perturb_ownership``), and
build their own field from it with tailrace's sampler, as a user's run would.

Methods (150 lineups, 40 % exposure cap on every driver, chosen on the optimisation
scenarios only): tailrace ``contest`` mode (``generate_contest_portfolio``, its defaults),
optionally ``independent`` upper CVaR 1 % (``--methods contest,independent``), and the
library's baselines (``tailrace.optimize.baselines``) at full strength: randomised mean
(15 % noise), HVZ greedy (overlap <= 3, relaxed only when the pool runs dry) and the
**sim-ROI workflow** with a pool as large as contest mode's (the optimal lineup of each of
contest mode's ``N_SCENARIO_OPTIMAL`` scenarios plus the best lineups by mean up to contest
mode's candidate count), overlap <= 4 relaxed only when the pool runs dry.

Judging: a tournament of ``--field`` entries ($5, parametric DraftKings-like payouts) on fresh
scenarios (another seed), against three field generators, each drawn ``--draws`` times with
other seeds from the **true** ownership:

* ``tailrace``: tailrace's own sampler (``tailrace.contest.sample_field``), the in-house
  reference (with own err 0 it is the builder's own field model with another seed);
* ``independent``: ``_fields.weighted_field`` (sequential ownership-weighted draws, salary
  floor $46,000, illegal lineups redrawn, at most 3 copies of a lineup), written here without
  tailrace's field code;
* ``sharp``: ``_fields.sharp_field``: a third of the entries from optimisers (near-optimal
  lineups by noisy public projections, popular ones duplicated many times), the rest
  ``independent``.

Every portfolio is judged against the same fresh scenarios and the same fields, so
differences are paired. Standard errors include field-seed noise: with ``K`` draws and
profit ``P[d, s]`` (draw d, scenario s), SE^2 = var_s(mean_d P[d, s]) / S + var_d(ROI_d) / K
(the same for paired differences). Goal per row: contest >= randomised + 10, HVZ + 8,
sim-ROI + 5 ROI points.

Estimate vs realised: the ROI contest mode reports for its own portfolio —
``ContestPortfolio.roi_estimate`` and ``roi_interval`` where the library has them, else
today's figure, the cross-validation score of the chosen cap (``max(cv_scores.values())``) —
against the realised ROI on every judging field; a row is "ok" when the two are within 3
points or the interval covers the realised figure.

Sizes: full run 10,000 optimisation / 20,000 fresh scenarios, 20,000-entry field, 2 draws per
generator (builds are shared across judging fields: a portfolio does not depend on the
judging field); ``--quick``: 2,000 / 4,000 scenarios, 2,000-entry field.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/decision_quality.py [--quick] [--slates kansas,chalk]
[--json out.json]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _fields  # noqa: E402
import _foreign  # noqa: E402

import tailrace.optimize.contest.pool as contest_pool  # noqa: E402  (its N_SCENARIO_OPTIMAL is the one the pool reads)
import tailrace.optimize.contest_mode as contest_mode  # noqa: E402
from tailrace.contest import Contest, Field, make_contest, parametric_payouts, run_contest, sample_field  # noqa: E402
from tailrace.optimize import baselines  # noqa: E402
from tailrace.optimize.lineup import enumerate_feasible, solve_lineup  # noqa: E402
from tailrace.optimize.objectives import Objective  # noqa: E402
from tailrace.optimize.portfolio import generate_portfolio  # noqa: E402
from tailrace.optimize.problem import LineupRules  # noqa: E402
from tailrace.pipeline import contest_from_options  # noqa: E402
from tailrace.sim.simulate import _params_for, resolve_slate_track  # noqa: E402
from tailrace.sim.simulate import simulate as simulate_races  # noqa: E402
from tailrace.sim.strength.from_slate import resolve_strengths  # noqa: E402
from tailrace.slate import demo_slate  # noqa: E402

N_LINEUPS = 150
MAX_EXPOSURE = 0.40
HVZ_OVERLAP = 3
SIMROI_OVERLAP = 4
NOISE = 0.15
ROSTER, CAP = 6, 50_000
ENTRY_FEE, RAKE = 5.0, 0.13
OWN_SIGMAS = (0.0, 0.3)
CHALK_AVG_SALARY = 52_500.0  # at $53,000 (clip 85-92 %) tailrace's own sampler raises: no field can be drawn
CONTEST = "contest"
INDEP = "independent uCVaR1%"
RAND = "randomised mean"
HVZ = f"HVZ greedy (overlap {HVZ_OVERLAP})"
SIMROI = "sim-ROI"
GOALS = {RAND: 10.0, HVZ: 8.0, SIMROI: 5.0}
GENERATORS = ("tailrace", "independent", "sharp")
ESTIMATE_TOL = 3.0  # ROI points


# ----------------------------------------------------------------------------- slates


class Setup:
    """One benchmark slate: salaries (n,), optimisation (S_opt, n) and fresh (S_ev, n) scenarios,
    the true ownership (n,) in percent and the public projection (n,)."""

    def __init__(self, key, label, sal, opt, ev, own, proj, note=""):
        self.key, self.label, self.note = key, label, note
        self.sal = np.asarray(sal, dtype=np.int64)
        self.opt, self.ev = opt, ev
        self.own = np.asarray(own, dtype=np.float64)
        self.proj = np.asarray(proj, dtype=np.float64)

TRACKS = {"martinsville": ("Martinsville", "Martinsville (short track)"),
          "talladega": ("Talladega", "Talladega (superspeedway)"),
          "glen": ("Watkins Glen", "Watkins Glen (road course)")}
#: per track type: exponent on the demo's win probabilities, road-skill log-sd, start noise (in skill sds)
RESHAPE = {"short": (1.15, 0.0, 0.8), "superspeedway": (0.35, 0.0, 2.5), "road": (1.0, 0.7, 1.0),
           "intermediate": (1.0, 0.0, 1.0), "large-flat": (1.0, 0.0, 1.0)}


def track_slate(track: str, seed: int, n_proj: int):
    """The demo drivers rebuilt for ``track`` (module docstring): (slate, strengths)."""
    base = demo_slate(track=track)
    trk = resolve_slate_track(base, track)
    params = _params_for(trk, None)
    expo, road_sd, start_sd = RESHAPE[trk.track_type]
    rng = np.random.default_rng(seed)
    p = 1.0 / np.array([d.win_odds for d in base.drivers], dtype=np.float64)
    p = (p / p.sum()) ** expo * np.exp(road_sd * rng.standard_normal(base.n))
    p /= p.sum()
    skill = np.log(p)
    z = (skill - skill.mean()) / skill.std()
    start = np.argsort(np.argsort(-(z + start_sd * rng.standard_normal(base.n)))) + 1
    drivers = tuple(replace(d, projection=None, ownership=None, win_odds=float(1.0 / (1.05 * pi)), start=int(st))
                    for d, pi, st in zip(base.drivers, p, start))
    sl = replace(base, drivers=drivers)
    theta, _, _ = resolve_strengths(sl, trk, params, seed=seed + 1)
    proj = simulate_races(sl, n_proj, seed + 2, track=track, strengths=theta).points.mean(axis=0, dtype=np.float64)
    ladder = np.sort(base.salaries())[::-1]
    rank = np.argsort(np.argsort(-proj * (1.0 + 0.12 * rng.standard_normal(base.n))))
    sl = replace(sl, drivers=tuple(replace(d, salary=int(ladder[k]), projection=float(round(m, 2)))
                                   for d, k, m in zip(sl.drivers, rank, proj)))
    return sl, theta


def chalk_ownership(own: np.ndarray, sal: np.ndarray, target: float = CHALK_AVG_SALARY, clip: float = 85.0) -> np.ndarray:
    """Ownership tilted toward the expensive drivers until its implied average lineup salary is ``target``.

    ``own`` (n,) percent, ``sal`` (n,); returns (n,) with the same total, each at most ``clip``:
    ``own x (sal / mean sal)^k`` renormalised (clipped shares' surplus spread over the rest),
    ``k`` found by bisection.
    """
    total = float(own.sum())
    rel = sal / sal.mean()

    def tilt(k: float) -> np.ndarray:
        x = own * rel**k
        x = x * total / x.sum()
        for _ in range(50):
            over = x > clip
            if not over.any():
                break
            spare = float((x[over] - clip).sum())
            x[over] = clip
            free = x < clip
            x[free] += spare * x[free] / x[free].sum()
        return x

    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _fields.implied_avg_salary(tilt(mid), sal) < target:
            lo = mid
        else:
            hi = mid
    return tilt(hi)


def build_setup(key: str, n_opt: int, n_eval: int, seed: int) -> Setup:
    """The slate ``key`` (module docstring) with its scenarios, true ownership and public projection."""
    if key in ("kansas", "chalk"):
        sl = demo_slate()
        sal = sl.salaries()
        opt = simulate_races(sl, n_opt, seed).points
        ev = simulate_races(sl, n_eval, seed + 1_000).points
        own = contest_from_options(sl, None, entry_fee=ENTRY_FEE, field_size=100, rake=RAKE, seed=0).ownership
        proj = np.array([d.projection for d in sl.drivers], dtype=np.float64)
        if key == "kansas":
            return Setup(key, "Kansas (intermediate, demo)", sal, opt, ev, own, proj,
                         note="demo projections and ownership")
        own = chalk_ownership(np.asarray(own, np.float64), sal.astype(np.float64))
        return Setup(key, "Kansas, unrealisable chalk file", sal, opt, ev, own, proj,
                     note=f"demo ownership tilted to the expensive drivers: implied lineup "
                          f"${_fields.implied_avg_salary(own, sal):,.0f} > cap")
    if key in TRACKS:
        track, label = TRACKS[key]
        sl, theta = track_slate(track, seed + 11, 10_000)
        opt = simulate_races(sl, n_opt, seed, track=track, strengths=theta).points
        ev = simulate_races(sl, n_eval, seed + 1_000, track=track, strengths=theta).points
        own = contest_from_options(sl, None, entry_fee=ENTRY_FEE, field_size=100, rake=RAKE, seed=0).ownership
        proj = np.array([d.projection for d in sl.drivers], dtype=np.float64)
        return Setup(key, label, sl.salaries(), opt, ev, own, proj,
                     note="ownership modelled from this track's simulated means")
    if key in ("gauss", "gamma"):
        from tailrace.contest import model_ownership

        demo = demo_slate()
        if key == "gauss":
            sal = demo.salaries()
            teams = [d.team for d in demo.drivers]

            def gen(S, s):
                return _foreign.gaussian_dominator(sal, teams, S, s)
            label = "Foreign (a): Gaussian + dominators"
        else:
            m, sal = _foreign.gamma_chaos_slate(demo.n, seed + 21)

            def gen(S, s):
                return _foreign.gamma_chaos(m, S, s)
            label = "Foreign (b): gamma + chaos/wrecks"
        opt, ev = gen(n_opt, seed), gen(n_eval, seed + 1_000)
        proj = gen(20_000, seed + 2_000).mean(axis=0, dtype=np.float64)  # the public projection
        own = model_ownership(sal, proj, ROSTER, salary_cap=CAP)
        return Setup(key, label, sal, opt, ev, own, proj, note="not tailrace's race model")
    raise SystemExit(f"unknown slate {key!r}: use kansas,martinsville,talladega,glen,gauss,gamma,chalk")


# ----------------------------------------------------------------------------- judging


def judging_field(gen: str, st: Setup, n_entries: int, lu_all: np.ndarray, seed: int) -> np.ndarray:
    """Lineups (n_entries, roster) of judging field ``gen`` drawn from the true ownership with ``seed``."""
    if gen == "tailrace":
        return sample_field(st.own, st.sal, ROSTER, CAP, n_entries, rng=np.random.default_rng([seed, 1])).lineups
    if gen == "independent":
        return _fields.weighted_field(st.own, st.sal, ROSTER, CAP, n_entries, np.random.default_rng([seed, 2]))
    if gen == "sharp":
        return _fields.sharp_field(st.own, st.sal, ROSTER, CAP, n_entries, np.random.default_rng([seed, 3]),
                                   projections=st.proj, lineups=lu_all)
    raise ValueError(gen)


def _se(p: np.ndarray, cost: float) -> tuple[float, float]:
    """ROI points and SE from profits ``p`` of shape (K draws, S scenarios): scenario + field-seed noise."""
    roi_d = p.mean(axis=1) / cost
    per_s = p.mean(axis=0) / cost
    var = per_s.var(ddof=1) / per_s.shape[0]
    if p.shape[0] > 1:
        var += roi_d.var(ddof=1) / p.shape[0]
    return 100.0 * float(roi_d.mean()), 100.0 * math.sqrt(var)


def _estimate(port) -> tuple[float | None, tuple[float, float] | None, str]:
    """Contest mode's own ROI figure for its portfolio (fraction), its interval, and where it came from."""
    est = getattr(port, "roi_estimate", None)
    if est is not None:
        iv = getattr(port, "roi_interval", None)
        return float(est), (None if iv is None else (float(iv[0]), float(iv[1]))), "roi_estimate"
    if port.cv_scores:
        return float(max(port.cv_scores.values())), None, "max CV score"
    return None, None, "none"


# ----------------------------------------------------------------------------- one slate


_BASELINE_CACHE: dict[tuple, dict[str, np.ndarray]] = {}


def _check(name: str, lu: np.ndarray, sal: np.ndarray, n: int) -> None:
    assert lu.shape == (N_LINEUPS, ROSTER), name
    assert len({tuple(x) for x in lu}) == N_LINEUPS, name
    assert np.bincount(lu.ravel(), minlength=n).max() <= math.floor(MAX_EXPOSURE * N_LINEUPS + 1e-9), name
    assert (sal[lu].sum(axis=1) <= CAP).all(), name


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f}"


def run_slate(st: Setup, seed: int, methods: set[str], n_field: int, draws: int,
              sigmas: tuple[float, ...] = OWN_SIGMAS, baselines_too: bool = True) -> dict:
    """Build every method's portfolio on ``st`` (per ownership error) and judge it on every field; print tables.

    ``baselines_too=False`` (``--no-baselines``): tailrace's methods only (no margins, no goal:
    for the estimate-vs-realised figures, which do not depend on the baselines)."""
    sal, n = st.sal, st.opt.shape[1]
    rules = LineupRules(roster_size=ROSTER, salary_cap=CAP)
    pay = parametric_payouts(ENTRY_FEE, n_field, RAKE)
    implied = _fields.implied_avg_salary(st.own, sal)
    print(f"\n## {st.label}: {n} drivers, {st.opt.shape[0]:,} optimisation / {st.ev.shape[0]:,} fresh scenarios, "
          f"{n_field:,}-entry $5 GPP ({pay.n_paid:,} paid, 1st ${pay.prizes[0]:,.0f}); {st.note}", flush=True)
    top = np.argsort(-st.own)[:5]
    print(f"  ownership file: implied average lineup ${implied:,.0f} "
          f"({'can' if implied <= CAP else 'CANNOT'} be realised under the ${CAP:,} cap); top: "
          + ", ".join(f"#{i} ${sal[i]:,} {st.own[i]:.0f} % (mean {st.opt[:, i].mean():.1f})" for i in top), flush=True)
    lu_all = enumerate_feasible(rules, sal, n)[0].astype(np.int64)
    ports: dict[tuple[str, float | None], np.ndarray] = {}
    secs: dict[str, float] = {}
    info: dict = {"estimate": {}, "simroi_pool": {}, "builder_field": {}}

    def timed(name: str, sigma: float | None, fn) -> None:
        t = time.perf_counter()
        lu = np.sort(np.asarray(fn()), axis=1).astype(np.int64)
        label = name if sigma is None else f"{name} (own err {sigma:g})"
        secs[label] = time.perf_counter() - t
        _check(label, lu, sal, n)
        ports[(name, sigma)] = lu
        print(f"  built {label:<32} in {secs[label]:6.1f} s", flush=True)

    # the baselines that read no ownership depend on the races only: kansas and chalk share theirs
    race_key = (hashlib.sha256(np.ascontiguousarray(st.opt).tobytes()).hexdigest(), sal.tobytes(), seed)
    cached = _BASELINE_CACHE.get(race_key, {})
    if baselines_too:
        timed(RAND, None, lambda: cached[RAND] if RAND in cached else baselines.randomised_mean(
            st.opt, lu_all, N_LINEUPS, seed + 3, max_exposure=MAX_EXPOSURE, noise=NOISE).lineups)
        timed(HVZ, None, lambda: cached[HVZ] if HVZ in cached else baselines.hvz_greedy(
            st.opt, lu_all, N_LINEUPS, max_exposure=MAX_EXPOSURE, max_overlap=HVZ_OVERLAP).lineups)
        _BASELINE_CACHE[race_key] = {RAND: ports[(RAND, None)], HVZ: ports[(HVZ, None)]}
    if "independent" in methods:
        timed(INDEP, None, lambda: [r.lineup for r in generate_portfolio(
            st.opt, sal, rules, Objective.upper_cvar(0.01), N_LINEUPS, mode="independent",
            global_max_exposure=MAX_EXPOSURE).lineups])
    for sigma in sigmas:
        seen = _fields.perturb_ownership(st.own, sigma, np.random.default_rng([seed, 31]))
        # the user's run: tailrace's own field model from the ownership the user holds
        built = make_contest(sal, ROSTER, CAP, entry_fee=ENTRY_FEE, field_size=n_field, rake=RAKE, payouts=pay,
                             ownership=seen, rng=seed + 7)
        d = _fields.describe(built.field.lineups, st.own)
        info["builder_field"][sigma] = {k: v for k, v in d.items() if k != "field_own"} | {
            "max_seen_gap": float(np.abs(seen - st.own).max())}
        n_cand = [0]
        if "contest" in methods:
            def _contest():
                port = contest_mode.generate_contest_portfolio(
                    st.opt, sal, rules, N_LINEUPS, built, max_exposure=MAX_EXPOSURE)
                est, iv, src = _estimate(port)
                info["estimate"][sigma] = {"estimate": est, "interval": iv, "source": src,
                                           "cap": port.cap_place, "cv_scores": port.cv_scores,
                                           "note": getattr(port, "estimate_note", None)}
                n_cand[0] = int(port.n_candidates)
                return port.lineups
            timed(CONTEST, sigma, _contest)

        def _simroi():
            k_opt = min(int(contest_pool.N_SCENARIO_OPTIMAL), st.opt.shape[0])
            n_mean = max(2_000, n_cand[0] - k_opt)
            res, k = baselines.sim_roi(st.opt, sal, rules, lu_all, built, N_LINEUPS, max_exposure=MAX_EXPOSURE,
                                       max_overlap=SIMROI_OVERLAP, n_optimal=k_opt, n_mean=n_mean)
            info["simroi_pool"][sigma] = {"pool": k, "contest_pool": n_cand[0], "overlap_used": res.max_overlap_used}
            return res.lineups
        if baselines_too:
            timed(SIMROI, sigma, _simroi)
        bf = info["builder_field"][sigma]
        pool = info["simroi_pool"].get(sigma, {}).get("pool")
        print(f"    own err {sigma:g}: ownership given max {bf['max_seen_gap']:.1f} pts off the truth; the builder's "
              f"field misses the truth by up to {bf['max_own_gap']:.1f} pts, {bf['dup_entries']:,} entries in duplicated "
              f"lineups (max {bf['max_dup']}); sim-ROI pool {'–' if pool is None else f'{pool:,}'} vs contest "
              f"{n_cand[0]:,}", flush=True)

    # ---- judging: the same fresh scenarios and fields for every portfolio
    cost = ENTRY_FEE * N_LINEUPS
    fields_info = {}
    profit: dict[str, dict[tuple, np.ndarray]] = {}
    t_judge = time.perf_counter()
    for gi, gen in enumerate(GENERATORS):
        profit[gen] = {key: np.empty((draws, st.ev.shape[0])) for key in ports}
        gaps = []
        for d in range(draws):
            fl = judging_field(gen, st, n_field - N_LINEUPS, lu_all, seed + 100 * (gi + 1) + d)
            desc = _fields.describe(fl, st.own)
            gaps.append(desc)
            contest = Contest(ENTRY_FEE, n_field, pay, Field(np.ascontiguousarray(fl, np.int32), "sampled"), st.own)
            for key, lu in ports.items():
                profit[gen][key][d] = run_contest(contest, st.ev, lu).profit
        fo = np.mean([g["field_own"] for g in gaps], axis=0)
        worst = int(np.argmax(np.abs(fo - st.own)))
        fields_info[gen] = {"max_own_gap": float(np.mean([g["max_own_gap"] for g in gaps])),
                            "dup_entries": float(np.mean([g["dup_entries"] for g in gaps])),
                            "max_dup": int(max(g["max_dup"] for g in gaps)),
                            "worst_driver": worst, "worst_file": float(st.own[worst]), "worst_field": float(fo[worst]),
                            "top_driver_file": float(st.own[top[0]]), "top_driver_field": float(fo[top[0]])}
    secs["judging"] = time.perf_counter() - t_judge
    print(f"\n| {st.label}: judging field (true ownership, {draws} draws) | max gap to file | worst driver: file → field "
          f"| top driver #{top[0]}: file → field | entries in duplicated lineups | most copies |")
    print("|---|---:|---|---|---:|---:|")
    for gen, f in fields_info.items():
        print(f"| {gen} | {f['max_own_gap']:.1f} pts | #{f['worst_driver']}: {f['worst_file']:.1f} → "
              f"{f['worst_field']:.1f} % | {f['top_driver_file']:.1f} → {f['top_driver_field']:.1f} % | "
              f"{f['dup_entries']:,.0f} | {f['max_dup']} |")

    # ---- figures per (ownership error, generator)
    names = [m for m in (CONTEST, INDEP, RAND, HVZ, SIMROI) if any(k[0] == m for k in ports)]
    rows = []
    for sigma in sigmas:
        for gen in GENERATORS:
            def pick(m):
                return (m, sigma) if (m, sigma) in ports else (m, None)
            roi = {m: _se(profit[gen][pick(m)], cost) for m in names}
            row = {"slate": st.key, "label": st.label, "sigma": sigma, "field": gen, "roi": roi, "diffs": {},
                   "met": None, "best": max(names, key=lambda m: roi[m][0])}
            if CONTEST in names:
                if baselines_too:
                    for b in GOALS:
                        row["diffs"][b] = _se(profit[gen][pick(CONTEST)] - profit[gen][pick(b)], cost)
                    row["met"] = all(row["diffs"][b][0] >= g for b, g in GOALS.items())
                e = info["estimate"].get(sigma, {})
                est, iv = e.get("estimate"), e.get("interval")
                real = roi[CONTEST][0] / 100.0
                row["estimate"], row["interval"], row["est_source"] = est, iv, e.get("source")
                row["realised"] = real
                covered = None if iv is None else bool(iv[0] <= real <= iv[1])
                within = None if est is None else bool(abs(100 * (real - est)) <= ESTIMATE_TOL)
                row["covered"], row["within"] = covered, within
                row["est_ok"] = bool(within or covered)
            rows.append(row)
    print(f"\n| {st.label}: own err | field | " + " | ".join(names)
          + " | contest − randomised / − HVZ / − sim-ROI (paired SE) | goal (+10 / +8 / +5) | best |")
    print("|---|---|" + "---:|" * len(names) + "---|---|---|")
    for r in rows:
        cells = [f"{r['roi'][m][0]:+.1f} ± {r['roi'][m][1]:.1f}" for m in names]
        d = " / ".join(f"{r['diffs'][b][0]:+.1f} ± {r['diffs'][b][1]:.1f}" for b in GOALS) if r["diffs"] else "–"
        g = "–" if r["met"] is None else ("met" if r["met"] else "**not met**")
        print(f"| {r['sigma']:g} | {r['field']} | " + " | ".join(cells) + f" | {d} | {g} | {r['best']} |")
    if CONTEST in names:
        print(f"\n| {st.label}: own err | field | contest's estimate | interval | realised | realised − estimate | ok |")
        print("|---|---|---:|---|---:|---:|---|")
        for r in rows:
            iv = "–" if r["interval"] is None else f"[{100 * r['interval'][0]:+.1f}, {100 * r['interval'][1]:+.1f}]"
            gap = "–" if r["estimate"] is None else f"{100 * (r['realised'] - r['estimate']):+.1f}"
            print(f"| {r['sigma']:g} | {r['field']} | {_pct(r['estimate'])} ({r['est_source']}) | {iv} | "
                  f"{_pct(r['realised'])} | {gap} | {'yes' if r['est_ok'] else '**no**'} |")
    print(f"\n  build and judging seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in secs.items()), flush=True)
    return {"slate": st.key, "label": st.label, "implied_avg_salary": implied, "realisable": bool(implied <= CAP),
            "rows": rows, "secs": secs, "fields": fields_info, "info": info,
            "ports": {f"{k[0]}|{k[1]}": v.tolist() for k, v in ports.items()}}


# ----------------------------------------------------------------------------- cash game


def cash_row(n_opt: int, n_eval: int, seed: int) -> list[tuple]:
    """A 100-entry $5 double-up on the demo slate: one lineup by mean, lower CVaR 20 %, max P(cash)."""
    sl = demo_slate()
    sal = sl.salaries()
    rules = LineupRules(roster_size=ROSTER, salary_cap=CAP)
    opt = simulate_races(sl, n_opt, seed + 50).points
    ev = simulate_races(sl, n_eval, seed + 1_050).points
    c = contest_from_options(sl, None, payouts="double-up", entry_fee=ENTRY_FEE, field_size=100, seed=seed + 57)
    j = contest_from_options(sl, None, payouts="double-up", entry_fee=ENTRY_FEE, field_size=100, seed=seed + 58)
    opp = c.opponents(1).lineups
    fs = np.sort(opt[:, opp].sum(axis=2, dtype=np.float64), axis=1)[:, ::-1]  # (S, 99) opponents, best first
    n_paid = c.payouts.n_paid
    line = float(np.median(fs[:, n_paid - 1]))  # beat the n_paid-th opponent -> in the money
    print(f"\n## Cash game: {c.field_size}-entry $5 double-up on the demo slate ({n_paid} paid "
          f"${c.payouts.prizes[0]:.0f}); cash line (median 44th opponent, optimisation scenarios) {line:.1f} pts",
          flush=True)
    rows = []
    for name, obj in (("max mean", Objective.mean()), ("lower CVaR 20 %", Objective.lower_cvar(0.2)),
                      (f"max P(score >= {line:.1f})", Objective.target_prob(line))):
        t = time.perf_counter()
        lu = np.array([sorted(solve_lineup(opt, sal, rules, obj).lineup)], dtype=np.int64)
        secs = time.perf_counter() - t
        a, b = run_contest(c, opt, lu).portfolio, run_contest(j, ev, lu).portfolio
        rows.append((name, b.cash_rate, b.cash_rate_se, b.roi, b.roi_se, a.cash_rate, a.roi, secs, lu[0]))
    print("\n| double-up, 1 lineup | cash rate (fresh) | ROI (fresh) | cash in sample | ROI in sample | s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, cr, crse, roi, rse, ca, ra, secs, _ in rows:
        print(f"| {name} | {100 * cr:.1f} ± {100 * crse:.1f} % | {100 * roi:+.1f} ± {100 * rse:.1f} % | "
              f"{100 * ca:.1f} % | {100 * ra:+.1f} % | {secs:.1f} |")
    return rows


def slate_task(key: str, *, n_opt: int, n_eval: int, field: int, seed: int, methods: tuple[str, ...],
               draws: int, n_scenario_optimal: int | None, baselines_too: bool = True) -> tuple[str, dict]:
    """One slate (its setup, every method, every judging field) as one task: what it printed, and its result.

    Module-level so that a Dask worker runs it (``--dask``); the slate's figures depend only
    on ``key`` and the seeds, so they are the same bytes wherever it runs (seconds aside).
    """
    import contextlib
    import io

    if n_scenario_optimal is not None:
        contest_pool.N_SCENARIO_OPTIMAL = n_scenario_optimal
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        t = time.perf_counter()
        st = build_setup(key.strip(), n_opt, n_eval, seed)
        print(f"\n(setup of {key}: {time.perf_counter() - t:.0f} s)", flush=True)
        res = run_slate(st, seed, set(methods), field, draws, baselines_too=baselines_too)
    return buf.getvalue(), res


SHORT = {"kansas": "Kansas", "chalk": "Kansas, unrealisable file", "martinsville": "Martinsville",
         "talladega": "Talladega", "glen": "Watkins Glen", "gauss": "Gaussian (foreign)", "gamma": "gamma (foreign)"}


def summary(results: list[dict]) -> str:
    """The decision table over every slate x field x ownership error (markdown), then who wins where.

    ``results``: what ``run_slate`` returned (or the same read back from ``--json``).
    """
    out = []
    head = ("| slate | own err | field | contest ROI | randomised | HVZ | sim-ROI | contest − rand / − HVZ / − sim-ROI "
            "(paired SE) | goal | best | estimate | interval | realised − est | est ok |")
    out.append(head)
    out.append("|---|---|---|---:|---:|---:|---:|---|---|---|---:|---|---:|---|")
    n_met = n_ok = n_rows = 0
    for res in results:
        for r in res["rows"]:
            if "est_ok" not in r:  # no contest-mode portfolio on this row
                continue
            n_rows += 1
            n_met += bool(r["met"])
            n_ok += bool(r["est_ok"])
            c = r["roi"]
            d = " / ".join(f"{r['diffs'][b][0]:+.1f} ± {r['diffs'][b][1]:.1f}" for b in GOALS) if r["diffs"] else "–"
            goal = "–" if r["met"] is None else ("met" if r["met"] else "**not met**")
            base = " | ".join(f"{c[m][0]:+.1f}" if m in c else "–" for m in (RAND, HVZ, SIMROI))
            iv = "–" if r["interval"] is None else f"[{100 * r['interval'][0]:+.1f}, {100 * r['interval'][1]:+.1f}]"
            gap = "–" if r["estimate"] is None else f"{100 * (r['realised'] - r['estimate']):+.1f}"
            out.append(f"| {SHORT.get(res['slate'], res['label'])} | {r['sigma']:g} | {r['field']} | "
                       f"{c[CONTEST][0]:+.1f} ± {c[CONTEST][1]:.1f} | {base} | {d} | {goal} | {r['best']} | "
                       f"{_pct(r['estimate'])} | {iv} | {gap} | {'yes' if r['est_ok'] else '**no**'} |")
    out.append(f"\ngoal met on {n_met} of {n_rows} rows; contest's estimate within {ESTIMATE_TOL:g} points "
               f"(or its interval covering) on {n_ok} of {n_rows} rows")
    # who wins where: best method by out-of-sample ROI, counted per slate over fields x ownership errors
    names = sorted({m for res in results for r in res["rows"] for m in r["roi"]})
    out.append("\n| best out of sample (rows won) | " + " | ".join(names) + " |")
    out.append("|---|" + "---:|" * len(names))
    for res in results:
        won = [sum(r["best"] == m for r in res["rows"]) for m in names]
        out.append(f"| {SHORT.get(res['slate'], res['label'])} | " + " | ".join(str(w) for w in won) + " |")
    notes = {str(e.get("note")) for res in results for e in res["info"]["estimate"].values() if e.get("note")}
    for note in sorted(notes):
        out.append(f"\ncontest mode's estimate note: {note}")
    return "\n".join(out)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    return x


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2,000 / 4,000 scenarios, 2,000-entry field")
    ap.add_argument("--slates", default=None,
                    help="comma list of kansas,chalk,gauss,martinsville,talladega,glen,gamma (default all, in this order)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--methods", default="contest", help="tailrace methods: contest,independent (baselines always run)")
    ap.add_argument("--draws", type=int, default=2, help="field draws per judging generator (>= 2 for field-seed SE)")
    ap.add_argument("--n-opt", type=int, default=None, help="optimisation scenarios (default 10,000; quick 2,000)")
    ap.add_argument("--n-eval", type=int, default=None, help="fresh scenarios (default 20,000; quick 4,000)")
    ap.add_argument("--field", type=int, default=None, help="contest entries (default 20,000; quick 2,000)")
    ap.add_argument("--json", default=None, help="write every figure to this JSON file")
    ap.add_argument("--from-json", default=None, help="print the decision table of a saved --json file and stop")
    ap.add_argument("--cash", action="store_true", help="add the demo slate's cash-game row")
    ap.add_argument("--no-baselines", action="store_true",
                    help="tailrace's methods only (no randomised / HVZ / sim-ROI, no margins or goal): for the "
                         "estimate-vs-realised figures")
    ap.add_argument("--contest-scenario-optimal", type=int, default=None,
                    help="scenario-optimal candidates in the contest mode's pool (default the library's; 0 = none)")
    ap.add_argument("--dask", default=None,
                    help="run the slates as Dask tasks (one per slate): a scheduler address or local[:N] "
                         "(env TAILRACE_DASK_SCHEDULER); same figures, printed slate by slate at the end")
    args = ap.parse_args(argv)
    if args.from_json:
        try:
            with open(args.from_json, encoding="utf-8") as fh:
                doc = json.load(fh)
            print(summary(doc["results"]))
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: --from-json {args.from_json}: cannot read a decision-quality JSON ({exc}); "
                  "give a file this script wrote with --json", file=sys.stderr)
            return 2
        return 0
    if args.draws < 1:
        ap.error("--draws must be at least 1")
    out_path = None
    if args.json:
        from tailrace.errors import InputError
        from tailrace.outputs import check_output_path

        try:
            out_path = check_output_path(args.json, "--json")
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.contest_scenario_optimal is not None:
        contest_pool.N_SCENARIO_OPTIMAL = args.contest_scenario_optimal
    n_opt, n_eval, field = (2_000, 4_000, 2_000) if args.quick else (10_000, 20_000, 20_000)
    n_opt, n_eval, field = args.n_opt or n_opt, args.n_eval or n_eval, args.field or field
    keys = [k.strip() for k in (args.slates or "kansas,chalk,gauss,martinsville,talladega,glen,gamma").split(",")]
    methods = tuple(m.strip() for m in args.methods.split(","))
    t0 = time.perf_counter()
    results = []
    from tailrace.distributed import open_executor, resolve_address

    print(f"decision quality: {n_opt:,} optimisation / {n_eval:,} fresh scenarios, {field:,}-entry field, "
          f"{args.draws} draws per judging field, ownership error {', '.join(f'{s:g}' for s in OWN_SIGMAS)}; "
          f"contest estimate from {'roi_estimate' if 'roi_estimate' in contest_mode.ContestPortfolio.__dataclass_fields__ else 'max CV score (today)'}",
          flush=True)
    def save(done: bool) -> None:
        if out_path is None:
            return
        from tailrace.outputs import atomic_write_text

        doc = {"sizes": {"n_opt": n_opt, "n_eval": n_eval, "field": field, "draws": args.draws, "seed": args.seed},
               "own_sigmas": list(OWN_SIGMAS), "goals": GOALS, "slates": keys, "complete": done,
               "results": results, "total_seconds": time.perf_counter() - t0}
        atomic_write_text(out_path, json.dumps(_jsonable(doc), indent=1, sort_keys=True))

    if resolve_address(args.dask) is None:
        for key in keys:
            t = time.perf_counter()
            st = build_setup(key, n_opt, n_eval, args.seed)
            print(f"\n(setup of {key}: {time.perf_counter() - t:.0f} s)", flush=True)
            results.append(run_slate(st, args.seed, set(methods), field, args.draws,
                                     baselines_too=not args.no_baselines))
            save(False)
    else:
        from functools import partial

        task = partial(slate_task, n_opt=n_opt, n_eval=n_eval, field=field, seed=args.seed, methods=methods,
                       draws=args.draws, n_scenario_optimal=args.contest_scenario_optimal,
                       baselines_too=not args.no_baselines)
        with open_executor(args.dask) as ex:
            print(f"(slates as Dask tasks on {ex.describe()})", flush=True)
            for text, res in ex.map(task, keys):
                print(text, end="", flush=True)
                results.append(res)
    cash = cash_row(n_opt, n_eval, args.seed) if args.cash else None
    print(f"\n### Decision table: out-of-sample ROI % ± SE (scenario and field-seed noise); {N_LINEUPS} lineups, "
          f"{int(100 * MAX_EXPOSURE)} % cap, {field:,}-entry $5 GPP, {n_opt:,} / {n_eval:,} scenarios, "
          f"{args.draws} field draws\n")
    print(summary(results))
    if cash:
        print("\n| demo slate, 100-entry $5 double-up, one lineup | cash rate | ROI |")
        print("|---|---:|---:|")
        for name, cr, crse, roi, rse, *_ in cash:
            print(f"| {name} | {100 * cr:.1f} ± {100 * crse:.1f} % | {100 * roi:+.1f} ± {100 * rse:.1f} % |")
    total = time.perf_counter() - t0
    print(f"\ntotal {total:.0f} s")
    if out_path is not None:
        save(True)
        print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
