"""Contest mode's selection and held-out fields (optimize/contest/fields.py): seeded, reproducible, other models."""

from __future__ import annotations

import numpy as np

from tailrace.contest import make_contest
from tailrace.optimize.contest import fields
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.problem import LineupRules


def _setup():
    rng = np.random.default_rng(0)
    n = 14
    sal = (rng.integers(40, 100, n) * 100).astype(np.int64)
    mean = np.linspace(30, 8, n)
    rules = LineupRules(roster_size=4, salary_cap=30_000)
    contest = make_contest(sal, 4, 30_000, entry_fee=2.0, field_size=600, projections=mean, min_salary=0, rng=3)
    lus = enumerate_feasible(rules, sal, n)[0]
    return sal, mean, rules, contest, lus


def test_perturb_ownership_keeps_the_total_and_is_seeded() -> None:
    own = np.array([80.0, 60.0, 40.0, 20.0, 0.0])
    a = fields.perturb_ownership(own, 0.3, np.random.default_rng(1))
    b = fields.perturb_ownership(own, 0.3, np.random.default_rng(1))
    assert np.array_equal(a, b) and abs(a.sum() - own.sum()) < 1e-9
    assert a[4] == 0.0
    # each ratio is exp(0.3 z) up to the common renormalisation: the log ratios' spread is 0.3 z's
    z = np.random.default_rng(1).standard_normal(5)
    r = np.log(a[:4] / own[:4])
    assert np.allclose(r - r.mean(), 0.3 * (z[:4] - z[:4].mean()))


def test_fields_are_seeded_reproducible_and_distinct() -> None:
    sal, mean, rules, contest, lus = _setup()
    s1 = fields.selection_contest(contest, sal, rules, mean, lus, 5)
    s2 = fields.selection_contest(contest, sal, rules, mean, lus, 5)
    s3 = fields.selection_contest(contest, sal, rules, mean, lus, 6)
    assert np.array_equal(s1.field.lineups, s2.field.lineups)
    assert not np.array_equal(s1.field.lineups, s3.field.lineups)
    assert s1.field.n_entries == contest.field.n_entries and s1.payouts is contest.payouts
    h1 = fields.held_out_contests(contest, sal, rules, mean, lus, 5)
    h2 = fields.held_out_contests(contest, sal, rules, mean, lus, 5)
    assert [np.array_equal(a.field.lineups, b.field.lineups) for a, b in zip(h1, h2)] == [True, True]
    for h in h1:
        assert h.field.n_entries == contest.field.n_entries
        assert not np.array_equal(h.field.lineups, s1.field.lineups)
        assert (sal[h.field.lineups].sum(axis=1) <= rules.salary_cap).all()
    # the sharper held-out field holds the best lineup by mean far more often than the contest's own
    best = tuple(lus[np.argmax(mean[lus.astype(np.int64)].sum(axis=1))])

    def share(f):
        return np.mean([tuple(x) == best for x in f.lineups.tolist()])
    assert share(h1[1].field) > share(contest.field) + 0.02


def test_optimiser_entries_are_near_optimal_and_duplicated() -> None:
    sal, mean, rules, contest, lus = _setup()
    e = fields.optimiser_entries(mean, lus, 500, np.random.default_rng(2), top=50)
    score = mean[lus.astype(np.int64)].sum(axis=1)
    top50 = {tuple(x) for x in lus[np.argsort(-score, kind="stable")[:50]].tolist()}
    assert all(tuple(x) in top50 for x in e.tolist())
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert counts.max() >= 20  # popular lineups come up many times


def test_a_given_field_is_kept() -> None:
    from dataclasses import replace

    from tailrace.contest import Field

    sal, mean, rules, contest, lus = _setup()
    given = replace(contest, field=Field(contest.field.lineups, source="entries.csv"), ownership=None)
    assert fields.selection_contest(given, sal, rules, mean, lus, 1) is given
    assert fields.held_out_contests(given, sal, rules, mean, lus, 1) == [given]
