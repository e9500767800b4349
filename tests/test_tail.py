"""Tail metrics against hand-worked examples, a brute-force expansion, and analytic values.

Every expected number below is worked out independently of tailrace.tail (arithmetic in
the comments, a brute force over a replicated sample, or a closed form for a known
distribution), never copied from the module's own output.
"""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.stats import binom

from tailrace import tail

N01 = NormalDist()
Z95 = N01.inv_cdf(0.975)  # 1.959963984540054


# ----------------------------------------------------------------------------- hand examples

X10 = np.arange(1.0, 11.0)  # 1, 2, ..., 10


def test_upper_cvar_fractional_tail_by_hand() -> None:
    # k = 0.25 * 10 = 2.5: the two best (10, 9) plus half of the third best (8).
    assert tail.cvar_upper(X10, 0.25) == pytest.approx((10 + 9 + 0.5 * 8) / 2.5)  # 9.2
    # k = 0.2 * 10 = 2 exactly: (10 + 9) / 2
    assert tail.cvar_upper(X10, 0.2) == pytest.approx(9.5)
    # k = 0.05 * 10 = 0.5: half of the best outcome, divided by 0.5 -> the best outcome
    assert tail.cvar_upper(X10, 0.05) == pytest.approx(10.0)
    # k = 0.33 * 10 = 3.3: (10 + 9 + 8 + 0.3 * 7) / 3.3
    assert tail.cvar_upper(X10, 0.33) == pytest.approx((27 + 2.1) / 3.3)


def test_lower_cvar_fractional_tail_by_hand() -> None:
    # k = 2.5: the two worst (1, 2) plus half of the third worst (3): 4.5 / 2.5
    assert tail.cvar_lower(X10, 0.25) == pytest.approx(1.8)
    # k = 1: the worst outcome alone
    assert tail.cvar_lower(X10, 0.1) == pytest.approx(1.0)
    # k = 6.5: (1+2+3+4+5+6 + 0.5 * 7) / 6.5 = 24.5 / 6.5
    assert tail.cvar_lower(X10, 0.65) == pytest.approx(24.5 / 6.5)


def test_var_is_ceil_k_th_order_statistic() -> None:
    # upper VaR at 0.25: ceil(2.5) = 3rd largest = 8; at 0.2: 2nd largest = 9
    assert tail.var_upper(X10, 0.25) == 8.0
    assert tail.var_upper(X10, 0.2) == 9.0
    assert tail.var_upper(X10, 0.01) == 10.0  # ceil(0.1) = 1st largest
    # lower VaR at 0.25: 3rd smallest = 3; at 0.1: 1st smallest = 1; at 1: largest
    assert tail.var_lower(X10, 0.25) == 3.0
    assert tail.var_lower(X10, 0.1) == 1.0
    assert tail.var_lower(X10, 1.0) == 10.0


def test_order_of_outcomes_does_not_matter() -> None:
    rng = np.random.default_rng(3)
    shuffled = rng.permutation(X10)
    assert tail.cvar_upper(shuffled, 0.25) == pytest.approx(9.2)
    assert tail.var_lower(shuffled, 0.25) == 3.0


def test_level_times_count_rounding_is_snapped() -> None:
    # 0.07 * 100 = 7.000000000000001 in floating point; the tail must be exactly 7 outcomes:
    # best seven of 1..100 = 100..94, mean 97; VaR = 7th largest = 94 (not the 8th, 93).
    x = np.arange(1.0, 101.0)
    assert 0.07 * 100 != 7.0  # the floating-point trap this test is about
    assert tail.tail_size(0.07, 100) == (7, 0.0)
    assert tail.cvar_upper(x, 0.07) == pytest.approx(97.0)
    assert tail.var_upper(x, 0.07) == 94.0


def test_tiny_level_gives_the_extreme_not_nan() -> None:
    # level * S far below one outcome: the tail is a sliver of the best outcome -> the max
    x = np.arange(1.0, 101.0)
    assert tail.cvar_upper(x, 1e-12) == 100.0
    assert tail.cvar_lower(x, 1e-12) == 1.0
    assert tail.var_upper(x, 1e-12) == 100.0


