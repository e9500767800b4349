"""Contest mode's paid-standings kernel and the greedy's fast paths against brute force and the older routines."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.contest.simulate import grid_points
from tailrace.optimize.contest.standings import paid_standings_grid
from tailrace.optimize.contest.paid import _Paid, _standings
from tailrace.optimize.contest.selection import _eval_alone, _eval_many, _insert, _row_prefix


def _case(seed: int, roster: int, n_field: int, n_cands: int = 60, S: int = 150, n: int = 12):
    rng = np.random.default_rng(seed)
    # site-scored points: multiples of 0.05, some negative, few distinct values so ties are common
    points = (rng.integers(-20, 60, size=(S, n)) * 0.25).astype(np.float32)
    field = np.array([rng.choice(n, roster, replace=False) for _ in range(n_field)]).reshape(-1, roster)
    field = np.sort(field, axis=1)
    fu, fc = np.unique(field, axis=0, return_counts=True)
    cands = np.sort(np.array([rng.choice(n, roster, replace=False) for _ in range(n_cands)]), axis=1)
    cands = np.unique(cands, axis=0)
    return points, cands.astype(np.int32), fu.astype(np.int32), fc.astype(np.int64)


def _brute(points, cands, fu, fc, n_paid):
    """Per candidate (then scenario ascending): (scenario, field above, field tied, key), by plain loops."""
    g = np.rint(points.astype(np.float64) * 20).astype(np.int64)  # grid units, exact here
    out = []
    for c in range(cands.shape[0]):
        for s in range(points.shape[0]):
            v = g[s, cands[c]].sum()
            f = g[s][fu].sum(axis=1)
            above = int(fc[f > v].sum())
            tied = int(fc[f == v].sum())
            if above < n_paid:
                out.append((c, s, above, tied, v * 500))
    return out


@pytest.mark.parametrize("roster,n_field,n_paid", [(6, 400, 60), (5, 300, 45), (6, 40, 500), (6, 0, 10)])
def test_paid_standings_match_brute_force(roster: int, n_field: int, n_paid: int) -> None:
    points, cands, fu, fc = _case(roster * 1000 + n_field, roster, n_field)
    g = grid_points(points, roster)
    assert g is not None
    cptr, row, fa, ft, key = paid_standings_grid(g, cands, fu, fc, n_paid, chunk=7)
    got = [(c, int(row[e]), int(fa[e]), int(ft[e]), int(key[e]))
           for c in range(cands.shape[0]) for e in range(cptr[c], cptr[c + 1])]
    want = _brute(points, cands, fu, fc, n_paid)
    assert got == want
    assert (row.dtype, fa.dtype, ft.dtype, key.dtype) == (np.int64, np.int32, np.int32, np.int64)
    if n_paid > n_field:  # fewer entries than paid places: every candidate paid everywhere
        assert cptr[-1] == cands.shape[0] * points.shape[0]


def test_paid_standings_equal_the_older_routine() -> None:
    """The same arrays ``_Paid`` built from the measure's grid kernel (``_standings``), bit for bit."""
    points, cands, fu, fc = _case(7, 6, 600, n_cands=200, S=300, n=14)
    old = _Paid.compute(points, cands, fu, fc, 90)
    cptr, row, fa, ft, key = paid_standings_grid(grid_points(points, 6), cands, fu, fc, 90)
    for a, b in ((old.cptr, cptr), (old.row, row), (old.fa, fa), (old.ft, ft), (old.key, key)):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_standings_route_is_the_grid_kernel() -> None:
    """``_standings`` (the older path) and the brute force agree too, so the test above compares like with like."""
    points, cands, fu, fc = _case(3, 6, 200, n_cands=30, S=40)
    row, col, fa, ft, key = _standings(points, cands, fu, fc, 30)
    got = sorted(zip(col.tolist(), row.tolist(), fa.tolist(), ft.tolist(), key.tolist()))
    assert got == _brute(points, cands, fu, fc, 30)


