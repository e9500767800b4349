"""Dominators against real Cup races (issue 11 item 3): the fit seasons and the 2023 check.

Real side, computed here from the CSV with the csv module and numpy (independently of the
code under test): per track type, the mean over races of the winner's share of laps led,
the top-1 and top-3 shares of laps led, and the share of the race's fastest laps run by the
finishers 1–5, 6–10, 11–20 and 21+.

Model side: every race simulated 400 (2023) or 200 (2019–22) times with ``DEFAULT_PARAMS``
(fitted on 2019–2022) from strengths of ratings fitted on the races strictly before it (as
``tailrace calibrate`` does); the same figures, mean over scenarios, then over races.

Checks (tolerance 3 percentage points):

* **fit seasons 2019–22** (races with >= 10 earlier races): every cell within 3 pp except
  ``KNOWN_FIT_GAPS``, each with its reason (a listed cell that closes fails too, so the
  list stays true).
* **check season 2023**: within 3 pp in every cell where 2023 itself stayed within 3 pp of
  the real 2019–22 figure (12 of the 28 cells: where the fit seasons' own figure forecasts
  2023, the model must too), except ``KNOWN_GAPS``, each with its reason. In the other 16
  cells 2023 moved further from 2019–22 than the tolerance (the Next Gen car's second season,
  6 road races): no fit on 2019–22 can know that, so they are printed, not asserted.
  Large-flat has one 2023 race: not checked. Figures: ``benchmarks/dominators.py``.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from tailrace.sim.history import read_history
from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.race import simulate_race
from tailrace.sim.strength.ratings import UpcomingRace, fit_ratings, to_strength
from tailrace.sim.scenarios import Scenarios
from tailrace.sim.simulate import invariant_checks
from tailrace.tracks import track_type_for
from tailrace.sites import DRAFTKINGS

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

MIN_HISTORY = 10  # races simulated: those with at least this many earlier races

FIGS = ("winner", "top1", "top3", "fl1-5", "fl6-10", "fl11-20", "fl21+")
TYPES = ("superspeedway", "intermediate", "short", "road")
TOL = 0.03
_DRAFT = "drafting: fastest laps spread almost evenly over the field; the fit's own 2019-22 gap is 2-3 pp"
KNOWN_FIT_GAPS = {  # (type, figure): 2019-22 cells beyond 3 pp (simulated with the ratings, fitted with a proxy)
    ("superspeedway", "fl21+"): "-3.0 pp (0.351 against 0.381); " + _DRAFT,
    ("large-flat", "fl6-10"): "9 races; the fit trades it against fl11-20",
    ("large-flat", "fl11-20"): "9 races (+5 pp): the fastest-lap curve cannot hold both middle bands",
}
KNOWN_GAPS = {  # (type, figure): 2023 cells where the season stayed within 3 pp of 2019-22 but the model does not
    ("superspeedway", "fl1-5"): _DRAFT + " (+4.3 pp)",
    ("superspeedway", "fl6-10"): _DRAFT + " (+3.7 pp)",
}


def _figures(finish: np.ndarray, led: np.ndarray, fl: np.ndarray) -> dict[str, np.ndarray]:
    finish, led, fl = np.atleast_2d(finish), np.atleast_2d(led).astype(float), np.atleast_2d(fl).astype(float)
    srt = -np.sort(-led, axis=1)
    lt, ft = led.sum(axis=1), fl.sum(axis=1)
    out = {"winner": (led * (finish == 1)).sum(axis=1) / lt, "top1": srt[:, 0] / lt,
           "top3": srt[:, :3].sum(axis=1) / lt}
    for name, lo, hi in (("fl1-5", 1, 5), ("fl6-10", 6, 10), ("fl11-20", 11, 20), ("fl21+", 21, 999)):
        out[name] = (fl * ((finish >= lo) & (finish <= hi))).sum(axis=1) / ft
    return out


def _season_of(race_id: tuple[int, int]) -> str:
    return "2023" if race_id[0] == 2023 else "fit"


@pytest.fixture(scope="module")
def real(shared_results_path):
    """{"fit" (2019-22 from the 11th race on) | "2023": {type: {figure: [per race]}}}."""
    by_race = defaultdict(list)
    with open(shared_results_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_race[(int(row["season"]), int(row["race_num"]))].append(row)
    out: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for i, (rid, rows) in enumerate(sorted(by_race.items())):
        if i < MIN_HISTORY:
            continue
        t = track_type_for(rows[0]["track"], rid[0])
        fig = _figures(np.array([int(r["finish"]) for r in rows]), np.array([int(r["laps_led"]) for r in rows]),
                       np.array([float(r["fastest_laps"] or 0) for r in rows]))
        for k, v in fig.items():
            out[_season_of(rid)][t][k].append(float(v[0]))
    return out


def _simulate(hist, rids, n_scenarios: int, out, checks) -> None:
    for rid in rids:
        race = hist.race(*rid)
        p = DEFAULT_PARAMS[race.track_type]
        u = fit_ratings(hist.before(*rid)).strengths(UpcomingRace.from_result(race))
        o = simulate_race(to_strength(u, race.start, p), race.start, race.race_laps, p, n_scenarios,
                          np.random.default_rng([2023, *rid]))
        for k, v in _figures(o.finish, o.laps_led, o.fastest_laps).items():
            out[race.track_type][k].append(float(np.mean(v)))
        if checks is None:
            continue
        sc = Scenarios(points=DRAFTKINGS.score(race.start[None, :], o.finish.astype(np.int64), o.laps_led,
                                               o.fastest_laps, o.laps_completed).astype(np.float32),
                       driver_ids=race.drivers, finish=o.finish, laps_led=o.laps_led, fastest_laps=o.fastest_laps,
                       laps_completed=o.laps_completed, dnf=o.dnf,
                       meta={"race_laps": o.race_laps, "fl_pool": o.fl_pool})
        winner_led = np.take_along_axis(o.laps_led, np.argmin(o.finish, axis=1)[:, None], axis=1)
        checks.append((rid, invariant_checks(sc, DRAFTKINGS, race.start), bool(np.all(winner_led >= 1))))


@pytest.fixture(scope="module")
def sim_2023(shared_results_path):
    hist = read_history(shared_results_path)
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    checks: list = []
    _simulate(hist, hist.race_ids([2023]), 400, out, checks)
    return out, checks


@pytest.fixture(scope="module")
def sim_fit(shared_results_path):
    hist = read_history(shared_results_path)
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    _simulate(hist, hist.race_ids([2019, 2020, 2021, 2022])[MIN_HISTORY:], 200, out, None)
    return out


def test_invariants_hold_in_every_2023_race(sim_2023) -> None:
    _, checks = sim_2023
    assert len(checks) == 36
    for rid, inv, winner_leads in checks:
        assert inv["passed"], (rid, inv)
        assert winner_leads, rid


@pytest.mark.parametrize("ttype", (*TYPES, "large-flat"))
def test_dominator_figures_match_real_2019_22(real, sim_fit, ttype: str) -> None:
    misses, report = [], {}
    for k in FIGS:
        r, s = np.array(real["fit"][ttype][k]), float(np.mean(sim_fit[ttype][k]))
        assert len(r) == len(sim_fit[ttype][k])
        report[k] = (round(s, 3), round(float(r.mean()), 3))
        if (abs(s - r.mean()) > TOL) != ((ttype, k) in KNOWN_FIT_GAPS):
            misses.append(k)  # a miss not listed, or a listed gap that is closed (drop it from the list)
    assert not misses, f"{ttype}: {misses} beyond 3 pp on 2019-22, or listed and closed; (sim, real) = {report}"


@pytest.mark.parametrize("ttype", TYPES)
def test_dominator_figures_match_real_2023(real, sim_2023, ttype: str) -> None:
    sim, _ = sim_2023
    misses, report = [], {}
    for k in FIGS:
        r = np.array(real["2023"][ttype][k])
        s = float(np.mean(sim[ttype][k]))
        moved = abs(r.mean() - np.mean(real["fit"][ttype][k]))  # the season's own change from 2019-22
        report[k] = (round(s, 3), round(float(r.mean()), 3), "checked" if moved <= TOL else f"moved {moved:.3f}")
        if moved <= TOL and (abs(s - r.mean()) > TOL) != ((ttype, k) in KNOWN_GAPS):
            misses.append(k)  # a miss not listed, or a listed gap that is closed
    print(ttype, report)
    assert not misses, f"{ttype}: {misses} beyond 3 pp; (sim, real, checked or the season's move) = {report}"


def test_2023_checks_a_fixed_set_of_cells(real) -> None:
    """The cells the 2023 test checks are those where 2023 stayed near 2019-22: 12 of 28 (a
    change of the data or of the rule shows here, not as a silently smaller check)."""
    stayed = [(t, k) for t in TYPES for k in FIGS
              if abs(np.mean(real["2023"][t][k]) - np.mean(real["fit"][t][k])) <= TOL]
    assert len(stayed) == 12, stayed
    assert set(KNOWN_GAPS) <= set(stayed)
