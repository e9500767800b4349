"""A scenario set's record of the salary drivers its slate left out (``tailrace.sim.left_out``),
on small hand-made sets; the real exports' end-to-end runs are in test_real_slates.py."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest

from tailrace.errors import InputError
from tailrace.sim.io import load_scenarios, save_scenarios, write_npz
from tailrace.sim.keys import simulation_key
from tailrace.sim.left_out import LEFT_OUT_KEY, match_to_slate, record_left_out, recorded_left_out
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Driver, LeftOut, Slate, demo_slate
from tailrace.sites import get_site

ELLIOTT = LeftOut(id="9", name="Chase Elliott",
                  reason="not on the starting grid from r.csv (2023 race 3 starting grid)")


def _slate(n: int, left_out: tuple[LeftOut, ...] = ()) -> Slate:
    drivers = tuple(Driver(id=str(i + 1), name=f"Driver {i + 1}", salary=5000 + 100 * i, start=i + 1)
                    for i in range(n))
    return Slate(site=get_site("dk"), drivers=drivers, left_out=left_out)


def _set(ids: list[str], meta: dict | None = None) -> Scenarios:
    # the first row holds 0, 1, 2, ... column by column, so a reorder is visible
    pts = np.arange(3 * len(ids), dtype=np.float32).reshape(3, len(ids))
    return Scenarios(points=pts, driver_ids=tuple(ids), meta=dict(meta or {}))


def test_nobody_left_out_leaves_set_and_bytes_as_they_were() -> None:
    """A slate with every salary driver: the set is the same object, so its file's bytes are the
    bytes written before the record existed (no new meta key)."""
    s = _set(["1", "2"], {"seed": 3})
    assert record_left_out(s, _slate(2)) is s
    a, b = io.BytesIO(), io.BytesIO()
    write_npz(a, s)
    write_npz(b, record_left_out(s, _slate(2)))
    assert a.getvalue() == b.getvalue()


def test_the_record_round_trips_through_a_saved_file(tmp_path: Path) -> None:
    s = record_left_out(_set(["1", "2"]), _slate(2, (ELLIOTT,)))
    p = save_scenarios(tmp_path / "s.npz", s)
    meta = load_scenarios(p).meta
    assert meta[LEFT_OUT_KEY] == [{"id": "9", "name": "Chase Elliott", "reason": ELLIOTT.reason}]
    assert recorded_left_out(meta) == (ELLIOTT,)


def test_left_out_is_not_part_of_the_simulation_key() -> None:
    """Which salary rows a slate left out does not change its simulation: the key (so every
    cached set) is the one of the same drivers without the record."""
    assert simulation_key(_slate(4, (ELLIOTT,)), 100, 1) == simulation_key(_slate(4), 100, 1)
    slate = demo_slate()
    assert simulation_key(dataclasses.replace(slate, left_out=(ELLIOTT,)), 500, 2) == simulation_key(slate, 500, 2)


def test_match_drops_only_recorded_drivers_and_reorders() -> None:
    slate = Slate(site=get_site("dk"), drivers=_slate(3).drivers + (Driver(id="9", name="Chase Elliott",
                                                                            salary=9000),))
    s = _set(["3", "1", "2"], {LEFT_OUT_KEY: [{"id": "9", "name": "Chase Elliott", "reason": ELLIOTT.reason}]})
    got, kept, line = match_to_slate(s, slate, "/x/lv.npz")
    assert kept.ids == ["1", "2", "3"] and kept.left_out == (ELLIOTT,)
    assert got.driver_ids == ("1", "2", "3") and got.points[0].tolist() == [1.0, 2.0, 0.0]
    assert line == ("1 salary driver(s) dropped from the slate, as the scenario set lv.npz records them left out: "
                    f"Chase Elliott (9); {ELLIOTT.reason}")
    same, same_slate, none = match_to_slate(_set(["1", "2", "3", "9"]), slate, "a.npz")
    assert none is None and same_slate is slate


@pytest.mark.parametrize("meta", [
    {},  # no record: an older set, or a user's own matrix
    {LEFT_OUT_KEY: [{"id": "9", "name": "Chase Elliot", "reason": "r"}]},  # the ID under another name
    {LEFT_OUT_KEY: [{"id": "8", "name": "Chase Elliott", "reason": "r"}]},  # another ID
    {LEFT_OUT_KEY: "9"},  # malformed: nothing is recorded
    {LEFT_OUT_KEY: [{"id": 9, "name": "Chase Elliott", "reason": "r"}]},
])
def test_an_unrecorded_missing_driver_still_fails(meta: dict) -> None:
    slate = Slate(site=get_site("dk"), drivers=_slate(2).drivers + (Driver(id="9", name="Chase Elliott",
                                                                            salary=9000),))
    with pytest.raises(InputError) as exc:
        match_to_slate(_set(["1", "2"], meta), slate, "s.npz")
    (p,) = exc.value.problems
    assert p.message == "1 slate drivers have no column: 9" and p.field == "driver_ids"
    assert p.fix.startswith("add a column of points for each of them")
