"""Honest track parameters in the backtest: a race up to 2022 is simulated with track-type
parameters fitted only on the races strictly before it (the calibration's refit schedule), a
later race with DEFAULT_PARAMS (fitted on 2019-2022), and each race says what its parameters saw.

A tiny synthetic history (``_tinyhistory``: 2020, 20 drivers, 12 races at one track) keeps the fits to
seconds; the fit cache goes to a temporary directory, so every fit here really runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tailrace.backtest.run import BacktestOptions, RaceJob, params_plan, run_backtest
from tailrace.calibration import params_fit_schedule
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.sim.history import History

from _tinyhistory import tiny_history

JOBS = [RaceJob(2020, r) for r in (10, 11, 12)]
_history = tiny_history


def _scrambled(hist: History, first: tuple[int, int]) -> History:
    """``hist`` with the results (finish, laps, laps led, fastest laps, status, moving together)
    of race ``first`` and every later race shuffled among its drivers; grid and track stay."""
    rng = np.random.default_rng(11)
    out = []
    for r in hist.races():
        if r.race_id >= first:
            perm = rng.permutation(r.n)
            while perm[int(np.argmin(r.finish))] == int(np.argmin(r.finish)):  # the winner changes
                perm = rng.permutation(r.n)
            r = dataclasses.replace(r, finish=r.finish[perm], laps=r.laps[perm], laps_led=r.laps_led[perm],
                                    fastest_laps=r.fastest_laps[perm], status=tuple(r.status[i] for i in perm))
        out.append(r)
    return History(source="scrambled", _races=tuple(out))


def _opts(every: int) -> BacktestOptions:
    return BacktestOptions(spec=ConstraintSpec(n_lineups=2), methods=("marginal", "hvz"), n_scenarios=300,
                           field_size=200, cash_field_size=40, field_draws=2, min_history_races=9,
                           params_refit_every=every)


def test_schedule_fits_only_on_earlier_races() -> None:
    hist = _history()
    # by hand: race 10 has 9 races before it (first fit), 11 has 10 (grown by 1 < 2: same fit),
    # 12 has 11 (grown by 2: a refit on races 1..11)
    fits, which = params_plan(hist, JOBS, _opts(2))
    assert fits == [(2020, 10), (2020, 12)] and which == [0, 0, 1]
    for job, w in zip(JOBS, which):
        seen = [r.race_id for r in hist.before(*fits[w]).races()]
        assert seen and max(seen) < (job.season, job.race_num)  # no row of the race or a later one
    # the calibration's own schedule, refitting before every race
    assert params_fit_schedule(hist, [(2020, 10), (2020, 11), (2020, 12)], 1) == (
        [(2020, 10), (2020, 11), (2020, 12)], [0, 1, 2])
    # a 2023 race keeps DEFAULT_PARAMS (-1); refitting off: every race does
    later = JOBS + [RaceJob(2023, 1)]
    assert params_plan(hist, later, _opts(2))[1][-1] == -1
    assert params_plan(hist, JOBS, _opts(0)) == ([], [-1, -1, -1])


def test_the_race_and_later_rows_never_reach_its_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "cache"))
    hist = _history()
    res = run_backtest(hist, JOBS, _opts(2))
    assert [(r.race_num, r.params_fitted_through, r.params_in_sample) for r in res.races] == [
        (10, [2020, 9], False), (11, [2020, 9], False), (12, [2020, 11], False)]
    assert res.races[2].params_source == "fitted on the 11 complete races through 2020-11"
    assert res.options["params_fits"] == [[2020, 10], [2020, 12]]
    # scramble race 12 and later: race 12's parameters (fitted through race 11) and ratings are the
    # same, so its simulated race and portfolios are byte-identical; only the scoring changes
    fake = run_backtest(_scrambled(hist, (2020, 12)), JOBS[2:], _opts(2)).races[0]
    real = res.races[2]
    assert fake.sim_mean == real.sim_mean
    assert all(fake.methods[m].lineups == real.methods[m].lineups for m in real.methods)
    assert fake.real_points != real.real_points
    # the parameters matter: DEFAULT_PARAMS (refitting off) simulate another race, labelled in-sample
    # (they were fitted through 2022-36, after this 2020 race)
    dflt = run_backtest(hist, JOBS[2:], _opts(0)).races[0]
    assert dflt.params_in_sample and dflt.params_fitted_through == [2022, 36]
    assert dflt.params_source == "DEFAULT_PARAMS"
    assert dflt.sim_mean != real.sim_mean
    assert "field draws only" in res.se_notes["race"]
