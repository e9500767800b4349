"""The ownership-error knob (issue 23): how far the user's ownership is taken to be from the
real field's (log-sd sigma of exp(N(0, sigma^2)) per driver). Checked on every face, and on
what it means: with sigma 0 the estimate's interval must cover fresh races against fields
drawn from the file itself, judged by samplers written here."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.contest import Field, check_ownership_error, make_contest, run_contest
from tailrace.errors import InputError
from tailrace.optimize.contest_mode import generate_contest_portfolio
from tailrace.optimize.problem import LineupRules
from tailrace.sites import DEFAULT_OWNERSHIP_ERROR
from tailrace.slate import demo_paths


def _slate(seed: int = 6, n: int = 15, S: int = 600):
    rng = np.random.default_rng(seed)
    sal = (rng.integers(40, 100, n) * 100).astype(np.int64)
    pts = np.round((np.linspace(4, 1, n) + rng.gamma(1.5, 2.0, (S, n))) * 20) / 20
    return pts.astype(np.float32), sal, LineupRules(roster_size=4, salary_cap=30_000)


def test_the_check_names_the_option_and_takes_numbers_in_range():
    assert DEFAULT_OWNERSHIP_ERROR == 0.3
    for ok in (0, 0.0, 0.15, 1.5, np.float64(0.3)):
        assert check_ownership_error(ok) == float(ok)
    for bad in (-0.01, 1.51, float("nan"), float("inf"), "0.3", None, True):
        with pytest.raises(InputError) as ei:
            check_ownership_error(bad)
        (p,) = ei.value.problems
        assert p.param == "ownership_error" and "ownership_error=0.3" in str(ei.value)


def test_the_contest_and_its_ensemble_carry_it():
    pts, sal, rules = _slate()
    mk = lambda **kw: make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,  # noqa: E731
                                   projections=pts.mean(axis=0), min_salary=0, rng=3, field_sharpness="auto", **kw)
    default, exact = mk(), mk(ownership_error=0.0)
    assert default.ownership_error == 0.3 and exact.ownership_error == 0.0
    assert all(a.ownership_error == 0.0 for a in exact.alternatives)
    # the plain field does not depend on it (drawn before the ensemble); the ensemble's members do:
    # with sigma 0 the perturbed member is drawn from the file's ownership itself
    np.testing.assert_array_equal(default.field.lineups, exact.field.lineups)
    assert any(not np.array_equal(a.field.lineups, b.field.lineups)
               for a, b in zip(default.alternatives, exact.alternatives))
    with pytest.raises(InputError, match="ownership error"):
        mk(ownership_error=-1)


def test_with_no_error_the_interval_covers_fresh_races_against_the_files_own_fields():
    """sigma = 0 says the file is the real field's ownership. Then the estimate must hold against
    fields drawn from the file by samplers tailrace does not use (written here: drivers drawn by
    ownership weight without calibration, a lineup under 92 % of the cap drawn again; and
    tailrace's calibrated sampler with another seed), on fresh races; and the note says what it
    assumed."""
    pts, sal, rules = _slate()
    contest = make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                           projections=pts.mean(axis=0), min_salary=0, rng=3, ownership_error=0.0)
    a = generate_contest_portfolio(pts, sal, rules, 10, contest, max_exposure=0.5, seed=2)
    lo, hi = a.roi_interval
    assert lo <= a.roi_estimate <= hi
    assert "ownership error 0" in a.estimate_note and "30 %" not in a.estimate_note
    # no error: the posterior mean is the file, so each model's two fields are one field, and the
    # estimate is the plain mean over the three models
    by = np.array(a.cv_by_field)
    assert np.array_equal(by[0::2], by[1::2]) and a.roi_estimate == pytest.approx(by[0::2].mean(), abs=1e-12)
    fresh = _slate(S=2600)[0][600:]
    own = contest.ownership / contest.ownership.sum()
    for t in range(2):
        g = np.random.default_rng(70 + t)
        rows = []
        while len(rows) < 300:  # weighted draws without replacement, salary floor 92 % of the cap
            lu = g.choice(sal.size, size=rules.roster_size, replace=False, p=own)
            if 0.92 * rules.salary_cap <= sal[lu].sum() <= rules.salary_cap:
                rows.append(np.sort(lu))
        judges = [np.array(rows, dtype=np.int32),
                  make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                               ownership=contest.ownership, min_salary=0, rng=90 + t).field.lineups]
        for f in judges:
            judge = make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                                 payouts=contest.payouts, field=Field(f, source="judge"))
            r = run_contest(judge, fresh, a.lineups).portfolio.roi
            assert lo <= r <= hi, (t, lo, r, hi)


def test_the_faces_take_it_and_name_it_when_wrong(tmp_path, capsys):
    from pydantic import ValidationError

    from tailrace.api.schemas import ContestSpecIn, PlanRequest

    sal, proj = demo_paths()
    # the CLI: checked before any simulation, named by its flag
    rc = main(["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--mode", "contest",
               "--ownership-error", "2", "--n-scenarios", "100"])
    err = capsys.readouterr().err
    assert rc == 2 and "--ownership-error" in err and "simulating" not in err
    rc = main(["contest", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--portfolio", str(tmp_path / "p.csv"),
               "--ownership-error", "-1"])
    assert rc == 2 and "--ownership-error" in capsys.readouterr().err
    (tmp_path / "day.yaml").write_text("contests:\n  - {name: A, entry_fee: 5, field_size: 300, max_entries: 2}\n")
    rc = main(["plan", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--contests", str(tmp_path / "day.yaml"),
               "--bankroll", "100", "--ownership-error", "9"])
    assert rc == 2 and "--ownership-error" in capsys.readouterr().err
    # the API: a field of the contest (and of the plan), range-checked
    assert ContestSpecIn().ownership_error == 0.3 and ContestSpecIn(ownership_error=0).ownership_error == 0
    for bad in (-0.1, 1.6, float("nan")):
        with pytest.raises(ValidationError, match="ownership_error"):
            ContestSpecIn(ownership_error=bad)
    base = {"slate_id": "s", "bankroll": 100, "contests": [{"name": "A", "entry_fee": 5, "field_size": 300,
                                                            "max_entries": 2}]}
    assert PlanRequest(**base, ownership_error=0.15).ownership_error == 0.15
    with pytest.raises(ValidationError, match="ownership_error"):
        PlanRequest(**base, ownership_error=2)


def test_run_optimize_says_which_error_it_assumed():
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.pipeline import contest_from_options, run_optimize
    from tailrace.sim.scenarios import Scenarios
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    rng = np.random.default_rng(7)
    n = 14
    sal = (rng.integers(60, 105, n) * 100).tolist()
    ids = [str(1000 + i) for i in range(n)]
    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=f"Driver {i}", salary=s) for i, s in zip(ids, sal)))
    P = (np.round((np.linspace(30, 10, n) + rng.gamma(1.5, 12.0, (300, n))) * 20) / 20).astype(np.float32)
    scen = Scenarios(points=P, driver_ids=tuple(ids), meta={"seed": 1})
    spec = ConstraintSpec.from_data({"n_lineups": 3, "mode": "contest"})
    docs = {}
    for s in (0.15, None):
        contest = contest_from_options(slate, P, entry_fee=5.0, field_size=300, seed=4, ownership_error=s)
        docs[s] = run_optimize(slate, scen, spec, contest=contest, explain=False).result.to_json()["portfolio"]["contest"]
    assert docs[0.15]["ownership_error"] == 0.15 and docs[None]["ownership_error"] == 0.3
    assert "15 %" in docs[0.15]["estimate_note"] and "30 %" in docs[None]["estimate_note"]


def _weighted_field(own: np.ndarray, sal: np.ndarray, roster: int, cap: int, n: int, g: np.random.Generator,
                    floor: float = 0.92) -> np.ndarray:
    """A judge written here, not tailrace's sampler: drivers drawn by ``own`` weight without
    replacement, a lineup under ``floor`` of the cap (or over it) drawn again. (n, roster) int32."""
    p = own / own.sum()
    rows = []
    while len(rows) < n:
        lu = g.choice(sal.size, size=roster, replace=False, p=p)
        if floor * cap <= sal[lu].sum() <= cap:
            rows.append(np.sort(lu))
    return np.array(rows, dtype=np.int32)


@pytest.mark.slow
def test_with_an_ownership_error_the_estimate_is_not_above_fresh_races_against_the_true_field():
    """sigma = 0.3: the file is the real ownership x exp(N(0, 0.3^2)) per driver (six draws of that
    error). Each run's estimate against what its portfolio earns on fresh races against fields drawn
    from the *true* ownership (a sampler written here and tailrace's own with other seeds): on average
    the estimate must not sit above the realised ROI by more than the SE of that mean gap.

    Before the pretend truth's own optimism was taken off (``optimize.contest.estimate.noise_gain``)
    the estimate sat 4.2 points above (SE 3.9); after, 0.4 below (SE 4.2), and within the SE with
    three other sets of seeds (errors, judges, contest field)."""
    pts, sal, rules = _slate()
    fresh = _slate(S=4600)[0][600:]
    truth = make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                         projections=pts.mean(axis=0), min_salary=0, rng=3).ownership
    judges = []
    for t in range(2):
        judges.append(_weighted_field(truth, sal, rules.roster_size, rules.salary_cap, 300, np.random.default_rng(70 + t)))
        judges.append(make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                                   ownership=truth, min_salary=0, rng=90 + t).field.lineups)
    gaps = []
    for e in range(6):
        w = truth * np.exp(0.3 * np.random.default_rng(500 + e).standard_normal(truth.size))
        contest = make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                               ownership=w * truth.sum() / w.sum(), min_salary=0, rng=3)
        assert contest.ownership_error == 0.3
        a = generate_contest_portfolio(pts, sal, rules, 10, contest, max_exposure=0.5, seed=2)
        real = [run_contest(make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                                      payouts=contest.payouts, field=Field(f, source="judge")), fresh,
                         a.lineups).portfolio.roi for f in judges]
        gaps.append(a.roi_estimate - float(np.mean(real)))
    gaps = np.array(gaps)
    se = gaps.std(ddof=1) / np.sqrt(gaps.size)
    assert gaps.mean() <= se, (gaps.round(3), se)


def test_the_noise_gain_is_the_roi_difference_against_the_reweighted_field():
    """``noise_gain`` re-derived with the measure's own contest simulation: per judge and draw, the
    field's distinct opponents resampled to its size once as they are and once weighted by the
    product of exp(N(0, sigma^2)) over each lineup's drivers (the same seeded draws), the
    portfolio run against each as a field given as a file; the gain is the mean ROI difference.
    With sigma 0 there is nothing to take off."""
    from tailrace.optimize.contest.estimate import noise_gain

    pts, sal, rules = _slate(S=400)
    contest = make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                           projections=pts.mean(axis=0), min_salary=0, rng=3)
    judges = [contest, make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=300,
                                    ownership=contest.ownership, min_salary=0, rng=11)]
    lu = judges[1].field.lineups[[0, 5, 9, 40]]
    mean, sd = noise_gain(pts, lu, judges, 4, 0.3, 7, draws=3, max_scenarios=400)
    per = np.zeros((2, 3))
    for j, judge in enumerate(judges):
        fu, fc = judge.opponents(4).unique()
        for d in range(3):
            g = np.random.default_rng([7, 0x0E5E, j, d])
            eps = np.exp(g.normal(0.0, 0.3, size=sal.size))
            base = fc / fc.sum()
            w = base * eps[fu].prod(axis=1)
            rois = []
            for q in (base, w / w.sum()):
                c = g.multinomial(int(fc.sum()), q)
                field = Field(np.repeat(fu, c, axis=0), source="judge")
                rois.append(run_contest(make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0,
                                                     field_size=int(c.sum()) + 4, payouts=contest.payouts,
                                                     field=field), pts, lu).portfolio.roi)
            per[j, d] = rois[1] - rois[0]
    assert abs(mean) > 1e-3 and sd > 0  # a real difference, not two copies of one figure
    assert mean == pytest.approx(per.mean(axis=0).mean(), abs=1e-9)
    assert sd == pytest.approx(per.mean(axis=0).std(ddof=1), abs=1e-9)
    assert noise_gain(pts, lu, judges, 4, 0.0, 7) == (0.0, 0.0)
