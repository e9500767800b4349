"""Contest simulation speed and memory: 150 lineups vs a 100,000-entry field x 10,000 scenarios.

Baseline (same process, same inputs): a plain numpy ranking that scores every field entry,
sorts all entries per scenario and looks ours up with searchsorted (the obvious way), timed on
a slice of scenarios and scaled per scenario. Both give the same payouts (checked on the slice).

Kernel (demo slate, site points on the 0.05 grid): 150 lineups vs a 20,000-entry field
(~15k distinct lineups) x 10,000 scenarios, ``standings_kernel`` (integer grid path) against
``standings_exact`` (the 1e-4 binary-search path, the kernel before issue 10) in the same
process on the same inputs, wall and process CPU time; outputs checked identical.

Run: ``.venv/bin/python benchmarks/contest_sim.py [--quick]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from tailrace.contest import make_contest, simulate_contest, split_payout
from tailrace.contest.simulate import grid_points, standings_exact, standings_kernel


def numpy_baseline(points: np.ndarray, ours: np.ndarray, field_lu: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Payout per (scenario, our lineup) by sorting every entry's score per scenario."""
    keys_f = np.round(points[:, field_lu].astype(np.float64).sum(axis=2) * 1e4).astype(np.int64)  # (S, N)
    keys_o = np.round(points[:, ours].astype(np.float64).sum(axis=2) * 1e4).astype(np.int64)  # (S, m)
    allk = np.sort(np.concatenate([keys_f, keys_o], axis=1), axis=1)
    out = np.empty(keys_o.shape)
    tot = allk.shape[1]
    for s in range(points.shape[0]):
        lo = np.searchsorted(allk[s], keys_o[s], "left")
        hi = np.searchsorted(allk[s], keys_o[s], "right")
        out[s] = split_payout(cum, tot - hi, hi - lo)
    return out


def _timed(f, *a):
    t0, c0 = time.perf_counter(), time.process_time()
    out = f(*a)
    return out, time.perf_counter() - t0, time.process_time() - c0


def kernel_figures(S: int, m: int = 150, field_size: int = 20_000) -> None:
    """Grid kernel vs the exact path on the demo slate, same process, same inputs."""
    from tailrace.pipeline import contest_from_options
    from tailrace.sim.simulate import simulate
    from tailrace.slate import demo_slate

    slate = demo_slate()
    pts = np.ascontiguousarray(simulate(slate, S, 7).points, dtype=np.float32)
    contest = contest_from_options(slate, pts, entry_fee=5.0, field_size=field_size, seed=1)
    fu, fc = contest.opponents(m).unique()
    fu = np.ascontiguousarray(fu, dtype=np.int32)
    ours = np.ascontiguousarray(np.sort(contest.field.lineups[-m:], axis=1), dtype=np.int32)
    assert grid_points(pts, ours.shape[1]) is not None
    for f in (standings_kernel, standings_exact):  # compile / warm up
        f(pts[:20], ours, fu, fc, True)
    new, w_new, c_new = _timed(standings_kernel, pts, ours, fu, fc, True)
    old, w_old, c_old = _timed(standings_exact, pts, ours, fu, fc, True)
    assert all(np.array_equal(a, b) for a, b in zip(new, old))
    res, w_sim, c_sim = _timed(simulate_contest, pts, ours, contest.opponents(m), contest.payouts, 5.0)
    print(f"demo slate kernel: {m} lineups vs {fc.sum():,} entries ({fu.shape[0]:,} distinct) x {S:,} scenarios")
    print(f"  standings_kernel (grid path):  wall {w_new:.2f} s, CPU {c_new:.2f} s")
    print(f"  standings_exact (old path):    wall {w_old:.2f} s, CPU {c_old:.2f} s  (identical outputs)")
    print(f"  ratio old / new: wall {w_old / w_new:.1f}x, CPU {c_old / c_new:.1f}x")
    print(f"  simulate_contest, whole:       wall {w_sim:.2f} s, CPU {c_sim:.2f} s "
          f"(ROI {100 * res.portfolio.roi:+.1f} %)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    kernel_figures(1_000 if args.quick else 10_000)
    S, N, n, m = (1_000, 20_000, 40, 150) if args.quick else (10_000, 100_000, 40, 150)
    rng = np.random.default_rng(0)
    sal = rng.integers(45, 110, n) * 100
    proj = sal / 1000 * 4.5 + rng.normal(0, 4, n)
    contest = make_contest(sal, 6, 50_000, entry_fee=20.0, field_size=N, projections=proj, rng=1)
    pts = (rng.gamma(2.0, 1.0, (S, n)) * proj / 2).astype(np.float32)
    ours = contest.field.lineups[:m].astype(np.int64)
    opp = contest.opponents(m)
    u, _ = opp.unique()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    simulate_contest(pts[:50], ours, opp, contest.payouts, 20.0)  # compile / warm up
    t0 = time.perf_counter()
    res = simulate_contest(pts, ours, opp, contest.payouts, 20.0)
    t_fast = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    k = 50
    t0 = time.perf_counter()
    base = numpy_baseline(pts[:k], ours, opp.lineups, contest.payouts.cumulative())
    t_base = (time.perf_counter() - t0) / k * S
    check = simulate_contest(pts[:k], ours, opp, contest.payouts, 20.0)
    assert np.allclose(check.profit, base.sum(axis=1) - 20.0 * m)
    print(f"{m} lineups vs {opp.n_entries:,} opponents ({u.shape[0]:,} distinct lineups) x {S:,} scenarios")
    print(f"tailrace simulate_contest (off-grid points, exact path): {t_fast:.1f} s; peak RSS of the whole process {rss1 / 1024:.0f} MB "
          f"(before the simulation {rss0 / 1024:.0f} MB; points {pts.nbytes / 2**20:.0f} MB)")
    print(f"numpy sort-all baseline:   {t_base:.1f} s (scaled from {k} scenarios); ratio {t_base / t_fast:.1f}x")
    print(f"portfolio ROI {100 * res.portfolio.roi:+.1f} % ± {100 * res.portfolio.roi_se:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
