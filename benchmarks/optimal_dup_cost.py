"""What optimal %, expected duplicates and the sharing cost add to a contest-mode run, in CPU seconds.

One ``run_optimize`` in mode contest on the bundled demo slate (38 drivers, Kansas): ``--n-scenarios``
races (default 10,000, seed 11), a ``--field-size`` (default 20,000) $5 GPP with parametric payouts
(``contest_from_options``, seed 11), 150 lineups; then, on the same inputs, each added part again
on its own: optimal % (``pipeline._optimal_figures``: one exact search per scenario and the
lineups' near-optimal counts), the duplicates sample (``duplicate_sample``: the contest's field
plus 100,000 entries from its model, calibration included), the ``max_duplicates`` admission
rule, and the expected duplicates with the sharing cost (``pipeline._duplicate_figures``).
CPU time is ``time.process_time()`` (every numba thread counted), so the machine's load
matters little; a warm-up run first (numba compiled or loaded from its cache).

Printed: the whole run's CPU and wall seconds, each part's CPU seconds and its share of the run.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/optimal_dup_cost.py [--n-scenarios 10000] [--field-size 20000]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from tailrace.optimize.constraints import ConstraintSpec
from tailrace.optimize.contest.duplicates import admission, duplicate_sample
from tailrace.pipeline import (_duplicate_figures, _optimal_figures, contest_from_options, run_optimize,
                               simulate_scenarios)
from tailrace.slate import demo_slate

N_LINEUPS = 150
SEED = 11


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-scenarios", type=int, default=10_000)
    ap.add_argument("--field-size", type=int, default=20_000)
    a = ap.parse_args()
    slate = demo_slate()
    scen = simulate_scenarios(slate, a.n_scenarios, SEED)
    spec = ConstraintSpec.from_data({"n_lineups": N_LINEUPS, "mode": "contest", "global_max_exposure": 0.4})
    small = simulate_scenarios(slate, 500, SEED)
    run_optimize(slate, small, spec.with_overrides(n_lineups=5), explain=False, timings=False,
                 contest=contest_from_options(slate, small.points, field_size=500, seed=SEED))  # warm-up
    contest = contest_from_options(slate, scen.points, field_size=a.field_size, seed=SEED)
    c0, w0 = time.process_time(), time.perf_counter()
    run = run_optimize(slate, scen, spec, explain=False, timings=False, contest=contest)
    whole_cpu, whole_wall = time.process_time() - c0, time.perf_counter() - w0
    lus = run.lineups
    p, sal, rules = scen.points, slate.salaries(), spec.resolve(slate).rules
    parts: dict[str, float] = {}
    t = time.process_time()
    _optimal_figures(slate, p, rules, lus, contest)
    parts["optimal % (drivers and lineups)"] = time.process_time() - t
    t = time.process_time()
    d = duplicate_sample(contest, sal, rules, p.mean(axis=0, dtype=np.float64), 0, N_LINEUPS)
    parts["duplicates sample (100,000 more entries)"] = time.process_time() - t
    t = time.process_time()
    admission(d, 1.0)(np.asarray(lus))
    parts["max_duplicates admission rule"] = time.process_time() - t
    t = time.process_time()
    rows, _ = _duplicate_figures(p, lus, contest, d, None)
    parts["expected duplicates + sharing cost"] = time.process_time() - t
    print(f"demo slate, {a.n_scenarios:,} scenarios, {a.field_size:,}-entry GPP, {N_LINEUPS} lineups; "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"whole contest-mode run_optimize: {whole_cpu:.2f} CPU s ({whole_wall:.2f} wall s)")
    for k, v in parts.items():
        print(f"  {k}: {v:.2f} CPU s ({100 * v / whole_cpu:.1f} % of the run)")
    tot = sum(parts.values())
    print(f"  all added parts: {tot:.2f} CPU s ({100 * tot / whole_cpu:.1f} % of the run)")
    e = np.array([r["expected_duplicates"] for r in rows])
    print(f"portfolio: expected duplicates mean {e.mean():.3f}, max {e.max():.3f}; lineups with none {int((e == 0).sum())}")


if __name__ == "__main__":
    main()
