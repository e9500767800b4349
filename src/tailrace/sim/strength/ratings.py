"""Driver strengths for an upcoming race, fitted on the races strictly before it.

Model: a reversed Plackett–Luce (rank-ordered logit from the back), fitted by penalised,
recency-weighted maximum likelihood. The utility of driver ``d`` in a race of track type
``t`` from start position ``start`` is

    u = a_d + a_{d,t} + b_team + c_manufacturer + s_t * (start - 1) / 10 + e * novice

and the running cars' finishing order is that of ``u - G`` with G standard Gumbel: the last
running car is drawn first with probability proportional to ``exp(-u)``, then the next to
last from the rest, and so on. This is the simulator's own finishing model
(``tailrace.sim.race``: ``perf = strength + start_weight * start_term - noise * Gumbel``), and
on real races it beats the forward Plackett–Luce (winner drawn first) by ~4.5 nats a race
(2021–2022, each race predicted from the races before it): the back of a Cup field is more
predictable than the front. Cars that retired (status other than ``running``) are left out
of the ranking likelihood: the simulator places its DNFs at the back separately.

* Recent form: each past race's log-likelihood is weighted ``0.5 ** (age / half_life)``, age
  counted in races (the race just before the target has age 1).
* Track-type form: ``a_{d,t}``, ridge-shrunk to 0, i.e. towards the driver's overall form.
* Start position: ``s_t`` per track type (linear, as the simulator's ``start_term``; ``log``
  is available as feature ``start``); the target race's own start is known before it.
* Team and manufacturer: ``b``, ``c``, ridge-shrunk; they carry most of what is known about a
  driver with little history.
* Shrinkage and debutants: every coefficient has a Gaussian (ridge) prior, so a driver with
  few races sits near his team's level; ``novice`` (1 → 0 over a driver's first
  ``NOVICE_RACES`` races, known only for drivers who entered after the history's first
  season) gets a fitted, in practice negative, coefficient: debutants start below average.

Output scale: ``u`` is the utility with unit Gumbel noise and the start effect included;
``to_strength(u, start, params)`` turns it into the simulator's strength for a track type's
``TrackTypeParams`` (``noise * u - start_weight * start_term(start)``), so ``simulate_race``
takes it exactly as it takes strengths from projections or odds.

Blending with user projections: convert the projections to simulator strengths the way the
simulator already does (``tailrace.sim.strength.from_slate``), convert the history fit with
``to_strength``, and take the weighted average on that log-strength scale,
``w * history + (1 - w) * projections`` (``blend_strengths``; both centred to mean 0 first so
only the differences between drivers count). ``w`` is the history's share, as in
``tailrace.sim.strength.from_history.blend`` and ``--history-weight``: ``w = 0`` uses the projections
alone.

Optional feature ``form`` (off by default): exponentially weighted fastest-lap and laps-led
shares of a driver's earlier races. It did not improve the out-of-sample likelihood on
2021–2022 (-2591.3 against -2588.2 nats), so the default leaves it out.

The two calibration baselines live here too (same likelihood, same weights):
``fit_start_only`` (start position only) and ``fit_recent_form`` (average finish over a
driver's last 10 races).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import sparse

from tailrace.sim.history import History, RaceResult
from tailrace.tracks import TRACK_TYPES
from tailrace.sim.track_params import TrackTypeParams, start_term

NOVICE_RACES = 8


@dataclass(frozen=True)
class RatingConfig:
    """Hyper-parameters of the strength fit.

    Chosen by the out-of-sample reversed-PL log-likelihood of every other race of 2021 and
    2022, each fitted on the races before it (2023 untouched): half-life 30 races, ridges
    2 / 4 / 3 scored best (-2588.2 nats over 36 races; start-only -2817.5, recent average
    finish -2729.9); half-lives 30–60 and ridges within a factor 2 are within ~5 nats.
    A linear start term beat log(start) by ~10 nats. ``temperature`` 0.88 also won the
    simulation back-test of 2022 on every score (CRPS 12.83 against 12.87 at 1.0, top-10
    log loss 0.498 against 0.504, interval coverage nearer nominal).
    """

    half_life: float = 30.0  # races
    ridge_driver: float = 2.0
    ridge_driver_type: float = 4.0
    ridge_team: float = 3.0
    ridge_manufacturer: float = 10.0
    ridge_other: float = 0.1  # start and novice coefficients
    # Predicted utilities are multiplied by this: in-sample fits are over-confident out of
    # sample (the reversed-PL likelihood of 2021 / 2022 races peaks at 0.91 / 0.85 times the
    # fitted utilities, each race predicted from the races before it; 2023 untouched).
    temperature: float = 0.88
    max_races: int = 180  # ignore races older than this many races
    # "forward": the winner is drawn first, weights exp(u) (sort u + Gumbel); "reverse": the
    # last running car is drawn first, weights exp(-u) (sort u - Gumbel). Must match the simulator.
    ranking: str = "reverse"
    features: tuple[str, ...] = ("driver", "driver_type", "team", "manufacturer", "start_linear", "novice")


@dataclass(frozen=True)
class UpcomingRace:
    """What is known before a race: drivers, start positions, team/make, track type."""

    drivers: tuple[str, ...]
    start: np.ndarray
    track_type: str
    team: tuple[str | None, ...] = ()
    manufacturer: tuple[str | None, ...] = ()

    @classmethod
    def from_result(cls, race: RaceResult) -> UpcomingRace:
        """The pre-race view of a past race (for back-testing)."""
        return cls(race.drivers, race.start.copy(), race.track_type, race.team, race.manufacturer)


@dataclass(frozen=True)
class RatingFit:
    """Fitted coefficients; ``strengths(race)`` turns them into per-driver log-strengths."""

    config: RatingConfig
    coef: dict[str, float]  # "d:driver", "dt:driver|type", "t:team", "m:make", "s:type" (log start), "sl:type" (linear)
    start_coef: dict[str, float]  # start coefficient per track type (whichever start form is fitted)
    novice_coef: float
    n_races: int
    first_season: int | None
    prior_counts: dict[str, int] = field(default_factory=dict)
    converged: bool = True
    form: dict[str, np.ndarray] = field(default_factory=dict)  # driver -> (speed, lead) form now

    def strengths(self, race: UpcomingRace) -> np.ndarray:
        """Utilities (unit Gumbel scale, start effect included) for the race's drivers, in its
        order, mean 0, times the config's temperature."""
        n = len(race.drivers)
        u = np.zeros(n)
        t = race.track_type
        teams = race.team or (None,) * n
        makes = race.manufacturer or (None,) * n
        for i, d in enumerate(race.drivers):
            key = _norm(d)
            u[i] += self.coef.get(f"d:{key}", 0.0) + self.coef.get(f"dt:{key}|{t}", 0.0)
            if teams[i]:
                u[i] += self.coef.get(f"t:{_norm(teams[i])}", 0.0)
            if makes[i]:
                u[i] += self.coef.get(f"m:{_norm(makes[i])}", 0.0)
            f = self.form.get(key)
            if f is not None:
                u[i] += self.coef.get("f:speed", 0.0) * f[0] + self.coef.get("f:lead", 0.0) * f[1]
            if self.prior_counts.get(key, 0) < NOVICE_RACES and self.n_races >= 36:
                u[i] += self.novice_coef * (1.0 - self.prior_counts.get(key, 0) / NOVICE_RACES)
        st = np.asarray(race.start, dtype=np.float64)
        u += self.coef.get(f"s:{t}", 0.0) * np.log(st) + self.coef.get(f"sl:{t}", 0.0) * (st - 1.0) / 10.0
        return self.config.temperature * (u - u.mean())