def _greedy_state(S: int, L: int):
    return (np.zeros((S, L), dtype=np.int64), np.zeros((S, L), dtype=np.int32), np.zeros((S, L), dtype=np.int32),
            np.zeros(S, dtype=np.int64), np.zeros((S, L + 1)), np.zeros((S, L + 1)))


def test_eval_alone_and_incremental_prefixes_equal_full_recomputation() -> None:
    points, cands, fu, fc = _case(11, 6, 300, n_cands=80, S=120)
    paid = _Paid.compute(points, cands, fu, fc, 40)
    prizes = np.array([100.0, 40, 20, 12, 8, 5] + [3.0] * 34)
    cum = np.concatenate([[0.0], np.cumsum(prizes)])
    S, C = points.shape[0], cands.shape[0]
    st_neg, st_fa, st_ft, st_n, cb, ct = _greedy_state(S, 12)
    args = (paid.cptr, paid.row, paid.fa, paid.ft, paid.key)
    everyone = np.arange(C, dtype=np.int64)
    assert np.array_equal(_eval_alone(paid.cptr, paid.fa, paid.ft, cum),
                          _eval_many(everyone, args, st_neg, st_n, cb, ct, cum))
    rng = np.random.default_rng(0)
    for c in rng.choice(C, 10, replace=False):
        _insert(int(c), args, (st_neg, st_fa, st_ft, st_n), cb, ct, cum)
        cb2, ct2 = np.zeros_like(cb), np.zeros_like(ct)
        for s in range(S):
            _row_prefix(s, st_neg, st_fa, st_ft, st_n, cb2, ct2, cum)
        q = st_n[:, None] >= np.arange(cb.shape[1])[None, :]  # the live part of each row
        assert np.array_equal(cb[q], cb2[q]) and np.array_equal(ct[q], ct2[q])


def test_upper_cvar_levels_equal_one_level_at_a_time_and_brute_force() -> None:
    from tailrace.optimize.contest.pool import _upper_cvar_levels, _upper_cvar_many

    rng = np.random.default_rng(5)
    points = rng.gamma(2.0, 10.0, size=(400, 10)).astype(np.float32)
    lus = np.sort(np.array([rng.choice(10, 6, replace=False) for _ in range(50)]), axis=1).astype(np.uint8)
    ks = np.array([4, 20, 40], dtype=np.int64)
    need = rng.random((50, 3)) < 0.7
    got = _upper_cvar_levels(points, lus, ks, need)
    for li, k in enumerate(ks):
        one = _upper_cvar_many(points, lus, int(k))
        assert np.array_equal(got[need[:, li], li], one[need[:, li]])  # the same floats
        assert np.isnan(got[~need[:, li], li]).all()
        x = points[:, lus.astype(np.int64)].sum(axis=2, dtype=np.float64).T  # (50, 400)
        brute = np.sort(x, axis=1)[:, -k:].mean(axis=1)
        assert np.allclose(got[need[:, li], li], brute[need[:, li]], rtol=1e-12)


def test_paid_standings_decline_wide_ranges_and_the_store_falls_back() -> None:
    """Past ``max_cells`` the kernel returns None; the store then builds the same arrays the older way."""
    import tailrace.optimize.contest.paid as paid_module
    from tailrace.contest import Contest, Field, PayoutTable

    points, cands, fu, fc = _case(9, 6, 300, n_cands=40, S=80)
    assert paid_standings_grid(grid_points(points, 6), cands, fu, fc, 50, max_cells=10) is None
    field = Field(np.repeat(fu, fc, axis=0).astype(np.int32), source="given")
    prizes = np.linspace(50.0, 5.0, 50)
    contest = Contest(entry_fee=5.0, field_size=field.n_entries + 1, payouts=PayoutTable(prizes), field=field)
    want = _Paid.compute(points, cands, *contest.opponents(1).unique(), contest.payouts.n_paid)
    store = paid_module._PaidStore(points, contest, 1)
    orig = paid_module.paid_standings_grid
    try:
        paid_module.paid_standings_grid = lambda *a, **k: orig(*a, **k, max_cells=10)
        got = store.paid_of(cands)
    finally:
        paid_module.paid_standings_grid = orig
    for a, b in ((want.cptr, got.cptr), (want.row, got.row), (want.fa, got.fa), (want.ft, got.ft), (want.key, got.key)):
        assert np.array_equal(a, b)


