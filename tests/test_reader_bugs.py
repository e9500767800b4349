"""Reader crashes found by the malformed corpus and the fuzzing of issue 12: each input here used
to escape as a bare TypeError / OverflowError / MemoryError / UnicodeDecodeError / RecursionError /
AttributeError (a traceback in the CLI), or was silently accepted; now an InputError naming the
file and the field, with a fix."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tailrace.errors import InputError
from tailrace.slate import demo_paths, demo_slate

HIST = Path(demo_paths()[0]).with_name("history.csv")


@pytest.fixture(scope="module")
def slate():
    return demo_slate()


def _w(p: Path, data: str | bytes) -> Path:
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


@pytest.mark.parametrize("text", ["5", "null", '"1-3"', '{"payouts": 5}', "true"])
def test_payouts_json_that_is_not_a_table(tmp_path: Path, text: str) -> None:
    from tailrace.contest.payouts import read_payouts

    with pytest.raises(InputError) as e:
        read_payouts(_w(tmp_path / "pay.json", text))
    assert "pay.json" in str(e.value) and "Fix:" in str(e.value)


def test_payouts_infinite_rank(tmp_path: Path) -> None:
    from tailrace.contest.payouts import read_payouts

    with pytest.raises(InputError, match="pay.json"):
        read_payouts(_w(tmp_path / "pay.json", '[{"min_rank": Infinity, "prize": 1}]'))


@pytest.mark.parametrize("name, text", [
    ("pay.csv", "min_rank,max_rank,prize\n1,100000000000,5\n"),
    ("pay.csv", "place,prize\n1-100000000000,5\n"),
    ("pay.json", '[{"min_rank": 1, "max_rank": 1e15, "prize": 5}]'),
])
def test_payouts_with_absurd_ranks_are_refused_not_allocated(tmp_path: Path, name: str, text: str) -> None:
    from tailrace.contest.payouts import read_payouts

    with pytest.raises(InputError) as e:
        read_payouts(_w(tmp_path / name, text))
    assert "max_rank" in str(e.value) or "place" in str(e.value)


@pytest.mark.parametrize("value", ["1e300", "1e19", "99999999999999999999"])
def test_score_huge_counts(tmp_path: Path, value: str) -> None:
    from tailrace.cli.score import score_results
    from tailrace.sites import get_site

    f = _w(tmp_path / "r.csv", f"driver,start,finish,laps_led,fastest_laps,laps\nA,1,1,{value},0,200\n")
    with pytest.raises(InputError) as e:
        score_results(f, get_site("dk"))
    assert "row 2" in str(e.value) and "laps_led" in str(e.value)


@pytest.mark.parametrize("col, value", [("laps", "1e300"), ("laps", "1e19"), ("season", "1e19")])
def test_history_huge_whole_numbers(col: str, value: str) -> None:
    from tailrace.sim.history import parse_history

    lines = HIST.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index(col)] = value
    with pytest.raises(InputError) as e:
        parse_history("\n".join([lines[0], ",".join(row), *lines[2:]]), "h.csv")
    assert "h.csv, row 2" in str(e.value) and col in str(e.value)


def _npz(p: Path, **arrays) -> Path:
    np.savez(p, **arrays)
    return p


def test_npz_byte_ids_that_are_not_utf8(tmp_path: Path, slate) -> None:
    from tailrace.sim.io import load_scenarios

    ids = np.array([b"\xff\xfe"] + [i.encode() for i in slate.ids[1:]])
    with pytest.raises(InputError, match="driver_ids"):
        load_scenarios(_npz(tmp_path / "m.npz", points=np.ones((200, slate.n)), driver_ids=ids), slate.ids)


def test_npz_deeply_nested_meta_is_ignored_like_bad_meta(tmp_path: Path, slate) -> None:
    from tailrace.sim.io import load_scenarios

    f = _npz(tmp_path / "m.npz", points=np.ones((200, slate.n)), driver_ids=np.array(slate.ids),
             meta_json=np.array("[" * 100_000 + "]" * 100_000))
    s = load_scenarios(f, slate.ids)
    assert s.points.shape == (200, slate.n)


def test_npz_member_that_is_not_an_array(tmp_path: Path, slate) -> None:
    from tailrace.sim.io import load_scenarios

    p = tmp_path / "m.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("points.npy", b"hello")
        zf.writestr("driver_ids.npy", b"x")
    with pytest.raises(InputError) as e:
        load_scenarios(p, slate.ids)
    assert "m.npz" in str(e.value) and "points" in str(e.value)


def test_npz_without_drivers(tmp_path: Path) -> None:
    from tailrace.sim.io import load_scenarios

    with pytest.raises(InputError, match="no drivers"):
        load_scenarios(_npz(tmp_path / "m.npz", points=np.ones((200, 0)), driver_ids=np.array([], dtype=str)))


@pytest.mark.parametrize("extra", [0, 1])
def test_portfolio_lineup_with_a_repeated_driver(tmp_path: Path, slate, extra: int) -> None:
    """Six distinct IDs plus one repeated used to pass as a 7-wide lineup (silently, or as a
    ValueError when another lineup had six)."""
    from tailrace.cli.runners.contest import _portfolio_lineups

    bad = list(slate.ids[:6]) + [slate.ids[0]]
    rows = [{"driver_ids": bad}] + [{"driver_ids": list(slate.ids[:6])}] * extra
    with pytest.raises(InputError) as e:
        _portfolio_lineups(_w(tmp_path / "p.json", json.dumps({"lineups": rows})), slate)
    assert "lineups[0].driver_ids" in str(e.value) and "Fix:" in str(e.value)


@pytest.mark.parametrize("name, text", [("s.json", '{"objective": {"blend": "\\ud800"}}'),
                                        ("s.yaml", 'objective:\n  blend: "\\udc00"\n')])
def test_spec_with_a_lone_surrogate_escape(tmp_path: Path, name: str, text: str) -> None:
    """``"\\ud800"`` is valid JSON but not text: pydantic's blend parser died on it (UnicodeEncodeError)."""
    from tailrace.optimize.constraints import ConstraintSpec

    with pytest.raises(InputError) as e:
        ConstraintSpec.load(_w(tmp_path / name, text))
    assert name in str(e.value) and "surrogate" in str(e.value)


def test_lone_surrogates_only_are_refused() -> None:
    from tailrace.textfile import parse_json

    assert parse_json('{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}', "x") == {"a": "\U0001F600", "b": "\\ud800"}
    with pytest.raises(InputError, match="surrogate"):
        parse_json('{"\\udfff": 1}', "x")
