"""Property-based fuzzing of every reader (issue 12): any bytes in -> a parsed result or an
``InputError``, nothing else (no TypeError, OverflowError, UnicodeDecodeError, RecursionError ...).

Pure random bytes rarely get past a header, so each reader gets two strategies: ``binary()`` and
a near-valid file — the bundled demo file with mutated cells (empty, huge, negative, NaN,
unicode, quotes, line breaks, formulas), repeated / dropped / truncated rows, another delimiter,
a BOM, another encoding or line ending. Bounded and derandomised so CI is reproducible
(``TAILRACE_FUZZ_RANDOM=1`` explores new cases; ``TAILRACE_FUZZ_EXAMPLES`` changes the count).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tailrace.errors import InfeasibleError, InputError
from tailrace.slate import demo_paths, demo_slate

SAL, PROJ = (Path(p) for p in demo_paths())
HIST = SAL.with_name("history.csv")
EXAMPLES = int(os.environ.get("TAILRACE_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("TAILRACE_FUZZ_RANDOM") != "1",
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLATE = demo_slate()
IDS = list(SLATE.ids)
WORK = Path(tempfile.mkdtemp(prefix="tailrace-fuzz-"))


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


SAL_ROWS = _rows(SAL)
PROJ_ROWS = _rows(PROJ)
_hist = _rows(HIST)
HIST_ROWS = [_hist[0]] + [r for r in _hist[1:] if r[:2] == _hist[1][:2]]  # one whole race: fast, still valid
MATRIX_ROWS = [IDS] + [[f"{v:.1f}" for v in row]
                       for row in np.random.default_rng(0).gamma(4, 8, (120, len(IDS)))]
UPLOAD_ROWS = [["D"] * 6] + [IDS[i:i + 6] for i in range(0, 30, 6)]
OWN_ROWS = [["id", "ownership"]] + [[i, f"{100 * 6 / len(IDS):.2f}"] for i in IDS]
PAY_ROWS = [["min_rank", "max_rank", "prize"], ["1", "1", "1000"], ["2", "5", "100"], ["6", "50", "10"]]
SCORE_ROWS = [["driver", "start", "finish", "laps_led", "fastest_laps", "laps"]] + [
    [f"D{i}", str(i), str(41 - i), str(i % 7), str(i % 3), "200"] for i in range(1, 41)]
ENTRY_ROWS = [["Entry ID", "Contest Name", "Contest ID", "Entry Fee", "D", "D", "D", "D", "D", "D", "",
               "Instructions"]] + [[str(4000 + k), "NASCAR $5", "123", "$5", "", "", "", "", "", "", "", ""]
                                   for k in range(3)]
_NAMES = SLATE.names
STANDINGS_ROWS = [["Rank", "EntryId", "EntryName", "TimeRemaining", "Points", "Lineup", "", "Player",
                   "Roster Position", "%Drafted", "FPTS"]] + [
    [str(k + 1), str(9000 + k), f"user{k} ({k + 1}/4)", "0", f"{100 - k:.2f}",
     " ".join(f"D {n}" for n in _NAMES[k:k + 6]) if k < 3 else "", "", _NAMES[k], "D", f"{10 + k:.2f}%", "10"]
    for k in range(4)]

# cells that break naive readers
NASTY = st.sampled_from([
    "", " ", "-1", "0", "-0", "1e308", "1e400", "-1e400", "1e19", "99999999999999999999", "nan", "NaN", "inf",
    "-inf", "Infinity", "1.5", "4795", "$8,500", "8,500", "+350", "-120", "7/2", "0/0", "1/0", "even", "1-3", "3-1",
    "1--2", "1 to 1000000000000", "=HYPERLINK(\"x\")", "@SUM(1+1)", "é", "Ｄ", "١٢", "\u202e", "\ufeff", "\u2028",
    "\x85", "\x0b", '"', '""', "a\nb", "a\rb", "a,b", "a;b", "a\tb", "x" * 5000, "12345678", IDS[0], IDS[1],
    "Riley Marchetti", "D", "Entry ID", "[", "{", "(", ")", "%", "50%", "running", "Kansas Speedway",
])
# numbers past what a field holds (int64 overflow, absurd ranks, laps): half the mutations use one
EDGE_NUMBER = st.sampled_from(["1e19", "1e300", "99999999999999999999", "-1", "nan", "inf", "0", "1.5", "1e6",
                               "100000000000"])
CELL = EDGE_NUMBER | NASTY | st.text(max_size=12)


@st.composite
def near_valid_csv(draw, rows: list[list[str]]) -> bytes:
    """``rows`` (a valid file) with a few mutations, serialised in some plausible way."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "header", "dup", "drop", "short", "long", "blank"]))
        i = draw(st.integers(0, len(rows) - 1))
        if kind == "cell" and rows[i]:
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(CELL)
        elif kind == "header" and rows[0]:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(CELL)
        elif kind == "dup":
            rows.insert(i, list(rows[i]))
        elif kind == "drop" and len(rows) > 1:
            del rows[i]
        elif kind == "short":
            rows[i] = rows[i][: draw(st.integers(0, len(rows[i])))]
        elif kind == "long":
            rows[i] = rows[i] + draw(st.lists(CELL, max_size=3))
        elif kind == "blank":
            rows.insert(i, [])
    delim = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator=end,
               quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONE])),
               escapechar="\\").writerows(rows)
    text = buf.getvalue()
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    data = text.encode(enc, errors="replace")
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter: cut anywhere (a half-copied file)
        data = data[: draw(st.integers(0, len(data)))]
    return data