def test_beta_one_is_the_mean() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=999)
    assert tail.cvar_upper(x, 1.0) == pytest.approx(x.mean())
    assert tail.cvar_lower(x, 1.0) == pytest.approx(x.mean())
    assert tail.cvar_upper(X10, 1.0) == pytest.approx(5.5)


def test_single_scenario() -> None:
    for level in (0.01, 0.5, 1.0):
        assert tail.cvar_upper(np.array([3.0]), level) == 3.0
        assert tail.cvar_lower(np.array([3.0]), level) == 3.0
        assert tail.var_upper(np.array([3.0]), level) == 3.0


def test_ties() -> None:
    x = np.array([5.0, 1.0, 5.0, 1.0, 5.0])
    # upper 0.4: k = 2 -> (5 + 5) / 2
    assert tail.cvar_upper(x, 0.4) == 5.0
    # upper 0.5: k = 2.5 -> (5 + 5 + 0.5 * 5) / 2.5 = 5
    assert tail.cvar_upper(x, 0.5) == pytest.approx(5.0)
    # upper 0.8: k = 4 -> (5 + 5 + 5 + 1) / 4 = 4
    assert tail.cvar_upper(x, 0.8) == pytest.approx(4.0)
    # upper 0.7: k = 3.5 -> (15 + 0.5 * 1) / 3.5
    assert tail.cvar_upper(x, 0.7) == pytest.approx(15.5 / 3.5)
    # lower 0.3: k = 1.5 -> (1 + 0.5 * 1) / 1.5 = 1
    assert tail.cvar_lower(x, 0.3) == pytest.approx(1.0)
    # lower 0.6: k = 3 -> (1 + 1 + 5) / 3
    assert tail.cvar_lower(x, 0.6) == pytest.approx(7.0 / 3.0)
    # all equal: every metric is that value
    c = np.full(7, 2.5)
    assert tail.cvar_upper(c, 0.3) == pytest.approx(2.5)
    assert tail.cvar_lower(c, 0.3) == pytest.approx(2.5)
    assert tail.var_upper(c, 0.3) == 2.5


def test_cvar_is_continuous_in_level() -> None:
    # Crossing k = 2 (beta = 0.2) from either side must not jump.
    left = tail.cvar_upper(X10, 0.2 - 1e-7)
    right = tail.cvar_upper(X10, 0.2 + 1e-7)
    assert left == pytest.approx(9.5, abs=1e-5)
    assert right == pytest.approx(9.5, abs=1e-5)


def test_hit_rate_counts_ties_as_reached() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert tail.hit_rate(x, 3.0) == 0.5  # 3 and 4 reach 3
    assert tail.hit_rate(x, 4.5) == 0.0
    assert tail.hit_rate(x, -1.0) == 1.0


def test_float32_input_is_computed_in_float64() -> None:
    # 2**24 + 1 is not representable in float32 but the sum of many float32 values must not
    # drift: the mean of a float32 column equals the float64 mean of the same values.
    rng = np.random.default_rng(5)
    x32 = rng.normal(100.0, 30.0, size=100_000).astype(np.float32)
    expect = x32.astype(np.float64).mean()
    assert tail.cvar_upper(x32, 1.0) == pytest.approx(expect, rel=1e-12)
    assert isinstance(tail.cvar_upper(x32, 0.1), float)


# ----------------------------------------------------------------------------- brute force


def _replicated_upper_cvar(x: np.ndarray, num: int, den: int) -> float:
    """Brute force: CVaR at beta = num / (S * den) without fractions.

    Repeat every outcome ``den`` times; the tail then holds exactly ``num`` whole copies,
    and the upper CVaR is the plain mean of the ``num`` largest copies.
    """
    rep = np.repeat(x, den)
    return float(np.sort(rep)[::-1][:num].mean())


