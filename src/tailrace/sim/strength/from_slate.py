"""Driver strengths from what the user has: projections, odds, a rating, or (fallback) salary.

Public API (stable)::

    resolve_strengths(slate, track, params, rng=None, *, seed=0, odds_method="shin",
                      topk_method="power", pilot=None)
        -> (strength (n,) float64, source str, warnings list[str])
    strengths_from_projections(target, start, site, track, params, seed, pilot=4000)
        -> (strength, achieved means, warnings)
    strengths_from_markets({k: fair P(finish <= k)}, start, track, params, seed, pilot=20000, *,
                           bounds=None, prior_sd=None) -> (strength, {k: achieved}, warnings)
    strengths_from_win_probs(p_win, start, track, params, seed, pilot=20000) -> (strength, achieved, warnings)
    devig(decimal_odds, method="multiplicative"|"power"|"shin", total=1)
        -> fair probabilities summing to total (1: win book; k: top-k book)
    capped_prices(decimal_odds) -> bool mask of prices tied at the book's longest (a cap)
    strength_from_start(start, params) -> strength of the start-position-only model
    salary_strength(salaries) -> rough strength from salary (fallback)

Strength is the simulator's log-strength (``tailrace.sim.race``): performance = strength +
start_weight * start_term(start) - noise * Gumbel. A slate's start positions are part of every
fit (the pilot races are run from the real starts), so a projection or odds fit already contains
the start effect at its fitted weight: a market's chance pins strength + start effect, and the
strength is what is left. Where the odds say nothing (below), the start decides.

**Which source wins** (per slate, first that any driver has): ``projection`` (mean site points;
fitted so simulated means match) > odds (``win_odds``, ``top3_odds``, ``top5_odds``,
``top10_odds``, decimal; any one of them selects this source) > ``rating`` (used directly as
strength, centred; a rating of +1 beats a 0 driver with probability 1/(1+e^-1) = 73 % head to
head at an average track, equal starts) > ``salary`` (fallback with a warning: 0.6 x
standardised salary). Drivers lacking the chosen source are filled (projection: linear fit on
salary of the drivers that have one; odds: twice the market's longest price, used as a bound
only; rating: the lowest rating minus 0.5) and named in a warning.

**Odds.** Each market is de-vigged on its own: the win book by Shin's method (``odds_method``;
it models the favourite-longshot bias), top-k books by the power method (``topk_method``;
p = q**a summing to k, which generalises exactly and keeps every p below 1, while Shin's
insider model assumes a single winner; ``devig`` documents the Shin extension too). Strengths
are then fitted to all markets jointly (``strengths_from_markets``): least squares on the logit
of P(finish <= k), weight p (1 - p) per driver and market, so a 500-1 win price counts for
little and the same driver's top-10 price places him. Prices tied at a market's longest price
(a bookmaker's cap) and filled prices are upper bounds only. A driver with nothing but bounds
gets the start-only model's strength (shifted to the field's level), truncated normal (sd
``PRIOR_SD`` x noise) at what his bounds allow. Informative prices are not shrunk towards the
start: measured, that over-rates the weakest priced drivers.

Fitting: common random numbers (one pilot batch, fixed seed); projections: a per-driver secant
(Newton) update on the mismatch, 8 steps at most, projections shifted by one constant so they
sum to the total every race pays out (finish points, laps led, fastest laps are fixed pools),
with a warning when that shift exceeds 1 point per driver; odds: Gauss-Newton steps with one
slope per market refreshed by a secant, 12 steps at most.
"""

from __future__ import annotations

import numpy as np

from tailrace.numeric import bisect_increasing
from tailrace.rng import as_generator
from tailrace.startup import special_ufunc
from tailrace.sim.track_params import TrackTypeParams, pool_start_term, start_curve_term, start_term
from tailrace.sim.race import simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.tracks import Track
from tailrace.sites import SiteRules
from tailrace.errors import InputError, Problem

log_ndtr = special_ufunc("log_ndtr")  # scipy.special.log_ndtr, the very ufunc; see startup.preload_special_ufuncs