def any_csv(rows: list[list[str]]) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=3000) | near_valid_csv(rows)


def _file(name: str, data: bytes) -> Path:
    p = WORK / name
    p.write_bytes(data)
    return p


def _parsed_or_input_error(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except InputError as exc:
        assert exc.problems and str(exc)


# ------------------------------------------------------------------------- the slate's files


@FUZZ
@given(data=any_csv(SAL_ROWS), site=st.sampled_from(["dk", "fd"]))
def test_salaries(data: bytes, site: str) -> None:
    from tailrace.slate import read_salaries

    _parsed_or_input_error(lambda: read_salaries(_file("DKSalaries.csv", data), site))


@FUZZ
@given(data=any_csv(PROJ_ROWS))
def test_projections_alone_and_matched_to_salaries(data: bytes) -> None:
    from tailrace.slate import read_projections, read_slate

    f = _file("projections.csv", data)
    _parsed_or_input_error(lambda: read_projections(f))
    _parsed_or_input_error(lambda: read_slate("dk", SAL, f))


@FUZZ
@given(data=any_csv(HIST_ROWS))
def test_history(data: bytes) -> None:
    from tailrace.sim.history import read_history

    _parsed_or_input_error(lambda: read_history(_file("history.csv", data)))


# ---------------------------------------------------------------------------------- specs

SPEC_KEYS = ["locks", "excludes", "min_exposure", "max_exposure", "global_max_exposure", "groups", "min_salary",
             "max_salary", "max_overlap", "min_unique", "objective", "n_lineups", "mode", "nonsense"]
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | CELL,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(CELL | st.sampled_from(SPEC_KEYS), inner, max_size=4),
    max_leaves=12)
