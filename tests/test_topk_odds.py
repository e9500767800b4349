"""Top-3/5/10 odds: read from projections files, de-vigged, fitted jointly with the win market."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tailrace.errors import InputError
from tailrace.sim.params import DEFAULT_PARAMS, start_term
from tailrace.sim.race import simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.sim.simulate import simulate
from tailrace.sim.strength.from_slate import (
    capped_prices,
    devig,
    resolve_strengths,
    strength_from_start,
    strengths_from_markets,
)
from tailrace.tracks import resolve_track
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate, read_projections

NAMES = ["Colt Halvorsen", "A.J. Pennington", "Dale Whitaker Jr.", "Brody Ashcombe"]
N = 36
KANSAS = resolve_track("Kansas")
P_INT = DEFAULT_PARAMS["intermediate"]
START = np.random.default_rng(5).permutation(N) + 1
TRUE = np.linspace(1.2, -1.2, N)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "proj.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_top_k_columns_are_read_as_decimal_odds(tmp_path) -> None:
    text = ("Driver,Start,Win Odds,Top 3 Odds,Top 5,Top10 Odds\n"
            "Colt Halvorsen,1,+350,+110,-150,1.2\n"
            "A.J. Pennington,2,+800,+250,+120,-250\n"
            "Dale Whitaker Jr.,3,+2500,,+400,+150\n"
            "Brody Ashcombe,4,+5000,+1200,,\n")
    rows = read_projections(_write(tmp_path, text))
    assert rows[0].top3_odds == pytest.approx(2.1) and rows[0].top5_odds == pytest.approx(1 + 100 / 150)
    assert rows[0].top10_odds == pytest.approx(1.2) and rows[1].top10_odds == pytest.approx(1.4)
    assert rows[2].top3_odds is None and rows[2].top5_odds == pytest.approx(5.0)
    assert rows[3].top5_odds is None and rows[3].top10_odds is None


def test_unreadable_top_k_odds_name_file_row_field_and_fix(tmp_path) -> None:
    text = "name,start,top10_odds\nColt Halvorsen,1,+150\nA.J. Pennington,2,lots\n"
    with pytest.raises(InputError) as exc:
        read_projections(_write(tmp_path, text))
    (prob,) = exc.value.problems
    assert prob.row == 3 and prob.field == "top10_odds" and prob.file.endswith("proj.csv")
    assert "'lots'" in prob.message and "+350" in prob.fix
    assert "row 3" in str(prob) and "field 'top10_odds'" in str(prob)


def test_top_k_odds_longer_than_a_narrower_market_are_refused(tmp_path) -> None:
    # finishing top 10 can't be less likely than top 5: probably swapped columns
    text = "name,start,win_odds,top5_odds,top10_odds\nColt Halvorsen,1,+400,+120,+300\n"
    with pytest.raises(InputError) as exc:
        read_projections(_write(tmp_path, text))
    (prob,) = exc.value.problems
    assert prob.row == 2 and prob.field == "top10_odds"
    assert "top5_odds" in prob.fix and "swapped" in prob.fix


def test_capped_prices_are_ties_at_the_longest_price() -> None:
    assert capped_prices([5.0, 50.0, 1001.0, 1001.0]).tolist() == [False, False, True, True]
    assert not capped_prices([5.0, 50.0, 1001.0]).any()  # one longest price: not a cap


def test_joint_fit_reproduces_win_and_top_10_chances() -> None:
    """Fair win and top-10 chances of known strengths (200k races); the joint fit must give them
    back in a fresh 100k run within 4 SE (pilot 20,000 + 100,000) + 0.3 / 1.0 percentage points."""
    big = simulate_race(TRUE, START, KANSAS, P_INT, 200_000, np.random.default_rng(1))
    p1, p10 = (big.finish == 1).mean(axis=0), (big.finish <= 10).mean(axis=0)
    theta, _, _ = strengths_from_markets({1: p1, 10: p10}, START, KANSAS, P_INT, seed=4)
    out = simulate_race(theta, START, KANSAS, P_INT, 100_000, np.random.default_rng(98))
    for k, p, extra in ((1, p1, 0.003), (10, p10, 0.01)):
        got = (out.finish <= k).mean(axis=0)
        tol = 4 * np.sqrt(p * (1 - p) * (1 / 20_000 + 1 / 100_000)) + extra
        assert np.all(np.abs(got - p) <= tol), k
    assert np.corrcoef(theta, TRUE)[0, 1] > 0.99


def _slate(**cols) -> Slate:
    drivers = tuple(Driver(id=str(i), name=f"D{i}", salary=10000, start=int(START[i]),
                           **{k: v[i] for k, v in cols.items()}) for i in range(N))
    return Slate(site=DRAFTKINGS, drivers=drivers, track="Kansas")


def test_top_k_only_slate_uses_the_odds_and_says_so() -> None:
    big = simulate_race(TRUE, START, KANSAS, P_INT, 50_000, np.random.default_rng(1))
    p10 = np.clip((big.finish <= 10).mean(axis=0), 0.002, 0.98)
    odds = list(1 / np.minimum(p10 ** 0.9, 0.99))  # a margin on top
    s, src, _ = resolve_strengths(_slate(top10_odds=odds), KANSAS, P_INT, seed=1)
    assert src == "top10_odds (power de-vig)"
    assert np.corrcoef(s, TRUE)[0, 1] > 0.95
    both = _slate(win_odds=list(1 / (np.exp(TRUE) / np.exp(TRUE).sum() * 1.25)), top10_odds=odds)
    assert resolve_strengths(both, KANSAS, P_INT, seed=1, pilot=2000)[1] == (
        "win_odds+top10_odds (shin de-vig of win, power of top-k)")


def test_capped_longshots_follow_their_start_and_respect_the_cap() -> None:
    """Ten drivers at the book's longest win price (+100000) are told apart by their starts (the
    start-only prior truncated at the cap), and none wins more often than the cap allows."""
    w = np.exp(np.linspace(0, -4.0, N))
    odds = 1 / (w / w.sum() * 1.3)
    order = np.argsort(START)  # price in start order: drivers starting 27th and back capped
    sorted_odds = np.minimum(np.sort(odds), 1001.0)
    sorted_odds[-10:] = 1001.0
    win = np.empty(N)
    win[order] = sorted_odds
    s, _, _ = resolve_strengths(_slate(win_odds=list(win)), KANSAS, P_INT, seed=2)
    capped = win == 1001.0
    perf = s + P_INT.start_weight * start_term(START)  # what a chance depends on
    by_start = perf[capped][np.argsort(START[capped])]
    assert np.all(np.diff(by_start) < 0)  # further back, weaker
    fair_cap = devig(win, "shin")[capped][0]
    won = (simulate_race(s, START, KANSAS, P_INT, 50_000, np.random.default_rng(3)).finish == 1).mean(axis=0)
    assert np.all(won[capped] <= fair_cap + 4 * np.sqrt(fair_cap / 50_000) + 2e-4)


def test_win_only_board_with_capped_longshots_keeps_the_back_of_the_field_back() -> None:
    """The issue-11 symptom: a 37-car short-track slate, starts in odds order, win odds only, priced
    from the start-only model with a flat 30 % margin and capped at +25000 (17 drivers share the
    cap on race-model-4's start-only model; 20 before). Fitting the capped prices as if they were measurements made the back of the field far
    too strong (starts 26-32: 28.7 DK points, 33-37: 33.4, mean finish 23.4; the model that made
    the odds: 22.4, 20.6, 28.4). Now the cap only bounds them and their starts place them: every
    bucket from 26th back within 1.5 points and 1 place of the model."""
    params, track, n = DEFAULT_PARAMS["short"], resolve_track("short"), 37
    start = np.arange(1, n + 1)
    model = simulate_race(strength_from_start(start, params), start, track, params, 100_000,
                          np.random.default_rng(7))
    odds = np.minimum(1 / (np.maximum((model.finish == 1).mean(axis=0), 1e-5) * 1.30), 251.0)
    assert (odds == 251.0).sum() >= 15  # most of the back of the field shares the cap
    slate = Slate(site=DRAFTKINGS, track=track.name, drivers=tuple(
        Driver(id=str(i), name=f"D{i}", salary=10000, start=i + 1, win_odds=float(odds[i]))
        for i in range(n)))
    sc = simulate(slate, 20_000, 3, track=track)
    pts, fin = sc.points.mean(axis=0), sc.finish.mean(axis=0)
    model_pts = score_outcomes(DRAFTKINGS, start, model).mean(axis=0)
    model_fin = model.finish.mean(axis=0)
    for lo, hi in ((26, 32), (33, 37)):
        m = (start >= lo) & (start <= hi)
        assert abs(pts[m].mean() - model_pts[m].mean()) <= 1.5, (lo, pts[m].mean(), model_pts[m].mean())
        assert abs(fin[m].mean() - model_fin[m].mean()) <= 1.0, (lo, fin[m].mean(), model_fin[m].mean())