MAX_SHIFT = 5.0  # points per driver the projections may be off the race's total before it is an error
PRIORITY = ("projection", "win_odds", "rating", "salary")
STRENGTH_BOUND = 8.0
PRIOR_SD = 0.3  # prior sd of form around the start-only line, utility units; chosen by measurement
# (0.6, the spread of form, over-weakens drivers near a cap: Shin already cuts a capped price hard)


ODDS_METHODS = ("shin", "power", "multiplicative")
MARKETS = (("win_odds", 1), ("top3_odds", 3), ("top5_odds", 5), ("top10_odds", 10))


def devig(decimal_odds: np.ndarray, method: str = "multiplicative", total: int = 1) -> np.ndarray:
    """Fair probabilities from decimal odds: a win book (``total=1``) or a top-k book (``total=k``).

    Parameters
    ----------
    decimal_odds : array-like of shape (n,)
        Decimal odds of each runner (all > 1), one book.
    method : {"multiplicative", "power", "shin"}
        ``multiplicative``: p = q / sum q with q = 1/odds (keeps the favourite-longshot bias:
        a +50,000 price keeps its overstated chance). ``power``: p = q**a with sum 1.
        ``shin``: Shin's (1993) model of a bookmaker facing a share z of insiders; prices
        q_i = sqrt(z p_i + (1 - z) p_i**2) * sum_j sqrt(z p_j + (1 - z) p_j**2), inverted as
        p_i = (sqrt(z**2 + 4 (1 - z) q_i**2 / Q) - z) / (2 (1 - z)), Q = sum q, with z solved so
        the p sum to 1. Shin and power both take more margin off longshots than off
        favourites, which is what the favourite-longshot bias needs; Shin is the one derived
        from a model of the bias, so it is the default for win books (``resolve_strengths``).
    total : int
        What the fair probabilities sum to: 1 for a win book, k for a top-k book (k runners
        finish in the top k). ``power`` generalises exactly: p = q**a with sum k, and since every
        q < 1, every p < 1 too; it is the default for top-k books (``resolve_strengths``).
        ``shin`` applies Shin's inversion to the shares q / k (a book summing to Q / k > 1) and
        scales back by k: exact for k = 1, and since Shin never raises a price (p' <= q'), every
        p <= q < 1; but Shin's insider argument assumes one winner, so for k > 1 it is a
        heuristic. ``multiplicative`` scales to sum k, capping any p at 1 and rescaling the rest.

    Returns
    -------
    ndarray of shape (n,)
        Probabilities summing to ``total``, each in (0, 1].
    """
    o = np.asarray(decimal_odds, dtype=np.float64)
    if np.any(~np.isfinite(o)) or np.any(o <= 1.0):
        raise ValueError("decimal odds must be finite and greater than 1")
    k = int(total)
    if k < 1 or k >= len(o) and k > 1:
        raise ValueError(f"a top-{k} book needs more than {k} runners (it has {len(o)})")
    q = 1.0 / o
    if method == "multiplicative":
        p = k * q / q.sum()
        for _ in range(len(p)):  # cap at 1, rescale the others to the remaining total
            over = p > 1.0
            if not over.any():
                break
            rest = ~over & (p < 1.0)
            p = np.where(over, 1.0, p)
            p[rest] *= (k - np.sum(p >= 1.0)) / p[rest].sum()
        return p
    if method == "power":
        # solve sum q**a = k on [0.2, 5] (q < 1, so the sum falls as a grows)
        a = bisect_increasing(lambda a: -float(np.sum(q ** a)), -float(k), 0.2, 5.0, 80)
        p = q ** a
        return k * p / p.sum()
    if method == "shin":
        qs = q / k
        Q = qs.sum()
        if Q <= 1.0:  # no margin to remove: Shin's z is 0 and p = q / Q
            return np.minimum(k * qs / Q, 1.0)

        def shin_p(z: float) -> np.ndarray:
            return (np.sqrt(z * z + 4.0 * (1.0 - z) * qs * qs / Q) - z) / (2.0 * (1.0 - z))

        # sum p(z) falls from sqrt(Q) > 1 at z = 0 towards 1 and below as z grows
        z = bisect_increasing(lambda z: -float(shin_p(z).sum()), -1.0, 0.0, 0.99, 100)
        p = shin_p(z)
        return k * p / p.sum()
    raise ValueError(f"odds method must be one of {', '.join(ODDS_METHODS)}")


