"""How far can driver ratings take the CRPS of DK points? A bound from ratings that have seen the race.

Every race of a season is simulated with ``DEFAULT_PARAMS`` from three strength sets and
scored by the CRPS of each driver's DraftKings points against what he scored:

* ``start``: the start-position baseline (``fit_start_only`` on the races before it);
* ``ratings``: tailrace's ratings (``fit_ratings`` on the races before it), the model users run;
* ``ratings incl. the race``: the same ratings fitted on the races up to *and including* the
  race itself, an information set no forecast has. Its gain over ``start`` bounds what a
  better rating fit could reach with these features and this simulator.

    PYTHONPATH=src .venv/bin/python benchmarks/crps_bound.py [--season 2023] [--scenarios 2000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tailrace.calibration import actual_dk_points, crps_samples, simulate_dk
from tailrace.sim.history import History, read_history
from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.strength.ratings import UpcomingRace, fit_ratings, fit_start_only

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cup_results_2019_2023.csv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path, default=DATA)
    ap.add_argument("--season", type=int, default=2023)
    ap.add_argument("--scenarios", type=int, default=2000)
    args = ap.parse_args(argv)
    hist = read_history(args.history)
    crps: dict[str, list[np.ndarray]] = {"start": [], "ratings": [], "ratings incl. the race": []}
    for rid in hist.race_ids([args.season]):
        race = hist.race(*rid)
        before = hist.before(*rid)
        seen = History(source=hist.source, _races=tuple(r for r in hist.races() if r.race_id <= rid))
        up = UpcomingRace.from_result(race)
        y = actual_dk_points(race)
        for name, fit in (("start", fit_start_only(before)), ("ratings", fit_ratings(before)),
                          ("ratings incl. the race", fit_ratings(seen))):
            pts, _ = simulate_dk(fit.strengths(up), race, DEFAULT_PARAMS, args.scenarios,
                                 np.random.default_rng([7, *rid]))
            crps[name].append(crps_samples(pts, y))
    base = float(np.concatenate(crps["start"]).mean())
    print(f"CRPS of DK points, {args.season}, {len(crps['start'])} races, {args.scenarios} scenarios a race")
    for name, parts in crps.items():
        c = float(np.concatenate(parts).mean())
        print(f"  {name:24s} {c:7.3f}   {100 * (1 - c / base):5.1f} % better than start")
    return 0


if __name__ == "__main__":
    sys.exit(main())
