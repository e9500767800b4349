"""Dominators: simulated against real laps-led and fastest-lap figures per track type.

Every race (2019 from race 11 on, so each has >= 10 earlier races) is simulated from the
tailrace strengths of ratings fitted on the races strictly before it (as ``tailrace
calibrate`` does), with the track-type parameters ``DEFAULT_PARAMS`` (fitted on 2019–2022).
Figures per race (mean over scenarios for the model), then the mean over races of a type:

* ``winner``: the winner's share of laps led; ``top1`` / ``top3``: share of laps led by the
  biggest / three biggest leaders;
* ``fl1-5``, ``fl6-10``, ``fl11-20``, ``fl21+``: share of the race's fastest laps run by the
  finishers in that band.

Printed for the fit seasons (2019–2022, in sample) and the check season (2023, out of
sample), sim against real, with the gap in percentage points (``*`` beyond 3 pp).

    PYTHONPATH=src .venv/bin/python benchmarks/dominators.py [--scenarios 2000] [--params FILE.json]
        [--json OUT.json]

``--params`` takes a JSON table {type: TrackTypeParams dict} to compare another parameter set
(e.g. the one before a refit, to print the before/after table).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from tailrace.sim.history import History, RaceResult, read_history
from tailrace.sim.params import DEFAULT_PARAMS, TrackTypeParams
from tailrace.sim.race import simulate_race
from tailrace.sim.strength.ratings import UpcomingRace, fit_ratings, to_strength
from tailrace.tracks import TRACK_TYPES

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cup_results_2019_2023.csv"
FIGURES = ("winner", "top1", "top3", "fl1-5", "fl6-10", "fl11-20", "fl21+")
BANDS = ((1, 5), (6, 10), (11, 20), (21, 99))
MIN_HISTORY = 10


def race_figures(finish: np.ndarray, laps_led: np.ndarray, fastest: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row figures of (S, n) or (n,) arrays (finish 1-based); rows without a pool give nan."""
    fin = np.atleast_2d(np.asarray(finish))
    led = np.atleast_2d(np.asarray(laps_led, dtype=np.float64))
    fl = np.atleast_2d(np.asarray(fastest, dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        lt = led.sum(axis=1)
        srt = -np.sort(-led, axis=1)
        out = {
            "winner": np.where(fin == 1, led, 0.0).sum(axis=1) / lt,
            "top1": srt[:, 0] / lt,
            "top3": srt[:, :3].sum(axis=1) / lt,
        }
        ft = fl.sum(axis=1)
        for lo, hi in BANDS:
            name = f"fl{lo}-{hi}" if hi < 99 else f"fl{lo}+"
            out[name] = np.where((fin >= lo) & (fin <= hi), fl, 0.0).sum(axis=1) / ft
    return out


def race_utilities(hist: History, races: list[RaceResult]) -> dict[tuple[int, int], np.ndarray]:
    """Ratings utilities of each race, fitted on the races strictly before it."""
    return {r.race_id: fit_ratings(hist.before(*r.race_id)).strengths(UpcomingRace.from_result(r)) for r in races}


def simulate_figures(races: list[RaceResult], utils: dict, params: dict[str, TrackTypeParams],
                     n_scenarios: int, seed: int = 11) -> dict[str, dict[str, list[float]]]:
    """{type: {figure: [per-race mean over scenarios]}} of the model."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in races:
        p = params[r.track_type]
        s = to_strength(utils[r.race_id], r.start, p)
        o = simulate_race(s, r.start, r.race_laps, p, n_scenarios, np.random.default_rng([seed, *r.race_id]))
        for k, v in race_figures(o.finish, o.laps_led, o.fastest_laps).items():
            out[r.track_type][k].append(float(np.nanmean(v)))
    return out


def real_figures(races: list[RaceResult]) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in races:
        for k, v in race_figures(r.finish, r.laps_led, r.fastest_laps).items():
            if not np.isnan(v[0]):
                out[r.track_type][k].append(float(v[0]))
    return out


def table(sim: dict, real: dict) -> dict[str, dict[str, tuple[float, float, int]]]:
    """{type (and 'all'): {figure: (sim, real, races)}}."""
    res: dict[str, dict[str, tuple[float, float, int]]] = {}
    pooled_s: dict[str, list[float]] = defaultdict(list)
    pooled_r: dict[str, list[float]] = defaultdict(list)
    for t in TRACK_TYPES:
        if t not in real:
            continue
        res[t] = {}
        for k in FIGURES:
            res[t][k] = (float(np.mean(sim[t][k])), float(np.mean(real[t][k])), len(real[t][k]))
            pooled_s[k].extend(sim[t][k])
            pooled_r[k].extend(real[t][k])
    res["all"] = {k: (float(np.mean(pooled_s[k])), float(np.mean(pooled_r[k])), len(pooled_r[k])) for k in FIGURES}
    return res


def print_table(title: str, tab: dict) -> None:
    print(f"\n{title}   (sim / real, gap in pp; * = beyond 3 pp)")
    print(f"{'type':14s} {'races':>5s} " + " ".join(f"{k:>17s}" for k in FIGURES))
    for t, row in tab.items():
        cells = []
        for k in FIGURES:
            s, r, _ = row[k]
            gap = 100 * (s - r)
            cells.append(f"{s:.3f}/{r:.3f} {gap:+5.1f}{'*' if abs(gap) > 3 else ' '}")
        print(f"{t:14s} {row[FIGURES[0]][2]:5d} " + " ".join(f"{c:>17s}" for c in cells))


def run(params: dict[str, TrackTypeParams], n_scenarios: int, history: Path = DATA) -> dict[str, dict]:
    hist = read_history(history)
    races = [r for r in hist.races() if len(hist.before(*r.race_id)) >= MIN_HISTORY]
    utils = race_utilities(hist, races)
    out = {}
    for label, sel in (("fit 2019-2022", lambda r: r.season <= 2022), ("check 2023", lambda r: r.season == 2023)):
        rs = [r for r in races if sel(r)]
        out[label] = table(simulate_figures(rs, utils, params, n_scenarios), real_figures(rs))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path, default=DATA)
    ap.add_argument("--scenarios", type=int, default=2000)
    ap.add_argument("--params", type=Path, default=None, help="JSON {type: params dict}; default DEFAULT_PARAMS")
    ap.add_argument("--json", type=Path, default=None, help="also write the tables as JSON")
    args = ap.parse_args(argv)
    params = DEFAULT_PARAMS
    if args.params:
        params = {k: TrackTypeParams.from_dict(v) for k, v in json.loads(args.params.read_text()).items()}
    res = run(params, args.scenarios, args.history)
    for label, tab in res.items():
        print_table(label, tab)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