NAMES = st.sampled_from(IDS[:5] + [d.name for d in SLATE.drivers[:5]] + ["Nobody", ""]) | CELL
SPEC = st.fixed_dictionaries({}, optional={
    "locks": st.lists(NAMES, max_size=3) | NAMES | JSONISH,
    "excludes": st.lists(NAMES, max_size=3) | JSONISH,
    "min_exposure": st.dictionaries(NAMES, st.floats(-1, 2) | JSONISH, max_size=3),
    "max_exposure": st.dictionaries(NAMES, st.floats(-1, 2), max_size=3) | JSONISH,
    "global_max_exposure": st.floats() | JSONISH,
    "groups": st.lists(st.fixed_dictionaries({}, optional={
        "name": CELL, "drivers": st.lists(NAMES, max_size=4) | JSONISH,
        "at_most": st.integers(-2, 8) | JSONISH, "at_least": st.integers(-2, 8)}), max_size=2) | JSONISH,
    "min_salary": st.integers(-10, 10**7) | JSONISH, "max_salary": st.integers(-10, 10**7),
    "max_overlap": st.integers(-1, 7) | JSONISH, "min_unique": st.integers(-1, 7),
    "objective": st.fixed_dictionaries({}, optional={
        "kind": st.sampled_from(["mean", "lower-cvar", "upper-cvar", "blend", "target-prob", "x"]) | JSONISH,
        "alpha": st.floats() | JSONISH, "beta": st.floats(), "target": st.floats() | JSONISH,
        "blend": st.lists(JSONISH, max_size=2) | CELL}) | JSONISH,
    "n_lineups": st.integers(-1, 200) | JSONISH,
    "mode": st.sampled_from(["independent", "marginal", " MARGINAL ", "x"]) | JSONISH,
    "nonsense": JSONISH,
})


@st.composite
def spec_file(draw) -> tuple[str, bytes]:
    import yaml

    doc = draw(SPEC | JSONISH)
    suffix = draw(st.sampled_from([".json", ".yaml", ".yml", ".txt"]))
    if suffix == ".json" or draw(st.booleans()):
        text = json.dumps(doc, allow_nan=True)
    else:
        text = yaml.safe_dump(doc, allow_unicode=draw(st.booleans()))
    if draw(st.booleans()) and draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return suffix, text.encode(draw(st.sampled_from(["utf-8", "utf-16"])))


@FUZZ
@given(f=spec_file() | st.tuples(st.sampled_from([".json", ".yaml", ".txt"]), st.binary(max_size=2000)))
def test_specs(f: tuple[str, bytes]) -> None:
    from tailrace.optimize.constraints import ConstraintSpec

    path = _file("spec" + f[0], f[1])

    def read() -> None:
        spec = ConstraintSpec.load(path)
        try:
            spec.resolve(SLATE)
        except InfeasibleError as exc:  # a readable spec whose constraints clash: its own clean error
            assert exc.conflicts

    _parsed_or_input_error(read)


# ---------------------------------------------------------------------- scenario matrices


@FUZZ
@given(data=any_csv(MATRIX_ROWS))
def test_scenario_matrix_csv(data: bytes) -> None:
    from tailrace.sim.io import load_scenarios

    f = _file("scenarios.csv", data)
    _parsed_or_input_error(lambda: load_scenarios(f, IDS))
    _parsed_or_input_error(lambda: load_scenarios(f))


def _valid_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, points=np.random.default_rng(1).gamma(4, 8, (50, len(IDS))).astype(np.float32),
             driver_ids=np.array(IDS), meta_json=np.array(json.dumps({"seed": 1})))
    return buf.getvalue()


VALID_NPZ = _valid_npz()
ARRAY = st.one_of(
    st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.bool_, np.complex64, np.float16]).flatmap(
        lambda dt: st.tuples(st.integers(0, 120), st.sampled_from([0, 1, len(IDS) - 1, len(IDS), len(IDS) + 1]))
        .map(lambda shape: np.random.default_rng(shape[0]).normal(30, 20, shape).astype(dt))),
    st.just(np.array(1.0)), st.just(np.zeros((2, 3, len(IDS)))), st.just(np.array(["a", "b"])),
    st.just(np.full((20, len(IDS)), np.nan)), st.just(np.full((20, len(IDS)), 1e300)),
    st.just(np.zeros((4, 2), dtype=[("a", "<f4")])))
