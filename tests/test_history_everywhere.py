"""History everywhere (issue 11, item 1): ``--history`` on simulate / optimize / contest / demo,
strengths from the fitted ratings, blended with the user's numbers, reported, cached by content."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.sim.history import read_history
from tailrace.sim.strength.from_history import blend, blend_weight, load_history_model
from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.strength.ratings import UpcomingRace, blend_strengths, history_strengths
from tailrace.sim.simulate import simulate
from tailrace.slate import demo_paths, demo_slate

DEMO_HISTORY = Path(demo_paths()[0]).with_name("history.csv")


def _starts_only(tmp_path: Path) -> Path:
    """The demo projections reduced to name and start (no projection, odds or rating)."""
    _, proj = demo_paths()
    rows = list(csv.DictReader(proj.open(encoding="utf-8")))
    p = tmp_path / "starts.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "start"])
        w.writerows([[r["name"], r["start"]] for r in rows])
    return p


def test_blend_by_hand() -> None:
    h = np.array([1.0, 0.0, -1.0])
    u = np.array([0.0, 0.0, 3.0])  # centred: [-1, -1, 2]
    # all known, weight 0.5: 0.5 * [1, 0, -1] + 0.5 * [-1, -1, 2] = [0, -0.5, 0.5] (mean 0)
    assert np.allclose(blend(h, u, np.array([True, True, True]), 0.5), [0.0, -0.5, 0.5])
    # third unknown: it keeps u's -> [0, -0.5, 2], minus the mean 0.5 -> [-0.5, -1, 1.5]
    assert np.allclose(blend(h, u, np.array([True, True, False]), 0.5), [-0.5, -1.0, 1.5])
    assert blend_weight(None) == (0.5, "default even split (the history weight sets it)")
    assert blend_weight(0.3)[0] == 0.3
    with pytest.raises(ValueError):
        blend_weight(1.2)


def test_both_blends_take_the_history_share() -> None:
    """ratings.blend_strengths and history_strength.blend: ``weight`` is the history's share in both."""
    h = np.array([1.0, 0.0, -1.0])
    u = np.array([0.0, 0.0, 3.0])  # centred: [-1, -1, 2]
    known = np.ones(3, bool)
    # history share 0.3: 0.3 * [1, 0, -1] + 0.7 * [-1, -1, 2] = [-0.4, -0.7, 1.1] (mean 0)
    assert np.allclose(blend_strengths(h, u, 0.3), [-0.4, -0.7, 1.1])
    assert np.allclose(blend(h, u, known, 0.3), [-0.4, -0.7, 1.1])
    for w, by_hand in ((1.0, [1.0, 0.0, -1.0]), (0.0, [-1.0, -1.0, 2.0])):  # the history alone, the user alone
        assert np.allclose(blend_strengths(h, u, w), by_hand)
        assert np.allclose(blend(h, u, known, w), by_hand)


def test_model_is_cached_by_content(tmp_path: Path) -> None:
    a = load_history_model(DEMO_HISTORY)
    assert load_history_model(DEMO_HISTORY) is a  # fitted once
    copy = tmp_path / "elsewhere.csv"
    shutil.copy(DEMO_HISTORY, copy)
    assert load_history_model(copy).key == a.key  # same bytes, same key, wherever it lives
    changed = tmp_path / "changed.csv"
    changed.write_text(DEMO_HISTORY.read_text(encoding="utf-8").replace(",1,200,", ",1,199,", 1), encoding="utf-8")
    assert load_history_model(changed).key != a.key
    assert a.n_races == 36


def test_user_path_strengths_are_the_calibrated_ones(shared_results_path: Path) -> None:
    """Uses the shared real results: the strengths a user's --history gives for a 2023 race are
    exactly the back-tested model's (``history_strengths`` on the races before it), and they
    carry information (the predicted top 10 finish well ahead of the predicted bottom 10)."""
    from tailrace.sim.strength.from_history import history_model
    from tailrace.sim.params import start_term

    hist = read_history(shared_results_path)
    top, bottom = [], []
    for num in (3, 9, 15, 21, 27, 33):
        race = hist.race(2023, num)
        before = hist.before(2023, num)
        model = history_model(before)
        p = DEFAULT_PARAMS[race.track_type]
        got = model.strengths(list(race.drivers), race.start, race.track_type, p,
                              team=list(race.team), make=list(race.manufacturer))
        want = history_strengths(before, UpcomingRace.from_result(race), p)
        seen = {x for r in before.races() for x in r.drivers}
        assert got.unknown == tuple(d for d in race.drivers if d not in seen)
        assert np.allclose(got.strength, want)
        order = np.argsort(-(got.strength + p.start_weight * start_term(race.start)))
        top.append(race.finish[order[:10]].mean())
        bottom.append(race.finish[order[-10:]].mean())
    assert np.mean(top) + 8 < np.mean(bottom), (top, bottom)


