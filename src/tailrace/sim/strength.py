"""Driver strengths from what the user has: projections, win odds, a rating, or (fallback) salary.

Public API (stable)::

    resolve_strengths(slate, track, params, rng=None, *, seed=0, odds_method="shin",
                      pilot=None) -> (strength (n,) float64, source str, warnings list[str])
    strengths_from_projections(target, start, site, track, params, seed, pilot=4000)
        -> (strength, achieved means, warnings)
    strengths_from_win_probs(p_win, start, track, params, seed, pilot=20000) -> (strength, achieved, warnings)
    devig(decimal_odds, method="multiplicative"|"power"|"shin") -> probabilities summing to 1
    strength_from_start(start, params) -> strength of the start-position-only model
    salary_strength(salaries) -> rough strength from salary (fallback)

Strength is the simulator's log-strength (``tailrace.sim.race``): performance = strength +
start_weight * start_term(start) - noise * Gumbel. A slate's start positions are part of every
fit, so a projection or odds fit already contains the start effect.

**Which source wins** (per slate, first that any driver has): ``projection`` (mean site points;
fitted so simulated means match) > ``win_odds`` (decimal; vig removed by Shin's method, fitted so simulated win
probabilities match) > ``rating`` (used directly as strength, centred; a rating of +1 beats a 0
driver with probability 1/(1+e^-1) = 73 % head to head at an average track, equal starts) >
``salary`` (fallback with a warning: 0.6 x standardised salary). Drivers lacking the chosen
source are filled (projection: linear fit on salary of the drivers that have one; odds: half the
longest price's probability; rating: the lowest rating minus 0.5) and named in a warning.

Fitting: common random numbers (one pilot batch, fixed seed), a per-driver secant (Newton)
update on the mismatch, 8 steps at most; projections are shifted by one constant so they sum to
the total every race pays out (finish points, laps led, fastest laps are fixed pools), with a
warning when that shift exceeds 1 point per driver.
"""

from __future__ import annotations

import numpy as np

from tailrace.numeric import bisect_increasing
from tailrace.sim.params import TrackTypeParams, start_term
from tailrace.sim.race import simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.sim.tracks import Track
from tailrace.sites import SiteRules

PRIORITY = ("projection", "win_odds", "rating", "salary")
STRENGTH_BOUND = 8.0


ODDS_METHODS = ("shin", "power", "multiplicative")


def devig(decimal_odds: np.ndarray, method: str = "multiplicative") -> np.ndarray:
    """Fair win probabilities from decimal odds.

    Parameters
    ----------
    decimal_odds : array-like of shape (n,)
        Decimal odds of each runner (all > 1), one book.
    method : {"multiplicative", "power", "shin"}
        ``multiplicative``: p = q / sum q with q = 1/odds (keeps the favourite-longshot bias:
        a +50,000 price keeps its overstated chance). ``power``: p = q**k with sum 1.
        ``shin``: Shin's (1993) model of a bookmaker facing a share z of insiders; prices
        q_i = sqrt(z p_i + (1 - z) p_i**2) * sum_j sqrt(z p_j + (1 - z) p_j**2), inverted as
        p_i = (sqrt(z**2 + 4 (1 - z) q_i**2 / Q) - z) / (2 (1 - z)), Q = sum q, with z solved so
        the p sum to 1. Shin and power both take more margin off longshots than off
        favourites, which is what the favourite-longshot bias needs; Shin is the one derived
        from a model of the bias, so it is the default for slates (``resolve_strengths``).

    Returns
    -------
    ndarray of shape (n,)
        Probabilities summing to 1.
    """
    o = np.asarray(decimal_odds, dtype=np.float64)
    if np.any(~np.isfinite(o)) or np.any(o <= 1.0):
        raise ValueError("decimal odds must be finite and greater than 1")
    q = 1.0 / o
    if method == "multiplicative":
        return q / q.sum()
    if method == "power":
        # solve sum q**k = 1 on [0.2, 5] (q < 1, so the sum falls as k grows)
        k = bisect_increasing(lambda k: -float(np.sum(q ** k)), -1.0, 0.2, 5.0, 80)
        p = q ** k
        return p / p.sum()
    if method == "shin":
        Q = q.sum()
        if Q <= 1.0:  # no margin to remove: Shin's z is 0 and p = q / Q
            return q / Q

        def shin_p(z: float) -> np.ndarray:
            return (np.sqrt(z * z + 4.0 * (1.0 - z) * q * q / Q) - z) / (2.0 * (1.0 - z))

        # sum p(z) falls from sqrt(Q) > 1 at z = 0 towards 1 and below as z grows
        z = bisect_increasing(lambda z: -float(shin_p(z).sum()), -1.0, 0.0, 0.99, 100)
        p = shin_p(z)
        return p / p.sum()
    raise ValueError(f"odds method must be one of {', '.join(ODDS_METHODS)}")


