"""A tiny race history drawn from the race model (seasons 2020, one intermediate track) for
tests that fit on every race before another: small enough that a track-parameter fit takes
seconds. ``history_csv`` writes it in the README's history shape (for the CLI and uploads)."""

from __future__ import annotations

import numpy as np

from tailrace.sim.history import History, RaceResult
from tailrace.sim.params import TrackTypeParams
from tailrace.sim.race import simulate_race

P = TrackTypeParams("intermediate", noise=1.0, start_weight=0.3, laps_down_scale=0.5, laps_down_power=1.3)


def tiny_history(n_drivers: int = 20, n_races: int = 12, seed: int = 5) -> History:
    """``n_races`` races (2020 #1..) of ``n_drivers`` drivers of fixed strength at Kansas."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 0.6, n_drivers)
    names = tuple(f"Driver {i:02d}" for i in range(n_drivers))
    races = []
    for k in range(n_races):
        start = rng.permutation(n_drivers) + 1
        out = simulate_race(theta, start, 200, P, 1, rng)
        races.append(RaceResult(
            season=2020, race_num=k + 1, track="Kansas Speedway", track_type="intermediate", race_date=None,
            drivers=names, start=start.astype(np.int64), finish=out.finish[0].astype(np.int64),
            laps=out.laps_completed[0].astype(np.int64), laps_led=out.laps_led[0].astype(np.int64),
            fastest_laps=out.fastest_laps[0].astype(np.int64),
            status=tuple("accident" if d else "running" for d in out.dnf[0]),
            team=tuple(f"Team {i % 5}" for i in range(n_drivers)), manufacturer=("Ford",) * n_drivers))
    return History(source="synthetic", _races=tuple(races))


def history_csv(hist: History) -> str:
    """The history as a results CSV (season, race_num, track, driver, start, finish, laps, ...)."""
    lines = ["season,race_num,track,driver,start,finish,laps,laps_led,status,fastest_laps,team,manufacturer"]
    for r in hist.races():
        for i in range(r.n):
            lines.append(f"{r.season},{r.race_num},{r.track},{r.drivers[i]},{r.start[i]},{r.finish[i]},{r.laps[i]},"
                         f"{r.laps_led[i]},{r.status[i]},{r.fastest_laps[i]},{r.team[i]},{r.manufacturer[i]}")
    return "\n".join(lines) + "\n"
