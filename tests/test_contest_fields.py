"""Contest mode's selection and held-out fields (optimize/contest/fields.py): seeded, reproducible,
built from the measure layer's field models (tailrace.contest), the held-out ones from other models."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tailrace.contest import Field, make_contest
from tailrace.optimize.contest import fields
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.problem import LineupRules


def _setup(**kw):
    rng = np.random.default_rng(0)
    n = 14
    sal = (rng.integers(40, 100, n) * 100).astype(np.int64)
    mean = np.linspace(30, 8, n)
    rules = LineupRules(roster_size=4, salary_cap=30_000)
    contest = make_contest(sal, 4, 30_000, entry_fee=2.0, field_size=600, projections=mean, min_salary=0, rng=3, **kw)
    lus = enumerate_feasible(rules, sal, n)[0]
    return sal, mean, rules, contest, lus


def _rows(a: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(x) for x in np.sort(a, axis=1).tolist()}


def test_fields_are_seeded_reproducible_and_distinct() -> None:
    sal, mean, rules, contest, lus = _setup()
    s1 = fields.selection_contest(contest, sal, rules, mean, 5)
    s2 = fields.selection_contest(contest, sal, rules, mean, 5)
    s3 = fields.selection_contest(contest, sal, rules, mean, 6)
    assert np.array_equal(s1.field.lineups, s2.field.lineups)
    assert not np.array_equal(s1.field.lineups, s3.field.lineups)
    assert s1.field.n_entries == contest.field.n_entries and s1.payouts is contest.payouts
    h1 = fields.held_out_contests(contest, sal, rules, mean, 5)
    h2 = fields.held_out_contests(contest, sal, rules, mean, 5)
    assert len(h1) == len(fields.HELD_OUT) >= 4
    assert all(np.array_equal(a.field.lineups, b.field.lineups) for a, b in zip(h1, h2))
    for h in h1:
        assert h.field.n_entries == contest.field.n_entries
        assert not np.array_equal(h.field.lineups, s1.field.lineups)
        assert (sal[h.field.lineups].sum(axis=1) <= rules.salary_cap).all()
        assert (np.diff(h.field.lineups, axis=1) > 0).all()  # distinct drivers, rows sorted


def test_held_out_fields_span_the_models() -> None:
    """Every sampler and sharpness the interval must cover is there, the uncalibrated ones under
    their own salary floor (92 % of the cap, where the contest's field goes lower)."""
    sal, mean, rules, contest, _ = _setup()
    kinds = {k for k, _ in fields.HELD_OUT}
    assert kinds == {"calibrated", "uncalibrated"}
    assert {s for _, s in fields.HELD_OUT} >= {0.0, 0.2, 0.35}
    held = fields.held_out_contests(contest, sal, rules, mean, 5)
    spent_contest = sal[contest.field.lineups].sum(axis=1)
    assert spent_contest.min() < 0.92 * rules.salary_cap  # so the floor below tells the samplers apart
    for (kind, sh), h in zip(fields.HELD_OUT, held):
        spent = sal[h.field.lineups].sum(axis=1)
        if kind == "uncalibrated":  # every entry but the optimisers' (built under the cap alone)
            assert (spent < round(0.92 * rules.salary_cap)).mean() <= sh + 1e-9, (sh, spent.min())
        _, counts = np.unique(h.field.lineups, axis=0, return_counts=True)
        dup = counts[counts > 1].sum() / counts.sum()
        if sh >= 0.2:  # optimiser entries: a fifth or more of the field on a few repeated lineups
            assert dup >= sh * 0.9, (kind, sh, dup)
    # each held-out field is its own draw (a model twice: on the posterior mean, then on the file
    # itself, with one generator): their driver shares all differ
    own = np.array([h.field.ownership(sal.shape[0]) for h in held])
    assert len({tuple(np.round(o, 6)) for o in own}) == len(held)


def test_selection_uses_the_contests_own_field_models() -> None:
    """A contest built with field_sharpness='auto' carries its alternatives: the mixture is drawn
    from its field and those (nothing else); without them, contest mode draws field_ensemble members."""
    sal, mean, rules, auto, _ = _setup(field_sharpness="auto")
    sel = fields.selection_contest(auto, sal, rules, mean, 5)
    pool = _rows(auto.field.lineups)
    for a in auto.alternatives:
        pool |= _rows(a.field.lineups)
    assert _rows(sel.field.lineups) <= pool
    K = 1 + len(auto.alternatives)
    # each member's share: the first N/K entries of the contest's field and of each alternative
    N = auto.field.n_entries
    got = np.unique(sel.field.lineups, axis=0, return_counts=True)
    want = np.concatenate([auto.field.lineups[: N // K]] + [a.field.lineups[: N // K] for a in auto.alternatives])
    exp = np.unique(np.sort(want, axis=1), axis=0, return_counts=True)
    assert np.array_equal(got[0], exp[0]) and np.array_equal(got[1], exp[1])
    _, _, _, plain, _ = _setup()
    sel2 = fields.selection_contest(plain, sal, rules, mean, 5)
    assert not _rows(sel2.field.lineups) <= _rows(plain.field.lineups)


def test_a_given_field_is_kept() -> None:
    sal, mean, rules, contest, lus = _setup()
    given = replace(contest, field=Field(contest.field.lineups, source="entries.csv"), ownership=None)
    assert fields.selection_contest(given, sal, rules, mean, 1) is given
    assert fields.held_out_contests(given, sal, rules, mean, 1) == [given]
