"""Outcomes to fantasy points: the scenario matrix.

Public API (stable)::

    score_outcomes(site, start, outcomes) -> np.ndarray  # float32 (S, n)

Exactly ``SiteRules.score`` applied to every scenario (computed in float64 in the same order of
operations, then rounded to float32), so ``score_outcomes(...) ==
site.score(start, finish, laps_led, fastest_laps, laps_completed).astype(float32)`` bit for bit.
FanDuel uses laps completed, DraftKings fastest laps; each site ignores what it does not score.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from tailrace.sites import SiteRules


@nb.njit(parallel=True, cache=True)
def _score_kernel(rules, start, races, out):
    """Write every scenario's points into ``out``; the inputs are grouped by what they describe.

    ``rules`` (the site's scoring): ``(table float64 (F,), place_diff, w_led, w_fl, w_lc)``:
    the points of finishing place f at ``table[f - 1]``, then the float points per place gained,
    per lap led, per fastest lap and per lap completed (a zero weight skips its term).
    ``start``: float64 (n,), 1-based start positions. ``races`` (the outcomes, integer (S, n)
    each, C-contiguous): ``(finish, laps_led, fastest_laps, laps_completed)``, finish 1-based.
    ``out``: float32 (S, n), written.
    """
    table, place_diff, w_led, w_fl, w_lc = rules
    finish, led, fl, lc = races
    S, n = finish.shape
    for s in nb.prange(S):
        for i in range(n):
            f = finish[s, i]
            pts = table[f - 1]
            pts = pts + place_diff * (start[i] - float(f))
            pts = pts + w_led * float(led[s, i])
            if w_fl != 0.0:
                pts = pts + w_fl * float(fl[s, i])
            if w_lc != 0.0:
                pts = pts + w_lc * float(lc[s, i])
            out[s, i] = np.float32(pts)


def score_outcomes(site: SiteRules, start: np.ndarray, outcomes) -> np.ndarray:
    """Scenario matrix (float32, scenarios x drivers): the site's rules applied to each simulated race.

    ``outcomes`` is a ``RaceOutcomes`` or a ``Scenarios`` (anything with finish, laps_led,
    fastest_laps, laps_completed arrays of shape (S, n)); ``start`` is (n,) 1-based.
    """
    finish = np.ascontiguousarray(outcomes.finish)
    S, n = finish.shape
    if finish.size and (finish.min() < 1 or finish.max() > site.max_field):
        raise ValueError(f"finish positions must lie in 1..{site.max_field} for {site.name}")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (n,):
        raise ValueError("start must have one entry per driver")
    out = np.empty((S, n), dtype=np.float32)
    fl = outcomes.fastest_laps if outcomes.fastest_laps is not None else np.zeros_like(finish)
    lc = outcomes.laps_completed if outcomes.laps_completed is not None else np.zeros_like(finish)
    rules = (np.asarray(site.finish_points, dtype=np.float64), float(site.place_diff),
             float(site.laps_led), float(site.fastest_laps), float(site.laps_completed))
    races = (finish, np.ascontiguousarray(outcomes.laps_led), np.ascontiguousarray(fl), np.ascontiguousarray(lc))
    _score_kernel(rules, start, races, out)
    return out
