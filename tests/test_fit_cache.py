"""Track-parameter fits cached on disk by content (sim/fit_cache.py)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from tailrace.sim import fit_cache
from tailrace.sim.params import DEFAULT_PARAMS, RaceRecord, fit_track_type_params
from tailrace.sim.strength.from_slate import strength_from_start
from tailrace.sim.race import simulate_race

TRUE = DEFAULT_PARAMS["intermediate"]


def _records(n_races: int, seed: int) -> list[RaceRecord]:
    n = 36
    start = np.random.default_rng(seed).permutation(n) + 1
    out = simulate_race(strength_from_start(start, TRUE), start, 267, TRUE, n_races, np.random.default_rng(seed))
    return [RaceRecord(track_type="intermediate", race_laps=int(out.laps_completed[i].max()), start=start,
                       finish=out.finish[i].astype(int), laps_completed=out.laps_completed[i].astype(int),
                       laps_led=out.laps_led[i].astype(int), fastest_laps=out.fastest_laps[i].astype(int),
                       dnf=out.dnf[i].copy())
            for i in range(n_races)]


FB = {"intermediate": TRUE}


@pytest.fixture(scope="module")
def fitted() -> tuple[list[RaceRecord], dict]:
    """Four races (the fewest the fitter fits rather than falling back) and their direct fit."""
    recs = _records(4, 5)
    return recs, fit_track_type_params(recs, fallback=FB)


def test_hit_returns_exactly_the_fit_without_fitting_again(tmp_path, monkeypatch, fitted) -> None:
    recs, direct = fitted
    fb = FB
    assert direct["intermediate"] != TRUE  # a real fit, not the fallback
    first = fit_cache.fitted_params(recs, fb, directory=tmp_path)
    assert first == direct
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text())["params"]["intermediate"] == dataclasses.asdict(direct["intermediate"])

    def no_fit(*a, **k):
        raise AssertionError("fitted again although the cache holds the fit")

    monkeypatch.setattr(fit_cache, "fit_track_type_params", no_fit)
    again = fit_cache.fitted_params(recs, fb, directory=tmp_path)
    assert again == direct  # float for float: JSON round-trips Python floats exactly


def test_key_follows_content_races_fallback_and_fitter(monkeypatch) -> None:
    recs = _records(6, 7)
    k = fit_cache.fit_key(recs, None)
    assert k == fit_cache.fit_key(_records(6, 7), None)  # equal content, equal key
    changed = list(recs)
    changed[3] = dataclasses.replace(recs[3], laps_led=recs[3].laps_led + np.eye(1, recs[3].laps_led.size, 0,
                                                                                  dtype=int)[0])
    assert fit_cache.fit_key(changed, None) != k  # one lap led more in one race
    assert fit_cache.fit_key(recs[:-1], None) != k
    assert fit_cache.fit_key(recs, {"intermediate": TRUE}) != k
    monkeypatch.setattr(fit_cache, "_fitter_digest", lambda: "another fitter")
    assert fit_cache.fit_key(recs, None) != k


def test_unreadable_entry_is_refitted_and_replaced(tmp_path, fitted) -> None:
    recs, direct = fitted
    key = fit_cache.fit_key(recs, FB)
    (tmp_path / f"{key}.json").write_text("{not json")
    assert fit_cache.fitted_params(recs, FB, directory=tmp_path) == direct
    assert json.loads((tmp_path / f"{key}.json").read_text())["key"] == key


def test_default_directory_follows_the_cache_setting(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "c"))
    assert fit_cache.fit_cache_dir() == tmp_path / "c" / "fits"


def test_unwritable_directory_still_fits(tmp_path, fitted) -> None:
    recs, direct = fitted
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the directory should be
    assert fit_cache.fitted_params(recs, FB, directory=blocker / "fits") == direct

