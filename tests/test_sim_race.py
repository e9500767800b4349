"""Race model invariants in every scenario, exact scoring, and byte-identical reruns.

Each invariant is checked here with its own code (not only through ``invariant_checks``):
finish is a permutation of 1..n; laps led sum to the race laps and fastest laps to the pool;
retired cars finish behind every running car, ordered by laps completed; a car never leads
more laps than it completed; points equal ``SiteRules.score`` applied to the outcomes.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.race import fl_pool_size, simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.sim.simulate import invariant_checks, simulate
from tailrace.tracks import TRACK_TYPES, resolve_track
from tailrace.sites import DRAFTKINGS, FANDUEL
from tailrace.slate import Driver, Slate

N = 38
RNG = np.random.default_rng(123)
STRENGTH = np.sort(RNG.normal(0, 0.7, N))[::-1]
START = RNG.permutation(N) + 1
CHAOS = dataclasses.replace(DEFAULT_PARAMS["superspeedway"], crash_rate=9.0, crash_size_mean=4.0,
                            mech_dnf_rate=0.1)


def _check_outcomes(out, n: int) -> None:
    S = out.finish.shape[0]
    for s in range(S):
        f = out.finish[s].astype(int)
        assert sorted(f.tolist()) == list(range(1, n + 1))
        assert int(out.laps_led[s].sum()) == out.race_laps
        assert int(out.fastest_laps[s].sum()) == out.fl_pool
        dnf = out.dnf[s]
        lc = out.laps_completed[s].astype(int)
        running_places = f[~dnf]
        assert sorted(running_places.tolist()) == list(range(1, len(running_places) + 1))
        assert np.all(lc[~dnf] <= out.race_laps) and np.all(lc[dnf] < out.race_laps)
        by_place = np.argsort(f)
        lc_dnf = [lc[i] for i in by_place if dnf[i]]
        lc_run = [lc[i] for i in by_place if not dnf[i]]
        assert lc_dnf == sorted(lc_dnf, reverse=True)
        assert lc_run == sorted(lc_run, reverse=True)
        assert lc_run[0] == out.race_laps  # the winner is on the lead lap
        assert np.all(out.laps_led[s] <= lc) and np.all(out.fastest_laps[s] <= lc)
        assert np.all(out.laps_led[s] >= 0) and np.all(out.fastest_laps[s] >= 0)


@pytest.mark.parametrize("ttype", TRACK_TYPES)
def test_invariants_every_scenario_each_type(ttype: str) -> None:
    track = resolve_track(ttype)
    out = simulate_race(STRENGTH, START, track, DEFAULT_PARAMS[ttype], 300, np.random.default_rng(1))
    assert out.finish.dtype == np.int16 and out.dnf.dtype == np.bool_
    assert out.fl_pool == round(DEFAULT_PARAMS[ttype].fl_share * track.laps)
    _check_outcomes(out, N)


def test_invariants_under_heavy_crashing() -> None:
    out = simulate_race(STRENGTH, START, 188, CHAOS, 300, np.random.default_rng(2))
    assert out.dnf.sum(axis=1).max() >= 20  # big multi-car crashes happen
    assert (~out.dnf).sum(axis=1).min() >= 1  # at least one car is running at the end
    _check_outcomes(out, N)


def test_multi_car_crashes_share_a_lap() -> None:
    """With big incidents, many retired cars share their exit lap (one crash, one lap)."""
    out = simulate_race(STRENGTH, START, 188, CHAOS, 200, np.random.default_rng(3))
    shared = 0
    for s in range(200):
        lc = out.laps_completed[s][out.dnf[s]]
        _, counts = np.unique(lc, return_counts=True)
        shared += int(counts[counts > 1].sum())
    assert shared > 0.5 * out.dnf.sum()


def test_tiny_field() -> None:
    out = simulate_race(np.zeros(2), np.array([2, 1]), 50, CHAOS, 200, np.random.default_rng(4))
    _check_outcomes(out, 2)


@pytest.mark.parametrize("site", [DRAFTKINGS, FANDUEL])
def test_points_equal_rules_applied(site) -> None:
    out = simulate_race(STRENGTH, START, 267, DEFAULT_PARAMS["intermediate"], 500, np.random.default_rng(5))
    pts = score_outcomes(site, START, out)
    assert pts.dtype == np.float32 and pts.shape == (500, N)
    # independent: the site's table by hand
    finish = out.finish.astype(np.int64)
    table = np.array(site.finish_points)
    want = (table[finish - 1] + site.place_diff * (START[None, :] - finish)
            + site.laps_led * out.laps_led + site.fastest_laps * out.fastest_laps
            + site.laps_completed * out.laps_completed)
    np.testing.assert_allclose(pts, want, atol=1e-4)
    exact = site.score(START[None, :], finish, out.laps_led, out.fastest_laps, out.laps_completed)
    assert np.array_equal(pts, exact.astype(np.float32))


def _slate(site=DRAFTKINGS, track: str | None = "Kansas Speedway", **fields) -> Slate:
    drivers = tuple(
        Driver(id=str(9000 + i), name=f"Driver {i}", salary=11000 - 150 * i, start=int(START[i]),
               rating=float(STRENGTH[i]), **{k: (v[i] if v is not None else None) for k, v in fields.items()})
        for i in range(N))
    return Slate(site=site, drivers=drivers, track=track)


def test_same_seed_same_bytes_and_chunking_does_not_matter() -> None:
    sl = _slate()
    a = simulate(sl, 20_000, 7)
    b = simulate(sl, 20_000, 7, chunk=8192)
    seen = []
    c = simulate(sl, 20_000, 7, chunk=16384, progress=lambda d, t: seen.append((d, t)))
    for x in (b, c):
        for name in ("points", "finish", "laps_led", "fastest_laps", "laps_completed", "dnf"):
            assert getattr(a, name).tobytes() == getattr(x, name).tobytes()
    assert seen[-1] == (20_000, 20_000) and len(seen) >= 2
    d = simulate(sl, 20_000, 8)
    assert a.points.tobytes() != d.points.tobytes()
    # a prefix of a longer run is the shorter run (blocks are seeded independently)
    e = simulate(sl, 10_000, 7)
    assert e.points.tobytes() == a.points[:10_000].tobytes()


def test_simulate_invariant_checks_and_meta() -> None:
    sl = _slate(site=FANDUEL)
    sc = simulate(sl, 3000, 11)
    checks = invariant_checks(sc, FANDUEL, sl.starts())
    assert checks["passed"] and all(checks.values())
    assert sc.meta["track_type"] == "intermediate" and sc.meta["strength_source"] == "rating"
    assert sc.meta["race_laps"] == 267 and sc.meta["n_scenarios"] == 3000 and sc.meta["seed"] == 11
    assert sc.meta["fl_pool"] == fl_pool_size(267, DEFAULT_PARAMS["intermediate"])
    # a corrupted matrix fails the check
    bad = dataclasses.replace(sc, points=sc.points + np.float32(0.5))
    assert invariant_checks(bad, FANDUEL, sl.starts())["points_equal_rules"] is False


def test_track_argument_and_missing_track() -> None:
    from tailrace.errors import InputError

    sl = _slate(track=None)
    with pytest.raises(InputError) as ei:
        simulate(sl, 100, 1)
    # the library names its parameter (the CLI says --track: tests/test_error_wording.py)
    assert "field 'track'" in str(ei.value) and "track='Kansas'" in str(ei.value) and "--" not in str(ei.value)
    sc = simulate(sl, 100, 1, track="short")
    assert sc.meta["track_type"] == "short" and sc.meta["race_laps"] == 400
    sc = simulate(_slate(), 100, 1, track="Talladega")  # the argument wins over the slate's
    assert sc.meta["track"] == "Talladega Superspeedway"


def test_stronger_drivers_finish_better_and_lead_more() -> None:
    out = simulate_race(np.linspace(1.5, -1.5, N), np.arange(1, N + 1), 267, DEFAULT_PARAMS["intermediate"],
                        4000, np.random.default_rng(6))
    mean_finish = out.finish.mean(axis=0)
    assert np.corrcoef(np.arange(N), mean_finish)[0, 1] > 0.95
    assert out.laps_led[:, 0].mean() > 5 * out.laps_led[:, -10:].mean()
    # laps led are concentrated: the top leader of a race takes a large share
    top1 = out.laps_led.max(axis=1) / 267
    assert 0.3 < top1.mean() < 0.8


def test_missing_start_is_an_input_error() -> None:
    from tailrace.errors import InputError

    sl = Slate(site=DRAFTKINGS, track="Kansas", drivers=(Driver(id="1", name="A", salary=9000, start=1),
                                                         Driver(id="2", name="B", salary=8000)))
    with pytest.raises(InputError) as ei:
        simulate(sl, 10, 1)
    assert "start" in str(ei.value) and "B" in str(ei.value)


def test_blocks_in_one_call_equal_block_by_block() -> None:
    from tailrace.sim.race import simulate_blocks

    p = DEFAULT_PARAMS["superspeedway"]
    seeds = [np.random.SeedSequence(5, spawn_key=(b,)) for b in range(3)]
    sizes = [700, 700, 301]
    one = simulate_blocks(STRENGTH, START, 188, p, [(np.random.Generator(np.random.SFC64(s)), k, 700)
                                                    for s, k in zip(seeds, sizes)])
    parts = [simulate_race(STRENGTH, START, 188, p, k, np.random.Generator(np.random.SFC64(s)), draw_size=700)
             for s, k in zip(seeds, sizes)]
    for name in ("finish", "laps_led", "fastest_laps", "laps_completed", "dnf"):
        assert getattr(one, name).tobytes() == np.concatenate([getattr(x, name) for x in parts]).tobytes()


def test_order_kernel_equals_a_stable_sort() -> None:
    """The branch-free ordering helper puts cars exactly where a stable insertion sort (in the
    given insertion order, largest key first) would, ties included."""
    from tailrace.sim.race import _order_desc

    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 40):
        for _ in range(50):
            key = rng.integers(0, 4, n).astype(np.float64)  # many ties
            ins = rng.permutation(n).astype(np.int64)
            got = np.empty(n, dtype=np.int64)
            _order_desc(key, ins, np.empty(n), got)
            want = [int(ins[k]) for k in sorted(range(n), key=lambda k: -key[ins[k]])]
            assert got.tolist() == want


def _apportion_reference(logw: list[float], min_share: float, pool: int) -> list[int]:
    """Largest-remainder apportionment written out plainly (same float operations, same order)."""
    mx = max(logw)
    p = [math.exp(v - mx) if v - mx > -40.0 else 0.0 for v in logw]
    tot = 0.0
    for v in p:
        tot += v
    p = [v / tot for v in p]
    p = [0.0 if (v < min_share and w < mx) else v for v, w in zip(p, logw)]
    tot2 = 0.0
    for v in p:
        tot2 += v
    x = [pool * v / tot2 for v in p]
    got = [math.floor(v) for v in x]
    frac = [v - g for v, g in zip(x, got)]
    rem = pool - sum(got)
    ranked = sorted((i for i in range(len(x)) if frac[i] > 0.0), key=lambda i: (-frac[i], i))
    for i in ranked[:max(rem, 0)]:
        got[i] += 1
    return got


def test_apportion_kernel_equals_plain_largest_remainder() -> None:
    """The pool split (laps led, fastest laps) equals a plain largest-remainder split, including
    ties between equal fractional parts (equal weights) and dropped small shares."""
    from tailrace.sim.race import _apportion

    rng = np.random.default_rng(9)
    for n in (1, 3, 12, 40):
        for trial in range(60):
            if trial % 3 == 0:
                logw = rng.integers(-3, 1, n).astype(np.float64)  # ties
            else:
                logw = rng.normal(0, 1.5, n)
            pool = int(rng.integers(1, 400))
            min_share = float(rng.choice([0.0, 0.005, 0.03]))
            row = np.empty(n, dtype=np.int64)
            _apportion(logw, min_share, pool, row, np.empty(n), np.empty(n), np.empty(n, dtype=np.int64))
            want = _apportion_reference(logw.tolist(), min_share, pool)
            assert row.tolist() == want
            assert row.sum() == pool


@pytest.mark.parametrize("params", [DEFAULT_PARAMS["superspeedway"], DEFAULT_PARAMS["road"], CHAOS])
def test_winner_leads_at_least_one_lap(params) -> None:
    """In every real race the winner leads at least the last lap; so in every scenario."""
    out = simulate_race(STRENGTH, START, 188, params, 3000, np.random.default_rng(21))
    win = out.finish == 1
    assert np.all(out.laps_led[win] >= 1)
    assert np.all(out.laps_led.sum(axis=1) == 188)


# ----------------------------------------------------------------- the pools' extra terms (race-model-4)

_BARE = dataclasses.replace(DEFAULT_PARAMS["intermediate"], led_start=0.0, led_winner=0.0, fl_start=0.0,
                            fl_lapped=0.0)


def _pool_run(**terms):
    out = simulate_race(np.zeros(N), np.arange(1, N + 1), 267, dataclasses.replace(_BARE, **terms), 3000,
                        np.random.default_rng(9))
    _check_outcomes(out, N)  # pools conserved, nobody leads more than he ran, whatever the terms
    return out


def test_track_position_term_moves_laps_led_and_fastest_laps_to_the_front_row() -> None:
    """Equal strengths: starts alone order the field. A start term of 1 in the log-weight
    multiplies the weight of the pole sitter against the 10th starter by e**(log 10) = 10 before
    pace noise, so his share of both pools must grow clearly; the field's total stays the pool."""
    bare, front = _pool_run(), _pool_run(led_start=1.0, fl_start=1.0)
    for pool in ("laps_led", "fastest_laps"):
        b, f = getattr(bare, pool).mean(axis=0), getattr(front, pool).mean(axis=0)
        assert f[0] > 1.5 * b[0] and f[:5].sum() > b[:5].sum() + 0.05 * b.sum(), (pool, b[:5], f[:5])
        assert f[20:].sum() < b[20:].sum()


def test_winner_term_raises_the_winners_share_of_laps_led_only() -> None:
    bare, win = _pool_run(), _pool_run(led_winner=1.5)

    def winner_share(o):
        w = np.argmin(o.finish, axis=1)
        return float(np.mean(o.laps_led[np.arange(len(w)), w] / o.race_laps))

    assert winner_share(win) > winner_share(bare) + 0.05
    np.testing.assert_array_equal(win.finish, bare.finish)  # the order is the same draw
    np.testing.assert_array_equal(win.fastest_laps, bare.fastest_laps)  # the fastest laps are untouched


def test_lapped_term_gives_cars_off_the_lead_lap_more_fastest_laps() -> None:
    bare, lapped = _pool_run(), _pool_run(fl_lapped=1.5)

    def off_lead_share(o):
        off = o.laps_completed < o.race_laps
        return float(np.mean((o.fastest_laps * off).sum(axis=1) / o.fl_pool))

    assert off_lead_share(lapped) > off_lead_share(bare) + 0.05
    np.testing.assert_array_equal(lapped.laps_led, bare.laps_led)  # laps led untouched
