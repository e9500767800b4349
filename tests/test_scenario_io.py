"""Scenario matrix files: tailrace's npz round trip, a user's own npz/CSV, every validation error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tailrace.errors import InputError
from tailrace.sim.io import load_scenarios, read_npz, save_scenarios
from tailrace.sim.scenarios import Scenarios

IDS = ("11", "22", "33", "44")


def _full(s: int = 50, seed: int = 0) -> Scenarios:
    g = np.random.default_rng(seed)
    n = len(IDS)
    finish = np.argsort(g.random((s, n)), axis=1).astype(np.int16) + 1
    return Scenarios(
        points=g.normal(40, 12, (s, n)).astype(np.float32),
        driver_ids=IDS,
        finish=finish,
        laps_led=g.integers(0, 100, (s, n)).astype(np.int16),
        fastest_laps=g.integers(0, 50, (s, n)).astype(np.int16),
        laps_completed=g.integers(150, 268, (s, n)).astype(np.int16),
        dnf=g.random((s, n)) < 0.1,
        meta={"seed": 7, "track": "Kansas", "params": {"a": 1.5}},
    )


def _problems(exc: pytest.ExceptionInfo[InputError]) -> list:
    return exc.value.problems


def _write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- round trips


def test_npz_round_trip_keeps_everything(tmp_path: Path) -> None:
    s = _full()
    p = save_scenarios(tmp_path / "sims.npz", s)
    back = load_scenarios(p)
    assert back.driver_ids == IDS
    assert back.points.dtype == np.float32
    np.testing.assert_array_equal(back.points, s.points)
    for name in ("finish", "laps_led", "fastest_laps", "laps_completed", "dnf"):
        a, b = getattr(s, name), getattr(back, name)
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert back.meta["seed"] == 7 and back.meta["params"] == {"a": 1.5}
    assert back.meta["source"] == str(p)
    # the plain numpy view of the file: the documented array names, no pickles needed
    with np.load(p, allow_pickle=False) as z:
        assert {"points", "driver_ids", "finish", "dnf", "meta_json"} <= set(z.files)
        assert z["driver_ids"].tolist() == list(IDS)


def test_trusted_reader_matches_numpy(tmp_path: Path) -> None:
    s = _full(s=333, seed=4)
    p = save_scenarios(tmp_path / "a.npz", s)
    back, extra = read_npz(p)
    assert extra == {}
    with np.load(p, allow_pickle=False) as z:
        for name in ("points", "finish", "laps_led", "fastest_laps", "laps_completed", "dnf"):
            np.testing.assert_array_equal(getattr(back, name), z[name])
            assert getattr(back, name).dtype == z[name].dtype
    assert back.meta == {"seed": 7, "track": "Kansas", "params": {"a": 1.5}}


def test_save_is_atomic_and_leaves_no_temp(tmp_path: Path) -> None:
    p = tmp_path / "deep" / "dir" / "x.npz"
    save_scenarios(p, _full())
    save_scenarios(p, _full(seed=1))  # replace in place
    assert sorted(x.name for x in p.parent.iterdir()) == ["x.npz"]
    np.testing.assert_array_equal(load_scenarios(p).points, _full(seed=1).points)


def test_users_npz_points_only_with_int_ids(tmp_path: Path) -> None:
    p = tmp_path / "mine.npz"
    pts = np.arange(12, dtype=np.float64).reshape(3, 4)
    np.savez(p, points=pts, driver_ids=np.array([11, 22, 33, 44]))
    s = load_scenarios(p)
    assert s.driver_ids == IDS
    assert s.points.dtype == np.float32 and not s.has_outcomes
    np.testing.assert_array_equal(s.points, pts.astype(np.float32))


def test_npz_reordered_to_slate(tmp_path: Path) -> None:
    s = _full()
    p = save_scenarios(tmp_path / "a.npz", s)
    want = ["33", "11", "44", "22"]
    back = load_scenarios(p, expected_ids=want)
    assert back.driver_ids == tuple(want)
    order = [2, 0, 3, 1]
    np.testing.assert_array_equal(back.points, s.points[:, order])
    np.testing.assert_array_equal(back.finish, s.finish[:, order])
    np.testing.assert_array_equal(back.dnf, s.dnf[:, order])


def test_csv_round_trip_and_reorder(tmp_path: Path) -> None:
    p = _write_csv(tmp_path / "sims.csv", "11,22,33,44\n1.5,2,3,4\n\n5,6,7,8.25\n")
    s = load_scenarios(p)
    assert s.driver_ids == IDS
    np.testing.assert_array_equal(s.points, np.array([[1.5, 2, 3, 4], [5, 6, 7, 8.25]], np.float32))
    assert s.points.dtype == np.float32
    r = load_scenarios(p, expected_ids=["44", "33", "22", "11"])
    np.testing.assert_array_equal(r.points[:, 0], [4, 8.25])
    assert r.points.flags.c_contiguous


def test_csv_with_bom_index_column_and_quotes(tmp_path: Path) -> None:
    # a spreadsheet export: BOM, blank index header, quoted numbers, spaces around IDs
    text = '\ufeff,"11", 22 ,33,44\n0,"1.0",2,3,4\n1,5,6,7,8\n'
    p = _write_csv(tmp_path / "sheet.csv", text)
    s = load_scenarios(p)
    assert s.driver_ids == IDS
    np.testing.assert_array_equal(s.points, [[1, 2, 3, 4], [5, 6, 7, 8]])
    p2 = _write_csv(tmp_path / "idx.csv", "scenario,11,22\n1,3.5,4\n")
    assert load_scenarios(p2).driver_ids == ("11", "22")


def test_csv_and_npz_agree(tmp_path: Path) -> None:
    g = np.random.default_rng(2)
    pts = np.round(g.normal(30, 9, (200, 4)), 3)
    np.savetxt(tmp_path / "m.csv", pts, delimiter=",", header=",".join(IDS), comments="", fmt="%.3f")
    np.savez(tmp_path / "m.npz", points=pts, driver_ids=np.array(IDS))
    a = load_scenarios(tmp_path / "m.csv")
    b = load_scenarios(tmp_path / "m.npz")
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.points, pts.astype(np.float32))


# ----------------------------------------------------------------------------- npz errors


def test_npz_missing_key(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    np.savez(p, pts=np.zeros((2, 2)))
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    fields = {pr.field for pr in _problems(e)}
    assert fields == {"points", "driver_ids"}
    assert all(pr.file == str(p) and pr.fix for pr in _problems(e))


def test_npz_shape_mismatch(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    np.savez(p, points=np.zeros((5, 3)), driver_ids=np.array(["1", "2"]))
    with pytest.raises(InputError, match="3 columns but driver_ids has 2"):
        load_scenarios(p)
    np.savez(p, points=np.zeros(5), driver_ids=np.array(["1"]))
    with pytest.raises(InputError, match="2-D"):
        load_scenarios(p)
    np.savez(p, points=np.zeros((0, 2)), driver_ids=np.array(["1", "2"]))
    with pytest.raises(InputError, match="no scenarios"):
        load_scenarios(p)
    np.savez(p, points=np.zeros((3, 2)), driver_ids=np.array(["1", "2"]), finish=np.ones((3, 1)))
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    assert _problems(e)[0].field == "finish"


def test_npz_non_numeric_and_pickled(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    np.savez(p, points=np.array([["a", "b"]]), driver_ids=np.array(["1", "2"]))
    with pytest.raises(InputError, match="must be numbers"):
        load_scenarios(p)
    np.savez(p, points=np.zeros((1, 2)), driver_ids=np.array(["1", 2], dtype=object))
    with pytest.raises(InputError, match="pickle") as e:
        load_scenarios(p)
    assert "dtype=str" in _problems(e)[0].fix


def test_npz_nan_and_inf_located(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    pts = np.ones((4, 3))
    pts[2, 1] = np.nan
    pts[3, 0] = np.inf
    np.savez(p, points=pts, driver_ids=np.array(["a", "b", "c"]))
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    msgs = [pr.message for pr in _problems(e)]
    assert any("scenario 3, driver b" in m and "NaN" in m for m in msgs)
    assert any("scenario 4, driver a" in m and "inf" in m for m in msgs)


def test_npz_duplicates_and_slate_mismatch(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    np.savez(p, points=np.ones((2, 3)), driver_ids=np.array(["a", "b", "a"]))
    with pytest.raises(InputError, match="duplicate driver IDs.*a"):
        load_scenarios(p)
    np.savez(p, points=np.ones((2, 3)), driver_ids=np.array(["a", "b", "x"]))
    with pytest.raises(InputError) as e:
        load_scenarios(p, expected_ids=["a", "b", "c", "d"])
    msgs = " | ".join(pr.message for pr in _problems(e))
    assert "not on the slate: x" in msgs
    assert "no column: c, d" in msgs


def test_not_a_zip_and_unknown_suffix(tmp_path: Path) -> None:
    p = tmp_path / "junk.npz"
    p.write_bytes(b"this is not a zip file")
    with pytest.raises(InputError, match="not a readable .npz"):
        load_scenarios(p)
    q = tmp_path / "m.parquet"
    q.write_bytes(b"x")
    with pytest.raises(InputError, match="unknown scenario file type"):
        load_scenarios(q)
    with pytest.raises(InputError, match="not found"):
        load_scenarios(tmp_path / "nope.csv")


# ----------------------------------------------------------------------------- CSV errors


def test_csv_non_numeric_cell_names_row_and_column(tmp_path: Path) -> None:
    # header is file row 1, so the second data line is row 3; column "33"
    p = _write_csv(tmp_path / "bad.csv", "11,22,33\n1,2,3\n4,5,abc\n7,,9\n")
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    probs = _problems(e)
    assert (probs[0].row, probs[0].field) == (3, "33") and "'abc'" in probs[0].message
    assert (probs[1].row, probs[1].field) == (4, "22") and "(empty)" in probs[1].message
    assert all(pr.file == str(p) and pr.fix for pr in probs)
    assert "row 3" in str(e.value) and "field '33'" in str(e.value)


def test_csv_nan_inf_and_ragged_rows(tmp_path: Path) -> None:
    p = _write_csv(tmp_path / "bad.csv", "11,22\n1,nan\ninf,2\n")
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    got = {(pr.row, pr.field) for pr in _problems(e)}
    assert got == {(2, "22"), (3, "11")}
    p = _write_csv(tmp_path / "ragged.csv", "11,22\n1,2\n3\n")
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    assert _problems(e)[0].row == 3 and "1 cells but the header has 2" in _problems(e)[0].message


def test_csv_header_problems(tmp_path: Path) -> None:
    p = _write_csv(tmp_path / "dup.csv", "11,22,11\n1,2,3\n")
    with pytest.raises(InputError, match="duplicate driver IDs in the header: 11") as e:
        load_scenarios(p)
    assert _problems(e)[0].row == 1
    p = _write_csv(tmp_path / "blank.csv", "11,,33\n1,2,3\n")
    with pytest.raises(InputError, match="column 2 has no driver ID"):
        load_scenarios(p)
    p = _write_csv(tmp_path / "empty.csv", "\n\n")
    with pytest.raises(InputError, match="empty"):
        load_scenarios(p)
    p = _write_csv(tmp_path / "norows.csv", "11,22\n")
    with pytest.raises(InputError, match="no scenario rows"):
        load_scenarios(p)


def test_csv_slate_mismatch_lists_ids(tmp_path: Path) -> None:
    p = _write_csv(tmp_path / "m.csv", "11,22,99,98\n1,2,3,4\n")
    with pytest.raises(InputError) as e:
        load_scenarios(p, expected_ids=["11", "22", "33"])
    msgs = [pr.message for pr in _problems(e)]
    assert msgs[0] == "2 driver IDs are not on the slate: 99, 98"
    assert msgs[1] == "1 slate drivers have no column: 33"


def test_csv_float32_overflow(tmp_path: Path) -> None:
    p = _write_csv(tmp_path / "big.csv", "11,22\n1,1e39\n")
    with pytest.raises(InputError, match="too large for float32") as e:
        load_scenarios(p)
    assert (_problems(e)[0].row, _problems(e)[0].field) == (2, "22")


def test_many_bad_cells_are_summarised(tmp_path: Path) -> None:
    body = "\n".join("x,y" for _ in range(30))
    p = _write_csv(tmp_path / "m.csv", "11,22\n" + body + "\n")
    with pytest.raises(InputError) as e:
        load_scenarios(p)
    probs = _problems(e)
    assert len(probs) == 11 and "50 more bad cells" in probs[-1].message