@pytest.mark.parametrize("seed", range(6))
def test_cvar_matches_brute_force_on_replicated_sample(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = int(rng.integers(3, 40))
    x = np.round(rng.normal(size=s), 1)  # rounded: plenty of ties
    den = int(rng.integers(2, 9))
    for num in sorted(set(rng.integers(1, s * den + 1, size=8).tolist())):
        beta = num / (s * den)
        assert tail.cvar_upper(x, beta) == pytest.approx(_replicated_upper_cvar(x, num, den))
        assert tail.cvar_lower(x, beta) == pytest.approx(-_replicated_upper_cvar(-x, num, den))


def test_upper_and_lower_tails_split_the_mean() -> None:
    # beta * CVaR_up(beta) + (1 - beta) * CVaR_low(1 - beta) = mean, fractions included:
    # the best k and the worst S - k outcomes (with their fractional shares) are all of them.
    rng = np.random.default_rng(11)
    x = rng.gamma(2.0, 3.0, size=1000)
    for beta in (0.0137, 0.05, 0.25, 0.5, 0.9731):
        total = beta * tail.cvar_upper(x, beta) + (1 - beta) * tail.cvar_lower(x, 1 - beta)
        assert total == pytest.approx(x.mean(), rel=1e-12)


def test_lower_is_mirror_of_upper() -> None:
    rng = np.random.default_rng(12)
    x = rng.standard_t(3, size=777)
    for level in (0.001, 0.01, 0.1, 0.333, 1.0):
        assert tail.cvar_lower(x, level) == pytest.approx(-tail.cvar_upper(-x, level))
        assert tail.var_lower(x, level) == -tail.var_upper(-x, level)
        assert tail.cvar(x, level, "lower") == tail.cvar_lower(x, level)
        assert tail.cvar(x, level, "upper") == tail.cvar_upper(x, level)


def test_two_d_input_is_per_column() -> None:
    m = np.column_stack([X10, 2 * X10[::-1], np.full(10, 7.0)])
    up = tail.cvar_upper(m, 0.25)
    assert isinstance(up, np.ndarray) and up.shape == (3,)
    # column 0: 9.2 (above); column 1 is 2 * (1..10): 18.4; column 2 constant 7
    np.testing.assert_allclose(up, [9.2, 18.4, 7.0])
    np.testing.assert_allclose(tail.cvar_lower(m, 0.25), [1.8, 3.6, 7.0])
    np.testing.assert_array_equal(tail.var_upper(m, 0.25), [8.0, 16.0, 7.0])
    np.testing.assert_array_equal(tail.var_lower(m, 0.25), [3.0, 6.0, 7.0])
    np.testing.assert_allclose(tail.hit_rate(m, 7.0), [0.4, 0.7, 1.0])
    # and each column equals the 1-D answer on that column
    rng = np.random.default_rng(1)
    r = rng.normal(size=(501, 6))
    for j in range(6):
        assert tail.cvar_upper(r, 0.03)[j] == pytest.approx(tail.cvar_upper(r[:, j], 0.03))
        assert tail.var_lower(r, 0.2)[j] == tail.var_lower(r[:, j], 0.2)


# ----------------------------------------------------------------------------- analytic values


def _normal_upper_tail(beta: float) -> tuple[float, float, float]:
    """N(0,1): VaR z, CVaR phi(z)/beta, and sd of the influence function (closed form).

    With v = z_{1-beta}: E(X-v)^+ = phi(v) - v beta; E((X-v)^+)^2 = (1+v^2) beta - v phi(v);
    IF = v + (X-v)^+ / beta, so sd(IF) = sqrt(Var (X-v)^+) / beta.
    """
    v = N01.inv_cdf(1.0 - beta)
    phi = N01.pdf(v)
    m1 = phi - v * beta
    m2 = (1 + v * v) * beta - v * phi
    return v, phi / beta, math.sqrt(m2 - m1 * m1) / beta


@pytest.fixture(scope="module")
def normal_1e6() -> np.ndarray:
    return np.random.default_rng(20240601).standard_normal(1_000_000)


@pytest.fixture(scope="module")
def expo_1e6() -> np.ndarray:
    return np.random.default_rng(20240602).exponential(1.0, 1_000_000)


@pytest.mark.parametrize("beta", [0.01, 0.05, 0.2])
def test_normal_cvar_large_sample(normal_1e6: np.ndarray, beta: float) -> None:
    s = normal_1e6.size
    v, c, sd_if = _normal_upper_tail(beta)
    se = sd_if / math.sqrt(s)
    # e.g. beta = 0.05: phi(1.6449) / 0.05 = 0.103136 / 0.05 = 2.0627
    assert tail.cvar_upper(normal_1e6, beta) == pytest.approx(c, abs=5 * se)
    # symmetry of N(0,1): lower CVaR at alpha = -upper CVaR at alpha
    assert tail.cvar_lower(normal_1e6, beta) == pytest.approx(-c, abs=5 * se)
    est = tail.cvar_estimate(normal_1e6, beta)
    assert est.se == pytest.approx(se, rel=0.05)  # the estimated SE matches the closed form
    # VaR: sd of a sample quantile = sqrt(p(1-p)/S) / pdf(v)
    se_v = math.sqrt(beta * (1 - beta) / s) / N01.pdf(v)
    assert tail.var_upper(normal_1e6, beta) == pytest.approx(v, abs=5 * se_v)


@pytest.mark.parametrize("beta", [0.01, 0.1])
def test_exponential_upper_cvar_large_sample(expo_1e6: np.ndarray, beta: float) -> None:
    # Exp(1) is memoryless: VaR = -ln(beta), CVaR = VaR + 1 (e.g. beta 0.01: 5.6052).
    # (X-v)^+ is 0 w.p. 1-beta and Exp(1) w.p. beta: mean beta, second moment 2 beta,
    # so sd(IF) = sqrt(2 beta - beta^2) / beta.
    s = expo_1e6.size
    c = 1.0 - math.log(beta)
    se = math.sqrt(2 * beta - beta * beta) / beta / math.sqrt(s)
    assert tail.cvar_upper(expo_1e6, beta) == pytest.approx(c, abs=5 * se)
    assert tail.cvar_estimate(expo_1e6, beta).se == pytest.approx(se, rel=0.05)


def test_exponential_lower_cvar_large_sample(expo_1e6: np.ndarray) -> None:
    # Exp(1), alpha = 0.2: q = -ln(0.8); E[X | X <= q] = (1 - (1 - alpha)(1 + q)) / alpha
    alpha = 0.2
    q = -math.log(1 - alpha)
    c = (1 - (1 - alpha) * (1 + q)) / alpha  # 0.107425
    est = tail.cvar_estimate(expo_1e6, alpha, "lower")
    assert est.value == pytest.approx(c, abs=5 * est.se)
    assert est.se < 1e-3
    assert tail.var_lower(expo_1e6, alpha) == pytest.approx(q, abs=0.003)


# ----------------------------------------------------------------------------- errors, intervals


def test_cvar_standard_error_by_hand() -> None:
    # x = 1..10, beta 0.2: v = 9, CVaR = 9.5; IF = 9 + (x-9)^+/0.2 - 9.5 is 4.5 for x = 10
    # and -0.5 for the nine others: sum of squares 20.25 + 9 * 0.25 = 22.5, sd = sqrt(22.5/9)
    # = 1.5811, se = 1.5811 / sqrt(10) = 0.5.
    e = tail.cvar_estimate(X10, 0.2)
    assert e.value == pytest.approx(9.5)
    assert e.se == pytest.approx(0.5)
    assert (e.ci_low, e.ci_high) == pytest.approx((9.5 - Z95 * 0.5, 9.5 + Z95 * 0.5))
    assert e.method == "asymptotic"
    # mirror: lower at 0.2 -> v = 2, CVaR = 1.5, same se
    lo = tail.cvar_estimate(X10, 0.2, "lower")
    assert (lo.value, lo.se) == pytest.approx((1.5, 0.5))


def test_mean_estimate_by_hand() -> None:
    # [1, 2, 3, 4]: mean 2.5, sd (ddof 1) = sqrt(5/3) = 1.290994, se = 0.645497
    e = tail.mean_estimate(np.array([1.0, 2.0, 3.0, 4.0]))
    assert (e.value, e.se) == pytest.approx((2.5, math.sqrt(5 / 3) / 2))


def _coverage(draw, truth: float, level: float, which: str, reps: int, s: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        e = tail.cvar_estimate(draw(rng, s), level, which)
        hits += e.ci_low <= truth <= e.ci_high
    return hits / reps


def test_asymptotic_interval_covers_about_95_percent() -> None:
    # 400 seeded experiments with small S: the 95% interval should cover the true CVaR about
    # 95% of the time (binomial sd over 400 reps ~ 0.011; small-S bias allowed for).
    _, c_norm, _ = _normal_upper_tail(0.05)
    cov = _coverage(lambda g, s: g.standard_normal(s), c_norm, 0.05, "upper", 400, 1000, 1)
    assert 0.90 <= cov <= 0.99
    c_exp = 1.0 - math.log(0.05)
    cov = _coverage(lambda g, s: g.exponential(1.0, s), c_exp, 0.05, "upper", 400, 1000, 2)
    assert 0.90 <= cov <= 0.99
    q = -math.log(0.8)
    c_low = (1 - 0.8 * (1 + q)) / 0.2
    cov = _coverage(lambda g, s: g.exponential(1.0, s), c_low, 0.2, "lower", 400, 1000, 3)
    assert 0.90 <= cov <= 0.99


def test_bootstrap_is_seeded_and_agrees_with_asymptotic() -> None:
    x = np.random.default_rng(4).exponential(1.0, 4000)
    a = tail.cvar_estimate(x, 0.05)
    b1 = tail.cvar_estimate(x, 0.05, method="bootstrap", n_boot=400, rng=9)
    b2 = tail.cvar_estimate(x, 0.05, method="bootstrap", n_boot=400, rng=9)
    assert b1 == b2 and b1.method == "bootstrap"
    assert b1.value == a.value
    assert b1.se == pytest.approx(a.se, rel=0.25)
    assert b1.ci_low < a.value < b1.ci_high


def test_var_order_statistic_interval_has_exact_binomial_coverage() -> None:
    # With x = 0..n-1 shuffled, the interval's ends are order statistics whose ranks we read
    # off directly. For a continuous law, [X_(l), X_(u)] (1-based) covers the p-quantile iff
    # l <= B <= u - 1 with B ~ Binomial(n, p) outcomes below it: an exact coverage.
    rng = np.random.default_rng(0)
    for n, level, which in [(100, 0.05, "upper"), (1000, 0.05, "upper"), (1000, 0.01, "upper"),
                            (200, 0.5, "lower"), (5000, 0.2, "lower")]:
        x = rng.permutation(n).astype(float)
        e = tail.var_estimate(x, level, which)
        p = 1 - level if which == "upper" else level
        l1, u1 = int(e.ci_low) + 1, int(e.ci_high) + 1  # 1-based ranks
        cov = binom.cdf(u1 - 1, n, p) - binom.cdf(l1 - 1, n, p)
        assert 0.94 <= cov <= 0.995, (n, level, which, cov)
        assert e.ci_low <= e.value <= e.ci_high
        assert e.se == pytest.approx((e.ci_high - e.ci_low) / (2 * Z95))
        assert e.method == "order-statistic"


def test_wilson_interval_published_values() -> None:
    # 10 successes in 100: Wilson 95% interval (0.0552, 0.1744); by hand:
    # centre = (0.1 + z^2/200) / (1 + z^2/100) = 0.114799,
    # half = z sqrt(0.0009 + z^2/40000) / (1 + z^2/100) = 0.059569.
    x = np.r_[np.ones(10), np.zeros(90)]
    e = tail.hit_rate_estimate(x, 1.0)
    assert e.value == 0.1
    assert e.se == pytest.approx(0.03)  # sqrt(0.1 * 0.9 / 100)
    assert e.ci_low == pytest.approx(0.05523, abs=5e-5)
    assert e.ci_high == pytest.approx(0.17437, abs=5e-5)
    assert e.method == "wilson"
    # 0 successes in 20: interval [0, z^2 / (20 + z^2)] = [0, 0.16112]
    z = tail.hit_rate_estimate(np.zeros(20), 1.0)
    assert z.value == 0.0 and z.ci_low == pytest.approx(0.0, abs=1e-12)
    assert z.ci_high == pytest.approx(Z95**2 / (20 + Z95**2))


def test_adaptive_count_achieves_requested_relative_error() -> None:
    # N(0,1) at beta 0.05: closed-form sd(IF) = 2.466 and CVaR 2.0627 give
    # S = (1.96 * 2.466 / (0.02 * 2.0627))^2 = 13,7xx -> 14,000 after rounding up.
    pilot = np.random.default_rng(7).standard_normal(20_000)
    s = tail.adaptive_scenario_count(pilot, 0.05, rel_error=0.02)
    _, c, sd_if = _normal_upper_tail(0.05)
    expect = (Z95 * sd_if / (0.02 * c)) ** 2
    assert s % 1000 == 0
    assert 0.85 * expect <= s <= 1.15 * expect + 1000
    # Check by simulation: with S scenarios, |CVaR_hat / CVaR - 1| <= 2% in about 95% of runs.
    rng = np.random.default_rng(8)
    reps = 150
    errs = np.array([abs(tail.cvar_upper(rng.standard_normal(s), 0.05) / c - 1) for _ in range(reps)])
    share = float((errs <= 0.02).mean())
    assert 0.88 <= share <= 1.0
    assert 0.012 <= float(np.quantile(errs, 0.95)) <= 0.028
    # halving the target error needs about four times the scenarios (same pilot)
    s_half = tail.adaptive_scenario_count(pilot, 0.05, rel_error=0.01)
    assert 3.6 <= s_half / s <= 4.4


def test_adaptive_count_floor_and_errors() -> None:
    pilot = np.random.default_rng(9).normal(50.0, 1.0, size=500)  # tiny relative spread
    assert tail.adaptive_scenario_count(pilot, 0.1, rel_error=0.05) == 1000  # min_count
    assert tail.adaptive_scenario_count(pilot, 0.1, rel_error=0.05, min_count=3000) == 3000
    with pytest.raises(ValueError):
        tail.adaptive_scenario_count(pilot[:50], 0.1)  # pilot too small
    with pytest.raises(ValueError):
        tail.adaptive_scenario_count(pilot, 0.1, rel_error=0.0)
    with pytest.raises(ValueError):
        tail.adaptive_scenario_count(np.zeros(500), 0.1)  # CVaR 0: relative error undefined


def test_tail_summary_consistent_and_serialisable() -> None:
    x = np.random.default_rng(10).gamma(3.0, 10.0, size=5000)
    t = tail.tail_summary(x, alphas=(0.2,), betas=(0.01, 0.05), targets=(60.0,))
    assert t.n_scenarios == 5000
    assert t.mean.value == pytest.approx(x.mean())
    assert t.sd == pytest.approx(x.std(ddof=1))
    assert t.cvar_upper[0.05].value == tail.cvar_upper(x, 0.05)
    assert t.cvar_lower[0.2].value == tail.cvar_lower(x, 0.2)
    assert t.var_upper[0.01].value == tail.var_upper(x, 0.01)
    assert t.hit_rate[60.0].value == pytest.approx((x >= 60).mean())
    d = json.loads(json.dumps(t.to_dict()))
    assert set(d["cvar_upper"]) == {"0.01", "0.05"}


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("level", [0.0, -0.1, 1.0000001, 2.0, float("nan"), float("inf")])
def test_bad_levels_raise(level: float) -> None:
    for fn in (tail.cvar_upper, tail.cvar_lower, tail.var_upper, tail.var_lower):
        with pytest.raises(ValueError):
            fn(X10, level)
    with pytest.raises(ValueError):
        tail.cvar_estimate(X10, level)


def test_nan_and_shapes_raise() -> None:
    bad = X10.copy()
    bad[3] = np.nan
    for fn in (tail.cvar_upper, tail.cvar_lower, tail.var_upper, tail.var_lower):
        with pytest.raises(ValueError):
            fn(bad, 0.1)
        with pytest.raises(ValueError):
            fn(np.column_stack([X10, bad]), 0.1)
        with pytest.raises(ValueError):
            fn(np.array([]), 0.1)
        with pytest.raises(ValueError):
            fn(np.zeros((3, 3, 3)), 0.1)
    with pytest.raises(ValueError):
        tail.hit_rate(bad, 1.0)
    with pytest.raises(ValueError):
        tail.cvar_estimate(bad, 0.1)
    with pytest.raises(ValueError):
        tail.cvar_estimate(np.zeros((10, 2)), 0.1)  # estimates take one column
    with pytest.raises(ValueError):
        tail.tail_summary(bad)
    for fn in (tail.cvar, tail.cvar_estimate, tail.var_estimate, tail.adaptive_scenario_count):
        with pytest.raises(ValueError, match="tail must be"):
            fn(np.arange(200.0), 0.1, "middle")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tail.cvar_estimate(X10, 0.1, confidence=1.0)
    with pytest.raises(ValueError):
        tail.tail_size(0.5, 0)


def test_cvar_estimate_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="bootstrap"):
        tail.cvar_estimate(np.arange(100.0), 0.05, method="bootsrap")
