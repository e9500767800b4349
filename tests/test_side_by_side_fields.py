"""Field models drawn and simulated side by side (``ensemble.map_members``,
``pipeline.field_model_figures``): the same fields and the same figures as one after the other."""

from __future__ import annotations

import threading
from importlib.resources import files

import numpy as np
import pytest

from tailrace.contest import field_ensemble, make_contest, run_contest
from tailrace.contest import sharp
from tailrace.contest.ensemble import map_members


@pytest.fixture(scope="module")
def demo():
    from tailrace.slate import read_slate

    d = files("tailrace") / "data" / "demo"
    sl = read_slate("dk", d / "dk_salaries.csv", d / "projections.csv")
    proj = np.array([x.projection for x in sl.drivers], dtype=np.float64)
    own = np.array([x.ownership for x in sl.drivers], dtype=np.float64)
    return sl, proj, sl.salaries(), own


def test_map_members_keeps_order_uses_threads_and_raises_the_first_error(monkeypatch) -> None:
    monkeypatch.delenv("TAILRACE_SERIAL", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    seen: set[str] = set()

    def fn(i: int) -> int:
        seen.add(threading.current_thread().name)
        return i * i

    assert map_members(fn, range(5)) == [0, 1, 4, 9, 16]
    assert all(name.startswith("tailrace-field") for name in seen)  # on the helper threads
    seen.clear()
    monkeypatch.setenv("TAILRACE_SERIAL", "1")
    assert map_members(fn, range(3)) == [0, 1, 4] and seen == {threading.current_thread().name}

    def bad(i: int) -> int:
        if i == 1:
            raise ValueError("member 1")
        return i

    monkeypatch.delenv("TAILRACE_SERIAL")
    with pytest.raises(ValueError, match="member 1"):
        map_members(bad, range(3))


def test_ensemble_side_by_side_draws_the_same_fields_as_in_turn(demo, monkeypatch) -> None:
    _, proj, sal, own = demo
    monkeypatch.setattr("os.cpu_count", lambda: 2)

    def draw() -> list:
        sharp._TOP_CACHE.clear()  # each way searches the near-optimal pool itself
        return field_ensemble(own, sal, 6, 50_000, 3_000, projections=proj, members=4, rng=11)

    monkeypatch.setenv("TAILRACE_SERIAL", "1")
    in_turn = draw()
    monkeypatch.delenv("TAILRACE_SERIAL")
    side = draw()
    assert [f.model for f in side] == [f.model for f in in_turn]
    for a, b in zip(side, in_turn):
        np.testing.assert_array_equal(a.lineups, b.lineups)
    # the members differ from one another (each its own seed and model), so equality above means something
    assert not np.array_equal(side[1].lineups, side[2].lineups)


def test_field_model_figures_side_by_side_equal_each_model_simulated_alone(demo, monkeypatch) -> None:
    from tailrace.pipeline import field_model_figures

    sl, proj, sal, own = demo
    rng = np.random.default_rng(5)
    points = rng.gamma(2.0, 12.0, size=(600, sal.shape[0])).round(1).astype(np.float32)  # DK's 0.05 grid
    lineups = np.sort(np.array([rng.choice(sal.shape[0], 6, replace=False) for _ in range(8)]), axis=1)
    lineups = lineups[sal[lineups].sum(axis=1) <= 50_000].astype(np.int32)
    c = make_contest(sal, 6, 50_000, field_size=2_000, ownership=own, projections=proj, rng=3,
                     field_sharpness="auto")
    monkeypatch.delenv("TAILRACE_SERIAL", raising=False)
    res = run_contest(c, points, lineups)
    got = field_model_figures(c, res, points, lineups)
    want = [{"model": m.field.model, "roi": float(r.portfolio.roi), "roi_se": float(r.portfolio.roi_se)}
            for m, r in ((m, run_contest(m, points, lineups)) for m in c.field_models())]
    assert got == want and len(got) == 3
