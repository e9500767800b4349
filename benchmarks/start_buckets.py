"""The start-only model by start bucket, simulated against real Cup races.

Every race of the history is simulated from its real field, starts and laps with strengths
from the start position only (``strength_from_start``, the model the odds path falls back
on and that the odds check prices its books from). Per track type and start bucket it prints
the mean finish and DK points (and their laps-led and fastest-lap parts) of the model and of
the real rows, 2019–2023 (the parameters are fitted on 2019–2022).

    PYTHONPATH=src .venv/bin/python benchmarks/start_buckets.py [--scenarios 400] [--params FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from tailrace.sim.history import read_history
from tailrace.sim.params import DEFAULT_PARAMS, TrackTypeParams
from tailrace.sim.race import simulate_race
from tailrace.sim.strength.from_slate import strength_from_start
from tailrace.tracks import TRACK_TYPES
from tailrace.sites import DRAFTKINGS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cup_results_2019_2023.csv"
BUCKETS = ((1, 5), (6, 10), (11, 18), (19, 25), (26, 32), (33, 43))
# columns: real finish, real points, sim finish, sim points, rows, real/sim laps-led points, real/sim FL points
_COLS = 9


def bucket_table(history: Path, params: dict[str, TrackTypeParams], n_scenarios: int) -> dict[str, np.ndarray]:
    """{type: (buckets, 9) sums}; divide by column 4 (rows) for means."""
    acc: dict[str, np.ndarray] = defaultdict(lambda: np.zeros((len(BUCKETS), _COLS)))
    for r in read_history(history).races():
        p = params[r.track_type]
        st = np.asarray(r.start)
        o = simulate_race(strength_from_start(st, p), st, r.race_laps, p, n_scenarios,
                          np.random.default_rng([5, *r.race_id]))
        pts = DRAFTKINGS.score(st[None, :], o.finish.astype(np.int64), o.laps_led, o.fastest_laps, o.laps_completed)
        real_pts = DRAFTKINGS.score(st[None, :], r.finish[None, :].astype(np.int64), r.laps_led[None, :],
                                    r.fastest_laps[None, :], r.laps[None, :])[0]
        for b, (lo, hi) in enumerate(BUCKETS):
            m = (st >= lo) & (st <= hi)
            if m.any():
                acc[r.track_type][b] += [
                    r.finish[m].sum(), real_pts[m].sum(), o.finish[:, m].mean(0).sum(), pts[:, m].mean(0).sum(),
                    m.sum(), DRAFTKINGS.laps_led * r.laps_led[m].sum(),
                    DRAFTKINGS.laps_led * o.laps_led[:, m].mean(0).sum(),
                    DRAFTKINGS.fastest_laps * r.fastest_laps[m].sum(),
                    DRAFTKINGS.fastest_laps * o.fastest_laps[:, m].mean(0).sum()]
    return acc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path, default=DATA)
    ap.add_argument("--scenarios", type=int, default=400)
    ap.add_argument("--params", type=Path, default=None, help="JSON {type: params dict}; default DEFAULT_PARAMS")
    args = ap.parse_args(argv)
    params = DEFAULT_PARAMS
    if args.params:
        params = {k: TrackTypeParams.from_dict(v) for k, v in json.loads(args.params.read_text()).items()}
    acc = bucket_table(args.history, params, args.scenarios)
    for t in TRACK_TYPES:
        print(t)
        for b, (lo, hi) in enumerate(BUCKETS):
            a = acc[t][b] / max(acc[t][b][4], 1)
            print(f"  {lo:2d}-{hi:2d} rows {int(acc[t][b][4]):4d}  finish real {a[0]:5.1f} sim {a[2]:5.1f}"
                  f"  | points real {a[1]:5.1f} sim {a[3]:5.1f} ({a[3] - a[1]:+4.1f})"
                  f"  | laps led real {a[5]:4.1f} sim {a[6]:4.1f}  | fastest laps real {a[7]:4.1f} sim {a[8]:4.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
