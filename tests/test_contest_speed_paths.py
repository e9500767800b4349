"""Contest mode's faster paths (issue 25) give the very same numbers as the plain computations.

The lineup bounds that reuse the sorted enumeration's partial sums, the held-out judging that
reads the portfolio's columns in place, and the stages run side by side on a helper thread
(``optimize.contest.overlap``) are each checked against an independent computation: the sums
formed afresh lineup by lineup and ``ndarray.max``'s first-to-last walk, a brute-force ranking
of our lineups among themselves and the field, and the same portfolio computed one stage
after the other (``TAILRACE_SERIAL``).
"""

from __future__ import annotations

import threading
from itertools import combinations

import numpy as np
import pytest

from tailrace.contest import make_contest
from tailrace.contest.simulate import standings_kernel
from tailrace.optimize.contest.cv import _portfolio_payouts
from tailrace.optimize.contest.overlap import concurrent_ok, in_background
from tailrace.optimize.contest.pool import _lineup_best
from tailrace.optimize.contest_mode import generate_contest_portfolio
from tailrace.optimize.problem import LineupRules


def _max_first_to_last(x: np.ndarray) -> float:
    """``ndarray.max`` as a plain walk: the first NaN met, else the first of the largest values."""
    best = x[0]
    for v in x:
        if np.isnan(v):
            return v
        if np.isnan(best):
            return best
        if v > best:
            best = v
    return best


