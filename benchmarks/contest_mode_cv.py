"""Contest mode, old vs new: the structural pool and the cross-validated cap, judged out of sample.

On the bundled demo slate (38 drivers at Kansas), 150 lineups with a 40 % exposure cap on
every driver are built on one scenario set (10,000 races, seed A) for a 20,000-entry $5 GPP
(parametric payouts, field sampled from ownership) by

* **old**: the per-driver theme pool (``candidate_pool``), the top prizes capped at the 8th
  inside the selection, the strict (non-lazy) greedy, refills from the theme pool;
* **new**: ``generate_contest_portfolio`` defaults — the structural pool, the lazy exact
  greedy, the cap chosen by 2-fold cross-validation over the optimisation scenarios only
  (with a separately seeded field);

and both are judged on fresh scenarios (40,000 races, another seed) against a freshly
sampled field (same ownership, another seed) with ``tailrace.contest.run_contest``. Printed:
out-of-sample ROI of each with its SE, the paired difference with its SE (same scenarios,
same field), in-sample ROI, the CV table and build times. Nothing is tuned on the fresh
scenarios.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/contest_mode_cv.py [--quick] [--seed N]``
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time


from tailrace.contest import run_contest
from tailrace.optimize.contest_mode import candidate_pool, generate_contest_portfolio
from tailrace.optimize.problem import LineupRules
from tailrace.pipeline import contest_from_options
from tailrace.sim.simulate import simulate as simulate_races
from tailrace.slate import demo_slate

N_LINEUPS = 150
MAX_EXPOSURE = 0.40


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2,000 optimisation / 8,000 fresh scenarios")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--n-opt", type=int, default=None)
    ap.add_argument("--n-eval", type=int, default=None)
    args = ap.parse_args(argv)
    n_opt = args.n_opt or (2_000 if args.quick else 10_000)
    n_eval = args.n_eval or (8_000 if args.quick else 40_000)
    seed = args.seed
    slate = demo_slate()
    sal = slate.salaries()
    rules = LineupRules(roster_size=slate.site.roster_size, salary_cap=slate.site.salary_cap)
    t0 = time.perf_counter()
    opt = simulate_races(slate, n_opt, seed).points
    ev = simulate_races(slate, n_eval, seed + 1_000).points
    contest = contest_from_options(slate, opt, entry_fee=5.0, field_size=20_000, seed=seed + 7)
    judge = contest_from_options(slate, opt, entry_fee=5.0, field_size=20_000, seed=seed + 8)
    print(f"demo slate: {slate.n} drivers, {n_opt:,} optimisation / {n_eval:,} fresh scenarios, 20,000-entry $5 GPP "
          f"({contest.payouts.n_paid:,} paid, 1st ${contest.payouts.prizes[0]:,.0f}); setup "
          f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)

    t = time.perf_counter()
    cands = candidate_pool(opt, sal, rules)
    old = generate_contest_portfolio(opt, sal, rules, N_LINEUPS, contest, max_exposure=MAX_EXPOSURE, cap_place=8,
                                     candidates=cands, lazy=False)
    t_old = time.perf_counter() - t
    print(f"  old: {old.n_candidates:,} candidates ({cands.shape[0]:,} before refills), cap 8, built in {t_old:.1f} s",
          flush=True)
    t = time.perf_counter()
    new = generate_contest_portfolio(opt, sal, rules, N_LINEUPS, contest, max_exposure=MAX_EXPOSURE, seed=seed)
    t_new = time.perf_counter() - t
    tm = ", ".join(f"{k} {v:.1f}" for k, v in (new.timings or {}).items())
    print(f"  new: {new.n_candidates:,} candidates, cap {new.cap_place} (cross-validated), built in {t_new:.1f} s "
          f"[{tm}]", flush=True)
    print("  CV (mean held-out true-table ROI per cap, 1 = uncapped; the two folds): " + "; ".join(
        f"{c}: {100 * v:+.1f} % ({', '.join(f'{100 * x:+.1f}' for x in new.cv_folds[c])})"
        for c, v in new.cv_scores.items()), flush=True)

    res = {}
    for name, port in (("old", old), ("new", new)):
        r_in = run_contest(contest, opt, port.lineups)
        r_out = run_contest(judge, ev, port.lineups)
        res[name] = r_out
        print(f"  {name}: ROI out of sample {100 * r_out.portfolio.roi:+.1f} ± {100 * r_out.portfolio.roi_se:.1f} %"
              f" (in sample {100 * r_in.portfolio.roi:+.1f} %), max exposure {port.exposures.max():.0%}", flush=True)
    cost = 5.0 * N_LINEUPS
    d = (res["new"].profit - res["old"].profit) / cost
    se = d.std(ddof=1) / math.sqrt(d.shape[0])
    print(f"  new − old: {100 * d.mean():+.1f} ± {100 * se:.1f} ROI points (paired SE); "
          f"build {t_new:.1f} s vs {t_old:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