def strength_from_start(start: np.ndarray, params: TrackTypeParams) -> np.ndarray:
    """Strengths of the start-position-only model: (start_only_weight - start_weight) * start_term."""
    return (params.start_only_weight - params.start_weight) * start_term(start)


def salary_strength(salaries: np.ndarray) -> np.ndarray:
    """Rough fallback: 0.6 x standardised salary (salary ranks drivers; no projection given)."""
    s = np.asarray(salaries, dtype=np.float64)
    sd = s.std()
    z = (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
    return 0.6 * np.clip(z, -2.5, 2.5)


def race_total_points(site: SiteRules, n: int, laps: int, fl_pool: int) -> float:
    """Points every race pays out in total (finish table + laps-led and fastest-lap pools; place
    differential and laps completed handled by the caller)."""
    return float(sum(site.finish_points[:n]) + site.laps_led * laps + site.fastest_laps * fl_pool)


def _secant_fit(theta0: np.ndarray, target: np.ndarray, measure, steps: int, tol: float,
                slope0: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-driver secant iteration theta -> measure(theta) = target (common random numbers)."""
    theta = theta0.copy()
    cur = measure(theta)
    slope = np.full_like(theta, slope0)
    for _ in range(steps):
        err = target - cur
        if np.max(np.abs(err)) < tol:
            break
        step = np.clip(err / slope, -2.0, 2.0)
        new_theta = np.clip(theta + step, -STRENGTH_BOUND, STRENGTH_BOUND)
        new = measure(new_theta)
        d_theta = new_theta - theta
        d_val = new - cur
        ok = np.abs(d_theta) > 1e-6
        est = np.where(ok, d_val / np.where(ok, d_theta, 1.0), slope)
        slope = np.where(ok & (est > slope0 * 0.05), est, slope)
        theta, cur = new_theta, new
    theta = theta - theta.mean()
    return theta, measure(theta)


def strengths_from_projections(target: np.ndarray, start: np.ndarray, site: SiteRules, track: Track,
                               params: TrackTypeParams, seed: int | np.random.SeedSequence = 0,
                               pilot: int = 4000) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Strengths whose simulated mean site points match ``target`` (after the sum adjustment)."""
    target = np.asarray(target, dtype=np.float64)
    start = np.asarray(start)
    n = len(target)
    warnings: list[str] = []
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)

    def measure(theta: np.ndarray) -> np.ndarray:
        out = simulate_race(theta, start, track, params, pilot, np.random.Generator(np.random.SFC64(ss)))
        return score_outcomes(site, start, out).mean(axis=0, dtype=np.float64)

    # The total of all drivers' mean points is fixed by the race (pools and the finish table;
    # FanDuel's laps completed vary a little), so match projections up to a common shift.
    base_total = measure(np.zeros(n)).sum()
    shift = (base_total - target.sum()) / n
    if abs(shift) > 1.0:
        warnings.append(
            f"projections sum to {target.sum():.1f} but a {n}-car race pays about {base_total:.1f} "
            f"points in total; each projection shifted by {shift:+.2f} before fitting")
    goal = target + shift
    theta0 = np.clip((goal - goal.mean()) / 25.0, -3, 3)
    theta, achieved = _secant_fit(theta0, goal, measure, steps=8, tol=0.25, slope0=20.0)
    miss = np.abs(achieved - goal)
    if np.max(miss) > 1.5:
        worst = int(np.argmax(miss))
        warnings.append(f"projection {target[worst]:.1f} of driver #{worst + 1} is out of the model's reach "
                        f"(closest simulated mean {achieved[worst] - shift:.1f})")
    return theta, achieved - shift, warnings


def strengths_from_win_probs(p_win: np.ndarray, start: np.ndarray, track: Track, params: TrackTypeParams,
                             seed: int | np.random.SeedSequence = 0,
                             pilot: int = 20000) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Strengths whose simulated win probabilities match ``p_win`` (sums to 1)."""
    p = np.asarray(p_win, dtype=np.float64)
    start = np.asarray(start)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    floor = 0.5 / pilot

    def measure(theta: np.ndarray) -> np.ndarray:
        out = simulate_race(theta, start, track, params, pilot, np.random.Generator(np.random.SFC64(ss)))
        w = (out.finish == 1).mean(axis=0)
        return np.log(np.maximum(w, floor))

    goal = np.log(np.maximum(p, floor))
    # Win probabilities are coupled (they sum to 1), so the update uses the residual centred
    # (weights sqrt p) and one global slope d log P(win) / d strength, refreshed by a secant.
    noise = max(params.noise, 0.3)
    wts = np.sqrt(np.maximum(p, floor))
    theta = np.clip(noise * (goal - goal.mean()) * 0.5, -4, 4)
    slope = 2.0 / noise
    cur = measure(theta)
    for _ in range(10):
        err = goal - cur
        if np.max(np.abs(err)) < 0.04:
            break
        e = err - np.average(err, weights=wts)
        step = np.clip(0.9 * e / slope, -1.0, 1.0)
        new_theta = np.clip(theta + step, -STRENGTH_BOUND, STRENGTH_BOUND)
        new = measure(new_theta)
        dc = new - cur
        dc = dc - np.average(dc, weights=wts)
        ds = new_theta - theta
        ds = ds - np.average(ds, weights=wts)
        den = float(np.sum(wts * ds * ds))
        if den > 1e-12:
            slope = float(np.clip(np.sum(wts * dc * ds) / den, 0.3 / noise, 8.0 / noise))
        theta, cur = new_theta, new
    theta = theta - theta.mean()
    achieved = measure(theta)
    warnings: list[str] = []
    if np.any(p < 2.0 / pilot):
        warnings.append(f"win probabilities below {2.0 / pilot:.2%} cannot be matched precisely "
                        f"with {pilot} pilot scenarios; those drivers are fitted approximately")
    return theta, np.exp(achieved), warnings


def _fill(values: list[float | None], names: list[str], salaries: np.ndarray, kind: str) -> tuple[np.ndarray, list[str]]:
    have = np.array([v is not None for v in values])
    arr = np.array([np.nan if v is None else float(v) for v in values])
    if have.all():
        return arr, []
    missing = [nm for nm, h in zip(names, have) if not h]
    if kind == "projection":
        if have.sum() >= 2 and np.ptp(salaries[have]) > 0:
            b, a = np.polyfit(salaries[have], arr[have], 1)
        else:
            b, a = 0.0, float(np.nanmean(arr)) if have.any() else 0.0
        arr[~have] = a + b * salaries[~have]
        how = "filled from a straight line of projection on salary"
    elif kind == "win_odds":
        arr[~have] = 2.0 * np.nanmax(arr)  # half the longest price's implied probability
        how = "given twice the longest odds on the slate"
    else:
        arr[~have] = np.nanmin(arr) - 0.5
        how = "given the lowest rating minus 0.5"
    return arr, [f"{kind} missing for {len(missing)} driver(s) ({', '.join(missing[:6])}"
                 f"{', ...' if len(missing) > 6 else ''}): {how}"]


def resolve_strengths(slate, track: Track, params: TrackTypeParams,
                      rng: np.random.Generator | None = None, *, seed: int | np.random.SeedSequence = 0,
                      odds_method: str = "shin", pilot: int | None = None
                      ) -> tuple[np.ndarray, str, list[str]]:
    """Strength per driver from the slate's best source (projection > win_odds > rating > salary).

    Returns ``(strength, source, warnings)``. ``rng`` (if given) seeds the pilot batch; else
    ``seed``. Deterministic for a given seed.
    """
    if rng is not None:
        seed = np.random.SeedSequence(int(rng.integers(0, 2**63)))
    drivers = slate.drivers
    names = [d.name for d in drivers]
    salaries = np.array([d.salary for d in drivers], dtype=np.float64)
    start = slate.starts()
    for source in PRIORITY:
        if source == "salary":
            return salary_strength(salaries), "salary", [
                "no projections, win odds or ratings given: strengths are a rough salary-based guess; "
                "pass a projections file with a projection, win_odds or rating column"]
        values = [getattr(d, source) for d in drivers]
        if not any(v is not None for v in values):
            continue
        arr, warnings = _fill(values, names, salaries, source)
        if source == "projection":
            theta, _, w = strengths_from_projections(arr, start, slate.site, track, params, seed,
                                                     pilot=pilot or 4000)
            return theta, "projection", warnings + w
        if source == "win_odds":
            p = devig(arr, odds_method)
            theta, _, w = strengths_from_win_probs(p, start, track, params, seed, pilot=pilot or 20000)
            return theta, f"win_odds ({odds_method} de-vig)", warnings + w
        return arr - arr.mean(), "rating", warnings
    raise AssertionError("unreachable")
