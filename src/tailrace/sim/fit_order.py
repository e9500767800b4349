"""The finishing-order fits: reversed Plackett–Luce MLE of the performance model, the start-only
model's curve (``_fit_start_curve``) and the rank-correlation match of the start effect
(``_match_spearman``)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tailrace.numeric import bisect_increasing
from tailrace.sim.pool_model import _desc_rank
from tailrace.sim.track_params import RaceRecord, pool_start_term, start_curve_term, start_term


# ---------------------------------------------------------------- Plackett–Luce pieces


def _pl_nll(theta: np.ndarray, X: np.ndarray, mask: np.ndarray) -> float:
    """Negative reversed-PL log-likelihood; X (races, slots, k) covariates worst-first, mask valid.

    Reversed Plackett–Luce: last place is chosen first with probability proportional to
    exp(-u), the next-to-last from the rest, and so on (perf = u - Gumbel).
    """
    u = -(X @ theta)
    u = np.where(mask, u, -np.inf)
    lse = np.logaddexp.accumulate(u[:, ::-1], axis=1)[:, ::-1]
    return float(-np.sum(np.where(mask, u, 0.0) - np.where(mask, lse, 0.0)))


def minimize(*args, **kwargs):
    """``scipy.optimize.minimize``, imported on first use: only the fits need it, and importing it
    costs a simulation or a solve about 0.15 s of start-up."""
    from scipy.optimize import minimize as _minimize

    return _minimize(*args, **kwargs)


def _pl_fit(X: np.ndarray, mask: np.ndarray, x0: np.ndarray) -> np.ndarray:
    res = minimize(_pl_nll, x0, args=(X, mask), method="L-BFGS-B")
    return np.asarray(res.x, dtype=np.float64)


def _ordered_running(rec: RaceRecord, cols: list[np.ndarray], slots: int) -> tuple[np.ndarray, np.ndarray]:
    run = ~np.asarray(rec.dnf, dtype=bool)
    order = np.argsort(-np.asarray(rec.finish)[run], kind="stable")  # worst first
    X = np.zeros((slots, len(cols)))
    m = np.zeros(slots, dtype=bool)
    k = int(run.sum())
    for j, c in enumerate(cols):
        X[:k, j] = np.asarray(c, dtype=np.float64)[run][order]
    m[:k] = True
    return X, m


def _driver_proxy(records: list[RaceRecord]) -> list[np.ndarray]:
    """Leave-one-race-out driver form: shrunk mean of log((n+1)/finish) over the driver's other races."""
    tot: dict[str, float] = defaultdict(float)
    cnt: dict[str, int] = defaultdict(int)
    scores = []
    for r in records:
        n = len(r.finish)
        x = np.log((n + 1.0) / np.asarray(r.finish, dtype=np.float64))
        x = x - x.mean()
        scores.append(x)
        for d, v in zip(r.drivers or (), x):
            tot[d] += float(v)
            cnt[d] += 1
    out = []
    for r, x in zip(records, scores):
        q = np.array([(tot[d] - v) / (cnt[d] - 1 + 3.0) for d, v in zip(r.drivers or (), x)])
        out.append(q)
    return out


START_BUCKETS: tuple[tuple[int, int], ...] = ((1, 5), (6, 10), (11, 18), (19, 25), (26, 32), (33, 10**6))