def _lineup_best_afresh(lu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each lineup's column sums formed from scratch, left to right, then its first-to-last maximum."""
    out = np.empty(lu.shape[0])
    for i, row in enumerate(lu):
        acc = w[row[0]].copy()
        for d in row[1:]:
            acc = acc + w[d]
        out[i] = _max_first_to_last(acc)
    return out


@pytest.mark.parametrize("r,n", [(1, 9), (3, 11), (6, 16)])
def test_lineup_best_equals_summing_each_lineup_afresh(r: int, n: int) -> None:
    rng = np.random.default_rng(r * 100 + n)
    lu = np.array(list(combinations(range(n), r)), dtype=np.uint8)  # sorted, as the enumeration is
    # then some rows out of order and a repeated row: the partial sums must not leak between lineups
    extra = lu[rng.permutation(lu.shape[0])[:50]]
    lu = np.ascontiguousarray(np.concatenate([lu, extra, extra[:3]], axis=0))
    w = np.ascontiguousarray(rng.normal(30.0, 12.0, size=(n, 23)))
    got = _lineup_best(lu, w)
    want = _lineup_best_afresh(lu, w)
    assert lu.shape[0] > 4096 or r < 6  # 16 choose 6 crosses the kernel's block of 4,096 lineups
    assert got.tobytes() == want.tobytes()


def test_lineup_best_keeps_nan_and_the_sign_of_a_zero_maximum() -> None:
    n, K = 7, 9
    w = np.ones((n, K))
    w[0] = -0.0  # lineups of drivers 0 and 1 only: every column sums to zero
    w[1] = -0.0
    w[1, 4] = 0.0  # ... +0.0 in column 4, after -0.0 in columns 0-3: the first largest is -0.0
    w[5, 2] = np.nan
    lu = np.ascontiguousarray(np.array(list(combinations(range(n), 2)), dtype=np.uint8))
    got = _lineup_best(lu, w)
    want = _lineup_best_afresh(lu, w)
    assert got.tobytes() == want.tobytes()
    z = int(np.nonzero((lu == [0, 1]).all(axis=1))[0][0])
    assert got[z] == 0.0 and np.signbit(got[z])  # -0.0 + 0.0 = +0.0 in column 4 comes later, not larger
    assert np.isnan(got[(lu == 5).any(axis=1)]).all()
    assert np.isfinite(got[~(lu == 5).any(axis=1)]).all()


@pytest.mark.parametrize("nan", [False, True])
def test_lineup_best_of_several_tables_equals_each_table_afresh(nan: bool) -> None:
    """Several weight tables in one walk (``_lineup_best_segments``): each column the table's own
    bounds formed from scratch, bit for bit, zero signs and NaNs (in another table) included."""
    from tailrace.optimize.contest.pool import _lineup_best_of

    rng = np.random.default_rng(11 + nan)
    n = 15
    lu = np.ascontiguousarray(np.array(list(combinations(range(n), 6)), dtype=np.uint8))  # 5,005: two blocks
    ws = [rng.normal(30.0, 12.0, size=(K, n)) for K in (5, 1, 23, 8)]
    ws[1][0, :] = 0.0
    ws[1][0, [0, 1]] = -0.0  # lineups of drivers 0 and 1 plus zeros elsewhere: a signed-zero maximum
    ws[3][:] = -1.0
    ws[3][0] = -0.0  # table 3: column 0 sums to -0.0, column 1 to +0.0, the rest below zero; the
    ws[3][1] = 0.0  # first of the largest is -0.0 (+0.0 comes later and is not larger)
    if nan:
        ws[2][4, 3] = np.nan  # a NaN in table 2 only: the other tables as without it
    got = _lineup_best_of(lu, ws)
    assert got.shape == (lu.shape[0], 4)
    for li, w in enumerate(ws):
        want = _lineup_best_afresh(lu, np.ascontiguousarray(w.T))
        assert np.ascontiguousarray(got[:, li]).tobytes() == want.tobytes()
        assert np.ascontiguousarray(got[:, li]).tobytes() == _lineup_best(lu, np.ascontiguousarray(w.T)).tobytes()
    assert np.isnan(got[:, 2]).any() == nan
    assert (got[:, 3] == 0.0).all() and np.signbit(got[:, 3]).all()
    assert _lineup_best_of(lu, []).shape == (lu.shape[0], 0)


def _payout_brute(above, tied, keys, cols, cum) -> np.ndarray:
    """Per scenario, the portfolio's total payout: each lineup below its field entries and our
    lineups with a higher score, its place shared with the field's and our ties."""
    P = cum.shape[0] - 1
    out = np.zeros(above.shape[0])
    for s in range(above.shape[0]):
        k = keys[s, cols]
        for e, c in enumerate(cols):
            a = int(above[s, c]) + int((k > k[e]).sum())
            t = int(tied[s, c]) - 1 + int((k == k[e]).sum())
            lo, hi = min(a, P), min(a + t, P)
            out[s] += (cum[hi] - cum[lo]) / t
    return out


def test_judging_reads_the_portfolios_columns_in_place() -> None:
    rng = np.random.default_rng(5)
    S, n, roster = 120, 12, 4
    points = (rng.integers(-4, 30, size=(S, n)) * 0.5).astype(np.float32)  # coarse: ties among ours too
    field = np.sort(np.array([rng.choice(n, roster, replace=False) for _ in range(300)]), axis=1)
    fu, fc = np.unique(field, axis=0, return_counts=True)
    union = np.unique(np.sort(np.array([rng.choice(n, roster, replace=False) for _ in range(40)]), axis=1), axis=0)
    a, t, k = standings_kernel(points, union.astype(np.int32), fu.astype(np.int32), fc.astype(np.int64), False)
    cum = np.concatenate([[0.0], np.cumsum([50.0, 20.0, 10.0, 6.0, 6.0, 4.0] + [2.0] * 30)])
    for cols in (np.arange(0, union.shape[0], 2), rng.permutation(union.shape[0])[:15], np.array([3])):
        cols = cols.astype(np.int64)
        got = _portfolio_payouts(a, t, k, cols, cum)
        want = _payout_brute(a, t, k, cols, cum)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
        assert (want > 0).any()


def test_in_background_returns_the_value_or_raises_its_error(monkeypatch) -> None:
    main = threading.get_ident()
    assert in_background(lambda: 41 + 1).result() == 42
    job = in_background(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        job.result()
    monkeypatch.setenv("TAILRACE_SERIAL", "1")
    assert not concurrent_ok()
    assert in_background(threading.get_ident).result() == main  # serial: run at once, on this thread
    monkeypatch.delenv("TAILRACE_SERIAL")
    if concurrent_ok():  # omp or tbb: a helper thread
        assert in_background(threading.get_ident).result() != main
    assert in_background(threading.get_ident, allowed=False).result() == main


def _fingerprint(port) -> tuple:
    return (port.lineups.tobytes(), port.marginal_ev.tobytes(), port.exposures.tobytes(), port.n_candidates,
            port.cap_place, port.cv_scores, port.cv_folds, port.roi_estimate, port.roi_interval,
            port.estimate_note, port.cv_by_field, port.cv_field_models)


def test_side_by_side_stages_give_the_same_portfolio_as_one_after_the_other(monkeypatch) -> None:
    """The fields, the folds, the judges and the final standings on a helper thread: same bytes."""
    from tailrace.sim.simulate import simulate as simulate_races
    from tailrace.slate import demo_slate

    slate = demo_slate()
    keep = np.arange(0, slate.n, 2)  # every other demo driver: a small enumeration, a fast test
    pts = np.ascontiguousarray(np.asarray(simulate_races(slate, 400, 3).points, dtype=np.float32)[:, keep])
    sal = np.asarray(slate.salaries(), np.int64)[keep]
    rules = LineupRules(roster_size=6, salary_cap=50_000)
    contest = make_contest(sal, 6, 50_000, entry_fee=5.0, field_size=1_500,
                           projections=pts.mean(axis=0, dtype=np.float64), rng=4)
    kw = dict(max_exposure=0.5, seed=2, cv_caps=(3, 1, 0))
    side = generate_contest_portfolio(pts, sal, rules, 12, contest, **kw)
    monkeypatch.setenv("TAILRACE_SERIAL", "1")
    serial = generate_contest_portfolio(pts, sal, rules, 12, contest, **kw)
    assert side.cv_scores is not None and side.roi_estimate is not None
    assert _fingerprint(side) == _fingerprint(serial)


def test_top_by_is_argpartitions_answer_with_or_without_ties() -> None:
    """The pool's top-k in one pass (``_top_k_desc``) gives argpartition's indices in stable
    descending order; on ties (inside the k or at its edge), NaNs, -inf and signed zeros it
    declines and argpartition decides, as before."""
    from tailrace.optimize.contest.pool import _top_by, _top_k_desc

    def reference(values: np.ndarray, k: int) -> np.ndarray:
        k = min(k, values.shape[0])
        idx = np.argpartition(-values, k - 1)[:k]
        return idx[np.argsort(-values[idx], kind="stable")]

    rng = np.random.default_rng(8)
    declined = {True: 0, False: 0}
    for t in range(2000):
        M = int(rng.integers(1, 50))
        k = int(rng.integers(1, M + 3))
        kind = t % 4
        x = rng.integers(0, 6 if kind == 0 else 10**6, size=M).astype(np.float64)
        if kind == 2:
            x[rng.random(M) < 0.3] = -np.inf
        if kind == 3:
            x[rng.integers(M)] = np.nan if t % 8 == 3 else -0.0
            x[rng.integers(M)] = 0.0
        assert np.array_equal(_top_by(x, k), reference(x, k))
        top, ok = _top_k_desc(x, min(k, M))
        vals = np.sort(x)[::-1]
        kk = min(k, M)
        unique = not np.isnan(x).any() and len(set(vals[:kk].tolist())) == kk and (kk == M or vals[kk - 1] > vals[kk])
        assert ok == unique  # declines exactly when the answer is not the only one
        if ok:
            assert np.array_equal(top, np.argsort(-x, kind="stable")[:kk])
        declined[ok] += 1
    assert declined[True] > 300 and declined[False] > 300  # both paths taken
    big = rng.normal(size=200_000)
    assert np.array_equal(_top_by(big, 5000), reference(big, 5000)) and _top_k_desc(big, 5000)[1]
