"""De-vig worked examples: small books whose fair chances are computed by hand below."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tailrace.sim.strength.from_slate import devig

R3 = math.sqrt(3.0)


def test_three_runner_win_book_by_hand() -> None:
    # Shin's forward model with fair chances p = (1/2, 1/4, 1/4) and insider share z = 1/5:
    #   r_i^2 = z p_i + (1 - z) p_i^2:  r_1^2 = 1/10 + (4/5)(1/4) = 3/10,  r_2^2 = r_3^2 = 1/20 + 1/20 = 1/10
    #   R = sum r = (sqrt3 + 2) / sqrt10;  price q_i = r_i R:
    #   q_1 = (3 + 2 sqrt3) / 10 = 0.646410,  q_2 = q_3 = (2 + sqrt3) / 10 = 0.373205
    #   Q = (7 + 4 sqrt3) / 10 = (2 + sqrt3)^2 / 10 = 1.392820 (39.3 % overround)
    #   decimal odds 1 / q: 10 (2 sqrt3 - 3) / 3 = 1.547005 and 10 (2 - sqrt3) = 2.679492 (twice)
    odds = np.array([10 * (2 * R3 - 3) / 3, 10 * (2 - R3), 10 * (2 - R3)])
    np.testing.assert_allclose(1 / odds, [(3 + 2 * R3) / 10, (2 + R3) / 10, (2 + R3) / 10])
    # Shin inverts its own pricing: (1/2, 1/4, 1/4)
    np.testing.assert_allclose(devig(odds, "shin"), [0.5, 0.25, 0.25], rtol=1e-9)
    # multiplicative: q / Q = (3 + 2 sqrt3) / (2 + sqrt3)^2 = 2 sqrt3 - 3 = 0.464102 and
    # (2 + sqrt3) / (2 + sqrt3)^2 = 2 - sqrt3 = 0.267949: the favourite keeps too little
    np.testing.assert_allclose(devig(odds, "multiplicative"), [2 * R3 - 3, 2 - R3, 2 - R3], rtol=1e-12)
    # power: p = q^a with sum 1, a solved numerically: a = 1.46457 gives 0.646410^a = 0.52781 and
    # 0.373205^a = 0.23610 (twice), sum 1.00000; on this book power takes more off the longshots
    # than Shin does: 0.2361 < 0.25 < 0.2679 (multiplicative)
    p = devig(odds, "power")
    a = math.log(p[0]) / math.log(1 / odds[0])
    np.testing.assert_allclose(p, (1 / odds) ** a, rtol=1e-9)
    np.testing.assert_allclose(p, [0.52781, 0.23610, 0.23610], atol=1e-5)
    assert a == pytest.approx(1.46457, abs=1e-5) and p[1] < 0.25 < 2 - R3


def test_power_book_with_exponent_two_by_hand() -> None:
    # odds 1.5, 1.5, 3.0: q = 2/3, 2/3, 1/3, Q = 5/3. q^2 = 4/9 + 4/9 + 1/9 = 1, so power's a = 2:
    # p = (4/9, 4/9, 1/9); multiplicative: q / Q = (2/5, 2/5, 1/5)
    odds = [1.5, 1.5, 3.0]
    np.testing.assert_allclose(devig(odds, "power"), [4 / 9, 4 / 9, 1 / 9], rtol=1e-9)
    np.testing.assert_allclose(devig(odds, "multiplicative"), [0.4, 0.4, 0.2], rtol=1e-12)


def test_top_k_books_by_hand() -> None:
    # A top-2 book of 4 runners: odds 1.25, 1.25, 5/3, 5/3 -> q = 0.8, 0.8, 0.6, 0.6, Q = 2.8
    # (40 % over the fair total of 2). power: 0.8^2 + 0.8^2 + 0.6^2 + 0.6^2 = 2, so a = 2 and
    # p = (0.64, 0.64, 0.36, 0.36); multiplicative: 2 q / Q = (4/7, 4/7, 3/7, 3/7)
    odds = [1.25, 1.25, 5 / 3, 5 / 3]
    np.testing.assert_allclose(devig(odds, "power", total=2), [0.64, 0.64, 0.36, 0.36], rtol=1e-9)
    np.testing.assert_allclose(devig(odds, "multiplicative", total=2), [4 / 7, 4 / 7, 3 / 7, 3 / 7])
    # multiplicative caps a chance at 1: q = (0.98, 0.3, 0.2), Q = 1.48, 2 q / Q = (1.32, 0.41, 0.27);
    # the favourite is set to 1 and the other two share the remaining 1 as 0.3 : 0.2 = (0.6, 0.4)
    np.testing.assert_allclose(devig([1 / 0.98, 1 / 0.3, 1 / 0.2], "multiplicative", total=2),
                               [1.0, 0.6, 0.4], rtol=1e-12)
    # Shin for top-k works on the shares q / k: a top-2 book whose prices are twice those of a
    # Shin win book (5 runners, p = 0.3, 0.2, 0.2, 0.15, 0.15, z = 0.1; all doubled prices < 1)
    # de-vigs to twice the win chances
    pw = np.array([0.3, 0.2, 0.2, 0.15, 0.15])
    r = np.sqrt(0.1 * pw + 0.9 * pw ** 2)
    q = r * r.sum()
    assert np.all(2 * q < 1)
    np.testing.assert_allclose(devig(1 / (2 * q), "shin", total=2), 2 * pw, rtol=1e-9)
    # every method: sums to k, each chance in (0, 1]; Shin and power keep a smaller share of a
    # longer price (books below run from favourite to longshot)
    for method in ("shin", "power", "multiplicative"):
        for k, book in ((2, [1.25, 1.3, 1.9, 2.6, 4.0]), (3, [1.1, 1.2, 1.4, 2.0, 3.5, 9.0])):
            p = devig(book, method, total=k)
            assert p.sum() == pytest.approx(k) and np.all((p > 0) & (p <= 1))
            if method != "multiplicative":
                assert np.all(np.diff(p * np.asarray(book)) <= 1e-12)


def test_top_k_book_needs_more_runners_than_k() -> None:
    with pytest.raises(ValueError, match="top-3"):
        devig([1.1, 1.2, 1.3], "power", total=3)