def _fit_start_curve(rs: list[RaceRecord], b_init: float, rng: np.random.Generator,
                     reps_total: int = 2400) -> tuple[float, float, float]:
    """Start-only utility ``b1 * start_term + b2 * start_curve_term + b3 * pool_start_term``
    (unit noise), monotone in start, whose mean finish by start bucket matches the real one.

    Every race is replayed ``reps`` times as the simulator orders it: running cars by
    ``u + log(E)`` (minus a Gumbel) ahead of the real DNFs, which keep their laps completed
    (common random numbers, Nelder–Mead on the squared misses of the six buckets, in places,
    plus a penalty on any rise of the curve along starts 1..43). Returns ``(b1, b2, b3)``.
    """
    slots = max(len(r.finish) for r in rs)
    reps = max(4, -(-reps_total // len(rs)))
    nrow = len(rs) * reps
    st = np.ones((nrow, slots))
    valid = np.zeros((nrow, slots), dtype=bool)
    run = np.zeros((nrow, slots), dtype=bool)
    lc = np.zeros((nrow, slots))
    real_sum = np.zeros(len(START_BUCKETS))
    real_cnt = np.zeros(len(START_BUCKETS))
    for k, r in enumerate(rs):
        n = len(r.finish)
        sl = slice(k * reps, (k + 1) * reps)
        st[sl, :n], valid[sl, :n] = r.start, True
        run[sl, :n], lc[sl, :n] = ~np.asarray(r.dnf, dtype=bool), r.laps_completed
        for b, (lo, hi) in enumerate(START_BUCKETS):
            m = (np.asarray(r.start) >= lo) & (np.asarray(r.start) <= hi)
            real_sum[b] += float(np.asarray(r.finish)[m].sum())
            real_cnt[b] += int(m.sum())
    keep = real_cnt > 0
    target = real_sum[keep] / real_cnt[keep]
    # each bucket's entries as flat indices (row-major, as a boolean mask picks them: the same
    # values in the same order, so the same means)
    bucket_idx = [np.flatnonzero(valid & (st >= lo) & (st <= hi)) for (lo, hi), k in zip(START_BUCKETS, keep) if k]
    basis = (start_term, start_curve_term, pool_start_term)
    xs = [f(st) for f in basis]
    grid = np.arange(1.0, 44.0)
    gx = np.stack([f(grid) for f in basis])  # (3, 43)
    loge = np.log(rng.standard_exponential((nrow, slots)))
    n_valid = valid.sum(axis=1, keepdims=True)

    def loss(z: np.ndarray) -> float:
        # monotone: a later start is never an advantage (penalty on any rise along starts 1..43)
        rise = np.maximum(np.diff(z @ gx), 0.0).sum()
        u = z[0] * xs[0] + z[1] * xs[1] + z[2] * xs[2]
        perf = np.where(valid, u + loge, -np.inf)
        prank = _desc_rank(perf, ordered=False)
        key = np.where(run, 1e6 + perf, lc + 0.5 * (1.0 - prank / (n_valid + 1.0)))
        fin = _desc_rank(np.where(valid, key, -np.inf), ordered=False).ravel()
        got = np.array([fin[ix].mean() for ix in bucket_idx])
        return float(np.sum((got - target) ** 2) + 1e3 * rise)

    z0 = np.array([b_init, 0.0, 0.0])
    res = minimize(loss, z0, method="Nelder-Mead",
                   options={"maxiter": 240, "xatol": 1e-3, "fatol": 1e-3,
                            "initial_simplex": np.vstack([z0, z0 + [0.2, 0.0, 0.0], z0 + [0.0, 0.05, 0.0],
                                                          z0 + [0.0, 0.0, 0.1]])})
    return float(res.x[0]), float(res.x[1]), float(res.x[2])


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ra = np.argsort(np.argsort(a, axis=-1), axis=-1).astype(np.float64)
    rb = np.argsort(np.argsort(b, axis=-1), axis=-1).astype(np.float64)
    ra -= ra.mean(axis=-1, keepdims=True)
    rb -= rb.mean(axis=-1, keepdims=True)
    den = np.sqrt((ra * ra).sum(axis=-1) * (rb * rb).sum(axis=-1))
    return np.where(den > 0, (ra * rb).sum(axis=-1) / np.where(den > 0, den, 1.0), 0.0)


def _match_spearman(rs: list[RaceRecord], b_init: float, rng: np.random.Generator, reps: int = 24) -> float:
    """Start weight (per unit of start_term, noise 1) whose simulated running-car Spearman matches the real one."""
    groups: dict[int, list[np.ndarray]] = defaultdict(list)
    real = []
    for r in rs:
        run = ~np.asarray(r.dnf, dtype=bool)
        st = np.asarray(r.start, dtype=np.float64)[run]
        if len(st) < 3:
            continue
        groups[len(st)].append(st)
        real.append(_spearman_rows(st, np.asarray(r.finish, dtype=np.float64)[run]))
    if not real:
        return b_init
    target = float(np.mean(real))
    prepared = []
    for k, sts in sorted(groups.items()):
        st = np.stack(sts)[:, None, :]  # (races, 1, k)
        ra = np.argsort(np.argsort(st, axis=-1), axis=-1).astype(np.float64)
        ra -= ra.mean(axis=-1, keepdims=True)
        d = np.log(rng.standard_exponential((st.shape[0], reps, k)))  # minus a Gumbel
        prepared.append((start_term(st), ra, d, float((ra[0, 0] ** 2).sum())))

    def rho(b: float) -> float:
        tot, cnt = 0.0, 0
        for x, ra, d, ss in prepared:
            rb = np.argsort(np.argsort(-(b * x + d), axis=-1), axis=-1).astype(np.float64)
            rb -= rb.mean(axis=-1, keepdims=True)
            tot += float(((ra * rb).sum(axis=-1) / ss).sum())
            cnt += rb.shape[0] * rb.shape[1]
        return tot / cnt

    lo, hi = 0.0, max(4.0 * b_init, 1.0)
    if rho(hi) < target:
        return hi
    return bisect_increasing(rho, target, lo, hi, 14)