@lru_cache(maxsize=65536)
def _norm(s: str) -> str:
    return " ".join(s.lower().replace(".", "").split())


def race_weights(n: int, half_life: float) -> np.ndarray:
    """Decay weights for ``n`` past races, oldest first: ``0.5 ** (age / half_life)``, age ≥ 1."""
    age = np.arange(n, 0, -1, dtype=np.float64)
    return 0.5 ** (age / half_life)


def _novice_feature(races: list[RaceResult]) -> tuple[list[np.ndarray], dict[str, int], int | None]:
    """Novice level per race and driver (1 -> 0 over a driver's first NOVICE_RACES races),
    plus race counts after all races. Drivers seen in the history's first 36 races are
    veterans (their earlier careers are not in the file), so novice is 0 for them."""
    veterans = {_norm(d) for r in races[:36] for d in r.drivers}
    counts: dict[str, int] = {}
    out = []
    for k, r in enumerate(races):
        f = np.zeros(r.n)
        for i, d in enumerate(r.drivers):
            key = _norm(d)
            c = counts.get(key, 0)
            if k >= 36 and key not in veterans and c < NOVICE_RACES:
                f[i] = 1.0 - c / NOVICE_RACES
            counts[key] = c + 1
        out.append(f)
    for key in veterans:
        counts[key] = max(counts[key], NOVICE_RACES)
    return out, counts, (races[0].season if races else None)


