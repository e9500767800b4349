"""Race-history reader: columns, bad rows, chronological access, conversion for the simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tailrace.errors import InputError
from tailrace.sim.history import read_history

HEADER = "Season,race_num,track,driver,start,finish,laps,laps_led,status,fastest_laps,team,extra\n"


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    p = tmp_path / "hist.csv"
    p.write_text(header + body)
    return p


def _race(season: int, num: int, track: str, n: int = 3, status: str = "running") -> str:
    rows = []
    for i in range(n):
        st = status if i == n - 1 else "running"
        rows.append(f"{season},{num},{track},Driver {i},{n - i},{i + 1},{100 - i},{10 if i == 0 else 0},{st},{5 - i},Team {i % 2},x")
    return "\n".join(rows) + "\n"


def test_reads_races_in_chronological_order(tmp_path: Path) -> None:
    body = _race(2021, 2, "Martinsville") + _race(2020, 5, "Atlanta") + _race(2022, 1, "Atlanta", status="accident")
    body += _race(2021, 1, "Daytona")
    h = read_history(_write(tmp_path, body))
    ids = [r.race_id for r in h.races()]
    assert ids == [(2020, 5), (2021, 1), (2021, 2), (2022, 1)]
    r = h.race(2022, 1)
    assert r.track_type == "superspeedway"  # Atlanta is a drafting track from 2022 on
    assert h.race(2020, 5).track_type == "intermediate"
    assert h.race(2021, 2).track_type == "short"
    assert r.drivers == ("Driver 0", "Driver 1", "Driver 2")
    assert list(r.start) == [3, 2, 1] and list(r.finish) == [1, 2, 3]
    assert list(r.dnf) == [False, False, True] and list(r.crash) == [False, False, True]
    assert r.race_laps == 100 and list(r.fastest_laps) == [5, 4, 3]
    assert r.team == ("Team 0", "Team 1", "Team 0")


def test_before_is_strictly_earlier(tmp_path: Path) -> None:
    body = _race(2020, 1, "Kansas") + _race(2020, 2, "Kansas") + _race(2021, 1, "Kansas")
    h = read_history(_write(tmp_path, body))
    assert [r.race_id for r in h.before(2020, 2).races()] == [(2020, 1)]
    assert [r.race_id for r in h.before(2021, 1).races()] == [(2020, 1), (2020, 2)]
    assert len(h.before(2020, 1)) == 0


def test_to_records_for_the_simulator_fit(tmp_path: Path) -> None:
    h = read_history(_write(tmp_path, _race(2020, 1, "Kansas", status="engine")))
    (rec,) = h.to_records()
    assert rec.track_type == "intermediate" and rec.race_laps == 100
    assert list(rec.dnf) == [False, False, True] and list(rec.crash) == [False, False, False]
    assert list(rec.laps_completed) == [100, 99, 98] and rec.drivers == ("Driver 0", "Driver 1", "Driver 2")


def test_missing_column_is_named(tmp_path: Path) -> None:
    p = _write(tmp_path, "2020,1,Kansas,A,1,1,1,running\n", header="season,race_num,track,driver,start,finish,laps,status\n")
    with pytest.raises(InputError) as ei:
        read_history(p)
    assert "laps_led" in str(ei.value) and ei.value.problems[0].row == 1


def test_bad_values_listed_by_row(tmp_path: Path) -> None:
    body = _race(2020, 1, "Kansas").replace("2020,1,Kansas,Driver 1,2,2,99", "2020,1,Kansas,Driver 1,2,two,99")
    body += "2020,2,Kansas,A,1,1,10,11,running,0,T,x\n"  # laps led above laps
    with pytest.raises(InputError) as ei:
        read_history(_write(tmp_path, body))
    probs = ei.value.problems
    assert {(p.row, p.field) for p in probs} >= {(3, "finish"), (5, "laps_led")}


def test_duplicate_driver_and_non_permutation(tmp_path: Path) -> None:
    body = _race(2020, 1, "Kansas").replace("Driver 2", "Driver 0")
    body += "2020,2,Kansas,A,1,1,10,0,running,0,T,x\n2020,2,Kansas,B,2,3,10,0,running,0,T,x\n"
    with pytest.raises(InputError) as ei:
        read_history(_write(tmp_path, body))
    text = str(ei.value)
    assert "appears twice" in text and "finish values of race 2020-2 are not 1 to 2" in text
    rows = {p.row for p in ei.value.problems}
    assert 4 in rows and 5 in rows


def test_unknown_track_reported_with_row(tmp_path: Path) -> None:
    with pytest.raises(InputError) as ei:
        read_history(_write(tmp_path, _race(2020, 1, "Nowhere Oval")))
    assert ei.value.problems[0].row == 2 and ei.value.problems[0].field == "track"


def test_incomplete_row_skips_its_race_with_reason(tmp_path: Path) -> None:
    body = _race(2020, 1, "Kansas") + _race(2020, 2, "Kansas").replace("2020,2,Kansas,Driver 1,2,", "2020,2,Kansas,Driver 1,,")
    body = body.replace("2020,1,Kansas,Driver 2,1,3,98,0,running,3", "2020,1,Kansas,Driver 2,1,3,98,0,running,")
    h = read_history(_write(tmp_path, body))
    assert [r.race_id for r in h.races()] == [(2020, 1)]
    assert h.incomplete == {(2020, 2): "row 6 has no start"}
    notes = {(p.row, p.field) for p in h.notes}
    assert notes == {(6, "start"), (4, "fastest_laps")}
    assert h.race(2020, 1).fastest_laps[2] == 0
    assert h.race_ids() == [(2020, 1), (2020, 2)]


def test_real_file(shared_results_path: Path) -> None:
    h = read_history(shared_results_path)
    races = h.races()
    assert len(races) == 180 and not h.incomplete
    assert races[0].race_id == (2019, 1) and races[-1].race_id == (2023, 36)
    assert sum(r.n for r in races) == 6819
    assert [(p.row, p.field) for p in h.notes] == [(6325, "fastest_laps")]
    atl = [r for r in races if r.track.startswith("Atlanta")]
    assert {(r.season, r.track_type) for r in atl} == {
        (2019, "intermediate"), (2020, "intermediate"), (2021, "intermediate"),
        (2022, "superspeedway"), (2023, "superspeedway")}
    d500 = races[0]
    i = d500.drivers.index("Denny Hamlin")
    assert (d500.start[i], d500.finish[i], d500.laps_led[i], d500.fastest_laps[i]) == (10, 1, 30, 2)
    assert np.all(np.sort(d500.finish) == np.arange(1, d500.n + 1))
