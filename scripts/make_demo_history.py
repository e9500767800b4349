"""Write the bundled demo history: one made-up season for the demo slate's made-up drivers.

    python scripts/make_demo_history.py   # writes src/tailrace/data/demo/history.csv

The real results in ``shared/data`` may not be shipped, so the demo's history is invented:
36 races on the real schedule's tracks, each one race drawn from tailrace's own race model
with the demo drivers' projection-fitted strengths plus a slowly drifting form (a random walk,
sd 0.08 per race) and a per-race wobble (sd 0.25); starts are the strength order plus noise.
Deterministic (seed 2025): rerunning rewrites the same bytes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.race import simulate_race
from tailrace.sim.strength.from_slate import resolve_strengths
from tailrace.tracks import resolve_track
from tailrace.sites import get_site
from tailrace.slate import read_slate

DEMO = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "data" / "demo"
SCHEDULE = ("Daytona", "Fontana", "Las Vegas", "Phoenix", "Atlanta", "COTA", "Richmond", "Martinsville",
            "Texas", "Talladega", "Dover", "Kansas", "Darlington", "Charlotte", "Gateway", "Sonoma",
            "Nashville", "Chicago", "Atlanta", "New Hampshire", "Pocono", "Indianapolis", "Richmond",
            "Michigan", "Watkins Glen", "Daytona", "Darlington", "Kansas", "Bristol", "Texas",
            "Talladega", "Charlotte Roval", "Las Vegas", "Homestead", "Martinsville", "Phoenix")


def main() -> None:
    slate = read_slate(get_site("dk"), DEMO / "dk_salaries.csv", DEMO / "projections.csv", track="Kansas")
    kansas = resolve_track("Kansas")
    base, _, _ = resolve_strengths(slate, kansas, DEFAULT_PARAMS[kansas.track_type], seed=0)
    rng = np.random.default_rng(2025)
    kansas_noise = DEFAULT_PARAMS[kansas.track_type].noise
    n = slate.n
    form = np.zeros(n)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["season", "race_num", "track", "driver", "start", "finish", "laps", "laps_led",
                "fastest_laps", "status", "team", "manufacturer"])
    for k, name in enumerate(SCHEDULE, start=1):
        trk = resolve_track(name)
        p = DEFAULT_PARAMS[trk.track_type]
        form += rng.normal(0.0, 0.08, n)
        s = base + form + rng.normal(0.0, 0.25, n)
        start = np.argsort(np.argsort(-(s + rng.normal(0.0, 0.6, n)))) + 1
        out = simulate_race(s * p.noise / kansas_noise, start, trk, p, 1, rng)  # same utilities at every type
        for i in np.argsort(out.finish[0]):
            d = slate.drivers[i]
            status = "running" if not out.dnf[0, i] else ("accident" if rng.random() < 0.6 else "engine")
            w.writerow([2025, k, trk.name, d.name, int(start[i]), int(out.finish[0, i]), int(out.laps_completed[0, i]),
                        int(out.laps_led[0, i]), int(out.fastest_laps[0, i]), status, d.team or "",
                        d.manufacturer or ""])
    (DEMO / "history.csv").write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote {DEMO / 'history.csv'}: {len(SCHEDULE)} races, {n} drivers")


if __name__ == "__main__":
    main()
