"""Single-lineup benchmark: n = 40, S = 10,000, DraftKings rules (6 drivers, $50,000 cap).

Times tailrace's exact search (upper CVaR 1 %, lower CVaR 20 %, blend 0.7 upper CVaR 1 % +
0.3 upper CVaR 5 %) against, in the same run,
* brute force: every feasible lineup evaluated exactly by a numba kernel (2 threads);
  with --sample F it evaluates a random share F of the lineups and extrapolates the time
  (said so in the output);
* the textbook MILPs in PuLP + CBC with a time limit (--milp-limit, default 60 s):
  Rockafellar–Uryasev for lower CVaR, big-M top-k selection for upper CVaR and the blend.
Slate (--slate): the demo slate simulated by tailrace.sim (default, 38 drivers), or the
seeded synthetic 40-driver race of benchmarks/_slate.py. Wall time and process CPU time are
both printed: the machine is shared, so CPU time is the steadier figure.

Run: /tmp/benchvenv/bin/python benchmarks/single_lineup.py [--slate demo|synthetic] [--sample 0.05] [--milp-limit 60]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _slate import load  # noqa: E402

from tailrace.optimize import _kernels  # noqa: E402
from tailrace.optimize.lineup import enumerate_feasible, solve_lineup  # noqa: E402
from tailrace.optimize.objectives import Objective  # noqa: E402
from tailrace.optimize.problem import LineupRules  # noqa: E402
from tailrace.tail import tail_size  # noqa: E402

OBJECTIVES = {
    "upper CVaR 1%": Objective.upper_cvar(0.01),
    "lower CVaR 20%": Objective.lower_cvar(0.2),
    "blend 0.7 uCVaR1%+0.3 uCVaR5%": Objective.blend([(0.7, Objective.upper_cvar(0.01)),
                                                      (0.3, Objective.upper_cvar(0.05))]),
}


def brute_force(points, salaries, rules, objective, sample: float, seed: int = 0):
    """Best value over all (or a sampled share of) feasible lineups; (value, seconds, extrapolated)."""
    t0 = time.perf_counter()
    lineups, _ = enumerate_feasible(rules, salaries, points.shape[1])
    P = np.ascontiguousarray(points.astype(np.float64).T)
    S = points.shape[0]
    leaves = objective.leaves()
    code = {"mean": _kernels.MEAN, "upper_cvar": _kernels.UPPER, "lower_cvar": _kernels.LOWER,
            "target_prob": _kernels.TARGET}
    kinds = np.array([code[o.kind] for _, o in leaves], np.int64)
    k0s = np.array([tail_size(o.level, S)[0] if o.level else 0 for _, o in leaves], np.int64)
    fs = np.array([tail_size(o.level, S)[1] if o.level else 0.0 for _, o in leaves])
    w = np.array([w for w, _ in leaves])
    idx = np.arange(len(lineups), dtype=np.int64)
    if sample < 1.0:
        idx = np.sort(np.random.default_rng(seed).choice(idx, int(sample * len(idx)), replace=False))
    best = -np.inf
    for a in range(0, len(idx), 200_000):
        sub = idx[a : a + 200_000]
        out, _, _ = _kernels.evaluate_batch(P, lineups, sub, kinds, k0s, fs, np.zeros(len(kinds)), w)
        best = max(best, float(out.max()))
    dt = time.perf_counter() - t0
    return best, (dt / sample if sample < 1.0 else dt), sample < 1.0


def milp(points, salaries, rules, objective, limit: float):
    """PuLP + CBC: R–U MILP (lower CVaR) or big-M top-k selection (upper CVaR, blends)."""
    import pulp

    S, n = points.shape
    X = points.astype(np.float64)
    prob = pulp.LpProblem("cvar", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(n)]
    prob += pulp.lpSum(x) == rules.roster_size
    prob += pulp.lpDot(salaries.tolist(), x) <= rules.salary_cap
    score = [pulp.lpDot(X[s].tolist(), x) for s in range(S)]
    terms = []
    big = float(np.sort(X, axis=1)[:, -rules.roster_size:].sum(axis=1).max() - min(0.0, X.min()) * rules.roster_size) + 1
    for li, (wt, o) in enumerate(objective.leaves()):
        k = o.level * S
        if o.kind == "lower_cvar":
            eta = pulp.LpVariable(f"eta{li}")
            u = [pulp.LpVariable(f"u{li}_{s}", lowBound=0) for s in range(S)]
            for s in range(S):
                prob += u[s] >= eta - score[s]
            terms.append(wt * (eta - pulp.lpSum(u) / k))
        else:  # upper CVaR: choose k scenarios (integer k here), y_s <= score_s on chosen ones
            z = [pulp.LpVariable(f"z{li}_{s}", cat="Binary") for s in range(S)]
            y = [pulp.LpVariable(f"y{li}_{s}", lowBound=-big, upBound=big) for s in range(S)]
            prob += pulp.lpSum(z) == round(k)
            for s in range(S):
                prob += y[s] <= score[s] + big * (1 - z[s])
                prob += y[s] <= big * z[s]
            terms.append(wt * pulp.lpSum(y) / k)
    prob += pulp.lpSum(terms)
    t0 = time.perf_counter()
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, threads=2))
    dt = time.perf_counter() - t0
    chosen = [i for i in range(n) if (x[i].value() or 0) > 0.5]
    value = float(objective.evaluate(X[:, chosen].sum(axis=1))) if len(chosen) == rules.roster_size else float("nan")
    return value, dt, pulp.LpStatus[prob.status], pulp.value(prob.objective)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slate", default="demo", choices=["demo", "synthetic"])
    ap.add_argument("--sample", type=float, default=1.0, help="share of lineups brute force evaluates")
    ap.add_argument("--milp-limit", type=float, default=60.0)
    ap.add_argument("--no-milp", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    points, salaries, slate_desc = load(args.slate)
    print(f"slate: {slate_desc}")
    rules = LineupRules(6, 50_000)
    n_feas = len(enumerate_feasible(rules, salaries, points.shape[1])[0])
    print(f"slate: n={points.shape[1]} S={points.shape[0]} feasible lineups={n_feas:,}")
    solve_lineup(points[:2000], salaries, rules, Objective.upper_cvar(0.05))  # numba warm-up (cached)
    for name, obj in OBJECTIVES.items():
        walls, cpus = [], []
        for _ in range(args.reps):
            c0, w0 = time.process_time(), time.perf_counter()
            res = solve_lineup(points, salaries, rules, obj)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        print(f"\n== {name}: tailrace {min(walls):.2f} s wall (best of {args.reps}; median {np.median(walls):.2f}), "
              f"{min(cpus):.2f} s CPU; value {res.value:.4f} bound {res.bound:.4f} gap {res.gap:.2g} "
              f"status {res.status}; exact evaluations {res.n_evaluated:,} ({res.n_evaluated / n_feas:.3%})")
        bv, bt, extrap = brute_force(points, salaries, rules, obj, args.sample)
        tag = f"extrapolated from {args.sample:.0%} sample" if extrap else "all lineups"
        agree = "" if extrap else f"; agrees: {abs(bv - res.value) <= 1e-9 * (1 + abs(bv))}"
        print(f"   brute force (numba, 2 threads, {tag}): {bt:.1f} s, best {bv:.4f}{agree}; "
              f"ratio {bt / min(walls):.0f}x")
        if not args.no_milp:
            mv, mt, st, mobj = milp(points, salaries, rules, obj, args.milp_limit)
            print(f"   PuLP+CBC MILP (limit {args.milp_limit:.0f} s): {mt:.1f} s, status {st}, MILP objective "
                  f"{mobj if mobj is None else round(mobj, 4)}, its lineup's true value {mv:.4f} "
                  f"(optimum {res.value:.4f}); ratio {mt / min(walls):.0f}x")


if __name__ == "__main__":
    main()
