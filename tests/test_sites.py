"""Site rules: DraftKings scoring reproduces every real row to the cent; table landmarks;
hand-worked examples for both sites."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tailrace.sites import DRAFTKINGS, FANDUEL, get_site


def test_dk_reproduces_every_row_of_the_shared_data(shared_results_path):
    """DraftKings points from start, finish, laps led and fastest laps match `dk_points`
    on every row of the 2019-2023 data; the one row without fastest laps is skipped."""
    start, finish, led, fast, published = [], [], [], [], []
    skipped = []
    with open(shared_results_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["fastest_laps"] == "":
                skipped.append(row)
                continue
            start.append(int(row["start"]))
            finish.append(int(row["finish"]))
            led.append(int(row["laps_led"]))
            fast.append(int(float(row["fastest_laps"])))
            published.append(float(row["dk_points"]))
    # The README: 6,819 rows, one of which has no fastest_laps (and so no dk_points).
    assert len(skipped) == 1 and skipped[0]["dk_points"] == ""
    assert skipped[0]["driver"] == "Austin Dillon" and skipped[0]["season"] == "2023"
    assert len(published) == 6818
    pts = DRAFTKINGS.score(np.array(start), np.array(finish), np.array(led), np.array(fast))
    diff = np.abs(pts - np.array(published))
    assert diff.max() < 0.005, f"worst row off by {diff.max():.4f}"


@pytest.mark.parametrize(
    "place, points",
    [(1, 45), (2, 42), (3, 41), (4, 40), (10, 34), (11, 32), (20, 23), (21, 21), (30, 12),
     (31, 10), (40, 1)],
)
def test_dk_finish_table_landmarks(place, points):
    """Published DK NASCAR table: 45, 42, 41, then -1 a place, extra -1 after 10th/20th/30th."""
    assert DRAFTKINGS.finish_points[place - 1] == points


@pytest.mark.parametrize("place, points", [(1, 43), (2, 40), (3, 38), (4, 37), (10, 31),
                                           (20, 21), (39, 2), (40, 1)])
def test_fd_finish_table_landmarks(place, points):
    """FanDuel NASCAR: 43, 40, 38, then one less a place down to 1 point for 40th."""
    assert FANDUEL.finish_points[place - 1] == points


def test_finish_tables_fall_every_place_to_1_at_40th_then_0_to_43rd():
    """The published 40 places fall every place to 1 point; 41st-43rd (fields of up to 43) score 0."""
    for site in (DRAFTKINGS, FANDUEL):
        t = np.array(site.finish_points)
        assert len(t) == 43 and site.max_field == 43
        assert np.all(np.diff(t[:40]) < 0) and t[39] == 1 and list(t[40:]) == [0, 0, 0]


def test_41st_place_by_hand():
    """A 41-car field: 41st from 41st is 0 points; 41st from 30th with 3 laps led is 0 - 11 + 0.75;
    on FanDuel 41st from 35th with 150 laps is 0 - 3 + 15."""
    got = DRAFTKINGS.score(np.array([41, 30]), np.array([41, 41]), np.array([0, 3]), np.array([0, 0]))
    np.testing.assert_allclose(got, [0.0, -10.25])
    got = FANDUEL.score(np.array([35]), np.array([41]), np.array([0]), laps_completed=np.array([150]))
    np.testing.assert_allclose(got, [12.0])
    with pytest.raises(ValueError):
        DRAFTKINGS.score(np.array([1]), np.array([44]), np.array([0]))


def test_dk_hand_worked_examples():
    # Start 25, finish 3, led 12, 7 fastest laps:
    #   finish 41 + place diff (25 - 3) = 22 + 12 * 0.25 = 3 + 7 * 0.45 = 3.15  -> 69.15
    # Start 2, finish 27, led 4, 1 fastest lap (lost 25 places):
    #   finish 15 + (2 - 27) = -25 + 4 * 0.25 = 1 + 1 * 0.45 = 0.45           -> -8.55
    # Start 40, finish 40, nothing else: 1 point. Laps completed count nothing on DK.
    got = DRAFTKINGS.score(np.array([25, 2, 40]), np.array([3, 27, 40]), np.array([12, 4, 0]),
                           np.array([7, 1, 0]), laps_completed=np.array([267, 250, 3]))
    np.testing.assert_allclose(got, [69.15, -8.55, 1.0], atol=1e-9)


def test_fd_hand_worked_examples():
    # Start 12, finish 1, led 50, 267 laps completed:
    #   finish 43 + 0.5 * (12 - 1) = 5.5 + 50 * 0.1 = 5 + 267 * 0.1 = 26.7       -> 80.2
    # Start 3, finish 30, led 0, 180 laps: 11 + 0.5 * (3 - 30) = -13.5 + 18      -> 15.5
    # Fastest laps score nothing on FanDuel, so 99 of them change nothing.
    got = FANDUEL.score(np.array([12, 3]), np.array([1, 30]), np.array([50, 0]),
                        fastest_laps=np.array([99, 99]), laps_completed=np.array([267, 180]))
    np.testing.assert_allclose(got, [80.2, 15.5], atol=1e-9)


def test_rosters_and_caps():
    assert (DRAFTKINGS.roster_size, DRAFTKINGS.salary_cap) == (6, 50_000)
    assert (FANDUEL.roster_size, FANDUEL.salary_cap) == (5, 50_000)


def test_get_site_names_and_error():
    assert get_site("DraftKings") is DRAFTKINGS and get_site(" dk ") is DRAFTKINGS
    assert get_site("FanDuel") is FANDUEL and get_site("fd") is FANDUEL
    with pytest.raises(ValueError, match="'dk'.*'fd'"):
        get_site("yahoo")


def test_finish_outside_table_is_rejected():
    with pytest.raises(ValueError, match="1..43"):
        DRAFTKINGS.score(np.array([1]), np.array([44]), np.array([0]), np.array([0]))
