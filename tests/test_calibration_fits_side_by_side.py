"""Cold parameter fits side by side (issue 25, goal 4): `calibrate` fits the track-type parameters
before several races; on a cold cache they run in worker processes. The answer must be the fits
made one after another in this process, float for float, and they must land in the fit cache."""

from __future__ import annotations

import dataclasses

from _tinyhistory import tiny_history

from tailrace.calibration import _fits_side_by_side, fit_params_before


def _values(params: dict) -> dict:
    return {t: dataclasses.astuple(p) for t, p in sorted(params.items())}


def test_side_by_side_fits_are_the_fits_in_turn(tmp_path, monkeypatch):
    hist = tiny_history(n_races=12)
    fits = [(2020, 9), (2020, 12)]
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "par"))
    par = _fits_side_by_side(hist, fits)
    assert par is not None and len(par) == 2
    assert len(list((tmp_path / "par" / "fits").glob("*.json"))) == 2  # the workers filled the cache
    # now cached: nothing left worth a process
    assert _fits_side_by_side(hist, fits) is None
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "serial"))
    serial = [fit_params_before(rid, history=hist) for rid in fits]
    assert [_values(p) for p in par] == [_values(p) for p in serial]
    assert _values(par[0]) != _values(par[1])  # two different histories, two different fits
    # TAILRACE_SERIAL, or a single fit: in turn, here
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "off"))
    monkeypatch.setenv("TAILRACE_SERIAL", "1")
    assert _fits_side_by_side(hist, fits) is None
    monkeypatch.delenv("TAILRACE_SERIAL")
    assert _fits_side_by_side(hist, fits[:1]) is None
