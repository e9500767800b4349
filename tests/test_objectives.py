"""Objective values must be tail.py's numbers; names and validation."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace import tail
from tailrace.optimize.objectives import Objective


def test_evaluate_matches_tail_metrics_1d_and_2d():
    rng = np.random.default_rng(0)
    x = rng.normal(50, 20, (1000, 3))
    assert Objective.upper_cvar(0.013).evaluate(x[:, 0]) == tail.cvar_upper(x[:, 0], 0.013)
    assert Objective.lower_cvar(0.2).evaluate(x[:, 1]) == tail.cvar_lower(x[:, 1], 0.2)
    assert Objective.target_prob(60.0).evaluate(x[:, 2]) == tail.hit_rate(x[:, 2], 60.0)
    np.testing.assert_array_equal(Objective.upper_cvar(0.05).evaluate(x), tail.cvar_upper(x, 0.05))
    assert Objective.mean().evaluate(x[:, 0]) == pytest.approx(x[:, 0].mean(), rel=1e-15)


def test_upper_cvar_by_hand_with_fractional_tail():
    # 10 outcomes, beta = 0.25 -> k = 2.5: (10 + 9 + 0.5 * 8) / 2.5
    x = np.arange(1.0, 11.0)
    assert Objective.upper_cvar(0.25).evaluate(x) == pytest.approx((10 + 9 + 4) / 2.5)
    assert Objective.lower_cvar(0.25).evaluate(x) == pytest.approx((1 + 2 + 1.5) / 2.5)


def test_blend_is_weighted_sum_and_named():
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 10.0, 2000)
    b = Objective.blend([(0.7, Objective.upper_cvar(0.01)), (0.3, Objective.upper_cvar(0.05))])
    want = 0.7 * tail.cvar_upper(x, 0.01) + 0.3 * tail.cvar_upper(x, 0.05)
    assert b.evaluate(x) == pytest.approx(want, rel=1e-15)
    assert b.name == "0.7*upper_cvar(0.01)+0.3*upper_cvar(0.05)"
    nested = Objective.blend([(2.0, b), (1.0, Objective.mean())])
    assert [o.name for _, o in nested.leaves()] == ["upper_cvar(0.01)", "upper_cvar(0.05)", "mean"]
    assert [w for w, _ in nested.leaves()] == pytest.approx([1.4, 0.6, 1.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda: Objective.upper_cvar(0.0),
        lambda: Objective.lower_cvar(1.5),
        lambda: Objective.target_prob(float("nan")),
        lambda: Objective.blend([]),
        lambda: Objective.blend([(-1.0, Objective.mean())]),
        lambda: Objective("median"),
    ],
)
def test_bad_objectives_are_rejected(make):
    with pytest.raises(ValueError):
        make()


def test_one_list_of_kinds_behind_both_spellings():
    # the spec / API spelling is derived from the one enum, never kept by hand apart from it
    from typing import get_args

    from tailrace.optimize.constraints import SpecKind, TermKind
    from tailrace.optimize.objectives import ObjectiveKind

    assert set(get_args(SpecKind)) == {k.spec_name for k in ObjectiveKind}
    assert set(get_args(TermKind)) == {k.spec_name for k in ObjectiveKind} - {"blend"}
    for text, want in [("upper-cvar", ObjectiveKind.UPPER_CVAR), ("Upper CVaR", ObjectiveKind.UPPER_CVAR),
                       ("cvar_lower", ObjectiveKind.LOWER_CVAR), ("hit-rate", ObjectiveKind.TARGET_PROB),
                       ("EV", ObjectiveKind.MEAN), ("multi-cvar", ObjectiveKind.BLEND)]:
        assert ObjectiveKind.parse(text) is want
    with pytest.raises(ValueError, match="upper-cvar"):
        ObjectiveKind.parse("upper-var")
    assert Objective.upper_cvar(0.05).kind == ObjectiveKind.UPPER_CVAR == "upper_cvar"
