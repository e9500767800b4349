"""Scenario generators from model families unlike tailrace's race simulator (decision_quality.py).

tailrace's simulator races cars lap by lap (Plackett-Luce-style finishing order from
strengths, laps led / fastest laps apportioned among the fast cars, DNFs) and scores the
outcomes with DraftKings' rules. The generators here draw DraftKings-like *point totals*
directly, with no race underneath, so a method tuned to tailrace's own generator gains
nothing from it. Both return float32 matrices (n_scenarios, n_drivers); the same seed gives
the same matrix. The decision-quality benchmark draws the optimisation scenarios with one
seed and the judging scenarios with another, and the projections the field's ownership is
modelled from with a third.

``gaussian_dominator`` (family (a)): correlated Gaussian driver scores plus a laps-led
"dominator" mixture.

* Drivers keep the demo slate's salaries and teams. Driver ``i`` with salary rank ``r``
  (0 = dearest, of ``n``) has a base mean ``mu_i = 12 + 33 (1 - r/(n-1))^1.5`` points
  (45 for the dearest, 12 for the cheapest) and sd ``6 + 0.25 mu_i`` (sd grows with the mean).
* Base scores are Gaussian with correlation ``rho_team = 0.3`` between teammates (a shared
  N(0, 1) team factor with weight sqrt(0.3) plus an own N(0, 1) with weight sqrt(0.7));
  drivers on different teams are independent.
* A dominance pool of ``T = 100`` points (laps led + fastest laps) is shared each scenario.
  1 or 2 dominators (probability 1/2 each) are drawn without replacement with probability
  proportional to ``mu_i^3``; each gets a bonus Uniform(25, 45). The rest of the pool,
  ``T - sum(bonuses)`` (10 to 75 points), is split among the other drivers in proportion to
  ``mu_i^3``: when the dominators take more, everyone else's laps-led points shrink.
* Score = base + dominance share, floored at -10.

``gamma_chaos`` (family (b)): gamma scores with a common race-chaos factor and wrecks.

* Driver strength ``q_i`` = the ``i``-th of ``n`` evenly spaced quantiles of a log-normal
  (sigma 0.4), shuffled by ``seed_slate``; mean score ``m_i = 30 q_i / mean(q)`` points.
* Salaries follow strength only loosely (a different salary structure from the demo): rank
  of ``log q_i + N(0, 0.25)`` mapped onto a linear $4,800-$10,800 ladder in $100 steps.
* Per scenario a chaos factor ``F ~ N(0, 1)`` is shared by every driver. Driver ``i``'s
  score is ``Gamma(shape 5, scale m_i / 5) * exp(0.2 clip(F, -2.5, 2.5) l_i - 0.02)`` with
  loading ``l_i = -z(log q_i)`` (chaos helps the weak cars and hurts the strong: place
  differential).
* Wrecks: ``W ~ Poisson(1 + 4 max(F, 0))`` drivers, chosen uniformly at random, each lose
  ``20 + Exponential(mean 10)`` points. Score clipped to [-5, 130].
"""

from __future__ import annotations

import numpy as np

ROSTER = 6


def gaussian_dominator(salaries: np.ndarray, teams: list[str | None], n_scenarios: int, seed: int,
                       *, rho_team: float = 0.3, pool: float = 100.0) -> np.ndarray:
    """Family (a): correlated Gaussian scores + 1-2 dominators per scenario (see module docstring)."""
    sal = np.asarray(salaries, dtype=np.float64)
    n = sal.shape[0]
    rank = np.argsort(np.argsort(-sal, kind="stable"), kind="stable")
    mu = 12.0 + 33.0 * (1.0 - rank / (n - 1)) ** 1.5
    sd = 6.0 + 0.25 * mu
    names = [t if t else f"_solo{i}" for i, t in enumerate(teams)]
    uniq = sorted(set(names))
    team_of = np.array([uniq.index(t) for t in names])
    rng = np.random.default_rng(seed)
    S = int(n_scenarios)
    tf = rng.standard_normal((S, len(uniq)))
    own = rng.standard_normal((S, n))
    z = np.sqrt(rho_team) * tf[:, team_of] + np.sqrt(1.0 - rho_team) * own
    base = mu[None, :] + sd[None, :] * z
    w = mu**3
    p = w / w.sum()
    k = np.where(rng.random(S) < 0.5, 1, 2)
    # draws without replacement by probability p: Gumbel top-k
    g = np.log(p)[None, :] + rng.gumbel(size=(S, n))
    order = np.argsort(-g, axis=1)
    is_dom = np.zeros((S, n), dtype=bool)
    rows = np.arange(S)
    is_dom[rows, order[:, 0]] = True
    two = k == 2
    is_dom[rows[two], order[two, 1]] = True
    bonus = np.where(is_dom, rng.uniform(25.0, 45.0, (S, n)), 0.0)
    rest = pool - bonus.sum(axis=1)
    wn = np.where(is_dom, 0.0, w[None, :])
    share = rest[:, None] * wn / wn.sum(axis=1, keepdims=True)
    return np.maximum(base + bonus + share, -10.0).astype(np.float32)


def gamma_chaos_slate(n: int, seed_slate: int) -> tuple[np.ndarray, np.ndarray]:
    """Family (b)'s slate: (mean score m (n,), salaries int64 (n,)) — see module docstring."""
    from scipy.stats import norm

    rng = np.random.default_rng(seed_slate)
    q = np.exp(0.4 * norm.ppf((np.arange(n) + 0.5) / n))
    q = q[rng.permutation(n)]
    m = 30.0 * q / q.mean()
    noisy = np.log(q) + rng.normal(0.0, 0.25, n)
    r = np.argsort(np.argsort(noisy))  # 0 = weakest
    ladder = np.round(np.linspace(4800, 10800, n) / 100.0) * 100.0
    return m, ladder[r].astype(np.int64)


def gamma_chaos(mean: np.ndarray, n_scenarios: int, seed: int, *, shape: float = 5.0,
                chaos: float = 0.2) -> np.ndarray:
    """Family (b): gamma scores x common chaos factor, minus wrecks (see module docstring)."""
    m = np.asarray(mean, dtype=np.float64)
    n = m.shape[0]
    lq = np.log(m)
    load = -(lq - lq.mean()) / lq.std()
    rng = np.random.default_rng(seed)
    S = int(n_scenarios)
    F = rng.standard_normal(S)
    x = rng.gamma(shape, m[None, :] / shape, (S, n)) * np.exp(chaos * np.clip(F, -2.5, 2.5)[:, None] * load[None, :] - chaos**2 / 2)
    W = np.minimum(rng.poisson(1.0 + 4.0 * np.maximum(F, 0.0)), n)
    # W random drivers per scenario: the W smallest of n uniforms
    u = rng.random((S, n))
    kth = np.sort(u, axis=1)
    thr = np.where(W > 0, kth[np.arange(S), np.maximum(W - 1, 0)], -1.0)
    wreck = u <= thr[:, None]
    loss = 20.0 + rng.exponential(10.0, (S, n))
    x = np.where(wreck, x - loss, x)
    return np.clip(x, -5.0, 130.0).astype(np.float32)
