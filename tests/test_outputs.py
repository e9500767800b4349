"""Outputs are checked before the work and written atomically (issue 12, defects 3 and 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tailrace.cli import main
from tailrace.errors import InputError
from tailrace.outputs import atomic_write_text, atomic_write_with, check_output_path, check_output_paths

DEMO = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "data" / "demo"


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "upload.csv"
    target.write_text("old upload\n")

    def half_then_fail(f) -> None:
        f.write(b"half of the new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write_with(target, half_then_fail)
    assert target.read_text() == "old upload\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload.csv"]


def test_atomic_write_text_keeps_newlines_exactly(tmp_path: Path) -> None:
    p = atomic_write_text(tmp_path / "a.csv", "x,y\r\n1,2\r\n")
    assert p.read_bytes() == b"x,y\r\n1,2\r\n"


def test_kill_during_write_leaves_the_old_file(tmp_path: Path) -> None:
    """A process killed with SIGKILL in the middle of a write: the target is still the old file."""
    target = tmp_path / "result.json"
    target.write_text('{"old": true}\n')
    flag = tmp_path / "writing"
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from tailrace.outputs import atomic_write_with
        def slow(f):
            f.write(b'{{"new": ')
            f.flush()
            Path({str(flag)!r}).write_text("1")
            time.sleep(60)
            f.write(b'true}}')
        atomic_write_with({str(target)!r}, slow)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the writer never started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert target.read_text() == '{"old": true}\n'


def test_directory_as_output_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as ei:
        check_output_path(tmp_path, "--out")
    assert "--out" in str(ei.value) and str(tmp_path) in str(ei.value) and "directory" in str(ei.value)


def test_parent_that_is_a_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError) as ei:
        check_output_path(tmp_path / "f" / "out.csv", "--json")
    assert "--json" in str(ei.value) and "is a file" in str(ei.value)


def test_two_flags_naming_one_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as ei:
        check_output_paths({"--out": tmp_path / "a.csv", "--json": tmp_path / "a.csv"})
    assert "same file" in str(ei.value)


def test_optimize_checks_out_before_reading_or_computing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """--out naming a directory is reported first (exit 2, the user's path), before the inputs are
    even read: the salary file here does not exist, and that is not what the user is told."""
    rc = main(["optimize", "--site", "dk", "--salaries", str(tmp_path / "missing.csv"),
               "--projections", str(DEMO / "projections.csv"), "--n-scenarios", "2000",
               "--out", str(tmp_path), "--lineups", "3"])
    err = capsys.readouterr().err
    assert rc == 2
    assert str(tmp_path) in err and "directory" in err and "missing.csv" not in err
    assert "Traceback" not in err and ".tmp" not in err


@pytest.mark.parametrize("argv", [
    ["simulate", "--site", "dk", "--salaries", "{missing}", "--out", "{dir}/x.npz/"],
    ["score", "--site", "dk", "{missing}", "--out", "{dir}"],
    ["contest", "--site", "dk", "--salaries", "{missing}", "--portfolio", "{missing}", "--json", "{dir}"],
])
def test_every_command_checks_outputs_first(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "x.npz").mkdir()
    args = [a.format(missing=tmp_path / "missing.csv", dir=tmp_path) for a in argv]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2
    assert "directory" in err and "missing.csv" not in err and "Traceback" not in err


def test_a_junk_file_lists_the_first_20_problems_and_counts_the_rest(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    """Issue 12, defect 5: 5,000 junk rows gave a message of 5,000 lines; now 20 and a count."""
    from tailrace.errors import Problem

    exc = InputError([Problem(f"bad row {i}", file="x.csv", row=i + 2, field="start", fix="fix it")
                      for i in range(5000)])
    text = str(exc)
    assert text.splitlines()[0].startswith("5000 problems (the first 20 shown")
    assert "bad row 19" in text and "bad row 20" not in text
    assert text.splitlines()[-1] == "  ... and 4980 more"
    assert len(exc.problems) == 5000

    junk = tmp_path / "junk.csv"
    junk.write_text("name,start,projection\n" + "".join(f"x{i},zz,1\n" for i in range(3000)))
    rc = main(["simulate", "--site", "dk", "--salaries", str(DEMO / "dk_salaries.csv"),
               "--projections", str(junk), "--scenarios", "10"])
    err = capsys.readouterr().err
    assert rc == 2 and "more" in err and len(err.splitlines()) < 200 and "Traceback" not in err


def test_a_folder_where_no_file_can_be_made_is_refused_before_work(capsys: pytest.CaptureFixture) -> None:
    """/proc passes the permission bits for root, yet no file can be created there: the check tries
    to create one, so `--out /proc/nope.csv` stops before any simulation, naming the path as given
    (it used to simulate first, then report the atomic writer's temporary name)."""
    if not Path("/proc").is_dir():
        pytest.skip("needs a /proc folder (Linux)")
    rc = main(["optimize", "--site", "dk", "--salaries", str(DEMO / "missing.csv"),
               "--projections", str(DEMO / "projections.csv"), "--out", "/proc/nope.csv", "--lineups", "3"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "/proc" in err and "not writable" in err and ".tmp" not in err and "missing.csv" not in err


def test_atomic_writer_names_the_given_path_when_it_cannot_start(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as ei:
        atomic_write_text(blocker / "out.csv", "a")
    assert ei.value.filename == str(blocker / "out.csv")
