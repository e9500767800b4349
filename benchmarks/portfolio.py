"""Portfolio benchmark: 150 lineups, upper CVaR 1 %, max exposure 40 %, max overlap 3.

Against pydfs-lineup-optimizer building 150 mean-projection lineups on the same slate with
the same exposure and overlap limits (its default PuLP/CBC solver), timed in the same run.
Slate (--slate): the demo slate simulated by tailrace.sim (default; 38 drivers, S = 10,000), or
the seeded synthetic 40-driver race of benchmarks/_slate.py.

Marginal mode (each lineup maximises its gain in the portfolio measure, the upper CVaR 1 % of
the best lineup score per scenario) is timed in the same run and its portfolio measure printed
against independent mode's.

Run: /tmp/benchvenv/bin/python benchmarks/portfolio.py [--slate demo|synthetic] [--lineups 150] [--mode independent|marginal|both]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _slate import load  # noqa: E402

from tailrace.optimize.objectives import Objective  # noqa: E402
from tailrace.optimize.portfolio import generate_portfolio, portfolio_measure  # noqa: E402
from tailrace.optimize.problem import LineupRules  # noqa: E402


def pydfs_portfolio(points: np.ndarray, salaries: np.ndarray, n_lineups: int, max_exposure: float, max_overlap: int):
    """150 mean lineups from pydfs-lineup-optimizer (DraftKings NASCAR); (lineups, seconds)."""
    from pydfs_lineup_optimizer import Site, Sport, get_optimizer
    from pydfs_lineup_optimizer.player import Player

    opt = get_optimizer(Site.DRAFTKINGS, Sport.NASCAR)
    means = points.astype(np.float64).mean(axis=0)
    players = [Player(str(i), f"D{i}", f"{i}", ["D"], "NASCAR", int(salaries[i]), float(means[i]))
               for i in range(points.shape[1])]
    opt.player_pool.load_players(players)
    opt.set_max_repeating_players(max_overlap)
    t0 = time.perf_counter()
    out = []
    for lu in opt.optimize(n_lineups, max_exposure=max_exposure):
        out.append(tuple(sorted(int(p.id) for p in lu.players)))
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slate", default="demo", choices=["demo", "synthetic"])
    ap.add_argument("--lineups", type=int, default=150)
    ap.add_argument("--mode", default="both", choices=["independent", "marginal", "both"])
    ap.add_argument("--skip-pydfs", action="store_true")
    args = ap.parse_args()
    points, salaries, slate_desc = load(args.slate)
    print(f"slate: {slate_desc}")
    rules = LineupRules(6, 50_000)
    obj = Objective.upper_cvar(0.01)
    generate_portfolio(points[:2000], salaries, rules, obj, 3, max_overlap=3)  # numba warm-up (cached)
    modes = ["independent", "marginal"] if args.mode == "both" else [args.mode]
    runs = {}
    for mode in modes:
        c0, w0 = time.process_time(), time.perf_counter()
        pf = generate_portfolio(points, salaries, rules, obj, args.lineups, mode=mode,
                                global_max_exposure=0.4, max_overlap=3)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        runs[mode] = (pf, wall)
        vals = [r.value for r in pf.lineups]
        print(f"tailrace {mode}: {len(pf.lineups)} lineups in {wall:.1f} s wall, {cpu:.1f} s CPU; "
              f"all proven optimal: {all(r.optimal for r in pf.lineups)}; exact evaluations "
              f"{sum(r.n_evaluated for r in pf.lineups):,}; upper CVaR 1% first {vals[0]:.1f} last {vals[-1]:.1f}; "
              f"max exposure {pf.exposures.max():.2f}; portfolio measure {pf.portfolio_value:.2f}")
    if len(runs) == 2:
        (pi, ti), (pm, tm) = runs["independent"], runs["marginal"]
        print(f"marginal vs independent: portfolio measure {pm.portfolio_value:.2f} vs {pi.portfolio_value:.2f} "
              f"(+{pm.portfolio_value - pi.portfolio_value:.2f}); wall time ratio marginal / independent "
              f"{tm / ti:.2f}x")
    pf, wall = runs[modes[0]]
    vals = [r.value for r in pf.lineups]
    if args.skip_pydfs:
        return
    lus, t = pydfs_portfolio(points, salaries, args.lineups, 0.4, 3)
    pv = portfolio_measure(points, lus, obj)
    mean_uc = np.mean([float(obj.evaluate(points[:, list(lu)].astype(np.float64).sum(axis=1))) for lu in lus])
    print(f"pydfs-lineup-optimizer (mean projections, CBC): {len(lus)} lineups in {t:.1f} s; mean upper CVaR 1% "
          f"{mean_uc:.1f} (tailrace {np.mean(vals):.1f}); portfolio measure {pv:.2f}")
    print(f"ratio pydfs / tailrace wall time: {t / wall:.1f}x")


if __name__ == "__main__":
    main()
