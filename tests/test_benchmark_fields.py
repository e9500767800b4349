"""The decision-quality benchmark's own field generators (benchmarks/_fields.py), checked by hand.

They are written without tailrace's field code on purpose, so these tests check them
against probabilities worked out by hand, not against tailrace's sampler.
"""

from __future__ import annotations

import importlib.util
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_fields.py"
if not _PATH.exists():  # pragma: no cover - the benchmarks folder ships with the repository
    pytest.skip("benchmarks/_fields.py is not in this checkout", allow_module_level=True)
_spec = importlib.util.spec_from_file_location("bench_fields", _PATH)
F = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(F)


def test_perturb_keeps_total_zeros_and_has_the_asked_log_sd():
    own = np.concatenate([np.zeros(3), np.linspace(1.0, 60.0, 20_000)])
    out = F.perturb_ownership(own, 0.3, np.random.default_rng(5))
    assert out.sum() == pytest.approx(own.sum(), rel=1e-12)
    assert (out[:3] == 0).all()
    r = np.log(out[3:] / own[3:])
    assert r.std() == pytest.approx(0.3, abs=0.01)  # 20,000 draws: sd of the sd ~ 0.0015
    again = F.perturb_ownership(own, 0.3, np.random.default_rng(5))
    assert again.tobytes() == out.tobytes()
    assert F.perturb_ownership(own, 0.0, np.random.default_rng(5)).tobytes() == own.tobytes()


def _pair_probs(w: np.ndarray) -> dict[tuple[int, int], float]:
    """P(pair) for two drivers drawn one after another, each by weight among those left (by hand)."""
    s = w.sum()
    return {(i, j): w[i] / s * w[j] / (s - w[i]) + w[j] / s * w[i] / (s - w[j]) for i, j in combinations(range(len(w)), 2)}


def test_weighted_field_draws_sequentially_by_weight_and_rejects_illegal_lineups():
    w = np.array([40.0, 30.0, 20.0, 10.0])
    sal = np.array([30, 20, 15, 10])
    n = 60_000
    # no calibration, no duplicate limit: the draw itself
    lu = F.weighted_field(w, sal, 2, 1_000, n, np.random.default_rng(1), floor=0, max_dup=n, rounds=0)
    p = _pair_probs(w / 100.0)
    pairs, cnt = np.unique(lu, axis=0, return_counts=True)
    got = {tuple(int(x) for x in r): c / n for r, c in zip(pairs, cnt)}
    for k, v in p.items():
        assert got.get(k, 0.0) == pytest.approx(v, abs=0.006), k  # SE <= 0.002
    # salary in [30, 40]: legal pairs {0,3}=40, {1,2}=35, {1,3}=30; others thrown away, so the
    # draw is the same distribution conditioned on legality
    lu = F.weighted_field(w, sal, 2, 40, n, np.random.default_rng(2), floor=30, max_dup=n, rounds=0)
    s = sal[lu].sum(axis=1)
    assert ((s >= 30) & (s <= 40)).all()
    legal = {k: v for k, v in p.items() if 30 <= sal[list(k)].sum() <= 40}
    z = sum(legal.values())
    pairs, cnt = np.unique(lu, axis=0, return_counts=True)
    got = {tuple(int(x) for x in r): c / n for r, c in zip(pairs, cnt)}
    assert set(got) == set(legal)
    for k, v in legal.items():
        assert got[k] == pytest.approx(v / z, abs=0.008), k


def test_weighted_field_duplicate_cap_calibration_and_seed():
    sal = np.arange(1_000, 1_000 + 100 * 40, 100)
    own = np.array([90.0, 90.0, 60.0] + [60.0 / 37] * 37)  # 3-driver lineups: {0, 1, 2} very popular
    lu = F.weighted_field(own, sal, 3, 100_000, 1_000, np.random.default_rng(3), floor=0, max_dup=3, rounds=0)
    assert lu.shape == (1_000, 3)
    assert (np.diff(lu, axis=1) > 0).all()  # distinct drivers, rows sorted
    _, cnt = np.unique(lu, axis=0, return_counts=True)
    assert cnt.max() == 3  # without the rule {0, 1, 2} alone takes a large share of the entries
    again = F.weighted_field(own, sal, 3, 100_000, 1_000, np.random.default_rng(3), floor=0, max_dup=3, rounds=0)
    assert again.tobytes() == lu.tobytes()
    # 4 drivers, 2 a lineup: 6 lineups x 3 copies = 18 entries at most
    with pytest.raises(ValueError, match="at most 3 copies"):
        F.weighted_field(np.full(4, 50.0), sal[:4], 2, 100_000, 19, np.random.default_rng(0), floor=0, max_dup=3)
    # calibration brings a realisable file close: 20 drivers, 3 per lineup, target 15 % each,
    # started from weights that are not flat
    sal = sal[:20]
    flat = np.full(20, 15.0)
    lu = F.weighted_field(flat, sal, 3, 100_000, 20_000, np.random.default_rng(4), floor=0, max_dup=20_000)
    got = np.bincount(lu.ravel(), minlength=20) * 100.0 / lu.shape[0]
    assert np.abs(got - 15.0).max() < 1.0  # SE ~ 0.25 points
    # with a salary floor the dear drivers are over-drawn before calibration, near target after
    raw = F.weighted_field(flat, sal, 3, 100_000, 20_000, np.random.default_rng(4), floor=5_200, max_dup=20_000,
                           rounds=0)
    cal = F.weighted_field(flat, sal, 3, 100_000, 20_000, np.random.default_rng(4), floor=5_200, max_dup=20_000)
    gap = [np.abs(np.bincount(x.ravel(), minlength=20) * 100.0 / x.shape[0] - 15.0).max() for x in (raw, cal)]
    assert gap[0] > 5.0 and gap[1] < gap[0] / 2


def test_sharp_field_share_from_optimisers_and_duplicates():
    from itertools import combinations as comb

    n = 20
    sal = np.full(n, 1_000)
    proj = np.linspace(30.0, 10.0, n)
    lineups = np.array(list(comb(range(n), 3)), dtype=np.int64)
    own = np.full(n, 15.0)
    lu = F.sharp_field(own, sal, 3, 10_000, 3_000, np.random.default_rng(9), projections=proj, lineups=lineups,
                       share=1 / 3, user_noise=0.05, n_top=5, floor=0, max_dup=3)
    assert lu.shape == (3_000, 3)
    top5 = {tuple(r) for r in lineups[np.argsort(-proj[lineups].sum(axis=1), kind="stable")[:5]]}
    in_top = np.array([tuple(r) in top5 for r in lu])
    # 1,000 optimiser entries, all in the top 5; the rest hold a top-5 lineup at most 5 x 3 times
    assert 1_000 <= in_top.sum() <= 1_000 + 15
    _, cnt = np.unique(lu, axis=0, return_counts=True)
    assert cnt.max() >= 200  # the best lineup by the public projection is everyone's pick
    again = F.sharp_field(own, sal, 3, 10_000, 3_000, np.random.default_rng(9), projections=proj, lineups=lineups,
                          share=1 / 3, user_noise=0.05, n_top=5, floor=0, max_dup=3)
    assert again.tobytes() == lu.tobytes()