def test_typo_is_named_with_the_close_match() -> None:
    model = load_history_model(DEMO_HISTORY)
    slate = demo_slate()
    names = slate.names
    typo = names[0][:-1] + ("x" if names[0][-1] != "x" else "y")
    hs = model.strengths([typo] + names[1:], slate.starts(), "intermediate", DEFAULT_PARAMS["intermediate"])
    assert hs.unknown == (typo,)
    assert not hs.known[0] and hs.known[1:].all()
    assert f"did you mean {names[0]}?" in hs.warnings[0]


def test_simulate_blends_and_reports() -> None:
    slate = demo_slate()
    model = load_history_model(DEMO_HISTORY)
    plain = simulate(slate, 1000, 3)
    mixed = simulate(slate, 1000, 3, history=model)
    only_hist = simulate(slate, 1000, 3, history=model, history_weight=1.0)
    h = mixed.meta["history"]
    assert h["weight"] == 0.5 and h["races"] == 36 and h["key"] == model.key and h["unknown_drivers"] == []
    assert "blended with projection" in mixed.meta["strength_source"]
    s_plain = np.array(plain.meta["strength"])
    s_hist = np.array(only_hist.meta["strength"])
    s_mixed = np.array(mixed.meta["strength"])
    assert np.allclose(s_mixed, 0.5 * (s_plain - s_plain.mean()) + 0.5 * (s_hist - s_hist.mean()))
    assert not np.allclose(s_hist, s_plain - s_plain.mean(), atol=0.05)
    # same inputs and seed: same bytes
    again = simulate(slate, 1000, 3, history=model)
    assert np.array_equal(again.points, mixed.points)


def test_cli_simulate_history_only(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sal, _ = demo_paths()
    out = tmp_path / "s.npz"
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(_starts_only(tmp_path)),
                 "--history", str(DEMO_HISTORY), "--scenarios", "500", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert "history only" in cap.out and "salary" not in cap.err  # no salary-fallback warning
    from tailrace.sim.io import load_scenarios

    meta = load_scenarios(out).meta
    assert meta["history"]["weight"] == 1.0 and meta["strength_source"].startswith("history history.csv")


def test_cli_optimize_and_contest_report_the_history(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sal, proj = demo_paths()
    res = tmp_path / "opt.json"
    up = tmp_path / "up.csv"
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--history", str(DEMO_HISTORY), "--history-weight", "0.7", "--n-scenarios", "500",
                 "--lineups", "1", "--json", str(res), "--out", str(up)]) == 0
    assert "history history.csv (36 races): weight 0.70, given" in capsys.readouterr().err
    doc = json.loads(res.read_text())
    assert doc["history"]["weight"] == 0.7 and "history weight 0.70" in doc["scenario_meta"]["strength_source"]
    c = tmp_path / "contest.json"
    assert main(["contest", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--portfolio", str(up),
                 "--history", str(DEMO_HISTORY), "--n-scenarios", "500", "--field-size", "200", "--json", str(c)]) == 0
    assert json.loads(c.read_text())["history"]["weight"] == 0.5


def test_cli_history_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    sal, proj = demo_paths()
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--history", str(tmp_path / "missing.csv"), "--scenarios", "500"]) == 2
    assert "--history" in capsys.readouterr().err
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--history", str(DEMO_HISTORY), "--history-weight", "2", "--scenarios", "500"]) == 2
    capsys.readouterr()
    npz = tmp_path / "s.npz"
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--scenarios", "500", "--out", str(npz)]) == 0
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--scenarios", str(npz),
                 "--history", str(DEMO_HISTORY)]) == 2
    assert "drop --history" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("season,race_num,track,driver,start,finish,laps,laps_led,status\n2025,1,Kansas,A,x,1,200,0,running\n",
                   encoding="utf-8")
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--history", str(bad), "--scenarios", "500"]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "Traceback" not in err
