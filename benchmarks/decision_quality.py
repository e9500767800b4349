"""Decision quality: which portfolio makes money in a simulated GPP, judged on fresh scenarios.

Six slates (``--slates`` picks some):

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
  (``benchmarks/_foreign.py``: correlated Gaussian scores with a laps-led dominator mixture;
  gamma scores with a common chaos factor and wrecks, different salary structure). The
  methods see only scenario matrices, so nothing tuned to tailrace's own race model profits.

On each slate, 150-lineup portfolios with a 40 % exposure cap on every driver are built on
one scenario set (10,000 races, seed A) by

* tailrace ``contest`` mode (``generate_contest_portfolio`` through its public signature, its
  own defaults) and ``independent`` upper CVaR 1 % (``generate_portfolio``);
* baselines re-implemented here: the "randomised optimiser" (max of mean projection times
  (1 + 15 % Gaussian noise) per lineup), Hunter-Vielma-Zaman-style greedy (max mean subject to
  sharing at most 3 drivers with every earlier lineup), and the **sim-ROI workflow** of the
  commercial tools: a pool of every sampled scenario's optimal lineup (the first 2,000
  optimisation scenarios; branch and bound per scenario) plus the best 2,000 lineups by mean,
  each ranked by its simulated contest EV entered alone against the field on the
  optimisation scenarios, the top 150 taken greedily under the 40 % cap with overlap <= 4;

and judged in a 20,000-entry $5 tournament (parametric DraftKings-like payouts, field sampled
from ownership) on fresh scenarios (40,000 races, seed B) against a freshly sampled field
(same ownership, another seed). In-sample figures use the optimisation scenarios and field.
Printed per slate: ROI in and out of sample with standard errors, build times, and contest
minus each baseline with the paired standard error (same fresh scenarios, same field). Goal
per slate: contest >= randomised + 10, >= HVZ + 8, >= sim-ROI + 5 ROI points.

Cash-game row (demo slate): a 100-entry $5 double-up (44 paid $9); one lineup each by mean,
by lower CVaR 20 %, and by max P(score >= cash line) with the cash line the median over the
optimisation scenarios of the 44th-best opponent score; cash rate and ROI on fresh scenarios
against a fresh field. Nothing is tuned on the fresh scenarios.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/decision_quality.py [--quick] [--slates kansas,gauss]``
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _foreign  # noqa: E402

from tailrace.contest import make_contest, simulate  # noqa: E402
from tailrace.optimize import baselines  # noqa: E402
from tailrace.optimize.contest_mode import generate_contest_portfolio  # noqa: E402
from tailrace.optimize.lineup import enumerate_feasible, solve_lineup  # noqa: E402
from tailrace.optimize.objectives import Objective  # noqa: E402
from tailrace.optimize.portfolio import generate_portfolio  # noqa: E402
from tailrace.optimize.problem import LineupRules  # noqa: E402
from tailrace.pipeline import contest_from_options  # noqa: E402
from tailrace.sim.simulate import _params_for, resolve_slate_track  # noqa: E402
from tailrace.sim.simulate import simulate as simulate_races  # noqa: E402
from tailrace.sim.strength import resolve_strengths  # noqa: E402
from tailrace.slate import demo_slate  # noqa: E402

N_LINEUPS = 150
MAX_EXPOSURE = 0.40
HVZ_OVERLAP = 3
SIMROI_OVERLAP = 4
NOISE = 0.15
ROSTER, CAP = 6, 50_000
ENTRY_FEE, RAKE = 5.0, 0.13
GOALS = {"randomised mean": 10.0, f"HVZ greedy (overlap {HVZ_OVERLAP})": 8.0, "sim-ROI": 5.0}
CONTEST = "contest"
INDEP = "independent uCVaR1%"


# ----------------------------------------------------------------------------- slates


class Setup:
    """One benchmark slate: salaries, optimisation and fresh scenarios, contest and judging contest."""

    def __init__(self, label, sal, opt, ev, contest, judge, note=""):
        self.label, self.sal, self.opt, self.ev, self.contest, self.judge, self.note = (
            label, np.asarray(sal, dtype=np.int64), opt, ev, contest, judge, note)


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


def build_setup(key: str, n_opt: int, n_eval: int, field: int, seed: int) -> Setup:
    def contests(slate):
        c = contest_from_options(slate, None, entry_fee=ENTRY_FEE, field_size=field, rake=RAKE, seed=seed + 7)
        j = contest_from_options(slate, None, entry_fee=ENTRY_FEE, field_size=field, rake=RAKE, seed=seed + 8)
        return c, j

    if key == "kansas":
        sl = demo_slate()
        opt = simulate_races(sl, n_opt, seed).points
        ev = simulate_races(sl, n_eval, seed + 1_000).points
        return Setup("Kansas (intermediate, demo)", sl.salaries(), opt, ev, *contests(sl),
                     note="demo projections and ownership")
    if key in TRACKS:
        track, label = TRACKS[key]
        sl, theta = track_slate(track, seed + 11, 10_000)
        opt = simulate_races(sl, n_opt, seed, track=track, strengths=theta).points
        ev = simulate_races(sl, n_eval, seed + 1_000, track=track, strengths=theta).points
        return Setup(label, sl.salaries(), opt, ev, *contests(sl),
                     note="ownership modelled from this track's simulated means")
    if key in ("gauss", "gamma"):
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

        def mk(s):
            return make_contest(sal, ROSTER, CAP, entry_fee=ENTRY_FEE, field_size=field, rake=RAKE,
                                projections=proj, rng=s)
        return Setup(label, sal, opt, ev, mk(seed + 7), mk(seed + 8), note="not tailrace's race model")
    raise SystemExit(f"unknown slate {key!r}")


# ----------------------------------------------------------------------------- one slate


def _paired(a, b, cost):
    d = (a.profit - b.profit) / cost
    return 100 * d.mean(), 100 * d.std(ddof=1) / math.sqrt(d.shape[0])


def run_slate(st: Setup, seed: int, methods: set[str], contest_overlap: int | None) -> dict:
    sal, n = st.sal, st.opt.shape[1]
    rules = LineupRules(roster_size=ROSTER, salary_cap=CAP)
    print(f"\n## {st.label}: {n} drivers, {st.opt.shape[0]:,} optimisation / {st.ev.shape[0]:,} fresh scenarios, "
          f"{st.contest.field_size:,}-entry $5 GPP ({st.contest.payouts.n_paid:,} paid, "
          f"1st ${st.contest.payouts.prizes[0]:,.0f}); {st.note}", flush=True)
    own = st.contest.ownership
    top = np.argsort(-own)[:5]
    print("  top ownership: " + ", ".join(f"#{i} ${sal[i]:,} {own[i]:.0f} % (mean {st.opt[:, i].mean():.1f})"
                                           for i in top), flush=True)
    lu_all, _ = enumerate_feasible(rules, sal, n)
    lu_all = lu_all.astype(np.int64)
    ports: dict[str, np.ndarray] = {}
    secs: dict[str, float] = {}

    def timed(name: str, fn) -> None:
        t = time.perf_counter()
        ports[name] = np.sort(np.asarray(fn()), axis=1)
        secs[name] = time.perf_counter() - t
        print(f"  built {name:<22} in {secs[name]:6.1f} s", flush=True)

    if "contest" in methods:
        timed(CONTEST, lambda: generate_contest_portfolio(
            st.opt, sal, rules, N_LINEUPS, st.contest, max_exposure=MAX_EXPOSURE,
            max_overlap=contest_overlap).lineups)
    if "independent" in methods:
        timed(INDEP, lambda: [r.lineup for r in generate_portfolio(
            st.opt, sal, rules, Objective.upper_cvar(0.01), N_LINEUPS, mode="independent",
            global_max_exposure=MAX_EXPOSURE).lineups])
    timed("randomised mean", lambda: baselines.randomised_mean(
        st.opt, lu_all, N_LINEUPS, seed + 3, max_exposure=MAX_EXPOSURE, noise=NOISE).lineups)
    timed(f"HVZ greedy (overlap {HVZ_OVERLAP})", lambda: baselines.hvz_greedy(
        st.opt, lu_all, N_LINEUPS, max_exposure=MAX_EXPOSURE, max_overlap=HVZ_OVERLAP).lineups)
    pool_size = [0]

    def _simroi():
        res, k = baselines.sim_roi(st.opt, sal, rules, lu_all, st.contest, N_LINEUPS, max_exposure=MAX_EXPOSURE,
                                   max_overlap=SIMROI_OVERLAP)
        pool_size[0] = k
        return res.lineups
    timed("sim-ROI", _simroi)
    print(f"  (sim-ROI pool: {pool_size[0]:,} distinct lineups)")

    res_in, res_out = {}, {}
    for name, lu in ports.items():
        assert lu.shape == (N_LINEUPS, ROSTER), name
        assert len({tuple(x) for x in lu}) == N_LINEUPS, name
        assert np.bincount(lu.ravel(), minlength=n).max() <= math.floor(MAX_EXPOSURE * N_LINEUPS + 1e-9), name
        assert (sal[lu].sum(axis=1) <= CAP).all(), name
        res_in[name] = simulate(st.contest, st.opt, lu)
        res_out[name] = simulate(st.judge, st.ev, lu)
    cost = ENTRY_FEE * N_LINEUPS
    print(f"\n| {st.label} | ROI out of sample | ROI in sample | cash | top 1 % | build s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ports:
        a, b = res_in[name].portfolio, res_out[name].portfolio
        print(f"| {name} | {100 * b.roi:+.1f} ± {100 * b.roi_se:.1f} % | {100 * a.roi:+.1f} % | "
              f"{100 * b.cash_rate:.1f} % | {100 * b.top1_rate:.2f} % | {secs[name]:.0f} |")
    ours = [o for o in (CONTEST, INDEP) if o in ports]
    bases = list(GOALS)
    print(f"\n| {st.label}: out of sample, difference in ROI points (paired SE) | " + " | ".join(bases) + " |")
    print("|---|" + "---:|" * len(bases))
    diffs = {}
    for o in ours:
        cells = []
        for bname in bases:
            diffs[(o, bname)] = m, se = _paired(res_out[o], res_out[bname], cost)
            cells.append(f"{m:+.1f} ± {se:.1f}")
        print(f"| {o} | " + " | ".join(cells) + " |")
    met = None
    if CONTEST in ports:
        met = all(diffs[(CONTEST, b)][0] >= g for b, g in GOALS.items())
        print(f"\ngoal (contest >= randomised + 10, HVZ + 8, sim-ROI + 5): {'met' if met else 'NOT met'} ("
              + ", ".join(f"{diffs[(CONTEST, b)][0]:+.1f}" for b in bases) + ")", flush=True)
    return {"label": st.label, "in": {k: v.portfolio for k, v in res_in.items()},
            "out": {k: v.portfolio for k, v in res_out.items()}, "secs": secs, "diffs": diffs, "met": met}


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
        a, b = simulate(c, opt, lu).portfolio, simulate(j, ev, lu).portfolio
        rows.append((name, b.cash_rate, b.cash_rate_se, b.roi, b.roi_se, a.cash_rate, a.roi, secs, lu[0]))
    print("\n| double-up, 1 lineup | cash rate (fresh) | ROI (fresh) | cash in sample | ROI in sample | s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, cr, crse, roi, rse, ca, ra, secs, _ in rows:
        print(f"| {name} | {100 * cr:.1f} ± {100 * crse:.1f} % | {100 * roi:+.1f} ± {100 * rse:.1f} % | "
              f"{100 * ca:.1f} % | {100 * ra:+.1f} % | {secs:.1f} |")
    return rows


def slate_task(key: str, *, n_opt: int, n_eval: int, field: int, seed: int, methods: tuple[str, ...],
               contest_overlap: int | None, n_scenario_optimal: int | None) -> tuple[str, dict]:
    """One slate (its setup and every method) as one task: what it printed, and its result.

    Module-level so that a Dask worker runs it (``--dask``); the slate's figures depend only
    on ``key`` and the seeds, so they are the same bytes wherever it runs (build seconds aside).
    """
    import contextlib
    import io

    if n_scenario_optimal is not None:
        import tailrace.optimize.contest_mode as _cm

        _cm.N_SCENARIO_OPTIMAL = n_scenario_optimal
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        t = time.perf_counter()
        st = build_setup(key.strip(), n_opt, n_eval, field, seed)
        print(f"\n(setup of {key}: {time.perf_counter() - t:.0f} s)", flush=True)
        res = run_slate(st, seed, set(methods), contest_overlap)
    return buf.getvalue(), res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2,000 / 8,000 scenarios, 2,000-entry field, 2 slates")
    ap.add_argument("--slates", default=None,
                    help="comma list of kansas,martinsville,talladega,glen,gauss,gamma (default all; --quick: kansas,gauss)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--methods", default="contest,independent", help="tailrace methods (baselines always run)")
    ap.add_argument("--contest-overlap", type=int, default=None, help="max_overlap passed to the contest mode")
    ap.add_argument("--no-cash", action="store_true", help="skip the cash-game row")
    ap.add_argument("--contest-scenario-optimal", type=int, default=None,
                    help="scenario-optimal candidates in the contest mode's pool (default the library's; 0 = none)")
    ap.add_argument("--dask", default=None,
                    help="run the slates as Dask tasks (one per slate): a scheduler address or local[:N] "
                         "(env TAILRACE_DASK_SCHEDULER); same figures, printed slate by slate at the end")
    args = ap.parse_args(argv)
    if args.contest_scenario_optimal is not None:
        import tailrace.optimize.contest_mode as _cm

        _cm.N_SCENARIO_OPTIMAL = args.contest_scenario_optimal
    n_opt, n_eval, field = (2_000, 8_000, 2_000) if args.quick else (10_000, 40_000, 20_000)
    keys = (args.slates or ("kansas,gauss" if args.quick else "kansas,martinsville,talladega,glen,gauss,gamma")).split(",")
    t0 = time.perf_counter()
    results = []
    from tailrace.distributed import open_executor, resolve_address

    if resolve_address(args.dask) is None:
        for key in keys:
            t = time.perf_counter()
            st = build_setup(key.strip(), n_opt, n_eval, field, args.seed)
            print(f"\n(setup of {key}: {time.perf_counter() - t:.0f} s)", flush=True)
            results.append(run_slate(st, args.seed, set(args.methods.split(",")), args.contest_overlap))
    else:
        from functools import partial

        task = partial(slate_task, n_opt=n_opt, n_eval=n_eval, field=field, seed=args.seed,
                       methods=tuple(args.methods.split(",")), contest_overlap=args.contest_overlap,
                       n_scenario_optimal=args.contest_scenario_optimal)
        with open_executor(args.dask) as ex:
            print(f"(slates as Dask tasks on {ex.describe()})", flush=True)
            for text, res in ex.map(task, keys):
                print(text, end="", flush=True)
                results.append(res)
    cash = None if args.no_cash else cash_row(n_opt, n_eval, args.seed)

    names = [CONTEST, INDEP, "randomised mean", f"HVZ greedy (overlap {HVZ_OVERLAP})", "sim-ROI"]
    names = [m for m in names if any(m in r["out"] for r in results)]
    print(f"\n### Summary: out-of-sample ROI % ± SE (in sample in brackets); {N_LINEUPS} lineups, "
          f"{int(100 * MAX_EXPOSURE)} % cap, {field:,}-entry $5 GPP, {n_opt:,} / {n_eval:,} scenarios\n")
    print("| slate | " + " | ".join(names) + " | contest − randomised / − HVZ / − sim-ROI (paired SE) | goal (+10 / +8 / +5) |")
    print("|---|" + "---|" * (len(names) + 2))
    for r in results:
        cells = [f"{100 * r['out'][m].roi:+.1f} ± {100 * r['out'][m].roi_se:.1f} ({100 * r['in'][m].roi:+.1f})"
                 if m in r["out"] else "–" for m in names]
        if r["met"] is None:
            d, g = "–", "–"
        else:
            d = " / ".join(f"{r['diffs'][(CONTEST, b)][0]:+.1f} ± {r['diffs'][(CONTEST, b)][1]:.1f}" for b in GOALS)
            g = "met" if r["met"] else "**not met**"
        print(f"| {r['label']} | " + " | ".join(cells) + f" | {d} | {g} |")
    print("\nbuild seconds: " + "; ".join(
        r["label"].split(" (")[0] + ": " + ", ".join(f"{k} {v:.0f}" for k, v in r["secs"].items()) for r in results))
    if cash:
        print("\n| demo slate, 100-entry $5 double-up, one lineup | cash rate | ROI |")
        print("|---|---:|---:|")
        for name, cr, crse, roi, rse, *_ in cash:
            print(f"| {name} | {100 * cr:.1f} ± {100 * crse:.1f} % | {100 * roi:+.1f} ± {100 * rse:.1f} % |")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
