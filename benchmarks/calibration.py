"""Benchmark: a whole-season end-to-end calibration (36 races x 3 models x 10,000 scenarios).

Goal: <= 120 s on 2 cores. Prints the season time, the time per race, and the ratio against
a baseline measured in the same process: the same loop refitting the track-type parameters
before every race (``params_refit_every=1``), timed on a few races and scaled to the season.

    .venv/bin/python benchmarks/calibration.py [--season 2023] [--scenarios 10000] [--baseline-races 3]
        [--dask local:2 | tcp://HOST:8786]     # races as Dask tasks (same figures; issue 15)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from tailrace.calibration import end_to_end_calibration
from tailrace.sim.history import read_history

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cup_results_2019_2023.csv"


def main() -> None:
    """Time a whole season and the refit-every-race baseline; print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path, default=DATA)
    ap.add_argument("--season", type=int, default=2023)
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--baseline-races", type=int, default=3)
    ap.add_argument("--dask", default=None, help="Dask scheduler address or local[:N] (env TAILRACE_DASK_SCHEDULER)")
    args = ap.parse_args()
    from tailrace.distributed import open_executor

    with open_executor(args.dask) as ex:
        _run(args, ex)


def _run(args, ex) -> None:

    hist = read_history(args.history)
    ids = hist.race_ids([args.season])
    # warm-up: numba kernels load from cache / compile once, outside the timing
    end_to_end_calibration(hist, ids[:1], n_scenarios=200, seed=1, executor=ex)

    t0 = time.perf_counter()
    res = end_to_end_calibration(hist, ids, n_scenarios=args.scenarios, seed=7, executor=ex)
    season_s = time.perf_counter() - t0

    k = max(1, min(args.baseline_races, len(ids)))
    t0 = time.perf_counter()
    end_to_end_calibration(hist, ids[:k], n_scenarios=args.scenarios, seed=7, params_refit_every=1, executor=ex)
    base_s = (time.perf_counter() - t0) / k * len(ids)

    print(f"cpu count            : {os.cpu_count()}")
    print(f"season {args.season}          : {res.races_evaluated} races x 3 models x {args.scenarios} scenarios")
    print(f"whole season         : {season_s:8.1f} s   ({season_s / max(res.races_evaluated, 1):.2f} s/race)"
          f"   goal <= 120 s: {'met' if season_s <= 120 else 'NOT met'}")
    print(f"baseline (refit params every race, {k} races scaled): {base_s:8.1f} s")
    print(f"ratio baseline / default: {base_s / season_s:6.2f}x")


if __name__ == "__main__":
    main()
