"""A malformed-input corpus (issue 12): every bad file a user can hand a reader ends in exit
code 2 and one message naming the file (and the row or field where there is one) with a fix —
never a traceback, never exit 0.

Each case writes its file(s) into a temporary folder and runs the command in-process through
``tailrace.cli.main`` (as the entry point does); ``test_corpus_as_subprocesses`` runs a sample
as a user does, through ``python -m tailrace.cli``.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.slate import demo_paths

SAL, PROJ = (Path(p) for p in demo_paths())
HIST = SAL.with_name("history.csv")


def _proj_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(PROJ.read_text(encoding="utf-8-sig"))))


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _hist_with(edit: Callable[[list[list[str]]], None]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        rows = list(csv.reader(io.StringIO(HIST.read_text(encoding="utf-8"))))
        edit(rows)
        return _write_rows(d / "hist.csv", rows)
    return make


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(data)
        return p
    return make


def _text(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    return _bytes(name, text.encode(encoding))


RANDOM = np.random.default_rng(12).integers(1, 256, 4000, dtype=np.uint8).tobytes()  # no NUL bytes
RANDOM = RANDOM.replace(b"\x00", b"\x01")
HUGE_CELL = "name,start\n" + '"' + "x" * 1_200_000 + '",1\n'
DEEP_JSON = "[" * 5000 + "]" * 5000
DEEP_YAML = "a: " + "[" * 50000 + "]" * 50000
OPT = ["optimize", "--site", "dk", "--salaries", str(SAL), "--projections", str(PROJ), "--n-scenarios", "200"]
CON = ["contest", "--site", "dk", "--salaries", str(SAL), "--projections", str(PROJ), "--n-scenarios", "200"]
SIM = ["simulate", "--site", "dk", "--salaries", str(SAL), "--projections", str(PROJ), "--scenarios", "200"]

# (case id, file maker, argv with "{f}" for the file, substrings the message must hold)
CASES: list[tuple[str, Callable[[Path], Path], list[str], list[str]]] = [
    # --spec
    ("spec-utf16", _text("s.json", '{"n_lineups": "x"}', "utf-16"), OPT + ["--spec", "{f}"], ["n_lineups"]),
    ("spec-binary", _bytes("s.json", RANDOM), OPT + ["--spec", "{f}"], ["binary"]),
    ("spec-nul", _bytes("s.json", b'{"a": 1}\x00\x00'), OPT + ["--spec", "{f}"], ["binary"]),
    ("spec-deep-json", _text("s.json", DEEP_JSON), OPT + ["--spec", "{f}"], ["nests deeper"]),
    ("spec-deep-yaml", _text("s.yaml", DEEP_YAML), OPT + ["--spec", "{f}"], ["nests deeper"]),
    ("spec-bad-json", _text("s.json", '{"n_lineups": 3,'), OPT + ["--spec", "{f}"], ["not valid JSON", "row 1"]),
    ("spec-bad-yaml", _text("s.yaml", "n_lineups: [3\nmode: x"), OPT + ["--spec", "{f}"], ["not valid YAML"]),
    ("spec-folder", lambda d: d, OPT + ["--spec", "{f}"], ["spec"]),
    ("spec-unknown-field", _text("s.json", '{"n_lineup": 3}'), OPT + ["--spec", "{f}"], ["n_lineup"]),
    ("spec-list", _text("s.json", "[1, 2]"), OPT + ["--spec", "{f}"], ["s.json"]),
    # contest --portfolio
    ("portfolio-ids-int", _text("p.json", '{"lineups": [{"driver_ids": 5}]}'), CON + ["--portfolio", "{f}"],
     ["lineups[0].driver_ids"]),
    ("portfolio-ids-null", _text("p.json", '{"lineups": [{"driver_ids": null}]}'), CON + ["--portfolio", "{f}"],
     ["lineups[0].driver_ids"]),
    ("portfolio-no-lineups", _text("p.json", '{"x": 1}'), CON + ["--portfolio", "{f}"], ["lineups"]),
    ("portfolio-deep", _text("p.json", DEEP_JSON), CON + ["--portfolio", "{f}"], ["nests deeper"]),
    ("portfolio-binary", _bytes("p.json", RANDOM), CON + ["--portfolio", "{f}"], ["binary"]),
    ("portfolio-csv-binary", _bytes("p.csv", RANDOM), CON + ["--portfolio", "{f}"], ["binary"]),
    ("portfolio-csv-unknown", _text("p.csv", "D,D,D,D,D,D\n1,2,3,4,5,6\n"), CON + ["--portfolio", "{f}"], ["p.csv"]),
    ("portfolio-bad-json", _text("p.json", "{"), CON + ["--portfolio", "{f}"], ["not valid JSON"]),
    # --history
    ("history-binary", _bytes("h.csv", RANDOM), SIM + ["--history", "{f}"], ["binary"]),
    ("history-empty", _text("h.csv", ""), SIM + ["--history", "{f}"], ["empty"]),
    ("history-huge-cell", _text("h.csv", "season,race_num\n\"" + "x" * 1_200_000 + "\",1\n"), SIM + ["--history", "{f}"],
     ["could not be read as CSV", "row"]),
    ("history-missing-col", _text("h.csv", "season,race_num,track\n2025,1,Kansas\n"), SIM + ["--history", "{f}"],
     ["h.csv"]),
    ("history-text-start", _hist_with(lambda r: r[1].__setitem__(4, "pole")), SIM + ["--history", "{f}"],
     ["row 2", "start"]),
    ("history-zero-finish", _hist_with(lambda r: r[1].__setitem__(5, "0")), SIM + ["--history", "{f}"], ["row 2"]),
    ("history-led-over-laps", _hist_with(lambda r: r[1].__setitem__(7, "999")), SIM + ["--history", "{f}"],
     ["row 2", "laps_led"]),
    ("history-twice", _hist_with(lambda r: r.__setitem__(2, r[1])), SIM + ["--history", "{f}"], ["twice"]),
    ("history-folder", lambda d: d, SIM + ["--history", "{f}"], ["--history"]),
    ("history-utf16-bad", _text("h.csv", "season,race_num,track,driver,start,finish,laps,laps_led,status\n"
                                         "2025,1,Kansas,A,x,1,200,0,running\n", "utf-16"),
     SIM + ["--history", "{f}"], ["row 2", "start"]),
    # --scenarios matrices
    ("scen-binary-csv", _bytes("m.csv", RANDOM), ["optimize", "--site", "dk", "--salaries", str(SAL), "--scenarios", "{f}"],
     ["binary"]),
    ("scen-bad-npz", _bytes("m.npz", b"PK\x03\x04 not a zip"), ["optimize", "--site", "dk", "--salaries", str(SAL),
                                                               "--scenarios", "{f}"], ["m.npz"]),
    ("scen-csv-huge-cell", _text("m.csv", HUGE_CELL), ["optimize", "--site", "dk", "--salaries", str(SAL),
                                                      "--scenarios", "{f}"], ["m.csv"]),
    # --payouts, --ownership, --field
    ("payouts-binary", _bytes("pay.csv", RANDOM), OPT + ["--mode", "contest", "--payouts", "{f}"], ["binary"]),
    ("payouts-deep", _text("pay.json", DEEP_JSON), OPT + ["--mode", "contest", "--payouts", "{f}"], ["nests deeper"]),
    ("payouts-bad-json", _text("pay.json", "[{"), OPT + ["--mode", "contest", "--payouts", "{f}"], ["not valid JSON"]),
    ("ownership-binary", _bytes("own.csv", RANDOM), OPT + ["--mode", "contest", "--ownership", "{f}"], ["binary"]),
    ("ownership-huge-cell", _text("own.csv", HUGE_CELL), OPT + ["--mode", "contest", "--ownership", "{f}"],
     ["could not be read as CSV"]),
    ("field-binary", _bytes("field.csv", RANDOM), OPT + ["--mode", "contest", "--field", "{f}"], ["binary"]),
    # score
    ("score-binary", _bytes("r.csv", RANDOM), ["score", "--site", "dk", "{f}"], ["binary"]),
    ("score-huge-cell", _text("r.csv", "driver,start\n\"" + "x" * 1_200_000 + "\",1\n"), ["score", "--site", "dk", "{f}"],
     ["could not be read as CSV"]),
    ("score-empty", _text("r.csv", ""), ["score", "--site", "dk", "{f}"], ["empty"]),
    # salaries / projections
    ("salaries-binary", _bytes("s.csv", RANDOM), ["simulate", "--site", "dk", "--salaries", "{f}", "--projections",
                                                   str(PROJ), "--scenarios", "200"], ["s.csv"]),
    ("projections-binary", _bytes("p.csv", RANDOM), ["simulate", "--site", "dk", "--salaries", str(SAL),
                                                      "--projections", "{f}", "--scenarios", "200"], ["p.csv"]),
    ("projections-nul", _bytes("p.csv", PROJ.read_bytes()[:200] + b"\x00\x00"),
     ["simulate", "--site", "dk", "--salaries", str(SAL), "--projections", "{f}", "--scenarios", "200"], ["binary"]),
    ("salaries-too-many-rows", _text("s.csv", "Position,Name + ID,Name,ID,Roster Position,Salary\n" + "x,y,z,1,D,5000\n" * 5000),
     ["simulate", "--site", "dk", "--salaries", "{f}", "--projections", str(PROJ), "--scenarios", "200"],
     ["more than 2,000 rows"]),
    ("projections-empty", _text("p.csv", ""), ["simulate", "--site", "dk", "--salaries", str(SAL),
                                                "--projections", "{f}", "--scenarios", "200"], ["empty"]),
]


def _sal_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(SAL.read_text(encoding="utf-8-sig"))))


def _edited(name: str, base: Callable[[], list[list[str]]], edit: Callable[[list[list[str]]], object],
            encoding: str = "utf-8") -> Callable[[Path], Path]:
    """The demo file ``base`` with ``edit`` applied to its rows (header = rows[0])."""
    def make(d: Path) -> Path:
        rows = base()
        edit(rows)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        p = d / name
        p.write_bytes(buf.getvalue().encode(encoding))
        return p
    return make


def _set(r: int, col: str, value: str, base: Callable[[], list[list[str]]]) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[r][rows[0].index(col)] = value
    return edit


def _sal(edit, encoding: str = "utf-8"):
    return _edited("sal.csv", _sal_rows, edit, encoding)


def _proj(edit):
    return _edited("proj.csv", _proj_rows, edit)


def _npz(**arrays) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / "m.npz"
        np.savez(p, **{k: (v() if callable(v) else v) for k, v in arrays.items()})
        return p
    return make


def _raw_npz(d: Path) -> Path:
    import zipfile

    p = d / "m.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("points.npy", b"hello")
        zf.writestr("driver_ids.npy", b"x")
    return p


def _ids() -> list[str]:
    return [r[3] for r in _sal_rows()[1:]]


def _matrix_csv(edit) -> Callable[[Path], Path]:
    def rows() -> list[list[str]]:
        return [_ids()] + [["30.5"] * len(_ids()) for _ in range(150)]
    return _edited("m.csv", rows, edit)


SIMF = ["simulate", "--site", "dk", "--salaries", "{f}", "--projections", str(PROJ), "--scenarios", "200"]
SIMP = ["simulate", "--site", "dk", "--salaries", str(SAL), "--projections", "{f}", "--scenarios", "200"]
SCEN = ["optimize", "--site", "dk", "--salaries", str(SAL), "--scenarios", "{f}"]
CMODE = OPT + ["--mode", "contest"]
PORT = CON + ["--portfolio", "{f}"]
D6 = "D,D,D,D,D,D\n"
FD_HEADER = "Id,Position,First Name,Nickname,Last Name,FPPG,Played,Salary,Game,Team\n"
ENTRIES_HEAD = "Entry ID,Contest Name,Contest ID,Entry Fee,D,D,D,D,D,D\n"


def _dup_sal_id(rows):
    rows[3][rows[0].index("ID")] = rows[2][rows[0].index("ID")]


# Issue 12's second batch: the readers' edge cases, one per row / field check, and the crashes
# the fuzzing found (marked "fuzz:"), so each stays fixed through the CLI.
CASES += [
    # --salaries
    ("salaries-fd-file-for-dk", _text("sal.csv", FD_HEADER + "1-1,D,A,A,B,1,1,9000,X,\n"), SIMF, ["FanDuel", "--site fd"]),
    ("salaries-missing-salary", _text("sal.csv", "Position,Name,ID\nD,A,1\n"), SIMF, ["missing required column", "Salary"]),
    ("salaries-duplicate-id", _sal(_dup_sal_id), SIMF, ["row 4", "duplicate ID"]),
    ("salaries-text-salary", _sal(_set(1, "Salary", "abc", _sal_rows)), SIMF, ["row 2", "Salary", "not a whole number"]),
    ("salaries-out-of-range", _sal(_set(1, "Salary", "500000", _sal_rows)), SIMF, ["row 2", "outside"]),
    ("salaries-other-sport", _sal(lambda r: [x.__setitem__(r[0].index("Roster Position"), "PG") for x in r[1:]]), SIMF,
     ["not a NASCAR driver"]),
    ("salaries-header-only", _sal(lambda r: r.__delitem__(slice(1, None))), SIMF, ["no driver rows"]),
    ("salaries-too-few", _sal(lambda r: r.__delitem__(slice(4, None))), SIMF, ["fewer than"]),
    ("salaries-no-name", _sal(lambda r: [r[1].__setitem__(r[0].index(c), "") for c in ("Name", "Name + ID")]), SIMF,
     ["row 2", "no driver name"]),
    ("salaries-utf16-duplicate", _sal(_dup_sal_id, "utf-16"), SIMF, ["row 4", "duplicate ID"]),
    # --projections
    ("projections-no-start", _text("proj.csv", "name,projection\nA,30\n"), SIMP, ["missing required column", "start"]),
    ("projections-duplicate-name", _proj(lambda r: r.__setitem__(2, list(r[1]))), SIMP, ["row 3", "duplicate driver"]),
    ("projections-typo-4795", _proj(_set(1, "projection", "4795", _proj_rows)), SIMP,
     ["row 2", "projection", "plausible range"]),
    ("projections-negative", _proj(_set(1, "projection", "-5", _proj_rows)), SIMP, ["row 2", "plausible range"]),
    ("projections-nan", _proj(_set(1, "projection", "nan", _proj_rows)), SIMP, ["row 2", "not a number"]),
    ("projections-bad-odds", _proj(_set(1, "win_odds", "abc", _proj_rows)), SIMP, ["row 2", "win_odds", "not odds"]),
    ("projections-ownership-150", _proj(_set(1, "ownership", "150", _proj_rows)), SIMP, ["row 2", "not a percentage"]),
    ("projections-ownership-fractions", _proj(lambda r: [x.__setitem__(r[0].index("ownership"), "0.1") for x in r[1:]]),
     SIMP, ["fractions"]),
    ("projections-unknown-driver", _proj(_set(1, "name", "Nobody Atall", _proj_rows)), SIMP,
     ["row 2", "not in the salary file"]),
    ("projections-two-name-columns", _proj(lambda r: [x.append(x[0]) for x in r] and r[0].__setitem__(-1, "driver")),
     SIMP, ["both give"]),
    ("projections-semicolons", _text("proj.csv", PROJ.read_text(encoding="utf-8-sig").replace(",", ";")
                                     .replace("Austin Crenshaw;1;", "Austin Crenshaw;first;")), SIMP, ["row 2", "start"]),
    # --history
    ("history-huge-laps", _hist_with(lambda r: r[1].__setitem__(6, "1e300")), SIM + ["--history", "{f}"],
     ["row 2", "laps", "too large"]),  # fuzz: int64 OverflowError
    ("history-negative-laps", _hist_with(lambda r: r[1].__setitem__(6, "-3")), SIM + ["--history", "{f}"],
     ["row 2", "below 0"]),
    ("history-bad-fastest-laps", _hist_with(lambda r: r[1].__setitem__(8, "x")), SIM + ["--history", "{f}"],
     ["row 2", "fastest_laps"]),
    ("history-two-tracks", _hist_with(lambda r: r[1].__setitem__(2, "Kansas Speedway")), SIM + ["--history", "{f}"],
     ["several tracks"]),
    ("history-repeated-finish", _hist_with(lambda r: r[2].__setitem__(5, r[1][5])), SIM + ["--history", "{f}"],
     ["finish", "not 1 to"]),
    ("history-no-season", _hist_with(lambda r: r[1].__setitem__(0, "")), SIM + ["--history", "{f}"],
     ["row 2", "no season"]),
    # --spec
    ("spec-lone-surrogate", _text("s.json", '{"objective": {"blend": "\\ud800"}}'), OPT + ["--spec", "{f}"],
     ["surrogate"]),  # fuzz: UnicodeEncodeError
    ("spec-zero-lineups", _text("s.json", '{"n_lineups": 0}'), OPT + ["--spec", "{f}"], ["n_lineups"]),
    ("spec-exposure-over-1", _text("s.yaml", "min_exposure:\n  Riley Marchetti: 2\n"), OPT + ["--spec", "{f}"],
     ["min_exposure", "between 0 and 1"]),
    ("spec-group-without-drivers", _text("s.json", '{"groups": [{"at_most": 1}]}'), OPT + ["--spec", "{f}"],
     ["groups[0].drivers"]),
    ("spec-yaml-scalar", _text("s.yaml", "42\n"), OPT + ["--spec", "{f}"], ["mapping"]),
    ("spec-unknown-lock", _text("s.json", '{"locks": ["Nobody Atall"]}'), OPT + ["--spec", "{f}"], ["Nobody Atall"]),
    # --scenarios
    ("scen-npz-no-ids", _npz(points=np.ones((200, 38))), SCEN, ["driver_ids", "missing"]),
    ("scen-npz-nan", _npz(points=lambda: np.full((200, 38), np.nan), driver_ids=lambda: np.array(_ids())), SCEN,
     ["NaN"]),
    ("scen-npz-not-the-slate", _npz(points=np.ones((200, 38)), driver_ids=np.array([str(i) for i in range(38)])),
     SCEN, ["not on the slate"]),
    ("scen-npz-1d", _npz(points=np.ones(38), driver_ids=lambda: np.array(_ids())), SCEN, ["2-D"]),
    ("scen-npz-raw-member", _raw_npz, SCEN, ["not a numpy array"]),  # fuzz: AttributeError
    ("scen-npz-bytes-ids", _npz(points=np.ones((200, 38)), driver_ids=lambda: np.array(
        [b"\xff\xfe"] + [i.encode() for i in _ids()[1:]])), SCEN, ["not UTF-8"]),  # fuzz: UnicodeDecodeError
    ("scen-csv-text-cell", _matrix_csv(lambda r: r[2].__setitem__(3, "abc")), SCEN, ["row 3", "not a number"]),
    ("scen-csv-ragged", _matrix_csv(lambda r: r[2].append("1")), SCEN, ["row 3", "cells but the header"]),
    ("scen-csv-duplicate-id", _matrix_csv(lambda r: r[0].__setitem__(1, r[0][0])), SCEN, ["duplicate driver IDs"]),
    ("scen-csv-blank-id", _matrix_csv(lambda r: r[0].__setitem__(1, "")), SCEN, ["column 2", "no driver ID"]),
    ("scen-unknown-type", _text("m.xlsx", "a,b\n"), SCEN, ["unknown scenario file type"]),
    # --payouts, --ownership, --field
    ("payouts-json-scalar", _text("pay.json", "5"), CMODE + ["--payouts", "{f}"], ["JSON list or object"]),  # fuzz
    ("payouts-absurd-range", _text("pay.csv", "min_rank,max_rank,prize\n1,100000000000,5\n"), CMODE + ["--payouts", "{f}"],
     ["max_rank", "more places"]),  # fuzz: MemoryError
    ("payouts-infinite-rank", _text("pay.json", '[{"min_rank": Infinity, "prize": 1}]'), CMODE + ["--payouts", "{f}"],
     ["not a place range"]),  # fuzz: OverflowError
    ("payouts-increasing", _text("pay.csv", "place,prize\n1,10\n2,100\n"), CMODE + ["--payouts", "{f}"],
     ["more than the better rank"]),
    ("payouts-gap", _text("pay.csv", "place,prize\n1,100\n3,10\n"), CMODE + ["--payouts", "{f}"], ["do not follow on"]),
    ("payouts-bad-header", _text("pay.csv", "rank,amount\n1,100\n"), CMODE + ["--payouts", "{f}"], ["row 1", "lacks"]),
    ("payouts-bad-row", _text("pay.csv", "place,prize\nfirst,100\n"), CMODE + ["--payouts", "{f}"], ["row 2", "place"]),
    ("ownership-unknown-driver", _text("own.csv", "name,ownership\nNobody Atall,20\n"), CMODE + ["--ownership", "{f}"],
     ["row 2", "not on the slate"]),
    ("ownership-over-100", _text("own.csv", "name,ownership\nRiley Marchetti,120\n"), CMODE + ["--ownership", "{f}"],
     ["row 2", "outside 0-100"]),
    ("ownership-fractions", _text("own.csv", "name,ownership\nRiley Marchetti,0.5\nDale Whitaker Jr.,0.3\n"),
     CMODE + ["--ownership", "{f}"], ["fractions"]),
    ("ownership-no-columns", _text("own.csv", "who,pct\nA,1\n"), CMODE + ["--ownership", "{f}"], ["row 1", "lacks"]),
    ("ownership-twice", _text("own.csv", "name,ownership\nRiley Marchetti,20\nRiley Marchetti,20\n"),
     CMODE + ["--ownership", "{f}"], ["row 3", "twice"]),
    ("field-unknown-driver", _text("field.csv", D6 + "1,2,3,4,5,6\n"), CMODE + ["--field", "{f}"],
     ["row 2", "not on the slate"]),
    ("field-short-lineup", lambda d: _text("field.csv", ",".join(_ids()[:4]) + "\n")(d), CMODE + ["--field", "{f}"],
     ["row 1", "needs 6"]),
    # score
    ("score-huge-laps-led", _text("r.csv", "driver,start,finish,laps_led,fastest_laps,laps\nA,1,1,1e300,0,200\n"),
     ["score", "--site", "dk", "{f}"], ["row 2", "laps_led", "more than any race"]),  # fuzz: OverflowError
    ("score-missing-column", _text("r.csv", "driver,start,finish\nA,1,1\n"), ["score", "--site", "dk", "{f}"],
     ["row 1", "laps_led"]),
    ("score-finish-99", _text("r.csv", "driver,start,finish,laps_led,fastest_laps,laps\nA,1,99,0,0,200\n"),
     ["score", "--site", "dk", "{f}"], ["row 2", "finish", "outside 1 to"]),
    ("score-text-start", _text("r.csv", "driver,start,finish,laps_led,fastest_laps,laps\nA,pole,1,0,0,200\n"),
     ["score", "--site", "dk", "{f}"], ["row 2", "start", "not a whole number"]),
    # contest --portfolio
    ("portfolio-repeated-driver", lambda d: _text("p.json", json.dumps(
        {"lineups": [{"driver_ids": _ids()[:6] + _ids()[:1]}]}))(d), PORT, ["lineups[0].driver_ids"]),  # fuzz
    ("portfolio-unknown-id", _text("p.json", '{"lineups": [{"driver_ids": ["1", "2", "3", "4", "5", "6"]}]}'), PORT,
     ["lineups[0].driver_ids", "not on the slate"]),
    ("portfolio-csv-unknown-id", _text("p.csv", D6 + "1,2,3,4,5,6\n"), PORT, ["row 2", "not a driver ID"]),
    ("portfolio-csv-empty-slot", lambda d: _text("p.csv", D6 + ",".join(_ids()[:5]) + ",\n")(d), PORT,
     ["row 2", "slot 6 is empty"]),
    # optimize --entries
    ("entries-no-header", _text("DKEntries.csv", "a,b\n1,2\n"), OPT + ["--entries", "{f}", "--out", "{f}.out.csv"],
     ["Entry ID"]),
    ("entries-not-nascar", _text("DKEntries.csv", "Entry ID,Contest Name,PG,SG\n1,x,,\n"),
     OPT + ["--entries", "{f}", "--out", "{f}.out.csv"], ["'D' columns"]),
    ("entries-more-than-lineups", _text("DKEntries.csv", ENTRIES_HEAD + "1,c,9,$5,,,,,,\n2,c,9,$5,,,,,,\n"),
     OPT + ["--entries", "{f}", "--out", "{f}.out.csv"], ["2 entries", "--lineups 2"]),
]

@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_is_exit_2_with_a_clear_message(case, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cid, make, argv, needles = case
    f = make(tmp_path)
    rc = main([a.replace("{f}", str(f)) for a in argv])
    err = capsys.readouterr().err
    flat = "".join(err.split())  # rich wraps long lines anywhere, even inside a file name
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    if f.is_file():
        assert f.name in flat, flat
    for n in needles:
        assert "".join(n.split()) in flat, (n, flat)
    assert "Fix:" in flat, flat  # and what to do about it
    assert len(err) < 20_000  # one clear message, not a dump


@pytest.mark.parametrize("cid", ["spec-utf16", "spec-zero-lineups"])
def test_spec_type_errors_say_how_to_fix_them(cid: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, make, argv, _ = next(c for c in CASES if c[0] == cid)
    f = make(tmp_path)
    assert main([a.replace("{f}", str(f)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "Fix:" in err and "Traceback" not in err, err


SUBPROCESS_SAMPLE = ("spec-deep-yaml", "portfolio-ids-int", "history-binary", "score-huge-cell", "spec-utf16",
                     "salaries-utf16-duplicate", "projections-typo-4795", "scen-npz-raw-member", "payouts-absurd-range",
                     "score-huge-laps-led", "portfolio-repeated-driver", "spec-lone-surrogate")


def test_corpus_as_subprocesses(tmp_path: Path) -> None:
    """A sample of the corpus through the installed entry point, as a user runs it."""
    by_id = {c[0]: c for c in CASES}
    for cid in SUBPROCESS_SAMPLE:
        _, make, argv, needles = by_id[cid]
        d = tmp_path / cid
        d.mkdir()
        f = make(d)
        proc = subprocess.run([sys.executable, "-m", "tailrace.cli", *[a.replace("{f}", str(f)) for a in argv]],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, (cid, proc.stderr)
        assert "Traceback" not in proc.stderr, (cid, proc.stderr)
        flat = "".join(proc.stderr.split())
        assert all("".join(n.split()) in flat for n in needles), (cid, flat)


def test_unexpected_error_is_one_line_not_a_traceback(monkeypatch, capsys: pytest.CaptureFixture) -> None:
    """A bug (not a user error) still ends without a traceback: exit 1 and how to see more."""
    import tailrace.cli.score as score_mod

    def boom(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(score_mod, "score_results", boom)
    monkeypatch.delenv("TAILRACE_DEBUG", raising=False)
    assert main(["score", "--site", "dk", str(PROJ)]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "ZeroDivisionError" in err and "TAILRACE_DEBUG" in err
    assert "Traceback" not in err


def _npz_bomb(d: Path) -> Path:
    """1.4 KB on disk that declares a 4.5 GiB points array (zeros compress to nothing)."""
    import zipfile

    p = d / "bomb.npz"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("points.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                     "shape": (2_000_000, 300)})
            f.write(b"\0" * 1_000_000)
        with zf.open("driver_ids.npy", "w") as f:
            np.lib.format.write_array(f, np.array(["a"] * 300))
    return p


def test_npz_bomb_is_refused_before_loading(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    f = _npz_bomb(tmp_path)
    assert f.stat().st_size < 10_000
    assert main(["optimize", "--site", "dk", "--salaries", str(SAL), "--scenarios", str(f)]) == 2
    err = "".join(capsys.readouterr().err.split())
    assert "declare4.5GiB" in err and "bomb.npz" in err


def test_tiny_or_flat_matrices_warn(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from tailrace.slate import demo_slate

    ids = demo_slate().ids
    for rows, needle in ((np.full((1, len(ids)), 30.0), "only 1 scenario"),
                         (np.zeros((500, len(ids))), "all zeros"),
                         (np.tile(np.arange(len(ids), dtype=float), (500, 1)), "same points in every scenario")):
        m = tmp_path / "m.npz"
        np.savez(m, points=rows.astype(np.float32), driver_ids=np.array(ids))
        out = tmp_path / "r.json"
        assert main(["optimize", "--site", "dk", "--salaries", str(SAL), "--scenarios", str(m), "--json", str(out),
                     "--no-explain"]) == 0
        err = " ".join(capsys.readouterr().err.split())
        assert needle in err, err
        assert any(needle in w for w in json.loads(out.read_text())["warnings"])


def test_json_inputs_are_parsed_once_safely() -> None:
    from tailrace.errors import InputError
    from tailrace.textfile import csv_rows, decode_text, parse_json

    assert parse_json('{"a": [1, 2]}', "x") == {"a": [1, 2]}
    assert decode_text("é,1".encode("utf-16"), "x") == "é,1"
    assert decode_text("é,1".encode("cp1252"), "x") == "é,1"
    assert csv_rows('a,b\n"x\ny",2\n', "x") == [["a", "b"], ["x\ny", "2"]]
    with pytest.raises(InputError):
        parse_json("[" * 101 + "]" * 101, "x")
    assert parse_json("[" * 100 + "]" * 100, "x") is not None
    with pytest.raises(InputError):
        decode_text(b"\x00abc", "x")
    json.dumps(CASES[0][0])  # ids are plain text


def test_projections_far_off_the_race_total_are_an_error_unless_asked(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    """Issue 12, defect 1: projections 40 % too high (another site's or table's numbers) used to
    be shifted down by ~15 points each, exit 0. Now an error naming the fix; the flag fits them."""
    rows = _proj_rows()
    col = rows[0].index("projection")
    for r in rows[1:]:
        r[col] = f"{float(r[col]) * 1.4:.2f}"
    f = _write_rows(tmp_path / "p14.csv", rows)
    args = ["simulate", "--site", "dk", "--salaries", str(SAL), "--projections", str(f), "--scenarios", "300"]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "every driver would have to move" in err and "--allow-projection-shift" in err
    assert main(args + ["--allow-projection-shift"]) == 0
    assert "each projection shifted by" in " ".join(capsys.readouterr().err.split())


def test_every_bad_start_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Issue 12, defect 8: a start of 99 used to surface only after an unreadable start was fixed."""
    rows = _proj_rows()
    col = rows[0].index("start")
    rows[1][col], rows[2][col], rows[5][col] = "99", rows[3][col], "abc"
    f = _write_rows(tmp_path / "starts.csv", rows)
    assert main(["simulate", "--site", "dk", "--salaries", str(SAL), "--projections", str(f),
                 "--scenarios", "200"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "'abc' is not a position" in err and "start 99 is beyond the field" in err
    assert "given to several drivers" in err