def _store_and_contest(points, fu, fc, n_paid):
    from tailrace.contest import Contest, Field, PayoutTable
    import tailrace.optimize.contest.paid as paid_module

    field = Field(np.repeat(fu, fc, axis=0).astype(np.int32), source="given")
    prizes = np.round(np.geomspace(400.0, 6.0, n_paid), 2)  # steep: each cap gives another table
    contest = Contest(entry_fee=5.0, field_size=field.n_entries + 1, payouts=PayoutTable(prizes), field=field)
    return paid_module._PaidStore(points, contest, 1), contest


def test_lazily_filled_standings_equal_the_eager_ones_and_their_alone_sums() -> None:
    """A lazily filled store's candidates, written a few at a time in any order, hold the grid
    kernel's arrays bit for bit; its alone sums are ``_eval_alone``'s floats for every cap's table;
    appending eager candidates (a refill) keeps both."""
    from tailrace.optimize.contest.result import ALONE, CV_CAPS

    points, cands, fu, fc = _case(31, 6, 500, n_cands=120, S=260, n=13)
    store, contest = _store_and_contest(points, fu, fc, 70)
    store.prefill = 0  # nothing written up front (``test_prefilled_...`` checks that path)
    lazy = store._lazy_paid(cands)
    assert lazy is not None and not lazy.filled.any()
    want = paid_standings_grid(grid_points(points, 6), cands, fu, fc, 70)
    assert np.array_equal(lazy.cptr, want[0])
    rng = np.random.default_rng(3)
    for part in np.array_split(rng.permutation(cands.shape[0]), 9):  # a few at a time, shuffled, some twice
        lazy.ensure(np.concatenate([part, part[:1]]))
    assert lazy.filled.all()
    for a, b in zip((lazy.row, lazy.fa, lazy.ft, lazy.key), want[1:]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for c in CV_CAPS:
        cum = contest.payouts.capped(1 if c == ALONE else c).cumulative()
        got = lazy.alone_of(cum)
        ref = _eval_alone(want[0], want[2], want[3], cum)
        assert got.tobytes() == ref.tobytes()  # the same floats, summed in the same order
    assert lazy.alone_of(contest.payouts.capped(2).cumulative()) is None  # a table not prepared

    # lazy + eager (refill) and eager + lazy: the written entries copied, the rest written on demand
    fresh = store._lazy_paid(cands[:80])
    fresh.ensure(np.array([5, 17, 60]))
    more = _Paid(cands[80:], *(lambda r, c, a, t, k: (r, a, t, k, c))(*_standings(points, cands[80:], fu, fc, 70)))
    both = fresh.append(more)
    both.ensure_all()
    for a, b in zip((both.cptr, both.row, both.fa, both.ft, both.key), want):
        assert np.array_equal(a, b)
    cum = contest.payouts.capped(5).cumulative()
    assert both.alone_of(cum).tobytes() == _eval_alone(want[0], want[2], want[3], cum).tobytes()
    # the selection's window view shares the arrays and what is written
    store.prefill = 0
    store.paid, store.index = store._lazy_paid(cands), {tuple(x): i for i, x in enumerate(cands.tolist())}
    view = store.get(cands, 0, points.shape[0])
    view.ensure(np.array([3]))
    assert store.paid.filled[3] and view.filled is store.paid.filled
    row, fa, ft, key, col = store.paid.take(np.array([7, 3]), 50, 200)  # take writes what it reads
    sel = (want[1] >= 50) & (want[1] < 200)
    for c, newc in ((7, 0), (3, 1)):
        e = np.arange(want[0][c], want[0][c + 1])
        e = e[sel[e]]
        assert np.array_equal(row[col == newc], want[1][e] - 50) and np.array_equal(key[col == newc], want[4][e])


def test_prefilled_and_batch_written_standings_equal_the_eager_ones() -> None:
    """A lazily filled store writes up front the candidates best by each table's alone sum (the
    ``prefill`` best per table: checked against a sort of the sums), scenario by scenario
    (``_fill_batch``); those, then the rest written one by one and in batches of every size
    around ``BATCH_FILL``, hold the grid kernel's arrays bit for bit (which
    ``test_paid_standings_match_brute_force`` checks against plain loops), and the alone sums
    stay ``_eval_alone``'s floats."""
    from tailrace.optimize.contest.result import ALONE, CV_CAPS
    from tailrace.optimize.contest.standings import BATCH_FILL

    points, cands, fu, fc = _case(57, 6, 500, n_cands=160, S=240, n=13)
    store, contest = _store_and_contest(points, fu, fc, 70)
    want = paid_standings_grid(grid_points(points, 6), cands, fu, fc, 70)
    store.prefill = 16
    lazy = store._lazy_paid(cands)
    expect = set()
    for c in CV_CAPS:
        v = lazy.alone_of(contest.payouts.capped(1 if c == ALONE else c).cumulative())
        top = np.argsort(-v, kind="stable")
        assert v[top[15]] > v[top[16]]  # no tie at the 16th: the set is the 16 best
        expect |= set(top[:16].tolist())
    assert set(np.nonzero(lazy.filled)[0].tolist()) == expect and len(expect) >= BATCH_FILL  # the batch kernel
    for c in sorted(expect):
        e = slice(want[0][c], want[0][c + 1])
        for a, b in zip((lazy.row, lazy.fa, lazy.ft, lazy.key), want[1:]):
            assert np.array_equal(a[e], b[e])
    rng = np.random.default_rng(5)
    rest = rng.permutation(np.nonzero(~lazy.filled)[0])
    at = 0
    for size in (1, BATCH_FILL - 1, BATCH_FILL, BATCH_FILL + 1, 40):  # one by one and in batches
        lazy.ensure(rest[at:at + size])
        at += size
    lazy.ensure_all()
    for a, b in zip((lazy.cptr, lazy.row, lazy.fa, lazy.ft, lazy.key), want):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for c in CV_CAPS:
        cum = contest.payouts.capped(1 if c == ALONE else c).cumulative()
        assert lazy.alone_of(cum).tobytes() == _eval_alone(want[0], want[2], want[3], cum).tobytes()
    store.prefill = cands.shape[0] + 5  # more than there are: all written at once
    assert store._lazy_paid(cands).filled.all()


def test_top_set_is_argpartitions_set_unless_tied() -> None:
    """The greedy's top-4 in one pass: argpartition's set whenever the 4 largest are a unique set;
    None on a tie at the 4th value (argpartition then chooses) or a NaN."""
    from tailrace.optimize.contest.selection import _top_set

    rng = np.random.default_rng(8)
    seen = {True: 0, False: 0}
    for it in range(3000):
        n = int(rng.integers(1, 30))
        kk = min(4, n)
        x = rng.integers(-2, 5, n).astype(float) if it % 2 else rng.random(n)
        x[rng.random(n) < 0.3] = -np.inf
        got = _top_set(x, kk)
        s = np.sort(x)[::-1]
        unique = n > kk and s[kk - 1] != s[kk]
        assert (got is not None) == unique
        seen[unique] += 1
        if unique:
            assert set(got.tolist()) == set(np.argpartition(-x, kk - 1)[:kk].tolist())
    assert min(seen.values()) > 300
    assert _top_set(np.array([3.0, np.nan, 1.0, 2.0, 0.5, 4.0]), 4) is None
