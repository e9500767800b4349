"""Decision quality: which portfolio makes money in a simulated GPP, judged on fresh scenarios.

For each slate (the bundled demo slate at Kansas, and the same drivers re-run at a
superspeedway and a short track — same drivers, track changed), 150-lineup portfolios with a
40 % exposure cap on every driver are built on one scenario set (10,000 races, seed A) by

* tailrace ``independent`` upper CVaR 1 %, ``marginal`` (portfolio upper CVaR 1 %), ``contest``
  (greedy marginal contest EV, top prizes capped at the 8th inside the selection);
* baselines re-implemented here: the "randomised optimiser" (max of mean projection times
  (1 + 15 % Gaussian noise) per lineup) and Hunter-Vielma-Zaman-style greedy (max mean
  subject to sharing at most 3 drivers with every earlier lineup);

and judged in a 20,000-entry $5 tournament (parametric DraftKings-like payouts, field sampled
from ownership) on fresh scenarios (40,000 races, another seed) against a freshly sampled field
(same ownership, another seed). In-sample figures use the optimisation scenarios and field. Printed: ROI in sample and out
of sample with standard errors, and each tailrace mode minus each baseline with the paired
standard error (same fresh scenarios, same field). Nothing is tuned on the fresh scenarios.

Run: ``.venv/bin/python benchmarks/decision_quality.py [--quick]``
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from tailrace.optimize.run import contest_from_options
from tailrace.contest import simulate
from tailrace.optimize.contest_mode import candidate_pool, generate_contest_portfolio
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.objectives import Objective
from tailrace.optimize.portfolio import generate_portfolio
from tailrace.optimize.problem import LineupRules
from tailrace.sim.simulate import simulate as simulate_races
from tailrace.slate import demo_slate

N_LINEUPS = 150
MAX_EXPOSURE = 0.40
HVZ_OVERLAP = 3
NOISE = 0.15


def _bits(lu: np.ndarray) -> np.ndarray:
    return np.bitwise_or.reduce(np.left_shift(np.uint64(1), lu.astype(np.uint64)), axis=1)


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x) if hasattr(np, "bitwise_count") else np.array([bin(int(v)).count("1") for v in x])


def greedy_linear(values_fn, lineups: np.ndarray, n: int, *, max_overlap: int | None) -> np.ndarray:
    """Lineups one at a time, each the best by ``values_fn(step)`` among those still allowed
    (distinct, every driver under the exposure cap, overlap limit with all earlier lineups)."""
    cap = math.floor(MAX_EXPOSURE * N_LINEUPS + 1e-9)
    masks = _bits(lineups)
    allowed = np.ones(lineups.shape[0], dtype=bool)
    counts = np.zeros(n, dtype=np.int64)
    out = []
    for step in range(N_LINEUPS):
        v = np.where(allowed, values_fn(step), -np.inf)
        j = int(np.argmax(v))
        if not np.isfinite(v[j]):
            raise RuntimeError(f"baseline ran out of lineups at {step}")
        out.append(lineups[j])
        allowed[j] = False
        counts[lineups[j]] += 1
        for d in np.nonzero(counts >= cap)[0]:
            allowed &= (masks & np.uint64(1 << int(d))) == 0
        if max_overlap is not None:
            allowed &= _popcount(masks & masks[j]) <= max_overlap
    return np.array(out, dtype=np.int64)


def randomised_mean(points: np.ndarray, lineups: np.ndarray, seed: int) -> np.ndarray:
    """The common 'randomised optimiser': each lineup maximises mean x (1 + noise), fresh noise each time."""
    mu = points.mean(axis=0, dtype=np.float64)
    rng = np.random.default_rng(seed)

    def values(step: int) -> np.ndarray:
        noisy = mu * (1.0 + NOISE * rng.standard_normal(mu.shape[0]))
        return noisy[lineups].sum(axis=1)

    return greedy_linear(values, lineups, points.shape[1], max_overlap=None)


def hvz_greedy(points: np.ndarray, lineups: np.ndarray) -> np.ndarray:
    """Hunter-Vielma-Zaman-style: max mean subject to an overlap cap with every earlier lineup."""
    v = points.mean(axis=0, dtype=np.float64)[lineups].sum(axis=1)
    return greedy_linear(lambda step: v, lineups, points.shape[1], max_overlap=HVZ_OVERLAP)


def run_slate(track: str | None, label: str, n_opt: int, n_eval: int, field_size: int, seed: int,
              methods: set[str]) -> dict:
    slate = demo_slate(track=track)
    sal = slate.salaries()
    n = slate.n
    rules = LineupRules(roster_size=6, salary_cap=50_000)
    t0 = time.perf_counter()
    opt = simulate_races(slate, n_opt, seed, track=track).points
    ev = simulate_races(slate, n_eval, seed + 1_000, track=track).points
    contest = contest_from_options(slate, None, entry_fee=5.0, field_size=field_size, rake=0.13, seed=seed + 7)
    # judged against a freshly sampled field (same ownership, another seed): the optimiser
    # knows the ownership, not the opponents' actual lineups
    judge = contest_from_options(slate, None, entry_fee=5.0, field_size=field_size, rake=0.13, seed=seed + 8)
    print(f"\n## {label}: {n} drivers, {n_opt:,} optimisation / {n_eval:,} fresh scenarios, "
          f"{field_size:,}-entry $5 GPP ({contest.payouts.n_paid:,} paid, 1st ${contest.payouts.prizes[0]:,.0f}); "
          f"setup {time.perf_counter() - t0:.0f} s", flush=True)
    lu_all, _ = enumerate_feasible(rules, sal, n)
    lu_all = lu_all.astype(np.int64)
    ports: dict[str, np.ndarray] = {}
    secs: dict[str, float] = {}

    def timed(name: str, fn) -> None:
        t = time.perf_counter()
        ports[name] = np.sort(np.asarray(fn()), axis=1)
        secs[name] = time.perf_counter() - t
        print(f"  built {name:<22} in {secs[name]:6.1f} s", flush=True)

    obj = Objective.upper_cvar(0.01)
    if "independent" in methods:
        timed("independent uCVaR1%", lambda: [r.lineup for r in generate_portfolio(
            opt, sal, rules, obj, N_LINEUPS, mode="independent", global_max_exposure=MAX_EXPOSURE).lineups])
    if "marginal" in methods:
        timed("marginal uCVaR1%", lambda: [r.lineup for r in generate_portfolio(
            opt, sal, rules, obj, N_LINEUPS, mode="marginal", global_max_exposure=MAX_EXPOSURE).lineups])
    t = time.perf_counter()
    cands = candidate_pool(opt, sal, rules)
    print(f"  candidate pool: {cands.shape[0]:,} lineups in {time.perf_counter() - t:.1f} s", flush=True)
    if "contest" in methods:
        timed("contest (cap 8th)", lambda: generate_contest_portfolio(
            opt, sal, rules, N_LINEUPS, contest, max_exposure=MAX_EXPOSURE, cap_place=8, candidates=cands).lineups)
    if "nocap" in methods:
        timed("contest (no cap)", lambda: generate_contest_portfolio(
            opt, sal, rules, N_LINEUPS, contest, max_exposure=MAX_EXPOSURE, cap_place=1, candidates=cands).lineups)
    timed("randomised mean", lambda: randomised_mean(opt, lu_all, seed + 3))
    timed(f"HVZ greedy (overlap {HVZ_OVERLAP})", lambda: hvz_greedy(opt, lu_all))

    res_in, res_out = {}, {}
    for name, lu in ports.items():
        assert lu.shape == (N_LINEUPS, 6)
        assert len({tuple(x) for x in lu}) == N_LINEUPS
        assert np.bincount(lu.ravel(), minlength=n).max() <= math.floor(MAX_EXPOSURE * N_LINEUPS + 1e-9)
        assert (sal[lu].sum(axis=1) <= 50_000).all()
        res_in[name] = simulate(contest, opt, lu)
        res_out[name] = simulate(judge, ev, lu)
    cost = 5.0 * N_LINEUPS
    print(f"\n| {label} | ROI in sample | ROI out of sample | cash | top 1 % | build s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ports:
        a, b = res_in[name].portfolio, res_out[name].portfolio
        print(f"| {name} | {100 * a.roi:+.1f} % | {100 * b.roi:+.1f} ± {100 * b.roi_se:.1f} % | "
              f"{100 * b.cash_rate:.1f} % | {100 * b.top1_rate:.2f} % | {secs[name]:.0f} |")
    ours = [o for o in ("independent uCVaR1%", "marginal uCVaR1%", "contest (cap 8th)", "contest (no cap)") if o in ports]
    bases = ["randomised mean", f"HVZ greedy (overlap {HVZ_OVERLAP})"]
    print(f"\n| {label}: out of sample, difference in ROI points (paired SE) | " + " | ".join(bases) + " |")
    print("|---|" + "---:|" * len(bases))
    diffs = {}
    for o in ours:
        cells = []
        for bname in bases:
            d = (res_out[o].profit - res_out[bname].profit) / cost
            m, se = 100 * d.mean(), 100 * d.std(ddof=1) / math.sqrt(d.shape[0])
            diffs[(o, bname)] = (m, se)
            ratio = (1 + res_out[o].portfolio.roi) / (1 + res_out[bname].portfolio.roi)
            cells.append(f"{m:+.1f} ± {se:.1f} (return ×{ratio:.2f})")
        print(f"| {o} | " + " | ".join(cells) + " |")
    best = max([o for o in ours if o != "contest (no cap)"], key=lambda o: res_out[o].portfolio.roi)
    g1 = diffs[(best, bases[0])][0] >= 10
    g2 = diffs[(best, bases[1])][0] >= 8
    print(f"\nbest tailrace mode out of sample: {best}; goal (>= +10 vs randomised, >= +8 vs HVZ): "
          f"{'met' if g1 and g2 else 'NOT met'} ({diffs[(best, bases[0])][0]:+.1f}, {diffs[(best, bases[1])][0]:+.1f})",
          flush=True)
    return {"label": label, "best": best, "diffs": diffs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    ap.add_argument("--slates", default="kansas,talladega,martinsville")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--methods", default="independent,marginal,contest,nocap",
                    help="tailrace modes to run (baselines always run)")
    args = ap.parse_args(argv)
    n_opt, n_eval, field = (2_000, 4_000, 5_000) if args.quick else (10_000, 40_000, 20_000)
    tracks = {"kansas": (None, "Kansas (intermediate, demo)"),
              "talladega": ("Talladega", "Talladega (superspeedway, demo drivers)"),
              "martinsville": ("Martinsville", "Martinsville (short track, demo drivers)")}
    t0 = time.perf_counter()
    for key in args.slates.split(","):
        track, label = tracks[key]
        run_slate(track, label, n_opt, n_eval, field, args.seed, set(args.methods.split(",")))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
