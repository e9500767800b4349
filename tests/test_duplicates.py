"""Expected duplicates against fields sampled many times, the sharing cost by hand, and max_duplicates."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from tailrace.contest import Contest, Field, PayoutTable, make_contest, sample_field
from tailrace.contest.duplicates import count_copies, field_sample, sharing_cost
from tailrace.errors import InputError
from tailrace.optimize.contest.duplicates import admission, check_max_duplicates, duplicate_sample
from tailrace.optimize.contest_mode import generate_contest_portfolio
from tailrace.optimize.problem import LineupRules

# a small slate: 10 drivers, roster 6 (210 lineups, some chalky), DraftKings-like cap
SAL = np.array([10_500, 9_800, 9_200, 8_700, 8_100, 7_600, 7_000, 6_400, 5_900, 5_200])
OWN = np.array([80, 75, 70, 65, 60, 55, 45, 40, 30, 80], dtype=np.float64)
OWN = OWN * 600 / OWN.sum()
R, CAP = 6, 50_000


def test_count_copies_is_a_direct_count() -> None:
    rng = np.random.default_rng(0)
    sample = np.array([np.sort(rng.choice(8, 3, replace=False)) for _ in range(500)])
    q = np.array([[0, 1, 2], [2, 1, 0], [5, 6, 7], [3, 4, 5]])
    c = Counter(tuple(x) for x in sample.tolist())
    assert count_copies(sample, q, 8).tolist() == [c[(0, 1, 2)], c[(0, 1, 2)], c[(5, 6, 7)], c[(3, 4, 5)]]


PROJ = np.array([52, 47, 45, 41, 36, 35, 30, 26, 22, 30], dtype=np.float64)


@pytest.mark.parametrize("sharpness", [0.0, pytest.param(0.35, marks=pytest.mark.slow)])
def test_expected_duplicates_match_fields_sampled_many_times(sharpness: float) -> None:
    N, draws = 2_000, 60
    contest = make_contest(SAL, R, CAP, field_size=N + 1, ownership=OWN, rng=11, field_sharpness=sharpness,
                           projections=PROJ)
    est = duplicate_sample(contest, SAL, LineupRules(R, CAP), PROJ, seed=3, n_ours=1, size=200_000)
    assert (est.fields is None) == (sharpness == 0)  # a sharp field is counted field by field
    assert not est.exact and est.n_entries == N
    # the independent check: many fields of N entries, each drawn as the contest's own field is, copies counted
    fields = [sample_field(OWN, SAL, R, CAP, N, rng=1000 + k, sharpness=sharpness,
                           projections=PROJ if sharpness else None).lineups for k in range(draws)]
    u, c = np.unique(np.concatenate(fields), axis=0, return_counts=True)
    lus = u[np.argsort(-c, kind="stable")[[0, 1, 2, 5, 10, 20]]]  # chalk to rare
    seen = np.array([count_copies(f, lus, 10) for f in fields], dtype=np.float64)  # (draws, 6)
    mean, se_mean = seen.mean(axis=0), seen.std(axis=0, ddof=1) / math.sqrt(draws)
    e, se = est.expected(lus)
    assert (mean > 1).any(), "some lineups must be duplicated in a field"
    z = np.abs(e - mean) / np.sqrt(se**2 + se_mean**2)
    assert (z < 4).all(), (e, mean, z)
    # and it is not a copy of the check: a lineup no field holds gets 0
    assert est.expected(np.array([[0, 1, 2, 3, 4, 5]]))[0][0] == 0.0  # $53,900: over the cap, never drawn
    np.testing.assert_allclose(e, est.n_entries * count_copies(est.lineups, lus, 10) / est.n_sampled)


def test_a_given_field_is_counted_exactly() -> None:
    lu = np.array([[0, 1, 2], [0, 1, 2], [0, 1, 2], [3, 4, 5]], dtype=np.int32)
    s = field_sample(Field(lu, source="file.csv"), 4, 6)
    e, se = s.expected(np.array([[2, 1, 0], [3, 4, 5], [1, 2, 3]]))
    assert e.tolist() == [3.0, 1.0, 0.0] and se.tolist() == [0.0, 0.0, 0.0]
    assert s.over(1.0).tolist() == [[0, 1, 2]]
    # a limit no lineup exceeds bans nothing (and an empty ban list is no error)
    assert s.over(3.0).shape == (0, 3)
    assert admission(s, 3.0)(np.array([[0, 1, 2], [3, 4, 5]])).tolist() == [True, True]
    assert admission(s, 1.0)(np.array([[0, 1, 2], [3, 4, 5]])).tolist() == [False, True]


def test_sharing_cost_by_hand() -> None:
    # one scenario; our lineup {0,1,2} scores 30 and tops the field (other lineups score at most 12);
    # prizes 100, 50, 20 then nothing. Alone it wins 100; with d copies the d+1 tied entries share
    # places 1..d+1: (100 + 50 + 20) / (d + 1) for d >= 2, 150 / 2 for d = 1.
    pts = np.array([[10, 10, 10, 4, 4, 4, 1, 1]], dtype=np.float32)
    field = Field(np.array([[0, 1, 2], [3, 4, 5], [5, 6, 7], [0, 1, 2], [3, 4, 6]], dtype=np.int32), "x")
    pay = PayoutTable(np.array([100.0, 50.0, 20.0]))
    E = 1.5

    def prize(d: int) -> float:
        return [100.0, 75.0][d] if d < 2 else 170.0 / (d + 1)

    shared = sum(math.exp(-E) * E**d / math.factorial(d) * prize(d) for d in range(60))
    alone, cost = sharing_cost(pts, np.array([[0, 1, 2], [5, 6, 7]]), field, pay, np.array([E, 0.0]))
    assert alone[0] == pytest.approx(100.0)  # the field's own copy of {0,1,2} is left out of "alone"
    assert cost[0] == pytest.approx(100.0 - shared, rel=1e-9)
    assert cost[1] == 0.0  # no expected copies, no cost


def _toy_contest(seed: int = 5):
    rng = np.random.default_rng(seed)
    n, S = 12, 300
    sal = rng.integers(30, 60, n) * 100
    pts = (rng.integers(0, 8, (S, n)) * 0.5 + np.linspace(0, 2, n)).astype(np.float32)
    rules = LineupRules(roster_size=3, salary_cap=14_000)
    # the field: random lineups plus the three best by mean, each entered 4 times (the chalk)
    from tailrace.optimize.lineup import enumerate_feasible

    feas = np.asarray(enumerate_feasible(rules, sal, n)[0], dtype=np.int64)
    best = feas[np.argsort(-pts.mean(axis=0)[feas].sum(axis=1), kind="stable")[:3]]
    rand = np.sort(np.array([rng.choice(n, 3, replace=False) for _ in range(80)]), axis=1)
    lu = np.concatenate([rand, np.repeat(best, 4, axis=0)]).astype(np.int32)
    prizes = np.array([60.0, 30.0, 20.0, 12.0, 12.0, 8.0, 8.0, 8.0, 5.0, 5.0, 5.0, 5.0, 3.0, 3.0, 3.0, 3.0])
    contest = Contest(entry_fee=2.0, field_size=lu.shape[0] + 8, payouts=PayoutTable(prizes),
                      field=Field(lu, source="given"))
    return pts, sal, rules, contest


def test_max_duplicates_keeps_every_lineup_at_or_under_the_limit() -> None:
    pts, sal, rules, contest = _toy_contest()
    sample = duplicate_sample(contest, sal, rules, pts.mean(axis=0), seed=0, n_ours=8)
    assert sample.exact
    free = generate_contest_portfolio(pts, sal, rules, 8, contest, max_exposure=0.6, cap_place=1)
    e_free, _ = sample.expected(free.lineups)
    assert e_free.max() > 1, "without the limit the chalk is picked (else this test proves nothing)"
    port = generate_contest_portfolio(pts, sal, rules, 8, contest, max_exposure=0.6, cap_place=1,
                                      admit=admission(sample, 1.0))
    e, _ = sample.expected(port.lineups)
    assert len(port.lineups) == 8 and e.max() <= 1.0
    cv = generate_contest_portfolio(pts, sal, rules, 8, contest, max_exposure=0.6, admit=admission(sample, 1.0))
    assert sample.expected(cv.lineups)[0].max() <= 1.0  # the cross-validated road (fold pools, refills) too


@pytest.mark.parametrize("bad", [-1, float("nan"), "two", True, float("inf")])
def test_max_duplicates_must_be_a_number_at_least_zero(bad) -> None:
    with pytest.raises(InputError, match="max duplicates"):
        check_max_duplicates(bad)