ID_ARRAY = st.one_of(
    st.just(np.array(IDS)), st.just(np.array(IDS[:-1])), st.just(np.array(IDS[:-1] + IDS[:1])),
    st.just(np.array([i.encode() for i in IDS])), st.just(np.array([b"\xff\xfe"] + [i.encode() for i in IDS[1:]])),
    st.just(np.array([float(i) for i in IDS])), st.just(np.array([int(i) for i in IDS])),
    st.just(np.array([IDS])), st.just(np.array(IDS[0])), st.just(np.array([], dtype=str)),
    st.lists(CELL, min_size=len(IDS), max_size=len(IDS)).map(np.array))


@st.composite
def npz_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["arrays", "arrays", "flip", "cut", "raw"]))
    if kind == "flip":  # damage a valid file: a few bytes anywhere (headers, zip directory, data)
        b = bytearray(VALID_NPZ)
        for _ in range(draw(st.integers(1, 4))):
            b[draw(st.integers(0, len(b) - 1))] = draw(st.integers(0, 255))
        return bytes(b)
    if kind == "cut":
        return VALID_NPZ[: draw(st.integers(0, len(VALID_NPZ)))]
    if kind == "raw":  # a zip whose members are not .npy data
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name in draw(st.lists(st.sampled_from(["points.npy", "driver_ids.npy", "points", "meta_json.npy",
                                                       "finish.npy"]), max_size=3, unique=True)):
                zf.writestr(name, draw(st.binary(max_size=200)))
        return buf.getvalue()
    arrays: dict[str, np.ndarray] = {}
    if draw(st.integers(0, 9)):
        arrays["points"] = draw(ARRAY)
    if draw(st.integers(0, 9)):
        arrays["driver_ids"] = draw(ID_ARRAY)
    for extra in draw(st.lists(st.sampled_from(["finish", "laps_led", "meta_json", "other"]), max_size=2,
                               unique=True)):
        arrays[extra] = (np.array(draw(st.sampled_from(['{"a": 1}', "[" * 5000 + "]" * 5000, "5", "{"])))
                         if extra == "meta_json" else draw(ARRAY))
    buf = io.BytesIO()
    (np.savez_compressed if draw(st.booleans()) else np.savez)(buf, **arrays)
    return buf.getvalue()


@FUZZ
@given(data=npz_bytes() | st.binary(max_size=2000) | st.binary(max_size=100).map(lambda b: b"PK\x03\x04" + b))
def test_scenario_matrix_npz(data: bytes) -> None:
    from tailrace.sim.io import load_scenarios

    f = _file("scenarios.npz", data)
    _parsed_or_input_error(lambda: load_scenarios(f, IDS))
    _parsed_or_input_error(lambda: load_scenarios(f))


# --------------------------------------------------------------- portfolios and entries

SIX = st.permutations(IDS).map(lambda p: list(p[:6]))
LINEUP = SIX | st.tuples(SIX, st.integers(0, 5)).map(lambda t: t[0] + [t[0][t[1]]]) | st.lists(
    st.sampled_from(IDS) | JSONISH, max_size=8) | JSONISH
PORTFOLIO = st.fixed_dictionaries({}, optional={
    "lineups": st.lists(st.fixed_dictionaries({"driver_ids": LINEUP}) | JSONISH, max_size=4) | JSONISH,
    "meta": JSONISH})


@FUZZ
@given(data=(PORTFOLIO | JSONISH).map(lambda d: json.dumps(d).encode()) | st.binary(max_size=1000),
       csv_data=any_csv(UPLOAD_ROWS))
def test_portfolios_json_and_upload_csv(data: bytes, csv_data: bytes) -> None:
    from tailrace.cli.runners.contest import _portfolio_lineups
    from tailrace.export import read_upload

    _parsed_or_input_error(lambda: _portfolio_lineups(_file("portfolio.json", data), SLATE))
    f = _file("upload.csv", csv_data)
    _parsed_or_input_error(lambda: _portfolio_lineups(f, SLATE))
    _parsed_or_input_error(lambda: read_upload(f, SLATE))