FORM_ALPHA = 0.2  # weight of the latest race in a driver's running speed / lead form


def _speed_lead_form(races: list[RaceResult]) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Per race and driver, the pre-race exponentially weighted form (weight FORM_ALPHA on the
    latest race) of ``log(1 + n * share)`` of fastest laps and of laps led, over the driver's
    earlier races (retirements included: a fast car that crashed was still fast); 0 without
    history. Also each driver's form after the last race, for the upcoming one."""
    cur: dict[str, np.ndarray] = {}
    out = []
    for r in races:
        n = r.n
        fl_tot = max(int(r.fastest_laps.sum()), 1)
        ll_tot = max(int(r.laps_led.sum()), 1)
        x = np.column_stack([np.log1p(n * r.fastest_laps / fl_tot), np.log1p(n * r.laps_led / ll_tot)])
        f = np.zeros((n, 2))
        for i, d in enumerate(r.drivers):
            key = _norm(d)
            prev = cur.get(key)
            if prev is not None:
                f[i] = prev
                cur[key] = (1.0 - FORM_ALPHA) * prev + FORM_ALPHA * x[i]
            else:
                cur[key] = x[i].copy()
        out.append(f)
    return out, cur


def _pl_loglik_grad(u_pad: np.ndarray, mask: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted Plackett–Luce log-likelihood and its gradient w.r.t. padded utilities.

    ``u_pad`` (R, N): utilities with each row sorted by finish (winner first), padding where
    ``mask`` is False. ``w`` (R,): race weights.
    """
    big = np.where(mask, u_pad, -np.inf)
    m = np.max(big, axis=1, keepdims=True)
    e = np.where(mask, np.exp(np.where(mask, u_pad, 0.0) - m), 0.0)
    denom = np.cumsum(e[:, ::-1], axis=1)[:, ::-1]  # sum over k >= j
    safe = np.where(mask, denom, 1.0)
    logden = np.log(safe) + m
    ll_rows = np.where(mask, u_pad - logden, 0.0).sum(axis=1)
    inv = np.where(mask, 1.0 / safe, 0.0)
    grad = np.where(mask, 1.0 - e * np.cumsum(inv, axis=1), 0.0)
    return float(w @ ll_rows), grad * w[:, None]


@dataclass
class _Design:
    X: sparse.csr_matrix  # (entries, params)
    rows: np.ndarray  # race index of each entry
    cols: np.ndarray  # padded column of each entry
    R: int
    N: int
    penalty: np.ndarray
    names: list[str]


def _build_design(races: list[RaceResult], cfg: RatingConfig, novice: list[np.ndarray],
                  form: list[np.ndarray]) -> _Design:
    index: dict[str, int] = {}
    pen: list[float] = []

    def col(name: str, lam: float) -> int:
        j = index.get(name)
        if j is None:
            j = index[name] = len(pen)
            pen.append(lam)
        return j

    ent_r, ent_c, data_i, data_j, data_v = [], [], [], [], []
    sign = -1.0 if cfg.ranking == "reverse" else 1.0
    entry = 0
    N = 0
    feats = set(cfg.features)
    for r_idx, r in enumerate(races):
        keep = ~r.dnf
        order = np.argsort(r.finish, kind="stable")
        order = order[keep[order]]
        if cfg.ranking == "reverse":
            order = order[::-1]
        N = max(N, len(order))
        for pos, i in enumerate(order):
            d = _norm(r.drivers[i])
            t = r.track_type
            terms: list[tuple[int, float]] = []
            if "driver" in feats:
                terms.append((col(f"d:{d}", cfg.ridge_driver), 1.0))
            if "driver_type" in feats:
                terms.append((col(f"dt:{d}|{t}", cfg.ridge_driver_type), 1.0))
            if "team" in feats and r.team[i]:
                terms.append((col(f"t:{_norm(r.team[i])}", cfg.ridge_team), 1.0))
            if "manufacturer" in feats and r.manufacturer[i]:
                terms.append((col(f"m:{_norm(r.manufacturer[i])}", cfg.ridge_manufacturer), 1.0))
            if "start" in feats:
                terms.append((col(f"s:{t}", cfg.ridge_other), float(np.log(r.start[i]))))
            if "start_linear" in feats:
                terms.append((col(f"sl:{t}", cfg.ridge_other), float(r.start[i] - 1) / 10.0))
            if "novice" in feats and novice[r_idx][i] > 0:
                terms.append((col("novice", cfg.ridge_other), float(novice[r_idx][i])))
            if "form" in feats:
                terms.append((col("f:speed", cfg.ridge_other), float(form[r_idx][i, 0])))
                terms.append((col("f:lead", cfg.ridge_other), float(form[r_idx][i, 1])))
            for j, v in terms:
                data_i.append(entry)
                data_j.append(j)
                data_v.append(sign * v)
            ent_r.append(r_idx)
            ent_c.append(pos)
            entry += 1
    X = sparse.csr_matrix((data_v, (data_i, data_j)), shape=(entry, max(len(pen), 1)))
    names = [""] * len(pen)
    for k, j in index.items():
        names[j] = k
    return _Design(X, np.array(ent_r, dtype=np.int64), np.array(ent_c, dtype=np.int64),
                   len(races), max(N, 1), np.array(pen if pen else [1.0]), names)


def _fit_pl(X: sparse.spmatrix | np.ndarray, rows: np.ndarray, cols: np.ndarray, R: int, N: int,
            w: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, bool]:
    """Penalised weighted Plackett–Luce fit of a linear utility ``X @ beta`` (L-BFGS)."""
    mask = np.zeros((R, N), dtype=bool)
    mask[rows, cols] = True
    XT = X.T.tocsr() if sparse.issparse(X) else X.T

    def fun(beta: np.ndarray) -> tuple[float, np.ndarray]:
        u_pad = np.zeros((R, N))
        u_pad[rows, cols] = X @ beta
        ll, g_pad = _pl_loglik_grad(u_pad, mask, w)
        g = XT @ g_pad[rows, cols]
        f = -ll + 0.5 * float(penalty @ (beta * beta))
        return f, -g + penalty * beta

    return lbfgs(fun, np.zeros(X.shape[1]))


def lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *, memory: int = 10,
          gtol: float = 1e-5, max_iter: int = 500) -> tuple[np.ndarray, bool]:
    """Minimise a smooth convex function by L-BFGS (two-loop recursion, Armijo backtracking).

    Plain numpy on purpose: scipy's L-BFGS-B calls threaded BLAS on tiny vectors and slows
    down tenfold on a busy machine. Returns (x, converged); converged when the largest
    gradient entry is below ``gtol * max(1, |f|) / len(x)`` or progress stalls.
    """
    x = np.asarray(x0, dtype=np.float64).copy()
    f, g = fun(x)
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    tol = gtol * max(1.0, abs(f))
    for _ in range(max_iter):
        if np.max(np.abs(g)) <= tol:
            return x, True
        q = g.copy()
        alphas = []
        for s_, y_ in zip(reversed(S), reversed(Y)):
            rho = 1.0 / float(y_ @ s_)
            a = rho * float(s_ @ q)
            alphas.append((a, rho))
            q -= a * y_
        if S:
            q *= float(S[-1] @ Y[-1]) / float(Y[-1] @ Y[-1])
        else:
            q *= 1.0 / max(1.0, float(np.max(np.abs(g))))
        for (a, rho), s_, y_ in zip(reversed(alphas), S, Y):
            b = rho * float(y_ @ q)
            q += (a - b) * s_
        d = -q
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            S.clear()
            Y.clear()
            d = -g
            slope = float(g @ d)
        step = 1.0
        for _ls in range(40):
            xn = x + step * d
            fn, gn = fun(xn)
            if fn <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            return x, False
        s_, y_ = xn - x, gn - g
        if float(s_ @ y_) > 1e-12:
            S.append(s_)
            Y.append(y_)
            if len(S) > memory:
                S.pop(0)
                Y.pop(0)
        if abs(f - fn) <= 1e-12 * max(1.0, abs(f)):
            x, f, g = xn, fn, gn
            return x, True
        x, f, g = xn, fn, gn
    return x, False


def _ranked_entries(races: list[RaceResult], reverse: bool = False) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, int]:
    """Per race, the indices of the running cars in finishing order; entry race/column arrays."""
    orders, rows, cols = [], [], []
    for r_idx, r in enumerate(races):
        order = np.argsort(r.finish, kind="stable")
        order = order[~r.dnf[order]]
        orders.append(order[::-1] if reverse else order)
        rows.append(np.full(len(order), r_idx))
        cols.append(np.arange(len(order)))
    N = max((len(o) for o in orders), default=1)
    cat = (lambda a: np.concatenate(a).astype(np.int64)) if orders else (lambda a: np.zeros(0, np.int64))
    return orders, cat(rows), cat(cols), max(N, 1)


def fit_ratings(history: History, config: RatingConfig | None = None) -> RatingFit:
    """Fit the strength model on every complete race in ``history`` (all strictly earlier
    than the race it is meant for). Empty history gives all-zero coefficients."""
    cfg = config or RatingConfig()
    all_races = history.races()
    races = all_races[-cfg.max_races:] if cfg.max_races else all_races
    novice, prior_counts, first_season = _novice_feature(all_races)
    novice = novice[len(all_races) - len(races):]
    form, form_now = _speed_lead_form(all_races)
    form = form[len(all_races) - len(races):]
    if not races:
        return RatingFit(cfg, {}, {}, 0.0, 0, None, prior_counts)
    des = _build_design(races, cfg, novice, form)
    w = race_weights(len(races), cfg.half_life)
    beta, ok = _fit_pl(des.X, des.rows, des.cols, des.R, des.N, w, des.penalty)
    coef = {n: float(b) for n, b in zip(des.names, beta) if n}
    start_coef = {k.split(":", 1)[1]: v for k, v in coef.items() if k.startswith(("s:", "sl:"))}
    return RatingFit(cfg, coef, start_coef, coef.get("novice", 0.0), len(all_races), first_season,
                     prior_counts, ok, form_now)


@dataclass(frozen=True)
class StartOnlyFit:
    """Baseline (a): utility = s_t * (start - 1) / 10, s_t fitted per track type by the same
    weighted Plackett–Luce likelihood. Knows nothing of the drivers."""

    start_coef: dict[str, float]

    def strengths(self, race: UpcomingRace) -> np.ndarray:
        """Utilities for the race's drivers, mean 0."""
        u = self.start_coef.get(race.track_type, 0.0) * (np.asarray(race.start, dtype=np.float64) - 1.0) / 10.0
        return u - u.mean()


def fit_start_only(history: History, config: RatingConfig | None = None) -> StartOnlyFit:
    """Fit baseline (a), start position only, on ``history``."""
    cfg = config or RatingConfig()
    races = history.races()[-cfg.max_races:]
    if not races:
        return StartOnlyFit({})
    orders, rows, cols, N = _ranked_entries(races, cfg.ranking == "reverse")
    X = np.zeros((len(rows), len(TRACK_TYPES)))
    e = 0
    for r, o in zip(races, orders):
        X[e:e + len(o), TRACK_TYPES.index(r.track_type)] = (r.start[o] - 1.0) / 10.0
        e += len(o)
    if cfg.ranking == "reverse":
        X = -X
    beta, _ = _fit_pl(X, rows, cols, len(races), N, race_weights(len(races), cfg.half_life),
                      np.full(X.shape[1], cfg.ridge_other))
    return StartOnlyFit({t: float(b) for t, b in zip(TRACK_TYPES, beta)})


RECENT_RACES = 10


def _recent_average_finish(races: list[RaceResult], upcoming: list[tuple[str, ...]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per race (the past ones, then ``upcoming`` driver lists): each driver's average finish
    over his last RECENT_RACES races before it (NaN without any), computed chronologically."""
    last: dict[str, list[int]] = {}

    def avg(ds: tuple[str, ...]) -> np.ndarray:
        out = np.full(len(ds), np.nan)
        for i, d in enumerate(ds):
            lst = last.get(_norm(d))
            if lst:
                out[i] = sum(lst) / len(lst)
        return out

    past = []
    for r in races:
        past.append(avg(r.drivers))
        for d, f in zip(r.drivers, r.finish.tolist()):
            lst = last.setdefault(_norm(d), [])
            lst.append(f)
            if len(lst) > RECENT_RACES:
                del lst[0]
    return past, [avg(ds) for ds in upcoming]


@dataclass(frozen=True)
class RecentFormFit:
    """Baseline (b): log-strength = -g * (average finish over the driver's last 10 races) / 10,
    with a fitted value ``h`` standing in for a driver without any history. Fitted by the
    same weighted Plackett–Luce likelihood."""

    coef: float
    no_history: float
    history: History

    def strengths(self, race: UpcomingRace) -> np.ndarray:
        """Utilities for the race's drivers, mean 0."""
        _, (avg,) = _recent_average_finish(self.history.races(), [race.drivers])
        u = np.where(np.isnan(avg), self.no_history, self.coef * np.nan_to_num(avg) / 10.0)
        return u - u.mean()


def fit_recent_form(history: History, config: RatingConfig | None = None) -> RecentFormFit:
    """Fit baseline (b), recent average finish, on ``history``."""
    cfg = config or RatingConfig()
    all_races = history.races()
    if not all_races:
        return RecentFormFit(0.0, 0.0, history)
    feats, _ = _recent_average_finish(all_races, [])
    races = all_races[-cfg.max_races:]
    feats = feats[len(all_races) - len(races):]
    orders, rows, cols, N = _ranked_entries(races, cfg.ranking == "reverse")
    X = np.zeros((len(rows), 2))
    e = 0
    for f, o in zip(feats, orders):
        v = f[o]
        X[e:e + len(o), 0] = np.nan_to_num(v) / 10.0
        X[e:e + len(o), 1] = np.isnan(v)
        e += len(o)
    if cfg.ranking == "reverse":
        X = -X
    beta, _ = _fit_pl(X, rows, cols, len(races), N, race_weights(len(races), cfg.half_life),
                      np.full(2, cfg.ridge_other))
    return RecentFormFit(float(beta[0]), float(beta[1]), history)


def blend_strengths(history_strength: np.ndarray, user_strength: np.ndarray, weight: float) -> np.ndarray:
    """``weight * h + (1 - weight) * u``: the weighted average on the log-strength scale of the
    history strengths ``h`` and the user-derived ones ``u`` (each centred first).

    Parameters
    ----------
    history_strength, user_strength : ndarray of shape (n,)
        Log-strengths of the same drivers.
    weight : float
        The history's share, in [0, 1] (the convention of
        ``tailrace.sim.strength.from_history.blend`` and ``--history-weight``): 1 = the history
        alone, 0 = the user's numbers alone.

    Returns
    -------
    ndarray of shape (n,), mean 0
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError("blend weight must lie in [0, 1]")
    h = np.asarray(history_strength, dtype=np.float64)
    p = np.asarray(user_strength, dtype=np.float64)
    return weight * (h - h.mean()) + (1.0 - weight) * (p - p.mean())


def to_strength(u: np.ndarray, start: np.ndarray, params: object) -> np.ndarray:
    """Convert fitted utilities (unit Gumbel noise, start effect included) to the simulator's
    strength scale for one track type's ``TrackTypeParams``.

    The simulator orders running cars by ``strength + start_weight * start_term(start) -
    noise * G``, i.e. by ``(strength + start_weight * start_term) / noise - G``; choosing
    ``strength = noise * u - start_weight * start_term(start)`` makes that exactly ``u - G``.
    """

    noise = float(getattr(params, "noise"))
    w = float(getattr(params, "start_weight"))
    return noise * np.asarray(u, dtype=np.float64) - w * start_term(np.asarray(start))


def history_strengths(history: History, race: UpcomingRace, params: object | None = None,
                      config: RatingConfig | None = None) -> np.ndarray:
    """Simulator strengths for an upcoming race from the history before it: fit the ratings,
    then convert with the race's track-type parameters (``params``: a ``TrackTypeParams`` or
    a table by type; default: fitted on the same history with ``fit_track_type_params``, cached
    on disk by content)."""

    u = fit_ratings(history, config).strengths(race)
    if params is None:
        # lazy: the fitter (sim.params and its fit code) loads only when no parameters are given
        from tailrace.sim.fit_cache import fitted_params

        params = fitted_params(history.to_records())
    p = params if isinstance(params, TrackTypeParams) else params[race.track_type]  # type: ignore[index]
    return to_strength(u, race.start, p)
