"""Cold parameter fits side by side (issue 25, goal 4): `calibrate` fits the track-type parameters
before several races; on a cold cache they run in worker processes. The answer must be the fits
made one after another in this process, float for float, and they must land in the fit cache.
And each fit is looked up in the cache once: its key built once, its file read once."""

from __future__ import annotations

import collections
import dataclasses
import os

from _tinyhistory import tiny_history

from tailrace.calibration import (_fits_side_by_side, _generic_params, end_to_end_calibration, fit_params_before,
                                  params_fit_schedule)
from tailrace.distributed import LocalExecutor
from tailrace.sim import fit_cache


def _values(params: dict) -> dict:
    return {t: dataclasses.astuple(p) for t, p in sorted(params.items())}


def _entries(hist, fits):
    return [fit_cache.look_up(hist.before(*rid).to_records(), _generic_params()) for rid in fits]


def test_side_by_side_fits_are_the_fits_in_turn(tmp_path, monkeypatch):
    hist = tiny_history(n_races=12)
    fits = [(2020, 9), (2020, 12)]
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "par"))
    cold = _entries(hist, fits)
    assert [e.params for e in cold] == [None, None]
    par = _fits_side_by_side(cold)
    assert par is not None and len(par) == 2
    assert len(list((tmp_path / "par" / "fits").glob("*.json"))) == 2  # the workers filled the cache
    # now cached: looked up again, nothing is missing, and the cache holds what the workers fitted
    warm = _entries(hist, fits)
    assert [_values(e.params) for e in warm] == [_values(p) for p in par]
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "serial"))
    serial = [fit_params_before(rid, history=hist) for rid in fits]
    assert [_values(p) for p in par] == [_values(p) for p in serial]
    assert _values(par[0]) != _values(par[1])  # two different histories, two different fits
    # TAILRACE_SERIAL, or a single fit: in turn, here
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "off"))
    off = _entries(hist, fits)
    monkeypatch.setenv("TAILRACE_SERIAL", "1")
    assert _fits_side_by_side(off) is None
    monkeypatch.delenv("TAILRACE_SERIAL")
    assert _fits_side_by_side(off[:1]) is None


def test_a_warm_calibration_builds_each_fit_key_once_and_reads_it_once(tmp_path, monkeypatch):
    """With every parameter fit cached, `calibrate` (no executor, two cores: the side-by-side road)
    builds each fit's key once and reads its cache file once. It used to do both twice per fit:
    ``is_cached`` to count the missing fits, then ``fitted_params`` to get each."""
    hist = tiny_history(n_races=12)
    ids = [(2020, 11), (2020, 12)]
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("TAILRACE_SERIAL", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # a core to spare, whatever this machine has
    fits, _ = params_fit_schedule(hist, ids, 1)
    assert fits == ids
    for rid in fits:  # fills the cache: two files
        fit_params_before(rid, history=hist)
    files = sorted(str(p) for p in (tmp_path / "fits").glob("*.json"))
    assert len(files) == 2

    keys: list[str] = []
    reads: list[str] = []
    key_fn, load_fn = fit_cache.fit_key, fit_cache._load

    def counted_key(*a, **k):
        keys.append(key_fn(*a, **k))
        return keys[-1]

    def counted_load(path):
        reads.append(str(path))
        return load_fn(path)

    monkeypatch.setattr(fit_cache, "fit_key", counted_key)
    monkeypatch.setattr(fit_cache, "_load", counted_load)
    res = end_to_end_calibration(hist, ids, n_scenarios=300, seed=3, min_history_races=10, params_refit_every=1)
    assert len(keys) == 2 and len(set(keys)) == 2, keys
    assert collections.Counter(reads) == collections.Counter(files), reads
    # the same calibration as the executor's road (each fit by ``fit_params_before``, as before)
    assert res.races_evaluated == 2
    other = end_to_end_calibration(hist, ids, n_scenarios=300, seed=3, min_history_races=10, params_refit_every=1,
                                   executor=LocalExecutor())
    a, b = res.model_dump(), other.model_dump()
    a.pop("seconds"), b.pop("seconds")
    assert a == b