@FUZZ
@given(data=any_csv(ENTRY_ROWS), n=st.integers(1, 4))
def test_dk_entries_filler(data: bytes, n: int) -> None:
    from tailrace.export import fill_dk_entries_text
    from tailrace.textfile import decode_text

    lineups = [tuple(range(k, k + 6)) for k in range(n)]
    _parsed_or_input_error(lambda: fill_dk_entries_text(decode_text(data, "DKEntries.csv"), lineups, SLATE))


# ------------------------------------------------------------- contest inputs and results


PAYOUT_JSON = st.lists(st.fixed_dictionaries({}, optional={
    "min_rank": st.integers(-2, 10**13) | JSONISH, "max_rank": st.integers(-2, 10**13) | JSONISH,
    "place": CELL | JSONISH, "prize": st.floats() | CELL | JSONISH}), max_size=4) | st.dictionaries(
    CELL, st.floats() | CELL, max_size=4) | JSONISH


@FUZZ
@given(csv_data=any_csv(PAY_ROWS), json_data=PAYOUT_JSON.map(lambda d: json.dumps(d).encode()) | st.binary(max_size=500))
def test_payouts(csv_data: bytes, json_data: bytes) -> None:
    from tailrace.contest.payouts import read_payouts

    _parsed_or_input_error(lambda: read_payouts(_file("payouts.csv", csv_data)))
    _parsed_or_input_error(lambda: read_payouts(_file("payouts.json", json_data)))


@FUZZ
@given(own=any_csv(OWN_ROWS), field=any_csv(UPLOAD_ROWS))
def test_ownership_and_field(own: bytes, field: bytes) -> None:
    from tailrace.contest.field import read_field
    from tailrace.contest.ownership import read_ownership

    _parsed_or_input_error(lambda: read_ownership(_file("ownership.csv", own), SLATE, []))
    _parsed_or_input_error(lambda: read_field(_file("field.csv", field), SLATE))


@FUZZ
@given(data=any_csv(STANDINGS_ROWS))
def test_standings(data: bytes) -> None:
    from tailrace.contest.field import read_field
    from tailrace.contest.standings import read_standings

    _parsed_or_input_error(lambda: read_standings(_file("standings.csv", data), SLATE))
    _parsed_or_input_error(lambda: read_field(_file("standings.csv", data), SLATE))


@FUZZ
@given(data=any_csv(SCORE_ROWS), site=st.sampled_from(["dk", "fd"]))
def test_results_to_score(data: bytes, site: str) -> None:
    from tailrace.cli.score import score_results
    from tailrace.sites import get_site

    _parsed_or_input_error(lambda: score_results(_file("results.csv", data), get_site(site)))


def test_the_seeds_are_valid_files() -> None:
    """The near-valid strategies start from files every reader accepts, so mutations are what fails."""
    from tailrace.cli.score import score_results
    from tailrace.contest.payouts import read_payouts
    from tailrace.export import read_upload
    from tailrace.sim.history import read_history
    from tailrace.sim.io import load_scenarios
    from tailrace.sites import get_site

    def w(name: str, rows: list[list[str]]) -> Path:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return _file(name, buf.getvalue().encode())

    assert len(read_history(w("h.csv", HIST_ROWS))) == 1
    assert load_scenarios(w("m.csv", MATRIX_ROWS), IDS).points.shape == (120, len(IDS))
    assert load_scenarios(_file("m.npz", VALID_NPZ), IDS).points.shape == (50, len(IDS))
    assert len(read_upload(w("u.csv", UPLOAD_ROWS), SLATE)) == 5
    assert read_payouts(w("p.csv", PAY_ROWS)).n_paid == 50
    assert len(score_results(w("r.csv", SCORE_ROWS), get_site("dk")).rows) == 40
    from tailrace.contest.standings import read_standings

    assert read_standings(w("s.csv", STANDINGS_ROWS), SLATE).lineups().shape == (3, 6)


@pytest.fixture(scope="module", autouse=True)
def _clean_work():
    yield
    import shutil

    shutil.rmtree(WORK, ignore_errors=True)
