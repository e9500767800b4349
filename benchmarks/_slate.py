"""Slates for the optimiser benchmarks: the simulated demo slate, or a seeded synthetic one.

``demo_points`` simulates the bundled demo slate (38 drivers at Kansas) with tailrace's race
model: the realistic case. ``make_slate`` builds a 40-driver matrix from a simple race model
(kept so figures stay comparable with earlier runs): each scenario ranks 40 drivers by skill
+ a shared "track type" factor + heavy-tailed (Student t, 3 dof) noise + occasional wrecks;
finish positions are scored with DraftKings' rules (tailrace.sites.DRAFTKINGS: finish
points, place differential, laps led, fastest laps), laps led and fastest laps going mostly
to the front runners. Salaries follow skill, DraftKings style ($4,500–$11,000, cap $50,000).
"""

from __future__ import annotations

import numpy as np

from tailrace.sites import DRAFTKINGS


def make_slate(n: int = 40, n_scenarios: int = 10_000, seed: int = 2026, laps: int = 267):
    """(points float32 (S, n), salaries int64 (n,)) for a seeded synthetic 40-car race."""
    rng = np.random.default_rng(seed)
    skill = np.sort(rng.normal(0.0, 1.0, n))[::-1] * 1.2
    start = rng.permutation(n) + 1
    start = np.argsort(np.argsort(-skill + rng.normal(0, 0.8, n))) + 1  # qualifying ~ skill
    loading = rng.normal(0.0, 0.6, n)
    S = n_scenarios
    factor = rng.normal(0.0, 1.0, (S, 1))
    perf = skill[None, :] + loading[None, :] * factor + rng.standard_t(3, (S, n)) * 0.9
    wreck = rng.random((S, n)) < 0.08
    perf = np.where(wreck, perf - 6.0 - rng.exponential(2.0, (S, n)), perf)
    finish = np.argsort(np.argsort(-perf, axis=1), axis=1) + 1
    # laps led: a Dirichlet split among the top few performers of each scenario
    order = np.argsort(-perf, axis=1)
    share = rng.dirichlet(np.full(6, 0.6), S)
    led = np.zeros((S, n))
    rows = np.arange(S)[:, None]
    led[rows, order[:, :6]] = np.floor(share * laps)
    fast = np.zeros((S, n))
    fshare = rng.dirichlet(np.full(10, 0.8), S)
    fast[rows, order[:, :10]] = np.floor(fshare * laps * 0.45)
    pts = DRAFTKINGS.score(np.broadcast_to(start, (S, n)), finish, led, fast)
    sal = np.round((4500 + (skill - skill.min()) / (skill.max() - skill.min()) * 6500
                    + rng.normal(0, 300, n)) / 100) * 100
    sal = np.clip(sal, 4500, 11000).astype(np.int64)
    return pts.astype(np.float32), sal


def demo_points(n_scenarios: int = 10_000, seed: int = 7):
    """(points float32 (S, 38), salaries int64) of the demo slate simulated by tailrace.sim."""
    from tailrace.sim.simulate import simulate
    from tailrace.slate import demo_slate

    slate = demo_slate()
    sc = simulate(slate, n_scenarios, seed)
    return np.asarray(sc.points, np.float32), np.asarray(slate.salaries(), np.int64)


def load(kind: str):
    """(points, salaries, description) for --slate demo|synthetic."""
    if kind == "demo":
        p, s = demo_points()
        return p, s, "simulated demo slate (38 drivers, Kansas, tailrace.sim, seed 7)"
    p, s = make_slate()
    return p, s, "synthetic slate (benchmarks/_slate.py, 40 drivers)"