def strength_from_start(start: np.ndarray, params: TrackTypeParams) -> np.ndarray:
    """Strengths of the start-position-only model.

    ``(start_only_weight - start_weight) * start_term + start_only_curve * start_curve_term``:
    with the simulator's own ``start_weight * start_term`` added back, performance is the fitted
    start-only curve, whose mean finish by start bucket matches the real races of the type.
    """
    return ((params.start_only_weight - params.start_weight) * start_term(start)
            + params.start_only_curve * start_curve_term(start)
            + params.start_only_front * pool_start_term(start))


def salary_strength(salaries: np.ndarray) -> np.ndarray:
    """Rough fallback: 0.6 x standardised salary (salary ranks drivers; no projection given)."""
    s = np.asarray(salaries, dtype=np.float64)
    sd = s.std()
    z = (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
    return 0.6 * np.clip(z, -2.5, 2.5)


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
                               pilot: int = 4000, allow_shift: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Strengths whose simulated mean site points match ``target`` (after the sum adjustment).

    A common shift of more than ``MAX_SHIFT`` points per driver is an InputError unless
    ``allow_shift``: it means projections for another site, scoring table or field, and
    shifting them would quietly move every driver.
    """
    target = np.asarray(target, dtype=np.float64)
    start = np.asarray(start)
    n = len(target)
    warnings: list[str] = []
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)

    def measure(theta: np.ndarray) -> np.ndarray:
        out = simulate_race(theta, start, track, params, pilot, as_generator(ss, "sfc64"))
        return score_outcomes(site, start, out).mean(axis=0, dtype=np.float64)

    # The total of all drivers' mean points is fixed by the race (pools and the finish table;
    # FanDuel's laps completed vary a little), so match projections up to a common shift.
    base_total = measure(np.zeros(n)).sum()
    shift = (base_total - target.sum()) / n
    if abs(shift) > MAX_SHIFT and not allow_shift:
        raise InputError(Problem(
            f"projections sum to {target.sum():.1f}, but a {n}-car race pays about {base_total:.1f} points in "
            f"all: every driver would have to move {shift:+.1f} points", field="projection",
            fix=f"check that the projections are {site.name} points for this race and field (another site's "
                "or scoring table's numbers shift every driver); to fit them anyway, pass {allow_projection_shift=true}"))
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
    theta, achieved, warnings = strengths_from_markets({1: p_win}, start, track, params, seed=seed,
                                                       pilot=pilot)
    return theta, achieved[1], warnings


def _logit(p: np.ndarray, eps: float) -> np.ndarray:
    p = np.clip(p, eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


def strengths_from_markets(probs: dict[int, np.ndarray], start: np.ndarray, track: Track,
                           params: TrackTypeParams, seed: int | np.random.SeedSequence = 0,
                           pilot: int = 20000, *, bounds: dict[int, np.ndarray] | None = None,
                           prior_sd: float | None = None
                           ) -> tuple[np.ndarray, dict[int, np.ndarray], list[str]]:
    """Strengths whose simulated P(finish <= k) match fair probabilities of several markets jointly.

    ``probs[k]`` (n,) are a top-k market's fair probabilities (k = 1: win), summing to k.
    ``bounds[k]`` (bool (n,), optional) marks prices that are only upper bounds (the book's
    capped longest price, or a driver the book left out): they count only when the simulation
    exceeds them.

    The fit is a weighted least squares on the logit scale, weight p (1 - p) per driver and
    market (the Fisher information of a yes/no outcome about its log-odds, so a 0.2 % win price
    counts 1/80 of a 20 % one and the top-10 price carries a longshot), solved by Gauss-Newton
    steps with one slope d logit P / d strength per market, refreshed by a secant, on one
    common-random-numbers pilot batch. A driver whose every price is only a bound has no
    measurement at all: he gets the mean of the start-only model's prior (``strength_from_start``
    shifted to the priced drivers' level, sd ``prior_sd`` x noise, default ``PRIOR_SD``)
    truncated at the strength his bounds allow, i.e. what his start says given that the book
    rates him no better than its longest price. Informative prices are not shrunk: measured,
    shrinking them to the start line over-rates the weakest priced drivers (they are weak
    *given* their start).
    Returns (strength centred to mean 0, achieved {k: P(finish <= k)}, warnings).
    """
    start = np.asarray(start)
    ks = sorted(probs)
    n = len(start)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    eps = 0.5 / pilot
    noise = max(params.noise, 0.3)
    target = {k: np.asarray(probs[k], dtype=np.float64) for k in ks}
    cens = {k: (np.zeros(n, bool) if bounds is None or k not in bounds else np.asarray(bounds[k], bool))
            for k in ks}
    goal = {k: _logit(target[k], eps) for k in ks}
    w = {k: np.where(cens[k], 0.0, np.clip(target[k], eps, 1 - eps) * (1 - np.clip(target[k], eps, 1 - eps)))
         for k in ks}
    wb = {k: np.where(cens[k], np.clip(target[k], eps, 1 - eps), 0.0) for k in ks}  # bound weight
    u0 = strength_from_start(start, params) / noise  # prior, utility units
    tau = PRIOR_SD if prior_sd is None else float(prior_sd)
    st = params.start_weight * start_term(start) / noise  # start effect, utility units
    w_all = sum(w[k] for k in ks)
    bound_only = w_all <= 0

    def measure(theta: np.ndarray) -> dict[int, np.ndarray]:
        out = simulate_race(theta, start, track, params, pilot, as_generator(ss, "sfc64"))
        return {k: (out.finish <= k).mean(axis=0) for k in ks}

    def residuals(cur_p: dict[int, np.ndarray]) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        err, wt = {}, {}
        for k in ks:
            e = goal[k] - _logit(cur_p[k], eps)
            over = cens[k] & (e < 0)  # a bound binds only when the simulation is above it
            err[k] = np.where(cens[k] & ~over, 0.0, e)
            wt[k] = np.where(over, wb[k], w[k])
        return err, wt

    # start: every market's logit, averaged with its weights; the win market's log if alone
    tot = sum(w[k] for k in ks) + 1e-12
    u = sum(w[k] * goal[k] for k in ks) / tot * 0.5
    u = np.where(sum(w[k] for k in ks) > 0, u, u0)
    theta = np.clip(noise * (u - u.mean()), -4, 4)
    slope = {k: 1.0 / noise for k in ks}  # d logit P(finish <= k) / d strength
    cur = measure(theta)
    for _ in range(12):
        err, wt = residuals(cur)
        u = theta / noise
        shift = float(np.mean(u - u0))  # form averages 0 over the whole field
        num = sum(wt[k] * slope[k] * noise * err[k] for k in ks)
        den = sum(wt[k] * (slope[k] * noise) ** 2 for k in ks)
        step_u = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        if bound_only.any():  # prior mean truncated at the strength the bounds allow
            # a chance depends on strength + start effect: drivers sharing a bound share its cap on
            # that sum, estimated from all of them at once (one driver's pilot wins are too few)
            cap = np.full(n, np.inf)
            for k in ks:
                v = u + st + (goal[k] - _logit(cur[k], eps)) / (slope[k] * noise)
                for g in np.unique(goal[k][cens[k]]):
                    grp = cens[k] & (goal[k] == g)
                    seen = grp & (cur[k] >= 20.0 / pilot)  # enough pilot events to read a slope
                    if seen.any():
                        v_cap = float(np.average(v[seen], weights=cur[k][seen]))
                        cap = np.where(grp, np.minimum(cap, v_cap - st), cap)
            m = u0 + shift
            alpha = np.clip((cap - m) / tau, -30.0, 30.0)
            mills = np.exp(-0.5 * alpha * alpha - 0.5 * np.log(2 * np.pi) - log_ndtr(alpha))
            step_u = np.where(bound_only, m - tau * mills - u, step_u)
        step = np.clip(0.9 * noise * step_u, -1.0, 1.0)
        step = step - step.mean()
        if np.max(np.abs(step)) < 0.01:
            break
        new_theta = np.clip(theta + step, -STRENGTH_BOUND, STRENGTH_BOUND)
        new = measure(new_theta)
        ds = new_theta - theta
        for k in ks:
            dc = _logit(new[k], eps) - _logit(cur[k], eps)
            wk = np.maximum(w[k], wb[k])
            dcc = dc - np.average(dc, weights=wk + 1e-12)
            dsc = ds - np.average(ds, weights=wk + 1e-12)
            d = float(np.sum(wk * dsc * dsc))
            if d > 1e-12:
                slope[k] = float(np.clip(np.sum(wk * dcc * dsc) / d, 0.3 / noise, 3.0 / noise))
        theta, cur = new_theta, new
    theta = theta - theta.mean()
    achieved = measure(theta)
    warnings: list[str] = []
    if 1 in target and np.any(target[1][~cens[1]] < 2.0 / pilot):
        warnings.append(f"win probabilities below {2.0 / pilot:.2%} cannot be matched precisely "
                        f"with {pilot} pilot scenarios; those drivers are fitted approximately")
    return theta, achieved, warnings


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
    elif kind.endswith("_odds"):
        arr[~have] = 2.0 * np.nanmax(arr)  # half the longest price's implied probability
        how = "given twice the longest odds on the slate (treated as an upper bound on the chance)"
    else:
        arr[~have] = np.nanmin(arr) - 0.5
        how = "given the lowest rating minus 0.5"
    return arr, [f"{kind} missing for {len(missing)} driver(s) ({', '.join(missing[:6])}"
                 f"{', ...' if len(missing) > 6 else ''}): {how}"]


def capped_prices(odds: np.ndarray) -> np.ndarray:
    """True where a price is the book's longest and at least two runners share it: a bookmaker's
    cap (e.g. +50,000 for everyone at the back), which bounds a chance without measuring it."""
    o = np.asarray(odds, dtype=np.float64)
    top = np.isclose(o, o.max(), rtol=1e-9, atol=0.0)
    return top if top.sum() >= 2 else np.zeros(len(o), dtype=bool)


def _odds_strengths(drivers, names, salaries, start, track, params, seed, odds_method, topk_method,
                    pilot) -> tuple[np.ndarray, str, list[str]]:
    """Strengths from every odds market the slate carries (see ``resolve_strengths``)."""
    n = len(drivers)
    probs: dict[int, np.ndarray] = {}
    bounds: dict[int, np.ndarray] = {}
    used: list[str] = []
    warnings: list[str] = []
    for f, k in MARKETS:
        values = [getattr(d, f, None) for d in drivers]
        if not any(v is not None for v in values):
            continue
        if k >= n:
            warnings.append(f"{f} ignored: a top-{k} market needs more than {k} drivers (slate has {n})")
            continue
        have = np.array([v is not None for v in values])
        arr, w = _fill(values, names, salaries, f)
        warnings += w
        probs[k] = devig(arr, odds_method if k == 1 else topk_method, total=k)
        bounds[k] = capped_prices(arr) | ~have
        used.append(f)
    if not probs:
        return salary_strength(salaries), "salary", warnings + [
            "no usable odds: strengths are a rough salary-based guess"]
    theta, _, w = strengths_from_markets(probs, start, track, params, seed, pilot=pilot, bounds=bounds)
    label = "+".join(used)
    if list(probs) == [1]:
        how = f"{odds_method} de-vig"
    elif 1 in probs:
        how = f"{odds_method} de-vig of win, {topk_method} of top-k"
    else:
        how = f"{topk_method} de-vig"
    return theta, f"{label} ({how})", warnings + w


def resolve_strengths(slate, track: Track, params: TrackTypeParams,
                      rng: np.random.Generator | None = None, *, seed: int | np.random.SeedSequence = 0,
                      odds_method: str = "shin", topk_method: str = "power",
                      pilot: int | None = None, allow_shift: bool = False) -> tuple[np.ndarray, str, list[str]]:
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
        if source == "win_odds":  # any odds market: win, top 3, top 5, top 10
            if not any(getattr(d, f, None) is not None for d in drivers for f, _ in MARKETS):
                continue
            return _odds_strengths(drivers, names, salaries, start, track, params, seed,
                                   odds_method, topk_method, pilot or 20000)
        values = [getattr(d, source) for d in drivers]
        if not any(v is not None for v in values):
            continue
        arr, warnings = _fill(values, names, salaries, source)
        if source == "projection":
            theta, _, w = strengths_from_projections(arr, start, slate.site, track, params, seed,
                                                     pilot=pilot or 4000, allow_shift=allow_shift)
            return theta, "projection", warnings + w
        return arr - arr.mean(), "rating", warnings
    raise AssertionError("unreachable")
