"""Contest model: payouts (ties split by hand), ownership, field sampling, simulation vs hand and brute force."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tailrace.contest import (
    Field,
    PayoutTable,
    chunk_size,
    make_contest,
    memory_estimate,
    model_ownership,
    parametric_payouts,
    read_field,
    read_ownership,
    read_payouts,
    run_contest,
    sample_field,
    simulate_contest,
    split_payout,
)
from tailrace.errors import InputError
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate

# ----------------------------------------------------------------------------- payouts

P5 = PayoutTable(np.array([100.0, 50.0, 30.0, 20.0, 10.0]))


def test_ties_split_the_places_they_occupy_by_hand() -> None:
    cum = P5.cumulative()
    # alone in 1st; 3 tied for 2nd-4th share (50+30+20)/3; 2 tied for 5th-6th share (10+0)/2
    got = split_payout(cum, np.array([0, 1, 1, 1, 4, 4, 6]), np.array([1, 3, 3, 3, 2, 2, 1]))
    assert got == pytest.approx([100.0, 100.0 / 3, 100.0 / 3, 100.0 / 3, 5.0, 5.0, 0.0])
    # everyone tied: the whole pool split 7 ways
    assert split_payout(cum, np.array([0]), np.array([7]))[0] == pytest.approx(210.0 / 7)
    # a tie straddling the last paid place: places 4..8 share 20 + 10
    assert split_payout(cum, np.array([3]), np.array([5]))[0] == pytest.approx(6.0)


@pytest.mark.parametrize("fee,n,rake", [(5.0, 20_000, 0.13), (20.0, 100_000, 0.13), (3.0, 1_000, 0.15), (1.0, 500, 0.1)])
def test_parametric_table_facts(fee: float, n: int, rake: float) -> None:
    t = parametric_payouts(fee, n, rake)
    pool_cents = round(fee * n * (1 - rake) * 100)
    assert round(t.prizes.sum() * 100) == pool_cents  # to the cent
    assert np.abs(t.prizes * 100 - np.round(t.prizes * 100)).max() < 1e-6  # whole cents
    assert 0.18 <= t.n_paid / n <= 0.22
    assert 0.08 <= t.prizes[0] / t.total <= 0.20
    assert t.prizes.min() >= 2 * fee
    assert np.all(np.diff(t.prizes) <= 0)
    # tiers: far fewer distinct prizes than places, as site tables print
    assert len(t.ranges()) < 60


def test_capped_table_flattens_the_top() -> None:
    c = P5.capped(3)
    assert list(c.prizes) == [30.0, 30.0, 30.0, 20.0, 10.0]


def test_read_payouts_formats(tmp_path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("min_rank,max_rank,prize\n1,1,$1,000\n2,2,500\n3,5,100\n")
    # "$1,000" splits into two CSV cells; quote it as sites do
    a.write_text('min_rank,max_rank,prize\n1,1,"$1,000"\n2,2,500\n3,5,100\n')
    b = tmp_path / "b.csv"
    b.write_text("place,prize\n1st,1000\n2,500\n3-5,100\n")
    c = tmp_path / "c.json"
    c.write_text(json.dumps({"1": 1000, "2": "500", "3-5": 100}))
    d = tmp_path / "d.json"
    d.write_text(json.dumps([{"min_rank": 1, "max_rank": 1, "prize": 1000}, {"place": "2", "prize": 500},
                             {"place": "3-5", "prize": 100}]))
    for f in (a, b, c, d):
        assert list(read_payouts(f).prizes) == [1000.0, 500.0, 100.0, 100.0, 100.0]


def test_read_payouts_errors(tmp_path) -> None:
    gap = tmp_path / "gap.csv"
    gap.write_text("place,prize\n1,1000\n3,100\n")
    with pytest.raises(InputError, match="do not follow on"):
        read_payouts(gap)
    up = tmp_path / "up.csv"
    up.write_text("place,prize\n1,100\n2,500\n")
    with pytest.raises(InputError, match="more than the better rank"):
        read_payouts(up)
    bad = tmp_path / "bad.csv"
    bad.write_text("place,prize\n1,abc\n")
    with pytest.raises(InputError) as e:
        read_payouts(bad)
    assert e.value.problems[0].row == 2 and e.value.problems[0].field == "prize"
    hdr = tmp_path / "hdr.csv"
    hdr.write_text("rank,amount\n1,5\n")
    with pytest.raises(InputError, match="lacks the payout columns"):
        read_payouts(hdr)


# ----------------------------------------------------------------------------- ownership


def _slate(n: int = 30, seed: int = 0) -> Slate:
    rng = np.random.default_rng(seed)
    sal = rng.integers(40, 110, n) * 100  # DraftKings NASCAR salaries run about $4,000-$11,000
    drivers = tuple(
        Driver(id=str(1000 + i), name=f"Driver {i}", salary=int(sal[i]), projection=float(sal[i] / 1000 * 4 + rng.normal(0, 4)))
        for i in range(n)
    )
    return Slate(site=DRAFTKINGS, drivers=drivers)


def test_model_ownership_sums_to_roster() -> None:
    s = _slate()
    own = model_ownership(s.salaries(), np.array([d.projection for d in s.drivers]), 6)
    assert own.sum() == pytest.approx(600.0)
    assert own.max() <= 80.0 + 1e-9 and own.min() > 0
    # better value at the same salary is owned more
    own2 = model_ownership(np.array([6000] * 20), np.arange(20.0) + 20, 6)
    below = own2 < 80.0 - 1e-9
    assert np.all(np.diff(own2) >= 0) and np.all(np.diff(own2[below]) > 0) and own2.sum() == pytest.approx(600.0)


def test_read_ownership(tmp_path) -> None:
    s = _slate(10)
    f = tmp_path / "own.csv"
    f.write_text("id,ownership\n" + "\n".join(f"{1000 + i},{60.0}" for i in range(10)))
    assert read_ownership(f, s) == pytest.approx([60.0] * 10)
    g = tmp_path / "own2.csv"  # by name, sum 594: within 5 %, rescaled quietly
    g.write_text("name,ownership\n" + "\n".join(f"Driver {i},59.4%" for i in range(10)))
    notes: list[str] = []
    assert read_ownership(g, s, notes).sum() == pytest.approx(600.0) and notes == []
    g2 = tmp_path / "own2b.csv"  # sum 540: rescaled (x 600 / 540), with a warning
    g2.write_text("name,ownership\n" + "\n".join(f"Driver {i},54.0" for i in range(10)))
    own = read_ownership(g2, s, notes)
    assert own == pytest.approx([60.0] * 10) and "sums to 540.0 %" in notes[0]
    h = tmp_path / "own3.csv"  # fractions (every value <= 1, total 6 for a 6-driver roster): refused
    h.write_text("id,ownership\n" + "\n".join(f"{1000 + i},0.6" for i in range(10)))
    with pytest.raises(InputError, match="looks like fractions"):
        read_ownership(h, s)
    k = tmp_path / "own4.csv"
    k.write_text("id,ownership\n9999,50\n")
    with pytest.raises(InputError) as e:
        read_ownership(k, s)
    assert e.value.problems[0].row == 2 and "not on the slate" in str(e.value)



def test_read_ownership_matches_names_as_the_projections_reader_does(tmp_path) -> None:
    """The demo's own projections say 'Dale Whitaker' for the salary file's 'Dale Whitaker Jr.';
    an ownership file may too (it used to stop contest mode: 'not on the slate')."""
    from tailrace.slate import demo_slate

    s = demo_slate()
    i = next(k for k, d in enumerate(s.drivers) if d.name == "Dale Whitaker Jr.")
    f = tmp_path / "own.csv"
    f.write_text("name,ownership\ndale whitaker,30\n")
    notes: list[str] = []
    own = read_ownership(f, s, notes)
    assert own[i] > 0 and np.count_nonzero(own) == 1
    g = tmp_path / "own2.csv"
    g.write_text("name,ownership\nDale Whitacker,30\n")  # a typo: the closest name is offered
    with pytest.raises(InputError) as e:
        read_ownership(g, s)
    assert e.value.problems[0].row == 2 and "'Dale Whitaker Jr.'" in str(e.value)

# ----------------------------------------------------------------------------- field


def test_sampled_field_rules_and_marginals() -> None:
    s = _slate(30, seed=3)
    sal = s.salaries()
    own = model_ownership(sal, np.array([d.projection for d in s.drivers]), 6, salary_cap=50_000)
    assert own @ sal / 100 == pytest.approx(0.985 * 50_000)  # the implied average lineup salary
    f = sample_field(own, sal, 6, 50_000, 20_000, rng=7)
    lu = f.lineups
    assert lu.shape == (20_000, 6)
    assert np.all(np.diff(lu, axis=1) > 0)  # distinct drivers
    tot = sal[lu].sum(axis=1)
    assert tot.max() <= 50_000
    assert np.mean(tot >= 48_000) >= 0.89  # most entries use >= $48,000
    assert tot.min() >= 45_000
    got = f.ownership(30)
    assert got.sum() == pytest.approx(600.0)
    assert np.abs(got - own).max() < 3.0  # percentage points
    _, counts = f.unique()
    assert counts.max() >= 3  # popular lineups are entered many times
    again = sample_field(own, sal, 6, 50_000, 20_000, rng=7)
    assert np.array_equal(f.lineups, again.lineups)


def test_zero_ownership_driver_never_sampled() -> None:
    sal = np.array([9000, 9000, 8000, 8000, 8000, 8000, 7000, 7000, 7000])
    own = np.array([0.0, 75, 75, 75, 75, 75, 75, 75, 75])
    f = sample_field(own, sal, 6, 50_000, 2_000, min_salary=44_000, rng=1)
    assert not np.any(f.lineups == 0)


def test_read_field(tmp_path) -> None:
    s = _slate(10)
    p = tmp_path / "field.csv"
    p.write_text("D,D,D,D,D,D\n1000,1001,1002,1003,1004,1005\nDriver 9 (1009),1001,1002,1003,1004,1005\n")
    f = read_field(p, s)
    assert f.lineups.tolist() == [[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 9]]
    q = tmp_path / "bad.csv"
    q.write_text("1000,1001,1002,1003,1004\n")
    with pytest.raises(InputError) as e:
        read_field(q, s)
    assert e.value.problems[0].row == 1


# ----------------------------------------------------------------------------- simulation


def test_toy_contest_by_hand() -> None:
    # 4 drivers, 2-driver lineups, 2 scenarios. Field: {0,1}, {0,2}, {2,3}; ours: {1,3}.
    pts = np.array([[10, 5, 3, 1], [1, 2, 8, 9]], dtype=np.float32)
    field = Field(np.array([[0, 1], [0, 2], [2, 3]], dtype=np.int32))
    ours = np.array([[1, 3]])
    pay = PayoutTable(np.array([6.0, 3.0]))
    # scenario 1 scores: field 15, 13, 4; ours 6 -> 3rd, paid 0
    # scenario 2 scores: field 3, 9, 17; ours 11 -> 2nd, paid 3
    r = simulate_contest(pts, ours, field, pay, 2.0)
    assert r.n_entries == 4
    assert r.profit.tolist() == [-2.0, 1.0]
    assert r.portfolio.expected_profit == pytest.approx(-0.5)
    assert r.portfolio.roi == pytest.approx(-0.25)
    # sd of (-2, 1) with ddof=1 is 3/sqrt(2); se = that / sqrt(2) = 1.5 -> roi se 0.75
    assert r.portfolio.roi_se == pytest.approx(0.75)
    assert r.portfolio.cash_rate == pytest.approx(0.5)
    assert r.portfolio.win_rate == 0.0
    # now a tie: scenario 2, ours {2,3}=17 duplicates the field's top lineup -> split 1st+2nd
    r2 = simulate_contest(pts, np.array([[2, 3]]), field, pay, 2.0)
    # scenario 1: ours 4 ties field {2,3} at 4 for 3rd-4th: 0; scenario 2: (6+3)/2 = 4.5
    assert r2.profit.tolist() == [-2.0, 2.5]
    assert r2.lineups[0].win_rate == 0.5  # tied for first counts as a win


def _brute(points, ours, field_lu, prizes, fee):
    """Independent reference: rank all entries per scenario with Python sorting."""
    entries = [tuple(x) for x in field_lu] + [tuple(x) for x in ours]
    m = len(ours)
    out = np.zeros((points.shape[0], m))
    for s in range(points.shape[0]):
        sc = [round(float(sum(np.float64(points[s, i]) for i in sorted(e))) * 10_000) for e in entries]
        for j in range(m):
            x = sc[len(field_lu) + j]
            a = sum(1 for v in sc if v > x)
            t = sum(1 for v in sc if v == x)
            places = range(a, a + t)
            out[s, j] = sum(prizes[p] if p < len(prizes) else 0.0 for p in places) / t
    return out - fee


def test_simulation_matches_brute_force_with_ties() -> None:
    rng = np.random.default_rng(5)
    n, S = 9, 40
    # points on a coarse grid so ties (between different lineups too) are frequent
    pts = (rng.integers(0, 6, (S, n)) * 0.25).astype(np.float32)
    field_lu = np.sort(np.array([rng.choice(n, 3, replace=False) for _ in range(60)]), axis=1)
    ours = np.sort(np.array([rng.choice(n, 3, replace=False) for _ in range(7)]), axis=1)
    ours[3] = ours[1]  # two identical entries of ours
    ours[5] = field_lu[0]  # one duplicating a field entry
    prizes = [40.0, 20.0, 10.0, 8.0, 8.0, 5.0, 5.0, 5.0, 2.0, 2.0]
    ref = _brute(pts, ours, field_lu, prizes, 1.5)
    r = simulate_contest(pts, ours, Field(field_lu.astype(np.int32)), PayoutTable(np.array(prizes)), 1.5, chunk=7)
    assert r.profit == pytest.approx(ref.sum(axis=1))
    assert [f.expected_profit for f in r.lineups] == pytest.approx(ref.mean(axis=0))


def test_chunking_and_determinism() -> None:
    s = _slate(24, seed=2)
    c = make_contest(s.salaries(), 6, 50_000, entry_fee=5, field_size=2_000,
                     projections=np.array([d.projection for d in s.drivers]), rng=3)
    rng = np.random.default_rng(1)
    pts = rng.gamma(2.0, 10.0, (500, 24)).astype(np.float32)
    ours = c.field.lineups[:20]  # some of ours duplicate field lineups
    a = run_contest(c, pts, ours)
    calls: list[tuple[int, int]] = []
    b = simulate_contest(pts, ours, c.opponents(20), c.payouts, 5.0, chunk=64, progress=lambda d, t: calls.append((d, t)))
    assert a.n_entries == 2_000
    assert np.array_equal(a.profit, b.profit)
    assert [f.expected_profit for f in a.lineups] == pytest.approx([f.expected_profit for f in b.lineups])
    assert a.to_dict() == run_contest(c, pts, ours).to_dict()  # same inputs, same figures
    assert calls[-1] == (500, 500) and len(calls) == 8
    d = a.to_dict()
    assert set(d["portfolio"]) >= {"expected_profit", "roi", "roi_se", "cash_rate", "top1_rate", "win_rate", "profit_cvar"}
    # total money out never exceeds the pool
    assert a.profit.max() + 5.0 * 20 <= c.payouts.total + 1e-6


def test_memory_bound_for_the_big_case() -> None:
    # 150 lineups vs a 100,000-entry field (all distinct, the worst case) x 10,000 scenarios
    c = chunk_size(150)
    assert 16 <= c and c * 150 * 48 <= 256 * 2**20
    est = memory_estimate(10_000, 40, 150, 100_000, 6, c)
    points_bytes = 10_000 * 40 * 4
    assert est + points_bytes < 2 * 2**30
    assert chunk_size(150, memory_bytes=1_000_000) * 150 * 48 <= 1_000_000


def test_cash_game_tables_and_ties_by_hand():
    """Issue 10, item 3: a $5 100-entry double-up pays 44 places $9 ($396 of $500); a 50/50 of
    101 entries pays 50 places. Two entries tied across the double-up's cash line (43 ahead)
    share places 44 and 45: ($9 + $0) / 2 = $4.50 each; three tied at places 10-12 get $9 each."""
    from tailrace.contest import cash_payouts, split_payout

    du = cash_payouts("double-up", 5.0, 100)
    assert du.n_paid == 44 and du.total == pytest.approx(396.0)
    assert set(du.prizes.tolist()) == {9.0}
    ff = cash_payouts("50-50", 5.0, 101)
    assert ff.n_paid == 50 and ff.prizes[0] == pytest.approx(9.0)
    cum = du.cumulative()
    assert split_payout(cum, 43, 2) == pytest.approx(4.5)
    assert split_payout(cum, 9, 3) == pytest.approx(9.0)
    assert split_payout(cum, 44, 1) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        cash_payouts("triple-up", 5.0, 100)


def test_contest_from_options_takes_cash_game_names():
    from tailrace.pipeline import contest_from_options
    from tailrace.slate import demo_slate

    slate = demo_slate()
    c = contest_from_options(slate, None, payouts="double-up", entry_fee=10.0, field_size=100, seed=1)
    assert c.payouts.n_paid == 44 and c.payouts.prizes[0] == pytest.approx(18.0)


def test_simulate_contest_checks_cvar_alpha_before_the_work():
    from tailrace.contest.simulate import simulate_contest

    with pytest.raises(ValueError, match="cvar_alpha"):
        # field and payouts are never reached: the bad level is refused first
        simulate_contest(np.zeros((10, 6), np.float32), np.array([[0, 1, 2, 3, 4, 5]]), None, None, 5.0,
                         cvar_alpha=0.0)
