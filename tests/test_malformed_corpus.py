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


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_is_exit_2_with_a_clear_message(case, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, make, argv, needles = case
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
    assert len(err) < 20_000  # one clear message, not a dump


SUBPROCESS_SAMPLE = ("spec-deep-yaml", "portfolio-ids-int", "history-binary", "score-huge-cell", "spec-utf16")


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
