"""How far a contest ROI judged on the optimisation scenarios sits above the ROI on fresh races.

A tail portfolio is chosen for its scenarios' lucky draws, so the contest ROI measured on those
same scenarios (what ``tailrace contest --seed S`` did after ``tailrace optimize --seed S``
before the judge stream, ``tailrace.judging``) is optimistic. This measures by how much, with
the **field held fixed**: one contest (the CLI's: $5, 20,000 entries, default rake, field
sampled with ``default_rng([1, 7])`` as ``contest --seed 1`` samples it, the demo's ownership
model) judges every portfolio on every scenario set, so only the scenarios change.

* Optimisation sets ``A_r``: ``--scenarios`` races of the demo slate, seeds ``r = 1 .. R`` (as
  ``optimize --seed r``); portfolio ``P_r``: the CLI's default spec (upper CVaR 1 %, mode
  independent) with ``--lineups`` lineups, built on ``A_r``.
* Fresh sets ``F_k``: the same count, the judge stream of seeds ``k = 1 .. K`` (what
  ``contest --seed k`` now simulates).
* Per portfolio: in-sample ROI ``ROI(P_r, A_r)``, fresh ROI ``mean_k ROI(P_r, F_k)`` with SE
  ``sd_k / sqrt(K)``, and the difference; over portfolios, the mean difference with SE
  ``sd_r(difference) / sqrt(R)`` (each in-sample ROI is one draw, so the replicates carry its noise).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/in_sample_bias.py [--lineups 20] [--opt-seeds 4]
[--fresh 8] [--scenarios 10000] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from tailrace.cli.runners.optimize import _spec_from
from tailrace.contest import run_contest
from tailrace.contest_options import CONTEST_DEFAULTS
from tailrace.judging import judge_seed
from tailrace.pipeline import contest_from_options, run_optimize, simulate_scenarios
from tailrace.slate import demo_slate


def _roi(contest, points: np.ndarray, lineups: np.ndarray) -> float:
    return float(run_contest(contest, points, lineups).portfolio.roi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lineups", type=int, default=20)
    ap.add_argument("--opt-seeds", type=int, default=4)
    ap.add_argument("--fresh", type=int, default=8)
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    slate = demo_slate()
    spec = _spec_from(None, objective=None, alpha=None, beta=None, target=None, blend=None, lineups=a.lineups,
                      mode=None, max_exposure=None, max_overlap=None, min_salary=None, lock=None, exclude=None)
    fresh = [simulate_scenarios(slate, a.scenarios, judge_seed(k)).points for k in range(1, a.fresh + 1)]
    print(f"{a.fresh} fresh sets simulated ({time.perf_counter() - t0:.0f} s)", flush=True)
    contest = None
    rows = []
    for r in range(1, a.opt_seeds + 1):
        sc = simulate_scenarios(slate, a.scenarios, r)
        opt = sc.points
        if contest is None:  # one field for everything: contest --seed 1's
            contest = contest_from_options(slate, opt, CONTEST_DEFAULTS.with_given(entry_fee=5.0, field_size=20_000),
                                           seed=np.random.default_rng([1, 7]))
        run = run_optimize(slate, sc, spec, explain=False, timings=False,
                           share_figures=False)
        lu = np.asarray([sorted(x) for x in run.lineups], dtype=np.int64)
        ins = _roi(contest, opt, lu)
        outs = [_roi(contest, f, lu) for f in fresh]
        m, se = float(np.mean(outs)), float(np.std(outs, ddof=1) / math.sqrt(len(outs)))
        rows.append({"opt_seed": r, "in_sample_roi": ins, "fresh_rois": outs, "fresh_mean": m, "fresh_se": se,
                     "difference": ins - m})
        print(f"seed {r}: in-sample ROI {100 * ins:+.1f} %, fresh {100 * m:+.1f} % ± {100 * se:.1f} "
              f"(K={len(outs)}: {', '.join(f'{100 * x:+.1f}' for x in outs)}), difference {100 * (ins - m):+.1f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    d = np.array([x["difference"] for x in rows])
    summary = {"lineups": a.lineups, "scenarios": a.scenarios, "opt_seeds": a.opt_seeds, "fresh_sets": a.fresh,
               "mean_difference": float(d.mean()),
               "se_difference": float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else None,
               "mean_in_sample": float(np.mean([x["in_sample_roi"] for x in rows])),
               "mean_fresh": float(np.mean([x["fresh_mean"] for x in rows])), "rows": rows,
               "seconds": time.perf_counter() - t0}
    se = summary["se_difference"]
    print(f"{a.lineups} lineups: in-sample ROI {100 * summary['mean_in_sample']:+.1f} %, fresh "
          f"{100 * summary['mean_fresh']:+.1f} %, difference {100 * d.mean():+.1f} points"
          + (f" ± {100 * se:.1f} (SE over {d.size} optimisation sets)" if se is not None else ""))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(summary, fh, indent=2)


if __name__ == "__main__":
    main()
